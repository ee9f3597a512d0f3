package geo_test

import (
	"math"
	"testing"

	"whistle/internal/geo"
	"whistle/internal/org"
)

// maxFuzzGeo bounds the inputs: the validation compares every pair of
// segments, so a huge input is slow, not wrong (the API caps uploads).
const maxFuzzGeo = 16 << 10

var fuzzGeoSeeds = []string{
	box(0, 0, 10, 10),
	`{"type":"Feature","geometry":` + box(1, 1, 4, 4) + `}`,
	poly([][2]float64{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}, [][2]float64{{2, 2}, {4, 2}, {4, 4}, {2, 4}, {2, 2}}),
	multi(box(0, 0, 2, 2), box(5, 5, 8, 8)),
	poly([][2]float64{{0, 0}, {10, 10}, {10, 0}, {0, 10}, {0, 0}}), // bow tie
	`{"type":"Polygon","coordinates":[[[116.3,39.9],[116.31,39.9],[116.3,39.9]]]}`,
	`{"type":"Polygon","coordinates":[]}`,
	`{"type":"Point","coordinates":[116.3,39.9]}`,
	`{"type":"Polygon","coordinates":[[[1e308,1e308],[-1e308,1e308],[0,0],[1e308,1e308]]]}`,
	`{"type":"Feature","geometry":{"type":"Feature","geometry":null}}`,
	`null`, `[]`, `{}`, ``,
}

// FuzzGeoParse: a boundary is parsed and checked without panicking; a shape
// that parses has finite bounds around its points and answers Contains.
func FuzzGeoParse(f *testing.F) {
	for _, s := range fuzzGeoSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > maxFuzzGeo {
			return
		}
		for _, p := range geo.CheckGeometry(s) {
			if p.Code == "" || p.Message == "" {
				t.Fatalf("problem without code or message: %+v", p)
			}
		}
		sh, err := geo.Parse(s)
		if err != nil {
			if sh != nil {
				t.Fatalf("error %v with a shape", err)
			}
			return
		}
		if sh.MinX > sh.MaxX || sh.MinY > sh.MaxY {
			t.Fatalf("bounds inverted: %+v", sh)
		}
		for _, p := range sh.Polys {
			for _, r := range p {
				for _, pt := range r {
					if pt[0] < sh.MinX || pt[0] > sh.MaxX || pt[1] < sh.MinY || pt[1] > sh.MaxY {
						t.Fatalf("point %v outside the bounds %v %v %v %v", pt, sh.MinX, sh.MinY, sh.MaxX, sh.MaxY)
					}
				}
			}
		}
		sh.Contains((sh.MinX+sh.MaxX)/2, (sh.MinY+sh.MaxY)/2)
		sh.Contains(math.NaN(), math.Inf(1))
	})
}

// FuzzGeoImport: a boundary import file is read and validated against a
// stored tree without panicking; every problem names its feature and has a
// code, and every feature read comes back.
func FuzzGeoImport(f *testing.F) {
	f.Add(collection(feat{code: "S1", level: org.LevelStreet, parent: "D", geom: box(0, 0, 5, 10)}, feat{code: "S2", level: org.LevelStreet, parent: "D", geom: box(5, 0, 10, 10)}))
	f.Add(collection(feat{code: "S1", level: org.LevelStreet, parent: "D", geom: box(0, 0, 6, 10)}, feat{code: "S2", level: org.LevelStreet, parent: "D", geom: box(5, 0, 10, 10)}))
	f.Add(collection(feat{code: "S1", level: org.LevelStreet, parent: "X", geom: box(0, 0, 5, 10)}, feat{code: "S1", level: "grid", parent: "S1"}))
	f.Add(collection(feat{code: "G", level: org.LevelGrid, parent: "D", geom: multi(box(0, 0, 1, 1), box(0.5, 0.5, 2, 2))}))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","id":7,"properties":{"name":"n","level":"street","aliases":["a"," a ",""]},"geometry":` + box(0, 0, 1, 1) + `}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[null,{}]}`))
	f.Add([]byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzGeo {
			return
		}
		fs, probs := geo.ParseImport(data)
		for _, p := range probs {
			if p.Feature == "" || p.Code == "" {
				t.Fatalf("parse problem without feature or code: %+v", p)
			}
		}
		for _, p := range geo.ValidateImport(fs, stored, geo.ImportOptions{}) {
			if p.Feature == "" || p.Code == "" {
				t.Fatalf("validation problem without feature or code: %+v", p)
			}
		}
	})
}
