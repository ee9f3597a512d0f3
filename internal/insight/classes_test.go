package insight

import (
	"fmt"
	"testing"
)

// compact sums cells of the same category, place and unit whose days are in
// the same class, as a store reading through DayClasses does.
func compact(cells []Cell, class func(Day) (Day, bool)) []Cell {
	idx := map[Cell]int{}
	var out []Cell
	for _, c := range cells {
		d, ok := class(c.Day)
		if !ok {
			continue
		}
		k := Cell{Day: d, Category: c.Category, District: c.District, Street: c.Street, Community: c.Community, Grid: c.Grid, Unit: c.Unit}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, k)
		}
		o := &out[i]
		o.N += c.N
		o.Reopened += c.Reopened
		o.Rated += c.Rated
		o.Unsatis += c.Unsatis
	}
	return out
}

// TestDayClasses: the report from cells summed by day class is the report
// from the daily cells, for periods of several lengths and baselines (last
// year, preceding periods, none), and summing really shrinks the input.
func TestDayClasses(t *testing.T) {
	_, in, _ := planted()
	dataFrom := in.Cells[0].Day
	for _, c := range in.Cells {
		dataFrom = min(dataFrom, c.Day)
	}
	end := DateDay(2026, 12, 27)
	for _, tc := range []struct {
		name     string
		from, to Day
	}{
		{"four weeks", end - 27, end},
		{"one week", end - 6, end},
		{"quarter", end - 90, end},
		{"year", end - 364, end},
		{"early: preceding periods", dataFrom + 60, dataFrom + 89},
		{"first days: no baseline", dataFrom + 1, dataFrom + 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opt := Options{From: tc.from, To: tc.to, DataFrom: dataFrom}
			want, err := Analyze(in, opt)
			if err != nil {
				t.Fatal(err)
			}
			cin := in
			cin.Cells = compact(in.Cells, DayClasses(opt, dataFrom))
			if len(cin.Cells)*3 > len(in.Cells) {
				t.Errorf("%d cells summed into %d: the classes do not shrink the input", len(in.Cells), len(cin.Cells))
			}
			got, err := Analyze(cin, opt)
			if err != nil {
				t.Fatal(err)
			}
			if w, g := fmt.Sprintf("%+v", *want), fmt.Sprintf("%+v", *got); w != g {
				t.Errorf("reports differ (%d anomalies / %d; %d candidates / %d)", len(want.Anomalies), len(got.Anomalies), len(want.Candidates), len(got.Candidates))
			}
		})
	}
}

func TestDayClassesEdges(t *testing.T) {
	opt := Options{From: 1000, To: 1027}
	class := DayClasses(opt, 100)
	for _, tc := range []struct {
		d    Day
		want Day
		ok   bool
	}{
		{1000, 1000, true}, {1027, 1000, true}, {1028, 0, false}, // the period; after it: nothing
		{972, 972, true}, {999, 972, true}, // the preceding period
		{1000 - 364, 636, true}, {1027 - 364, 636, true}, // the same weeks last year (the baseline)
		{608, 608, true}, {635, 608, true}, // the placebo baseline
		{607, 0, false}, {700, 0, false}, {100, 0, false},
	} {
		got, ok := class(tc.d)
		if got != tc.want || ok != tc.ok {
			t.Errorf("class(%d) = %d, %v; want %d, %v", tc.d, got, ok, tc.want, tc.ok)
		}
	}
}
