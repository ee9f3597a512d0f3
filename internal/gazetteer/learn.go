package gazetteer

import (
	"slices"
	"strings"
)

// Observation is a resolved request: its address text and where it was
// found to be (the places are those the case was filed under).
type Observation struct {
	Address                                   string
	Lat, Lon                                  *float64
	DistrictID, StreetID, CommunityID, GridID int64
}

type sample struct {
	chain    [4]int64
	lat, lon *float64
	num      int
}

func (s sample) key(level int) int64 { return s.chain[level] }

// Learn derives road and compound entries from resolved requests. Each
// address is read like a query (administrative prefix peeled, house number
// and trailing words cut); the remaining name is attributed to the deepest
// place (grid, community, street, district) that holds at least 80 % of its
// observations, with the mean coordinates of those observations and, for
// roads, the range of house numbers seen. A name split between districts
// yields one entry per district holding at least 20 % of it. Names that are
// places already are skipped.
func Learn(places []Place, obs []Observation) []Entry {
	ix := New(places, nil)
	known := map[string]bool{}
	for _, e := range ix.entries {
		for _, n := range e.names {
			known[string(n)] = true
		}
	}
	groups := map[string][]sample{}
	var order []string
	for _, o := range obs {
		if o.DistrictID == 0 || strings.TrimSpace(o.Address) == "" {
			continue
		}
		rest, _ := ix.peel(Normalize(o.Address), false)
		core, num, _ := splitNumber(rest)
		core = trimTrailers(core)
		var names []string
		if i := strings.IndexAny(core, "与和跟及"); i > 0 && looksLikeRoad(core[:i]) {
			names = append(names, core[:i], trimTrailers(core[i+len("与"):]))
			num = 0
		} else {
			names = append(names, core)
		}
		for _, n := range names {
			if len([]rune(n)) < 2 || len([]rune(n)) > 20 || known[n] {
				continue
			}
			if _, ok := groups[n]; !ok {
				order = append(order, n)
			}
			groups[n] = append(groups[n], sample{[4]int64{o.DistrictID, o.StreetID, o.CommunityID, o.GridID}, o.Lat, o.Lon, num})
		}
	}
	var out []Entry
	for _, name := range order {
		ss := groups[name]
		kind := KindCompound
		if looksLikeRoad(name) {
			kind = KindRoad
		}
		emit := func(place int64, in []sample) {
			e := Entry{Kind: kind, Name: name, PlaceID: place, Source: "learned", Support: len(in)}
			var sx, sy float64
			n := 0
			for _, s := range in {
				if s.lat != nil && s.lon != nil {
					sx += *s.lon
					sy += *s.lat
					n++
				}
				if kind == KindRoad && s.num > 0 {
					if e.NumFrom == 0 || s.num < e.NumFrom {
						e.NumFrom = s.num
					}
					e.NumTo = max(e.NumTo, s.num)
				}
			}
			if n > 0 {
				lat, lon := round6(sy/float64(n)), round6(sx/float64(n))
				e.Lat, e.Lon = &lat, &lon
			}
			out = append(out, e)
		}
		// The deepest of grid, community and street holding 80 % …
		resolved := false
		for level := 3; level >= 1 && !resolved; level-- {
			top, count := dominant(ss, func(s sample) int64 { return s.chain[level] })
			if top != 0 && count*5 >= len(ss)*4 {
				emit(top, where(ss, level, top))
				resolved = true
			}
		}
		// … else one section per street (then per district) holding 20 %.
		for level := 1; level >= 0 && !resolved; level-- {
			counts := map[int64]int{}
			for _, s := range ss {
				counts[s.chain[level]]++
			}
			keys := make([]int64, 0, len(counts))
			for k, c := range counts {
				if k != 0 && c*5 >= len(ss) {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			for _, k := range keys {
				emit(k, where(ss, level, k))
				resolved = true
			}
		}
	}
	return out
}

func where[T interface{ key(int) int64 }](ss []T, level int, id int64) []T {
	var out []T
	for _, s := range ss {
		if s.key(level) == id {
			out = append(out, s)
		}
	}
	return out
}

// dominant returns the most frequent non-zero key (lowest on ties) and its count.
func dominant[T any](ss []T, key func(T) int64) (int64, int) {
	counts := map[int64]int{}
	for _, s := range ss {
		if k := key(s); k != 0 {
			counts[k]++
		}
	}
	var best int64
	n := 0
	for k, c := range counts {
		if c > n || (c == n && k < best) {
			best, n = k, c
		}
	}
	return best, n
}

func round6(f float64) float64 {
	if f < 0 {
		return -float64(int64(-f*1e6+0.5)) / 1e6
	}
	return float64(int64(f*1e6+0.5)) / 1e6
}
