package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"whistle/internal/audit"
	"whistle/internal/pgtest"
	"whistle/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// whistle backup and whistle restore on both backends: the backup's JSON
// line describes the file (its SHA-256 is the file's), restore puts it into
// an empty database and verifies the audit chain, refuses a full one
// without --force and replaces it with it; a backup of a data directory
// that does not exist creates nothing.
func TestBackupRestoreCommands(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			var from, to []string
			var dsn string
			if backend == "sqlite" {
				dir := t.TempDir()
				dsn = filepath.Join(dir, "whistle.db")
				from, to = []string{"--data", dir}, []string{"--data", t.TempDir()}
			} else {
				dsn = pgtest.NewDatabase(t)
				from, to = []string{"--db", dsn}, []string{"--db", pgtest.NewDatabase(t)}
			}
			st, err := store.Open(ctx, dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 7 {
				if err := st.Write(ctx, func(tx *store.Tx) error {
					return tx.Audit(ctx, audit.Entry{At: time.UnixMilli(int64(i) * 1000), UserID: 1, Action: "login", Target: "user:1"})
				}); err != nil {
					t.Fatal(err)
				}
			}
			st.Close()

			file := filepath.Join(t.TempDir(), "b.backup")
			var out, errOut bytes.Buffer
			if err := run(ctx, append([]string{"backup", "--out", file}, from...), &out, &errOut); err != nil {
				t.Fatalf("backup: %v %s", err, errOut.String())
			}
			var info store.BackupInfo
			if err := json.Unmarshal(out.Bytes(), &info); err != nil {
				t.Fatalf("backup output %q: %v", out.String(), err)
			}
			st2, err := os.Stat(file)
			if err != nil || info.Bytes != st2.Size() || info.Rows["audit"] != 7 || info.Tables < 10 || info.Version == 0 {
				t.Fatalf("backup %+v (%v)", info, err)
			}

			restore := func(extra ...string) (store.RestoreInfo, error) {
				var out, errOut bytes.Buffer
				err := run(ctx, append(append([]string{"restore", file}, extra...), to...), &out, &errOut)
				var ri store.RestoreInfo
				if err == nil {
					if e := json.Unmarshal(out.Bytes(), &ri); e != nil {
						t.Fatalf("restore output %q: %v", out.String(), e)
					}
				}
				return ri, err
			}
			ri, err := restore()
			if err != nil || ri.AuditEntries != 7 || ri.Rows["audit"] != 7 || ri.BackupVersion != info.Version {
				t.Fatalf("restore: %+v %v", ri, err)
			}
			if _, err := restore(); !errors.Is(err, store.ErrNotEmpty) {
				t.Fatalf("restore over a full database: %v", err)
			}
			if ri, err := restore("--force"); err != nil || ri.AuditEntries != 7 {
				t.Fatalf("restore --force: %+v %v", ri, err)
			}
		})
	}
	missing := filepath.Join(t.TempDir(), "none")
	if err := run(context.Background(), []string{"backup", "--data", missing, "--out", filepath.Join(t.TempDir(), "x")}, new(bytes.Buffer), new(bytes.Buffer)); err == nil {
		t.Fatal("backing up a missing data directory succeeded")
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatal("the backup created a data directory")
	}
	if err := run(context.Background(), []string{"restore", "--data", t.TempDir()}, new(bytes.Buffer), new(bytes.Buffer)); err == nil || !strings.Contains(err.Error(), "which backup") {
		t.Fatalf("restore without a file: %v", err)
	}
}
