package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"whistle/internal/core"
	"whistle/internal/georeport"
	"whistle/internal/store"
)

// TestApikeyCreate: 'whistle apikey create' prints the new key and nothing
// else on stdout; the key is accepted, only its hash is stored, and the
// creation is audited; without --name it fails.
func TestApikeyCreate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "whistle.db"), store.Options{SQLiteSync: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"apikey", "create", "--name", "fixmystreet", "--data", dir}, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	if !regexp.MustCompile(`^w311_[0-9a-f]{48}\n$`).MatchString(out.String()) {
		t.Fatalf("stdout %q: want the key and nothing else", out.String())
	}
	key := strings.TrimSpace(out.String())
	st, err = store.Open(ctx, filepath.Join(dir, "whistle.db"), store.Options{SQLiteSync: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := core.New(ctx, st, core.Config{PhoneKey: []byte("k")})
	if err != nil {
		t.Fatal(err)
	}
	k, err := georeport.New(c, nil).Key(ctx, key)
	if err != nil || k.Name != "fixmystreet" {
		t.Fatalf("key not accepted: %+v %v", k, err)
	}
	if _, err := georeport.New(c, nil).Key(ctx, key+"0"); err == nil {
		t.Fatal("a wrong key accepted")
	}
	entries, err := st.AuditLog(ctx, 0, 10)
	if err != nil || len(entries) == 0 || entries[0].Action != "open311_key_create" {
		t.Fatalf("audit: %v %v", entries, err)
	}
	if strings.Contains(entries[0].Detail, key) {
		t.Fatal("the audit log holds the key")
	}
	out.Reset()
	if err := run(ctx, []string{"apikey", "create", "--data", dir}, &out, &errOut); err == nil || out.Len() != 0 {
		t.Fatalf("without --name: %v, stdout %q", err, out.String())
	}
}
