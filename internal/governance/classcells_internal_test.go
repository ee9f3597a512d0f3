package governance

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"whistle/internal/insight"
	"whistle/internal/store"
)

// TestClassCells: the cells summed through the numbered slots are the
// cells a plain sum keyed by the rows' strings gives, whatever the order
// of the rows (a block's sorted runs, shuffled rows, repeated keys, days
// in no window, a day's rows split around another day's).
func TestClassCells(t *testing.T) {
	// Classes: days 0–9 one class, 10–19 another, 20–24 in no window,
	// 25–29 a third.
	class := func(d insight.Day) (insight.Day, bool) {
		switch {
		case d < 10:
			return 0, true
		case d < 20:
			return 10, true
		case d < 25:
			return 0, false
		default:
			return 25, true
		}
	}
	type key struct {
		day                                          insight.Day
		cat, district, street, community, grid, unit string
	}
	for _, tc := range []struct {
		name    string
		shuffle bool
		sorted  bool
	}{{"blocks in order", false, true}, {"shuffled", true, false}} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 9))
			var rows []store.DailyRow
			for day := int64(0); day < 30; day++ {
				var dayRows []store.DailyRow
				for range 40 {
					g := rng.Int64N(6)
					r := store.DailyRow{Day: day, Category: fmt.Sprintf("c.%d", rng.IntN(4)), DistrictID: 1 + g/3, StreetID: 10 + g/2,
						CommunityID: 100 + g, GridID: 1000 + g, UnitID: rng.Int64N(3), N: rng.Int64N(5), // a row of no requests still makes its cell Reopened: rng.Int64N(2),
						Rated: rng.Int64N(3), Unsatisfied: rng.Int64N(2)}
					if rng.IntN(5) == 0 { // a row without a grid or a community
						r.GridID, r.CommunityID = 0, rng.Int64N(2)*r.CommunityID
					}
					dayRows = append(dayRows, r)
				}
				if tc.sorted {
					slices.SortFunc(dayRows, func(a, b store.DailyRow) int {
						return cmpRows(a, b)
					})
				}
				rows = append(rows, dayRows...)
			}
			if tc.shuffle {
				rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
			}
			want := map[key]insight.Cell{}
			for _, r := range rows {
				d, ok := class(insight.Day(r.Day))
				if !ok {
					continue
				}
				k := key{d, r.Category, id(r.DistrictID), id(r.StreetID), id(r.CommunityID), id(r.GridID), id(r.UnitID)}
				c := want[k]
				c.Day, c.Category, c.District, c.Street, c.Community, c.Grid, c.Unit = k.day, k.cat, k.district, k.street, k.community, k.grid, k.unit
				c.N += int(r.N)
				c.Reopened += int(r.Reopened)
				c.Rated += int(r.Rated)
				c.Unsatis += int(r.Unsatisfied)
				want[k] = c
			}
			cc := newClassCells(class)
			for i := range rows {
				r := rows[i] // the fold reuses its row: so does this test
				cc.add(&r)
			}
			got := cc.cells()
			if len(got) != len(want) {
				t.Fatalf("%d cells, want %d", len(got), len(want))
			}
			for _, c := range got {
				k := key{c.Day, c.Category, c.District, c.Street, c.Community, c.Grid, c.Unit}
				if w, ok := want[k]; !ok || w != c {
					t.Fatalf("cell %+v, want %+v (found %v)", c, w, ok)
				}
			}
		})
	}
}

func cmpRows(a, b store.DailyRow) int {
	for _, d := range [][2]int64{{a.DistrictID, b.DistrictID}, {a.StreetID, b.StreetID}, {a.CommunityID, b.CommunityID}, {a.GridID, b.GridID}} {
		if d[0] != d[1] {
			if d[0] < d[1] {
				return -1
			}
			return 1
		}
	}
	if a.Category != b.Category {
		if a.Category < b.Category {
			return -1
		}
		return 1
	}
	switch {
	case a.UnitID < b.UnitID:
		return -1
	case a.UnitID > b.UnitID:
		return 1
	}
	return 0
}
