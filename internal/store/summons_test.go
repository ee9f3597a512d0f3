package store_test

import (
	"testing"
	"time"

	"whistle/internal/errs"
	"whistle/internal/store"
	"whistle/internal/summons"
)

func TestWhistleStore(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		w, err := summons.New(summons.Raise{Source: summons.SourceCases, CaseIDs: []int64{4, 9}, Address: "路口", Need: "联合执法", Kind: summons.KindJoint, UnitIDs: []int64{21, 22}},
			7, 3, base, summons.DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		write(t, s, func(tx *store.Tx) error { return tx.InsertWhistle(ctx, &w) })
		got, err := s.Whistle(ctx, w.ID)
		if err != nil || got.StreetUnitID != 7 || len(got.CaseIDs) != 2 || got.CaseIDs[1] != 9 || len(got.Reports) != 2 || !msEqual(got.Reports[0].ReportBy, base.Add(30*time.Minute)) {
			t.Fatalf("loaded %+v, %v", got, err)
		}
		_, err = s.Whistle(ctx, w.ID+100)
		wantCode(t, err, errs.NotFound)

		prev := got.Version
		if err := summons.DeptAct(got, 21, summons.ActArrive, summons.Input{Place: "东门"}, base.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		write(t, s, func(tx *store.Tx) error { return tx.UpdateWhistle(ctx, got, prev) })
		wantCode(t, s.Write(ctx, func(tx *store.Tx) error { return tx.UpdateWhistle(ctx, got, prev) }), errs.Conflict)

		// Timers: both due at +30 min; each claimed once.
		due, err := s.DueWhistleTimers(ctx, base.Add(29*time.Minute), 10)
		if err != nil || len(due) != 0 {
			t.Fatalf("due early: %v %v", due, err)
		}
		due, err = s.DueWhistleTimers(ctx, base.Add(31*time.Minute), 10)
		if err != nil || len(due) != 2 || due[0].Kind != store.TimerReportBy {
			t.Fatalf("due: %+v %v", due, err)
		}
		for _, node := range []string{"a", "b"} {
			var ok bool
			write(t, s, func(tx *store.Tx) error {
				var err error
				ok, err = tx.ClaimWhistleTimer(ctx, due[0].ID, node, base.Add(31*time.Minute))
				return err
			})
			if ok != (node == "a") {
				t.Errorf("claim by %s = %v", node, ok)
			}
		}
		if due, _ := s.DueWhistleTimers(ctx, base.Add(time.Hour), 10); len(due) != 1 {
			t.Errorf("%d timers left, want 1", len(due))
		}

		got, _ = s.Whistle(ctx, w.ID)
		prev = got.Version
		if !summons.Missed(got, 22, got.Reports[1].ReportBy) {
			t.Fatal("not flagged")
		}
		if err := summons.Close(got, 3, summons.Input{Note: "done", Ratings: []summons.Rating{{UnitID: 21, Score: 90, Scale: summons.ScalePoints}, {UnitID: 22, Score: 2, Scale: summons.ScaleStars}}}, base.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		write(t, s, func(tx *store.Tx) error {
			if err := tx.UpdateWhistle(ctx, got, prev); err != nil {
				return err
			}
			return tx.AppendWhistleLog(ctx, &summons.LogEntry{WhistleID: w.ID, Action: summons.ActClose, ActorUserID: 3, At: base.Add(2 * time.Hour), Note: "done"})
		})
		again, _ := s.Whistle(ctx, w.ID)
		if again.State != summons.Closed || again.Summary != "done" || !again.Reports[1].Missed || again.Reports[1].Rating != 40 || again.Reports[0].ArrivedPlace != "东门" {
			t.Fatalf("after close %+v", again)
		}
		log, err := s.WhistleLog(ctx, w.ID)
		if err != nil || len(log) != 1 || log[0].Action != summons.ActClose {
			t.Errorf("log %+v %v", log, err)
		}
		rs, err := s.SummonsRatings(ctx, base, base.Add(24*time.Hour))
		if err != nil || rs[21] != [2]float64{1, 90} || rs[22] != [2]float64{1, 40} {
			t.Errorf("ratings %v %v", rs, err)
		}
		if rs, _ := s.SummonsRatings(ctx, base.Add(3*time.Hour), base.Add(24*time.Hour)); len(rs) != 0 {
			t.Errorf("ratings outside the period: %v", rs)
		}
		streets, depts, err := s.SummonsStats(ctx, base, base.Add(24*time.Hour))
		if err != nil || len(streets) != 1 || streets[0].Whistles != 1 || streets[0].Joint != 1 || len(depts) != 2 {
			t.Fatalf("stats %+v %+v %v", streets, depts, err)
		}
		if d := depts[0]; d.UnitID != 21 || d.OnTime != 1 || d.AvgArriveMin == nil || *d.AvgArriveMin != 10 || *d.AvgRating != 90 {
			t.Errorf("dept 21 %+v", d)
		}
		if d := depts[1]; d.Missed != 1 || d.Arrived != 0 || d.AvgArriveMin != nil {
			t.Errorf("dept 22 %+v", d)
		}
		for _, f := range []store.WhistleFilter{{StreetUnitID: 7}, {UnitID: 22}, {State: summons.Closed}} {
			if ws, err := s.Whistles(ctx, f); err != nil || len(ws) != 1 {
				t.Errorf("filter %+v: %d, %v", f, len(ws), err)
			}
		}
		if ws, _ := s.Whistles(ctx, store.WhistleFilter{UnitID: 23}); len(ws) != 0 {
			t.Errorf("unsummoned unit sees %d", len(ws))
		}
	})
}
