// Package config parses Whistle's configuration once — defaults, then an
// optional JSON file, then WHISTLE_* environment variables, then flags —
// into a struct that is passed down. There is no global configuration.
package config

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Config is the whole configuration of a whistle process.
type Config struct {
	Addr          string        `json:"addr"`          // listen address
	Data          string        `json:"data"`          // data directory (SQLite file, attachments)
	DB            string        `json:"db"`            // postgres://… ; empty = SQLite in Data
	Timezone      string        `json:"timezone"`      // IANA zone for dates and working days
	SQLiteSync    string        `json:"sqlite_sync"`   // full (default) or normal
	Attachments   string        `json:"attachments"`   // "disk" (default with SQLite) or "db"
	ReturnWindow  string        `json:"return_window"` // e.g. "24h", "1wd"
	ReopenLimit   int           `json:"reopen_limit"`
	Node          string        `json:"node"`           // node name for the scheduler
	TickEvery     time.Duration `json:"tick_every"`     // scheduler interval
	LogLevel      string        `json:"log_level"`      // debug, info, warn, error
	Seed          int64         `json:"seed"`           // demo seed
	DemoRequests  int           `json:"demo_requests"`  // demo size
	DemoEnd       string        `json:"demo_end"`       // demo history ends here (RFC 3339); empty = now
	City          string        `json:"city"`           // the city's name, for a first start
	AdminPassword string        `json:"admin_password"` // first start: the admin's password (default random, printed once)
	PhoneKey      string        `json:"phone_key"`      // key for phone hashes; default: from the key file
	KeyFile       string        `json:"key_file"`       // data key file; default whistle.key in the data directory
	DataKey       string        `json:"-"`              // data keys from the environment (WHISTLE_DATA_KEY), primary first
	SecureCookies bool          `json:"secure_cookies"` // session cookies only over HTTPS (behind TLS)
	FastHash      bool          `json:"-"`              // tests only: cheap password hashing

	ClassifierRetrain time.Duration `json:"classifier_retrain"` // retrain the text classifier this often; 0 = only on demand
}

// Defaults returns the built-in configuration.
func Defaults() Config {
	host, _ := os.Hostname()
	return Config{
		Addr: "127.0.0.1:8080", Data: "whistle-data", Timezone: "Asia/Shanghai", SQLiteSync: "full",
		Attachments: "disk", ReturnWindow: "24h", ReopenLimit: 2, Node: fmt.Sprintf("%s-%d", host, os.Getpid()),
		TickEvery: 5 * time.Second, LogLevel: "info", Seed: 12345, DemoRequests: 60000,
		ClassifierRetrain: 24 * time.Hour,
	}
}

// Load parses the configuration for a command from args and getenv.
func Load(name string, args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	c := Defaults()
	file := getenv("WHISTLE_CONFIG")
	for i, a := range args { // find --config before parsing, so flags still win
		if v, ok := strings.CutPrefix(a, "--config="); ok {
			file = v
		} else if (a == "--config" || a == "-config") && i+1 < len(args) {
			file = args[i+1]
		}
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return c, fmt.Errorf("config file: %w", err)
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return c, fmt.Errorf("config file %s: %w", file, err)
		}
	}
	env := map[string]*string{"WHISTLE_ADDR": &c.Addr, "WHISTLE_DATA": &c.Data, "WHISTLE_DB": &c.DB, "WHISTLE_TZ": &c.Timezone,
		"WHISTLE_SQLITE_SYNC": &c.SQLiteSync, "WHISTLE_ATTACHMENTS": &c.Attachments, "WHISTLE_NODE": &c.Node,
		"WHISTLE_LOG_LEVEL": &c.LogLevel, "WHISTLE_PHONE_KEY": &c.PhoneKey, "WHISTLE_ADMIN_PASSWORD": &c.AdminPassword, "WHISTLE_CITY": &c.City, "WHISTLE_RETURN_WINDOW": &c.ReturnWindow,
		"WHISTLE_KEY_FILE": &c.KeyFile, "WHISTLE_DATA_KEY": &c.DataKey}
	for k, p := range env {
		if v := getenv(k); v != "" {
			*p = v
		}
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.String("config", file, "JSON configuration file (env WHISTLE_CONFIG)")
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address HOST:PORT (env WHISTLE_ADDR)")
	fs.StringVar(&c.Data, "data", c.Data, "data directory (env WHISTLE_DATA)")
	fs.StringVar(&c.KeyFile, "key-file", c.KeyFile, "file of the keys that seal personal data (env WHISTLE_KEY_FILE; default whistle.key in the data directory)")
	fs.StringVar(&c.DB, "db", c.DB, "PostgreSQL URL postgres://…; empty = SQLite file in the data directory (env WHISTLE_DB)")
	fs.StringVar(&c.Timezone, "tz", c.Timezone, "time zone for dates and working days (env WHISTLE_TZ)")
	fs.StringVar(&c.SQLiteSync, "sqlite-sync", c.SQLiteSync, "SQLite durability: full (fsync per commit) or normal")
	fs.StringVar(&c.Attachments, "attachments", c.Attachments, "where attachments are stored: disk or db")
	fs.StringVar(&c.ReturnWindow, "return-window", c.ReturnWindow, "how long after dispatch a unit may ask to return an order (e.g. 24h, 1wd)")
	fs.IntVar(&c.ReopenLimit, "reopen-limit", c.ReopenLimit, "how often an unsatisfied case may be reopened")
	fs.StringVar(&c.Node, "node", c.Node, "this node's name (scheduler)")
	fs.DurationVar(&c.TickEvery, "tick", c.TickEvery, "scheduler interval")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error")
	fs.BoolVar(&c.SecureCookies, "secure-cookies", c.SecureCookies, "mark session cookies Secure (serve behind HTTPS)")
	fs.StringVar(&c.City, "city", c.City, "serve: the city's name when starting on an empty store")
	fs.Int64Var(&c.Seed, "seed", c.Seed, "demo seed")
	fs.IntVar(&c.DemoRequests, "requests", c.DemoRequests, "demo: number of requests in the year of history")
	fs.StringVar(&c.DemoEnd, "demo-end", c.DemoEnd, "demo: end of the history, RFC 3339 (default now; fix it for identical data)")
	fs.DurationVar(&c.ClassifierRetrain, "classifier-retrain", c.ClassifierRetrain, "retrain the text classifier this often (0 = only on demand)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return c, c.Validate()
}

// Validate checks the configuration.
func (c Config) Validate() error {
	var problems []string
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		problems = append(problems, "tz: "+err.Error())
	}
	if c.SQLiteSync != "full" && c.SQLiteSync != "normal" {
		problems = append(problems, "sqlite-sync must be full or normal")
	}
	if c.Attachments != "disk" && c.Attachments != "db" {
		problems = append(problems, "attachments must be disk or db")
	}
	if c.DB != "" && !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://") {
		problems = append(problems, "db must be a postgres:// URL")
	}
	if c.DemoEnd != "" {
		if _, err := time.Parse(time.RFC3339, c.DemoEnd); err != nil {
			problems = append(problems, "demo-end must be an RFC 3339 time")
		}
	}
	if c.DemoRequests < 1 {
		problems = append(problems, "requests must be ≥ 1")
	}
	if c.ReopenLimit < 0 {
		problems = append(problems, "reopen-limit must be ≥ 0")
	}
	if c.TickEvery < 100*time.Millisecond {
		problems = append(problems, "tick must be ≥ 100ms")
	}
	if c.ClassifierRetrain < 0 {
		problems = append(problems, "classifier-retrain must be ≥ 0")
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// DSN is the store's data source: the PostgreSQL URL or the SQLite file.
func (c Config) DSN() string {
	if c.DB != "" {
		return c.DB
	}
	return filepath.Join(c.Data, "whistle.db")
}

// Location returns the configured time zone.
func (c Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}
