package insight

import (
	"errors"
	"math"
	"sort"
	"time"
)

// 未诉先办 (acting before anyone calls): which categories come back with the
// seasons, and which places had them in the weeks ahead a year ago.
//
// Weeks of the year. Day-of-year d (1-based) falls in week (d−1)/7, weeks
// 0..51; the last day or two of a year (days 365, 366) count in week 51, so
// every year has 52 weeks that start on the same dates.
//
// The seasonal test (Seasonal). For a category c, x_w are its requests in
// week-of-year w and T_w all requests in w (every category), pooled over
// the years the cells cover. Under "no season" c's share of each week's
// requests is its overall share p = Σx/ΣT, so x_w ≈ p·T_w. Pearson's
// homogeneity statistic of the 2 × W table (c against everything else) is
//
//	X² = Σ_w (x_w − p·T_w)² / (T_w·p·(1−p)),  df = W′ − 1
//
// over the W′ weeks with T_w > 0. Requests are overdispersed against the
// binomial (a day of rain, a broken main), so the test is quasi-Poisson: X²
// is divided by a dispersion φ estimated across the categories tested, the
// median of X²_c/df_c (robust: most categories are not seasonal; a year in
// which most are makes φ large and the test conservative), floored at 1;
// with fewer than three categories tested φ = 1 (no estimate).
// p_c = P(χ²_df ≥ X²_c/φ); the p-values of all categories tested are
// adjusted by Benjamini–Hochberg and a category is seasonal when its
// q-value ≤ Q (default 0.05). Only categories with at least MinTotal
// requests are tested (a filter on the total, which does not depend on the
// weekly pattern, so the test stays valid).
//
// The peak. The weekly ratios r_w = x_w / (p·T_w), smoothed over three
// weeks (w−1, w, w+1, circular), are above 1 in the season; the peak is
// the longest circular run of weeks with smoothed r_w > 1 that holds the
// largest one: heating, for instance, weeks 44..10 (Nov–Mar), a run that
// wraps over the new year.

// ErrShortHistory is returned when the cells cover less than a year.
var ErrShortHistory = errors.New("insight: the seasonal test needs at least a year of daily rollups")

// Weeks is the number of weeks of the year.
const Weeks = 52

// WeekOf is the week of the year (0..51) of day d.
func WeekOf(d Day) int {
	yd := d.Time().YearDay()
	return min((yd-1)/7, Weeks-1)
}

// WeekStart is the first day of week w (0..51) of year y.
func WeekStart(y, w int) Day { return DateDay(y, time.January, 1) + Day(7*w) }

func yearOf(d Day) int { return d.Time().Year() }

// SeasonOptions set the seasonal test and the proposals. Zero values take
// the defaults.
type SeasonOptions struct {
	Q        float64 // false-discovery rate across the categories (default 0.05)
	MinTotal int     // least requests of a category to be tested (default 52)
	// Recurring makes Proactive consider every category, not only the
	// seasonal ones (the place's own out-of-season rate still has to be
	// exceeded).
	Recurring bool
	// MinRequests is the least requests a place must have had in the weeks
	// a year ago to be proposed (default 5).
	MinRequests int
	// MinLift is how many times its own out-of-season daily rate a place's
	// rate in those weeks must reach (default 1.5).
	MinLift float64
	// Sharp is the share of a street's requests one community (or grid)
	// must hold for the proposal to name that community (grid) instead of
	// the street (default 0.6).
	Sharp float64
	// LeadDays is how long before the season starts the task is due
	// (default 14).
	LeadDays int
	// MaxPerCategory bounds the places proposed per category (default 10).
	MaxPerCategory int
}

func (o SeasonOptions) withDefaults() SeasonOptions {
	if o.Q <= 0 || o.Q >= 1 {
		o.Q = 0.05
	}
	if o.MinTotal <= 0 {
		o.MinTotal = 52
	}
	if o.MinRequests <= 0 {
		o.MinRequests = 5
	}
	if o.MinLift <= 0 {
		o.MinLift = 1.5
	}
	if o.Sharp <= 0 || o.Sharp > 1 {
		o.Sharp = 0.6
	}
	if o.LeadDays <= 0 {
		o.LeadDays = 14
	}
	if o.MaxPerCategory <= 0 {
		o.MaxPerCategory = 10
	}
	return o
}

// Season is a category whose share of the requests varies with the week of
// the year.
type Season struct {
	Category string  `json:"category"`
	Total    int     `json:"total"`
	Share    float64 `json:"share"` // p: its share of all requests
	Chi2     float64 `json:"chi2"`  // X² before dividing by φ
	DF       int     `json:"df"`
	Phi      float64 `json:"phi"`
	P        float64 `json:"p"`
	Q        float64 `json:"q"`
	// PeakFrom..PeakTo are the weeks of the year (0..51) of the season; a
	// run over the new year has PeakFrom > PeakTo.
	PeakFrom  int     `json:"peak_from"`
	PeakTo    int     `json:"peak_to"`
	PeakShare float64 `json:"peak_share"` // share of the category's requests in the peak weeks
	Weekly    [Weeks]int
}

// PeakWeeks is the number of weeks of the season.
func (s Season) PeakWeeks() int { return (s.PeakTo-s.PeakFrom+Weeks)%Weeks + 1 }

// InPeak reports whether week w is in the season.
func (s Season) InPeak(w int) bool { return (w-s.PeakFrom+Weeks)%Weeks < s.PeakWeeks() }

// span is the first and last day the cells cover.
func span(cells []Cell) (Day, Day, bool) {
	if len(cells) == 0 {
		return 0, 0, false
	}
	lo, hi := cells[0].Day, cells[0].Day
	for _, c := range cells {
		lo, hi = min(lo, c.Day), max(hi, c.Day)
	}
	return lo, hi, true
}

// Seasonal returns the categories whose share of all requests varies by week
// of the year significantly (see the test above), most significant first.
// The cells must cover at least 364 days.
func Seasonal(cells []Cell, opt SeasonOptions) ([]Season, error) {
	o := opt.withDefaults()
	lo, hi, ok := span(cells)
	if !ok || hi-lo+1 < 364 {
		return nil, ErrShortHistory
	}
	var total [Weeks]float64
	byCat := map[string]*[Weeks]int{}
	for _, c := range cells {
		if c.N <= 0 {
			continue
		}
		w := WeekOf(c.Day)
		total[w] += float64(c.N)
		x := byCat[c.Category]
		if x == nil {
			x = new([Weeks]int)
			byCat[c.Category] = x
		}
		x[w] += c.N
	}
	var all float64
	for _, t := range total {
		all += t
	}
	cats := make([]string, 0, len(byCat))
	for c := range byCat {
		cats = append(cats, c)
	}
	sort.Strings(cats)
	var out []Season
	var ratios []float64
	for _, c := range cats {
		x := byCat[c]
		n := 0
		for _, v := range x {
			n += v
		}
		if n < o.MinTotal || float64(n) >= all {
			continue
		}
		p := float64(n) / all
		var chi float64
		df := -1
		for w := range Weeks {
			if total[w] <= 0 {
				continue
			}
			e := p * total[w]
			d := float64(x[w]) - e
			chi += d * d / (total[w] * p * (1 - p))
			df++
		}
		if df < 1 {
			continue
		}
		out = append(out, Season{Category: c, Total: n, Share: p, Chi2: chi, DF: df, Weekly: *x})
		ratios = append(ratios, chi/float64(df))
	}
	if len(out) == 0 {
		return nil, nil
	}
	phi := 1.0
	if len(ratios) >= 3 {
		phi = max(1, median(ratios))
	}
	ps := make([]float64, len(out))
	for i := range out {
		out[i].Phi = phi
		out[i].P = chiUpper(out[i].Chi2/phi, float64(out[i].DF))
		ps[i] = out[i].P
	}
	qs := bh(ps)
	var sig []Season
	for i := range out {
		out[i].Q = qs[i]
		if qs[i] > o.Q {
			continue
		}
		s := out[i]
		s.PeakFrom, s.PeakTo = peak(s.Weekly, total, s.Share)
		in := 0
		for w := range Weeks {
			if s.InPeak(w) {
				in += s.Weekly[w]
			}
		}
		s.PeakShare = float64(in) / float64(s.Total)
		sig = append(sig, s)
	}
	sort.SliceStable(sig, func(a, b int) bool {
		if sig[a].P != sig[b].P {
			return sig[a].P < sig[b].P
		}
		return sig[a].Category < sig[b].Category
	})
	return sig, nil
}

// peak is the longest circular run of weeks whose smoothed ratio of
// observed to expected requests exceeds 1 and that holds the largest ratio.
func peak(x [Weeks]int, total [Weeks]float64, p float64) (int, int) {
	var r [Weeks]float64
	best := 0
	for w := range Weeks {
		var num, den float64
		for _, d := range []int{-1, 0, 1} {
			v := (w + d + Weeks) % Weeks
			num += float64(x[v])
			den += p * total[v]
		}
		if den > 0 {
			r[w] = num / den
		}
		if r[w] > r[best] {
			best = w
		}
	}
	if r[best] <= 1 {
		return best, best
	}
	from, to := best, best
	for n := 1; n < Weeks && r[(from-1+Weeks)%Weeks] > 1; n++ {
		from = (from - 1 + Weeks) % Weeks
	}
	for n := (to - from + Weeks) % Weeks; n < Weeks-1 && r[(to+1)%Weeks] > 1; n++ {
		to = (to + 1) % Weeks
	}
	return from, to
}

// chiUpper is P(χ²_k ≥ x) = Q(k/2, x/2), the regularised upper incomplete
// gamma function.
func chiUpper(x, k float64) float64 {
	if x <= 0 {
		return 1
	}
	return gammaQ(k/2, x/2)
}

func gammaQ(a, x float64) float64 {
	if x < a+1 {
		// series for P(a, x)
		sum, del, ap := 1/a, 1/a, a
		for range 1000 {
			ap++
			del *= x / ap
			sum += del
			if math.Abs(del) < math.Abs(sum)*1e-14 {
				break
			}
		}
		lg, _ := math.Lgamma(a)
		return max(0, 1-sum*math.Exp(-x+a*math.Log(x)-lg))
	}
	// continued fraction for Q(a, x) (Lentz)
	const tiny = 1e-300
	b := x + 1 - a
	c := 1 / tiny
	d := 1 / b
	h := d
	for i := 1; i <= 1000; i++ {
		an := -float64(i) * (float64(i) - a)
		b += 2
		d = an*d + b
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = b + an/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < 1e-14 {
			break
		}
	}
	lg, _ := math.Lgamma(a)
	return math.Exp(-x+a*math.Log(x)-lg) * h
}

// Proposal is one proactive task the history suggests: a category at a
// place that had many of its requests in the same weeks last year.
type Proposal struct {
	Category string `json:"category"`
	Level    string `json:"level"` // street, community or grid
	Place    string `json:"place"`
	Street   string `json:"street"`
	District string `json:"district,omitempty"`
	Seasonal bool   `json:"seasonal"` // the category passed the seasonal test (else merely recurring)
	// LastFrom..LastTo are last year's weeks (from−364 … to−364); LastYear
	// the place's requests in them, Weekly by week (7-day blocks from LastFrom).
	LastFrom Day   `json:"last_from"`
	LastTo   Day   `json:"last_to"`
	LastYear int   `json:"last_year"`
	Weekly   []int `json:"weekly"`
	// InRate and OutRate are the place's requests per week in last year's
	// weeks and outside them (over the whole history); Lift = In/Out.
	InRate  float64 `json:"in_rate"`
	OutRate float64 `json:"out_rate"`
	Lift    float64 `json:"lift"`
	Units   []Count `json:"units"` // units that handled them, most first
	// SeasonStart is the first day of the season (or of last year's
	// requests, shifted by 364 days) in the weeks ahead; the task is due
	// LeadDays before it (IssueBy).
	SeasonStart Day `json:"season_start"`
	SeasonEnd   Day `json:"season_end"`
	LeadDays    int `json:"lead_days"`
	IssueBy     Day `json:"issue_by"`
}

// Key is what makes two proposals the same: category, place and the year
// of the season's start.
func (p Proposal) Key() string {
	return p.Category + "|" + p.Place + "|" + p.SeasonStart.String()[:4]
}

type placeCount struct {
	n     int
	weeks []int
	units map[string]int
	subs  map[string]int // community → n
	grids map[string]int
	dist  string
}

// Proactive proposes, for the weeks ahead from..to, the places that had the
// most requests of each seasonal (with Recurring, of any) category in the
// same weeks last year (from−364 … to−364): streets with at least
// MinRequests of them whose rate then was at least MinLift times their own
// rate outside those weeks; a street whose requests were concentrated in
// one community (grid) — at least Sharp of them — is proposed as that
// community (grid). For a seasonal category only a season that overlaps
// from..to counts, and the task is due LeadDays before its start. Sorted by
// category, then most requests first.
func Proactive(cells []Cell, from, to Day, opt SeasonOptions) ([]Proposal, error) {
	o := opt.withDefaults()
	if to < from {
		return nil, ErrPeriod
	}
	seasons, err := Seasonal(cells, opt)
	if err != nil {
		return nil, err
	}
	lo, hi, _ := span(cells)
	lastFrom, lastTo := from-364, to-364
	if lastFrom < lo {
		return nil, ErrShortHistory
	}
	inDays := int(min(lastTo, hi) - lastFrom + 1)
	outDays := int(hi-lo+1) - inDays
	bySeason := map[string]Season{}
	for _, s := range seasons {
		bySeason[s.Category] = s
	}
	// the places of every category in last year's weeks, and outside them
	in := map[string]map[string]*placeCount{} // category → street → counts
	out := map[[2]string]int{}                // (category, street) → requests outside
	for _, c := range cells {
		if c.N <= 0 || c.Street == "" {
			continue
		}
		if _, ok := bySeason[c.Category]; !ok && !o.Recurring {
			continue
		}
		if c.Day < lastFrom || c.Day > lastTo {
			out[[2]string{c.Category, c.Street}] += c.N
			continue
		}
		m := in[c.Category]
		if m == nil {
			m = map[string]*placeCount{}
			in[c.Category] = m
		}
		pc := m[c.Street]
		if pc == nil {
			pc = &placeCount{weeks: make([]int, (lastTo-lastFrom)/7+1), units: map[string]int{}, subs: map[string]int{}, grids: map[string]int{}, dist: c.District}
			m[c.Street] = pc
		}
		pc.n += c.N
		pc.weeks[(c.Day-lastFrom)/7] += c.N
		if c.Unit != "" {
			pc.units[c.Unit] += c.N
		}
		if c.Community != "" {
			pc.subs[c.Community] += c.N
		}
		if c.Grid != "" {
			pc.grids[c.Grid] += c.N
		}
	}
	cats := make([]string, 0, len(in))
	for c := range in {
		cats = append(cats, c)
	}
	sort.Strings(cats)
	var res []Proposal
	for _, cat := range cats {
		s, seasonal := bySeason[cat]
		start, end := from, to
		if seasonal {
			var ok bool
			if start, end, ok = seasonAhead(s, from, to); !ok {
				continue
			}
		}
		var props []Proposal
		for street, pc := range in[cat] {
			if pc.n < o.MinRequests {
				continue
			}
			inRate := float64(pc.n) / float64(inDays) * 7
			outRate := 0.0
			if outDays > 0 {
				outRate = float64(out[[2]string{cat, street}]) / float64(outDays) * 7
			}
			lift := math.Inf(1)
			if outRate > 0 {
				lift = inRate / outRate
			}
			if lift < o.MinLift {
				continue
			}
			p := Proposal{Category: cat, Level: Street, Place: street, Street: street, District: pc.dist, Seasonal: seasonal,
				LastFrom: lastFrom, LastTo: lastTo, LastYear: pc.n, Weekly: pc.weeks, InRate: inRate, OutRate: outRate,
				Units: top(pc.units, 5), SeasonStart: start, SeasonEnd: end, LeadDays: o.LeadDays}
			if !math.IsInf(lift, 1) {
				p.Lift = lift
			}
			if g := top(pc.grids, 1); len(g) == 1 && float64(g[0].N) >= o.Sharp*float64(pc.n) {
				p.Level, p.Place = Grid, g[0].Key
			} else if c := top(pc.subs, 1); len(c) == 1 && float64(c[0].N) >= o.Sharp*float64(pc.n) {
				p.Level, p.Place = Community, c[0].Key
			}
			if !seasonal {
				// the first week last year had any, a year on
				for i, n := range pc.weeks {
					if n > 0 {
						p.SeasonStart = max(from, lastFrom+Day(7*i)+364)
						break
					}
				}
			}
			p.IssueBy = p.SeasonStart - Day(o.LeadDays)
			props = append(props, p)
		}
		sort.Slice(props, func(a, b int) bool {
			if props[a].LastYear != props[b].LastYear {
				return props[a].LastYear > props[b].LastYear
			}
			return props[a].Place < props[b].Place
		})
		if len(props) > o.MaxPerCategory {
			props = props[:o.MaxPerCategory]
		}
		res = append(res, props...)
	}
	return res, nil
}

// seasonAhead finds the season of s that overlaps from..to: its first and
// last day.
func seasonAhead(s Season, from, to Day) (Day, Day, bool) {
	for y := yearOf(to) - 1; y <= yearOf(to)+1; y++ {
		start := WeekStart(y, s.PeakFrom)
		endY := y
		if s.PeakTo < s.PeakFrom {
			endY++
		}
		end := WeekStart(endY, s.PeakTo) + 6
		if s.PeakTo == Weeks-1 {
			end = DateDay(endY, time.December, 31)
		}
		if start <= to && end >= from {
			return start, end, true
		}
	}
	return 0, 0, false
}
