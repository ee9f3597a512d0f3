package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"whistle/internal/lifecycle"
	"whistle/internal/store"
)

// 'whistle attachments gc' deletes the attachments never linked to a case
// that are older than the grace period, rows and files, and keeps a file
// another attachment still uses.
func TestAttachmentsGCCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "whistle.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	put := func(sum string, age time.Duration) lifecycle.Attachment {
		t.Helper()
		rel := filepath.Join(sum[:2], sum)
		p := filepath.Join(dir, "attachments", rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("bytes of "+sum), 0o640); err != nil {
			t.Fatal(err)
		}
		a := lifecycle.Attachment{Name: "x.jpg", ContentType: "image/jpeg", Size: 100, SHA256: sum, Storage: "disk:" + rel, CreatedAt: now.Add(-age)}
		if err := st.Write(ctx, func(tx *store.Tx) error { return tx.InsertAttachment(ctx, &a, nil) }); err != nil {
			t.Fatal(err)
		}
		return a
	}
	old := put(strings.Repeat("a", 64), 50*time.Hour)
	fresh := put(strings.Repeat("b", 64), time.Hour)
	shared := put(strings.Repeat("b", 64), 50*time.Hour) // old, but its file is the fresh one's too
	st.Close()

	var out bytes.Buffer
	if err := run(ctx, []string{"attachments", "gc", "--data", dir}, &out, new(bytes.Buffer)); err != nil {
		t.Fatalf("gc: %v (%s)", err, out.String())
	}
	if !strings.HasPrefix(out.String(), "deleted 2 orphan attachments (200 bytes)") {
		t.Fatalf("output %q", out.String())
	}
	exists := func(a lifecycle.Attachment) bool {
		_, err := os.Stat(filepath.Join(dir, "attachments", strings.TrimPrefix(a.Storage, "disk:")))
		return err == nil
	}
	if exists(old) || !exists(fresh) || !exists(shared) {
		t.Fatalf("files: old %v, fresh %v (want false, true)", exists(old), exists(fresh))
	}
	st, err = store.Open(ctx, filepath.Join(dir, "whistle.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, c := range []struct {
		a    lifecycle.Attachment
		kept bool
	}{{old, false}, {fresh, true}, {shared, false}} {
		if _, _, err := st.GetAttachment(ctx, c.a.ID); (err == nil) != c.kept {
			t.Errorf("attachment %d: kept %v, want %v", c.a.ID, err == nil, c.kept)
		}
	}
	if err := run(ctx, []string{"attachments", "gc", "--data", filepath.Join(dir, "none")}, new(bytes.Buffer), new(bytes.Buffer)); err == nil {
		t.Fatal("collecting in a missing data directory succeeded")
	}
}
