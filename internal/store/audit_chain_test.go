package store_test

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"whistle/internal/audit"
	"whistle/internal/pgtest"
	"whistle/internal/store"
)

// appendAudit writes n entries, each in its own transaction.
func appendAudit(t *testing.T, s *store.Store, n int) {
	t.Helper()
	for i := range n {
		write(t, s, func(tx *store.Tx) error {
			return tx.Audit(ctx, audit.Entry{At: base.Add(time.Duration(i) * time.Minute), UserID: int64(i%3 + 1), Action: "case.view", Target: fmt.Sprintf("case:%d", i), Detail: fmt.Sprintf(`{"n":%d}`, i)})
		})
	}
}

func verify(t *testing.T, s *store.Store, pageSize int) store.AuditReport {
	t.Helper()
	rep, err := s.VerifyAudit(ctx, pageSize)
	if err != nil {
		t.Fatalf("VerifyAudit: %v", err)
	}
	return rep
}

func TestAuditChainHolds(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		if rep := verify(t, s, 0); rep.Break != nil || rep.Entries != 0 {
			t.Fatalf("empty log: %+v", rep)
		}
		appendAudit(t, s, 12)
		// A write that fails rolls back its entry and the head with it.
		if err := s.Write(ctx, func(tx *store.Tx) error {
			if err := tx.Audit(ctx, audit.Entry{At: base, UserID: 1, Action: "x", Target: "y"}); err != nil {
				return err
			}
			return fmt.Errorf("fail after auditing")
		}); err == nil {
			t.Fatal("failing write succeeded")
		}
		appendAudit(t, s, 3)
		for _, page := range []int{0, 1, 4, 15, 16} {
			rep := verify(t, s, page)
			if rep.Break != nil || rep.Entries != 15 || rep.HeadID != 15 || len(rep.Head) != 64 {
				t.Fatalf("page %d: %+v (%v)", page, rep, rep.Break)
			}
		}
		log, err := s.AuditLog(ctx, 0, 100)
		if err != nil || len(log) != 15 || log[0].ID != 15 || log[14].ID != 1 {
			t.Fatalf("AuditLog = %d entries, %v", len(log), err)
		}
	})
}

// TestAuditChainTamper edits the log behind the store's back in every way
// that matters and checks that VerifyAudit finds and locates it.
func TestAuditChainTamper(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sql    []string
		kind   string
		id     int64
		inText string
	}{
		{"edit detail", []string{`UPDATE audit SET detail = '{"n":99}' WHERE id = 5`}, audit.BreakHash, 5, "edited"},
		{"edit user", []string{`UPDATE audit SET user_id = 9 WHERE id = 1`}, audit.BreakHash, 1, "edited"},
		{"edit time", []string{`UPDATE audit SET at = at + 1 WHERE id = 8`}, audit.BreakHash, 8, "edited"},
		{"delete row", []string{`DELETE FROM audit WHERE id = 4`}, audit.BreakGap, 5, "deleted"},
		{"delete first", []string{`DELETE FROM audit WHERE id = 1`}, audit.BreakGap, 2, "deleted"},
		{"delete newest", []string{`DELETE FROM audit WHERE id = 8`}, audit.BreakHead, 7, "deleted"},
		{"delete newest and rewind head", []string{`DELETE FROM audit WHERE id = 8`, `UPDATE audit_head SET id = 7`}, audit.BreakHead, 7, "head"},
		{"reorder", []string{
			`UPDATE audit SET id = 100 WHERE id = 3`, `UPDATE audit SET id = 3 WHERE id = 4`, `UPDATE audit SET id = 4 WHERE id = 100`,
		}, audit.BreakLink, 3, "reordered"},
		{"change a hash", []string{`UPDATE audit SET hash = substr(hash, 2) || substr(hash, 1, 1) WHERE id = 6`}, audit.BreakHash, 6, "edited"},
		{"change a prev_hash", []string{`UPDATE audit SET prev_hash = substr(prev_hash, 2) || substr(prev_hash, 1, 1) WHERE id = 6`}, audit.BreakLink, 6, "removed"},
		{"edit and rehash", nil, audit.BreakLink, 3, "edited"}, // rehash set below
		{"insert forged", []string{`INSERT INTO audit(id, at, user_id, action, target, detail, prev_hash, hash) VALUES (9, 0, 1, 'x', 'y', '', '', '')`}, audit.BreakLink, 9, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, s *store.Store) {
				appendAudit(t, s, 8)
				if rep := verify(t, s, 3); rep.Break != nil || rep.Entries != 8 {
					t.Fatalf("before tampering: %+v", rep)
				}
				db := rawDB(t, s)
				stmts := tc.sql
				if tc.name == "edit and rehash" {
					// Whoever edits entry 2 and recomputes its hash still
					// breaks entry 3's link.
					e := audit.Entry{ID: 2}
					var at int64
					var prev string
					if err := db.QueryRowContext(ctx, "SELECT at, user_id, action, target, prev_hash FROM audit WHERE id = 2").Scan(&at, &e.UserID, &e.Action, &e.Target, &prev); err != nil {
						t.Fatal(err)
					}
					e.At, e.Detail = time.UnixMilli(at), "forged"
					stmts = []string{fmt.Sprintf("UPDATE audit SET detail = 'forged', hash = '%s' WHERE id = 2", audit.Hash(e, prev))}
				}
				for _, q := range stmts {
					if _, err := db.ExecContext(ctx, q); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
				for _, page := range []int{0, 2} {
					rep := verify(t, s, page)
					b := rep.Break
					if b == nil {
						t.Fatalf("page %d: tampering not detected: %+v", page, rep)
					}
					if b.Kind != tc.kind || b.ID != tc.id || !strings.Contains(b.Error(), tc.inText) {
						t.Fatalf("page %d: break = %+v (%v), want kind %s at %d mentioning %q", page, b, b, tc.kind, tc.id, tc.inText)
					}
				}
			})
		})
	}
}

// TestAuditChainConcurrent appends from many transactions at once; on
// PostgreSQL they run in parallel and must still form one linear chain.
func TestAuditChainConcurrent(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		const writers, each = 8, 10
		var wg sync.WaitGroup
		errc := make(chan error, writers*each)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					errc <- s.Write(ctx, func(tx *store.Tx) error {
						// Something else in the same transaction, before the entry.
						if err := tx.PutSetting(ctx, fmt.Sprintf("w%d", w), fmt.Sprint(i), base); err != nil {
							return err
						}
						return tx.Audit(ctx, audit.Entry{At: base, UserID: int64(w), Action: "w", Target: fmt.Sprint(i)})
					})
				}
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Fatal(err)
			}
		}
		rep := verify(t, s, 7)
		if rep.Break != nil || rep.Entries != writers*each || rep.HeadID != writers*each {
			t.Fatalf("after concurrent writes: %+v (%v)", rep, rep.Break)
		}
	})
}

// TestAuditChainLinksExistingEntries opens a database whose audit log was
// written before migration 0011 (ids with gaps, as a sequence leaves them):
// the store chains those entries once, at the first start, and the log
// verifies; entries after them get consecutive ids.
func TestAuditChainLinksExistingEntries(t *testing.T) {
	for _, dialect := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(dialect.String(), func(t *testing.T) {
			var dsn string
			if dialect == store.Postgres {
				dsn = pgtest.NewDatabase(t)
			} else {
				dsn = filepath.Join(t.TempDir(), "old.db")
			}
			db := openRaw(t, dialect, dsn)
			exec := func(q string) {
				t.Helper()
				if _, err := db.ExecContext(ctx, q); err != nil {
					t.Fatalf("%.60s…: %v", q, err)
				}
			}
			exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)")
			files, _ := filepath.Glob(filepath.Join("migrations", dialect.String(), "*.sql"))
			for i, f := range files {
				if filepath.Base(f) >= "0011" {
					break
				}
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				exec(string(b))
				exec(fmt.Sprintf("INSERT INTO schema_migrations VALUES (%d, '%s', 1)", i+1, filepath.Base(f)))
			}
			exec(`INSERT INTO audit(id, at, user_id, action, target, detail) VALUES (1, 1000, 1, 'bootstrap', 'city', 'x'), (2, 2000, 1, 'create_user', 'user:2', ''), (5, 3000, 2, 'reveal_citizen', 'case:1', '{}')`)
			db.Close()

			s := openStore(t, dsn)
			if rep := verify(t, s, 2); rep.Break != nil || rep.Entries != 3 || rep.HeadID != 5 {
				t.Fatalf("after migration: %+v (%v)", rep, rep.Break)
			}
			appendAudit(t, s, 2)
			if rep := verify(t, s, 2); rep.Break != nil || rep.Entries != 5 || rep.HeadID != 7 {
				t.Fatalf("after appending: %+v (%v)", rep, rep.Break)
			}
			// Reopening links nothing again.
			s.Close()
			s = openStore(t, dsn)
			if rep := verify(t, s, 0); rep.Break != nil || rep.Entries != 5 {
				t.Fatalf("after reopening: %+v (%v)", rep, rep.Break)
			}
			// A legacy entry edited after the migration is detected as well.
			if _, err := rawDB(t, s).ExecContext(ctx, "UPDATE audit SET detail = 'y' WHERE id = 1"); err != nil {
				t.Fatal(err)
			}
			if rep := verify(t, s, 0); rep.Break == nil || rep.Break.ID != 1 || rep.Break.Kind != audit.BreakHash {
				t.Fatalf("legacy edit: %+v", rep.Break)
			}
		})
	}
}

func openRaw(t *testing.T, dialect store.Dialect, dsn string) *sql.DB {
	t.Helper()
	driver, src := "sqlite", "file:"+dsn+"?_pragma=foreign_keys(1)"
	if dialect == store.Postgres {
		driver, src = "pgx", dsn
	}
	db, err := sql.Open(driver, src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
