package forecast

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func day(y int, m time.Month, d int) int64 {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

func TestPeriods(t *testing.T) {
	for _, tc := range []struct {
		day          int64
		month        int
		monthStart   int64
		week         int
		weekStart    int64
		weekPhaseMax int
	}{
		{day(1970, 1, 1), 1970 * 12, day(1970, 1, 1), 0, day(1969, 12, 29), 51},
		{day(2024, 2, 29), 2024*12 + 1, day(2024, 2, 1), WeekOfDay(day(2024, 2, 26)), day(2024, 2, 26), 8},
		{day(2025, 12, 31), 2025*12 + 11, day(2025, 12, 1), WeekOfDay(day(2025, 12, 29)), day(2025, 12, 29), 51},
		{day(2026, 1, 5), 2026 * 12, day(2026, 1, 1), WeekOfDay(day(2026, 1, 5)), day(2026, 1, 5), 0},
	} {
		if got := MonthOfDay(tc.day); got != tc.month {
			t.Errorf("MonthOfDay(%d) = %d, want %d", tc.day, got, tc.month)
		}
		if got := MonthStart(tc.month); got != tc.monthStart {
			t.Errorf("MonthStart(%d) = %d, want %d", tc.month, got, tc.monthStart)
		}
		w := WeekOfDay(tc.day)
		if w != tc.week {
			t.Errorf("WeekOfDay(%d) = %d, want %d", tc.day, w, tc.week)
		}
		if got := WeekStart(w); got != tc.weekStart {
			t.Errorf("WeekStart(%d) = %d, want %d (a Monday)", w, got, tc.weekStart)
		}
		if time.Unix(WeekStart(w)*86400, 0).UTC().Weekday() != time.Monday {
			t.Errorf("week %d starts on a %v", w, time.Unix(WeekStart(w)*86400, 0).UTC().Weekday())
		}
		if p := WeekPhase(w); p < 0 || p > tc.weekPhaseMax {
			t.Errorf("WeekPhase(%d) = %d, want 0..%d", w, p, tc.weekPhaseMax)
		}
	}
	// Every day of four years maps into its month and week.
	for d := day(2023, 1, 1); d < day(2027, 1, 1); d++ {
		if m := MonthOfDay(d); d < MonthStart(m) || d >= MonthStart(m+1) {
			t.Fatalf("day %d outside its month %d", d, m)
		}
		if w := WeekOfDay(d); d < WeekStart(w) || d >= WeekStart(w)+7 {
			t.Fatalf("day %d outside its week %d", d, w)
		}
	}
}

func TestQuantiles(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mu, c  float64
		lo, hi int
	}{
		{"no requests expected", 0, 0, 0, 0},
		{"Poisson 10", 10, 0, 6, 14},         // P(≤5)=.067 P(≤6)=.130; P(≤13)=.864 P(≤14)=.917
		{"Poisson 0.3", 0.3, 0, 0, 1},        // P(0)=.741 P(≤1)=.963
		{"overdispersed 10", 10, 0.5, 2, 19}, // NB r=2: wider than the Poisson's
		{"normal 1000", 1000, 0, 959, 1041},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lo, hi := Interval(tc.mu, tc.c, 0.8)
			if tc.name == "overdispersed 10" { // only its width against the Poisson's
				if lo > 6 || hi < 14 || hi-lo <= 8 {
					t.Errorf("Interval = %d–%d, want wider than 6–14", lo, hi)
				}
				return
			}
			if lo != tc.lo || hi != tc.hi {
				t.Errorf("Interval(%v, %v) = %d–%d, want %d–%d", tc.mu, tc.c, lo, hi, tc.lo, tc.hi)
			}
			if p := Prob(tc.mu, tc.c, lo, hi); p < 0.8 || p > 1.0001 {
				t.Errorf("Prob of the interval = %.3f, want ≥ 0.8", p)
			}
		})
	}
	if m := Median(0.3, 0); m != 0 {
		t.Errorf("median of Poisson 0.3 = %d, want 0", m)
	}
	if m := Median(10, 0); m != 10 {
		t.Errorf("median of Poisson 10 = %d, want 10", m)
	}
}

func TestBuild(t *testing.T) {
	a, b := Key{"urban.stall", 2}, Key{"noise", 1}
	p := Build([]Count{{Period: 10, Key: a, N: 3}, {Period: 12, Key: a, N: 1}, {Period: 12, Key: a, N: 2}, {Period: 11, Key: b, N: 5}, {Period: 13, Key: b, N: 9}}, 10, 12)
	if len(p.Keys) != 2 || p.Keys[0] != b || p.Keys[1] != a {
		t.Fatalf("keys %v, want sorted by category", p.Keys)
	}
	want := [][]float64{{0, 5, 0}, {3, 0, 3}}
	for i := range want {
		for j := range want[i] {
			if p.Y[i][j] != want[i][j] {
				t.Fatalf("Y = %v, want %v (the count outside the periods left out)", p.Y, want)
			}
		}
	}
	if Build(nil, 5, 4).Len() != 0 {
		t.Error("an empty span has periods")
	}
}

// synthetic is a panel of Poisson counts: categories with a level and a
// seasonal swing, streets with fixed shares.
func synthetic(seed uint64, periods, season int, levels []float64, shares []float64, swing float64) Panel {
	r := rand.New(rand.NewPCG(seed, 7))
	var p Panel
	for c, level := range levels {
		for s, share := range shares {
			p.Keys = append(p.Keys, Key{Category: string(rune('a' + c)), Street: int64(s + 1)})
			y := make([]float64, periods)
			for t := range y {
				mu := level * share * (1 + swing*math.Sin(2*math.Pi*float64(t)/float64(season)))
				y[t] = float64(poisson(r, mu))
			}
			p.Y = append(p.Y, y)
		}
	}
	return p
}

func poisson(r *rand.Rand, mu float64) int {
	if mu > 50 {
		return max(0, int(math.Round(mu+math.Sqrt(mu)*r.NormFloat64())))
	}
	l, k, p := math.Exp(-mu), 0, 1.0
	for {
		p *= r.Float64()
		if p < l {
			return k
		}
		k++
	}
}

func TestPredictRecoversLevelSeasonAndShares(t *testing.T) {
	p := synthetic(1, 48, 12, []float64{400}, []float64{0.25, 0.75}, 0.4)
	f := Predict(p, MonthOptions(0), 2)
	for i, s := range []float64{0.25, 0.75} {
		for j := range 2 {
			want := 400 * s * (1 + 0.4*math.Sin(2*math.Pi*float64(48+j)/12))
			if got := f[i].Mean[j]; math.Abs(got-want) > 0.15*want {
				t.Errorf("street %d, h=%d: mean %.1f, want %.1f ± 15 %%", i+1, j+1, got, want)
			}
			if f[i].Lo[j] > f[i].Mean[j] || f[i].Hi[j] < f[i].Mean[j] {
				t.Errorf("street %d, h=%d: interval %v–%v misses its mean %.1f", i+1, j+1, f[i].Lo[j], f[i].Hi[j], f[i].Mean[j])
			}
		}
	}
	if Predict(p, MonthOptions(0), 0) != nil {
		t.Error("a forecast of no periods")
	}
}

func TestBacktest(t *testing.T) {
	for _, tc := range []struct {
		name          string
		panel         Panel
		opt           Options
		n, h          int
		season        int
		maxMASE       float64 // the method's MASE
		covLo, covHi  float64
		beatsBaseline bool
	}{
		{"seasonal months, busy and sparse series", synthetic(2, 60, 12, []float64{300, 40, 8}, []float64{0.1, 0.2, 0.3, 0.4}, 0.3), MonthOptions(0), 12, 3, 12, 0.9, 0.72, 0.95, true},
		{"a year of weeks: the naive fallback", synthetic(3, 52, 52, []float64{60, 10}, []float64{0.5, 0.3, 0.2}, 0), WeekOptions(0), 20, 2, 1, 0.9, 0.72, 0.99, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Backtest(tc.panel, tc.opt, tc.n, tc.h)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Season != tc.season || (tc.season == 1) != (rep.SeasonNote != "") {
				t.Errorf("season %d (%q), want %d", rep.Season, rep.SeasonNote, tc.season)
			}
			if rep.Origins != tc.n || rep.Horizon != tc.h || len(rep.ByHorizon) != tc.h || len(rep.ByOrigin) != tc.n {
				t.Errorf("origins %d horizon %d (%d, %d figures)", rep.Origins, rep.Horizon, len(rep.ByOrigin), len(rep.ByHorizon))
			}
			if float64(rep.MASE) > tc.maxMASE {
				t.Errorf("MASE %.3f, want < %.2f (baseline %.3f)", rep.MASE, tc.maxMASE, rep.Baseline.MASE)
			}
			if tc.beatsBaseline && rep.MASE >= rep.Baseline.MASE {
				t.Errorf("MASE %.3f does not beat the baseline's %.3f", rep.MASE, rep.Baseline.MASE)
			}
			if c := float64(rep.Coverage80); c < tc.covLo || c > tc.covHi {
				t.Errorf("coverage80 %.3f, want %.2f–%.2f (expected %.3f)", c, tc.covLo, tc.covHi, rep.Expected80)
			}
			// Calibrated: the observed coverage is near the intervals' own mass.
			if d := math.Abs(float64(rep.Coverage80 - rep.Expected80)); d > 0.06 {
				t.Errorf("coverage80 %.3f is %.3f from the intervals' mass %.3f", rep.Coverage80, d, rep.Expected80)
			}
			// Simulated counts are drawn from calibrated distributions: the
			// PIT coverage is the level, however sparse the series, within
			// three standard errors of a share of the points (0.4/√points).
			if c, se := float64(rep.Coverage80PIT), 0.4/math.Sqrt(float64(rep.Points)); math.Abs(c-0.8) > 3*se {
				t.Errorf("coverage80_pit %.3f over %d points, want 0.8 ± %.3f", c, rep.Points, 3*se)
			}
			if d := float64(rep.RelMASE) - float64(rep.MASE/rep.Baseline.MASE); math.Abs(d) > 1e-9 {
				t.Errorf("rel_mase %.4f is not MASE/baseline %.4f", rep.RelMASE, rep.MASE/rep.Baseline.MASE)
			}
			// With the totals known only the shares and the noise are left.
			if rep.OracleTotalsMASE > rep.MASE+0.02 {
				t.Errorf("MASE with the totals known %.3f above the method's %.3f", rep.OracleTotalsMASE, rep.MASE)
			}
			if rep.Spread.MASEMin > rep.MASE || rep.Spread.MASEMax < rep.MASE {
				t.Errorf("spread %v does not hold the MASE %v", rep.Spread, rep.MASE)
			}
		})
	}
	if _, err := Backtest(synthetic(4, 8, 12, []float64{10}, []float64{1}, 0), MonthOptions(0), 6, 3); !errors.Is(err, ErrTooShort) {
		t.Errorf("8 months, 6 origins × 3: %v, want ErrTooShort", err)
	}
}

func TestPITCoverage(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mu, c float64
		y     int
		want  float64
	}{
		// Poisson 0.3: F(0) = .7408, F(1) = .9631.
		{"0 of 0.3: [0, .741] holds [.1, .741]", 0.3, 0, 0, (0.7408 - 0.1) / 0.7408},
		{"1 of 0.3: [.741, .963] holds [.741, .9]", 0.3, 0, 1, (0.9 - 0.7408) / (0.9631 - 0.7408)},
		{"5 of 0.3: far in the tail", 0.3, 0, 5, 0},
		{"nothing expected, nothing came", 0, 0, 0, 0.8},
		{"nothing expected, one came", 0, 0, 1, 0},
	} {
		if got := PITCoverage(tc.mu, tc.c, tc.y, 0.8); math.Abs(got-tc.want) > 0.002 {
			t.Errorf("%s: PITCoverage = %.4f, want %.4f", tc.name, got, tc.want)
		}
	}
	// Counts drawn from the forecast distribution itself: the mean PIT
	// coverage is the level, sparse or busy, where the share of counts
	// inside the count interval is not.
	r := rand.New(rand.NewPCG(5, 9))
	for _, mu := range []float64{0.2, 3, 40, 400} {
		lo, hi := Interval(mu, 0, 0.8)
		var pit, in float64
		const n = 20000
		for range n {
			y := poisson(r, mu)
			pit += PITCoverage(mu, 0, y, 0.8)
			if y >= lo && y <= hi {
				in++
			}
		}
		if m := pit / n; math.Abs(m-0.8) > 0.015 {
			t.Errorf("Poisson %v: mean PIT coverage %.3f, want 0.80 (count interval %d–%d holds %.3f)", mu, m, lo, hi, in/n)
		}
	}
}

func TestTotalForecastWeighsItsParts(t *testing.T) {
	opt := MonthOptions(0)
	// A pattern repeated exactly every year, far from a smooth index times
	// a level: last year's counts had no error, so they carry the forecast.
	pattern := []float64{50, 10, 80, 20, 5, 90, 30, 60, 15, 70, 40, 25}
	var y []float64
	for range 4 {
		y = append(y, pattern...)
	}
	cityIdx := make([]float64, 12)
	for j := range cityIdx {
		cityIdx[j] = 1
	}
	var miss float64
	for j, v := range smoothedTotal(y, cityIdx, opt, 3) {
		miss += math.Abs(v - pattern[j])
	}
	if miss < 0.5 {
		t.Fatalf("the smoothed level alone misses the repeated year by %.2f: the case does not tell the parts apart", miss)
	}
	at := func(y, cityIdx []float64) func(o, h int) []float64 {
		return func(o, h int) []float64 { return smoothedTotal(y[:o], cityIdx, opt, h) }
	}
	for j, got := range totalForecast(y, true, opt, 3, at(y, cityIdx)) {
		if math.Abs(got-pattern[j]) > 1e-6 {
			t.Errorf("repeated year, h=%d: %.2f, want last year's %.0f", j+1, got, pattern[j])
		}
	}
	// A steady level with noise: the last count is a worse forecast than
	// the smoothed level, which carries most of the weight.
	r := rand.New(rand.NewPCG(6, 1))
	y = y[:0]
	for range 30 {
		y = append(y, float64(poisson(r, 100)))
	}
	g := totalForecast(y, false, opt, 1, at(y, nil))[0]
	smooth := smoothedTotal(y, nil, opt, 1)[0]
	last := y[len(y)-1]
	if w := (g - last) / (smooth - last); smooth != last && (w < 0.5 || w > 1) {
		t.Errorf("steady level: weight of the smoothed level %.2f, want 0.5–1 (forecast %.1f, smoothed %.1f, last %.0f)", w, g, smooth, last)
	}
	if math.Abs(g-100) > 8 {
		t.Errorf("steady level 100: forecast %.1f", g)
	}
}
