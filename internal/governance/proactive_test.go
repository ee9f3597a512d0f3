package governance_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"whistle/internal/agenda"
	"whistle/internal/auth"
	"whistle/internal/core"
	"whistle/internal/demo"
	"whistle/internal/errs"
	"whistle/internal/governance"
	"whistle/internal/governance/proactivetest"
	"whistle/internal/insight"
	"whistle/internal/org"
	"whistle/internal/seed"
	"whistle/internal/services"
	"whistle/internal/store"
)

// proWorld is the demo city with two winters of planted rollups: heating
// (heating.temp) requests each winter week in streets A and B, five flat
// categories everywhere.
type proWorld struct {
	ctx        context.Context
	svc        *services.Services
	st         *store.Store
	clk        *clock
	dispatcher org.Actor
	analyst    org.Actor
	streets    []proactivetest.Street // A, B, then the others
	handlers   map[int64]org.Actor    // street unit → a handler of it
}

func openProWorld(t *testing.T, dsn string) *proWorld {
	t.Helper()
	ctx := t.Context()
	st, err := store.Open(ctx, dsn, store.Options{SQLiteSync: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	loc := time.FixedZone("Asia/Shanghai", 8*3600)
	clk := &clock{t: time.Date(2026, 10, 12, 10, 0, 0, 0, loc)} // a Monday
	svc, err := services.New(ctx, st, core.Config{Now: clk.Now, PhoneKey: []byte("proactive-test-key"), ReopenLimit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Demo(ctx, svc, demo.Options{Seed: 5, Requests: 40}, auth.FastHasher(), nil); err != nil {
		t.Fatal(err)
	}
	w := &proWorld{ctx: ctx, svc: svc, st: st, clk: clk, handlers: map[int64]org.Actor{}}
	for _, u := range svc.UnitsList() {
		users, err := st.Users(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, us := range users {
			a, err := svc.Actor(us)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case u.Kind == org.KindCityCentre && us.Has(org.RoleDispatcher) && w.dispatcher.User.ID == 0:
				w.dispatcher = a
			case us.Has(org.RoleAnalyst) && w.analyst.User.ID == 0:
				w.analyst = a
			case u.Kind == org.KindStreet && us.Has(org.RoleHandler) && w.handlers[u.ID].User.ID == 0:
				w.handlers[u.ID] = a
			}
		}
	}
	for _, u := range svc.UnitsList() {
		if u.Kind != org.KindStreet || w.handlers[u.ID].User.ID == 0 || len(w.streets) == 4 {
			continue
		}
		ch, _ := svc.Chain(u.PlaceID)
		w.streets = append(w.streets, proactivetest.Street{DistrictID: ch[0], StreetID: u.PlaceID, UnitID: u.ID})
	}
	if w.dispatcher.User.ID == 0 || w.analyst.User.ID == 0 || len(w.streets) < 4 {
		t.Fatalf("demo city: dispatcher %v analyst %v streets %d", w.dispatcher.User.ID, w.analyst.User.ID, len(w.streets))
	}
	rows := proactivetest.History(insight.DateDay(2024, 10, 1), insight.DateDay(2026, 10, 11), w.streets,
		[]string{"road.pothole", "noise.construction", "water.outage", "urban.stall", "env.garbage"}, 10,
		"heating.temp", map[int64]int{w.streets[0].StreetID: 20, w.streets[1].StreetID: 12})
	proactivetest.InsertDailyRowsDirectly(t, dsn, rows)
	return w
}

func (w *proWorld) handler(s proactivetest.Street) org.Actor { return w.handlers[s.UnitID] }

var (
	weeksFrom = insight.DateDay(2026, 10, 19)
	weeksTo   = insight.DateDay(2026, 11, 29)
)

func TestProposeReviewComplete(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		w := openProWorld(t, dsn)
		g := w.svc.Insight
		if _, err := g.ProposeProactive(w.ctx, w.analyst, weeksFrom, weeksTo); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("analyst proposes: %v", err)
		}
		if _, err := g.ProposeProactive(w.ctx, w.dispatcher, weeksTo, weeksFrom); !errs.Is(err, errs.Invalid) {
			t.Fatalf("reversed weeks: %v", err)
		}
		props, err := g.ProposeProactive(w.ctx, w.dispatcher, weeksFrom, weeksTo)
		if err != nil {
			t.Fatal(err)
		}
		byUnit := map[int64]*agenda.Task{}
		for _, p := range props {
			byUnit[p.UnitID] = p
			if p.Kind != agenda.KindProactive || p.State != agenda.TaskProposed || p.Category != "heating.temp" {
				t.Errorf("proposal %+v", p)
			}
		}
		a, b := byUnit[w.streets[0].UnitID], byUnit[w.streets[1].UnitID]
		if len(props) != 2 || a == nil || b == nil {
			t.Fatalf("proposals for units %v, want the two heating streets' units %d, %d", keys(byUnit), w.streets[0].UnitID, w.streets[1].UnitID)
		}
		if a.PlaceIDs[0] != w.streets[0].StreetID || !strings.HasPrefix(a.Title, "入冬前室温不达标排查") || !strings.Contains(a.Detail, "2025-10-20") {
			t.Errorf("proposal A: %q %q %v", a.Title, a.Detail, a.PlaceIDs)
		}
		ev := governance.EvidenceOf(a)
		if ev.LastYear == 0 || ev.Units[0].Key == "" || !ev.Seasonal {
			t.Errorf("evidence %+v", ev)
		}
		// due 10 working days before the season's start, on a working day
		start := ev.SeasonStart.Time()
		if !a.DueAt.Before(start) || !w.svc.Calendar().IsWorkday(a.DueAt) || w.svc.Calendar().WorkdaysBetween(a.DueAt, start) < governance.LeadWorkdays-1 {
			t.Errorf("due %s for a season starting %s", a.DueAt, start)
		}
		// proposed twice: nothing new
		again, err := g.ProposeProactive(w.ctx, w.dispatcher, weeksFrom, weeksTo)
		if err != nil || len(again) != 0 {
			t.Fatalf("proposed again: %d, %v", len(again), err)
		}
		all, err := g.Proposals(w.ctx, w.analyst)
		if err != nil || len(all) != 2 {
			t.Fatalf("proposals: %d, %v", len(all), err)
		}

		ha, hb := w.handler(w.streets[0]), w.handler(w.streets[1])
		// a proposal is not in the inbox, nor visible to the owner yet
		if in, _ := g.Inbox(w.ctx, ha); len(in) != 0 {
			t.Fatalf("inbox before approval: %v", in)
		}
		if _, err := g.TaskOf(w.ctx, ha, a.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("owner sees a proposal: %v", err)
		}
		if _, err := g.ReviewProactive(w.ctx, ha, a.ID, true, "", governance.ReviewOverrides{}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("a handler approves: %v", err)
		}
		open, err := g.ReviewProactive(w.ctx, w.dispatcher, a.ID, true, "", governance.ReviewOverrides{})
		if err != nil || open.State != agenda.TaskOpen || open.Version != 2 {
			t.Fatalf("approve: %+v %v", open, err)
		}
		if _, err := g.ReviewProactive(w.ctx, w.dispatcher, a.ID, false, "again", governance.ReviewOverrides{}); !errs.Is(err, errs.InvalidTransition) {
			t.Fatalf("reviewed twice: %v", err)
		}
		if _, err := g.ReviewProactive(w.ctx, w.dispatcher, b.ID, false, " ", governance.ReviewOverrides{}); !errs.Is(err, errs.FieldRequired) {
			t.Fatalf("reject without a reason: %v", err)
		}
		if rj, err := g.ReviewProactive(w.ctx, w.dispatcher, b.ID, false, "该街道已完成管网改造", governance.ReviewOverrides{}); err != nil || rj.State != agenda.TaskRejected {
			t.Fatalf("reject: %+v %v", rj, err)
		}
		in, err := g.Inbox(w.ctx, ha)
		if err != nil || len(in) != 1 || in[0].ID != a.ID {
			t.Fatalf("inbox of A after approval: %v %v", in, err)
		}
		if in, _ := g.Inbox(w.ctx, hb); len(in) != 0 {
			t.Fatalf("inbox of B: %v", in)
		}
		// another unit's handler cannot complete it (nor see it)
		if _, err := g.CompleteTask(w.ctx, hb, a.ID, "done"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("another unit completes: %v", err)
		}
		if _, err := g.CompleteTask(w.ctx, w.dispatcher, a.ID, "done"); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("the centre completes: %v", err)
		}
		if _, err := g.CompleteTask(w.ctx, ha, a.ID, "  "); !errs.Is(err, errs.FieldRequired) {
			t.Fatalf("no note: %v", err)
		}
		done, err := g.CompleteTask(w.ctx, ha, a.ID, "已对辖区供热管网排气、测温")
		if err != nil || done.State != agenda.TaskDone || done.DoneAt.IsZero() || done.Version != 3 {
			t.Fatalf("complete: %+v %v", done, err)
		}
		if _, err := g.CompleteTask(w.ctx, ha, a.ID, "again"); !errs.Is(err, errs.InvalidTransition) {
			t.Fatalf("completed twice: %v", err)
		}
		if in, _ := g.Inbox(w.ctx, ha); len(in) != 1 || in[0].State != agenda.TaskDone {
			t.Fatalf("recently done in the inbox: %v", in)
		}
		w.clk.Set(w.clk.Now().Add(governance.RecentDone + time.Hour))
		if in, _ := g.Inbox(w.ctx, ha); len(in) != 0 {
			t.Fatalf("long done still in the inbox: %v", in)
		}
		// every write audited
		log, err := w.st.AuditLog(w.ctx, 0, 50)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for _, e := range log {
			seen[e.Action]++
		}
		if seen["proactive_propose"] != 2 || seen["proactive_approve"] != 1 || seen["proactive_reject"] != 1 || seen["task_done"] != 1 {
			t.Errorf("audit: %v", seen)
		}
	})
}

func keys(m map[int64]*agenda.Task) []int64 {
	var out []int64
	for k := range m {
		out = append(out, k)
	}
	return out
}
