package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRetentionDays: three years by default, from the file or the flag, 0
// disables, negative is refused.
func TestRetentionDays(t *testing.T) {
	c, err := Load("serve", nil, env(nil), io.Discard)
	if err != nil || c.RetentionDays != 1095 {
		t.Fatalf("default retention %d, %v; want 1095", c.RetentionDays, err)
	}
	file := filepath.Join(t.TempDir(), "w.json")
	os.WriteFile(file, []byte(`{"retention_days":30}`), 0o600)
	if c, err = Load("serve", []string{"--config", file}, env(nil), io.Discard); err != nil || c.RetentionDays != 30 {
		t.Fatalf("file: %d, %v", c.RetentionDays, err)
	}
	if c, err = Load("serve", []string{"--config", file, "--retention-days", "0"}, env(nil), io.Discard); err != nil || c.RetentionDays != 0 {
		t.Fatalf("flag 0: %d, %v", c.RetentionDays, err)
	}
	if _, err = Load("serve", []string{"--retention-days", "-1"}, env(nil), io.Discard); err == nil || !strings.Contains(err.Error(), "retention-days") {
		t.Fatalf("negative accepted: %v", err)
	}
}
