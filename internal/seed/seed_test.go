package seed

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"whistle/internal/agenda"
	"whistle/internal/assessment"
	"whistle/internal/auth"
	"whistle/internal/classify"
	"whistle/internal/core"
	"whistle/internal/demo"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/ranking"
	"whistle/internal/services"
	"whistle/internal/store"
	"whistle/internal/summons"
)

func open(t *testing.T) *services.Services {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "w.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := services.New(context.Background(), st, core.Config{PhoneKey: []byte("k"), ReopenLimit: 2})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestBootstrap(t *testing.T) {
	ctx := context.Background()
	svc := open(t)
	created, pw, err := Bootstrap(ctx, svc, auth.FastHasher(), "江川市", "")
	if err != nil || !created || len(pw) < 12 {
		t.Fatalf("Bootstrap: created=%v pw=%q err=%v", created, pw, err)
	}
	u, hash, err := svc.St.UserByName(ctx, "admin")
	if err != nil || !auth.Verify(hash, pw) || !u.Has("admin") {
		t.Fatalf("admin cannot log in with the printed password: %v", err)
	}
	leaves := 0
	for _, c := range svc.Categories() {
		if c.Leaf {
			leaves++
		}
	}
	if leaves < 60 {
		t.Fatalf("%d leaf categories after bootstrap", leaves)
	}
	if a, err := svc.Actor(u); err != nil || a.Unit.Kind != "city_centre" {
		t.Fatalf("admin's unit: %+v %v", a.Unit, err)
	}
	// A second start changes nothing.
	if created, _, err := Bootstrap(ctx, svc, auth.FastHasher(), "江川市", "other-password"); created || err != nil {
		t.Fatalf("second Bootstrap: created=%v err=%v", created, err)
	}
	if _, hash, _ := svc.St.UserByName(ctx, "admin"); !auth.Verify(hash, pw) {
		t.Fatal("second Bootstrap changed the admin password")
	}
	// The demo refuses a store that holds another city (or an interrupted demo).
	if _, err := Demo(ctx, svc, demo.Options{Seed: 1, Requests: 10}, auth.FastHasher(), nil); err == nil || !strings.Contains(err.Error(), "not a complete demo") {
		t.Fatalf("Demo on a bootstrapped store: %v", err)
	}
}

func TestDemoOnceThenReuse(t *testing.T) {
	ctx := context.Background()
	svc := open(t)
	res, err := Demo(ctx, svc, demo.Options{Seed: 5, Requests: 200}, auth.FastHasher(), nil)
	if err != nil || !res.Loaded || res.Cases != 200 || res.Events < 200 || len(res.Logins) == 0 {
		t.Fatalf("first Demo: %+v %v", res, err)
	}
	page, err := svc.St.Cases(ctx, org.Scope{All: true}, lifecycle.CaseFilter{Limit: 200})
	if err != nil || len(page.Cases) != 200 {
		t.Fatalf("cases stored: %d %v", len(page.Cases), err)
	}
	again, err := Demo(ctx, svc, demo.Options{Seed: 5, Requests: 200}, auth.FastHasher(), nil)
	if err != nil || again.Loaded || len(again.Logins) != len(res.Logins) {
		t.Fatalf("second Demo: %+v %v", again, err)
	}
	// Numbers are unique and the day counters continue after the history.
	seen := map[string]bool{}
	for _, c := range page.Cases {
		if seen[c.Number] || len(c.Number) != 13 {
			t.Fatalf("bad or repeated number %q", c.Number)
		}
		seen[c.Number] = true
	}
}

// TestDemoShape loads a demo year and checks what the pages will show:
// streets score differently in the last full month (few or none perfect),
// the month before is published, whistles, patrols and exemptions (approved
// and rejected) exist, and the classifier's figure is measured on held-out
// texts that are not trivially separable.
func TestDemoShape(t *testing.T) {
	if testing.Short() {
		t.Skip("a demo year is loaded; skipped in -short mode")
	}
	ctx := context.Background()
	svc := openSealed(t) // sealed as in production: noPhoneAtRest greps its file
	end := time.Date(2026, time.March, 20, 10, 0, 0, 0, svc.Location())
	if _, err := Demo(ctx, svc, demo.Options{Seed: 3, Requests: 30000, End: end, Activity: true}, auth.FastHasher(), nil); err != nil {
		t.Fatal(err)
	}
	u, _, err := svc.St.UserByName(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	admin, err := svc.Actor(u)
	if err != nil {
		t.Fatal(err)
	}
	months, err := svc.Ranking.PublishedMonths(ctx, admin)
	if err != nil || len(months) < 1 {
		t.Fatalf("published months: %v %v", months, err)
	}
	p, err := svc.Ranking.AssessMonthPeriod("2026-02")
	if err != nil {
		t.Fatal(err)
	}
	r, err := svc.Ranking.Assess(ctx, admin, p, ranking.AssessOptions{Kind: org.KindStreet})
	if err != nil {
		t.Fatal(err)
	}
	var comps []float64
	perfect, moved := 0, 0
	for _, s := range r.Units {
		if s.Composite == nil {
			continue
		}
		comps = append(comps, *s.Composite)
		if one(s.Response) && one(s.Resolution) && one(s.Satisfaction) {
			perfect++
		}
		if s.PrevRank != 0 && s.PrevRank != s.Rank {
			moved++
		}
	}
	slices.Sort(comps)
	t.Logf("February street composites (sorted): %v; %d at 100/100/100; %d changed rank since January", comps, perfect, moved)
	if len(comps) < 40 || comps[len(comps)-1]-comps[0] < 10 || perfect > 2 || moved < len(comps)/2 {
		t.Errorf("%d ranked streets from %.2f to %.2f, %d perfect, %d moved", len(comps), comps[0], comps[len(comps)-1], perfect, moved)
	}

	ws, err := svc.Whistles.Whistles(ctx, admin, "", "")
	if err != nil || len(ws) < 50 {
		t.Fatalf("%d whistles: %v", len(ws), err)
	}
	reported, closed := 0, 0
	for _, lw := range ws {
		w, _, err := svc.Whistles.Whistle(ctx, admin, lw.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, rp := range w.Reports {
			if !rp.ReportedAt.IsZero() {
				reported++
			}
		}
		if w.State == summons.Closed {
			closed++
		}
	}
	cov, err := svc.Patrols.Coverage(ctx, admin, end.AddDate(0, 0, -7), end)
	if err != nil {
		t.Fatal(err)
	}
	patrolled, grids := 0, 0
	for _, c := range cov {
		patrolled += c.Patrolled
		grids += c.Grids
	}
	approved, err := svc.Ranking.Exemptions(ctx, admin, assessment.ExemptionFilter{State: assessment.ExemptApproved})
	if err != nil {
		t.Fatal(err)
	}
	rejected, err := svc.Ranking.Exemptions(ctx, admin, assessment.ExemptionFilter{State: assessment.ExemptRejected})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d whistles (%d closed) with %d department reports; patrols covered %d of %d grids in the last week; exemptions %d approved, %d rejected",
		len(ws), closed, reported, patrolled, grids, len(approved), len(rejected))
	if closed < len(ws)/2 || reported < len(ws) || patrolled < grids/2 || len(approved) == 0 || len(rejected) == 0 {
		t.Error("whistles, patrols or exemptions missing")
	}

	// The server trains the classifier in the background at start; here
	// it is trained at once.
	info, err := svc.Dispatch.TrainClassifier(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var rep classify.Report
	if err := json.Unmarshal(info.Eval, &rep); err != nil {
		t.Fatal(err)
	}
	t.Logf("classifier: %d examples, top-1 %.3f, top-3 %.3f on %d held-out texts", info.Examples, rep.Top1, rep.Top3, rep.Test)
	if rep.Test == 0 || rep.Top1 >= 0.99 || rep.Top1 < 0.5 {
		t.Errorf("classifier top-1 %.3f on %d texts", rep.Top1, rep.Test)
	}
	noPhoneAtRest(t, svc)
}

func one(p *float64) bool { return p == nil || *p == 1 }

// TestDemoSpringTopic: the demo stores the 每月一题 topic of its spring
// story, led by the city's market regulator, with its done tasks, once.
func TestDemoSpringTopic(t *testing.T) {
	ctx := context.Background()
	svc := open(t)
	end := time.Date(2026, time.January, 10, 9, 30, 0, 0, svc.Location())
	opts := demo.Options{Seed: 5, Requests: 200, End: end}
	if _, err := Demo(ctx, svc, opts, auth.FastHasher(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Demo(ctx, svc, opts, auth.FastHasher(), nil); err != nil { // reuse: nothing added
		t.Fatal(err)
	}
	// The spring topic, judged, and — the demo ending in a heating
	// season — the heating topic at work with open tasks.
	ts, err := svc.St.Topics(ctx)
	if err != nil || len(ts) != 2 {
		t.Fatalf("topics: %d %v", len(ts), err)
	}
	units, err := svc.St.Units(ctx)
	if err != nil {
		t.Fatal(err)
	}
	code := map[int64]string{}
	for _, u := range units {
		code[u.ID] = u.Code
	}
	var tp, heat *agenda.Topic
	for _, x := range ts {
		switch code[x.LeadUnitID] {
		case "city-scjg":
			tp = x
		case "city-zjw":
			heat = x
		}
	}
	if tp == nil || heat == nil {
		t.Fatalf("topics led by %q and %q, want city-scjg and city-zjw", code[ts[0].LeadUnitID], code[ts[1].LeadUnitID])
	}
	if hs := heat.StartedAt.In(svc.Location()); heat.State != agenda.Active || hs.Month() != time.November || hs.Day() != 18 || !slices.Contains(heat.Criteria.Categories, "heating.cold") {
		t.Errorf("heating topic %+v", heat)
	}
	if open, err := svc.St.Tasks(ctx, agenda.TaskFilter{TopicID: heat.ID, States: []string{agenda.TaskOpen}}); err != nil || len(open) != 2 {
		t.Errorf("heating topic's open tasks: %d %v", len(open), err)
	}
	start := tp.StartedAt.In(svc.Location())
	if start.Year() != 2025 || start.Month() != time.April || start.Day() != 15 || !tp.GoalBy.Equal(tp.StartedAt.AddDate(0, 3, 0)) {
		t.Errorf("started %s, goal by %s", tp.StartedAt, tp.GoalBy)
	}
	if (tp.State != agenda.Active && tp.State != agenda.Met) || tp.Goal.Reduction != 0.5 || tp.Goal.Months != 3 ||
		!slices.Equal(tp.Criteria.Categories, []string{"market.prepaid"}) || len(tp.Criteria.Keywords) == 0 {
		t.Errorf("topic %+v", tp)
	}
	tasks, err := svc.St.Tasks(ctx, agenda.TaskFilter{TopicID: tp.ID})
	if err != nil || len(tasks) < 2 || len(tasks) > 3 {
		t.Fatalf("tasks: %d %v", len(tasks), err)
	}
	for _, k := range tasks {
		if k.State != agenda.TaskDone || k.Note == "" || k.DoneAt.IsZero() || k.Kind != agenda.KindTopic || k.UnitID == 0 {
			t.Errorf("task %+v", k)
		}
	}
}
