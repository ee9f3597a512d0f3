package insight

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// seasonCity generates daily cells for streets s0..s5 (each with two
// communities of two grids, one unit per street) over [from, to]: every
// category in flat at a constant daily rate per street, and "heating" at
// a low rate everywhere, raised in the planted streets from 1 November to
// 15 March (in street s1 all in one grid). A city-wide weekly factor (the
// Spring Festival week and summer are quieter) moves every category alike,
// so it must not make anything seasonal.
func seasonCity(seed uint64, from, to Day, heating map[string]float64, flat []string) []Cell {
	rng := rand.New(rand.NewPCG(seed, 99))
	var cells []Cell
	for d := from; d <= to; d++ {
		t := d.Time()
		factor := 1.0
		if w := WeekOf(d); w == 5 || w == 6 {
			factor = 0.6
		} else if t.Month() == time.July || t.Month() == time.August {
			factor = 1.2
		}
		winter := t.Month() >= time.November || t.Month() <= time.February || (t.Month() == time.March && t.Day() <= 15)
		for s := 0; s < 6; s++ {
			street := fmt.Sprintf("s%d", s)
			for g := 0; g < 4; g++ {
				grid := fmt.Sprintf("%s-g%d", street, g)
				comm := fmt.Sprintf("%s-c%d", street, g/2)
				add := func(cat string, rate float64) {
					if n := poisson(rng, rate*factor); n > 0 {
						cells = append(cells, Cell{Day: d, Category: cat, District: "d0", Street: street, Community: comm, Grid: grid, Unit: "u-" + street, N: n})
					}
				}
				for _, c := range flat {
					add(c, 0.3)
				}
				rate := 0.01
				if r, ok := heating[street]; ok && winter {
					rate = r / 4
					if street == "s1" {
						rate = 0
						if g == 3 {
							rate = r
						}
					}
				}
				add("heating", rate)
			}
		}
	}
	return cells
}

var (
	histFrom = DateDay(2024, time.October, 1)
	histTo   = DateDay(2026, time.October, 18)
)

func TestWeekOf(t *testing.T) {
	for _, c := range []struct {
		d    Day
		want int
	}{
		{DateDay(2026, 1, 1), 0}, {DateDay(2026, 1, 7), 0}, {DateDay(2026, 1, 8), 1},
		{DateDay(2026, 11, 1), 43}, {DateDay(2026, 12, 30), 51}, {DateDay(2026, 12, 31), 51}, {DateDay(2024, 12, 31), 51},
	} {
		if got := WeekOf(c.d); got != c.want {
			t.Errorf("WeekOf(%s) = %d, want %d", c.d, got, c.want)
		}
	}
	if WeekStart(2026, 43) != DateDay(2026, 10, 29) {
		t.Errorf("WeekStart(2026, 43) = %s", WeekStart(2026, 43))
	}
}

func TestChiUpper(t *testing.T) {
	for _, c := range []struct{ x, k, want float64 }{
		{3.841459, 1, 0.05}, {18.307038, 10, 0.05}, {10, 10, 0.440493}, {67.504807, 51, 0.06}, {0, 5, 1},
	} {
		if got := chiUpper(c.x, c.k); got < c.want-0.002 || got > c.want+0.002 {
			t.Errorf("chiUpper(%g, %g) = %g, want %g", c.x, c.k, got, c.want)
		}
	}
}

func TestSeasonal(t *testing.T) {
	flat := []string{"noise", "road", "water", "stall", "pets"}
	cases := []struct {
		name    string
		heating map[string]float64
		want    []string // seasonal categories
	}{
		{"planted winter", map[string]float64{"s1": 3, "s3": 2}, []string{"heating"}},
		{"no season", nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cells := seasonCity(1, histFrom, histTo, tc.heating, flat)
			ss, err := Seasonal(cells, SeasonOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range ss {
				got = append(got, s.Category)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("seasonal = %v, want %v (%+v)", got, tc.want, ss)
			}
			for _, s := range ss {
				// 1 November is in week 43, 15 March in week 10; smoothing may widen by a week
				if s.PeakFrom < 42 || s.PeakFrom > 44 || s.PeakTo < 9 || s.PeakTo > 11 {
					t.Errorf("%s peak weeks %d..%d, want about 43..10", s.Category, s.PeakFrom, s.PeakTo)
				}
				if !s.InPeak(0) || s.InPeak(26) || s.PeakShare < 0.7 || s.Phi < 1 || s.Q > 0.05 {
					t.Errorf("%s: %+v", s.Category, s)
				}
			}
		})
	}
	if _, err := Seasonal(seasonCity(1, histFrom, histFrom+300, nil, flat), SeasonOptions{}); err != ErrShortHistory {
		t.Errorf("300 days: err = %v, want ErrShortHistory", err)
	}
}

// Pure noise: many flat categories, many seeds; BH at q = 0.05 under the
// global null flags something in at most about 5 % of the seeds.
func TestSeasonalNoiseFDR(t *testing.T) {
	flat := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	runs, flagged := 20, 0
	for seed := uint64(0); seed < uint64(runs); seed++ {
		ss, err := Seasonal(seasonCity(seed+100, histFrom, histTo, nil, flat), SeasonOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ss) > 0 {
			flagged++
		}
	}
	if flagged > 3 {
		t.Errorf("%d of %d noise runs flagged a season", flagged, runs)
	}
}

func TestProactive(t *testing.T) {
	flat := []string{"noise", "road", "water", "stall", "pets"}
	cells := seasonCity(7, histFrom, histTo, map[string]float64{"s1": 3, "s3": 2}, flat)
	from, to := DateDay(2026, 10, 19), DateDay(2026, 11, 29) // the next six weeks
	cases := []struct {
		name       string
		from, to   Day
		opt        SeasonOptions
		wantPlaces []string // places proposed for heating, most first
		wantFlat   bool
	}{
		{"winter ahead", from, to, SeasonOptions{}, []string{"s1-g3", "s3"}, false},
		{"recurring too", from, to, SeasonOptions{Recurring: true}, []string{"s1-g3", "s3"}, false},
		{"summer ahead", DateDay(2026, 6, 1), DateDay(2026, 7, 12), SeasonOptions{}, nil, false},
		{"high minimum", from, to, SeasonOptions{MinRequests: 10000}, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := Proactive(cells, tc.from, tc.to, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			var places []string
			for _, p := range ps {
				if p.Category != "heating" {
					t.Errorf("a flat category was proposed: %+v", p)
					continue
				}
				places = append(places, p.Place)
			}
			if fmt.Sprint(places) != fmt.Sprint(tc.wantPlaces) {
				t.Fatalf("places = %v, want %v", places, tc.wantPlaces)
			}
			for _, p := range ps {
				if p.Place == "s1-g3" && (p.Level != Grid || p.Street != "s1") {
					t.Errorf("s1's concentration in one grid: %+v", p)
				}
				if p.Place == "s3" && p.Level != Street {
					t.Errorf("s3 spread over its grids: %+v", p)
				}
				if !p.Seasonal || p.LastFrom != tc.from-364 || p.LastTo != tc.to-364 || p.Lift < 1.5 || len(p.Units) == 0 || p.Units[0].Key != "u-"+p.Street {
					t.Errorf("proposal %+v", p)
				}
				if p.SeasonStart < DateDay(2026, 10, 22) || p.SeasonStart > DateDay(2026, 11, 5) || p.IssueBy != p.SeasonStart-14 || p.LeadDays != 14 {
					t.Errorf("season start %s, issue by %s", p.SeasonStart, p.IssueBy)
				}
				sum := 0
				for _, n := range p.Weekly {
					sum += n
				}
				if sum != p.LastYear || p.LastYear < 5 {
					t.Errorf("weekly %v, last year %d", p.Weekly, p.LastYear)
				}
			}
		})
	}
	// deterministic
	a, _ := Proactive(cells, from, to, SeasonOptions{})
	b, _ := Proactive(cells, from, to, SeasonOptions{})
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Error("two runs differ")
	}
	if _, err := Proactive(cells, to, from, SeasonOptions{}); err != ErrPeriod {
		t.Errorf("reversed period: %v", err)
	}
	if _, err := Proactive(cells, histFrom+100, histFrom+140, SeasonOptions{}); err != ErrShortHistory {
		t.Errorf("last year before the history: %v", err)
	}
}

// BenchmarkProactive: two years of daily cells for 100 streets of 4 grids
// and 20 categories (one seasonal), about 1.5 million cells.
func BenchmarkProactive(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	from, to := DateDay(2024, 10, 1), DateDay(2026, 10, 18)
	var cells []Cell
	for d := from; d <= to; d++ {
		winter := d.Time().Month() >= time.November || d.Time().Month() <= time.February
		for s := 0; s < 100; s++ {
			for g := 0; g < 4; g++ {
				for c := 0; c < 20; c++ {
					rate := 0.3
					if c == 0 && winter && s%10 == 0 {
						rate = 2
					}
					if n := poisson(rng, rate); n > 0 {
						cells = append(cells, Cell{Day: d, Category: fmt.Sprintf("cat%02d", c), District: "d", Street: fmt.Sprintf("s%03d", s),
							Community: fmt.Sprintf("s%03d-c%d", s, g/2), Grid: fmt.Sprintf("s%03d-g%d", s, g), Unit: fmt.Sprintf("u%03d", s), N: n})
					}
				}
			}
		}
	}
	b.ReportMetric(float64(len(cells)), "cells")
	b.ResetTimer()
	for b.Loop() {
		ps, err := Proactive(cells, DateDay(2026, 10, 19), DateDay(2026, 11, 29), SeasonOptions{})
		if err != nil || len(ps) == 0 {
			b.Fatal(len(ps), err)
		}
	}
}
