package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"whistle/internal/audit"
	"whistle/internal/store"
)

func TestAuditVerifyCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dsn := filepath.Join(dir, "whistle.db")
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := st.Write(ctx, func(tx *store.Tx) error {
			return tx.Audit(ctx, audit.Entry{At: time.UnixMilli(int64(i) * 1000), UserID: 1, Action: "login", Target: "user:1"})
		}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	verify := func() (string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, []string{"audit", "verify", "--data", dir, "--page", "2"}, &out, &errOut)
		return out.String(), err
	}
	if out, err := verify(); err != nil || !strings.HasPrefix(out, "ok: 5 entries") {
		t.Fatalf("intact: %q, %v", out, err)
	}
	db, err := sql.Open("sqlite", "file:"+dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "DELETE FROM audit WHERE id = 3"); err != nil {
		t.Fatal(err)
	}
	out, err := verify()
	if !errors.Is(err, errChainBroken) || !strings.Contains(out, "entry 4: expected id 3 next, found 4 (entries deleted)") {
		t.Fatalf("after a deletion: %q, %v", out, err)
	}
	if err := run(ctx, []string{"audit", "verify", "--data", filepath.Join(dir, "none")}, new(bytes.Buffer), new(bytes.Buffer)); err == nil {
		t.Fatal("verifying a missing data directory succeeded")
	}
}
