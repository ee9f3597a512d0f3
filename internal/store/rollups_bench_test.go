package store_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"whistle/internal/insight"
	"whistle/internal/pgtest"
	"whistle/internal/store"
)

// benchDSN is a fresh SQLite file, or a PostgreSQL database of the shared
// test cluster for the "postgres" backend.
func benchDSN(b *testing.B, backend string) string {
	if backend == "postgres" {
		return pgtest.NewDatabase(b)
	}
	return filepath.Join(b.TempDir(), "bench.db")
}

// BenchmarkCaseWrite measures case writes with their rollup maintenance:
// intake (InsertNewCase, one write per case, concurrent callers so that
// SQLite's single writer batches them), an update that leaves the case's
// rollup contribution alone (the common case: no extra statement) and one
// that moves it (re-dispatch to another unit).
func BenchmarkCaseWrite(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			s := openStore(b, benchDSN(b, backend))
			var seq atomic.Int64
			b.Run("intake", func(b *testing.B) {
				b.SetParallelism(8)
				b.RunParallel(func(pb *testing.PB) {
					rng := rand.New(rand.NewPCG(uint64(seq.Add(1)), 9))
					for pb.Next() {
						i := int(seq.Add(1))
						c := benchCase(i, rng)
						c.Number = fmt.Sprintf("I%09d", i)
						nd, err := store.EncodeNewCase(c)
						if err != nil {
							b.Error(err)
							return
						}
						if err := s.Write(ctx, func(tx *store.Tx) error { return tx.InsertNewCase(ctx, c, nd) }); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
			for _, kind := range []string{"update-same", "update-moved"} {
				b.Run(kind, func(b *testing.B) {
					rng := rand.New(rand.NewPCG(5, 6))
					c := benchCase(int(seq.Add(1)), rng)
					c.Number = fmt.Sprintf("U%09d", seq.Add(1))
					write(b, s, func(tx *store.Tx) error { return tx.InsertCase(ctx, c) })
					b.ResetTimer()
					for i := 0; b.Loop(); i++ {
						prev := *c
						c.Version++
						c.UpdatedAt = c.UpdatedAt.Add(1)
						if kind == "update-moved" {
							c.LeadUnitID = int64(1 + i%2)
						}
						if err := s.Write(ctx, func(tx *store.Tx) error { return tx.UpdateCase(ctx, c, &prev) }); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

// benchShape is the city of the rollup benchmarks: 16 districts, 300
// streets, 1 000 communities, 2 000 grids, 60 categories, 200 units.
const (
	benchDistricts   = 16
	benchStreets     = 300
	benchCommunities = 1000
	benchGrids       = 2000
	benchCategories  = 60
	benchDailyUnits  = 200
	benchDays        = 730
)

// benchLastDay is the last day of the synthetic two years.
var benchLastDay = int64(insight.DateDay(2026, time.December, 5))

// synthDaily returns the rollups of requests received over benchDays
// days, day by day (fn is called with each day's rows): about requests/730
// a day, fewer at weekends, more in summer; categories and grids drawn
// with Zipf's law (a few of each take most requests), each category led
// mostly by one unit per district; 5% reopened, 70% rated, a tenth of the
// ratings unsatisfied, 75% resolved.
func synthDaily(requests int, fn func(day int64, rows []store.DailyRow) error) error {
	rng := rand.New(rand.NewPCG(20, 26))
	cat := rand.NewZipf(rng, 1.1, 2, benchCategories-1)
	grid := rand.NewZipf(rng, 1.05, 20, benchGrids-1)
	weights := make([]float64, benchDays)
	sum := 0.0
	for i := range weights {
		day := benchLastDay - benchDays + 1 + int64(i)
		w := 1 + 0.3*math.Sin(2*math.Pi*float64(day%365)/365)
		if wd := (day + 4) % 7; wd == 0 || wd == 6 { // 1970-01-01 was a Thursday
			w *= 0.7
		}
		weights[i], sum = w, sum+w
	}
	byKey := map[store.DailyRow]*store.DailyRow{}
	var rows []store.DailyRow
	for i, w := range weights {
		day := benchLastDay - benchDays + 1 + int64(i)
		clear(byKey)
		n := int(float64(requests) * w / sum)
		for range n {
			g := int64(grid.Uint64())
			c := int64(cat.Uint64())
			k := store.DailyRow{Day: day, Category: fmt.Sprintf("cat%02d.sub%d", c, c%3), GridID: 1 + g}
			k.CommunityID = 1 + g%benchCommunities
			k.StreetID = 1 + (k.CommunityID-1)%benchStreets
			k.DistrictID = 1 + (k.StreetID-1)%benchDistricts
			k.UnitID = 1 + (c*benchDistricts+k.DistrictID)%benchDailyUnits
			if rng.IntN(10) == 0 {
				k.UnitID = 1 + rng.Int64N(benchDailyUnits)
			}
			r := byKey[k]
			if r == nil {
				r = &store.DailyRow{}
				*r = k
				byKey[k] = r
			}
			r.N++
			if rng.IntN(20) == 0 {
				r.Reopened++
			}
			if rng.IntN(10) < 7 {
				r.Rated++
				if rng.IntN(10) == 0 {
					r.Unsatisfied++
				}
			}
			if rng.IntN(4) < 3 {
				r.Resolved++
			}
		}
		rows = rows[:0]
		for _, r := range byKey {
			rows = append(rows, *r)
		}
		if err := fn(day, rows); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkDailyQueries measures the reads of the analysis and the
// dashboard on the rollups of 10 million requests over two years
// (WHISTLE_BENCH_FULL=1; by default 300 000, for a quick run) on both
// backends: (a) every row of the last 12 months and 4 weeks city-wide (the
// analysis's input), (b) the daily totals of 30 days city-wide (the
// dashboard), (c) one street's daily totals over 12 months, (d) the same
// for a district, and (e) a case write that moves its contribution on the
// full table. The days are compacted to day blocks first (the compaction's
// speed and the blocks' size are logged), as the background worker keeps
// them. WHISTLE_BENCH_SQL=1 adds the same reads from insight_daily alone.
func BenchmarkDailyQueries(b *testing.B) {
	requests := 300000
	if v, err := strconv.Atoi(os.Getenv("WHISTLE_BENCH_REQUESTS")); err == nil && v > 0 {
		requests = v
	}
	if os.Getenv("WHISTLE_BENCH_FULL") == "1" {
		requests = 10000000
	}
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			s := openStore(b, benchDSN(b, backend))
			start := time.Now()
			var pending []store.DailyRow
			total := 0
			flush := func() error {
				err := s.Write(ctx, func(tx *store.Tx) error { return tx.InsertDailyRows(ctx, pending) })
				total += len(pending)
				pending = pending[:0]
				return err
			}
			if err := synthDaily(requests, func(day int64, rows []store.DailyRow) error {
				pending = append(pending, rows...)
				if len(pending) < 50000 {
					return nil
				}
				return flush()
			}); err != nil {
				b.Fatal(err)
			}
			if err := flush(); err != nil {
				b.Fatal(err)
			}
			analyze := "ANALYZE"
			if s.Dialect() == store.Postgres {
				analyze = "VACUUM ANALYZE insight_daily" // as autovacuum would
			}
			if _, err := rawDB(b, s).ExecContext(ctx, analyze); err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: %d requests in %d rollup rows, loaded in %v", s.Dialect(), requests, total, time.Since(start).Round(time.Millisecond))
			start = time.Now()
			days, err := s.CompactDays(ctx, 0)
			if err != nil {
				b.Fatal(err)
			}
			took := time.Since(start)
			var size int64
			if err := rawDB(b, s).QueryRowContext(ctx, "SELECT COALESCE(SUM(LENGTH(doc)), 0) FROM insight_blocks").Scan(&size); err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: %d days compacted in %v (%.1f days/s), blocks %.1f MB (%.1f bytes a row)", s.Dialect(), days, took.Round(time.Millisecond),
				float64(days)/took.Seconds(), float64(size)/1e6, float64(size)/float64(total))

			year := store.DailyFilter{From: benchLastDay - 365 - 28 + 1, To: benchLastDay}
			street := store.DailyFilter{From: benchLastDay - 365 + 1, To: benchLastDay, StreetID: 1}
			district := store.DailyFilter{From: benchLastDay - 365 + 1, To: benchLastDay, DistrictID: 1}
			month := store.DailyFilter{From: benchLastDay - 30 + 1, To: benchLastDay}
			b.Run("rows-13-months-city", func(b *testing.B) {
				n := 0
				for b.Loop() {
					rows, err := s.DailyRows(ctx, year)
					if err != nil {
						b.Fatal(err)
					}
					n = len(rows)
				}
				b.ReportMetric(float64(n), "rows")
			})
			for _, q := range []struct {
				name string
				f    store.DailyFilter
			}{{"totals-30-days-city", month}, {"totals-12-months-street", street}, {"totals-12-months-district", district}} {
				b.Run(q.name, func(b *testing.B) {
					var req int64
					for b.Loop() {
						days, err := s.DailyTotals(ctx, q.f)
						if err != nil {
							b.Fatal(err)
						}
						req = 0
						for _, d := range days {
							req += d.N
						}
					}
					b.ReportMetric(float64(req), "requests")
				})
			}
			if os.Getenv("WHISTLE_BENCH_SQL") == "1" { // the same reads from insight_daily alone, for comparison
				b.Run("sql-rows-13-months-city", func(b *testing.B) {
					for b.Loop() {
						if _, err := store.DailyRowsSQL(ctx, s, year); err != nil {
							b.Fatal(err)
						}
					}
				})
				for _, q := range []struct {
					name string
					f    store.DailyFilter
				}{{"sql-totals-30-days-city", month}, {"sql-totals-12-months-street", street}, {"sql-totals-12-months-district", district}} {
					b.Run(q.name, func(b *testing.B) {
						for b.Loop() {
							if _, err := store.DailyTotalsSQL(ctx, s, q.f); err != nil {
								b.Fatal(err)
							}
						}
					})
				}
			}
			b.Run("case-moved", func(b *testing.B) {
				rng := rand.New(rand.NewPCG(7, 8))
				c := benchCase(0, rng)
				c.Number, c.CreatedAt = "M000000001", insight.Day(benchLastDay).Time().Add(9*time.Hour)
				write(b, s, func(tx *store.Tx) error { return tx.InsertCase(ctx, c) })
				for i := 0; b.Loop(); i++ {
					prev := *c
					c.Version++
					c.LeadUnitID = int64(1 + i%2)
					if err := s.Write(ctx, func(tx *store.Tx) error { return tx.UpdateCase(ctx, c, &prev) }); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
