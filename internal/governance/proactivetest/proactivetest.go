// Package proactivetest plants a history of requests in the daily rollups
// (insight_daily) for the tests of 未诉先办 (governance, api, web): two
// years of requests are far quicker to plant as rollup rows than to file
// as cases. Test code only.
package proactivetest

import (
	"context"
	"testing"
	"time"

	"whistle/internal/insight"
	"whistle/internal/store"
)

// Street is where rows are planted: a street with its district and the
// unit that handled its requests.
type Street struct{ DistrictID, StreetID, UnitID int64 }

// Winter reports whether d is in the planted heating season (1 November to
// 15 March).
func Winter(d insight.Day) bool {
	t := d.Time()
	m := t.Month()
	return m >= time.November || m <= time.February || (m == time.March && t.Day() <= 15)
}

// History is one row per week (on each Wednesday) from..to for every street:
// flatPerWeek requests of each of the flat categories, and, in the streets
// of heat, heat[street] requests of heating each winter week (none
// otherwise).
func History(from, to insight.Day, streets []Street, flat []string, flatPerWeek int, heating string, heat map[int64]int) []store.DailyRow {
	var out []store.DailyRow
	for d := from; d <= to; d++ {
		if d.Time().Weekday() != time.Wednesday {
			continue
		}
		for _, s := range streets {
			row := store.DailyRow{Day: int64(d), DistrictID: s.DistrictID, StreetID: s.StreetID, UnitID: s.UnitID}
			for _, c := range flat {
				r := row
				r.Category, r.N = c, int64(flatPerWeek)
				out = append(out, r)
			}
			if n := heat[s.StreetID]; n > 0 && Winter(d) {
				r := row
				r.Category, r.N = heating, int64(n)
				out = append(out, r)
			}
		}
	}
	return out
}

// InsertDailyRows adds rows to the store's rollups through the store, as
// if requests had been stored on those days.
func InsertDailyRows(t testing.TB, st *store.Store, rows []store.DailyRow) {
	t.Helper()
	ctx := context.Background()
	if err := st.Write(ctx, func(tx *store.Tx) error { return tx.InsertDailyRows(ctx, rows) }); err != nil {
		t.Fatal(err)
	}
}
