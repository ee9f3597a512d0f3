package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"whistle/internal/app"
	"whistle/internal/auth"
	"whistle/internal/config"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
)

// TestKeysCommand: a database from before sealing (phone-hash key in its
// settings, a case in clear) is opened by the application: the key file is
// made beside the database (0600) with the old phone-hash key, which leaves
// the database; the re-sealer seals the case; 'whistle keys rotate' adds k2,
// the re-sealer moves every case to it, 'whistle keys status' shows the
// progress and 'whistle keys drop k1' removes the unused key.
func TestKeysCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	old, err := store.Open(ctx, filepath.Join(dir, "whistle.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	c := &lifecycle.Case{Number: "2026030100001", Channel: "phone", Type: "complaint", Category: "urban.stall", Urgency: "general",
		Title: "占道经营", Description: "请回电 13912345678", Location: lifecycle.Location{Address: "幸福路8号"},
		Citizen: lifecycle.Citizen{Name: "张三", Phone: "13912345678", PhoneHash: "ph1"}, State: lifecycle.Received,
		CreatedAt: at, UpdatedAt: at, Version: 1}
	if err := old.Write(ctx, func(tx *store.Tx) error {
		if err := tx.PutSetting(ctx, "phone_key", "legacy-phone-key", at); err != nil {
			return err
		}
		return tx.InsertCase(ctx, c)
	}); err != nil {
		t.Fatal(err)
	}
	old.Close()

	cfg := config.Defaults()
	cfg.Data, cfg.FastHash, cfg.SQLiteSync = dir, true, "normal"
	a, err := app.Open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, config.DefaultKeyFile)
	fi, err := os.Stat(keyFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	if a.Keys.File.PhoneKey != "legacy-phone-key" || a.Svc.PhoneHash("13912345678") != hashWith("legacy-phone-key", a) {
		t.Errorf("phone-hash key not carried over: %q", a.Keys.File.PhoneKey)
	}
	if v, err := a.Store.Setting(ctx, "phone_key"); err != nil || v != "" {
		t.Errorf("phone-hash key still in the database: %q %v", v, err)
	}
	status := func() string {
		t.Helper()
		var out bytes.Buffer
		if err := run(ctx, []string{"keys", "status", "--data", dir}, &out, new(bytes.Buffer)); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	if s := status(); !strings.Contains(s, "(clear, from before sealing): 1 cases") || !strings.Contains(s, "1 left") {
		t.Errorf("status before the re-sealer:\n%s", s)
	}
	rs := &store.Resealer{St: a.Store, Reload: a.Keys.Reload}
	pass := func(want int) {
		t.Helper()
		if err := rs.Reload(); err != nil {
			t.Fatal(err)
		}
		if n, err := rs.Pass(ctx); err != nil || n != want {
			t.Fatalf("pass re-sealed %d, want %d: %v", n, want, err)
		}
	}
	pass(1)
	if s := status(); !strings.Contains(s, "k1: 1 cases") || !strings.Contains(s, "0 left") {
		t.Errorf("status after the re-sealer:\n%s", s)
	}

	var out bytes.Buffer
	if err := run(ctx, []string{"keys", "rotate", "--data", dir}, &out, new(bytes.Buffer)); err != nil || !strings.Contains(out.String(), "new primary key k2") {
		t.Fatalf("rotate: %q %v", out.String(), err)
	}
	if err := run(ctx, []string{"keys", "drop", "k1", "--data", dir}, new(bytes.Buffer), new(bytes.Buffer)); err == nil {
		t.Error("dropped a key a case is still sealed under")
	}
	pass(1) // the running server re-reads the key file and re-seals
	if s := status(); !strings.Contains(s, "k2: 1 cases") || !strings.Contains(s, "key k1 seals no case any more") {
		t.Errorf("status after rotation:\n%s", s)
	}
	got, err := a.Store.Case(ctx, c.ID, org.Scope{All: true})
	if err != nil || got.Citizen.Phone != c.Citizen.Phone || got.Description != c.Description || got.Location.Address != c.Location.Address {
		t.Errorf("after rotation the case reads %+v %v", got, err)
	}
	a.Close()
	if err := run(ctx, []string{"keys", "drop", "k1", "--data", dir}, new(bytes.Buffer), new(bytes.Buffer)); err != nil {
		t.Errorf("drop k1: %v", err)
	}
	if err := run(ctx, []string{"keys", "drop", "k2", "--data", dir}, new(bytes.Buffer), new(bytes.Buffer)); err == nil {
		t.Error("dropped the primary key")
	}
	b, _ := os.ReadFile(keyFile)
	if strings.Contains(string(b), `"k1"`) || !strings.Contains(string(b), `"k2"`) {
		t.Errorf("key file after drop:\n%s", b)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "whistle.db"))
	if bytes.Contains(raw, []byte("13912345678")) {
		t.Error("the database file holds the phone number in clear")
	}
}

func hashWith(key string, a *app.App) string {
	_ = a
	return auth.NewPhoneHasher([]byte(key)).Hash("13912345678")
}
