package governance_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
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
	b.Run("sqlite", func(b *testing.B) { benchAnalyzeYear(b, filepath.Join(b.TempDir(), "bench.db"), n) })
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
	for i := 0; i < n; i += batch {
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
	b.Logf("first analysis: %d requests, %d texts read, %d candidates, took %v", an.Requests, an.Sampled, len(an.Report.Candidates), an.Took)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.svc.Insight.Analyze(ctx, c.dispatcher, f); err != nil {
			b.Fatal(err)
		}
	}
}
