package services_test

import (
	"testing"
	"time"

	"whistle/internal/calendar"
	"whistle/internal/casework"
	"whistle/internal/errs"
	"whistle/internal/grid"
	"whistle/internal/org"
	"whistle/internal/summons"
)

// TestHostileInputs: texts of only invisible characters are missing; a
// street whistles only for places in its area; a grid worker files
// findings only in the street of the grid patrolled.
func TestHostileInputs(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := t.Context()
		w := openWorld(t, dsn, time.Date(2026, 3, 11, 9, 0, 0, 0, calendar.ChinaStandardTime()))
		const invisible = "\u200b\ufeff \u2060\u200d\u200c"
		_, _, err := w.svc.Cases.Create(ctx, w.agent, casework.NewCase{Channel: "phone", Type: "complaint", Category: w.category, Urgency: "general",
			Description: invisible, CitizenPhone: "13900001111", PlaceID: w.street.PlaceID}, "")
		if errs.CodeOf(err) != errs.FieldRequired {
			t.Errorf("a description of zero-width characters: %v", err)
		}
		if _, err := w.svc.Whistles.RaiseWhistle(ctx, w.streetH, summons.Raise{Source: summons.SourceOwn, Address: "幸福路", Need: invisible, UnitIDs: []int64{w.dept.ID}}); errs.CodeOf(err) != errs.FieldRequired {
			t.Errorf("a whistle's need of zero-width characters: %v", err)
		}

		var other org.Unit
		for _, u := range w.svc.UnitsList() {
			if u.Kind == org.KindStreet && u.ID != w.street.ID && u.PlaceID != 0 {
				other = u
				break
			}
		}
		raise := func(place int64) error {
			_, err := w.svc.Whistles.RaiseWhistle(ctx, w.streetH, summons.Raise{Source: summons.SourceOwn, PlaceID: place, Need: "联合执法", UnitIDs: []int64{w.dept.ID}})
			return err
		}
		if err := raise(other.PlaceID); errs.CodeOf(err) != errs.OutsideArea {
			t.Errorf("a whistle for another street: %v", err)
		}
		ch, _ := w.svc.Chain(other.PlaceID)
		if err := raise(ch[0]); errs.CodeOf(err) != errs.OutsideArea {
			t.Errorf("a whistle for a whole district: %v", err)
		}
		if err := raise(w.street.PlaceID); err != nil {
			t.Errorf("a whistle for the street itself: %v", err)
		}

		// A grid worker of the street patrols one of its grids.
		var gw org.Actor
		users, _ := w.st.Users(ctx, w.street.ID)
		for _, us := range users {
			if us.Has(org.RoleGridWorker) && len(us.GridIDs) > 0 {
				gw, _ = w.svc.Actor(us)
				break
			}
		}
		if gw.User.ID == 0 {
			t.Fatal("no grid worker")
		}
		p, err := w.svc.Patrols.StartPatrol(ctx, gw, gw.User.GridIDs[0], "")
		if err != nil {
			t.Fatal(err)
		}
		there, ok := w.svc.ApproxLocation(other.PlaceID, "")
		if !ok || there.Lat == nil {
			t.Fatal("no point in the other street")
		}
		if ch, placed, err := w.svc.PlacePoint(*there.Lat, *there.Lon); err != nil || !placed || ch[1] != other.PlaceID {
			t.Fatalf("the other street's point resolves to %v %v %v", ch, placed, err)
		}
		here, _ := w.svc.ApproxLocation(gw.User.GridIDs[0], "")
		f := grid.FindingInput{Item: "illegal_parking", Outcome: grid.ToCentre, Category: w.category, Description: "占道停车", Lat: there.Lat, Lon: there.Lon}
		if _, _, err := w.svc.Patrols.ReportFinding(ctx, gw, p.ID, f); errs.CodeOf(err) != errs.OutsideArea {
			t.Errorf("a finding in another street: %v", err)
		}
		f.Lat, f.Lon = here.Lat, here.Lon
		if _, c, err := w.svc.Patrols.ReportFinding(ctx, gw, p.ID, f); err != nil || c.Location.StreetID != w.street.PlaceID {
			t.Errorf("a finding in the grid: %v", err)
		}
		f.Lat, f.Lon, f.Description = nil, nil, invisible
		if _, _, err := w.svc.Patrols.ReportFinding(ctx, gw, p.ID, f); errs.CodeOf(err) != errs.FieldRequired {
			t.Errorf("a finding described by zero-width characters: %v", err)
		}
	})
}
