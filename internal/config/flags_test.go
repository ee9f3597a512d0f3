package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAddFlags: the configuration's flags on a command's own FlagSet keep
// Load's order (defaults, file, environment, flags given), beside the
// command's flags, in both --x=v and --x v forms.
func TestAddFlags(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "w.json")
	os.WriteFile(file, []byte(`{"addr":"127.0.0.1:1111","data":"fromfile","reopen_limit":5,"timezone":"Asia/Urumqi","tick_every":2000000000}`), 0o600)
	fs := flag.NewFlagSet("cmd", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	own := fs.String("own", "", "the command's own flag")
	f := AddFlags(fs, env(map[string]string{"WHISTLE_DATA": "fromenv", "WHISTLE_ADDR": "127.0.0.1:2222", "WHISTLE_CONFIG": filepath.Join(dir, "not-this.json")}))
	if err := fs.Parse([]string{"--config", file, "--addr=127.0.0.1:3333", "--own", "x", "--secure-cookies", "--orphan-grace", "2h"}); err != nil {
		t.Fatal(err)
	}
	c, err := f.Load()
	if err != nil {
		t.Fatal(err)
	}
	if *own != "x" || c.Addr != "127.0.0.1:3333" || c.Data != "fromenv" || c.ReopenLimit != 5 || c.Timezone != "Asia/Urumqi" ||
		c.TickEvery != 2*time.Second || !c.SecureCookies || c.OrphanGrace != 2*time.Hour || c.RetentionDays != 1095 {
		t.Fatalf("precedence wrong: own %q, %+v", *own, c)
	}

	fs = flag.NewFlagSet("cmd", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f = AddFlags(fs, env(map[string]string{"WHISTLE_CONFIG": filepath.Join(dir, "missing.json")}))
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Load(); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("WHISTLE_CONFIG of a missing file: %v", err)
	}

	fs = flag.NewFlagSet("cmd", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f = AddFlags(fs, env(nil))
	if err := fs.Parse([]string{"--tick", "1ms"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Load(); err == nil || !strings.Contains(err.Error(), "tick") {
		t.Errorf("--tick 1ms: %v, want it refused", err)
	}
}
