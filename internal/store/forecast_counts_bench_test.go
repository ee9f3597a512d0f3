package store_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"whistle/internal/store"
)

// BenchmarkRequestCounts: the forecasts' counts over three years of
// rollups at a city's density. WHISTLE_BENCH_ROWS_PER_DAY rollup rows a day
// (default 200; 2,000 rows a day is about ten million requests in three
// years at the benchmark city's 4–5 requests a row).
func BenchmarkRequestCounts(b *testing.B) {
	perDay := 200
	if v, err := strconv.Atoi(os.Getenv("WHISTLE_BENCH_ROWS_PER_DAY")); err == nil && v > 0 {
		perDay = v
	}
	s := openStore(b, filepath.Join(b.TempDir(), "w.db"))
	const first, days = 19723, 3 * 365 // 2024-01-01
	cats := make([]string, 60)
	for i := range cats {
		cats[i] = fmt.Sprintf("cat%02d.sub%d", i/4, i%4)
	}
	var rows []store.DailyRow
	for d := int64(first); d < first+days; d++ {
		for i := range perDay {
			street := int64(1 + i%40)
			rows = append(rows, store.DailyRow{Day: d, Category: cats[(i*7)%len(cats)], DistrictID: 1 + street%6, StreetID: street,
				CommunityID: street*100 + int64(i%9), GridID: street*1000 + int64(i%23), UnitID: int64(i % 97), N: int64(1 + i%8)})
		}
		if len(rows) >= 50000 || d == first+days-1 {
			write(b, s, func(tx *store.Tx) error { return tx.InsertDailyRows(ctx, rows) })
			rows = rows[:0]
		}
	}
	// The finished days into their blocks, as the compactor keeps them.
	if _, err := s.CompactDays(ctx, 0); err != nil {
		b.Fatal(err)
	}
	var months []int64
	for m := range 37 { // 2024-01 … 2027-01
		y, mo := 2024+m/12, m%12+1
		months = append(months, daysFrom(y, mo))
	}
	b.ResetTimer()
	for _, tc := range []struct {
		name string
		f    store.CountFilter
	}{
		{"months", store.CountFilter{Period: store.PeriodMonth, MonthStarts: months}},
		{"weeks", store.CountFilter{Period: store.PeriodWeek, From: first, To: first + days}},
		{"months of a street", store.CountFilter{Period: store.PeriodMonth, MonthStarts: months, StreetID: 7}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				got, err := s.RequestCounts(ctx, tc.f)
				if err != nil || len(got) == 0 {
					b.Fatalf("%d counts, %v", len(got), err)
				}
			}
		})
	}
	b.ReportMetric(float64(perDay*days), "rollup-rows")
}

func daysFrom(y, m int) int64 {
	return int64((y-1970)*365+(y-1969)/4) + int64([]int{0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334}[m-1]) + map[bool]int64{true: 1, false: 0}[y%4 == 0 && m > 2]
}
