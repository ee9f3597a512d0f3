package config

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// The web-security options come from the file, the environment and (except
// the metrics token, which must not show in ps) flags; off by default.
func TestSecurityOptions(t *testing.T) {
	c, err := Load("serve", nil, env(nil), io.Discard)
	if err != nil || c.SecureCookies || c.TrustProxy || c.MetricsToken != "" {
		t.Fatalf("defaults: %v %+v", err, c)
	}
	file := filepath.Join(t.TempDir(), "w.json")
	os.WriteFile(file, []byte(`{"secure_cookies":true,"trust_proxy":true,"metrics_token":"from-file"}`), 0o600)
	c, err = Load("serve", []string{"--config", file}, env(nil), io.Discard)
	if err != nil || !c.SecureCookies || !c.TrustProxy || c.MetricsToken != "from-file" {
		t.Fatalf("file: %v %+v", err, c)
	}
	c, err = Load("serve", []string{"--config", file}, env(map[string]string{"WHISTLE_METRICS_TOKEN": "from-env", "WHISTLE_TRUST_PROXY": "false", "WHISTLE_SECURE_COOKIES": "0"}), io.Discard)
	if err != nil || c.SecureCookies || c.TrustProxy || c.MetricsToken != "from-env" {
		t.Fatalf("env over file: %v %+v", err, c)
	}
	c, err = Load("serve", []string{"--trust-proxy", "--secure-cookies"}, env(map[string]string{"WHISTLE_TRUST_PROXY": "no"}), io.Discard)
	if err != nil || !c.SecureCookies || !c.TrustProxy {
		t.Fatalf("flags: %v %+v", err, c)
	}
	if _, err := Load("serve", []string{"--metrics-token", "x"}, env(nil), io.Discard); err == nil {
		t.Fatalf("a metrics token on the command line was accepted")
	}
}
