package store_test

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"whistle/internal/assessment"
	"whistle/internal/pgtest"
	"whistle/internal/store"
)

// BenchmarkAssessMonth recomputes one month for 400 units: the counts of
// the month and of the month before (for the month-on-month change), then
// scores and ranks. The worst case: every one of WHISTLE_BENCH_CASES cases
// (default 2,000,000) has its order and its callback in the measured month,
// and 2,000 of them are exempted. The facts tables are filled directly (the
// computation reads nothing else). SQLite, or PostgreSQL with
// WHISTLE_BENCH_PG=1.
func BenchmarkAssessMonth(b *testing.B) {
	n := 2000000
	if v := os.Getenv("WHISTLE_BENCH_CASES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("WHISTLE_BENCH_CASES=%q", v)
		}
	}
	dsn := filepath.Join(b.TempDir(), "bench.db")
	if os.Getenv("WHISTLE_BENCH_PG") == "1" {
		dsn = pgtest.NewDatabase(b)
	}
	s := openStore(b, dsn)
	db := rawDB(b, s)
	loc := time.FixedZone("CST", 8*3600)
	month, err := assessment.Month("2026-03", loc)
	if err != nil {
		b.Fatal(err)
	}
	from, span := month.From.UnixMilli(), month.To.UnixMilli()-month.From.UnixMilli()-30*3600*1000
	start := time.Now()
	// Deterministic spread: 400 units; sign 0–3 h after dispatch (limit 2 h),
	// contact 0–28 h (limit 24 h), 2% overdue, 1% returned; 80% resolved;
	// satisfied / fairly / unsatisfied by x mod 7.
	gen := "WITH RECURSIVE seq(x) AS (SELECT CAST(1 AS BIGINT) UNION ALL SELECT x + 1 FROM seq WHERE x < " + strconv.Itoa(n) + ") "
	// Facts are appended as events happen, so ids follow time.
	d := "(" + strconv.FormatInt(from, 10) + " + x * " + strconv.FormatInt(span/int64(n), 10) + ")"
	stmts := []string{
		"INSERT INTO places(id, level, code, name) VALUES (1, 'city', 'bench', 'bench')",
		"WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < 400) INSERT INTO units(id, code, name, kind, place_id) SELECT x, 'u' || x, 'unit', 'street', 1 FROM seq",
		gen + "INSERT INTO assess_orders(case_id, unit_id, dispatched_at, sign_by, signed_at, contacted_at, contact_waived, returned, overdue) " +
			"SELECT x, 1 + x % 400, " + d + ", " + d + " + 7200000, " + d + " + (x * 7919) % 10800000, " + d + " + (x * 104729) % 100800000, 0, " +
			"CASE WHEN x % 100 = 0 THEN 1 ELSE 0 END, CASE WHEN x % 50 = 1 THEN 1 ELSE 0 END FROM seq",
		gen + "INSERT INTO assess_callbacks(case_id, unit_id, at, resolved, satisfaction) " +
			"SELECT x, 1 + x % 400, " + d + " + 86400000, CASE WHEN x % 10 < 8 THEN 1 ELSE 0 END, " +
			"CASE WHEN x % 7 < 5 THEN 'satisfied' WHEN x % 7 = 5 THEN 'fairly_satisfied' ELSE 'unsatisfied' END FROM seq",
		"INSERT INTO assess_exemptions(case_id, unit_id, reason, evidence, state, requested_by, requested_at) " +
			"SELECT case_id, unit_id, 'duplicate', 'bench', 'approved', 1, 0 FROM assess_orders WHERE case_id % 1000 = 7",
	}
	if s.Dialect() == store.Postgres {
		stmts = append(stmts, "VACUUM ANALYZE assess_orders", "VACUUM ANALYZE assess_callbacks", "ANALYZE assess_exemptions", "ANALYZE units")
	} else {
		stmts = append(stmts, "ANALYZE")
	}
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			b.Fatalf("%s: %v", q[:60], err)
		}
	}
	b.Logf("%s: loaded %d orders and callbacks in %v", s.Dialect(), n, time.Since(start).Round(time.Millisecond))
	rules := assessment.DefaultRules()
	contact := time.Duration(rules.ContactMinutes) * time.Minute
	var orders int64
	b.ResetTimer()
	for b.Loop() {
		cur, err := s.AssessCounts(ctx, month.From, month.To, contact)
		if err != nil {
			b.Fatal(err)
		}
		prevMonth := month.Previous()
		prev, err := s.AssessCounts(ctx, prevMonth.From, prevMonth.To, contact)
		if err != nil {
			b.Fatal(err)
		}
		var ss, ps []assessment.Score
		orders = 0
		for u := int64(1); u <= 400; u++ {
			var c, p assessment.Counts
			if x := cur[u]; x != nil {
				c = *x
			}
			if x := prev[u]; x != nil {
				p = *x
			}
			orders += c.Orders
			ss = append(ss, assessment.Compute(c, rules, "street"))
			ps = append(ps, assessment.Compute(p, rules, "street"))
		}
		assessment.Rank(ss)
		assessment.Rank(ps)
		assessment.Compare(ss, ps)
	}
	b.ReportMetric(float64(orders), "orders")
}
