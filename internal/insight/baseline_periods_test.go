package insight

import "testing"

// TestBaselinePeriods: the report says how many periods the baseline sums,
// so that the trend R can be read per period (the preceding periods' R is
// against their sum).
func TestBaselinePeriods(t *testing.T) {
	from := DateDay(2026, 11, 9)
	to := from + 27
	for _, tc := range []struct {
		name     string
		dataFrom Day
		mode     string
		want     int
	}{
		{"a year and more", from - 400, "last-year", 1},
		{"three periods", from - 3*28, "recent", 3},
		{"two periods", from - 2*28 - 5, "recent", 2},
		{"none", from, "none", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Analyze(Input{Cells: []Cell{{Day: tc.dataFrom, Category: "c", N: 1}, {Day: from, Category: "c", N: 1}}}, Options{From: from, To: to, DataFrom: tc.dataFrom})
			if err != nil {
				t.Fatal(err)
			}
			if r.Baseline != tc.mode || r.BaselinePeriods != tc.want {
				t.Errorf("baseline %s over %d periods, want %s over %d", r.Baseline, r.BaselinePeriods, tc.mode, tc.want)
			}
		})
	}
}
