package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "w.json")
	os.WriteFile(file, []byte(`{"addr":"127.0.0.1:1111","data":"fromfile","reopen_limit":5,"timezone":"Asia/Urumqi"}`), 0o600)
	c, err := Load("serve", []string{"--config", file, "--addr", "127.0.0.1:3333"}, env(map[string]string{"WHISTLE_DATA": "fromenv", "WHISTLE_ADDR": "127.0.0.1:2222"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:3333" || c.Data != "fromenv" || c.ReopenLimit != 5 || c.Timezone != "Asia/Urumqi" {
		t.Fatalf("precedence wrong: %+v", c)
	}
	if c.DSN() != filepath.Join("fromenv", "whistle.db") {
		t.Fatalf("DSN %q", c.DSN())
	}
	c, err = Load("serve", nil, env(map[string]string{"WHISTLE_DB": "postgres://x@127.0.0.1/db"}), io.Discard)
	if err != nil || c.DSN() != "postgres://x@127.0.0.1/db" {
		t.Fatalf("env db: %v %q", err, c.DSN())
	}
	if c.Location().String() != "Asia/Shanghai" || c.TickEvery != 5*time.Second {
		t.Fatalf("defaults: %v %v", c.Location(), c.TickEvery)
	}
}

func TestInvalid(t *testing.T) {
	cases := map[string][]string{
		"tz":          {"--tz", "Mars/Olympus"},
		"sqlite-sync": {"--sqlite-sync", "off"},
		"attachments": {"--attachments", "s3"},
		"db":          {"--db", "mysql://x"},
		"demo-end":    {"--demo-end", "yesterday"},
		"tick":        {"--tick", "1ms"},
		"unexpected":  {"extra"},
	}
	for want, args := range cases {
		_, err := Load("serve", args, env(nil), io.Discard)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: error %v, want mention of %q", args, err, want)
		}
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"adr":"typo"}`), 0o600)
	if _, err := Load("serve", []string{"--config=" + bad}, env(nil), io.Discard); err == nil || !strings.Contains(err.Error(), "adr") {
		t.Errorf("unknown config key accepted: %v", err)
	}
	if _, err := Load("serve", []string{"--config", filepath.Join(dir, "missing.json")}, env(nil), io.Discard); err == nil {
		t.Error("missing config file accepted")
	}
}

func TestUploadOptions(t *testing.T) {
	c, err := Load("serve", nil, env(nil), io.Discard)
	if err != nil || c.UploadQuotaUser != 200<<20 || c.UploadQuotaIP != 60<<20 || c.OrphanGrace != 24*time.Hour {
		t.Fatalf("defaults: %v %+v", err, c)
	}
	c, err = Load("serve", []string{"--upload-quota-user", "1000", "--upload-quota-ip", "500", "--orphan-grace", "48h"}, env(nil), io.Discard)
	if err != nil || c.UploadQuotaUser != 1000 || c.UploadQuotaIP != 500 || c.OrphanGrace != 48*time.Hour {
		t.Fatalf("flags: %v %+v", err, c)
	}
	for _, args := range [][]string{{"--upload-quota-ip", "0"}, {"--orphan-grace", "1m"}} {
		if _, err := Load("serve", args, env(nil), io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

// --read-db names a PostgreSQL replica, and only beside a PostgreSQL --db.
func TestReadDB(t *testing.T) {
	for _, tc := range []struct {
		args []string
		ok   bool
	}{
		{[]string{"--db=postgres://x@127.0.0.1/db", "--read-db=postgres://x@127.0.0.2/db"}, true},
		{[]string{"--read-db=postgres://x@127.0.0.2/db"}, false},
		{[]string{"--db=postgres://x@127.0.0.1/db", "--read-db=/tmp/replica.db"}, false},
	} {
		c, err := Load("serve", tc.args, env(nil), io.Discard)
		if (err == nil) != tc.ok {
			t.Errorf("%v: %v", tc.args, err)
		}
		if tc.ok && c.ReadDB != "postgres://x@127.0.0.2/db" {
			t.Errorf("%v: read db %q", tc.args, c.ReadDB)
		}
	}
	c, err := Load("serve", []string{"--db=postgres://x@127.0.0.1/db"}, env(map[string]string{"WHISTLE_READ_DB": "postgres://r@127.0.0.3/db"}), io.Discard)
	if err != nil || c.ReadDB != "postgres://r@127.0.0.3/db" {
		t.Errorf("WHISTLE_READ_DB: %q %v", c.ReadDB, err)
	}
}
