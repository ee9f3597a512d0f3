package store_test

import (
	"testing"
	"time"

	"whistle/internal/errs"
	"whistle/internal/grid"
	"whistle/internal/store"
)

func TestGridStore(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		g := grid.Assignment{GridID: 40, UserID: 5, Duty: grid.DutyLaneSteward, AssignedBy: 1, AssignedAt: base}
		write(t, s, func(tx *store.Tx) error { return tx.AssignGrid(ctx, g) })
		wantCode(t, s.Write(ctx, func(tx *store.Tx) error { return tx.AssignGrid(ctx, g) }), errs.Exists)
		for _, q := range [][2]int64{{40, 0}, {0, 5}} {
			as, err := s.GridAssignments(ctx, q[0], q[1])
			if err != nil || len(as) != 1 || as[0].Duty != grid.DutyLaneSteward || !msEqual(as[0].AssignedAt, base) {
				t.Errorf("assignments %v: %+v %v", q, as, err)
			}
		}

		p := grid.Patrol{GridID: 40, UserID: 5, State: grid.Patrolling, StartedAt: base}
		write(t, s, func(tx *store.Tx) error { return tx.InsertPatrol(ctx, &p) })
		if n, _ := s.ActivePatrols(ctx, 5); n != 1 {
			t.Errorf("active patrols %d", n)
		}
		pts := []grid.Point{{At: base, Lat: 39.9, Lon: 116.4}, {At: base.Add(time.Minute), Lat: 39.9009, Lon: 116.4}}
		write(t, s, func(tx *store.Tx) error { return tx.AddPatrolPoints(ctx, &p, pts) })
		write(t, s, func(tx *store.Tx) error {
			return tx.AddPatrolPoints(ctx, &p, []grid.Point{{At: base.Add(2 * time.Minute), Lat: 39.9018, Lon: 116.4}})
		})
		got, err := s.Patrol(ctx, p.ID)
		if err != nil || got.Points != 3 || got.Meters < 195 || got.Meters > 205 {
			t.Fatalf("patrol %+v %v", got, err)
		}
		track, err := s.PatrolPoints(ctx, p.ID)
		if err != nil || len(track) != 3 || track[2].Lat != 39.9018 {
			t.Errorf("track %+v %v", track, err)
		}

		c := testCase(1)
		insertCases(t, s, c)
		f := grid.Finding{PatrolID: p.ID, GridID: 40, UserID: 5, Item: "damaged_road", Outcome: grid.ToCentre, CaseID: c.ID, CreatedAt: base}
		write(t, s, func(tx *store.Tx) error { return tx.InsertFinding(ctx, &f) })
		write(t, s, func(tx *store.Tx) error { return tx.EndPatrol(ctx, p.ID, base.Add(time.Hour)) })
		wantCode(t, s.Write(ctx, func(tx *store.Tx) error { return tx.EndPatrol(ctx, p.ID, base.Add(time.Hour)) }), errs.NotFound)
		fs, err := s.Findings(ctx, p.ID)
		if err != nil || len(fs) != 1 || fs[0].CaseID != c.ID {
			t.Errorf("findings %+v %v", fs, err)
		}
		if got, _ := s.Patrol(ctx, p.ID); got.State != grid.Ended || got.Findings != 1 {
			t.Errorf("ended patrol %+v", got)
		}
		ps, err := s.Patrols(ctx, 5, base.Add(-time.Hour), base.Add(time.Hour), 10)
		if err != nil || len(ps) != 1 {
			t.Errorf("patrols %+v %v", ps, err)
		}

		act, err := s.GridActivity(ctx, base.Add(-time.Hour), base.Add(time.Hour))
		if err != nil || act[40] == nil || act[40].Patrols != 1 || act[40].Findings != 1 || act[40].Closed != 0 || act[40].AvgCloseHours != nil {
			t.Fatalf("activity %+v %v", act[40], err)
		}
		prev := *c
		c.State, c.ClosedAt, c.Version = "closed", base.Add(3*time.Hour), c.Version+1
		write(t, s, func(tx *store.Tx) error { return tx.UpdateCase(ctx, c, &prev) })
		act, _ = s.GridActivity(ctx, base.Add(-time.Hour), base.Add(time.Hour))
		if a := act[40]; a.Closed != 1 || a.AvgCloseHours == nil || *a.AvgCloseHours != 3 {
			t.Errorf("activity after closure %+v", a)
		}
	})
}
