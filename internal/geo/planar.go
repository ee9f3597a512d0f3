package geo

import (
	"math"
	"slices"
)

// Planar geometry for validation: coordinates projected to metres around
// an origin (equirectangular, exact enough within a city), rings oriented
// counter-clockwise for outer rings and clockwise for holes.

const metresPerDegree = 111_320.0

// projection maps lon/lat degrees to local metres and back.
type projection struct{ lon0, lat0, kx float64 }

func newProjection(lon0, lat0 float64) projection {
	return projection{lon0, lat0, metresPerDegree * math.Cos(lat0*math.Pi/180)}
}

func (p projection) fwd(q [2]float64) vec {
	return vec{(q[0] - p.lon0) * p.kx, (q[1] - p.lat0) * metresPerDegree}
}

func (p projection) inv(v vec) [2]float64 {
	return [2]float64{round7(p.lon0 + v.x/p.kx), round7(p.lat0 + v.y/metresPerDegree)}
}

func round7(f float64) float64 { return math.Round(f*1e7) / 1e7 }

type vec struct{ x, y float64 }

func (a vec) sub(b vec) vec        { return vec{a.x - b.x, a.y - b.y} }
func (a vec) cross(b vec) float64  { return a.x*b.y - a.y*b.x }
func (a vec) dot(b vec) float64    { return a.x*b.x + a.y*b.y }
func lerp(a, b vec, t float64) vec { return vec{a.x + (b.x-a.x)*t, a.y + (b.y-a.y)*t} }
func mid(a, b vec) vec             { return vec{(a.x + b.x) / 2, (a.y + b.y) / 2} }
func ringArea(r []vec) (a float64) { // signed, for a closed ring (last == first)
	for i := 0; i+1 < len(r); i++ {
		a += r[i].cross(r[i+1])
	}
	return a / 2
}

// planar is a validated (multi)polygon in metres: oriented rings (outer
// CCW, holes CW), closed, without repeated points; their edges flattened
// and bucketed by y so that point tests and edge intersections only look at
// the edges near a given latitude.
type planar struct {
	rings          [][]vec
	edges          []pseg
	x0, y0, x1, y1 float64
	area           float64
	bucketH        float64
	buckets        [][]int32 // edge indices by y band
}

type pseg struct {
	a, b           vec
	x0, y0, x1, y1 float64
}

func newPlanar(rings [][]vec) *planar {
	p := &planar{rings: rings, x0: math.Inf(1), y0: math.Inf(1), x1: math.Inf(-1), y1: math.Inf(-1)}
	for _, r := range rings {
		for i, v := range r {
			p.x0, p.y0, p.x1, p.y1 = min(p.x0, v.x), min(p.y0, v.y), max(p.x1, v.x), max(p.y1, v.y)
			if i+1 < len(r) {
				w := r[i+1]
				p.edges = append(p.edges, pseg{v, w, min(v.x, w.x), min(v.y, w.y), max(v.x, w.x), max(v.y, w.y)})
			}
		}
		p.area += ringArea(r)
	}
	nb := max(1, min(len(p.edges)/4, 4096))
	p.bucketH = max((p.y1-p.y0)/float64(nb), 1e-9)
	p.buckets = make([][]int32, nb)
	for i, e := range p.edges {
		b0, b1 := p.bucket(e.y0-planarEps), p.bucket(e.y1+planarEps)
		for b := b0; b <= b1; b++ {
			p.buckets[b] = append(p.buckets[b], int32(i))
		}
	}
	return p
}

func (p *planar) bucket(y float64) int {
	return max(0, min(int((y-p.y0)/p.bucketH), len(p.buckets)-1))
}

func (p *planar) boxOverlaps(q *planar) bool {
	return p.x0 <= q.x1 && q.x0 <= p.x1 && p.y0 <= q.y1 && q.y0 <= p.y1
}

// planarEps is the distance (metres) under which points are on an edge.
const planarEps = 1e-6

// locate classifies v against p: 1 inside, 0 outside, -1 on the boundary.
// For boundary points dir is the direction of the edge v lies on.
func (p *planar) locate(v vec) (where int, dir vec) {
	if v.x < p.x0-planarEps || v.x > p.x1+planarEps || v.y < p.y0-planarEps || v.y > p.y1+planarEps {
		return 0, vec{}
	}
	in := false
	for _, i := range p.buckets[p.bucket(v.y)] {
		e := &p.edges[i]
		if v.y < e.y0-planarEps || v.y > e.y1+planarEps {
			continue
		}
		a, b := e.a, e.b
		d := b.sub(a)
		if v.x >= e.x0-planarEps && v.x <= e.x1+planarEps &&
			math.Abs(d.cross(v.sub(a))) <= planarEps*math.Hypot(d.x, d.y) {
			return -1, d
		}
		if (a.y > v.y) != (b.y > v.y) && v.x < a.x+(v.y-a.y)*d.x/d.y {
			in = !in
		}
	}
	if in {
		return 1, vec{}
	}
	return 0, vec{}
}

// near calls fn once for every edge of p whose box meets the given box
// (with a margin).
func (p *planar) near(x0, y0, x1, y1 float64, fn func(e *pseg)) {
	if x1 < p.x0-planarEps || x0 > p.x1+planarEps || y1 < p.y0-planarEps || y0 > p.y1+planarEps {
		return
	}
	qb0 := p.bucket(y0 - planarEps)
	for b := qb0; b <= p.bucket(y1+planarEps); b++ {
		for _, i := range p.buckets[b] {
			e := &p.edges[i]
			if e.x1 < x0-planarEps || e.x0 > x1+planarEps || e.y1 < y0-planarEps || e.y0 > y1+planarEps {
				continue
			}
			if max(p.bucket(e.y0-planarEps), qb0) != b {
				continue // met in an earlier band already
			}
			fn(e)
		}
	}
}

// segIntersect returns the parameters along ab where it meets cd: one for a
// crossing or touch, two (the overlap's ends) for collinear overlap.
func segIntersect(a, b, c, d vec) []float64 {
	r, s := b.sub(a), d.sub(c)
	den := r.cross(s)
	ca := c.sub(a)
	rl := math.Hypot(r.x, r.y)
	if rl == 0 {
		return nil
	}
	if math.Abs(den) <= 1e-12*rl*math.Hypot(s.x, s.y) { // parallel
		if math.Abs(ca.cross(r)) > planarEps*rl {
			return nil
		}
		rr := r.dot(r)
		t0, t1 := ca.dot(r)/rr, d.sub(a).dot(r)/rr
		if t0 > t1 {
			t0, t1 = t1, t0
		}
		t0, t1 = max(t0, 0), min(t1, 1)
		if t0 > t1 {
			return nil
		}
		return []float64{t0, t1}
	}
	t := ca.cross(s) / den
	u := ca.cross(r) / den
	tol := planarEps / rl
	ul := planarEps / max(math.Hypot(s.x, s.y), 1e-300)
	if t < -tol || t > 1+tol || u < -ul || u > 1+ul {
		return nil
	}
	return []float64{min(max(t, 0), 1)}
}

// overlap returns the area of p ∩ q (square metres) by Green's theorem: the
// boundary of the intersection is the part of p's boundary inside q plus
// the part of q's boundary inside p (shared same-direction edges once). It
// also returns a point on that boundary (a "where" for reports).
func overlap(p, q *planar) (area float64, where vec, ok bool) {
	if !p.boxOverlaps(q) {
		return 0, vec{}, false
	}
	twice := 0.0
	var ts []float64
	walk := func(p, q *planar, shared bool) {
		p.near(q.x0, q.y0, q.x1, q.y1, func(e *pseg) {
			a, b := e.a, e.b
			ts = append(ts[:0], 0, 1)
			q.near(e.x0, e.y0, e.x1, e.y1, func(f *pseg) {
				ts = append(ts, segIntersect(a, b, f.a, f.b)...)
			})
			slices.Sort(ts)
			for k := 0; k+1 < len(ts); k++ {
				if ts[k+1]-ts[k] < 1e-12 {
					continue
				}
				u, v := lerp(a, b, ts[k]), lerp(a, b, ts[k+1])
				loc, dir := q.locate(mid(u, v))
				if loc == 1 || (shared && loc == -1 && dir.dot(b.sub(a)) > 0) {
					twice += u.cross(v)
					if !ok {
						where, ok = mid(u, v), true
					}
				}
			}
		})
	}
	walk(p, q, true)
	walk(q, p, false)
	return twice / 2, where, ok
}
