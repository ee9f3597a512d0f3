package governance_test

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"whistle/internal/governance"
	"whistle/internal/insight"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/pgtest"
	"whistle/internal/store"
)

// BenchmarkAnalyzeYear times one full analysis of the last 12 months
// through the service, end to end (rollups, sampled request texts, the
// analysis), on a store holding WHISTLE_BENCH_CASES requests (default
// 200 000) spread over two years across every grid and leaf category of the
// demo city, each with a text drawn from a small vocabulary. Both backends.
//
//	WHISTLE_BENCH_CASES=1000000 go test -run '^$' -bench BenchmarkAnalyzeYear -benchtime 3x -timeout 60m ./internal/governance/
func BenchmarkAnalyzeYear(b *testing.B) {
	n := 200_000
	if v, err := strconv.Atoi(os.Getenv("WHISTLE_BENCH_CASES")); err == nil && v > 0 {
		n = v
	}
	b.Run("sqlite", func(b *testing.B) {
		// WHISTLE_BENCH_KEEP=FILE keeps the SQLite store in FILE and, when
		// it is there already, reuses it instead of loading again (a
		// 10-million store takes half an hour to load; profile on a kept one).
		if keep := os.Getenv("WHISTLE_BENCH_KEEP"); keep != "" {
			benchAnalyzeYear(b, keep, n)
			return
		}
		benchAnalyzeYear(b, filepath.Join(b.TempDir(), "bench.db"), n)
	})
	b.Run("postgres", func(b *testing.B) { benchAnalyzeYear(b, pgtest.NewDatabase(b), n) })
}

func benchAnalyzeYear(b *testing.B, dsn string, n int) {
	loc := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, loc)
	c := openCityB(b, dsn, now.AddDate(-2, 0, -1))
	c.clk.Set(now)
	ctx := b.Context()
	var grids [][4]int64
	for _, p := range c.svc.PlaceMap() {
		if p.Level == org.LevelGrid {
			ch, _ := c.svc.Chain(p.ID)
			if len(ch) >= 4 {
				grids = append(grids, [4]int64{ch[0], ch[1], ch[2], p.ID})
			}
		}
	}
	var cats []string
	for _, k := range c.svc.Categories() {
		if k.Leaf {
			cats = append(cats, k.Code)
		}
	}
	words := []string{"噪音", "扰民", "停车", "占道", "垃圾", "清运", "路灯", "不亮", "井盖", "破损", "漏水", "停水", "暖气", "不热",
		"电梯", "故障", "油烟", "施工", "夜间", "共享单车", "乱停", "物业", "收费", "绿化", "树木", "遮挡", "小区门口", "楼道", "堆物", "积水"}
	rng := rand.New(rand.NewPCG(1, 2))
	first := now.AddDate(-2, 0, 0)
	step := now.Sub(first) / time.Duration(n)
	start := time.Now()
	const batch = 20000
	if have, err := c.st.CountCreated(ctx, first.Add(-time.Hour), now, 0); err != nil {
		b.Fatal(err)
	} else if int(have) >= n/2 { // a kept store (WHISTLE_BENCH_KEEP) loaded by an earlier run
		b.Logf("reusing the kept store's %d closed cases", have)
		n = 0
	}
	if n > bulkAbove {
		bulkLoad(b, c.st, dsn, n, first, step, grids, cats, words, c.handler.Unit.ID)
	}
	for i := 0; i < n && n <= bulkAbove; i += batch {
		if err := c.st.Write(ctx, func(tx *store.Tx) error {
			for j := i; j < min(i+batch, n); j++ {
				at := first.Add(time.Duration(j) * step)
				g := grids[rng.IntN(len(grids))]
				text := words[rng.IntN(len(words))] + words[rng.IntN(len(words))] + "，" + words[rng.IntN(len(words))] + "问题反映多次"
				k := &lifecycle.Case{Number: fmt.Sprintf("A%011d", j), State: lifecycle.Closed, Channel: "phone", Type: "complaint",
					Category: cats[rng.IntN(len(cats))], Urgency: "general", Title: text[:min(len(text), 24)], Description: text,
					CreatedAt: at, UpdatedAt: at, ClosedAt: at.Add(48 * time.Hour), Version: 1, LeadUnitID: c.handler.Unit.ID,
					Location: lifecycle.Location{DistrictID: g[0], StreetID: g[1], CommunityID: g[2], GridID: g[3]}}
				if err := tx.InsertCase(ctx, k); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%d cases over two years inserted in %v", n, time.Since(start).Round(time.Second))
	to := insight.DayOf(now) - 1
	f := governance.Filter{From: to - 364, To: to}
	an, err := c.svc.Insight.Analyze(ctx, c.dispatcher, f)
	if err != nil {
		b.Fatal(err)
	}
	run, _, err := c.st.InsightRunByID(ctx, an.RunID)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("first analysis: %d requests, %d texts read, %d cells tested, %d candidates, stored in %.1f MB, took %v",
		an.Requests, an.Sampled, an.Report.Tested, len(an.Report.Candidates), float64(len(run.Doc))/1e6, an.Took)
	// The dashboard on the same store (the city centre's and a
	// district's), timed apart from the analysis.
	var dash []time.Duration
	for i := range 20 {
		actor := c.dispatcher
		if i%2 == 1 {
			actor = c.districtD
		}
		t0 := time.Now()
		if _, err := c.svc.Insight.Dashboard(ctx, actor); err != nil {
			b.Fatal(err)
		}
		dash = append(dash, time.Since(t0))
	}
	slices.Sort(dash)
	b.Logf("dashboard: median %v, slowest %v (20 calls)", dash[len(dash)/2].Round(time.Millisecond), dash[len(dash)-1].Round(time.Millisecond))
	b.ReportMetric(float64(dash[len(dash)/2].Microseconds())/1000, "dashboard-ms")
	// The process's CPU time per analysis beside the wall time: on a
	// shared machine the wall time says how loaded it was, the CPU time
	// what an analysis costs (both cores' worth: it reads the rollups and
	// the two windows' texts at once).
	cpu0 := cpuTime(b)
	for b.Loop() { // the setup above runs once
		if _, err := c.svc.Insight.Analyze(ctx, c.dispatcher, f); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuTime(b)-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// bulkAbove is the size above which the benchmark loads its cases with
// multi-row INSERTs on a connection of its own, then rebuilds the rollups
// and their day blocks once, as a bulk import would: the service path
// (a savepoint and a rollup upsert per case) takes hours for 10 million.
const bulkAbove = 300_000

func bulkLoad(b *testing.B, st *store.Store, dsn string, n int, first time.Time, step time.Duration, grids [][4]int64, cats, words []string, unit int64) {
	ctx := b.Context()
	driver, src := "sqlite", "file:"+dsn+"?_pragma=busy_timeout(60000)&_pragma=synchronous(off)"
	if st.Dialect() == store.Postgres {
		driver, src = "pgx", dsn
	}
	db, err := sql.Open(driver, src)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	const cols = "number, state, is_open, channel, type, category, urgency, district_id, street_id, community_id, grid_id, lead_unit_id, supervising_unit_id, due_at, overdue, supervised, return_pending, extension_pending, phone_hash, citizen_name, citizen_phone, created_by, created_at, updated_at, closed_at, version, doc, seal_key"
	const ncols, perStmt = 28, 200
	var sb strings.Builder
	sb.WriteString("INSERT INTO cases(" + cols + ") VALUES ")
	k := 1
	for r := range perStmt {
		if r > 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte('(')
		for c := range ncols {
			if c > 0 {
				sb.WriteByte(',')
			}
			if driver == "pgx" {
				fmt.Fprintf(&sb, "$%d", k)
			} else {
				sb.WriteByte('?')
			}
			k++
		}
		sb.WriteByte(')')
	}
	rng := rand.New(rand.NewPCG(1, 2))
	ms := func(t time.Time) int64 {
		if t.IsZero() {
			return 0
		}
		return t.UnixMilli()
	}
	start := time.Now()
	last := first.Add(time.Duration(n) * step)
	b2i := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	args := make([]any, 0, ncols*perStmt)
	for i := 0; i < n; {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		stmt, err := tx.PrepareContext(ctx, sb.String())
		if err != nil {
			b.Fatal(err)
		}
		for end := min(i+100_000, n); i < end; {
			args = args[:0]
			for r := 0; r < perStmt; r++ {
				j := i + r
				if j >= n { // pad the last statement with copies that fail nothing: numbers are unique
					j = n + r
				}
				at := first.Add(time.Duration(min(j, n-1)) * step)
				g := grids[rng.IntN(len(grids))]
				text := words[rng.IntN(len(words))] + words[rng.IntN(len(words))] + "，" + words[rng.IntN(len(words))] + "问题反映多次"
				title := text[:min(len(text), 24)]
				k := &lifecycle.Case{Number: fmt.Sprintf("A%011d", j), State: lifecycle.Closed, Channel: "phone", Type: "complaint",
					Category: cats[rng.IntN(len(cats))], Urgency: "general", Title: title, Description: text,
					CreatedAt: at, UpdatedAt: at, ClosedAt: at.Add(48 * time.Hour), Version: 1, LeadUnitID: unit,
					Location: lifecycle.Location{DistrictID: g[0], StreetID: g[1], CommunityID: g[2], GridID: g[3]}}
				if last.Sub(at) < 7*24*time.Hour { // the last week's orders are open, a tenth overdue
					k.State, k.ClosedAt, k.Overdue = lifecycle.Dispatched, time.Time{}, j%10 == 0
				}
				nd, err := store.EncodeNewCase(k)
				if err != nil {
					b.Fatal(err)
				}
				doc, err := nd.Plain(k.Number)
				if err != nil {
					b.Fatal(err)
				}
				l := k.Location
				args = append(args, k.Number, string(k.State), b2i(k.State.Open()), k.Channel, k.Type, k.Category, k.Urgency,
					l.DistrictID, l.StreetID, l.CommunityID, l.GridID, k.LeadUnitID, 0, 0, b2i(k.Overdue), 0, 0, 0,
					"", "", "", 0, ms(k.CreatedAt), ms(k.UpdatedAt), ms(k.ClosedAt), 1, doc, "")
			}
			if _, err := stmt.ExecContext(ctx, args...); err != nil {
				b.Fatal(err)
			}
			i += perStmt
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	del := "DELETE FROM cases WHERE number >= ?"
	if driver == "pgx" {
		del = "DELETE FROM cases WHERE number >= $1"
	}
	if _, err := db.ExecContext(ctx, del, fmt.Sprintf("A%011d", n)); err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: %d cases loaded in %v", st.Dialect(), n, time.Since(start).Round(time.Second))
	start = time.Now()
	if err := st.RebuildDaily(ctx); err != nil {
		b.Fatal(err)
	}
	days, err := st.CompactDays(ctx, 0)
	if err != nil {
		b.Fatal(err)
	}
	analyze := "ANALYZE"
	if st.Dialect() == store.Postgres {
		analyze = "VACUUM ANALYZE"
	}
	if _, err := db.ExecContext(ctx, analyze); err != nil {
		b.Fatal(err)
	}
	b.Logf("rollups rebuilt, %d days compacted, statistics gathered in %v", days, time.Since(start).Round(time.Second))
}
