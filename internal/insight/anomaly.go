package insight

import (
	"math"
	"sort"
)

// yearShift is 52 weeks: "the same weeks last year" keep their weekdays.
const yearShift = 364

// Anomaly is one tested cell: a category ("" for all categories) at a place
// of a level over the period.
type Anomaly struct {
	Category                 string
	Level                    string
	Place                    string  // "" at the city level
	Count                    int     // requests in the period
	Prev                     int     // requests in the preceding period of the same length
	LastYear                 int     // requests in the same weeks last year (−1 when not covered)
	Baseline                 int     // the baseline count the test used
	Expected                 float64 // Baseline × Trend
	ChangePrev               float64 // (Count−Prev)/Prev, NaN when Prev is 0
	ChangeYoY                float64 // (Count−LastYear)/LastYear, NaN when not covered or 0
	Rated, Unsatis, Reopened int
	P, Q                     float64
	Flag                     bool // Q ≤ the false-discovery rate
}

type window struct{ from, to Day }

func (w window) has(d Day) bool { return w.from <= d && d <= w.to }
func (w window) ok() bool       { return w.from <= w.to }

type cellKey struct {
	cat, level, place string
}

// counts per window: 0 current, 1 previous, 2 last year, 3 baseline,
// 4 placebo baseline.
type agg struct {
	n                        [5]int
	rated, unsatis, reopened int
	prevRated, prevUnsatis   int
}

type windows struct {
	cur, prev, ly, base, pbase window
	mode                       string
}

func makeWindows(o Options, dataFrom Day) windows {
	L := o.To - o.From + 1
	w := windows{
		cur:  window{o.From, o.To},
		prev: window{o.From - L, o.From - 1},
		ly:   window{o.From - yearShift, o.To - yearShift},
	}
	none := window{1, 0}
	if !w.ly.ok() || w.ly.from < dataFrom {
		w.ly = none
	}
	switch {
	case w.ly.ok():
		w.mode = "last-year"
		w.base = w.ly
		w.pbase = window{w.prev.from - yearShift, w.prev.to - yearShift}
	default:
		k := Day(o.RecentPeriods)
		for k > 0 && o.From-k*L < dataFrom {
			k--
		}
		if k == 0 {
			w.mode = "none"
			w.base, w.pbase = none, none
			break
		}
		w.mode = "recent"
		w.base = window{o.From - k*L, o.From - 1}
		w.pbase = window{w.prev.from - k*L, w.prev.from - 1}
	}
	if w.prev.from < dataFrom {
		w.prev = none
	}
	if w.pbase.ok() && w.pbase.from < dataFrom {
		w.pbase = none
	}
	return w
}

// aggregate rolls the cells up to every (category, level, place) for each
// window; category "" is all categories together.
func aggregate(cells []Cell, w windows) (map[cellKey]*agg, [5]int) {
	leaves := map[Cell]*agg{} // keyed by the cell's place and category, zero counts
	var tot [5]int
	ws := [5]window{w.cur, w.prev, w.ly, w.base, w.pbase}
	for i := range cells {
		c := &cells[i]
		var in [5]bool
		any := false
		for j, win := range ws {
			if win.has(c.Day) {
				in[j], any = true, true
			}
		}
		if !any {
			continue
		}
		k := Cell{Category: c.Category, District: c.District, Street: c.Street, Community: c.Community, Grid: c.Grid}
		a := leaves[k]
		if a == nil {
			a = &agg{}
			leaves[k] = a
		}
		for j := range in {
			if in[j] {
				a.n[j] += c.N
				tot[j] += c.N
			}
		}
		if in[0] {
			a.rated += c.Rated
			a.unsatis += c.Unsatis
			a.reopened += c.Reopened
		}
		if in[1] {
			a.prevRated += c.Rated
			a.prevUnsatis += c.Unsatis
		}
	}
	out := make(map[cellKey]*agg, len(leaves)*4)
	add := func(k cellKey, a *agg) {
		b := out[k]
		if b == nil {
			b = &agg{}
			out[k] = b
		}
		for j := range a.n {
			b.n[j] += a.n[j]
		}
		b.rated += a.rated
		b.unsatis += a.unsatis
		b.reopened += a.reopened
		b.prevRated += a.prevRated
		b.prevUnsatis += a.prevUnsatis
	}
	for k, a := range leaves {
		places := [5]string{"", k.District, k.Street, k.Community, k.Grid}
		for li, lvl := range Levels {
			if li > 0 && places[li] == "" {
				continue
			}
			add(cellKey{k.Category, lvl, places[li]}, a)
			add(cellKey{"", lvl, places[li]}, a)
		}
	}
	return out, tot
}

// testCell is the one-sided conditional test of a cell: given n = x + y
// (current + baseline), under H0 the current count is Binomial(n, R/(1+R)),
// R the city-wide trend; overdispersion φ scales the counts down
// (quasi-binomial: x/φ of n/φ).
func testCell(x, y int, R, phi float64) float64 {
	n := float64(x + y)
	p0 := R / (1 + R)
	return binomUpper(float64(x)/phi, n/phi, p0)
}

// dispersion estimates φ on the placebo comparison (the previous period
// against its own baseline, where the period's anomalies cannot be): for
// each category, the median of the squared Pearson residuals of the
// conditional binomial over its cells divided by the median of χ²₁
// (0.4549); φ is the median over the categories, so a category that surged
// in the placebo period (and holds many cells) does not inflate it. It is at
// least 1, at most 10, and 1 when fewer than 30 cells can be used.
func dispersion(cells map[cellKey]*agg, minTotal int, Rp float64) float64 {
	if Rp <= 0 || math.IsInf(Rp, 0) || math.IsNaN(Rp) {
		return 1
	}
	p0 := Rp / (1 + Rp)
	byCat := map[string][]float64{}
	total := 0
	for k, a := range cells {
		if k.cat == "" {
			continue
		}
		x, y := a.n[1], a.n[4]
		n := float64(x + y)
		if x+y < minTotal {
			continue
		}
		d := float64(x) - n*p0
		byCat[k.cat] = append(byCat[k.cat], d*d/(n*p0*(1-p0)))
		total++
	}
	if total < 30 {
		return 1
	}
	var phis []float64
	for _, z2 := range byCat {
		if len(z2) >= 5 {
			phis = append(phis, median(z2)/0.4549)
		}
	}
	if len(phis) == 0 {
		return 1
	}
	return min(10, max(1, median(phis)))
}

func median(xs []float64) float64 {
	sort.Float64s(xs)
	m := len(xs) / 2
	if len(xs)%2 == 0 {
		return (xs[m-1] + xs[m]) / 2
	}
	return xs[m]
}

func ratio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a-b) / float64(b)
}

// anomalies tests every cell and controls the false-discovery rate across
// all of them together.
func anomalies(cells map[cellKey]*agg, tot [5]int, w windows, o Options) ([]Anomaly, float64, float64, int) {
	R := trend(cells, 0, 3)
	phi := 1.0
	if w.pbase.ok() && w.prev.ok() && tot[4] > 0 {
		phi = dispersion(cells, o.MinTotal, trend(cells, 1, 4))
	}
	var out []Anomaly
	var ps []float64
	var idx []int
	for k, a := range cells {
		an := Anomaly{Category: k.cat, Level: k.level, Place: k.place, Count: a.n[0], Prev: a.n[1], LastYear: -1,
			Baseline: a.n[3], Rated: a.rated, Unsatis: a.unsatis, Reopened: a.reopened, P: 1, Q: 1,
			ChangePrev: math.NaN(), ChangeYoY: math.NaN()}
		if w.prev.ok() {
			an.ChangePrev = ratio(a.n[0], a.n[1])
		}
		if w.ly.ok() {
			an.LastYear = a.n[2]
			an.ChangeYoY = ratio(a.n[0], a.n[2])
		}
		if an.Count == 0 && an.Baseline == 0 {
			continue
		}
		if w.mode != "none" && tot[3] > 0 && R > 0 {
			an.Expected = float64(a.n[3]) * R
			if a.n[0]+a.n[3] >= o.MinTotal && tot[0] > 0 {
				an.P = testCell(a.n[0], a.n[3], R, phi)
				ps = append(ps, an.P)
				idx = append(idx, len(out))
			}
		}
		out = append(out, an)
	}
	qs := bh(ps)
	for i, j := range idx {
		out[j].Q = qs[i]
		out[j].Flag = qs[i] <= o.Q
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := &out[i], &out[j]
		if a.Flag != b.Flag {
			return a.Flag
		}
		if a.P != b.P {
			return a.P < b.P
		}
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		if a.Category != b.Category {
			return a.Category < b.Category
		}
		if a.Level != b.Level {
			return a.Level < b.Level
		}
		return a.Place < b.Place
	})
	return out, R, phi, len(ps)
}

// trend is the city-wide ratio R of the current to the baseline volume,
// estimated so that one category's surge does not move it: start from the
// weighted median of the categories' log ratios (weights: their counts),
// keep the categories whose ratio lies within ±10 % of it or whose
// conditional z is within ±3, and take the ratio of their totals. cur and
// base index the windows (0 and 3 for the period, 1 and 4 for the placebo).
func trend(cells map[cellKey]*agg, cur, base int) float64 {
	type cr struct{ x, y, l float64 }
	var cs []cr
	var wsum float64
	for k, a := range cells {
		if k.level != City || k.cat == "" || a.n[base] == 0 {
			continue
		}
		x, y := float64(a.n[cur]), float64(a.n[base])
		cs = append(cs, cr{x, y, math.Log((x + 0.5) / (y + 0.5))})
		wsum += x + y
	}
	if len(cs) == 0 {
		if a := cells[cellKey{"", City, ""}]; a != nil && a.n[base] > 0 {
			return float64(a.n[cur]) / float64(a.n[base])
		}
		return math.NaN()
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].l < cs[j].l })
	med, acc := cs[len(cs)-1].l, 0.0
	for _, c := range cs {
		acc += c.x + c.y
		if acc >= wsum/2 {
			med = c.l
			break
		}
	}
	R0 := math.Exp(med)
	p0 := R0 / (1 + R0)
	var sx, sy float64
	for _, c := range cs {
		n := c.x + c.y
		z := (c.x - n*p0) / math.Sqrt(n*p0*(1-p0))
		if math.Abs(c.l-med) <= math.Log(1.1) || math.Abs(z) <= 3 {
			sx += c.x
			sy += c.y
		}
	}
	if sy == 0 {
		return R0
	}
	return sx / sy
}
