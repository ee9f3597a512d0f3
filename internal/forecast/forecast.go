// Package forecast forecasts request counts per series (category × street,
// by month or by week) with prediction intervals, and back-tests the
// forecasts against a seasonal-naive baseline (issue #16, 未诉先办).
//
// The method is hierarchical (docs/FORECAST.md): each category's city total
// is forecast by simple exponential smoothing of its deseasonalised counts
// (seasonal indices pooled from all years and shrunk toward the city's), and
// shared out to the streets by their recent, smoothed proportions, shrunk
// toward the street's share of all requests. Intervals are negative-binomial
// with a dispersion per category and horizon estimated from the method's
// own errors at earlier origins (never from the months being forecast).
//
// Everything here is pure: no SQL, no HTTP, no clock.
package forecast

import (
	"cmp"
	"math"
	"slices"
)

// Key names a series: a category code and a street (place id; 0 = not
// placed in a street).
type Key struct {
	Category string `json:"category"`
	Street   int64  `json:"street"`
}

// Panel is a set of series on one time axis: Y[i][t] is the count of
// series Keys[i] in period t (0 = the oldest). All rows have the same length.
type Panel struct {
	Keys []Key
	Y    [][]float64
}

// Len is the number of periods.
func (p Panel) Len() int {
	if len(p.Y) == 0 {
		return 0
	}
	return len(p.Y[0])
}

// Options are the method's settings. The zero value is not usable: take
// MonthOptions or WeekOptions and change what needs changing.
type Options struct {
	// Season is the season length in periods (12 months, 52 weeks); 0 or 1:
	// no seasonality. Seasonal indices are used only when the history
	// holds at least two full seasons (MinSeasons).
	Season int
	// Phase is the position in the season of period 0 (the calendar month
	// 0..11 or the week of the year 0..51), so that indices line up across
	// panels that start at different periods.
	Phase int
	// Smooth is the half-width of the circular moving average applied to
	// the seasonal indices (weeks: neighbouring weeks share their noise).
	Smooth int
	// ShareDecay is the weight of a period against the one after it when
	// the streets' shares are estimated (0 < decay ≤ 1).
	ShareDecay float64
	// SharePrior is the pseudo-count (requests) of the prior share, the
	// street's share of all requests, that each share is shrunk toward.
	SharePrior float64
	// SeasonPrior is the pseudo-count (requests per season position) of
	// the city's seasonal index that each category's index is shrunk toward.
	SeasonPrior float64
	// CalibOrigins is how many earlier origins calibrate the intervals.
	CalibOrigins int
	// Level is the interval's coverage (0.8: from the 10 % to the 90 % quantile).
	Level float64
}

// MonthOptions are the settings for monthly series (season 12).
func MonthOptions(phase int) Options {
	return Options{Season: 12, Phase: phase, ShareDecay: 0.85, SharePrior: 20, SeasonPrior: 30, CalibOrigins: 12, Level: 0.8}
}

// WeekOptions are the settings for weekly series (season 52).
func WeekOptions(phase int) Options {
	return Options{Season: 52, Phase: phase, Smooth: 2, ShareDecay: 0.95, SharePrior: 20, SeasonPrior: 30, CalibOrigins: 26, Level: 0.8}
}

// MinSeasons is how many full seasons of history the seasonal indices need.
const MinSeasons = 2

// alphas is the grid the smoothing constant of each category total is
// chosen from, by its in-sample one-step squared relative error (ses).
var alphas = []float64{0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8}

// Forecast is one series' forecast for horizons 1..H: the mean and the
// interval [Lo, Hi] (counts) at Options.Level.
type Forecast struct {
	Key  Key       `json:"key"`
	Mean []float64 `json:"mean"`
	Lo   []float64 `json:"lo"`
	Hi   []float64 `json:"hi"`
}

// Predict forecasts every series of p for the h periods after its last,
// from its whole history, with intervals calibrated on earlier origins.
func Predict(p Panel, opt Options, h int) []Forecast {
	if h < 1 || p.Len() == 0 {
		return nil
	}
	c := newCache(h)
	mu := means(p, p.Len(), opt, h, c)
	disp := calibrate(p, p.Len(), opt, h, c)
	out := make([]Forecast, len(p.Keys))
	for i, k := range p.Keys {
		f := Forecast{Key: k, Mean: mu[i], Lo: make([]float64, h), Hi: make([]float64, h)}
		for j := range h {
			lo, hi := Interval(mu[i][j], disp.of(k.Category, j), opt.Level)
			f.Lo[j], f.Hi[j] = float64(lo), float64(hi)
		}
		out[i] = f
	}
	return out
}

// means are the point forecasts mu[i][j] of every series i for period T+j
// from the periods before T (0 < T ≤ p.Len()), h ≤ c.h.
func means(p Panel, T int, opt Options, h int, c *cache) [][]float64 {
	return meansOf(p, T, opt, h, c, nil)
}

// cache memoises what the origins of one Predict or Backtest share (one
// panel, one Options): the city's seasonal indices as known at each
// origin, and each category total's smoothed forecast from each origin —
// the combination weighs the forecasts of the CalibOrigins origins before
// its own, and the calibration's and the back-test's origins ask for them
// again.
type cache struct {
	h       int // horizons stored
	cityIdx map[int][]float64
	smooth  map[fitKey][]float64
}

type fitKey struct {
	cat string
	T   int
}

func newCache(h int) *cache {
	return &cache{h: h, cityIdx: map[int][]float64{}, smooth: map[fitKey][]float64{}}
}

// cityIndex is the city's seasonal index from the periods before T (nil
// when they hold fewer than MinSeasons seasons).
func (c *cache) cityIndex(city []float64, T int, opt Options) []float64 {
	if opt.Season <= 1 || T < MinSeasons*opt.Season {
		return nil
	}
	if idx, ok := c.cityIdx[T]; ok {
		return idx
	}
	num, den := seasonSums(city[:T], opt)
	idx := make([]float64, opt.Season)
	for j := range idx {
		idx[j] = ratio(num[j], den[j], 1)
	}
	idx = smoothIndex(idx, opt.Smooth)
	c.cityIdx[T] = idx
	return idx
}

// smoothed is smoothedTotal of category cat's total y from the periods
// before T, with the city's indices as known at T, for horizons 1..h ≤ c.h.
func (c *cache) smoothed(cat string, y, city []float64, T int, opt Options, h int) []float64 {
	k := fitKey{cat, T}
	g, ok := c.smooth[k]
	if !ok {
		g = smoothedTotal(y[:T], c.cityIndex(city, T, opt), opt, c.h)
		c.smooth[k] = g
	}
	return g[:h]
}

// meansOf is means with the categories' totals given (totals(idx, T, h):
// the totals of the series idx for T…T+h−1) instead of forecast: the
// back-test's diagnostic of how much error is left when the totals are
// known exactly.
func meansOf(p Panel, T int, opt Options, h int, c *cache, totals func(idx []int, T, h int) []float64) [][]float64 {
	// Group the series by category; streets' totals for the prior shares.
	cats := map[string][]int{}
	var order []string
	for i, k := range p.Keys {
		if _, ok := cats[k.Category]; !ok {
			order = append(order, k.Category)
		}
		cats[k.Category] = append(cats[k.Category], i)
	}
	city := make([]float64, T)
	for i := range p.Keys {
		for t := range T {
			city[t] += p.Y[i][t]
		}
	}
	// Prior shares: each street's share of all requests, weighted as the
	// shares are.
	w := decayWeights(T, opt.ShareDecay)
	streetW := map[int64]float64{}
	var allW float64
	for i, k := range p.Keys {
		for t := range T {
			v := w[t] * p.Y[i][t]
			streetW[k.Street] += v
			allW += v
		}
	}
	nStreets := float64(len(streetW))
	mu := make([][]float64, len(p.Keys))
	total := make([]float64, T)
	for _, cat := range order {
		idx := cats[cat]
		clear(total)
		for _, i := range idx {
			for t := range T {
				total[t] += p.Y[i][t]
			}
		}
		var g []float64
		if totals != nil {
			g = totals(idx, T, h)
		} else {
			g = totalForecast(total, opt.Season > 1 && T >= MinSeasons*opt.Season, opt, h,
				func(o, hh int) []float64 { return c.smoothed(cat, total, city, o, opt, hh) })
		}
		var tw float64
		for t := range T {
			tw += w[t] * total[t]
		}
		for _, i := range idx {
			var sw float64
			for t := range T {
				sw += w[t] * p.Y[i][t]
			}
			prior := 1 / max(nStreets, 1)
			if allW > 0 {
				prior = streetW[p.Keys[i].Street] / allW
			}
			share := ratio(sw+opt.SharePrior*prior, tw+opt.SharePrior, 0)
			mu[i] = make([]float64, h)
			for j := range h {
				mu[i][j] = share * g[j]
			}
		}
	}
	return mu
}

// totalForecast forecasts one category's total for the h periods after y:
// a combination of two forecasts, weighted by the inverse of each one's
// absolute error on this total at the CalibOrigins origins before the end
// of y (forecast combination, Bates & Granger 1969; the weights use only
// the history the forecast is made from):
//
//   - the smoothed level: simple exponential smoothing of the
//     deseasonalised counts, reseasonalised (smoothedTotal);
//   - the (seasonal) naive forecast: the same period a season earlier when
//     the seasonal indices are in use, else the last period.
//
// A category whose pattern repeats year on year leans on last year's
// counts, one whose level moves smoothly on the level.
//
// smoothedAt(o, h) is the smoothed level's forecast from the periods
// before o (with the seasonal indices as known at o).
func totalForecast(y []float64, seasonal bool, opt Options, h int, smoothedAt func(o, h int) []float64) []float64 {
	T := len(y)
	m := 1
	minFit := minHistory(opt)
	if seasonal {
		m = opt.Season
		minFit = MinSeasons * opt.Season
	}
	smooth := smoothedAt(T, h)
	var eSmooth, eNaive float64
	for o := max(T-opt.CalibOrigins, minFit, m); o < T; o++ {
		hh := min(h, T-o)
		g := smoothedAt(o, hh)
		for j := range hh {
			eSmooth += math.Abs(y[o+j] - g[j])
			eNaive += math.Abs(y[o+j] - y[o-m+j%m])
		}
	}
	w := 1.0 // the smoothed level's weight: 1 until there are errors to weigh
	if eSmooth+eNaive > 0 {
		w = eNaive / (eSmooth + eNaive) // (1/eSmooth) / (1/eSmooth + 1/eNaive)
	}
	out := make([]float64, h)
	for j := range h {
		out[j] = w*smooth[j] + (1-w)*y[T-m+j%m]
	}
	return out
}

// smoothedTotal is simple exponential smoothing of the deseasonalised
// counts (the smoothing constant from the grid by in-sample one-step relative
// error), reseasonalised.
func smoothedTotal(y, cityIdx []float64, opt Options, h int) []float64 {
	T := len(y)
	idx := func(int) float64 { return 1 }
	if cityIdx != nil {
		num, den := seasonSums(y, opt)
		s := make([]float64, opt.Season)
		for j := range s {
			s[j] = ratio(num[j]+opt.SeasonPrior*cityIdx[j], den[j]+opt.SeasonPrior, 1)
		}
		s = smoothIndex(s, opt.Smooth)
		idx = func(t int) float64 { return s[(t+opt.Phase)%opt.Season] }
	}
	d := make([]float64, T)
	for t := range T {
		d[t] = y[t] / idx(t)
	}
	best, bestErr := 0.0, math.Inf(1)
	for _, a := range alphas {
		_, e := ses(d, a)
		if e < bestErr {
			best, bestErr = a, e
		}
	}
	level, _ := ses(d, best)
	out := make([]float64, h)
	for j := range h {
		out[j] = level * idx(T+j)
	}
	return out
}

// ses runs simple exponential smoothing over d (started at the mean of the
// first few values) and returns the last level and the sum of squared
// relative one-step errors, (d − level)/level (the level taken as at least
// 1), after a warm-up. Relative errors are those of the multiplicative-
// error model, ETS(M,N,N), that a count deseasonalised by multiplicative
// indices follows: a series whose volume grew twentyfold is judged on every
// year, not on its busiest months' errors alone.
func ses(d []float64, a float64) (float64, float64) {
	if len(d) == 0 {
		return 0, 0
	}
	warm := min(len(d), 3)
	var l float64
	for _, v := range d[:warm] {
		l += v
	}
	l /= float64(warm)
	var sse float64
	for t, v := range d {
		if t >= warm {
			e := (v - l) / max(l, 1)
			sse += e * e
		}
		l += a * (v - l)
	}
	return l, sse
}

// seasonSums are, per season position, the sums of the counts and of their
// centred moving average (ratio-to-moving-average seasonal indices), over
// the periods where the moving average is whole.
func seasonSums(y []float64, opt Options) (num, den []float64) {
	m := opt.Season
	num, den = make([]float64, m), make([]float64, m)
	half := m / 2
	for t := half; t+half < len(y); t++ {
		// A 2×m moving average for even m, m for odd.
		var s float64
		if m%2 == 0 {
			for k := t - half; k <= t+half; k++ {
				wt := 1.0
				if k == t-half || k == t+half {
					wt = 0.5
				}
				s += wt * y[k]
			}
		} else {
			for k := t - half; k <= t+half; k++ {
				s += y[k]
			}
		}
		ma := s / float64(m)
		j := (t + opt.Phase) % m
		num[j] += y[t]
		den[j] += ma
	}
	return num, den
}

// smoothIndex averages each index with its k neighbours on either side
// (circularly) and renormalises the indices to mean 1.
func smoothIndex(s []float64, k int) []float64 {
	m := len(s)
	out := make([]float64, m)
	for j := range m {
		var sum float64
		for d := -k; d <= k; d++ {
			sum += s[((j+d)%m+m)%m]
		}
		out[j] = sum / float64(2*k+1)
	}
	var mean float64
	for _, v := range out {
		mean += v
	}
	mean /= float64(m)
	if mean > 0 {
		for j := range out {
			out[j] /= mean
		}
	}
	return out
}

// decayWeights are decay^(T-1-t) for t < T.
func decayWeights(T int, decay float64) []float64 {
	w := make([]float64, T)
	v := 1.0
	for t := T - 1; t >= 0; t-- {
		w[t] = v
		v *= decay
	}
	return w
}

func ratio(a, b, otherwise float64) float64 {
	if b <= 0 {
		return otherwise
	}
	return a / b
}

// dispersion is the negative-binomial dispersion c (variance μ + c·μ²) per
// category and horizon, with the pooled figure for categories too small to
// estimate their own.
type dispersion struct {
	byCat  map[string][]float64
	pooled []float64
}

func (d dispersion) of(cat string, j int) float64 {
	if v, ok := d.byCat[cat]; ok {
		return v[j]
	}
	if j < len(d.pooled) {
		return d.pooled[j]
	}
	return 0
}

// minCalibMass is the sum of μ² a category needs for a dispersion of its
// own; below it the pooled dispersion is used.
const minCalibMass = 400

// calibrate estimates the dispersion from the method's errors at the
// CalibOrigins origins before T: forecasts made at origin o for o+j that
// fall before T, by method of moments (Σ((y−μ)² − μ) / Σμ², at least 0).
func calibrate(p Panel, T int, opt Options, h int, c *cache) dispersion {
	type acc struct{ num, den []float64 }
	newAcc := func() *acc { return &acc{make([]float64, h), make([]float64, h)} }
	byCat := map[string]*acc{}
	pooled := newAcc()
	first := max(T-opt.CalibOrigins-h+1, minHistory(opt))
	for o := first; o < T; o++ {
		hh := min(h, T-o)
		mu := means(p, o, opt, hh, c)
		for i, k := range p.Keys {
			a := byCat[k.Category]
			if a == nil {
				a = newAcc()
				byCat[k.Category] = a
			}
			for j := range hh {
				m, y := mu[i][j], p.Y[i][o+j]
				e := (y-m)*(y-m) - m
				a.num[j] += e
				a.den[j] += m * m
				pooled.num[j] += e
				pooled.den[j] += m * m
			}
		}
	}
	est := func(a *acc) []float64 {
		out := make([]float64, h)
		for j := range h {
			out[j] = max(0, ratio(a.num[j], a.den[j], 0))
			if j > 0 && a.den[j] == 0 { // no origin reached this far: the one before
				out[j] = out[j-1]
			}
		}
		return out
	}
	d := dispersion{byCat: map[string][]float64{}, pooled: est(pooled)}
	for c, a := range byCat {
		if a.den[0] >= minCalibMass {
			d.byCat[c] = est(a)
			for j := range h { // a horizon with too little mass: the pooled figure
				if a.den[j] < minCalibMass {
					d.byCat[c][j] = d.pooled[j]
				}
			}
		}
	}
	return d
}

// minHistory is the shortest history the method forecasts from.
func minHistory(Options) int { return 3 }

// Interval is the central interval of coverage level of a negative
// binomial with mean mu and dispersion c (c = 0: Poisson): the quantiles
// (1−level)/2 and (1+level)/2, as counts.
func Interval(mu, c, level float64) (lo, hi int) {
	return Quantile(mu, c, (1-level)/2), Quantile(mu, c, (1+level)/2)
}

// Median is the median of the predictive distribution: the point forecast
// that minimises the expected absolute error (and so the MASE) of a count.
func Median(mu, c float64) int { return Quantile(mu, c, 0.5) }

// Quantile is the p-quantile (the smallest k with P(Y ≤ k) ≥ p) of a
// negative binomial with mean mu and variance mu + c·mu² (c = 0: Poisson);
// above a mean of 200 from the normal approximation with a continuity
// correction.
func Quantile(mu, c, p float64) int {
	if mu <= 0 {
		return 0
	}
	variance := mu + c*mu*mu
	if mu > 200 {
		k := int(math.Ceil(mu + normQuantile(p)*math.Sqrt(variance) - 0.5))
		return max(k, 0)
	}
	k := 0
	cdf := 0.0
	pmf(mu, c, func(n int, q float64) bool {
		cdf += q
		k = n
		return cdf < p
	})
	return k
}

// PITCoverage is the probability that the non-randomised probability
// integral transform of the count y under the forecast distribution falls
// in the central interval of coverage level (Czado, Gneiting & Held 2009):
// the share of [F(y−1), F(y)] inside [(1−level)/2, (1+level)/2]. Its mean
// over calibrated forecasts is the level itself, however discrete the
// counts (a count interval of a mean of 0.3 cannot hold 80 %, the PIT can).
func PITCoverage(mu, c float64, y int, level float64) float64 {
	lo, hi := (1-level)/2, (1+level)/2
	var fPrev float64
	if y > 0 {
		fPrev = Prob(mu, c, 0, y-1)
	}
	f := Prob(mu, c, 0, y)
	if f <= fPrev {
		return 0
	}
	return max(0, min(f, hi)-max(fPrev, lo)) / (f - fPrev)
}

// Prob is P(lo ≤ Y ≤ hi) under the same distribution (normal
// approximation above a mean of 200).
func Prob(mu, c float64, lo, hi int) float64 {
	if mu <= 0 {
		if lo <= 0 && hi >= 0 {
			return 1
		}
		return 0
	}
	if mu > 200 {
		sd := math.Sqrt(mu + c*mu*mu)
		phi := func(x float64) float64 { return 0.5 * math.Erfc(-(x-mu)/(sd*math.Sqrt2)) }
		return phi(float64(hi)+0.5) - phi(float64(lo)-0.5)
	}
	var sum float64
	pmf(mu, c, func(n int, q float64) bool {
		if n >= lo && n <= hi {
			sum += q
		}
		return n < hi
	})
	return sum
}

// pmf calls fn with P(Y = n) for n = 0, 1, … while fn returns true (at
// most a million terms): P(0) and the recursion
// P(n+1) = P(n)·(n+r)/(n+1)·μ/(r+μ), or the Poisson's for c = 0.
func pmf(mu, c float64, fn func(n int, p float64) bool) {
	var p float64
	var next func(n int, p float64) float64
	if c <= 1e-9 {
		p = math.Exp(-mu)
		next = func(n int, p float64) float64 { return p * mu / float64(n+1) }
	} else {
		r := 1 / c
		p = math.Exp(r * math.Log(r/(r+mu)))
		q := mu / (r + mu)
		next = func(n int, p float64) float64 { return p * (float64(n) + r) / float64(n+1) * q }
	}
	for n := 0; n < 1_000_000; n++ {
		if !fn(n, p) {
			return
		}
		p = next(n, p)
	}
}

// normQuantile is the standard normal quantile (Acklam's approximation).
func normQuantile(p float64) float64 {
	a := []float64{-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00}
	b := []float64{-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01}
	c := []float64{-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549671010243157e+00, 4.374664141464968e+00, 2.938163982698783e+00}
	d := []float64{7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00}
	const pl = 0.02425
	switch {
	case p < pl:
		q := math.Sqrt(-2 * math.Log(p))
		return (((((c[0]*q+c[1])*q+c[2])*q+c[3])*q+c[4])*q + c[5]) / ((((d[0]*q+d[1])*q+d[2])*q+d[3])*q + 1)
	case p <= 1-pl:
		q := p - 0.5
		r := q * q
		return (((((a[0]*r+a[1])*r+a[2])*r+a[3])*r+a[4])*r + a[5]) * q / (((((b[0]*r+b[1])*r+b[2])*r+b[3])*r+b[4])*r + 1)
	default:
		q := math.Sqrt(-2 * math.Log(1-p))
		return -(((((c[0]*q+c[1])*q+c[2])*q+c[3])*q+c[4])*q + c[5]) / ((((d[0]*q+d[1])*q+d[2])*q+d[3])*q + 1)
	}
}

// SortKeys orders keys by category, then street.
func SortKeys(keys []Key) {
	slices.SortFunc(keys, func(a, b Key) int {
		return cmp.Or(cmp.Compare(a.Category, b.Category), cmp.Compare(a.Street, b.Street))
	})
}

// Periods: a month is numbered year×12 + month−1; a week (Monday to
// Sunday) is (day + 3) / 7 with day the insight.Day (days since
// 1970-01-01, a Thursday).

// MonthOfDay is the month number of a day (days since 1970-01-01).
func MonthOfDay(day int64) int {
	y, m, _ := civil(day)
	return y*12 + m - 1
}

// MonthStart is the first day of month number n.
func MonthStart(n int) int64 {
	return daysFromCivil(n/12, n%12+1, 1)
}

// WeekOfDay is the week number of a day.
func WeekOfDay(day int64) int { return int((day + 3) / 7) }

// WeekStart is the Monday of week number w.
func WeekStart(w int) int64 { return int64(w)*7 - 3 }

// WeekPhase is the position of week w in a 52-week season: the week of the
// year of its Monday (0..51; a 53rd week counts as the 52nd).
func WeekPhase(w int) int {
	doy := WeekStart(w) - daysFromCivil(yearOf(WeekStart(w)), 1, 1)
	return min(int(doy/7), 51)
}

func yearOf(day int64) int { y, _, _ := civil(day); return y }

// civil is the calendar date of a day number (Howard Hinnant's algorithm).
func civil(z int64) (y, m, d int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	y = int(yoe + era*400)
	if m <= 2 {
		y++
	}
	return y, m, d
}

func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := int64(y - era*400)
	mm := int64(m)
	var mp int64
	if mm > 2 {
		mp = mm - 3
	} else {
		mp = mm + 9
	}
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + doe - 719468
}

// Count is one cell of counts: the requests of a series in a period.
type Count struct {
	Period int
	Key    Key
	N      float64
}

// Build lays counts out as a panel over the periods from..to (inclusive):
// one series per key met, zeros where a key has no count; counts outside
// the periods are ignored. Keys are sorted by category and street.
func Build(counts []Count, from, to int) Panel {
	if to < from {
		return Panel{}
	}
	idx := map[Key]int{}
	var keys []Key
	for _, c := range counts {
		if c.Period < from || c.Period > to {
			continue
		}
		if _, ok := idx[c.Key]; !ok {
			idx[c.Key] = 0
			keys = append(keys, c.Key)
		}
	}
	SortKeys(keys)
	p := Panel{Keys: keys, Y: make([][]float64, len(keys))}
	for i, k := range keys {
		idx[k] = i
		p.Y[i] = make([]float64, to-from+1)
	}
	for _, c := range counts {
		if c.Period < from || c.Period > to {
			continue
		}
		p.Y[idx[c.Key]][c.Period-from] += c.N
	}
	return p
}
