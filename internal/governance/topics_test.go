package governance_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"whistle/internal/agenda"
	"whistle/internal/auth"
	"whistle/internal/casework"
	"whistle/internal/core"
	"whistle/internal/demo"
	"whistle/internal/errs"
	"whistle/internal/governance"
	"whistle/internal/insight"
	"whistle/internal/org"
	"whistle/internal/ranking"
	"whistle/internal/seed"
	"whistle/internal/services"
	"whistle/internal/store"
)

type world struct {
	t          *testing.T
	ctx        context.Context
	dsn        string
	st         *store.Store
	svc        *services.Services
	clk        *clock
	dispatcher org.Actor // city centre
	analyst    org.Actor
	agent      org.Actor
	lead       org.Unit // a department leading the topic
	leadH      org.Actor
	partner    org.Unit // a street partnering and owning a task
	partnerH   org.Actor
	otherH     org.Actor // a handler of a unit with no part in it
	distOwn    org.Actor // district centre staff of the street's district
	distOther  org.Actor // district centre staff of another district
	street     org.Place
	category   string
}

func openWorld(t *testing.T, dsn string) *world {
	t.Helper()
	ctx := t.Context()
	st, err := store.Open(ctx, dsn, store.Options{SQLiteSync: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	loc, _ := time.LoadLocation("Asia/Shanghai")
	clk := &clock{t: time.Date(2026, 1, 5, 9, 0, 0, 0, loc)}
	svc, err := services.New(ctx, st, core.Config{Now: clk.Now, PhoneKey: []byte("topics-test-key"), ReopenLimit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Demo(ctx, svc, demo.Options{Seed: 5, Requests: 20}, auth.FastHasher(), nil); err != nil {
		t.Fatal(err)
	}
	closeSeededTopics(t, ctx, st)
	w := &world{t: t, ctx: ctx, dsn: dsn, st: st, svc: svc, clk: clk}
	actors := func(match func(u org.Unit) bool, role string) []org.Actor {
		var out []org.Actor
		for _, u := range svc.UnitsList() {
			if !match(u) {
				continue
			}
			users, err := st.Users(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, us := range users {
				if us.Has(role) {
					a, err := svc.Actor(us)
					if err != nil {
						t.Fatal(err)
					}
					out = append(out, a)
					break
				}
			}
		}
		if len(out) == 0 {
			t.Fatalf("no %s", role)
		}
		return out
	}
	kind := func(k string) func(org.Unit) bool { return func(u org.Unit) bool { return u.Kind == k } }
	w.dispatcher = actors(kind(org.KindCityCentre), org.RoleDispatcher)[0]
	w.agent = actors(kind(org.KindCityCentre), org.RoleAgent)[0]
	w.analyst = actors(func(org.Unit) bool { return true }, org.RoleAnalyst)[0]
	depts := actors(kind(org.KindDepartment), org.RoleHandler)
	w.leadH, w.lead = depts[0], depts[0].Unit
	streets := actors(kind(org.KindStreet), org.RoleHandler)
	w.partnerH, w.partner = streets[0], streets[0].Unit
	if len(depts) < 2 {
		t.Fatal("need two departments")
	}
	w.otherH = depts[1]
	w.street, _ = svc.Place(w.partner.PlaceID)
	for _, a := range actors(kind(org.KindDistrictCentre), org.RoleSupervisor) {
		if a.DistrictID == w.partnerH.DistrictID {
			w.distOwn = a
		} else {
			w.distOther = a
		}
	}
	if w.distOwn.User.ID == 0 || w.distOther.User.ID == 0 {
		t.Fatal("need district centres")
	}
	for _, c := range svc.Categories() {
		if c.Leaf && c.Active {
			w.category = c.Code
			break
		}
	}
	return w
}

// fillRollupsForTest writes insight_daily rows straight into the database:
// until the store maintains the rollups on every case write (the rollups
// helper's work), tracking has nothing else to read. n requests a day in
// the category, in the street (in) and in another street of the city (out).
func fillRollupsForTest(t *testing.T, w *world, from, to insight.Day, in, out func(d insight.Day) int) {
	t.Helper()
	var db *sql.DB
	var err error
	ph := func(i int) string { return "?" }
	if store.IsPostgres(w.dsn) {
		db, err = sql.Open("pgx", w.dsn)
		ph = func(i int) string { return "$" + strconv.Itoa(i) }
	} else {
		db, err = sql.Open("sqlite", "file:"+w.dsn+"?_pragma=busy_timeout(10000)")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ps []string
	for i := 1; i <= 12; i++ {
		ps = append(ps, ph(i))
	}
	q := "INSERT INTO insight_daily(day, category, district_id, street_id, community_id, grid_id, unit_id, n, reopened, rated, unsatisfied, resolved) VALUES (" + strings.Join(ps, ",") + ")"
	ch, _ := w.svc.Chain(w.street.ID)
	for d := from; d <= to; d++ {
		if n := in(d); n > 0 {
			if _, err := db.ExecContext(w.ctx, q, int64(d), w.category, ch[0], ch[1], 0, 0, w.lead.ID, n, 0, n, 0, n); err != nil {
				t.Fatal(err)
			}
		}
		if n := out(d); n > 0 {
			if _, err := db.ExecContext(w.ctx, q, int64(d), w.category, ch[0], 999999, 0, 0, w.lead.ID, n, 0, n, n/2, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func code(err error) errs.Code { return errs.CodeOf(err) }

func TestTopicFromCandidate(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		w := openWorld(t, dsn)
		ctx := w.ctx
		// A stored analysis with two candidates, as the workbench keeps it.
		doc := map[string]any{"report": map[string]any{"Candidates": []map[string]any{
			{"Rank": 1, "Kind": "category", "Category": "nothing.here"},
			{"Rank": 2, "Kind": "category", "Category": w.category, "WhyZh": "连续三周高于基线",
				"Places": []map[string]any{{"Level": "street", "Place": strconv.FormatInt(w.street.ID, 10), "Count": 31}}, "Volume": 31},
		}}}
		b, _ := json.Marshal(doc)
		run := &store.InsightRun{Params: "{}", From: 1, To: 2, CreatedAt: w.clk.Now(), Doc: string(b)}
		if err := w.st.Write(ctx, func(tx *store.Tx) error { return tx.PutInsightRun(ctx, run) }); err != nil {
			t.Fatal(err)
		}
		due := w.clk.Now().AddDate(0, 0, 14)
		in := governance.TopicInput{Title: "路灯", LeadUnitID: w.lead.ID, PartnerUnitIDs: []int64{w.partner.ID},
			Goal:   agenda.Goal{Reduction: 0.3, Months: 3},
			Source: &governance.TopicSource{RunID: run.ID, Rank: 2},
			Tasks: []governance.TaskInput{{UnitID: w.lead.ID, Title: "全面排查", DueAt: due},
				{UnitID: w.partner.ID, Title: "走访小区", DueAt: due.AddDate(0, 0, 7)}}}

		// Only the city's deciders create topics.
		for _, a := range []org.Actor{w.analyst, w.agent, w.leadH, w.distOwn} {
			if _, err := w.svc.Insight.CreateTopic(ctx, a, in); code(err) != errs.Forbidden {
				t.Fatalf("%v created a topic: %v", a.User.Roles, err)
			}
		}
		// Bad input is refused whole, with every field.
		bad := in
		bad.Tasks = []governance.TaskInput{{UnitID: 999999, Title: "", DueAt: w.clk.Now().Add(-time.Hour)}}
		bad.Goal = agenda.Goal{Reduction: 2, Months: 0}
		_, err := w.svc.Insight.CreateTopic(ctx, w.dispatcher, bad)
		if errs.Status(code(err)) != 422 || len(errs.FieldsOf(err)) < 4 {
			t.Fatalf("bad input: %v %d", err, len(errs.FieldsOf(err)))
		}
		if _, err := w.svc.Insight.CreateTopic(ctx, w.dispatcher, governance.TopicInput{Title: "x", LeadUnitID: w.lead.ID,
			Goal: agenda.Goal{Reduction: 0.3, Months: 3}, Source: &governance.TopicSource{RunID: run.ID, Rank: 9}}); code(err) != errs.NotFound {
			t.Fatalf("missing candidate: %v", err)
		}

		v, err := w.svc.Insight.CreateTopic(ctx, w.dispatcher, in)
		if err != nil {
			t.Fatal(err)
		}
		tp := v.Topic
		if tp.Source != "candidate" || !strings.Contains(tp.Evidence, "连续三周高于基线") ||
			len(tp.Criteria.Categories) != 1 || tp.Criteria.Categories[0] != w.category ||
			len(tp.Criteria.PlaceIDs) != 1 || tp.Criteria.PlaceIDs[0] != w.street.ID {
			t.Fatalf("criteria not taken from the candidate: %+v", tp)
		}
		if !tp.GoalBy.Equal(tp.StartedAt.AddDate(0, 3, 0)) || tp.State != agenda.Active || tp.Version != 1 {
			t.Fatalf("topic %+v", tp)
		}
		// The tasks are open in their owners' inboxes.
		for _, u := range []int64{w.lead.ID, w.partner.ID} {
			tasks, err := w.st.Tasks(ctx, agenda.TaskFilter{UnitID: u, States: []string{agenda.TaskOpen}})
			if err != nil || len(tasks) != 1 || tasks[0].TopicID != tp.ID || tasks[0].Kind != agenda.KindTopic {
				t.Fatalf("unit %d inbox: %v %+v", u, err, tasks)
			}
		}

		// Scope: city staff, the street's district centre, the lead and the
		// partner see it; another unit and another district do not.
		for _, c := range []struct {
			name string
			a    org.Actor
			see  bool
		}{{"analyst", w.analyst, true}, {"district", w.distOwn, true}, {"lead", w.leadH, true}, {"partner", w.partnerH, true},
			{"other unit", w.otherH, false}, {"other district", w.distOther, false}} {
			_, err := w.svc.Insight.Topic(ctx, c.a, tp.ID)
			list, lerr := w.svc.Insight.Topics(ctx, c.a)
			if lerr != nil {
				t.Fatal(lerr)
			}
			listed := 0 // the demo's own spring topic may be listed too
			for _, x := range list {
				if x.ID == tp.ID {
					listed++
				}
			}
			if (err == nil) != c.see || (listed == 1) != c.see {
				t.Fatalf("%s: see=%v, got err %v, list %d", c.name, c.see, err, len(list))
			}
			if !c.see && code(err) != errs.NotFound {
				t.Fatalf("%s: %v", c.name, err)
			}
		}

		// Versions: a stale edit conflicts; a fresh one bumps the version.
		title := "路灯不亮专项治理"
		if _, err := w.svc.Insight.UpdateTopic(ctx, w.dispatcher, tp.ID, governance.TopicPatch{Version: 7, Title: &title}); code(err) != errs.Conflict {
			t.Fatalf("stale: %v", err)
		}
		up, err := w.svc.Insight.UpdateTopic(ctx, w.dispatcher, tp.ID, governance.TopicPatch{Version: 1, Title: &title, Goal: &agenda.Goal{Reduction: 0.4, Months: 2}})
		if err != nil || up.Version != 2 || up.Title != title || !up.GoalBy.Equal(up.StartedAt.AddDate(0, 2, 0)) {
			t.Fatalf("update %v %+v", err, up)
		}
		if _, err := w.svc.Insight.UpdateTopic(ctx, w.leadH, tp.ID, governance.TopicPatch{Title: &title}); code(err) != errs.Forbidden {
			t.Fatalf("lead edited: %v", err)
		}
		task, err := w.svc.Insight.AddTask(ctx, w.dispatcher, tp.ID, governance.TaskInput{UnitID: w.partner.ID, Title: "复查", DueAt: due})
		if err != nil || task.State != agenda.TaskOpen {
			t.Fatalf("add task %v", err)
		}
		// Closing withdraws the open tasks; a closed topic takes no edit.
		cl, err := w.svc.Insight.CloseTopic(ctx, w.dispatcher, tp.ID, "并入其他专项")
		if err != nil || cl.State != agenda.Closed {
			t.Fatalf("close %v", err)
		}
		open, _ := w.st.Tasks(ctx, agenda.TaskFilter{TopicID: tp.ID, States: []string{agenda.TaskOpen}})
		if len(open) != 0 {
			t.Fatalf("open tasks after close: %d", len(open))
		}
		if _, err := w.svc.Insight.CloseTopic(ctx, w.dispatcher, tp.ID, ""); code(err) != errs.InvalidTransition {
			t.Fatalf("close twice: %v", err)
		}
	})
}

func TestTopicTrackingAndJudge(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		w := openWorld(t, dsn)
		ctx := w.ctx
		loc := w.svc.Location()
		start := time.Date(2027, 3, 1, 10, 0, 0, 0, loc) // a Monday
		w.clk.Set(start)
		s := insight.DayOf(start)
		// 4 a day in the street before the start (28 a week), 2 a day after
		// (14 a week: down 50 %); elsewhere 10 a day throughout.
		fillRollupsForTest(t, w, s-7*agenda.BeforeWeeks, s+7*9-1,
			func(d insight.Day) int {
				if d < s {
					return 4
				}
				return 2
			},
			func(insight.Day) int { return 10 })
		v, err := w.svc.Insight.CreateTopic(ctx, w.dispatcher, governance.TopicInput{Title: "路灯不亮", LeadUnitID: w.lead.ID,
			Criteria: agenda.Criteria{Categories: []string{w.category}, PlaceIDs: []int64{w.street.ID}},
			Goal:     agenda.Goal{Reduction: 0.3, Months: 2}})
		if err != nil {
			t.Fatal(err)
		}
		id := v.Topic.ID
		// Three weeks in: tracking shows before/after; too early to judge.
		w.clk.Set(start.AddDate(0, 0, 22))
		tr, err := w.svc.Insight.Track(ctx, w.leadH, id)
		if err != nil {
			t.Fatal(err)
		}
		if tr.BeforeWeeks != 12 || tr.AfterWeeks != 3 || tr.BeforeMean != 28 || tr.AfterMean != 14 || tr.Change != -0.5 ||
			tr.Comparison != agenda.SeriesPlaces || tr.CompBeforeMean != 70 || tr.CompChange != 0 || tr.DiD != -14 || len(tr.Weeks) != 15 {
			t.Fatalf("tracking %+v", tr)
		}
		if tr.Rates.ResolvedBefore == nil || *tr.Rates.ResolvedBefore != 1 || tr.Rates.SatisfiedAfter == nil || *tr.Rates.SatisfiedAfter != 1 {
			t.Fatalf("rates %+v", tr.Rates)
		}
		if n, err := w.svc.Insight.JudgeTopics(ctx, w.clk.Now()); err != nil || n != 0 {
			t.Fatalf("judged early: %d %v", n, err)
		}
		// Five weeks in: met ahead of the date, credited once for March.
		w.clk.Set(start.AddDate(0, 0, 36))
		for i := 0; i < 3; i++ {
			n, err := w.svc.Insight.JudgeTopics(ctx, w.clk.Now())
			if err != nil || n != map[bool]int{true: 1, false: 0}[i == 0] {
				t.Fatalf("judge round %d: %d %v", i, n, err)
			}
		}
		got, err := w.svc.Insight.Topic(ctx, w.dispatcher, id)
		if err != nil {
			t.Fatal(err)
		}
		o := got.Topic.Outcome
		if got.Topic.State != agenda.Met || o == nil || !o.Met || o.Credited != "2027-04" || o.Change != -0.5 || o.P > 1e-6 {
			t.Fatalf("verdict %+v %+v", got.Topic, o)
		}
		items, err := w.st.AssessItems(ctx, "2027-04")
		if err != nil {
			t.Fatal(err)
		}
		credited := 0
		for _, it := range items {
			if it.Kind == ranking.ItemTopic && it.UnitID == w.lead.ID {
				credited++
			}
		}
		if credited != 1 {
			t.Fatalf("credited %d times: %+v", credited, items)
		}

		// A topic that does not fall is missed at its date, and not credited.
		w.clk.Set(start)
		v2, err := w.svc.Insight.CreateTopic(ctx, w.dispatcher, governance.TopicInput{Title: "别处", LeadUnitID: w.otherH.Unit.ID,
			Criteria: agenda.Criteria{Categories: []string{w.category}}, Goal: agenda.Goal{Reduction: 0.3, Months: 1}})
		if err != nil {
			t.Fatal(err)
		}
		w.clk.Set(start.AddDate(0, 1, 1))
		if n, err := w.svc.Insight.JudgeTopics(ctx, w.clk.Now()); err != nil || n != 1 {
			t.Fatalf("judge missed: %d %v", n, err)
		}
		got, _ = w.svc.Insight.Topic(ctx, w.dispatcher, v2.Topic.ID)
		if got.Topic.State != agenda.Missed || got.Topic.Outcome == nil || got.Topic.Outcome.Credited != "" {
			t.Fatalf("missed %+v", got.Topic)
		}
	})
}

// A topic with keywords counts the requests whose text holds them,
// straight from the cases (no rollups needed).
func TestTopicKeywordsTracking(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		w := openWorld(t, dsn)
		ctx := w.ctx
		loc := w.svc.Location()
		start := time.Date(2026, 6, 1, 10, 0, 0, 0, loc)
		phone := 0
		create := func(at time.Time, text string) {
			w.clk.Set(at)
			phone++
			if _, _, err := w.svc.Cases.Create(ctx, w.agent, casework.NewCase{Channel: "phone", Type: "complaint", Category: w.category, Urgency: "general",
				Description: text, CitizenPhone: "1390001" + strconv.Itoa(1000+phone), PlaceID: w.street.ID}, ""); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < 6; i++ {
			create(start.AddDate(0, 0, -7*i-2), "小区门口共享单车乱停放")
			create(start.AddDate(0, 0, -7*i-3), "共享单车堵路")
			create(start.AddDate(0, 0, -7*i-4), "噪音扰民")
		}
		w.clk.Set(start)
		v, err := w.svc.Insight.CreateTopic(ctx, w.dispatcher, governance.TopicInput{Title: "共享单车", LeadUnitID: w.lead.ID,
			Criteria: agenda.Criteria{Keywords: []string{"共享单车"}}, Goal: agenda.Goal{Reduction: 0.3, Months: 3}})
		if err != nil {
			t.Fatal(err)
		}
		create(start.AddDate(0, 0, 3), "共享单车又堆满了")
		w.clk.Set(start.AddDate(0, 0, 15))
		tr, err := w.svc.Insight.Track(ctx, w.dispatcher, v.Topic.ID)
		if err != nil {
			t.Fatal(err)
		}
		if tr.Source != "texts" || tr.AfterWeeks != 2 || tr.BeforeMean != 1 || tr.AfterMean != 0.5 {
			t.Fatalf("keywords tracking %+v", tr)
		}
	})
}
