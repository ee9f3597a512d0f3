package insight

import (
	"math"
	"sort"
)

// Hotspot is a cluster of adjacent grids whose Getis-Ord Gi* is
// significantly positive for one category ("" for all categories).
type Hotspot struct {
	Category   string
	Grids      []string
	Streets    []Count // the streets the grids lie in, by requests
	Count      int     // requests in the cluster in the period
	Expected   float64 // the baseline's expectation (0 when there is no baseline)
	MaxZ, MinQ float64
	Categories []Count  // the categories of the cluster's requests
	Terms      []string // the terms most over-represented in the cluster's requests
	Examples   []string
}

type gridVal struct{ x, y, e float64 }

// hotspots finds clusters of grids with significantly more requests than
// expected, for all categories together and for each category.
//
// For every grid i the Getis-Ord Gi* statistic (Ord & Getis 1995, binary
// weights, i itself included) is computed on the Pearson residuals
// r = (X − E)/√max(E, 1) of the grids' counts against their expectation
// E = R × baseline; it is reported as MaxZ. Its normal approximation is badly
// calibrated at the small counts of single grids (measured: half of all
// pure-noise runs flagged a hotspot at q = 0.05), so the significance of a
// grid is that of the exact test Gi* stands for under a Poisson null: the
// conditional (quasi-)binomial test of the neighbourhood's current count
// against its baseline count, the same test the anomalies use, with the
// city trend R and the dispersion φ. Without a baseline, a category's
// neighbourhood count is tested against the neighbourhood's requests of all
// other categories (is this area unusually about this?), and the
// all-categories map is not tested. The false-discovery rate is controlled
// across every (category, grid) test; clusters are the connected components
// of the significant grids' neighbourhoods (Gi* tests a grid with its
// neighbours), and their members are the grids in them with more requests
// than expected: those carry the excess. A significant grid with no more
// requests than expected joins its busy neighbours into one cluster but is
// not a member, so a cluster's Count always exceeds its Expected.
func hotspots(cells map[cellKey]*agg, R, phi float64, mode string, nb map[string][]string, o Options) []Hotspot {
	// the grid universe and the symmetric neighbour relation
	adj := map[string]map[string]bool{}
	link := func(a, b string) {
		if adj[a] == nil {
			adj[a] = map[string]bool{}
		}
		if b != "" && a != b {
			adj[a][b] = true
		}
	}
	for g, ns := range nb {
		link(g, "")
		for _, n := range ns {
			link(g, n)
			link(n, g)
		}
	}
	if len(adj) < 3 {
		return nil
	}
	grids := make([]string, 0, len(adj))
	for g := range adj {
		grids = append(grids, g)
	}
	sort.Strings(grids)
	index := make(map[string]int, len(grids))
	for i, g := range grids {
		index[g] = i
	}
	nbr := make([][]int, len(grids))
	for i, g := range grids {
		for n := range adj[g] {
			nbr[i] = append(nbr[i], index[n])
		}
		sort.Ints(nbr[i])
	}
	// values per category
	vals := map[string][]gridVal{}
	catTotal := map[string][2]int{}
	for k, a := range cells {
		if k.level == City {
			catTotal[k.cat] = [2]int{a.n[0], a.n[3]}
		}
		if k.level != Grid {
			continue
		}
		i, ok := index[k.place]
		if !ok {
			continue
		}
		v := vals[k.cat]
		if v == nil {
			v = make([]gridVal, len(grids))
			vals[k.cat] = v
		}
		v[i].x = float64(a.n[0])
		v[i].y = float64(a.n[3])
	}
	all := catTotal[""]
	cats := make([]string, 0, len(vals))
	rc := map[string]float64{}
	for c, v := range vals {
		t := catTotal[c]
		if t[0]+t[1] < 5*o.MinTotal {
			continue
		}
		switch {
		case mode != "none" && R > 0:
			rc[c] = R
		case c != "" && all[0] > t[0] && vals[""] != nil:
			// no baseline: against the other categories in the same grids
			rc[c] = float64(t[0]) / float64(all[0]-t[0])
			for i := range v {
				v[i].y = vals[""][i].x - v[i].x
			}
		default:
			continue
		}
		for i := range v {
			v[i].e = v[i].y * rc[c]
		}
		cats = append(cats, c)
	}
	sort.Strings(cats)
	type test struct {
		cat  string
		grid int
		z, p float64
	}
	var tests []test
	var ps []float64
	n := float64(len(grids))
	xs := make([]float64, len(grids))
	for _, c := range cats {
		v := vals[c]
		var sum, sum2 float64
		for i, g := range v {
			xs[i] = (g.x - g.e) / math.Sqrt(max(g.e, 1))
			sum += xs[i]
			sum2 += xs[i] * xs[i]
		}
		mean := sum / n
		s := math.Sqrt(max(0, sum2/n-mean*mean))
		for i := range grids {
			w := 1 + float64(len(nbr[i]))
			local, x, y, e := xs[i], v[i].x, v[i].y, v[i].e
			for _, j := range nbr[i] {
				local += xs[j]
				x += v[j].x
				y += v[j].y
				e += v[j].e
			}
			if x+y < float64(o.MinTotal) || x <= e {
				// x ≤ e: not hot; the test's p-value is ≥ ½ and BH
				// cannot flag it, but it still counts as a test
				if x+y >= float64(o.MinTotal) {
					ps = append(ps, 1)
					tests = append(tests, test{c, i, 0, 1})
				}
				continue
			}
			z := 0.0
			if den := s * math.Sqrt((n*w-w*w)/(n-1)); den > 0 {
				z = (local - mean*w) / den
			}
			p := testCell(int(x), int(y), rc[c], phi)
			tests = append(tests, test{c, i, z, p})
			ps = append(ps, p)
		}
	}
	qs := bh(ps)
	hot := map[string]map[int]float64{} // category → grid → q
	zs := map[string]map[int]float64{}
	for i, t := range tests {
		if qs[i] > o.Q {
			continue
		}
		if hot[t.cat] == nil {
			hot[t.cat], zs[t.cat] = map[int]float64{}, map[int]float64{}
		}
		hot[t.cat][t.grid] = qs[i]
		zs[t.cat][t.grid] = t.z
	}
	var out []Hotspot
	for _, c := range cats {
		h := hot[c]
		if len(h) == 0 {
			continue
		}
		v := vals[c]
		warm := func(g int) bool { return v[g].x > v[g].e }
		// The region: the significant neighbourhoods (Gi* tests a grid
		// with its neighbours). Only the grids above their expectation,
		// which carry the neighbourhood's excess, are members of a
		// cluster; the significant grids that are not merely join their
		// neighbours into one.
		region := map[int]bool{}
		for g := range h {
			region[g] = true
			for _, j := range nbr[g] {
				if warm(j) {
					region[j] = true
				}
			}
		}
		seeds := make([]int, 0, len(region))
		for g := range region {
			seeds = append(seeds, g)
		}
		sort.Ints(seeds)
		seen := map[int]bool{}
		for _, g0 := range seeds {
			if seen[g0] {
				continue
			}
			hs := Hotspot{Category: c, MinQ: 1}
			stack := []int{g0}
			seen[g0] = true
			for len(stack) > 0 {
				g := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				if warm(g) {
					hs.Grids = append(hs.Grids, grids[g])
					hs.Count += int(v[g].x)
					hs.Expected += v[g].e
				}
				if q, ok := h[g]; ok {
					hs.MaxZ = max(hs.MaxZ, zs[c][g])
					hs.MinQ = min(hs.MinQ, q)
				}
				for _, j := range nbr[g] {
					if region[j] && !seen[j] {
						seen[j] = true
						stack = append(stack, j)
					}
				}
			}
			if len(hs.Grids) == 0 {
				continue // cannot happen: a significant neighbourhood holds a grid above its expectation
			}
			sort.Strings(hs.Grids)
			out = append(out, hs)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].MaxZ != out[j].MaxZ {
			return out[i].MaxZ > out[j].MaxZ
		}
		if out[i].Category != out[j].Category {
			return out[i].Category < out[j].Category
		}
		return out[i].Grids[0] < out[j].Grids[0]
	})
	return out
}

// describeHotspots fills in what each cluster is about from the requests of
// the period in its grids: categories, streets, example ids and the terms
// most over-represented against the whole city (G², at least 3 requests).
func describeHotspots(hs []Hotspot, reqs []Req, curDocs []int, counts map[string]*termCount, n1 int, parent map[string][4]string) {
	for hi := range hs {
		h := &hs[hi]
		in := map[string]bool{}
		for _, g := range h.Grids {
			in[g] = true
		}
		cats, streets := map[string]int{}, map[string]int{}
		local := map[string]int{}
		m := 0
		var buf []string
		for _, ri := range curDocs {
			r := &reqs[ri]
			if !in[r.Grid] || (h.Category != "" && r.Category != h.Category) {
				continue
			}
			m++
			cats[r.Category]++
			if p, ok := parent[r.Grid]; ok {
				streets[p[1]]++
			}
			if len(h.Examples) < 5 {
				h.Examples = append(h.Examples, r.ID)
			}
			buf = distinct(grams(r.Text, buf))
			for _, g := range buf {
				local[g]++
			}
		}
		h.Categories = top(cats, 3)
		h.Streets = top(streets, 3)
		if len(h.Streets) == 0 {
			for _, g := range h.Grids {
				if p, ok := parent[g]; ok {
					streets[p[1]]++
				}
			}
			h.Streets = top(streets, 3)
		}
		type sc struct {
			t string
			g float64
		}
		var scored []sc
		for t, a := range local {
			c := counts[t]
			if a < 3 || c == nil || stopTerm(t) {
				continue
			}
			rest, restN := float64(int(c.cur)-a), float64(n1-m)
			if float64(a)/float64(m) <= (rest+0.5)/(restN+1) {
				continue
			}
			scored = append(scored, sc{t, g2(float64(a), float64(m), rest, restN)})
		}
		sort.Slice(scored, func(i, j int) bool {
			if scored[i].g != scored[j].g {
				return scored[i].g > scored[j].g
			}
			return scored[i].t < scored[j].t
		})
		for _, s := range scored {
			dup := false
			for _, k := range h.Terms {
				if containsEither(k, s.t) {
					dup = true
					break
				}
			}
			if !dup {
				h.Terms = append(h.Terms, s.t)
			}
			if len(h.Terms) == 5 {
				break
			}
		}
	}
}
