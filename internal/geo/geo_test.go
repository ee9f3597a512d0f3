package geo

import "testing"

func TestContains(t *testing.T) {
	left, err := Parse(`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}`)
	if err != nil {
		t.Fatal(err)
	}
	right, _ := Parse(`{"type":"Polygon","coordinates":[[[1,0],[2,0],[2,1],[1,1],[1,0]]]}`)
	holed, err := Parse(`{"type":"MultiPolygon","coordinates":[[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[2,1],[2,2],[1,2],[1,1]]]]}`)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		s      *Shape
		x, y   float64
		inside bool
	}{
		{left, 0.5, 0.5, true}, {left, 1.5, 0.5, false}, {right, 1.5, 0.5, true},
		{left, -0.1, 0.5, false}, {holed, 0.5, 0.5, true}, {holed, 1.5, 1.5, false}, {holed, 3, 3, true},
	}
	for _, c := range cases {
		if got := c.s.Contains(c.x, c.y); got != c.inside {
			t.Errorf("Contains(%v,%v) = %v, want %v", c.x, c.y, got, c.inside)
		}
	}
	// A point on the shared border x=1 belongs to exactly one of the two tiles.
	for _, y := range []float64{0.25, 0.5, 0.75} {
		if left.Contains(1, y) == right.Contains(1, y) {
			t.Errorf("border point (1,%v) in both or neither", y)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, bad := range []string{
		`nope`, `{"type":"Point","coordinates":[1,2]}`,
		`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1]]]}`,
		`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}`,
		`{"type":"Polygon","coordinates":[[[0,0],[200,0],[1,1],[0,0]]]}`,
		`{"type":"Polygon","coordinates":[]}`,
	} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%s) accepted", bad)
		}
	}
}
