package geo_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"whistle/internal/demo"
	"whistle/internal/geo"
	"whistle/internal/org"
)

type feat struct {
	code, level, parent, name string
	geom                      string
}

func collection(fs ...feat) []byte {
	var parts []string
	for _, f := range fs {
		name := f.name
		if name == "" {
			name = "地点" + f.code
		}
		props, _ := json.Marshal(map[string]string{"code": f.code, "level": f.level, "parent": f.parent, "name": name})
		geom := f.geom
		if geom == "" {
			geom = "null"
		}
		parts = append(parts, `{"type":"Feature","properties":`+string(props)+`,"geometry":`+geom+`}`)
	}
	return []byte(`{"type":"FeatureCollection","features":[` + strings.Join(parts, ",") + `]}`)
}

// box is a rectangle polygon in degrees around Beijing-like coordinates:
// (x0,y0)-(x1,y1) in units of 0.001° offset from (116.3, 39.9).
func box(x0, y0, x1, y1 float64) string {
	return poly([][2]float64{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}})
}

func pt(x, y float64) string {
	return fmt.Sprintf("[%s,%s]", trim(116.3+x/1000), trim(39.9+y/1000))
}

func trim(v float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.7f", v), "0"), ".")
}

func ring(r [][2]float64) string {
	var ps []string
	for _, p := range r {
		ps = append(ps, pt(p[0], p[1]))
	}
	return "[" + strings.Join(ps, ",") + "]"
}

func poly(rings ...[][2]float64) string {
	var rs []string
	for _, r := range rings {
		rs = append(rs, ring(r))
	}
	return `{"type":"Polygon","coordinates":[` + strings.Join(rs, ",") + `]}`
}

func multi(polys ...string) string {
	var ps []string
	for _, p := range polys {
		ps = append(ps, strings.TrimSuffix(strings.TrimPrefix(p, `{"type":"Polygon","coordinates":`), "}"))
	}
	return `{"type":"MultiPolygon","coordinates":[` + strings.Join(ps, ",") + `]}`
}

// stored is the place tree the checks run against: a city with one
// district D (0,0)-(10,10).
var stored = []geo.Existing{
	{Code: "C", Name: "市", Level: org.LevelCity},
	{Code: "D", Name: "区", Level: org.LevelDistrict, Parent: "C", Boundary: box(0, 0, 10, 10)},
}

func validate(t *testing.T, data []byte) []geo.Problem {
	t.Helper()
	fs, probs := geo.ParseImport(data)
	if len(probs) > 0 {
		return probs
	}
	return geo.ValidateImport(fs, stored, geo.ImportOptions{ToleranceM2: 1})
}

func codes(ps []geo.Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Feature+":"+p.Code)
	}
	slices.Sort(out)
	return out
}

func TestValidateImport(t *testing.T) {
	west, east := box(0, 0, 5, 10), box(5, 0, 10, 10)
	cases := []struct {
		name string
		fs   []feat
		want []string // feature:code, sorted
	}{
		{"two streets tiling the district", []feat{{"S1", "street", "D", "", west}, {"S2", "street", "D", "", east}}, nil},
		{"street with a hole filled by another street",
			[]feat{{"S1", "street", "D", "", poly([][2]float64{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}, [][2]float64{{4, 4}, {4, 6}, {6, 6}, {6, 4}, {4, 4}})},
				{"S2", "street", "D", "", box(4, 4, 6, 6)}}, nil},
		{"multipolygon street (two parts) and the rest",
			[]feat{{"S1", "street", "D", "", multi(box(0, 0, 5, 5), box(5, 5, 10, 10))},
				{"S2", "street", "D", "", multi(box(5, 0, 10, 5), box(0, 5, 5, 10))}}, nil},
		{"shared vertex only, clockwise ring", []feat{
			{"S1", "street", "D", "", poly([][2]float64{{0, 0}, {0, 10}, {5, 10}, {5, 0}, {0, 0}})}, {"S2", "street", "D", "", east}}, nil},
		{"ring not closed", []feat{{"S1", "street", "D", "", `{"type":"Polygon","coordinates":[[` + pt(0, 0) + `,` + pt(5, 0) + `,` + pt(5, 10) + `,` + pt(0, 10) + `]]}`}, {"S2", "street", "D", "", east}},
			[]string{"S1:ring_not_closed"}},
		{"fewer than 4 points", []feat{{"S1", "street", "D", "", `{"type":"Polygon","coordinates":[[` + pt(0, 0) + `,` + pt(5, 0) + `,` + pt(0, 0) + `]]}`}, {"S2", "street", "D", "", east}},
			[]string{"S1:too_few_points"}},
		{"bow-tie self-intersection", []feat{{"S1", "street", "D", "", poly([][2]float64{{0, 0}, {5, 10}, {5, 0}, {0, 10}, {0, 0}})}, {"S2", "street", "D", "", east}},
			[]string{"S1:self_intersection"}},
		{"spike folding back on itself", []feat{{"S1", "street", "D", "", poly([][2]float64{{0, 0}, {5, 0}, {5, 10}, {5, 12}, {5, 10}, {0, 10}, {0, 0}})}, {"S2", "street", "D", "", east}},
			[]string{"S1:self_intersection"}},
		{"zero area", []feat{{"S1", "street", "D", "", poly([][2]float64{{0, 0}, {5, 0}, {10, 0}, {0, 0}})}, {"S2", "street", "D", "", east}},
			[]string{"S1:zero_area"}},
		{"coordinate out of range", []feat{{"S1", "street", "D", "", `{"type":"Polygon","coordinates":[[[0,0],[200,0],[1,1],[0,0]]]}`}, {"S2", "street", "D", "", east}},
			[]string{"S1:coordinate_out_of_range"}},
		{"hole outside its shell", []feat{{"S1", "street", "D", "", poly([][2]float64{{0, 0}, {5, 0}, {5, 10}, {0, 10}, {0, 0}}, [][2]float64{{6, 1}, {7, 1}, {7, 2}, {6, 2}, {6, 1}})}, {"S2", "street", "D", "", east}},
			[]string{"S1:hole_outside_shell"}},
		{"hole crossing its shell", []feat{{"S1", "street", "D", "", poly([][2]float64{{0, 0}, {5, 0}, {5, 10}, {0, 10}, {0, 0}}, [][2]float64{{4, 1}, {6, 1}, {6, 2}, {4, 2}, {4, 1}})}, {"S2", "street", "D", "", east}},
			[]string{"S1:rings_cross"}},
		{"multipolygon parts overlapping", []feat{{"S1", "street", "D", "", multi(box(0, 0, 5, 6), box(0, 4, 5, 10))}, {"S2", "street", "D", "", east}},
			[]string{"S1:parts_overlap"}},
		{"point geometry", []feat{{"S1", "street", "D", "", `{"type":"Point","coordinates":[116.3,39.9]}`}}, []string{"S1:invalid_geometry"}},
		{"missing geometry, name and level", []feat{{"S1", "", "D", "", ""}}, []string{"S1:invalid_geometry", "S1:invalid_level"}},
		{"siblings overlapping", []feat{{"S1", "street", "D", "", box(0, 0, 6, 10)}, {"S2", "street", "D", "", east}},
			[]string{"S1:overlap"}},
		{"siblings overlapping within the tolerance (0.1 m²)", []feat{{"S1", "street", "D", "", box(0, 0, 5.00001, 10)}, {"S2", "street", "D", "", box(5, 0, 10, 10)}}, nil},
		{"gap between siblings", []feat{{"S1", "street", "D", "", box(0, 0, 4, 10)}, {"S2", "street", "D", "", east}},
			[]string{"D:gap"}},
		{"child sticking out of its parent", []feat{{"S1", "street", "D", "", box(-2, 0, 5, 10)}, {"S2", "street", "D", "", east}},
			[]string{"S1:outside_parent"}},
		{"unknown parent", []feat{{"S1", "street", "X", "", west}}, []string{"S1:unknown_parent"}},
		{"parent at the wrong level", []feat{{"G1", "grid", "D", "", west}}, []string{"G1:invalid_parent"}},
		{"duplicate code", []feat{{"S1", "street", "D", "", west}, {"S1", "street", "D", "", east}}, []string{"D:gap", "S1:duplicate_code"}},
		{"level change of a stored place", []feat{{"D", "street", "D", "", west}}, []string{"D:invalid_parent", "D:level_change"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := codes(validate(t, collection(c.fs...)))
			if !slices.Equal(got, c.want) {
				t.Errorf("problems = %v, want %v\n%v", got, c.want, validate(t, collection(c.fs...)))
			}
		})
	}
}

func TestValidateWhere(t *testing.T) {
	ps := validate(t, collection(feat{"S1", "street", "D", "", box(0, 0, 6, 10)}, feat{"S2", "street", "D", "", box(5, 0, 10, 10)}))
	if len(ps) != 1 || ps[0].Other != "S2" || ps[0].Where == nil {
		t.Fatalf("overlap problem = %+v", ps)
	}
	// 1 × 10 thousandths of a degree ≈ 85 m × 1113 m.
	if a := ps[0].AreaM2; a < 90000 || a > 100000 {
		t.Errorf("overlap area = %.0f m², want about 94,700", a)
	}
	w := ps[0].Where
	if w[0] < 116.305-1e-6 || w[0] > 116.306+1e-6 || w[1] < 39.9-1e-6 || w[1] > 39.91+1e-6 {
		t.Errorf("overlap where = %v, not in the overlapping strip", *w)
	}
	ps = validate(t, collection(feat{"S1", "street", "D", "", box(0, 0, 4, 10)}, feat{"S2", "street", "D", "", box(5, 0, 10, 10)}))
	if len(ps) != 1 || ps[0].Where == nil || ps[0].Where[0] < 116.304 || ps[0].Where[0] > 116.305 {
		t.Fatalf("gap problem = %+v, want a point in the gap", ps)
	}
	ps = validate(t, collection(feat{"S1", "street", "D", "", poly([][2]float64{{0, 0}, {5, 10}, {5, 0}, {0, 10}, {0, 0}})}))
	if len(ps) == 0 || ps[0].Where == nil || ps[0].Where[0] != 116.3025 || ps[0].Where[1] != 39.905 {
		t.Fatalf("self-intersection where = %+v, want (116.3025, 39.905)", ps)
	}
}

func TestParseImportStructure(t *testing.T) {
	for _, bad := range []string{`nope`, `{"type":"Feature"}`, `{"type":"FeatureCollection","features":[]}`} {
		if _, ps := geo.ParseImport([]byte(bad)); len(ps) == 0 {
			t.Errorf("ParseImport(%s) reported nothing", bad)
		}
	}
	// The code falls back to the feature id (string or number).
	fs, ps := geo.ParseImport([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","id":42,"properties":{"level":"street","name":"x","parent":"D","aliases":["y"," y ","z"]},"geometry":` + box(0, 0, 10, 10) + `}]}`))
	if len(ps) != 0 || len(fs) != 1 || fs[0].Code != "42" || !slices.Equal(fs[0].Aliases, []string{"y", "z"}) {
		t.Fatalf("ParseImport = %+v, %v", fs, ps)
	}
	if ps := geo.ValidateImport(fs, stored, geo.ImportOptions{}); len(ps) != 0 {
		t.Fatalf("ValidateImport: %v", ps)
	}
}

// TestDemoCityValidates feeds the whole demo city (8 districts, their
// streets, communities and grids, irregular shared-edge polygons) through
// the import validation: it must come out clean, and moving one grid
// vertex must be caught as an overlap and a gap.
func TestDemoCityValidates(t *testing.T) {
	ds := demo.Generate(demo.Options{Seed: 7, Requests: 1})
	code := map[int64]string{}
	for _, p := range ds.Places {
		code[p.ID] = p.Code
	}
	existing := []geo.Existing{{Code: ds.Places[0].Code, Name: ds.Places[0].Name, Level: org.LevelCity, Boundary: ds.Places[0].Boundary}}
	type gj struct {
		Type       string            `json:"type"`
		Properties map[string]string `json:"properties"`
		Geometry   json.RawMessage   `json:"geometry"`
	}
	var fs []gj
	for _, p := range ds.Places[1:] {
		fs = append(fs, gj{"Feature", map[string]string{"code": p.Code, "name": p.Name, "level": p.Level, "parent": code[p.ParentID]}, json.RawMessage(p.Boundary)})
	}
	data, _ := json.Marshal(map[string]any{"type": "FeatureCollection", "features": fs})
	feats, ps := geo.ParseImport(data)
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	if ps := geo.ValidateImport(feats, existing, geo.ImportOptions{}); len(ps) > 0 {
		t.Fatalf("demo city: %d problems, first %+v", len(ps), ps[0])
	}
	// Push the first vertex of the last grid into its neighbour.
	last := &feats[len(feats)-1]
	var g struct {
		Type        string         `json:"type"`
		Coordinates [][][2]float64 `json:"coordinates"`
	}
	if err := json.Unmarshal([]byte(last.Geometry), &g); err != nil {
		t.Fatal(err)
	}
	r := g.Coordinates[0]
	c := [2]float64{}
	for _, q := range r[:len(r)-1] {
		c[0] += q[0] / float64(len(r)-1)
		c[1] += q[1] / float64(len(r)-1)
	}
	r[0] = [2]float64{r[0][0] + (r[0][0]-c[0])*0.3, r[0][1] + (r[0][1]-c[1])*0.3}
	r[len(r)-1] = r[0]
	b, _ := json.Marshal(g)
	last.Geometry = string(b)
	feats, _ = geo.ParseImport(func() []byte {
		fs[len(fs)-1].Geometry = b
		d, _ := json.Marshal(map[string]any{"type": "FeatureCollection", "features": fs})
		return d
	}())
	ps = geo.ValidateImport(feats, existing, geo.ImportOptions{})
	if len(ps) == 0 {
		t.Fatal("a grid pushed into its neighbours passed validation")
	}
	for _, p := range ps {
		if p.Code != geo.ProbOverlap && p.Code != geo.ProbOutsideParent && p.Code != geo.ProbGap {
			t.Errorf("unexpected problem %+v", p)
		}
	}
}

func TestCheckGeometry(t *testing.T) {
	for g, want := range map[string]string{
		box(0, 0, 1, 1): "",
		`{"type":"Feature","geometry":` + box(0, 0, 1, 1) + `}`:        "",
		poly([][2]float64{{0, 0}, {5, 10}, {5, 0}, {0, 10}, {0, 0}}):   geo.ProbSelfIntersect,
		`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}`: geo.ProbNotClosed,
		`{"type":"LineString","coordinates":[[0,0],[1,1]]}`:            geo.ProbGeometry,
		`nope`: geo.ProbGeometry,
	} {
		ps := geo.CheckGeometry(g)
		got := ""
		if len(ps) > 0 {
			got = ps[0].Code
		}
		if got != want {
			t.Errorf("CheckGeometry(%s) = %+v, want %q", g, ps, want)
		}
	}
}
