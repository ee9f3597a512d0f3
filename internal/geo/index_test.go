package geo

import (
	"math"
	"strconv"
	"testing"
)

func mustParse(t *testing.T, s string) *Shape {
	t.Helper()
	sh, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%s): %v", s, err)
	}
	return sh
}

// Four unit squares around (1,1) — ids chosen so that the lowest is not
// the first inserted — plus a square with a hole, a two-part MultiPolygon
// and a diamond touching the squares at one vertex only.
func TestIndexBorders(t *testing.T) {
	sq := func(x, y float64) string {
		return `{"type":"Polygon","coordinates":[[[` + f(x) + `,` + f(y) + `],[` + f(x+1) + `,` + f(y) + `],[` + f(x+1) + `,` + f(y+1) + `],[` + f(x) + `,` + f(y+1) + `],[` + f(x) + `,` + f(y) + `]]]}`
	}
	items := []Item{
		{ID: 40, Shape: mustParse(t, sq(0, 0))}, // south-west
		{ID: 30, Shape: mustParse(t, sq(1, 0))}, // south-east
		{ID: 20, Shape: mustParse(t, sq(0, 1))}, // north-west
		{ID: 10, Shape: mustParse(t, sq(1, 1))}, // north-east
		// 4×4 square at (10,10) with a 2×2 hole; the hole is filled by id 60.
		{ID: 50, Shape: mustParse(t, `{"type":"Polygon","coordinates":[[[10,10],[14,10],[14,14],[10,14],[10,10]],[[11,11],[11,13],[13,13],[13,11],[11,11]]]}`)},
		{ID: 60, Shape: mustParse(t, `{"type":"Polygon","coordinates":[[[11,11],[13,11],[13,13],[11,13],[11,11]]]}`)},
		// two parts, far apart
		{ID: 70, Shape: mustParse(t, `{"type":"MultiPolygon","coordinates":[[[[20,0],[21,0],[21,1],[20,1],[20,0]]],[[[25,5],[26,5],[26,6],[25,6],[25,5]]]]}`)},
		// diamond whose west vertex touches (2,1), the east corner shared by 30 and 10
		{ID: 5, Shape: mustParse(t, `{"type":"Polygon","coordinates":[[[2,1],[3,0],[4,1],[3,2],[2,1]]]}`)},
		{ID: 80, Shape: nil}, // no boundary: ignored
	}
	ix := NewIndex(items)
	cases := []struct {
		name     string
		x, y     float64
		want     int64
		wantMiss bool
	}{
		{"inside south-west", 0.5, 0.5, 40, false},
		{"inside north-east", 1.5, 1.5, 10, false},
		{"shared edge west/east (south row): lowest id", 1, 0.5, 30, false},
		{"shared edge south/north (west column): lowest id", 0.5, 1, 20, false},
		{"shared vertex of four squares: lowest id", 1, 1, 10, false},
		{"outer corner of one square only", 0, 0, 40, false},
		{"on outer edge of one square only", 0, 0.5, 40, false},
		{"vertex shared by squares 30, 10 and the diamond", 2, 1, 5, false},
		{"inside the diamond", 3, 1, 5, false},
		{"in the holed square's ring", 10.5, 12, 50, false},
		{"in the hole: the filling polygon", 12, 12, 60, false},
		{"on the hole's edge: both contain it, lowest id", 11, 12, 50, false},
		{"first part of the multipolygon", 20.5, 0.5, 70, false},
		{"second part of the multipolygon", 25.5, 5.5, 70, false},
		{"between the parts", 23, 3, 0, true},
		{"outside everything", -5, -5, 0, true},
		{"just outside an edge", -1e-6, 0.5, 0, true},
		{"NaN", nan(), 0.5, 0, true},
	}
	for _, c := range cases {
		got, ok := ix.Lookup(c.x, c.y)
		if c.wantMiss {
			if ok {
				t.Errorf("%s: Lookup(%v,%v) = %d, want no polygon", c.name, c.x, c.y, got)
			}
			continue
		}
		if !ok || got != c.want {
			t.Errorf("%s: Lookup(%v,%v) = %d,%v; want %d", c.name, c.x, c.y, got, ok, c.want)
		}
	}
	if ix.Len() != 8 {
		t.Errorf("Len = %d, want 8", ix.Len())
	}
	// The answer does not depend on the order polygons are given in.
	rev := make([]Item, len(items))
	for i, it := range items {
		rev[len(items)-1-i] = it
	}
	ix2 := NewIndex(rev)
	for _, c := range cases {
		a, aok := ix.Lookup(c.x, c.y)
		b, bok := ix2.Lookup(c.x, c.y)
		if a != b || aok != bok {
			t.Errorf("%s: order-dependent answer %d vs %d", c.name, a, b)
		}
	}
	if _, ok := NewIndex(nil).Lookup(0, 0); ok {
		t.Error("empty index found a polygon")
	}
}

func f(v float64) string { return fmtFloat(v) }

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func nan() float64 { return math.NaN() }

func TestInteriorPoint(t *testing.T) {
	for _, s := range []string{
		`{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[3,1],[3,3],[1,3],[1,1]]]}`, // holed: centre is in the hole
		`{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,1],[1,1],[1,9],[10,9],[10,10],[0,10],[0,0]]]}`,   // a C: centroid outside
		`{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,1],[0,0]]],[[[5,0],[6,0],[6,1],[5,1],[5,0]]]]}`,
	} {
		sh := mustParse(t, s)
		x, y := sh.InteriorPoint()
		if !sh.Contains(x, y) {
			t.Errorf("InteriorPoint of %s = (%v,%v), not inside", s, x, y)
		}
	}
}
