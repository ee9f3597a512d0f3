package services_test

import (
	"bytes"
	"image"
	"image/png"
	"testing"
	"time"

	"whistle/internal/calendar"
	"whistle/internal/casework"
	"whistle/internal/errs"
	"whistle/internal/grid"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/patrols"
	"whistle/internal/summons"
)

// TestPatrol: a grid worker patrols a grid and files three findings; one is
// solved on the spot, one goes to the street office, one to the centre and
// is dispatched like any order. Coverage counts them.
func TestPatrol(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := t.Context()
		w := openWorld(t, dsn, time.Date(2026, 3, 11, 9, 0, 0, 0, calendar.ChinaStandardTime()))
		var gw, other, leader org.Actor
		for _, u := range w.svc.UnitsList() {
			if u.Kind != org.KindStreet {
				continue
			}
			users, err := w.st.Users(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, us := range users {
				a, _ := w.svc.Actor(us)
				switch {
				case us.Has(org.RoleGridWorker) && len(us.GridIDs) > 0 && gw.User.ID == 0:
					gw = a
				case us.Has(org.RoleGridWorker) && len(us.GridIDs) > 0 && other.User.ID == 0:
					other = a
				}
			}
			if gw.User.ID != 0 {
				for _, us := range users {
					if us.Has(org.RoleLeader) {
						leader, _ = w.svc.Actor(us)
					}
				}
				break
			}
		}
		if gw.User.ID == 0 || other.User.ID == 0 || leader.User.ID == 0 {
			t.Fatal("demo city lacks grid workers or a street leader")
		}
		g := gw.User.GridIDs[0]
		if _, err := w.svc.Patrols.StartPatrol(ctx, other, g, ""); errs.CodeOf(err) != errs.Forbidden && !contains(other.User.GridIDs, g) {
			t.Errorf("a grid worker of other grids patrolling: %v", err)
		}
		// Assign a lane chief: the street's leader may, its handler may not.
		if _, err := w.svc.Patrols.AssignGrid(ctx, w.streetH, g, leader.User.ID, grid.DutyLaneChief); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("a handler of another unit assigning: %v", err)
		}
		if _, err := w.svc.Patrols.AssignGrid(ctx, leader, g, leader.User.ID, grid.DutyLaneChief); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Patrols.AssignGrid(ctx, leader, g, leader.User.ID, grid.DutyLaneChief); errs.CodeOf(err) != errs.Exists {
			t.Errorf("assigning twice: %v", err)
		}
		as, err := w.svc.Patrols.GridAssignments(ctx, leader, g)
		if err != nil || len(as) != 1 || as[0].Duty != grid.DutyLaneChief {
			t.Fatalf("assignments %+v %v", as, err)
		}

		p, err := w.svc.Patrols.StartPatrol(ctx, gw, g, "例行巡查")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Patrols.StartPatrol(ctx, gw, g, ""); errs.CodeOf(err) != errs.InvalidTransition {
			t.Errorf("a second patrol at once: %v", err)
		}
		if _, err := w.svc.Patrols.StartPatrol(ctx, leader, g, "街巷长巡查"); err != nil {
			t.Errorf("the assigned lane chief patrolling: %v", err)
		}
		w.at(3, 11, 9, 20)
		t0 := time.Date(2026, 3, 11, 9, 1, 0, 0, w.loc)
		pts := []grid.Point{{At: t0, Lat: 39.9, Lon: 116.4}, {At: t0.Add(time.Minute), Lat: 39.9009, Lon: 116.4}, {At: t0.Add(2 * time.Minute), Lat: 39.9018, Lon: 116.4}}
		if _, err := w.svc.Patrols.AddPositions(ctx, gw, p.ID, []grid.Point{{At: t0.Add(-time.Hour), Lat: 39.9, Lon: 116.4}}); errs.CodeOf(err) != errs.Invalid {
			t.Errorf("a point before the start: %v", err)
		}
		if _, err := w.svc.Patrols.AddPositions(ctx, leader, p.ID, pts); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("someone else's patrol: %v", err)
		}
		p, err = w.svc.Patrols.AddPositions(ctx, gw, p.ID, pts[:2])
		if err != nil {
			t.Fatal(err)
		}
		p, err = w.svc.Patrols.AddPositions(ctx, gw, p.ID, pts[2:])
		if err != nil || p.Points != 3 || p.Meters < 195 || p.Meters > 205 {
			t.Fatalf("track: %d points, %.1f m, %v (want 3 points, ~200 m)", p.Points, p.Meters, err)
		}

		var buf bytes.Buffer
		png.Encode(&buf, image.NewGray(image.Rect(0, 0, 4, 4)))
		photo, err := w.svc.Cases.Upload(ctx, gw, "现场.png", buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		base := grid.FindingInput{Item: "illegal_parking", Category: w.category, Description: "共享单车堆放占用盲道"}
		solved := base
		solved.Outcome, solved.Evidence = grid.SolvedOnSite, "已现场摆放整齐"
		if _, _, err := w.svc.Patrols.ReportFinding(ctx, gw, p.ID, solved); errs.CodeOf(err) != errs.FieldRequired {
			t.Errorf("solved on the spot without a photo: %v", err)
		}
		solved.Attachments = []int64{photo.ID}
		f1, c1, err := w.svc.Patrols.ReportFinding(ctx, gw, p.ID, solved)
		if err != nil {
			t.Fatal(err)
		}
		if c1.State != lifecycle.Closed || c1.Channel != "grid" || c1.Location.GridID != g || f1.CaseID != c1.ID {
			t.Errorf("solved finding's case: state %s channel %s grid %d", c1.State, c1.Channel, c1.Location.GridID)
		}
		toStreet := base
		toStreet.Item, toStreet.Outcome = "piled_materials", grid.ToStreet
		_, c2, err := w.svc.Patrols.ReportFinding(ctx, gw, p.ID, toStreet)
		if err != nil {
			t.Fatal(err)
		}
		if c2.State != lifecycle.Dispatched || c2.LeadUnitID != gw.Unit.ID {
			t.Errorf("street finding: state %s lead %d, want dispatched to %d", c2.State, c2.LeadUnitID, gw.Unit.ID)
		}
		toCentre := base
		toCentre.Item, toCentre.Outcome = "damaged_road", grid.ToCentre
		_, c3, err := w.svc.Patrols.ReportFinding(ctx, gw, p.ID, toCentre)
		if err != nil {
			t.Fatal(err)
		}
		if c3.State != lifecycle.Received {
			t.Fatalf("centre finding: state %s", c3.State)
		}
		d := w.act(w.dispatcher, c3.ID, casework.ActInput{Action: lifecycle.ActDispatch, UnitID: w.dept.ID})
		if d.State != lifecycle.Dispatched || d.LeadUnitID != w.dept.ID || d.Channel != "grid" {
			t.Errorf("dispatched finding: %s %d", d.State, d.LeadUnitID)
		}
		// The grid worker sees the cases it reported.
		if _, err := w.svc.Cases.Get(ctx, gw, c3.ID); err != nil {
			t.Errorf("grid worker reading its finding's case: %v", err)
		}

		if _, err := w.svc.Patrols.EndPatrol(ctx, gw, p.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.svc.Patrols.ReportFinding(ctx, gw, p.ID, toCentre); errs.CodeOf(err) != errs.InvalidTransition {
			t.Errorf("a finding after the end: %v", err)
		}
		got, track, fs, err := w.svc.Patrols.Patrol(ctx, leader, p.ID)
		if err != nil || got.State != grid.Ended || got.Findings != 3 || len(track) != 3 || len(fs) != 3 {
			t.Fatalf("patrol %+v, %d points, %d findings, %v", got, len(track), len(fs), err)
		}

		// The street blows the whistle from the solved finding.
		wh, err := w.svc.Whistles.RaiseWhistle(ctx, leader, summons.Raise{Source: summons.SourceFinding, FindingID: f1.ID, Address: "网格内", Need: "单车堆放反复出现，需运营企业到场", UnitIDs: []int64{w.dept.ID}})
		if err != nil || len(wh.CaseIDs) != 1 || wh.CaseIDs[0] != c1.ID || wh.FindingID != f1.ID {
			t.Fatalf("whistle from a finding: %+v, %v", wh, err)
		}
		if _, err := w.svc.Whistles.RaiseWhistle(ctx, leader, summons.Raise{Source: summons.SourceFinding, FindingID: f1.ID + 1000, Address: "x", Need: "y", UnitIDs: []int64{w.dept.ID}}); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("whistle from a missing finding: %v", err)
		}

		cov, err := w.svc.Patrols.Coverage(ctx, w.dispatcher, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		var mine *patrols.StreetCoverage
		for i := range cov {
			if cov[i].StreetPlaceID == gw.Unit.PlaceID {
				mine = &cov[i]
			}
		}
		// The lane chief's patrol recorded no position: no track, no patrol.
		if mine == nil || mine.Patrolled != 1 || mine.Patrols != 1 || mine.Findings != 3 || mine.Grids < 1 || len(mine.GridActivity) != 1 {
			t.Fatalf("coverage of the street %+v", mine)
		}
		ga := mine.GridActivity[0]
		if ga.GridID != g || ga.Closed != 1 || ga.AvgCloseHours == nil || *ga.AvgCloseHours != 0 {
			t.Errorf("grid activity %+v", ga)
		}
		if own, err := w.svc.Patrols.Coverage(ctx, leader, time.Time{}, time.Time{}); err != nil || len(own) != 1 {
			t.Errorf("a street's own coverage: %d streets, %v", len(own), err)
		}
		if _, err := w.svc.Patrols.Coverage(ctx, gw, time.Time{}, time.Time{}); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("a grid worker reading coverage: %v", err)
		}
	})
}

func contains(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
