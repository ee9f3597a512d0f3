package api_test

import (
	"fmt"
	"strings"
	"testing"

	"whistle/internal/errs"
	"whistle/internal/lifecycle"
)

// A boundary set on one place goes through the same geometry checks as an
// import: a self-intersecting ring is refused and nothing changes.
func TestBoundaryRefusesSelfIntersection(t *testing.T) {
	e := apiOpen(t, "")
	id := e.gridA.Loc.GridID
	bowtie := map[string]any{"type": "Polygon", "coordinates": [][][2]float64{{{116.0, 39.0}, {116.01, 39.01}, {116.01, 39.0}, {116.0, 39.01}, {116.0, 39.0}}}}
	b := apiRefused(t, e.apiDo(e.admin, "PUT", fmt.Sprintf("/api/v1/places/%d/boundary", id), bowtie), 422, errs.Invalid)
	if b.Field != "boundary" || !strings.Contains(b.Detail, "self") {
		t.Fatalf("refusal: %+v", b)
	}
	var loc lifecycle.Location
	apiWant(t, e.apiDo(e.agent, "GET", fmt.Sprintf("/api/v1/locate?lat=%v&lon=%v", e.gridA.Lat, e.gridA.Lon), nil), 200, &loc)
	if loc.GridID != id {
		t.Fatalf("the grid's boundary changed: locate gives %+v", loc)
	}
}
