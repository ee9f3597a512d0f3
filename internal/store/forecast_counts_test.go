package store_test

import (
	"cmp"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"whistle/internal/pgtest"
	"whistle/internal/store"
)

// TestRequestCounts: the forecasts' counts by week and by month × category
// × street, summed over communities, grids and units, inside a district or
// a street, on both backends.
func TestRequestCounts(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "whistle.db")
			if backend == "postgres" {
				dsn = pgtest.NewDatabase(t)
			}
			s := openStore(t, dsn)
			// 2026-01-01 is day 20454, a Thursday; week 2922 runs Monday
			// 2025-12-29 to Sunday 2026-01-04.
			const jan1, feb1, mar1 = 20454, 20485, 20513
			row := func(day int64, cat string, district, street, grid, unit, n int64) store.DailyRow {
				return store.DailyRow{Day: day, Category: cat, DistrictID: district, StreetID: street, CommunityID: street*10 + grid%2, GridID: grid, UnitID: unit, N: n}
			}
			write(t, s, func(tx *store.Tx) error {
				return tx.InsertDailyRows(ctx, []store.DailyRow{
					row(jan1, "urban.stall", 1, 11, 111, 7, 2), row(jan1, "urban.stall", 1, 11, 112, 8, 3), // one series, two grids and units
					row(jan1+4, "urban.stall", 1, 11, 111, 7, 1), // Monday: the next week
					row(feb1-1, "noise", 1, 12, 121, 7, 4),       // Jan 31
					row(feb1, "noise", 1, 12, 121, 7, 5),         // Feb 1
					row(mar1, "noise", 2, 21, 211, 9, 6),         // March: outside the months asked
					row(jan1, "noise", 0, 0, 0, 0, 1),            // not placed
				})
			})
			sorted := func(c []store.PeriodCount) []store.PeriodCount {
				slices.SortFunc(c, func(a, b store.PeriodCount) int {
					return cmp.Or(cmp.Compare(a.Period, b.Period), strings.Compare(a.Category, b.Category), cmp.Compare(a.StreetID, b.StreetID))
				})
				return c
			}
			months := []int64{jan1, feb1, mar1} // January and February
			for _, tc := range []struct {
				name string
				f    store.CountFilter
				want []store.PeriodCount
			}{
				{"months, city", store.CountFilter{Period: store.PeriodMonth, MonthStarts: months}, []store.PeriodCount{
					{0, "noise", 0, 1}, {0, "noise", 12, 4}, {0, "urban.stall", 11, 6}, {1, "noise", 12, 5}}},
				{"months, a street", store.CountFilter{Period: store.PeriodMonth, MonthStarts: months, StreetID: 11}, []store.PeriodCount{
					{0, "urban.stall", 11, 6}}},
				{"weeks, a district", store.CountFilter{Period: store.PeriodWeek, From: jan1 - 3, To: feb1 + 4, DistrictID: 1}, []store.PeriodCount{
					{2922, "urban.stall", 11, 5}, {2923, "urban.stall", 11, 1}, {2926, "noise", 12, 9}}},
				{"weeks, a later district", store.CountFilter{Period: store.PeriodWeek, From: jan1 - 3, To: mar1, DistrictID: 2}, []store.PeriodCount{
					{2930, "noise", 21, 6}}},
			} {
				got, err := s.RequestCounts(ctx, tc.f)
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				if got = sorted(got); !slices.Equal(got, tc.want) {
					t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
				}
				// The same from the day blocks, once the days are compacted.
				if _, err := s.CompactDays(ctx, 0); err != nil {
					t.Fatal(err)
				}
				if got, err = s.RequestCounts(ctx, tc.f); err != nil || !slices.Equal(sorted(got), tc.want) {
					t.Errorf("%s from the blocks: %+v, %v, want %+v", tc.name, got, err, tc.want)
				}
			}
			if _, err := s.RequestCounts(ctx, store.CountFilter{Period: store.PeriodMonth}); err == nil {
				t.Error("months without their first days")
			}
			if _, err := s.RequestCounts(ctx, store.CountFilter{Period: "year"}); err == nil {
				t.Error("a period of a year")
			}
			lo, ok, err := s.MinDailyDay(ctx)
			hi, ok2, err2 := s.MaxDailyDay(ctx)
			if err != nil || err2 != nil || !ok || !ok2 || lo != jan1 || hi != mar1 {
				t.Errorf("days %d–%d (%v %v %v %v), want %d–%d", lo, hi, ok, ok2, err, err2, jan1, mar1)
			}
		})
	}
}
