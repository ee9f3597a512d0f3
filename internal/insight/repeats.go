package insight

import (
	"math"
	"sort"
)

// PlaceRepeat is the same address and category again and again (重复诉求).
type PlaceRepeat struct {
	AddressKey string
	Grid       string
	Category   string
	N          int
	IDs        []string // in day order
	FirstDay   Day
	LastDay    Day
}

// CallerRepeat is the same caller (keyed phone hash) again.
type CallerRepeat struct {
	PhoneKey   string
	N          int
	Categories []Count
	IDs        []string
}

// ReopenedGroup counts requests reopened after an unsatisfied callback, by
// category and unit.
type ReopenedGroup struct {
	Category, Unit string
	N              int
	IDs            []string
}

// UnitTrend is a unit's dissatisfaction (the share of rated requests rated
// unsatisfied) in the period against the preceding period. Given the
// unsatisfied ratings of both periods, the number in the period is
// hypergeometric; its upper tail is taken from the exact binomial
// Bin(u + u', r/(r + r')) (slightly conservative). Z is the two-proportion
// z for display; BH across units; Flag marks a significant rise.
type UnitTrend struct {
	Unit                   string
	Rated, Unsatis         int
	PrevRated, PrevUnsatis int
	Rate, PrevRate         float64 // unsatisfied shares
	Z, P, Q                float64
	Flag                   bool
}

func repeats(reqs []Req, cur window, o Options) ([]PlaceRepeat, []CallerRepeat, []ReopenedGroup) {
	type pk struct{ addr, cat string }
	byPlace := map[pk][]int{}
	byPhone := map[string][]int{}
	type rk struct{ cat, unit string }
	reopened := map[rk][]int{}
	for i := range reqs {
		r := &reqs[i]
		if !cur.has(r.Day) {
			continue
		}
		if r.AddressKey != "" {
			byPlace[pk{r.AddressKey, r.Category}] = append(byPlace[pk{r.AddressKey, r.Category}], i)
		}
		if r.PhoneKey != "" {
			byPhone[r.PhoneKey] = append(byPhone[r.PhoneKey], i)
		}
		if r.Reopened && r.Rated && !r.Satisfied {
			reopened[rk{r.Category, r.Unit}] = append(reopened[rk{r.Category, r.Unit}], i)
		}
	}
	byDay := func(ix []int) {
		sort.Slice(ix, func(a, b int) bool {
			if reqs[ix[a]].Day != reqs[ix[b]].Day {
				return reqs[ix[a]].Day < reqs[ix[b]].Day
			}
			return reqs[ix[a]].ID < reqs[ix[b]].ID
		})
	}
	ids := func(ix []int) []string {
		out := make([]string, len(ix))
		for i, j := range ix {
			out[i] = reqs[j].ID
		}
		return out
	}
	var places []PlaceRepeat
	for k, ix := range byPlace {
		if len(ix) < o.MinRepeat {
			continue
		}
		byDay(ix)
		places = append(places, PlaceRepeat{AddressKey: k.addr, Grid: reqs[ix[0]].Grid, Category: k.cat, N: len(ix), IDs: ids(ix),
			FirstDay: reqs[ix[0]].Day, LastDay: reqs[ix[len(ix)-1]].Day})
	}
	sort.Slice(places, func(i, j int) bool {
		if places[i].N != places[j].N {
			return places[i].N > places[j].N
		}
		if places[i].AddressKey != places[j].AddressKey {
			return places[i].AddressKey < places[j].AddressKey
		}
		return places[i].Category < places[j].Category
	})
	var callers []CallerRepeat
	for k, ix := range byPhone {
		if len(ix) < o.MinRepeat {
			continue
		}
		byDay(ix)
		cats := map[string]int{}
		for _, j := range ix {
			cats[reqs[j].Category]++
		}
		callers = append(callers, CallerRepeat{PhoneKey: k, N: len(ix), Categories: top(cats, 3), IDs: ids(ix)})
	}
	sort.Slice(callers, func(i, j int) bool {
		if callers[i].N != callers[j].N {
			return callers[i].N > callers[j].N
		}
		return callers[i].PhoneKey < callers[j].PhoneKey
	})
	var re []ReopenedGroup
	for k, ix := range reopened {
		byDay(ix)
		re = append(re, ReopenedGroup{Category: k.cat, Unit: k.unit, N: len(ix), IDs: ids(ix)})
	}
	sort.Slice(re, func(i, j int) bool {
		if re[i].N != re[j].N {
			return re[i].N > re[j].N
		}
		if re[i].Category != re[j].Category {
			return re[i].Category < re[j].Category
		}
		return re[i].Unit < re[j].Unit
	})
	return places, callers, re
}

// unitTrends tests each unit with at least 20 rated requests in each period.
func unitTrends(cells []Cell, w windows, o Options) []UnitTrend {
	type uc struct{ r, u, pr, pu int }
	m := map[string]*uc{}
	if !w.prev.ok() {
		return nil
	}
	for i := range cells {
		c := &cells[i]
		if c.Unit == "" || c.Rated == 0 {
			continue
		}
		cur, prev := w.cur.has(c.Day), w.prev.has(c.Day)
		if !cur && !prev {
			continue
		}
		x := m[c.Unit]
		if x == nil {
			x = &uc{}
			m[c.Unit] = x
		}
		if cur {
			x.r += c.Rated
			x.u += c.Unsatis
		} else {
			x.pr += c.Rated
			x.pu += c.Unsatis
		}
	}
	var out []UnitTrend
	var ps []float64
	for unit, x := range m {
		if x.r < 20 || x.pr < 20 {
			continue
		}
		p1, p2 := float64(x.u)/float64(x.r), float64(x.pu)/float64(x.pr)
		pp := float64(x.u+x.pu) / float64(x.r+x.pr)
		se := math.Sqrt(pp * (1 - pp) * (1/float64(x.r) + 1/float64(x.pr)))
		z := 0.0
		if se > 0 {
			z = (p1 - p2) / se
		}
		t := UnitTrend{Unit: unit, Rated: x.r, Unsatis: x.u, PrevRated: x.pr, PrevUnsatis: x.pu, Rate: p1, PrevRate: p2, Z: z,
			P: binomUpper(float64(x.u), float64(x.u+x.pu), float64(x.r)/float64(x.r+x.pr))}
		out = append(out, t)
		ps = append(ps, t.P)
	}
	qs := bh(ps)
	for i := range out {
		out[i].Q = qs[i]
		out[i].Flag = qs[i] <= o.Q
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].P != out[j].P {
			return out[i].P < out[j].P
		}
		return out[i].Unit < out[j].Unit
	})
	return out
}
