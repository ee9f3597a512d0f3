package store_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/pgtest"
	"whistle/internal/store"
)

const benchUnits = 400

// BenchmarkInbox measures a unit handler's inbox: open cases the unit leads,
// nearest deadline first, first page. It loads WHISTLE_BENCH_CASES cases
// (default 200000) into SQLite, or PostgreSQL with WHISTLE_BENCH_PG=1.
func BenchmarkInbox(b *testing.B) {
	n := 200000
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

	start := time.Now()
	rng := rand.New(rand.NewPCG(1, 2))
	const batch = 5000
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		if err := s.Write(ctx, func(tx *store.Tx) error {
			for i := lo; i < hi; i++ {
				if err := tx.InsertCase(ctx, benchCase(i, rng)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%s: loaded %d cases in %v", s.Dialect(), n, time.Since(start).Round(time.Millisecond))

	pick := rand.New(rand.NewPCG(3, 4))
	rows := 0
	b.ResetTimer()
	for b.Loop() {
		u := int64(1 + pick.IntN(benchUnits))
		page, err := s.Cases(ctx, org.Scope{UnitID: u}, lifecycle.CaseFilter{LeadUnitID: u, Sort: "due", Limit: 20})
		if err != nil {
			b.Fatal(err)
		}
		rows += len(page.Cases)
	}
	b.ReportMetric(float64(rows)/float64(b.N), "cases/op")
}

// benchCase is case i of the benchmark load: spread over benchUnits units
// (supervised by 16 district centres), about 10% open.
func benchCase(i int, rng *rand.Rand) *lifecycle.Case {
	created := base.Add(-time.Duration(rng.IntN(365*24)) * time.Hour)
	c := &lifecycle.Case{
		Number: fmt.Sprintf("B%09d", i), Channel: lifecycle.Channels[i%len(lifecycle.Channels)],
		Type: lifecycle.Types[i%len(lifecycle.Types)], Category: "urban.stall", Urgency: "general",
		Title: "占道经营", Description: "小区门口每晚有人摆摊，噪音扰民，希望相关部门尽快处理。",
		Location:   lifecycle.Location{Address: "朝阳区建国门外大街1号", DistrictID: int64(1 + i%16), StreetID: int64(100 + i%300), GridID: int64(1000 + i%5000)},
		Citizen:    lifecycle.Citizen{Name: "王小明", Phone: "13812345678", PhoneHash: fmt.Sprintf("ph%d", i%50000)},
		LeadUnitID: int64(1 + rng.IntN(benchUnits)), SupervisingUnitID: int64(benchUnits + 1 + i%16),
		CreatedAt: created, UpdatedAt: created, DispatchedAt: created, CreatedBy: int64(1 + i%1000), Version: 3, EventSeq: 3,
	}
	if rng.IntN(10) == 0 {
		c.State = lifecycle.Handling
		c.ReplyBy = created.Add(time.Duration(24+rng.IntN(30*24)) * time.Hour)
	} else {
		c.State = lifecycle.Closed
		c.ReplyBy = created.Add(15 * 24 * time.Hour)
		c.ClosedAt = created.Add(time.Duration(1+rng.IntN(14*24)) * time.Hour)
		c.Result, c.Satisfaction, c.CloseReason = lifecycle.ResultResolved, lifecycle.Satisfied, lifecycle.CloseCallback
	}
	return c
}
