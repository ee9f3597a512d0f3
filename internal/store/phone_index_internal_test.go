package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/pgtest"
)

// recorder passes queries on and remembers the last one with its arguments,
// so a test can EXPLAIN exactly what a store method runs.
type recorder struct {
	querier
	sql  string
	args []any
}

func (r *recorder) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	r.sql, r.args = q, args
	return r.querier.QueryContext(ctx, q, args...)
}

func (r *recorder) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	r.sql, r.args = q, args
	return r.querier.QueryRowContext(ctx, q, args...)
}

// phoneCases loads n cases, a few per phone hash ("ph<k>"), over a year.
func phoneCases(t testing.TB, s *Store, n int) {
	t.Helper()
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for lo := 0; lo < n; lo += 5000 {
		if err := s.Write(ctx, func(tx *Tx) error {
			for i := lo; i < min(lo+5000, n); i++ {
				at := base.Add(-time.Duration(i%8760) * time.Hour)
				hash := ""
				if i%10 != 0 { // one in ten anonymous
					hash = "ph" + strconv.Itoa(i%(n/3+1))
				}
				c := &lifecycle.Case{Number: fmt.Sprintf("P%08d", i), Channel: "hotline", Type: "complaint", Category: "urban.stall", Urgency: "general",
					Title: "占道经营", Description: "门口摆摊", Location: lifecycle.Location{DistrictID: int64(1 + i%16), GridID: int64(1 + i%3000)},
					Citizen: lifecycle.Citizen{PhoneHash: hash}, LeadUnitID: int64(1 + i%400), State: lifecycle.Received,
					CreatedAt: at, UpdatedAt: at, Version: 1}
				if err := tx.InsertCase(ctx, c); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	analyze := "ANALYZE"
	if s.dialect == Postgres {
		analyze = "VACUUM ANALYZE cases" // and the visibility map, as autovacuum would
	}
	if _, err := s.writeDB.ExecContext(ctx, analyze); err != nil {
		t.Fatal(err)
	}
}

// phoneQueries runs the phone look-ups as the services do — the case list
// by phone (GET /api/v1/cases?phone=, the agent's caller history) and the
// repeat count — each through rec, and returns what they ran.
func phoneQueries(t testing.TB, s *Store, rec *recorder) map[string]*recorder {
	t.Helper()
	ctx := context.Background()
	q := s.Queries
	out := map[string]*recorder{}
	run := func(name string, fn func(q Queries) error) {
		r := &recorder{querier: rec.querier}
		q.q = r
		if err := fn(q); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = r
	}
	run("list by phone", func(q Queries) error {
		_, err := q.Cases(ctx, org.Scope{All: true}, lifecycle.CaseFilter{PhoneHash: "ph7", Limit: 10})
		return err
	})
	run("list by phone in a district", func(q Queries) error {
		_, err := q.Cases(ctx, org.Scope{DistrictID: 3}, lifecycle.CaseFilter{PhoneHash: "ph7", Limit: 10})
		return err
	})
	run("repeat by phone", func(q Queries) error {
		_, _, err := q.RepeatCounts(ctx, "ph7", 0, 0, 0, "", time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC))
		return err
	})
	return out
}

func openPhoneStore(t testing.TB, backend string) *Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "w.db")
	if backend == "postgres" {
		path = pgtest.NewDatabase(t)
	}
	return openPhoneDSN(t, path)
}

func openPhoneDSN(t testing.TB, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestPhoneLookupsUseIndex: the phone look-ups, with their parameters bound
// as in production (so the planner cannot see that the hash is not empty),
// are answered from the phone index on both backends. PostgreSQL plans them
// generically, as it does for prepared statements, and with sequential
// scans allowed. Before 0012 the only phone index was partial (WHERE
// phone_hash <> ”), which a parameterised "phone_hash = ?" does not imply:
// every look-up scanned the cases table.
func TestPhoneLookupsUseIndex(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			s := openPhoneStore(t, backend)
			phoneCases(t, s, 6000)
			conn, err := s.readDB.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			for name, r := range phoneQueries(t, s, &recorder{querier: s.readDB}) {
				var plan []string
				if s.dialect == Postgres {
					if _, err := conn.ExecContext(ctx, "SET plan_cache_mode = force_generic_plan"); err != nil {
						t.Fatal(err)
					}
					conn.ExecContext(ctx, "DEALLOCATE ALL")
					if _, err := conn.ExecContext(ctx, "PREPARE p AS "+r.sql); err != nil {
						t.Fatalf("%s: %v", r.sql, err)
					}
					marks := make([]string, len(r.args))
					for i, a := range r.args {
						marks[i] = fmt.Sprintf("'%v'", a)
					}
					plan = explain(t, conn, "EXPLAIN EXECUTE p("+strings.Join(marks, ",")+")")
				} else {
					plan = explain(t, conn, "EXPLAIN QUERY PLAN "+r.sql, r.args...)
				}
				text := strings.Join(plan, "\n")
				t.Logf("%s:\n%s", name, text)
				if !strings.Contains(text, "cases_phone_hash") {
					t.Errorf("%s does not use the phone index:\n%s\n%s", name, r.sql, text)
				}
			}
		})
	}
}

func explain(t testing.TB, conn *sql.Conn, q string, args ...any) []string {
	t.Helper()
	rows, err := conn.QueryContext(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var plan []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, fmt.Sprint(vals[len(vals)-1]))
	}
	return plan
}

// BenchmarkPhoneLookup measures the phone look-ups over WHISTLE_BENCH_CASES
// cases (default 62000) on SQLite, or PostgreSQL with WHISTLE_BENCH_PG=1:
// "0001" with the partial index that was there before (put back for the
// comparison), then "0012" with the index of migration 0012. Each run is
// three look-ups: the list by phone, the list by phone in a district and
// the repeat count.
//
//	go test ./internal/store/ -run '^$' -bench BenchmarkPhoneLookup -benchtime 200x
func BenchmarkPhoneLookup(b *testing.B) {
	n := 62000
	if v := os.Getenv("WHISTLE_BENCH_CASES"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	backend := "sqlite"
	if os.Getenv("WHISTLE_BENCH_PG") == "1" {
		backend = "postgres"
	}
	dsn := filepath.Join(b.TempDir(), "w.db")
	if backend == "postgres" {
		dsn = pgtest.NewDatabase(b)
	}
	s := openPhoneDSN(b, dsn)
	phoneCases(b, s, n)
	s.Close()
	ctx := context.Background()
	analyze := "ANALYZE"
	if backend == "postgres" {
		analyze = "VACUUM ANALYZE cases"
	}
	// Each variant gets its indexes, then a fresh store (no statement
	// prepared against the other's), warmed up.
	variant := func(name string, ddl ...string) {
		s := openPhoneDSN(b, dsn)
		for _, q := range append(ddl, analyze) {
			if _, err := s.writeDB.ExecContext(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
		s.Close()
		s = openPhoneDSN(b, dsn)
		defer s.Close()
		for range 20 {
			phoneQueries(b, s, &recorder{querier: s.readDB})
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				phoneQueries(b, s, &recorder{querier: s.readDB})
			}
		})
	}
	variant("0001", "DROP INDEX cases_phone_hash", "CREATE INDEX cases_phone ON cases(phone_hash, created_at) WHERE phone_hash <> ''")
	variant("0012", "DROP INDEX cases_phone", "CREATE INDEX cases_phone_hash ON cases(phone_hash, created_at, id)")
}

// TestResealCheckUsesIndex: the re-sealer's idle check (every minute) reads
// the seal index, not the table.
func TestResealCheckUsesIndex(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			s := openPhoneStore(t, backend)
			phoneCases(t, s, 3000)
			// Steady state: every row under the primary.
			for _, q := range []string{"UPDATE cases SET seal_key = 'k1'", "ANALYZE"} {
				if _, err := s.writeDB.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			conn, err := s.readDB.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			q := s.sql("SELECT 1 FROM cases WHERE seal_key < ? OR seal_key > ? LIMIT 1")
			var plan []string
			if s.dialect == Postgres {
				plan = explain(t, conn, "EXPLAIN "+strings.ReplaceAll(strings.ReplaceAll(q, "$1", "'k1'"), "$2", "'k1'"))
			} else {
				plan = explain(t, conn, "EXPLAIN QUERY PLAN "+q, "k1", "k1")
			}
			if text := strings.Join(plan, "\n"); !strings.Contains(text, "cases_seal") {
				t.Errorf("the re-sealer's check scans:\n%s", text)
			}
		})
	}
}

// TestOpenCountsUseCoveringIndex: the dashboard's open and overdue counts,
// city-wide and in a district, read indexes alone on both backends (the
// overdue count the partial index of 0025), never the cases' rows.
func TestOpenCountsUseCoveringIndex(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			s := openPhoneStore(t, backend)
			phoneCases(t, s, 6000)
			conn, err := s.readDB.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			for _, district := range []int64{0, 3} {
				r := &recorder{querier: s.readDB}
				q := s.Queries
				q.q = r
				open, _, err := q.OpenCounts(ctx, district)
				if err != nil {
					t.Fatal(err)
				}
				if open == 0 {
					t.Fatalf("district %d: no open cases counted", district)
				}
				var plan []string
				if s.dialect == Postgres {
					conn.ExecContext(ctx, "SET enable_seqscan = off") // the test table is small; production's is not
					plan = explain(t, conn, "EXPLAIN "+r.sql, r.args...)
				} else {
					plan = explain(t, conn, "EXPLAIN QUERY PLAN "+r.sql, r.args...)
				}
				text := strings.Join(plan, "\n")
				if !strings.Contains(text, "cases_open_overdue") || (s.dialect == SQLite && strings.Count(text, "COVERING INDEX") < 2) ||
					(s.dialect == Postgres && strings.Count(text, "Index Only Scan") < 2) {
					t.Errorf("district %d: %s\n%s", district, r.sql, text)
				}
			}
		})
	}
}

// BenchmarkOpenCounts times the dashboard's open and overdue counts over
// WHISTLE_BENCH_CASES open cases (default 100 000, about a week of open
// orders at 10 million requests a year and a half) on SQLite: "0025" with
// the covering index, then "before" with it dropped, as it was.
//
//	go test ./internal/store/ -run '^$' -bench BenchmarkOpenCounts -benchtime 20x
func BenchmarkOpenCounts(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("WHISTLE_BENCH_CASES")); err == nil && v > 0 {
		n = v
	}
	s := openPhoneStore(b, "sqlite")
	phoneCases(b, s, n)
	ctx := context.Background()
	run := func(b *testing.B) {
		for b.Loop() {
			for _, d := range []int64{0, 3} {
				if _, _, err := s.OpenCounts(ctx, d); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.Run("0025", run)
	if _, err := s.writeDB.ExecContext(ctx, "DROP INDEX cases_open_overdue"); err != nil {
		b.Fatal(err)
	}
	b.Run("before", run)
}
