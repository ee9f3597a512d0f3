package geo

import (
	"math"
	"slices"
)

// Index answers "which polygon contains this point" for many polygons of
// one level (all districts, all streets, all grids …). It is a flat uniform
// grid of cells over the polygons' bounding box; each cell keeps the
// polygons that touch it, in ascending id order, flagged as either covering
// the whole cell (no test needed) or crossing it (an exact point-in-polygon
// test on precomputed edges). It is immutable after NewIndex and safe for
// concurrent use.
//
// Border rule: a point on an edge or vertex counts as inside, and when
// several polygons contain a point (a shared border, or overlapping data)
// the one with the lowest id wins. The answer is therefore deterministic and
// independent of insertion order.
type Index struct {
	minX, minY float64
	invW, invH float64 // cells per degree
	nx, ny     int
	start      []int32  // cell c's candidates are cand[start[c]:start[c+1]]
	cand       []uint32 // polygon index << 1 | 1 when the polygon covers the whole cell
	polys      []ixPoly // sorted by id
}

// Item is one polygon to index.
type Item struct {
	ID    int64
	Shape *Shape
}

type ixPoly struct {
	id    int64
	edges []edge
}

// edge is one polygon edge with the data the point test needs.
type edge struct {
	x1, y1, x2, y2 float64
	xlo, xhi       float64
	ylo, yhi       float64
	slope          float64 // dx/dy (0 for horizontal edges)
}

// onEdgeEps is how close (in degrees, about 0.1 mm) a point must be to an
// edge to count as lying on it.
const onEdgeEps = 1e-9

func edgesOf(s *Shape) []edge {
	var out []edge
	for _, p := range s.Polys {
		for _, r := range p {
			for i := 0; i+1 < len(r); i++ {
				a, b := r[i], r[i+1]
				if a == b {
					continue
				}
				e := edge{x1: a[0], y1: a[1], x2: b[0], y2: b[1],
					xlo: min(a[0], b[0]), xhi: max(a[0], b[0]), ylo: min(a[1], b[1]), yhi: max(a[1], b[1])}
				if a[1] != b[1] {
					e.slope = (b[0] - a[0]) / (b[1] - a[1])
				}
				out = append(out, e)
			}
		}
	}
	return out
}

// contains is the even-odd test over every ring (valid shapes have holes
// inside their outer ring and parts apart, so parity is membership), with
// points on an edge counted as inside.
func (p *ixPoly) contains(x, y float64) bool {
	in := false
	for i := range p.edges {
		e := &p.edges[i]
		if y < e.ylo-onEdgeEps || y > e.yhi+onEdgeEps {
			continue
		}
		if x >= e.xlo-onEdgeEps && x <= e.xhi+onEdgeEps {
			dx, dy := e.x2-e.x1, e.y2-e.y1
			if math.Abs(dx*(y-e.y1)-dy*(x-e.x1)) <= onEdgeEps*(math.Abs(dx)+math.Abs(dy)) {
				return true
			}
		}
		if (e.y1 > y) != (e.y2 > y) && x < e.x1+(y-e.y1)*e.slope {
			in = !in
		}
	}
	return in
}

// NewIndex builds the index. Items without a shape are ignored.
func NewIndex(items []Item) *Index {
	ix := &Index{}
	totalEdges := 0
	first := true
	for _, it := range items {
		if it.Shape == nil || len(it.Shape.Polys) == 0 {
			continue
		}
		p := ixPoly{id: it.ID, edges: edgesOf(it.Shape)}
		totalEdges += len(p.edges)
		ix.polys = append(ix.polys, p)
		s := it.Shape
		if first {
			ix.minX, ix.minY = s.MinX, s.MinY
			first = false
		}
		ix.minX, ix.minY = min(ix.minX, s.MinX), min(ix.minY, s.MinY)
	}
	if len(ix.polys) == 0 {
		return ix
	}
	slices.SortStableFunc(ix.polys, func(a, b ixPoly) int {
		switch {
		case a.id < b.id:
			return -1
		case a.id > b.id:
			return 1
		}
		return 0
	})
	maxX, maxY := ix.minX, ix.minY
	for _, p := range ix.polys {
		for _, e := range p.edges {
			maxX, maxY = max(maxX, e.xhi), max(maxY, e.yhi)
		}
	}
	// About one cell per four edges (at least two per polygon): a cell is
	// then crossed by a handful of edges and most cells lie inside one polygon.
	cells := max(2*len(ix.polys), totalEdges/4, 64)
	cells = min(cells, 1<<22)
	w, h := max(maxX-ix.minX, 1e-9), max(maxY-ix.minY, 1e-9)
	side := math.Sqrt(w * h / float64(cells))
	ix.nx = max(1, min(int(math.Ceil(w/side)), 1<<16))
	ix.ny = max(1, min(int(math.Ceil(h/side)), 1<<16))
	// Widen by a hair so points on the far border fall in the last cell.
	ix.invW = float64(ix.nx) / (w * (1 + 1e-12))
	ix.invH = float64(ix.ny) / (h * (1 + 1e-12))
	cw, ch := 1/ix.invW, 1/ix.invH

	// Per cell, collect (poly, full) pairs; polygons are visited in id order
	// so every cell's list comes out sorted.
	lists := make([][]uint32, ix.nx*ix.ny)
	var crossed []bool
	for pi := range ix.polys {
		p := &ix.polys[pi]
		bx0, by0, bx1, by1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, e := range p.edges {
			bx0, by0, bx1, by1 = min(bx0, e.xlo), min(by0, e.ylo), max(bx1, e.xhi), max(by1, e.yhi)
		}
		i0, j0 := ix.cell(bx0-onEdgeEps, by0-onEdgeEps)
		i1, j1 := ix.cell(bx1+onEdgeEps, by1+onEdgeEps)
		bw := i1 - i0 + 1
		crossed = slices.Grow(crossed[:0], bw*(j1-j0+1))[:bw*(j1-j0+1)]
		clear(crossed)
		// Mark the cells each edge passes through (with a margin, so a point
		// within onEdgeEps of an edge always gets the exact test).
		for _, e := range p.edges {
			ei0, ej0 := ix.cell(e.xlo-onEdgeEps, e.ylo-onEdgeEps)
			ei1, ej1 := ix.cell(e.xhi+onEdgeEps, e.yhi+onEdgeEps)
			for j := ej0; j <= ej1; j++ {
				for i := ei0; i <= ei1; i++ {
					x0 := ix.minX + float64(i)*cw - 2*onEdgeEps
					y0 := ix.minY + float64(j)*ch - 2*onEdgeEps
					if segmentHitsBox(e.x1, e.y1, e.x2, e.y2, x0, y0, x0+cw+4*onEdgeEps, y0+ch+4*onEdgeEps) {
						crossed[(j-j0)*bw+(i-i0)] = true
					}
				}
			}
		}
		for j := j0; j <= j1; j++ {
			for i := i0; i <= i1; i++ {
				c := j*ix.nx + i
				if crossed[(j-j0)*bw+(i-i0)] {
					lists[c] = append(lists[c], uint32(pi)<<1)
				} else if p.contains(ix.minX+(float64(i)+0.5)*cw, ix.minY+(float64(j)+0.5)*ch) {
					lists[c] = append(lists[c], uint32(pi)<<1|1)
				}
			}
		}
	}
	ix.start = make([]int32, len(lists)+1)
	n := 0
	for c, l := range lists {
		ix.start[c] = int32(n)
		// A covering polygon answers for every point of the cell: later
		// (higher id) candidates can never win, so drop them.
		for k, v := range l {
			if v&1 == 1 {
				lists[c] = l[:k+1]
				break
			}
		}
		n += len(lists[c])
	}
	ix.start[len(lists)] = int32(n)
	ix.cand = make([]uint32, 0, n)
	for _, l := range lists {
		ix.cand = append(ix.cand, l...)
	}
	return ix
}

// cell returns the (clamped) cell coordinates of a point.
func (ix *Index) cell(x, y float64) (int, int) {
	i := int((x - ix.minX) * ix.invW)
	j := int((y - ix.minY) * ix.invH)
	return max(0, min(i, ix.nx-1)), max(0, min(j, ix.ny-1))
}

// Lookup returns the id of the polygon containing (lon, lat) by the border
// rule above; ok is false when no polygon contains it.
func (ix *Index) Lookup(lon, lat float64) (id int64, ok bool) {
	if ix.nx == 0 {
		return 0, false
	}
	fi := (lon - ix.minX) * ix.invW
	fj := (lat - ix.minY) * ix.invH
	// Points just outside the box (within the edge tolerance) clamp to the
	// border cells; anything further is outside every polygon.
	const slack = 1e-6
	if !(fi >= -slack && fj >= -slack && fi < float64(ix.nx)+slack && fj < float64(ix.ny)+slack) {
		return 0, false
	}
	i, j := max(0, min(int(fi), ix.nx-1)), max(0, min(int(fj), ix.ny-1))
	c := j*ix.nx + i
	for _, v := range ix.cand[ix.start[c]:ix.start[c+1]] {
		p := &ix.polys[v>>1]
		if v&1 == 1 || p.contains(lon, lat) {
			return p.id, true
		}
	}
	return 0, false
}

// Len returns the number of indexed polygons.
func (ix *Index) Len() int { return len(ix.polys) }

// segmentHitsBox reports whether the segment touches the closed box
// (Liang–Barsky clipping).
func segmentHitsBox(x1, y1, x2, y2, bx0, by0, bx1, by1 float64) bool {
	t0, t1 := 0.0, 1.0
	dx, dy := x2-x1, y2-y1
	clip := func(p, q float64) bool {
		if p == 0 {
			return q >= 0
		}
		r := q / p
		if p < 0 {
			if r > t1 {
				return false
			}
			t0 = max(t0, r)
		} else {
			if r < t0 {
				return false
			}
			t1 = min(t1, r)
		}
		return true
	}
	return clip(-dx, x1-bx0) && clip(dx, bx1-x1) && clip(-dy, y1-by0) && clip(dy, by1-y1) && t0 <= t1
}
