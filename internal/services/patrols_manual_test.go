package services_test

import (
	"testing"
	"time"

	"whistle/internal/calendar"
	"whistle/internal/grid"
	"whistle/internal/org"
	"whistle/internal/patrols"
)

// TestPatrolManualPins: positions pinned by hand (no GPS) are kept and
// marked, but are no patrolled track: no metres, and a grid with pins only
// is not covered; GPS positions are.
func TestPatrolManualPins(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := t.Context()
		w := openWorld(t, dsn, time.Date(2026, 3, 11, 9, 0, 0, 0, calendar.ChinaStandardTime()))
		var gw org.Actor
		for _, u := range w.svc.UnitsList() {
			users, _ := w.st.Users(ctx, u.ID)
			for _, us := range users {
				if us.Has(org.RoleGridWorker) && len(us.GridIDs) > 0 && gw.User.ID == 0 {
					gw, _ = w.svc.Actor(us)
				}
			}
		}
		g := gw.User.GridIDs[0]
		coverage := func() *grid.Activity {
			t.Helper()
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
			if mine == nil {
				t.Fatal("no coverage of the worker's street")
			}
			for _, ga := range mine.GridActivity {
				if ga.GridID == g {
					if (ga.Patrols > 0) != (mine.Patrolled > 0) {
						t.Errorf("street patrolled %d, grid patrols %d", mine.Patrolled, ga.Patrols)
					}
					return ga
				}
			}
			return &grid.Activity{GridID: g}
		}
		p, err := w.svc.Patrols.StartPatrol(ctx, gw, g, "")
		if err != nil {
			t.Fatal(err)
		}
		if ga := coverage(); ga.Patrols != 0 || ga.Pinned != 0 {
			t.Errorf("a patrol without positions counted: %+v", ga)
		}
		w.at(3, 11, 9, 30)
		t0 := time.Date(2026, 3, 11, 9, 1, 0, 0, w.loc)
		pins := []grid.Point{{At: t0, Lat: 39.9, Lon: 116.4, Manual: true}, {At: t0.Add(time.Minute), Lat: 39.9009, Lon: 116.4, Manual: true}}
		p, err = w.svc.Patrols.AddPositions(ctx, gw, p.ID, pins)
		if err != nil || p.Points != 2 || p.Manual != 2 || p.Meters != 0 {
			t.Fatalf("pins: %+v, %v (want 2 points, 2 manual, 0 m)", p, err)
		}
		if ga := coverage(); ga.Patrols != 0 || ga.Pinned != 1 {
			t.Errorf("pins only: %+v, want no patrol and one pinned", ga)
		}
		// GPS fixes: 100 m north, a pin far away in between, 100 m more.
		fixes := []grid.Point{{At: t0.Add(2 * time.Minute), Lat: 39.9, Lon: 116.4}, {At: t0.Add(3 * time.Minute), Lat: 39.9009, Lon: 116.4},
			{At: t0.Add(4 * time.Minute), Lat: 39.95, Lon: 116.45, Manual: true}, {At: t0.Add(5 * time.Minute), Lat: 39.9018, Lon: 116.4}}
		p, err = w.svc.Patrols.AddPositions(ctx, gw, p.ID, fixes)
		if err != nil || p.Points != 6 || p.Manual != 3 || p.Meters < 195 || p.Meters > 205 {
			t.Fatalf("fixes: %+v, %v (want 6 points, 3 manual, ~200 m)", p, err)
		}
		if ga := coverage(); ga.Patrols != 1 || ga.Pinned != 0 {
			t.Errorf("with a GPS track: %+v, want one patrol", ga)
		}
		_, track, _, err := w.svc.Patrols.Patrol(ctx, gw, p.ID)
		if err != nil || len(track) != 6 {
			t.Fatalf("track %+v, %v", track, err)
		}
		for i, want := range []bool{true, true, false, false, true, false} {
			if track[i].Manual != want {
				t.Errorf("position %d manual = %v, want %v", i, track[i].Manual, want)
			}
		}
		if got, _, _, _ := w.svc.Patrols.Patrol(ctx, gw, p.ID); got.Manual != 3 || got.Meters != p.Meters {
			t.Errorf("stored patrol %+v", got)
		}
	})
}
