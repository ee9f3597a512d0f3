package governance_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"whistle/internal/insight"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
)

// BenchmarkDashboard times one Dashboard call on SQLite with a large
// history: WHISTLE_BENCH_CASES case rows (default 1,000,000) spread over
// 1,000 days (the last week open, a tenth of those overdue) and the daily
// rollups of a synthetic city (200 categories × every street, 1,000 days),
// inserted in bulk. The counts must stay indexed: the time follows today's
// intake and the open orders, not the history.
//
//	WHISTLE_BENCH_CASES=1000000 go test -run '^$' -bench BenchmarkDashboard -benchtime 50x ./internal/governance/
func BenchmarkDashboard(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("WHISTLE_BENCH_CASES")); err == nil && v > 0 {
		n = v
	}
	loc := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 6, 15, 15, 30, 0, 0, loc)
	dsn := filepath.Join(b.TempDir(), "bench.db")
	c := openCityB(b, dsn, now.AddDate(0, 0, -1001))
	c.clk.Set(now)
	ctx := b.Context()
	var streets [][2]int64
	for _, p := range c.svc.PlaceMap() {
		if p.Level == org.LevelStreet {
			ch, _ := c.svc.Chain(p.ID)
			streets = append(streets, [2]int64{ch[0], p.ID})
		}
	}
	var cats []string
	for _, k := range c.svc.Categories() {
		if k.Leaf {
			cats = append(cats, k.Code)
		}
	}
	start := time.Now()
	first := now.AddDate(0, 0, -1000)
	step := now.Sub(first) / time.Duration(n)
	const batch = 20000
	for i := 0; i < n; i += batch {
		if err := c.st.Write(ctx, func(tx *store.Tx) error {
			for j := i; j < min(i+batch, n); j++ {
				at := first.Add(time.Duration(j) * step)
				s := streets[j%len(streets)]
				k := &lifecycle.Case{Number: fmt.Sprintf("B%011d", j), State: lifecycle.Closed, Channel: "phone", Type: "complaint",
					Category: cats[j%len(cats)], Urgency: "general", CreatedAt: at, UpdatedAt: at, Version: 1,
					Location: lifecycle.Location{DistrictID: s[0], StreetID: s[1]}}
				if now.Sub(at) < 7*24*time.Hour {
					k.State = lifecycle.Dispatched
					k.Overdue = j%10 == 0
				} else {
					k.ClosedAt = at.Add(48 * time.Hour)
				}
				if err := tx.InsertCase(ctx, k); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%d cases inserted in %v", n, time.Since(start).Round(time.Second))
	start = time.Now()
	today := insight.DayOf(now)
	var rows []store.DailyRow
	for d := today - 1000; d < today; d++ {
		for ci, cat := range cats[:min(200, len(cats))] {
			for si, s := range streets {
				if (ci+si+int(d))%3 != 0 { // a third of the cells have requests on a day
					continue
				}
				rows = append(rows, store.DailyRow{Day: int64(d), Category: cat, DistrictID: s[0], StreetID: s[1], N: 3, Rated: 2, Resolved: 1, Unsatisfied: 1})
			}
		}
		if len(rows) > 50000 {
			if err := c.st.Write(ctx, func(tx *store.Tx) error { return tx.InsertDailyRows(ctx, rows) }); err != nil {
				b.Fatal(err)
			}
			rows = rows[:0]
		}
	}
	if err := c.st.Write(ctx, func(tx *store.Tx) error { return tx.InsertDailyRows(ctx, rows) }); err != nil {
		b.Fatal(err)
	}
	b.Logf("rollups of %d categories × %d streets × 1000 days inserted in %v", min(200, len(cats)), len(streets), time.Since(start).Round(time.Second))
	d, err := c.svc.Insight.Dashboard(ctx, c.dispatcher)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("today %d, open %d, overdue %d, 30 days %d, first call %v", d.Today, d.Open, d.Overdue, len(d.Days), d.Took)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.svc.Insight.Dashboard(ctx, c.dispatcher); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	dd, err := c.svc.Insight.Dashboard(ctx, c.districtD)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("district centre: today %d, open %d, took %v", dd.Today, dd.Open, dd.Took)
}
