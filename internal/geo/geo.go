// Package geo parses GeoJSON polygons and answers point-in-polygon
// questions for resolving a location to its place: Shape (one boundary),
// Index (a flat cell index over many polygons of one level, with a
// deterministic rule for shared borders), and the boundary import format
// with its validation (ParseImport, ValidateImport, CheckGeometry).
package geo

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// Shape is a polygon or multipolygon: outer rings with their holes.
type Shape struct {
	Polys                  [][][][2]float64 // polygon → rings → points (lon, lat)
	MinX, MinY, MaxX, MaxY float64
}

// Parse reads a GeoJSON Polygon or MultiPolygon geometry (or a Feature
// wrapping one).
func Parse(s string) (*Shape, error) {
	var g struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
		Geometry    json.RawMessage `json:"geometry"`
	}
	if err := json.Unmarshal([]byte(s), &g); err != nil {
		return nil, fmt.Errorf("geo: not GeoJSON: %w", err)
	}
	if g.Type == "Feature" {
		return Parse(string(g.Geometry))
	}
	sh := &Shape{}
	switch g.Type {
	case "Polygon":
		var p [][][2]float64
		if err := json.Unmarshal(g.Coordinates, &p); err != nil {
			return nil, fmt.Errorf("geo: polygon coordinates: %w", err)
		}
		sh.Polys = [][][][2]float64{p}
	case "MultiPolygon":
		if err := json.Unmarshal(g.Coordinates, &sh.Polys); err != nil {
			return nil, fmt.Errorf("geo: multipolygon coordinates: %w", err)
		}
	default:
		return nil, fmt.Errorf("geo: geometry type %q is not Polygon or MultiPolygon", g.Type)
	}
	first := true
	for _, p := range sh.Polys {
		if len(p) == 0 {
			return nil, errors.New("geo: polygon without rings")
		}
		for _, ring := range p {
			if len(ring) < 4 || ring[0] != ring[len(ring)-1] {
				return nil, errors.New("geo: a ring needs at least 4 points and must be closed")
			}
			for _, pt := range ring {
				if pt[0] < -180 || pt[0] > 180 || pt[1] < -90 || pt[1] > 90 {
					return nil, fmt.Errorf("geo: coordinate %v out of range", pt)
				}
				if first {
					sh.MinX, sh.MaxX, sh.MinY, sh.MaxY = pt[0], pt[0], pt[1], pt[1]
					first = false
				}
				sh.MinX, sh.MaxX = min(sh.MinX, pt[0]), max(sh.MaxX, pt[0])
				sh.MinY, sh.MaxY = min(sh.MinY, pt[1]), max(sh.MaxY, pt[1])
			}
		}
	}
	return sh, nil
}

// Contains reports whether the point (lon, lat) lies inside the shape.
// Points exactly on an edge count as inside the polygon whose edge is to the
// right-or-below (the half-open ray-casting rule), so a point on a border
// shared by two tiles belongs to exactly one of them.
func (s *Shape) Contains(lon, lat float64) bool {
	if lon < s.MinX || lon > s.MaxX || lat < s.MinY || lat > s.MaxY {
		return false
	}
	for _, p := range s.Polys {
		if InRing(p[0], lon, lat) {
			hole := false
			for _, h := range p[1:] {
				if InRing(h, lon, lat) {
					hole = true
					break
				}
			}
			if !hole {
				return true
			}
		}
	}
	return false
}

// InRing is the even-odd ray-casting test of (x, y) against one ring.
func InRing(r [][2]float64, x, y float64) bool {
	in := false
	for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
		xi, yi, xj, yj := r[i][0], r[i][1], r[j][0], r[j][1]
		if (yi > y) != (yj > y) && x < (xj-xi)*(y-yi)/(yj-yi)+xi {
			in = !in
		}
	}
	return in
}

// InteriorPoint returns a point inside the shape (lon, lat): the middle of
// the widest stretch inside it along the horizontal line halfway up its
// bounding box — unlike the centroid, it lies inside concave shapes too.
func (s *Shape) InteriorPoint() (lon, lat float64) {
	y := s.MinY + (s.MaxY-s.MinY)*0.5000001
	var xs []float64
	for _, p := range s.Polys {
		for _, r := range p {
			for i := 0; i+1 < len(r); i++ {
				a, b := r[i], r[i+1]
				if (a[1] > y) != (b[1] > y) {
					xs = append(xs, a[0]+(y-a[1])*(b[0]-a[0])/(b[1]-a[1]))
				}
			}
		}
	}
	slices.Sort(xs)
	best, bx := -1.0, (s.MinX+s.MaxX)/2
	for i := 0; i+1 < len(xs); i += 2 {
		if w := xs[i+1] - xs[i]; w > best {
			best, bx = w, (xs[i]+xs[i+1])/2
		}
	}
	return bx, y
}
