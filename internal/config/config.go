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
	ReadDB        string        `json:"read_db"`       // postgres://… of a read-only replica for analyses and exports
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
	SecureCookies bool          `json:"secure_cookies"` // mark cookies Secure always (else: when the request came over HTTPS)
	TrustProxy    bool          `json:"trust_proxy"`    // believe X-Forwarded-Proto from the reverse proxy in front
	MetricsToken  string        `json:"metrics_token"`  // bearer token for /metrics; empty = admin sessions only
	FastHash      bool          `json:"-"`              // tests only: cheap password hashing

	ClassifierRetrain time.Duration `json:"classifier_retrain"` // retrain the text classifier this often; 0 = only on demand

	// RetentionDays: closed cases are anonymised this many days after
	// closing (daily job and 'whistle retention run'); 0 disables retention.
	RetentionDays int `json:"retention_days"`

	// Uploads (issue #11): bytes a staff user, and an anonymous client
	// address, may upload in 24 hours; how long an attachment never linked
	// to a case is kept.
	UploadQuotaUser int64         `json:"upload_quota_user"`
	UploadQuotaIP   int64         `json:"upload_quota_ip"`
	OrphanGrace     time.Duration `json:"orphan_grace"`

	// Events (issue #13): a NATS server to publish the outbox to (JetStream
	// stream WHISTLE, subjects whistle.>; "off" stops publishing, empty
	// leaves the stored setting as it is), and whether webhooks
	// may call loopback and private addresses (off: SSRF guard).
	NATSURL             string `json:"nats_url"`
	WebhookAllowPrivate bool   `json:"webhook_allow_private"`
}

// Defaults returns the built-in configuration.
func Defaults() Config {
	host, _ := os.Hostname()
	return Config{
		Addr: "127.0.0.1:8080", Data: "whistle-data", Timezone: "Asia/Shanghai", SQLiteSync: "full",
		Attachments: "disk", ReturnWindow: "24h", ReopenLimit: 2, Node: fmt.Sprintf("%s-%d", host, os.Getpid()),
		TickEvery: 5 * time.Second, LogLevel: "info", Seed: 12345, DemoRequests: 60000,
		ClassifierRetrain: 24 * time.Hour, RetentionDays: 1095,
		UploadQuotaUser: 200 << 20, UploadQuotaIP: 60 << 20, OrphanGrace: 24 * time.Hour,
	}
}

// Load parses the configuration for a command from args and getenv.
func Load(name string, args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	file := getenv("WHISTLE_CONFIG")
	for i, a := range args { // find --config before parsing, so flags still win
		if v, ok := strings.CutPrefix(a, "--config="); ok {
			file = v
		} else if (a == "--config" || a == "-config") && i+1 < len(args) {
			file = args[i+1]
		}
	}
	c, err := fileAndEnv(file, getenv)
	if err != nil {
		return c, err
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	register(fs, &c, &file)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return c, c.Validate()
}

// Flags are the configuration's flags (--data, --db, --config, …) on a
// command's own FlagSet, beside the command's flags: see AddFlags.
type Flags struct {
	fs     *flag.FlagSet
	getenv func(string) string
	file   string // --config, default WHISTLE_CONFIG
	shown  Config // the flags' targets before Load: the defaults fs's usage prints
}

// AddFlags registers the configuration's flags on fs, with the built-in
// defaults; once fs is parsed, Load gives the configuration.
func AddFlags(fs *flag.FlagSet, getenv func(string) string) *Flags {
	f := &Flags{fs: fs, getenv: getenv, file: getenv("WHISTLE_CONFIG"), shown: Defaults()}
	register(fs, &f.shown, &f.file)
	return f
}

// Load returns the configuration, as Load does, once the FlagSet is parsed:
// the defaults, then the JSON file (--config or WHISTLE_CONFIG), then the
// WHISTLE_* variables, then the configuration's flags that were given.
func (f *Flags) Load() (Config, error) {
	c, err := fileAndEnv(f.file, f.getenv)
	if err != nil {
		return c, err
	}
	given := flag.NewFlagSet(f.fs.Name(), flag.ContinueOnError)
	given.SetOutput(io.Discard)
	var file string
	register(given, &c, &file)
	f.fs.Visit(func(fl *flag.Flag) { // every flag Value's String is what its Set takes
		if err == nil && fl.Name != "config" && given.Lookup(fl.Name) != nil {
			err = given.Set(fl.Name, fl.Value.String())
		}
	})
	if err != nil {
		return c, err
	}
	return c, c.Validate()
}

// fileAndEnv returns the defaults overlaid with the JSON file (if any) and
// the WHISTLE_* variables.
func fileAndEnv(file string, getenv func(string) string) (Config, error) {
	c := Defaults()
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
	env["WHISTLE_NATS_URL"] = &c.NATSURL
	env["WHISTLE_READ_DB"] = &c.ReadDB
	for k, p := range env {
		if v := getenv(k); v != "" {
			*p = v
		}
	}
	if v := getenv("WHISTLE_METRICS_TOKEN"); v != "" {
		c.MetricsToken = v
	}
	for k, p := range map[string]*bool{"WHISTLE_SECURE_COOKIES": &c.SecureCookies, "WHISTLE_TRUST_PROXY": &c.TrustProxy, "WHISTLE_WEBHOOK_ALLOW_PRIVATE": &c.WebhookAllowPrivate} {
		switch strings.ToLower(getenv(k)) {
		case "1", "true", "yes", "on":
			*p = true
		case "0", "false", "no", "off":
			*p = false
		}
	}
	return c, nil
}

// register defines the configuration's flags on fs, their targets in c
// and file (--config), their defaults the values there.
func register(fs *flag.FlagSet, c *Config, file *string) {
	fs.StringVar(file, "config", *file, "JSON configuration file (env WHISTLE_CONFIG)")
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address HOST:PORT (env WHISTLE_ADDR)")
	fs.StringVar(&c.Data, "data", c.Data, "data directory (env WHISTLE_DATA)")
	fs.StringVar(&c.KeyFile, "key-file", c.KeyFile, "file of the keys that seal personal data (env WHISTLE_KEY_FILE; default whistle.key in the data directory)")
	fs.StringVar(&c.DB, "db", c.DB, "PostgreSQL URL postgres://…; empty = SQLite file in the data directory (env WHISTLE_DB)")
	fs.StringVar(&c.ReadDB, "read-db", c.ReadDB, "PostgreSQL URL of a read-only replica of --db for analyses and exports; empty = --db (env WHISTLE_READ_DB)")
	fs.StringVar(&c.Timezone, "tz", c.Timezone, "time zone for dates and working days (env WHISTLE_TZ)")
	fs.StringVar(&c.SQLiteSync, "sqlite-sync", c.SQLiteSync, "SQLite durability: full (fsync per commit) or normal")
	fs.StringVar(&c.Attachments, "attachments", c.Attachments, "where attachments are stored: disk or db")
	fs.StringVar(&c.ReturnWindow, "return-window", c.ReturnWindow, "how long after dispatch a unit may ask to return an order (e.g. 24h, 1wd)")
	fs.IntVar(&c.ReopenLimit, "reopen-limit", c.ReopenLimit, "how often an unsatisfied case may be reopened")
	fs.StringVar(&c.Node, "node", c.Node, "this node's name (scheduler)")
	fs.DurationVar(&c.TickEvery, "tick", c.TickEvery, "scheduler interval")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error")
	fs.BoolVar(&c.SecureCookies, "secure-cookies", c.SecureCookies, "mark cookies Secure always; without it they are Secure when the request came over HTTPS (env WHISTLE_SECURE_COOKIES)")
	fs.BoolVar(&c.TrustProxy, "trust-proxy", c.TrustProxy, "believe X-Forwarded-Proto: only behind a reverse proxy that sets it (env WHISTLE_TRUST_PROXY)")
	fs.StringVar(&c.City, "city", c.City, "serve: the city's name when starting on an empty store")
	fs.Int64Var(&c.Seed, "seed", c.Seed, "demo seed")
	fs.IntVar(&c.DemoRequests, "requests", c.DemoRequests, "demo: number of requests in the year of history")
	fs.StringVar(&c.DemoEnd, "demo-end", c.DemoEnd, "demo: end of the history, RFC 3339 (default now; fix it for identical data)")
	fs.DurationVar(&c.ClassifierRetrain, "classifier-retrain", c.ClassifierRetrain, "retrain the text classifier this often (0 = only on demand)")
	fs.IntVar(&c.RetentionDays, "retention-days", c.RetentionDays, "anonymise closed cases this many days after closing (0 = never)")

	fs.Int64Var(&c.UploadQuotaUser, "upload-quota-user", c.UploadQuotaUser, "bytes a staff user may upload in 24 hours")
	fs.Int64Var(&c.UploadQuotaIP, "upload-quota-ip", c.UploadQuotaIP, "bytes one client address may upload anonymously (portal) in 24 hours")
	fs.DurationVar(&c.OrphanGrace, "orphan-grace", c.OrphanGrace, "attachments never linked to a case are deleted after this")
	fs.StringVar(&c.NATSURL, "nats-url", c.NATSURL, "serve: publish events to this NATS JetStream server, nats://host:4222 (env WHISTLE_NATS_URL); off = stop publishing; empty = as before")
	fs.BoolVar(&c.WebhookAllowPrivate, "webhook-allow-private", c.WebhookAllowPrivate, "let webhooks call loopback and private network addresses (env WHISTLE_WEBHOOK_ALLOW_PRIVATE; off = SSRF guard)")
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
	if c.ReadDB != "" && (c.DB == "" || !strings.HasPrefix(c.ReadDB, "postgres://") && !strings.HasPrefix(c.ReadDB, "postgresql://")) {
		problems = append(problems, "read-db must be a postgres:// URL, beside a PostgreSQL --db")
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
	if c.UploadQuotaUser < 1 || c.UploadQuotaIP < 1 {
		problems = append(problems, "upload quotas must be ≥ 1 byte")
	}
	if c.OrphanGrace < time.Hour {
		problems = append(problems, "orphan-grace must be ≥ 1h (an upload is linked to its request within moments, a retry within minutes)")
	}
	if c.TickEvery < 100*time.Millisecond {
		problems = append(problems, "tick must be ≥ 100ms")
	}
	if c.ClassifierRetrain < 0 {
		problems = append(problems, "classifier-retrain must be ≥ 0")
	}
	if c.RetentionDays < 0 {
		problems = append(problems, "retention-days must be ≥ 0")
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
