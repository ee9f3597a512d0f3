package geo

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
)

// Problem is one specific defect found while validating boundaries: which
// feature, what is wrong (a stable machine code plus an English message),
// and where (a lon/lat point), so an operator can fix the source data.
type Problem struct {
	Feature string      `json:"feature"`         // the feature's code, or "#n" (1-based) without one
	Name    string      `json:"name,omitempty"`  // the feature's name
	Code    string      `json:"code"`            // e.g. self_intersection, overlap, gap
	Message string      `json:"message"`         // what, in English
	Other   string      `json:"other,omitempty"` // the other feature of an overlap
	Where   *[2]float64 `json:"where,omitempty"` // lon, lat
	AreaM2  float64     `json:"area_m2,omitempty"`
}

// Problem codes.
const (
	ProbGeometry      = "invalid_geometry" // not a Polygon/MultiPolygon, or malformed coordinates
	ProbTooFewPoints  = "too_few_points"   // a ring with fewer than 4 positions
	ProbNotClosed     = "ring_not_closed"  // first position ≠ last
	ProbOutOfRange    = "coordinate_out_of_range"
	ProbZeroArea      = "zero_area"          // a ring without area
	ProbSelfIntersect = "self_intersection"  // a ring crosses or touches itself
	ProbHoleOutside   = "hole_outside_shell" // a hole not inside its outer ring
	ProbRingsCross    = "rings_cross"        // two rings of one polygon cross (holes overlapping, hole crossing shell)
	ProbPartsOverlap  = "parts_overlap"      // two parts of a MultiPolygon overlap
	ProbOverlap       = "overlap"            // two siblings overlap by more than the tolerance
	ProbOutsideParent = "outside_parent"     // a child is not within its parent
	ProbGap           = "gap"                // part of a parent covered by no child
)

// checkShape validates raw polygons (polygon → rings → lon/lat) and, when
// they are sound, returns them projected and oriented.
func checkShape(polys [][][][2]float64, pr projection, report func(code, msg string, where *[2]float64)) *planar {
	bad := false
	var rings [][]vec
	type part struct{ shell, from, to int } // rings[from:to] belong to one polygon
	var parts []part
	for pi, poly := range polys {
		if len(poly) == 0 {
			report(ProbGeometry, fmt.Sprintf("polygon %d has no rings", pi+1), nil)
			bad = true
			continue
		}
		from := len(rings)
		for ri, ring := range poly {
			label := ringLabel(len(polys), pi, ri)
			if len(ring) == 0 {
				report(ProbTooFewPoints, label+" is empty", nil)
				bad = true
				continue
			}
			w := ring[0]
			if len(ring) < 4 {
				report(ProbTooFewPoints, fmt.Sprintf("%s has %d positions; a closed ring needs at least 4", label, len(ring)), &w)
				bad = true
				continue
			}
			if ring[0] != ring[len(ring)-1] {
				report(ProbNotClosed, fmt.Sprintf("%s is not closed: it starts at %v and ends at %v", label, ring[0], ring[len(ring)-1]), &w)
				bad = true
				continue
			}
			rangeOK := true
			for _, q := range ring {
				if !(q[0] >= -180 && q[0] <= 180 && q[1] >= -90 && q[1] <= 90) {
					q := q
					report(ProbOutOfRange, fmt.Sprintf("%s has position %v outside lon [-180,180] / lat [-90,90]", label, q), nil)
					rangeOK = false
					break
				}
			}
			if !rangeOK {
				bad = true
				continue
			}
			r := make([]vec, 0, len(ring))
			for _, q := range ring {
				v := pr.fwd(q)
				if len(r) > 0 && r[len(r)-1] == v {
					continue // repeated position
				}
				r = append(r, v)
			}
			a := ringArea(r)
			if len(r) < 4 || collinear(r) {
				report(ProbZeroArea, label+" has no area", &w)
				bad = true
				continue
			}
			if at, ok := selfIntersection(r); ok {
				where := pr.inv(at)
				report(ProbSelfIntersect, label+" intersects itself", &where)
				bad = true
				continue
			}
			if math.Abs(a) < 1e-6 {
				report(ProbZeroArea, label+" has no area", &w)
				bad = true
				continue
			}
			if (ri == 0) != (a > 0) { // shells counter-clockwise, holes clockwise
				for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
					r[i], r[j] = r[j], r[i]
				}
			}
			rings = append(rings, r)
		}
		if len(rings) > from {
			parts = append(parts, part{from, from, len(rings)})
		}
	}
	if bad {
		return nil
	}
	// Rings of one polygon: holes inside the shell, no two rings crossing.
	for pi, pt := range parts {
		shell := newPlanar(rings[pt.shell : pt.shell+1])
		for hi := pt.from + 1; hi < pt.to; hi++ {
			h := rings[hi]
			if at, ok := ringsCross(rings[pt.shell], h); ok {
				where := pr.inv(at)
				report(ProbRingsCross, fmt.Sprintf("hole %d of %s crosses its outer ring", hi-pt.from, partLabel(len(parts), pi)), &where)
				bad = true
				continue
			}
			if loc, _ := shell.locate(mid(h[0], h[1])); loc == 0 {
				where := pr.inv(h[0])
				report(ProbHoleOutside, fmt.Sprintf("hole %d of %s lies outside its outer ring", hi-pt.from, partLabel(len(parts), pi)), &where)
				bad = true
			}
			for hj := hi + 1; hj < pt.to; hj++ {
				if at, ok := ringsCross(h, rings[hj]); ok {
					where := pr.inv(at)
					report(ProbRingsCross, fmt.Sprintf("holes %d and %d of %s cross", hi-pt.from, hj-pt.from, partLabel(len(parts), pi)), &where)
					bad = true
				}
			}
		}
	}
	if bad {
		return nil
	}
	// Parts of a MultiPolygon must not overlap.
	pls := make([]*planar, len(parts))
	for i, pt := range parts {
		pls[i] = newPlanar(rings[pt.from:pt.to])
	}
	for i := range pls {
		for j := i + 1; j < len(pls); j++ {
			if a, at, ok := overlap(pls[i], pls[j]); ok && a > 1e-3 {
				where := pr.inv(at)
				report(ProbPartsOverlap, fmt.Sprintf("parts %d and %d overlap by %.1f m²", i+1, j+1, a), &where)
				bad = true
			}
		}
	}
	if bad {
		return nil
	}
	return newPlanar(rings)
}

func ringLabel(nPolys, pi, ri int) string {
	s := "outer ring"
	if ri > 0 {
		s = fmt.Sprintf("hole %d", ri)
	}
	if nPolys > 1 {
		s += fmt.Sprintf(" of part %d", pi+1)
	}
	return s
}

func partLabel(n, i int) string {
	if n > 1 {
		return fmt.Sprintf("part %d", i+1)
	}
	return "the polygon"
}

type segRef struct {
	a, b   vec
	i      int
	lo, hi float64 // x extent
}

func segsOf(r []vec) []segRef {
	s := make([]segRef, 0, len(r)-1)
	for i := 0; i+1 < len(r); i++ {
		s = append(s, segRef{r[i], r[i+1], i, min(r[i].x, r[i+1].x), max(r[i].x, r[i+1].x)})
	}
	sort.Slice(s, func(i, j int) bool { return s[i].lo < s[j].lo })
	return s
}

// selfIntersection finds where a closed ring meets itself other than at
// the shared vertex of consecutive edges (a sweep over x extents).
func selfIntersection(r []vec) (vec, bool) {
	n := len(r) - 1 // edges
	segs := segsOf(r)
	for x, s := range segs {
		for _, t := range segs[x+1:] {
			if t.lo > s.hi+planarEps {
				break
			}
			i, j := min(s.i, t.i), max(s.i, t.i)
			adjacent := j == i+1 || (i == 0 && j == n-1)
			ts := segIntersect(s.a, s.b, t.a, t.b)
			if len(ts) == 0 {
				continue
			}
			if adjacent {
				// Consecutive edges share one vertex; anything more (folding
				// back along the previous edge) is a self-intersection.
				if len(ts) == 2 && ts[1]-ts[0] > 1e-9 {
					return lerp(s.a, s.b, (ts[0]+ts[1])/2), true
				}
				continue
			}
			return lerp(s.a, s.b, ts[0]), true
		}
	}
	return vec{}, false
}

// ringsCross reports where two rings cross or touch.
func ringsCross(r1, r2 []vec) (vec, bool) {
	s2 := segsOf(r2)
	for _, s := range segsOf(r1) {
		for _, t := range s2 {
			if t.lo > s.hi+planarEps {
				break
			}
			if t.hi < s.lo-planarEps {
				continue
			}
			if ts := segIntersect(s.a, s.b, t.a, t.b); len(ts) > 0 {
				return lerp(s.a, s.b, ts[0]), true
			}
		}
	}
	return vec{}, false
}

// outsidePoint returns a vertex or edge midpoint of p outside q.
func outsidePoint(p, q *planar) (vec, bool) {
	for _, r := range p.rings {
		for i := 0; i+1 < len(r); i++ {
			for _, v := range []vec{r[i], mid(r[i], r[i+1])} {
				if loc, _ := q.locate(v); loc == 0 {
					return v, true
				}
			}
		}
	}
	return vec{}, false
}

// uncovered searches parent for a point that no child covers.
func uncovered(parent *planar, children []*planar) (vec, bool) {
	const n = 96
	for j := 0; j < n; j++ {
		for i := 0; i < n; i++ {
			v := vec{parent.x0 + (parent.x1-parent.x0)*(float64(i)+0.5)/n, parent.y0 + (parent.y1-parent.y0)*(float64(j)+0.5)/n}
			if loc, _ := parent.locate(v); loc != 1 {
				continue
			}
			free := true
			for _, c := range children {
				if v.x < c.x0 || v.x > c.x1 || v.y < c.y0 || v.y > c.y1 {
					continue
				}
				if loc, _ := c.locate(v); loc != 0 {
					free = false
					break
				}
			}
			if free {
				return v, true
			}
		}
	}
	return vec{}, false
}

// collinear reports whether every point of r lies on one line.
func collinear(r []vec) bool {
	far, fd := r[0], 0.0
	for _, v := range r {
		if d := v.sub(r[0]); d.dot(d) > fd {
			far, fd = v, d.dot(d)
		}
	}
	if fd == 0 {
		return true
	}
	d := far.sub(r[0])
	l := math.Sqrt(fd)
	for _, v := range r {
		if math.Abs(d.cross(v.sub(r[0])))/l > planarEps {
			return false
		}
	}
	return true
}

// CheckGeometry validates one GeoJSON Polygon or MultiPolygon geometry (or
// a Feature wrapping one) as an import would — closed rings of ≥ 4
// positions, no self-intersection, holes inside their shell, parts apart —
// and returns its problems (none: valid). Feature and Name are left empty.
func CheckGeometry(geojson string) []Problem {
	var probs []Problem
	raw := json.RawMessage(geojson)
	var f struct {
		Type     string          `json:"type"`
		Geometry json.RawMessage `json:"geometry"`
	}
	if json.Unmarshal(raw, &f) == nil && f.Type == "Feature" {
		raw = f.Geometry
	}
	polys, err := rawPolys(raw)
	if err != nil {
		return []Problem{{Code: ProbGeometry, Message: err.Error()}}
	}
	pr := newProjection(116, 40)
	if len(polys) > 0 && len(polys[0]) > 0 && len(polys[0][0]) > 0 {
		q := polys[0][0][0]
		pr = newProjection(q[0], max(-80, min(80, q[1])))
	}
	checkShape(polys, pr, func(code, msg string, where *[2]float64) {
		probs = append(probs, Problem{Code: code, Message: msg, Where: where})
	})
	return probs
}
