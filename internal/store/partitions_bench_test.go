package store_test

import (
	"database/sql"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"whistle/internal/pgtest"
	"whistle/internal/store"
)

// BenchmarkPartitions measures the monthly partitions on PostgreSQL
// (issue #14, migration 0033) on one database: WHISTLE_BENCH_CASES cases
// (default 200,000) over two years, three events each and their daily
// rollups, loaded at the schema before 0033; the analysis', dashboard's
// and case page's queries (the store's SQL texts) timed; the migration
// converting the tables in place, timed; the same queries timed again,
// with the partitions each plan scans.
//
//	WHISTLE_BENCH_CASES=1000000 go test -run '^$' -bench BenchmarkPartitions -benchtime 1x -timeout 60m ./internal/store/
func BenchmarkPartitions(b *testing.B) {
	n := 200_000
	if v, err := strconv.Atoi(os.Getenv("WHISTLE_BENCH_CASES")); err == nil && v > 0 {
		n = v
	}
	dsn := pgtest.NewDatabase(b)
	db := migrateBefore(b, dsn, "0033")
	now := time.Now()
	first := now.AddDate(-2, 0, 0)
	step := now.Sub(first).Milliseconds() / int64(n)
	t0 := time.Now()
	mustExec(b, db, `INSERT INTO cases(number, state, is_open, channel, type, category, urgency, district_id, street_id, community_id, grid_id, lead_unit_id, created_at, updated_at, closed_at, version, doc)
		SELECT 'B' || g, 'closed', 0, 'phone', 'complaint', 'cat' || (g % 200), 'general', g % 12 + 1, g % 120 + 100, g % 600 + 1000, g % 3000 + 10000, g % 50 + 1,
		  $1::bigint + g::bigint * $2, $1::bigint + g::bigint * $2, $1::bigint + g::bigint * $2 + 172800000, 1, '{}'
		FROM generate_series(1, $3::int) g`, first.UnixMilli(), step, n)
	mustExec(b, db, `INSERT INTO events(case_id, seq, action, at, doc)
		SELECT c.id, s, (ARRAY['create', 'dispatch', 'reply'])[s], c.created_at + s * 3600000, '{}' FROM cases c, generate_series(1, 3) s`)
	mustExec(b, db, `INSERT INTO insight_daily(day, category, district_id, street_id, community_id, grid_id, unit_id, n, reopened, rated, unsatisfied, resolved)
		SELECT (created_at / 1000 + 28800) / 86400, category, district_id, street_id, community_id, grid_id, lead_unit_id, count(*), 0, count(*), 0, count(*)
		FROM cases GROUP BY 1, 2, 3, 4, 5, 6, 7`)
	mustExec(b, db, "VACUUM ANALYZE") // index-only scans need the visibility map
	var rollups int64
	db.QueryRowContext(ctx, "SELECT count(*) FROM insight_daily").Scan(&rollups)
	b.Logf("loaded %d cases, %d events, %d rollup rows in %v", n, 3*n, rollups, time.Since(t0).Round(time.Second))

	lastDay := (now.UnixMilli()/1000 + 28800) / 86400
	maxID := int64(n)
	type query struct {
		name, sql string
		args      func(i int) []any
	}
	cols := "day, category, district_id, street_id, community_id, grid_id, unit_id, n, reopened, rated, unsatisfied, resolved"
	totals := "SELECT day, SUM(n), SUM(reopened), SUM(rated), SUM(unsatisfied), SUM(resolved) FROM insight_daily"
	queries := []query{
		{"analysis: a year's rollup rows, city", "SELECT " + cols + " FROM insight_daily WHERE day >= $1 AND day <= $2",
			func(int) []any { return []any{lastDay - 364, lastDay} }},
		{"analysis: a year's rollup rows, a district", "SELECT " + cols + " FROM insight_daily WHERE day >= $1 AND day <= $2 AND district_id = $3",
			func(int) []any { return []any{lastDay - 364, lastDay, 3} }},
		{"dashboard: 30 days' totals, city", totals + " WHERE day >= $1 AND day <= $2 GROUP BY day ORDER BY day",
			func(int) []any { return []any{lastDay - 29, lastDay} }},
		{"dashboard: 30 days' totals, a district", totals + " WHERE day >= $1 AND day <= $2 AND district_id = $3 GROUP BY day ORDER BY day",
			func(i int) []any { return []any{lastDay - 29, lastDay, i%12 + 1} }},
		{"dashboard: today's totals, city", totals + " WHERE day >= $1 AND day <= $2 GROUP BY day ORDER BY day",
			func(int) []any { return []any{lastDay, lastDay} }},
		{"case page: a case's events", "SELECT id, case_id, seq, action, from_state, to_state, actor_user_id, actor_unit_id, at, doc FROM events WHERE case_id = $1 ORDER BY seq",
			func(i int) []any { return []any{1 + int64(i)*7919%maxID} }},
		{"assessment: 10,000 cases' events", "SELECT case_id, seq, action, at, doc FROM events WHERE case_id >= $1 AND case_id < $2 AND action IN ('dispatch','approve_return','sign','contact','reply','overdue','callback') ORDER BY case_id, seq",
			func(int) []any { return []any{maxID - 20000, maxID - 10000} }},
		{"events of a week by time (no query of the store does this)", "SELECT count(*) FROM events WHERE at >= $1 AND at < $2",
			func(int) []any { return []any{now.AddDate(0, 0, -40).UnixMilli(), now.AddDate(0, 0, -33).UnixMilli()} }},
	}
	measure := func(label string) map[string]string {
		out := map[string]string{}
		for _, q := range queries {
			reps := 15
			if strings.HasPrefix(q.name, "analysis: a year's rollup rows, city") {
				reps = 5
			}
			if strings.HasPrefix(q.name, "case page") {
				reps = 200
			}
			var ds []time.Duration
			rowsRead := 0
			for i := range reps {
				t := time.Now()
				rows, err := db.QueryContext(ctx, q.sql, q.args(i)...)
				if err != nil {
					b.Fatalf("%s: %v", q.name, err)
				}
				k := 0
				for rows.Next() {
					k++
				}
				if err := rows.Err(); err != nil {
					b.Fatal(err)
				}
				rows.Close()
				ds = append(ds, time.Since(t))
				rowsRead = k
			}
			slices.Sort(ds)
			scanned := partitionsScanned(b, db, q.sql, q.args(0))
			out[q.name] = fmt.Sprintf("median %v, p90 %v (%d runs, %d rows; plan scans %s)", ds[len(ds)/2].Round(10*time.Microsecond),
				ds[len(ds)*9/10].Round(10*time.Microsecond), reps, rowsRead, scanned)
			fmt.Fprintf(os.Stderr, "%s | %s | %s\n", label, q.name, out[q.name]) // b.Log truncates a benchmark's lines
		}
		return out
	}
	measure("before")
	t0 = time.Now()
	s, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.Logf("migration 0033 (events %d rows, insight_daily %d rows) and Open: %v", 3*n, rollups, time.Since(t0).Round(100*time.Millisecond))
	mustExec(b, db, "VACUUM ANALYZE") // index-only scans need the visibility map
	measure("after")
	for b.Loop() {
	}
}

var partitionRE = regexp.MustCompile(`\b(events|insight_daily)(_p\d{6}|_default)?\b`)

// partitionsScanned is how many partitions (or "the table") the plan of
// the query reads.
func partitionsScanned(b *testing.B, db *sql.DB, q string, args []any) string {
	rows, err := db.QueryContext(ctx, "EXPLAIN "+q, args...)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var l string
		rows.Scan(&l)
		if !strings.Contains(l, " on ") {
			continue
		}
		for _, m := range partitionRE.FindAllStringSubmatch(l, -1) {
			if m[2] != "" {
				seen[m[0]] = true
			}
		}
	}
	if len(seen) == 0 {
		return "the table"
	}
	return fmt.Sprintf("%d partitions", len(seen))
}
