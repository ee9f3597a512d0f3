package services_test

import (
	"testing"
	"time"

	"whistle/internal/assessment"
	"whistle/internal/calendar"
	"whistle/internal/casework"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/ranking"
	"whistle/internal/summons"
)

// TestWhistle plays 吹哨报到 through the service: one department reports
// on time, one late, one never; the report-by timers flag the missing
// department exactly once, also across a restart; the street closes and
// rates, and the ratings weigh a third in the department's monthly score.
func TestWhistle(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := t.Context()
		w := openWorld(t, dsn, time.Date(2026, 2, 27, 9, 0, 0, 0, calendar.ChinaStandardTime()))
		var depts []org.Unit
		var handlers []org.Actor
		for _, u := range w.svc.UnitsList() {
			if u.Kind != org.KindDepartment || len(depts) == 3 {
				continue
			}
			users, err := w.st.Users(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, us := range users {
				if us.Has(org.RoleHandler) {
					a, _ := w.svc.Actor(us)
					depts, handlers = append(depts, u), append(handlers, a)
					break
				}
			}
		}
		if len(depts) < 3 {
			t.Fatalf("only %d departments with handlers", len(depts))
		}
		d0, d1, d2 := depts[0], depts[1], depts[2]
		// D0 also handles an order this month, so it has a base score.
		w.play(2, flow{d0, handlers[0], 30, 60, &yes, lifecycle.Satisfied})

		// A case of the street, then the whistle from it.
		w.at(3, 10, 8, 0)
		c := w.create()
		w.act(w.dispatcher, c.ID, casework.ActInput{Action: lifecycle.ActDispatch, UnitID: w.street.ID})
		raised := w.at(3, 10, 9, 0)
		in := summons.Raise{Source: summons.SourceCases, CaseIDs: []int64{c.ID}, Address: "幸福路12号", Need: "违建拆除需城管、住建联合执法",
			Kind: summons.KindJoint, UnitIDs: []int64{d0.ID, d1.ID, d2.ID}}
		if _, err := w.svc.Whistles.RaiseWhistle(ctx, handlers[0], in); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("a department raising a whistle: %v, want forbidden", err)
		}
		bad := in
		bad.UnitIDs = []int64{w.street.ID + 100000}
		if _, err := w.svc.Whistles.RaiseWhistle(ctx, w.streetH, bad); errs.CodeOf(err) != errs.UnknownUnit {
			t.Errorf("summoning a unit that does not exist: %v", err)
		}
		wh, err := w.svc.Whistles.RaiseWhistle(ctx, w.streetH, in)
		if err != nil {
			t.Fatal(err)
		}
		if want := raised.Add(30 * time.Minute); !wh.ReportBy.Equal(want) || len(wh.Reports) != 3 {
			t.Fatalf("report by %v (want %v), %d departments", wh.ReportBy, want, len(wh.Reports))
		}
		// Each summoned department sees it at once.
		for i, h := range handlers {
			inbox, err := w.svc.Whistles.Whistles(ctx, h, "dept", summons.Open)
			if err != nil || len(inbox) != 1 || inbox[0].ID != wh.ID {
				t.Fatalf("department %d inbox %+v, %v", i, inbox, err)
			}
		}
		act := func(a org.Actor, action string, in summons.Input) error {
			_, err := w.svc.Whistles.WhistleAct(ctx, a, wh.ID, action, in)
			return err
		}
		w.at(3, 10, 9, 5)
		must(t, act(handlers[0], summons.ActAck, summons.Input{}))
		if err := act(handlers[0], summons.ActAct, summons.Input{Note: "x"}); errs.CodeOf(err) != errs.InvalidTransition {
			t.Errorf("acting before arrival: %v", err)
		}
		w.at(3, 10, 9, 25)
		must(t, act(handlers[0], summons.ActArrive, summons.Input{Place: "幸福路12号东门"}))
		must(t, act(handlers[0], summons.ActReport, summons.Input{Note: "已拆除违建两处"}))
		if err := act(handlers[0], summons.ActLeave, summons.Input{}); errs.CodeOf(err) != errs.InvalidTransition {
			t.Errorf("leaving an open whistle: %v, want invalid_transition (事不完，人不撤)", err)
		}
		if err := act(w.streetH, summons.ActArrive, summons.Input{Place: "x"}); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("the street reporting as a department: %v", err)
		}

		// 09:31: the deadline has passed; d1 and d2 are flagged, once.
		w.at(3, 10, 9, 31)
		n, err := w.svc.Whistles.FireSummons(ctx, "node-a", 100)
		if err != nil || n != 3 {
			t.Fatalf("fired %d, %v; want 3 (one per department)", n, err)
		}
		// d1 arrives late after the flag; a restart fires nothing again.
		w.at(3, 10, 9, 50)
		must(t, act(handlers[1], summons.ActArrive, summons.Input{Place: "东门"}))
		w.restart()
		if n, err := w.svc.Whistles.FireSummons(ctx, "node-b", 100); err != nil || n != 0 {
			t.Fatalf("after restart fired %d, %v; want 0", n, err)
		}
		// A second whistle raised before the restart, due after it, fires once after it.
		w.at(3, 10, 10, 0)
		wh2, err := w.svc.Whistles.RaiseWhistle(ctx, w.streetH, summons.Raise{Source: summons.SourceOwn, Address: "幸福路", Need: "占道", Kind: summons.KindUrgent, UnitIDs: []int64{d2.ID}})
		if err != nil {
			t.Fatal(err)
		}
		w.restart()
		w.at(3, 10, 10, 45)
		for _, node := range []string{"node-a", "node-b"} {
			if _, err := w.svc.Whistles.FireSummons(ctx, node, 100); err != nil {
				t.Fatal(err)
			}
		}
		got2, log2, err := w.svc.Whistles.Whistle(ctx, w.dispatcher, wh2.ID)
		if err != nil || !got2.Reports[0].Missed {
			t.Fatalf("second whistle %+v, %v", got2, err)
		}
		if missedLogs(log2) != 1 {
			t.Errorf("second whistle logged %d misses, want 1", missedLogs(log2))
		}

		got, log, err := w.svc.Whistles.Whistle(ctx, w.streetH, wh.ID)
		if err != nil {
			t.Fatal(err)
		}
		byUnit := map[int64]summons.Report{}
		for _, r := range got.Reports {
			byUnit[r.UnitID] = r
		}
		if r := byUnit[d0.ID]; r.State != summons.Reported || r.Late || r.Missed {
			t.Errorf("d0 %+v", r)
		}
		if r := byUnit[d1.ID]; r.State != summons.Arrived || !r.Late || !r.Missed {
			t.Errorf("d1 %+v", r)
		}
		if r := byUnit[d2.ID]; r.State != summons.Summoned || !r.Missed {
			t.Errorf("d2 %+v", r)
		}
		if missedLogs(log) != 2 {
			t.Errorf("logged %d misses, want 2", missedLogs(log))
		}
		if _, _, err := w.svc.Whistles.Whistle(ctx, handlers[0], wh2.ID); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("an unsummoned department reading a whistle: %v", err)
		}

		// Close: every department must be rated.
		w.at(3, 10, 12, 0)
		closeIn := summons.Input{Note: "违建已拆除", Ratings: []summons.Rating{{UnitID: d0.ID, Score: 4, Scale: summons.ScaleStars}, {UnitID: d1.ID, Score: 60, Scale: summons.ScalePoints}}}
		if err := act(w.streetH, summons.ActClose, closeIn); errs.CodeOf(err) != errs.FieldRequired {
			t.Errorf("closing without rating d2: %v", err)
		}
		if err := act(handlers[0], summons.ActClose, summons.Input{Note: "x"}); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("a department closing: %v", err)
		}
		closeIn.Ratings = append(closeIn.Ratings, summons.Rating{UnitID: d2.ID, Score: 0, Scale: summons.ScalePoints, Note: "未到场"})
		must(t, act(w.streetH, summons.ActClose, closeIn))
		must(t, act(handlers[0], summons.ActLeave, summons.Input{}))
		if err := act(handlers[1], summons.ActReport, summons.Input{Note: "late"}); errs.CodeOf(err) != errs.InvalidTransition {
			t.Errorf("reporting on a closed whistle: %v", err)
		}

		// Statistics.
		march, _ := w.svc.Ranking.AssessMonthPeriod("2026-03")
		st, err := w.svc.Whistles.SummonsStats(ctx, w.dispatcher, march)
		if err != nil || len(st.Streets) != 1 || st.Streets[0].Whistles != 2 || st.Streets[0].Closed != 1 || st.Streets[0].Joint != 1 || st.Streets[0].Urgent != 1 {
			t.Fatalf("street stats %+v, %v", st.Streets, err)
		}
		deptStats := map[int64]int{}
		for i, d := range st.Departments {
			deptStats[d.UnitID] = i
		}
		s0, s1, s2 := st.Departments[deptStats[d0.ID]], st.Departments[deptStats[d1.ID]], st.Departments[deptStats[d2.ID]]
		if s0.OnTime != 1 || s0.AvgArriveMin == nil || *s0.AvgArriveMin != 25 || s0.AvgRating == nil || *s0.AvgRating != 80 {
			t.Errorf("d0 stats %+v", s0)
		}
		if s1.Late != 1 || s1.Missed != 1 || *s1.AvgArriveMin != 50 {
			t.Errorf("d1 stats %+v", s1)
		}
		if s2.Summoned != 2 || s2.Missed != 2 || s2.Arrived != 0 || s2.AvgArriveMin != nil {
			t.Errorf("d2 stats %+v", s2)
		}
		if _, err := w.svc.Whistles.SummonsStats(ctx, w.streetH, march); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("a street reading the statistics: %v", err)
		}

		// The month: d0's base 100 (one order, all in time, resolved,
		// satisfied) and its whistle rating 80 weigh 2/3 and 1/3: 93.33.
		// One order is below the default minimum for a rank (10 orders,
		// 5 callbacks), so the rules in force here ask for one of each.
		low := assessment.DefaultRules()
		low.MinOrders, low.MinCallbacks = 1, 1
		if _, err := w.svc.Ranking.SetAssessRules(ctx, w.dispatcher, low); err != nil {
			t.Fatal(err)
		}
		rk, err := w.svc.Ranking.Assess(ctx, w.dispatcher, march, ranking.AssessOptions{Kind: org.KindDepartment})
		if err != nil {
			t.Fatal(err)
		}
		sc := unitScore(t, rk, d0.ID)
		if sc.SummonsRatings != 1 || sc.Summons == nil || *sc.Summons != 80 || f4(sc.Base) != 100 || f4(sc.Composite) != 93.33 {
			t.Errorf("d0 score: ratings %d summons %v base %v composite %v", sc.SummonsRatings, f4(sc.Summons), f4(sc.Base), f4(sc.Composite))
		}
		if sc := unitScore(t, rk, d2.ID); sc.Summons == nil || *sc.Summons != 0 || sc.Composite != nil {
			t.Errorf("d2 (no orders) score: summons %v composite %v", f4(sc.Summons), f4(sc.Composite))
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func missedLogs(l []summons.LogEntry) int {
	n := 0
	for _, e := range l {
		if e.Action == summons.ActMissed {
			n++
		}
	}
	return n
}
