package config

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestEventsOptions: the NATS URL and the webhook SSRF switch come from the
// file, the environment and flags; none and off by default.
func TestEventsOptions(t *testing.T) {
	c, err := Load("serve", nil, env(nil), io.Discard)
	if err != nil || c.NATSURL != "" || c.WebhookAllowPrivate {
		t.Fatalf("defaults: %v %+v", err, c)
	}
	file := filepath.Join(t.TempDir(), "w.json")
	os.WriteFile(file, []byte(`{"nats_url":"nats://bus:4222","webhook_allow_private":true}`), 0o600)
	c, err = Load("serve", []string{"--config", file}, env(nil), io.Discard)
	if err != nil || c.NATSURL != "nats://bus:4222" || !c.WebhookAllowPrivate {
		t.Fatalf("file: %v %+v", err, c)
	}
	c, err = Load("serve", []string{"--config", file}, env(map[string]string{"WHISTLE_NATS_URL": "nats://env:4222", "WHISTLE_WEBHOOK_ALLOW_PRIVATE": "0"}), io.Discard)
	if err != nil || c.NATSURL != "nats://env:4222" || c.WebhookAllowPrivate {
		t.Fatalf("env over file: %v %+v", err, c)
	}
	c, err = Load("serve", []string{"--nats-url", "nats://flag:4222", "--webhook-allow-private"}, env(map[string]string{"WHISTLE_NATS_URL": "nats://env:4222"}), io.Discard)
	if err != nil || c.NATSURL != "nats://flag:4222" || !c.WebhookAllowPrivate {
		t.Fatalf("flags: %v %+v", err, c)
	}
}
