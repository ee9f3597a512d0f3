package api_test

import (
	"testing"

	"whistle/internal/demo"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

// A citizen's submission over the public API is taken as the portal page
// takes it: an address alone places it (street, community), the duty list's
// suggestion and the repeat counts are recorded, and a second request from
// the same phone is flagged as a repeat.
func TestPublicSubmissionIsPlacedLikeThePortal(t *testing.T) {
	e := apiOpen(t, "")
	var addr string
	var want lifecycle.Location
	for _, r := range demo.Generate(demo.Options{Seed: 7, Requests: 400}).Requests {
		a := r.Case.Location.Address
		if a == "" {
			continue
		}
		res, err := e.app.Svc.Geocode(e.ctx, a, 1)
		if err != nil || res.Match == nil {
			continue
		}
		in := struct {
			Address string
			Lat     *float64
			Lon     *float64
			PlaceID int64
		}{a, res.Match.Lat, res.Match.Lon, res.Match.PlaceID}
		if in.Lat != nil {
			loc, err := e.app.Svc.Locate(*in.Lat, *in.Lon)
			if err != nil {
				continue
			}
			want = loc
		} else if loc, ok := e.app.Svc.LocationOf(in.PlaceID); ok {
			want = loc
		} else {
			continue
		}
		if want.StreetID == 0 {
			continue
		}
		addr = a
		break
	}
	if addr == "" {
		t.Fatal("no demo address the gazetteer places with confidence")
	}
	phone := e.apiPhone()
	submit := func() *lifecycle.Case {
		t.Helper()
		var out struct {
			Number string `json:"number"`
		}
		apiWant(t, e.apiDo("", "POST", "/api/v1/public/cases", map[string]any{"type": "complaint", "category": "urban.stall",
			"description": "门口有流动摊贩占道经营，晚上很吵。", "address": addr, "citizen_phone": phone}), 201, &out)
		c, err := e.app.Svc.Cases.GetByNumber(e.ctx, org.System(), out.Number)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := submit()
	if c.Location.StreetID != want.StreetID || c.Location.DistrictID != want.DistrictID {
		t.Fatalf("address %q placed at %+v, want street %d", addr, c.Location, want.StreetID)
	}
	if c.Suggestion == nil {
		t.Fatalf("no duty-list suggestion recorded for a placed request")
	}
	c2 := submit()
	if c2.Repeat == nil || c2.Repeat.Caller < 1 {
		t.Fatalf("second request from the same phone not flagged as a repeat: %+v", c2.Repeat)
	}
	// Without any place the request cannot be dispatched: the citizen is
	// told which field is missing, and nothing is stored.
	r := e.apiDo("", "POST", "/api/v1/public/cases", map[string]any{"type": "complaint", "category": "urban.stall",
		"description": "门口有流动摊贩占道经营。", "citizen_phone": phone})
	apiRefused(t, r, 422, "field_required")
}
