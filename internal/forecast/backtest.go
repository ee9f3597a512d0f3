package forecast

import (
	"errors"
	"math"
	"strconv"
)

// Report is a rolling-origin back-test: at each origin o the method is fit
// on the periods before o and forecasts o … o+H−1, as is the baseline
// (seasonal naive: the value one season earlier). Errors are scaled per
// series and origin by the in-sample mean absolute error of the one-season
// naive forecast (MASE, Hyndman & Koehler 2006); series whose scale is 0
// (constant at that lag in-sample) are left out of the figures.
type Report struct {
	Season     int    `json:"season"`                // season length of the baseline and the scale
	SeasonNote string `json:"season_note,omitempty"` // why it differs from the method's
	Series     int    `json:"series"`                // series in the panel
	Evaluated  int    `json:"evaluated"`             // series with a scale at some origin
	Periods    int    `json:"periods"`               // length of the history
	Origins    int    `json:"origins"`
	Horizon    int    `json:"horizon"`
	Points     int    `json:"points"` // (series, origin, horizon) forecasts scored

	// MASE scores the median of each forecast distribution, the point
	// forecast of an absolute error; MASEMean the mean.
	MASE       Num `json:"mase"`
	MASEMean   Num `json:"mase_mean"`
	Coverage80 Num `json:"coverage80"` // share of the points inside their interval
	// Coverage80PIT is the mean non-randomised PIT coverage (PITCoverage):
	// 0.8 for calibrated forecasts even where no interval of counts can
	// hold 80 % (sparse series).
	Coverage80PIT Num `json:"coverage80_pit"`
	// Coverage80Busy is coverage80 over the points of series with at
	// least 10 requests a period in-sample (BusyPoints of them), where a
	// count interval can hold close to 80 %.
	Coverage80Busy Num `json:"coverage80_busy"`
	BusyPoints     int `json:"busy_points"`
	// Expected80 is the mean probability the forecast distributions give
	// their own intervals: above the level where counts are small (a
	// discrete interval cannot hold exactly 80 %); Coverage80 near it
	// means calibrated intervals.
	Expected80 Num `json:"expected80"`
	MAE        Num `json:"mae"`
	// RelMAE is the method's total absolute error over the baseline's
	// (the seasonal-naive forecast of the same points); RelMASE is MASE
	// over the baseline's MASE. Below 1: better than seasonal naive.
	RelMAE  Num `json:"rel_mae"`
	RelMASE Num `json:"rel_mase"`
	// OracleTotalsMASE is a diagnostic: the MASE the series would get if
	// each category's total were known exactly and only shared out to the
	// streets (the error left to the shares and the counts' own noise).
	OracleTotalsMASE Num `json:"oracle_totals_mase"`
	// TotalsMASE is the MASE of the categories' city totals (sums of the
	// series' forecasts against the sums of the counts).
	TotalsMASE Num `json:"totals_mase"`

	Baseline Figures `json:"baseline"`

	ByHorizon []Figures `json:"by_horizon"`
	ByOrigin  []Figures `json:"by_origin"`
	Spread    Spread    `json:"spread"`
	// ByVolume is the figures by the series' mean count in-sample: <1, 1–10,
	// 10–100, ≥100 a period.
	ByVolume []Figures `json:"by_volume"`
}

// Figures are the scores of a subset of the points.
type Figures struct {
	Label         string `json:"label,omitempty"`
	H             int    `json:"h,omitempty"`
	Origin        int    `json:"origin,omitempty"` // period index
	Points        int    `json:"points"`
	MASE          Num    `json:"mase"`
	MASEMean      Num    `json:"mase_mean"`
	Coverage80    Num    `json:"coverage80"`
	Coverage80PIT Num    `json:"coverage80_pit"`
	Expected80    Num    `json:"expected80"`
	MAE           Num    `json:"mae"`
	BaselineMASE  Num    `json:"baseline_mase"`
	BaselineMAE   Num    `json:"baseline_mae"`
}

// Spread is how the figures vary across the origins.
type Spread struct {
	MASEMin         Num `json:"mase_min"`
	MASEMax         Num `json:"mase_max"`
	MASESD          Num `json:"mase_sd"`
	CoverageMin     Num `json:"coverage80_min"`
	CoverageMax     Num `json:"coverage80_max"`
	CoverageSD      Num `json:"coverage80_sd"`
	BaselineMASEMin Num `json:"baseline_mase_min"`
	BaselineMASEMax Num `json:"baseline_mase_max"`
}

// Num is a figure: a float that is null in JSON when it is not a number
// (no points to score).
type Num float64

// MarshalJSON writes NaN and infinities as null.
func (n Num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', 6, 64), nil
}

// acc gathers scores.
type acc struct {
	n                                int
	q, qm, qb, ae, aeb, in, expected float64
	pit                              float64
}

func (a *acc) add(q, qm, qb, ae, aeb float64, in bool, expected, pit float64) {
	a.n++
	a.pit += pit
	a.qm += qm
	a.expected += expected
	a.q += q
	a.qb += qb
	a.ae += ae
	a.aeb += aeb
	if in {
		a.in++
	}
}

func (a acc) figures() Figures {
	if a.n == 0 {
		nan := Num(math.NaN())
		return Figures{MASE: nan, MASEMean: nan, Coverage80: nan, Coverage80PIT: nan, Expected80: nan, MAE: nan, BaselineMASE: nan, BaselineMAE: nan}
	}
	n := float64(a.n)
	return Figures{Points: a.n, MASE: Num(a.q / n), MASEMean: Num(a.qm / n), Coverage80: Num(a.in / n), Coverage80PIT: Num(a.pit / n), Expected80: Num(a.expected / n), MAE: Num(a.ae / n), BaselineMASE: Num(a.qb / n), BaselineMAE: Num(a.aeb / n)}
}

// ErrTooShort is returned when the history is too short for one origin.
var ErrTooShort = errors.New("forecast: history too short to back-test")

// Backtest runs the rolling-origin back-test over the last n origins with
// horizons 1..h: the origins are the periods L−h−n+1 … L−h, so that every
// origin is scored at every horizon. The season of the baseline and the
// scale is opt.Season when the first origin has at least two seasons
// before it, else 1 (the naive forecast; SeasonNote says so).
func Backtest(p Panel, opt Options, n, h int) (Report, error) {
	L := p.Len()
	first := L - h - n + 1
	if n < 1 || h < 1 || first < minHistory(opt)+1 {
		return Report{}, ErrTooShort
	}
	m := max(opt.Season, 1)
	rep := Report{Season: m, Series: len(p.Keys), Periods: L, Origins: n, Horizon: h}
	if first < 2*m {
		rep.SeasonNote = "history shorter than two seasons before the first origin: naive (season 1) baseline and scale"
		m = 1
		rep.Season = 1
	}
	var all, busy acc
	var oracleQ float64
	byH := make([]acc, h)
	byO := make([]acc, n)
	byV := make([]acc, 4)
	evaluated := map[int]bool{}
	var totQ float64
	var totN int
	cats := map[string][]int{}
	for i, k := range p.Keys {
		cats[k.Category] = append(cats[k.Category], i)
	}
	c := newCache(h)
	for oi := range n {
		o := first + oi
		mu := means(p, o, opt, h, c)
		disp := calibrate(p, o, opt, h, c)
		oracle := meansOf(p, o, opt, h, c, func(idx []int, T, h int) []float64 {
			g := make([]float64, h)
			for _, i := range idx {
				for j := range h {
					g[j] += p.Y[i][T+j]
				}
			}
			return g
		})
		for i, k := range p.Keys {
			y := p.Y[i]
			scale := naiveScale(y[:o], m)
			if scale == 0 {
				continue
			}
			evaluated[i] = true
			var mean float64
			for _, v := range y[:o] {
				mean += v
			}
			mean /= float64(o)
			band := volumeBand(mean)
			for j := range h {
				t := o + j
				c := disp.of(k.Category, j)
				e := math.Abs(y[t] - float64(Median(mu[i][j], c)))
				em := math.Abs(y[t] - mu[i][j])
				eb := math.Abs(y[t] - seasonalNaive(y[:o], m, j))
				lo, hi := Interval(mu[i][j], c, opt.Level)
				in := y[t] >= float64(lo) && y[t] <= float64(hi)
				ex := Prob(mu[i][j], c, lo, hi)
				pit := PITCoverage(mu[i][j], c, int(y[t]), opt.Level)
				q, qm, qb := e/scale, em/scale, eb/scale
				all.add(q, qm, qb, e, eb, in, ex, pit)
				byH[j].add(q, qm, qb, e, eb, in, ex, pit)
				byO[oi].add(q, qm, qb, e, eb, in, ex, pit)
				byV[band].add(q, qm, qb, e, eb, in, ex, pit)
				if mean >= 10 {
					busy.add(q, qm, qb, e, eb, in, ex, pit)
				}
				oracleQ += math.Abs(y[t]-float64(Median(oracle[i][j], c))) / scale
			}
		}
		// The categories' totals.
		for _, idx := range cats {
			tot := make([]float64, L)
			f := make([]float64, h)
			for _, i := range idx {
				for t := range L {
					tot[t] += p.Y[i][t]
				}
				for j := range h {
					f[j] += mu[i][j]
				}
			}
			scale := naiveScale(tot[:o], m)
			if scale == 0 {
				continue
			}
			for j := range h {
				totQ += math.Abs(tot[o+j]-f[j]) / scale
				totN++
			}
		}
	}
	f := all.figures()
	rep.Points, rep.MASE, rep.MASEMean, rep.Coverage80, rep.Expected80, rep.MAE = f.Points, f.MASE, f.MASEMean, f.Coverage80, f.Expected80, f.MAE
	rep.Evaluated = len(evaluated)
	rep.RelMAE = Num(ratio(all.ae, all.aeb, math.NaN()))
	rep.RelMASE = Num(ratio(all.q, all.qb, math.NaN()))
	rep.Coverage80PIT = f.Coverage80PIT
	bf := busy.figures()
	rep.Coverage80Busy, rep.BusyPoints = bf.Coverage80, bf.Points
	rep.OracleTotalsMASE = Num(ratio(oracleQ, float64(all.n), math.NaN()))
	rep.TotalsMASE = Num(ratio(totQ, float64(totN), math.NaN()))
	rep.Baseline = Figures{Points: f.Points, MASE: f.BaselineMASE, MAE: f.BaselineMAE, Coverage80: Num(math.NaN())}
	for j := range byH {
		g := byH[j].figures()
		g.H = j + 1
		rep.ByHorizon = append(rep.ByHorizon, g)
	}
	var ms, cs, bs []Num
	for oi := range byO {
		g := byO[oi].figures()
		g.Origin = first + oi
		rep.ByOrigin = append(rep.ByOrigin, g)
		if g.Points > 0 {
			ms, cs, bs = append(ms, g.MASE), append(cs, g.Coverage80), append(bs, g.BaselineMASE)
		}
	}
	rep.Spread.MASEMin, rep.Spread.MASEMax, rep.Spread.MASESD = spread(ms)
	rep.Spread.CoverageMin, rep.Spread.CoverageMax, rep.Spread.CoverageSD = spread(cs)
	rep.Spread.BaselineMASEMin, rep.Spread.BaselineMASEMax, _ = spread(bs)
	for b, label := range []string{"<1", "1-10", "10-100", ">=100"} {
		g := byV[b].figures()
		g.Label = label
		rep.ByVolume = append(rep.ByVolume, g)
	}
	return rep, nil
}

func volumeBand(mean float64) int {
	switch {
	case mean < 1:
		return 0
	case mean < 10:
		return 1
	case mean < 100:
		return 2
	}
	return 3
}

// naiveScale is the in-sample mean absolute error of the forecast "the
// value m periods earlier" (0 when y is too short).
func naiveScale(y []float64, m int) float64 {
	if len(y) <= m {
		return 0
	}
	var s float64
	for t := m; t < len(y); t++ {
		s += math.Abs(y[t] - y[t-m])
	}
	return s / float64(len(y)-m)
}

// seasonalNaive is the seasonal-naive forecast j+1 periods after y: the
// value of the same season position in the last season of y.
func seasonalNaive(y []float64, m, j int) float64 {
	T := len(y)
	return y[T-m+j%m]
}

func spread(v []Num) (lo, hi, sd Num) {
	if len(v) == 0 {
		nan := Num(math.NaN())
		return nan, nan, nan
	}
	lo, hi = v[0], v[0]
	var mean Num
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
		mean += x
	}
	mean /= Num(len(v))
	for _, x := range v {
		sd += (x - mean) * (x - mean)
	}
	if len(v) > 1 {
		sd = Num(math.Sqrt(float64(sd) / float64(len(v)-1)))
	} else {
		sd = 0
	}
	return lo, hi, sd
}
