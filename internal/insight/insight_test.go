package insight

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestBH(t *testing.T) {
	for _, tc := range []struct {
		p, q []float64
	}{
		{nil, []float64{}},
		{[]float64{0.01}, []float64{0.01}},
		{[]float64{0.01, 0.04, 0.03, 0.5}, []float64{0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5}},
		{[]float64{0.2, 0.2, 0.2}, []float64{0.2, 0.2, 0.2}},
	} {
		got := bh(tc.p)
		for i := range tc.q {
			if math.Abs(got[i]-tc.q[i]) > 1e-12 {
				t.Errorf("bh(%v) = %v, want %v", tc.p, got, tc.q)
				break
			}
		}
	}
}

func TestBinomUpper(t *testing.T) {
	// exact sums against the incomplete beta
	for _, tc := range []struct {
		x, n int
		p    float64
	}{{0, 10, 0.5}, {1, 10, 0.5}, {5, 10, 0.5}, {10, 10, 0.5}, {3, 20, 0.1}, {15, 40, 0.2}, {60, 100, 0.5}} {
		want := 0.0
		for k := tc.x; k <= tc.n; k++ {
			lc, _ := math.Lgamma(float64(tc.n + 1))
			l1, _ := math.Lgamma(float64(k + 1))
			l2, _ := math.Lgamma(float64(tc.n - k + 1))
			want += math.Exp(lc - l1 - l2 + float64(k)*math.Log(tc.p) + float64(tc.n-k)*math.Log1p(-tc.p))
		}
		if got := binomUpper(float64(tc.x), float64(tc.n), tc.p); math.Abs(got-want) > 1e-9 {
			t.Errorf("P(Bin(%d,%g) ≥ %d) = %g, want %g", tc.n, tc.p, tc.x, got, want)
		}
	}
}

func TestG2AndChi(t *testing.T) {
	if g := g2(10, 100, 10, 100); math.Abs(g) > 1e-12 {
		t.Errorf("equal shares: G² = %g", g)
	}
	// 2×2 table [[30,70],[10,90]]: G² = 2 Σ O ln(O/E) = 12.9715
	if g := g2(30, 100, 10, 100); math.Abs(g-12.9715) > 0.001 {
		t.Errorf("G² = %g, want 12.9715", g)
	}
	if p := chi1Upper(3.841459); math.Abs(p-0.05) > 1e-6 {
		t.Errorf("P(χ²₁ ≥ 3.84) = %g", p)
	}
}

func TestAssemble(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{[]string{"单车乱停", "共享单车", "享单车乱"}, []string{"共享单车乱停"}},
		{[]string{"暖气", "暖气不热", "停车"}, []string{"暖气不热", "停车"}},
		{[]string{"预付卡", "退款"}, []string{"预付卡", "退款"}},
	} {
		if got := assemble(tc.in); strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("assemble(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestGrams(t *testing.T) {
	got := distinct(grams("暖气不热，ETC 2025 暖气", nil))
	want := []string{"etc", "不热", "暖气", "暖气不", "暖气不热", "气不", "气不热"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("grams = %v, want %v", got, want)
	}
	for _, tc := range []struct {
		term string
		stop bool
	}{{"暖气", false}, {"的暖气", true}, {"你好", true}, {"请问暖气", true}, {"共享单车", false}} {
		if stopTerm(tc.term) != tc.stop {
			t.Errorf("stopTerm(%q) = %v", tc.term, !tc.stop)
		}
	}
}

func TestDays(t *testing.T) {
	// 23:30 UTC on 31 Dec is 07:30 on 1 Jan in Shanghai
	d := DayOf(time.Date(2025, 12, 31, 23, 30, 0, 0, time.UTC))
	if d.String() != "2026-01-01" || d != DateDay(2026, 1, 1) {
		t.Errorf("DayOf = %s", d)
	}
	if got := d.Time().Format(time.RFC3339); got != "2026-01-01T00:00:00+08:00" {
		t.Errorf("Time = %s", got)
	}
	if _, err := Analyze(Input{}, Options{From: 10, To: 9}); err != ErrPeriod {
		t.Errorf("reversed period: %v", err)
	}
}

func TestWindows(t *testing.T) {
	o := Options{From: 1000, To: 1027}.withDefaults()
	for _, tc := range []struct {
		dataFrom Day
		mode     string
		base     window
	}{
		{1000 - 364 - 28, "last-year", window{636, 663}},
		{1000 - 364, "last-year", window{636, 663}},
		{1000 - 363, "recent", window{1000 - 84, 999}},
		{1000 - 60, "recent", window{1000 - 56, 999}},
		{1000 - 27, "none", window{1, 0}},
	} {
		w := makeWindows(o, tc.dataFrom)
		if w.mode != tc.mode || w.base != tc.base {
			t.Errorf("data from %d: mode %s base %v, want %s %v", tc.dataFrom, w.mode, w.base, tc.mode, tc.base)
		}
	}
}

var (
	plantedOnce sync.Once
	plantedCity *city
	plantedIn   Input
	plantedPlan plan
)

var clusterGrids = []string{gridID(10, 10), gridID(11, 10), gridID(12, 10), gridID(10, 11), gridID(11, 11), gridID(12, 11), gridID(10, 12), gridID(11, 12), gridID(12, 12)}

// planted is two years (2025–2026) of a 24×24-grid city with 8 categories
// (~320 requests a day) and every planted story.
func planted() (*city, Input, plan) {
	plantedOnce.Do(func() {
		dec := DateDay(2026, 11, 30)
		plantedPlan = plan{
			seasonal: true, doubleFrom: DateDay(2026, 11, 15),
			street: "s2-1", streetFrom: dec,
			cluster: clusterGrids, clusterFrom: dec,
			repeatAddr: "addr-planted", repeatFrom: dec,
			fadeStreet: "s0-2", fadeFrom: DateDay(2026, 6, 1), fadeTo: DateDay(2026, 6, 28),
			unhappyUnit: "u-water", unhappyFrom: dec,
		}
		c, reqs := generate(1, 24, DateDay(2025, 1, 1), DateDay(2026, 12, 31), 40, plantedPlan, nil)
		plantedCity = c
		plantedIn = Input{Cells: rollup(c, reqs), Reqs: reqs, Neighbours: c.nb, Names: map[string]string{"heating": "冬季采暖"}}
	})
	return plantedCity, plantedIn, plantedPlan
}

func flagged(r *Report, cat, level, place string) *Anomaly {
	for i := range r.Anomalies {
		a := &r.Anomalies[i]
		if a.Category == cat && a.Level == level && a.Place == place {
			return a
		}
	}
	return nil
}

func TestPlantedDecember(t *testing.T) {
	_, in, _ := planted()
	from := DateDay(2026, 11, 30)
	r, err := Analyze(in, Options{From: from, To: from + 27})
	if err != nil {
		t.Fatal(err)
	}
	if r.Baseline != "last-year" {
		t.Fatalf("baseline %s", r.Baseline)
	}
	t.Logf("trend R=%.3f φ=%.2f tested=%d", r.Trend, r.Dispersion, r.Tested)

	// the seasonal category doubled: flagged city-wide
	if a := flagged(r, "heating", City, ""); a == nil || !a.Flag {
		t.Errorf("heating doubled against last winter but not flagged: %+v", a)
	}
	// the rising topic in one street: its category is flagged there
	if a := flagged(r, "parking", Street, "s2-1"); a == nil || !a.Flag {
		t.Errorf("parking in s2-1 not flagged: %+v", a)
	}
	// … and its text is a rising term and a topic placed in that street
	var topic *Topic
	for i := range r.Topics {
		for _, term := range r.Topics[i].Terms {
			if strings.Contains(risingText, term) && topic == nil {
				topic = &r.Topics[i]
			}
		}
	}
	if topic == nil {
		t.Fatalf("no topic from %q; rising %v", risingText, termTexts(r.Rising))
	}
	if len(topic.Places) == 0 || topic.Places[0].Key != "s2-1" || len(topic.Examples) == 0 {
		t.Errorf("topic %v placed in %v with examples %v", topic.Terms, topic.Places, topic.Examples)
	}
	// the repeat address
	if len(r.PlaceRepeats) == 0 || r.PlaceRepeats[0].AddressKey != "addr-planted" || r.PlaceRepeats[0].N != 6 {
		t.Errorf("repeat address: %+v", first(r.PlaceRepeats))
	}
	for _, p := range r.PlaceRepeats {
		if p.AddressKey != "addr-planted" {
			t.Errorf("unplanted repeat %+v", p)
		}
	}
	// the unit whose callbacks turned unsatisfied
	var unitFlags []string
	for _, u := range r.Units {
		if u.Flag {
			unitFlags = append(unitFlags, u.Unit)
		}
	}
	if strings.Join(unitFlags, ",") != "u-water" {
		t.Errorf("units flagged %v, want u-water", unitFlags)
	}
	if len(r.Reopened) == 0 {
		t.Errorf("no reopened groups")
	}
	// the spatial cluster of noise complaints
	var hs *Hotspot
	for i := range r.Hotspots {
		if r.Hotspots[i].Category == "noise" {
			hs = &r.Hotspots[i]
			break
		}
	}
	if hs == nil {
		t.Fatalf("no noise hotspot; hotspots %+v", r.Hotspots)
	}
	in9 := 0
	for _, g := range hs.Grids {
		var x, y int
		if _, err := fmtSscanf(g, &x, &y); err != nil {
			t.Fatal(err)
		}
		if x >= 10 && x <= 12 && y >= 10 && y <= 12 {
			in9++
		} else if x < 9 || x > 13 || y < 9 || y > 13 {
			t.Errorf("hotspot grid %s is far from the cluster", g)
		}
	}
	if in9 < 5 {
		t.Errorf("noise hotspot %v holds %d of the 9 planted grids", hs.Grids, in9)
	}
	if len(hs.Categories) == 0 || hs.Categories[0].Key != "noise" || len(hs.Streets) == 0 {
		t.Errorf("hotspot described as %+v", hs)
	}
	// grids in hotspots of categories with nothing planted are false
	// discoveries: BH lets them be up to q of all hotspot grids
	all, false_ := 0, 0
	for _, h := range r.Hotspots {
		all += len(h.Grids)
		if h.Category == "water" || h.Category == "roads" || h.Category == "greening" || h.Category == "property" || h.Category == "refund" {
			false_ += len(h.Grids)
		}
	}
	t.Logf("hotspots: %d grids, %d of them false", all, false_)
	if float64(false_) > 0.05*float64(all)+1 {
		t.Errorf("%d of %d hotspot grids in categories with nothing planted", false_, all)
	}
	t.Logf("noise hotspot: %v terms %v", hs.Grids, hs.Terms)

	// candidates: heating, the noise cluster, the rising topic (as a topic or
	// as parking in s2-1) and water all rank; every one explains itself
	rank := map[string]int{}
	for _, c := range r.Candidates {
		key := c.Kind + ":" + c.Category
		if c.Kind == "topic" && strings.Contains(risingText, c.Terms[0]) {
			key = "topic:rising"
		}
		if _, ok := rank[key]; !ok {
			rank[key] = c.Rank
		}
		if c.WhyZh == "" || c.WhyEn == "" || len(c.Components) == 0 || len(c.Examples) == 0 {
			t.Errorf("candidate %d without evidence: %+v", c.Rank, c)
		}
		t.Logf("%s", c.WhyZh)
		t.Logf("%s", c.WhyEn)
	}
	for _, k := range []string{"category:heating", "category:noise", "category:water", "category:parking", "topic:rising"} {
		if r, ok := rank[k]; !ok || r > 8 {
			t.Errorf("%s ranks %d (absent: %v)", k, r, !ok)
		}
	}
	if rank["category:heating"] != 1 {
		t.Errorf("heating (doubled, the largest) ranks %d", rank["category:heating"])
	}
	for _, c := range r.Candidates {
		if c.Kind == "category" && c.Category == "parking" {
			if len(c.Places) == 0 || c.Places[0].Place != "s2-1" && !strings.HasPrefix(c.Places[0].Place, "g") {
				t.Errorf("parking candidate's places %+v", c.Places)
			}
		}
	}
}

func fmtSscanf(g string, x, y *int) (int, error) {
	return sscanf(g, x, y)
}

func first[T any](s []T) any {
	if len(s) == 0 {
		return nil
	}
	return s[0]
}

func termTexts(ts []Term) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Text)
	}
	return out
}

// TestSeasonalAsLastYear: in January 2026 heating behaves as in January
// 2025; it is not flagged at the city, district or street level.
func TestSeasonalAsLastYear(t *testing.T) {
	_, in, _ := planted()
	from := DateDay(2026, 1, 5)
	r, err := Analyze(in, Options{From: from, To: from + 27})
	if err != nil {
		t.Fatal(err)
	}
	city := flagged(r, "heating", City, "")
	if city == nil || city.Count < 1000 {
		t.Fatalf("heating in January: %+v", city)
	}
	for _, a := range r.Anomalies {
		if a.Category == "heating" && a.Flag && a.Level != Grid && a.Level != Community {
			t.Errorf("heating as last winter flagged: %+v", a)
		}
	}
	flags := 0
	for _, a := range r.Anomalies {
		if a.Flag {
			flags++
		}
	}
	t.Logf("January: %d of %d cells flagged, R=%.3f φ=%.2f", flags, r.Tested, r.Trend, r.Dispersion)
	if flags > r.Tested/100 {
		t.Errorf("%d flags in a month with nothing planted", flags)
	}
}

// TestRoseAndFell: the prepaid-card topic rose in June 2026 and stopped;
// June's analysis finds it rising, August's finds it falling and not rising.
func TestRoseAndFell(t *testing.T) {
	_, in, _ := planted()
	has := func(ts []Term) bool {
		for _, t := range ts {
			if strings.Contains(fadeText, t.Text) {
				return true
			}
		}
		return false
	}
	june, _ := Analyze(in, Options{From: DateDay(2026, 6, 1), To: DateDay(2026, 6, 28)})
	if !has(june.Rising) {
		t.Errorf("June: %q not rising; rising %v", fadeText, termTexts(june.Rising))
	}
	found := false
	for _, c := range june.Candidates {
		if c.Kind == "topic" && strings.Contains(fadeText, c.Terms[0]) {
			found = true
			if c.Places[0].Place != "s0-2" {
				t.Errorf("June topic placed in %+v", c.Places)
			}
		}
	}
	if !found {
		t.Errorf("June: no candidate for the prepaid-card topic")
	}
	aug, _ := Analyze(in, Options{From: DateDay(2026, 8, 3), To: DateDay(2026, 8, 30)})
	if has(aug.Rising) {
		t.Errorf("August: the faded topic still rising")
	}
	if !has(aug.Falling) {
		t.Errorf("August: the faded topic not falling; falling %v", termTexts(aug.Falling))
	}
}

// TestNoiseFDR: 200 cities with no planted pattern (stationary Poisson
// requests and text). Under the global null every flag is false, so the
// false-discovery proportion of a run is 1 when anything is flagged and 0
// otherwise; its mean over the seeds estimates the FDR and must not exceed
// q = 0.05 by more than the tolerance (≈ 2.3 standard errors at 200 seeds).
func TestNoiseFDR(t *testing.T) {
	const seeds, q, tol = 200, 0.05, 0.035
	from := DateDay(2026, 3, 2)
	to := from + 27
	keep := func(d Day) bool { // the period, the previous one, and both 52 weeks earlier
		return (d >= from-56 && d <= to) || (d >= from-364-28 && d <= to-364)
	}
	fams := []string{"anomalies", "terms", "hotspots", "units"}
	type result struct {
		any    [4]bool
		tested int
		err    error
	}
	results := make([]result, seeds)
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for s := range next {
				c, reqs := generate(uint64(1000+s), 16, DateDay(2025, 1, 1), to, 7, plan{}, keep)
				r, err := Analyze(Input{Cells: rollup(c, reqs), Reqs: reqs, Neighbours: c.nb},
					Options{From: from, To: to, Q: q, DataFrom: DateDay(2025, 1, 1), TermBaselineDays: 56})
				if err == nil && r.Baseline != "last-year" {
					err = fmt.Errorf("baseline %s", r.Baseline)
				}
				if err != nil {
					results[s].err = err
					continue
				}
				res := &results[s]
				res.tested = r.Tested
				for _, a := range r.Anomalies {
					res.any[0] = res.any[0] || a.Flag
				}
				res.any[1] = len(r.Rising)+len(r.Falling) > 0
				res.any[2] = len(r.Hotspots) > 0
				for _, u := range r.Units {
					res.any[3] = res.any[3] || u.Flag
				}
			}
		})
	}
	for s := range seeds {
		next <- s
	}
	close(next)
	wg.Wait()
	fdp := make([]float64, len(fams))
	tested := 0
	for _, res := range results {
		if res.err != nil {
			t.Fatal(res.err)
		}
		tested += res.tested
		for i, a := range res.any {
			if a {
				fdp[i] += 1.0 / seeds
			}
		}
	}
	for i, f := range fams {
		t.Logf("%s: observed FDR %.3f (q=%.2f)", f, fdp[i], q)
		if fdp[i] > q+tol {
			t.Errorf("%s: false-discovery proportion %.3f > %.2f + %.3f", f, fdp[i], q, tol)
		}
	}
	t.Logf("%d cells tested per run on average", tested/seeds)
}

// TestEdgeCases: empty and thin inputs give a report, never a panic.
func TestEdgeCases(t *testing.T) {
	d := DateDay(2026, 3, 2)
	cell := func(day Day, n int) Cell {
		return Cell{Day: day, Category: "roads", District: "d", Street: "s", Community: "c", Grid: "g", Unit: "u", N: n, Rated: n, Unsatis: n / 2}
	}
	// two steady categories set the trend (R = 1); roads triples
	steady := func(days ...Day) []Cell {
		var out []Cell
		for _, day := range days {
			for _, c := range []string{"water", "greening"} {
				out = append(out, Cell{Day: day, Category: c, District: "d", Street: "s", Grid: "g", N: 30})
			}
		}
		return out
	}
	for _, tc := range []struct {
		name string
		in   Input
		mode string
	}{
		{"empty", Input{}, "none"},
		{"one day", Input{Cells: []Cell{cell(d, 3)}}, "none"},
		{"recent", Input{Cells: append(steady(d-60, d-30, d), cell(d-60, 30), cell(d-30, 30), cell(d, 90)),
			Reqs: []Req{{ID: "1", Day: d, Text: "暖气不热"}}, Neighbours: map[string][]string{"g": {"h"}}}, "recent"},
		{"last year", Input{Cells: append(steady(d-364, d), cell(d-400, 1), cell(d-364, 30), cell(d, 90))}, "last-year"},
		{"one category", Input{Cells: []Cell{cell(d-364, 30), cell(d, 90)}}, "last-year"}, // its own trend: nothing relative to flag
	} {
		r, err := Analyze(tc.in, Options{From: d, To: d + 27})
		if err != nil || r.Baseline != tc.mode {
			t.Errorf("%s: %v, baseline %v, want %s", tc.name, err, r, tc.mode)
			continue
		}
		if tc.mode != "none" && tc.name != "one category" {
			if a := flagged(r, "roads", City, ""); a == nil || !a.Flag {
				t.Errorf("%s: 90 against 30 not flagged: %+v", tc.name, a)
			}
		}
	}
}
