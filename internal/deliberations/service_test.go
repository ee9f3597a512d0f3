package deliberations_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"whistle/internal/agenda"
	"whistle/internal/auth"
	"whistle/internal/core"
	"whistle/internal/deliberation"
	"whistle/internal/deliberations"
	"whistle/internal/demo"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/pgtest"
	"whistle/internal/seed"
	"whistle/internal/services"
	"whistle/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// world is a small demo city with the actors the tests need: the handlers
// of two streets (one in another district when the city has one), a
// department's handler, the city centre's dispatcher and a district
// centre's supervisor.
type world struct {
	ctx        context.Context
	svc        *services.Services
	st         *store.Store
	d          *deliberations.Service
	own, other org.Actor // handlers of two street offices
	dept       org.Actor // a department's handler
	dispatcher org.Actor // the city centre
	district   org.Actor // a district centre of another district than own's
	caseID     int64     // a request own's unit can see
	otherCase  int64     // a request only other's unit (not own's) can see
	community  int64     // a community of own's street
}

func openWorld(t *testing.T, dsn string) *world {
	t.Helper()
	ctx := t.Context()
	st, err := store.Open(ctx, dsn, store.Options{SQLiteSync: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	loc := time.FixedZone("Asia/Shanghai", 8*3600)
	clk := &clock{t: time.Date(2026, 11, 2, 10, 0, 0, 0, loc)}
	svc, err := services.New(ctx, st, core.Config{Now: clk.Now, PhoneKey: []byte("deliberation-test-key"), ReopenLimit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Demo(ctx, svc, demo.Options{Seed: 5, Requests: 80}, auth.FastHasher(), nil); err != nil {
		t.Fatal(err)
	}
	w := &world{ctx: ctx, svc: svc, st: st, d: svc.Deliberations}
	actors := map[int64]org.Actor{}
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
			case (u.Kind == org.KindStreet || u.Kind == org.KindDepartment) && us.Has(org.RoleHandler) && actors[u.ID].User.ID == 0:
				actors[u.ID] = a
			}
		}
	}
	// own: the first street whose unit leads a request.
	for _, u := range svc.UnitsList() {
		a, ok := actors[u.ID]
		if !ok {
			continue
		}
		if u.Kind == org.KindDepartment && w.dept.User.ID == 0 {
			w.dept = a
			continue
		}
		if u.Kind != org.KindStreet {
			continue
		}
		p, err := svc.Cases.List(ctx, a, lifecycle.CaseFilter{LeadUnitID: u.ID})
		if err != nil || len(p.Cases) == 0 {
			continue
		}
		switch {
		case w.own.User.ID == 0:
			w.own, w.caseID = a, p.Cases[0].ID
		case w.other.User.ID == 0:
			if err := svc.Cases.InScope(ctx, w.own, p.Cases[0].ID); errs.Is(err, errs.NotFound) {
				w.other, w.otherCase = a, p.Cases[0].ID
			}
		}
	}
	ownDistrict := w.own.DistrictID
	for _, u := range svc.UnitsList() {
		if u.Kind != org.KindDistrictCentre || u.PlaceID == ownDistrict {
			continue
		}
		users, _ := st.Users(ctx, u.ID)
		for _, us := range users {
			if us.Has(org.RoleSupervisor) && w.district.User.ID == 0 {
				w.district, _ = svc.Actor(us)
			}
		}
	}
	// A community without a community unit of its own, which the street
	// itself serves (a residents' proposal goes to the community's unit
	// where it has one).
	hasUnit := map[int64]bool{}
	for _, u := range svc.UnitsList() {
		if u.Kind == org.KindCommunity {
			hasUnit[u.PlaceID] = true
		}
	}
	for _, p := range svc.Children(w.own.Unit.PlaceID) {
		if p.Level == org.LevelCommunity && !hasUnit[p.ID] {
			w.community = p.ID
			break
		}
	}
	if w.own.User.ID == 0 || w.other.User.ID == 0 || w.dept.User.ID == 0 || w.dispatcher.User.ID == 0 || w.district.User.ID == 0 || w.community == 0 {
		t.Fatalf("demo city lacks an actor: own %v other %v dept %v dispatcher %v district %v community %d",
			w.own.User.ID, w.other.User.ID, w.dept.User.ID, w.dispatcher.User.ID, w.district.User.ID, w.community)
	}
	return w
}

func eachStore(t *testing.T, fn func(t *testing.T, w *world)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, openWorld(t, filepath.Join(t.TempDir(), "w.db"))) })
	t.Run("postgres", func(t *testing.T) { fn(t, openWorld(t, pgtest.NewDatabase(t))) })
}

// TestDeliberationWorkflow: raised from a request, scheduled, decided with
// votes, two follow-up tasks that reach their owners' inboxes and are
// completed there, closed; every step versioned and audited.
func TestDeliberationWorkflow(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		d, now := w.d, w.svc.Now()
		v, err := d.Raise(w.ctx, w.own, deliberations.RaiseInput{Title: "小区停车难", Summary: "晚间车辆占用消防通道", PlaceID: w.community, CaseIDs: []int64{w.caseID}})
		if err != nil {
			t.Fatal(err)
		}
		id := v.Item.ID
		if v.Item.State != deliberation.Accepted || v.Item.Version != 1 || !v.MayManage {
			t.Fatalf("raised %+v", v.Item)
		}
		// A stale version is a conflict; a decision before the meeting is refused.
		if _, err := d.Schedule(w.ctx, w.own, id, deliberations.MeetingInput{Version: 7, At: now.Add(48 * time.Hour), Venue: "议事厅"}); !errs.Is(err, errs.Conflict) {
			t.Errorf("stale version: %v", err)
		}
		if _, err := d.Decide(w.ctx, w.own, id, deliberations.DecisionInput{Version: 1, Minutes: "m", Motion: "m", Votes: deliberation.Votes{For: 1}}); !errs.Is(err, errs.InvalidTransition) {
			t.Errorf("decide before the meeting: %v", err)
		}
		v, err = d.Schedule(w.ctx, w.own, id, deliberations.MeetingInput{Version: 1, At: now.Add(48 * time.Hour), Venue: "社区议事厅",
			Participants: []deliberation.Participant{{Kind: deliberation.PartResident, Name: "张三丰"}, {Kind: deliberation.PartDept, UnitID: w.dept.Unit.ID}, {Kind: deliberation.PartOwners, Name: "业委会"}}})
		if err != nil {
			t.Fatal(err)
		}
		if v.Item.State != deliberation.Scheduled || v.Item.Meeting.Participants[0].Name != "张**" {
			t.Errorf("scheduled %+v", v.Item.Meeting)
		}
		v, err = d.Decide(w.ctx, w.own, id, deliberations.DecisionInput{Version: v.Item.Version, Minutes: "居民代表张三丰发言……", Motion: "施划夜间临时停车位",
			Votes: deliberation.Votes{For: 9, Against: 2, Abstain: 1}, Quorum: 10})
		if err != nil {
			t.Fatal(err)
		}
		if v.Item.State != deliberation.Decided || !v.Item.Decision.Adopted {
			t.Errorf("decided %+v", v.Item.Decision)
		}
		due := now.Add(7 * 24 * time.Hour)
		if _, err := d.AddTasks(w.ctx, w.own, id, v.Item.Version, []deliberations.TaskInput{{UnitID: w.dept.Unit.ID, Title: "x", DueAt: now.Add(-time.Hour)}}); !errs.Is(err, errs.DeadlineInPast) {
			t.Errorf("a task due in the past: %v", err)
		}
		v, err = d.AddTasks(w.ctx, w.own, id, v.Item.Version, []deliberations.TaskInput{
			{UnitID: w.dept.Unit.ID, Title: "增设停车引导标识", DueAt: due}, {UnitID: w.own.Unit.ID, Title: "组织物业施划车位", DueAt: due.Add(24 * time.Hour)}})
		if err != nil {
			t.Fatal(err)
		}
		if v.Total != 2 || v.Done != 0 || v.MayClose {
			t.Fatalf("tasks %d/%d close %v", v.Done, v.Total, v.MayClose)
		}
		// The department owes a task: the item is in its list.
		if list, err := d.List(w.ctx, w.dept); err != nil || !slices.ContainsFunc(list, func(s deliberations.Summary) bool { return s.ID == id && s.Total == 2 }) {
			t.Errorf("the department's list: %v %v", list, err)
		}
		if _, err := d.Close(w.ctx, w.own, id, v.Item.Version); !errs.Is(err, errs.InvalidTransition) {
			t.Errorf("closed with open tasks: %v", err)
		}
		// Each owner finds its task in its inbox and completes it there.
		for i, a := range []org.Actor{w.dept, w.own} {
			in, err := w.svc.Insight.Inbox(w.ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			var task *agenda.Task
			for _, tk := range in {
				if tk.DeliberationID == id {
					task = tk
				}
			}
			if task == nil || task.Kind != agenda.KindDeliberation || task.ID != v.Tasks[i].ID {
				t.Fatalf("owner %d's inbox lacks its task: %v", i, in)
			}
			if _, err := w.svc.Insight.CompleteTask(w.ctx, a, task.ID, "已完成"); err != nil {
				t.Fatal(err)
			}
		}
		// The department sat at the meeting and owns a task: it reads the
		// item, residents' names masked, and may not move it or reveal.
		dv, err := d.Get(w.ctx, w.dept, id)
		if err != nil || dv.MayManage || dv.MayReveal || dv.Done != 2 || !strings.Contains(dv.Item.Meeting.Participants[0].Name, "*") {
			t.Fatalf("the department's view %+v %v", dv, err)
		}
		if _, err := d.Reveal(w.ctx, w.dept, id); !errs.Is(err, errs.Forbidden) {
			t.Errorf("the department revealed: %v", err)
		}
		if _, err := d.Close(w.ctx, w.dept, id, 0); !errs.Is(err, errs.Forbidden) {
			t.Errorf("the department closed: %v", err)
		}
		rv, err := d.Reveal(w.ctx, w.own, id)
		if err != nil || rv.Item.Meeting.Participants[0].Name != "张三丰" {
			t.Fatalf("reveal %v %v", rv, err)
		}
		v, _ = d.Get(w.ctx, w.own, id)
		if !v.MayClose {
			t.Error("not closable with every task done")
		}
		v, err = d.Close(w.ctx, w.own, id, v.Item.Version)
		if err != nil || v.Item.State != deliberation.Closed {
			t.Fatalf("close: %v", err)
		}
		// The portal: decision, votes, 2/2, and no personal data.
		p, err := d.PublicGet(w.ctx, id)
		if err != nil || p.Done != 2 || p.Total != 2 || p.Decision.Votes.For != 9 || p.Participants != 3 {
			t.Fatalf("public %+v %v", p, err)
		}
		if b, _ := json.Marshal(p); strings.Contains(string(b), "张三丰") || strings.Contains(string(b), "张*") || strings.Contains(string(b), "minutes") {
			t.Errorf("personal data or minutes on the portal: %s", b)
		}
		list, err := d.PublicList(w.ctx, w.own.Unit.PlaceID)
		if err != nil || len(list) == 0 || !slices.ContainsFunc(list, func(x deliberations.PublicItem) bool { return x.ID == id && x.Done == 2 }) {
			t.Errorf("public list of the street: %v %v", list, err)
		}
		// Every step is in the audit log.
		entries, err := w.st.AuditLog(w.ctx, 0, 500)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range entries {
			if e.Target == fmt.Sprintf("deliberation:%d", id) {
				actions = append(actions, e.Action)
			}
		}
		for _, want := range []string{"deliberation_raise", "deliberation_schedule", "deliberation_decide", "deliberation_tasks", "deliberation_reveal", "deliberation_close"} {
			if !slices.Contains(actions, want) {
				t.Errorf("audit lacks %s: %v", want, actions)
			}
		}
	})
}

// TestDeliberationScope: another street's staff, a district centre of
// another district and a department without a part get not found; the
// city centre reads but does not manage; a request or topic outside the
// actor's scope cannot be raised.
func TestDeliberationScope(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		d := w.d
		v, err := d.Raise(w.ctx, w.own, deliberations.RaiseInput{Title: "垃圾分类驿站选址", PlaceID: w.community, CaseIDs: []int64{w.caseID}})
		if err != nil {
			t.Fatal(err)
		}
		id := v.Item.ID
		for _, c := range []struct {
			name   string
			a      org.Actor
			see    bool
			manage errs.Code
		}{
			{"another street", w.other, false, errs.NotFound},
			{"another district's centre", w.district, false, errs.NotFound},
			{"a department with no part", w.dept, false, errs.NotFound},
			{"the city centre", w.dispatcher, true, errs.Forbidden},
		} {
			_, err := d.Get(w.ctx, c.a, id)
			if (err == nil) != c.see || (err != nil && !errs.Is(err, errs.NotFound)) {
				t.Errorf("%s: Get = %v, want visible %v", c.name, err, c.see)
			}
			if _, err := d.Schedule(w.ctx, c.a, id, deliberations.MeetingInput{At: w.svc.Now().Add(time.Hour), Venue: "v"}); !errs.Is(err, c.manage) {
				t.Errorf("%s: Schedule = %v, want %s", c.name, err, c.manage)
			}
			if _, err := d.Reveal(w.ctx, c.a, id); err == nil {
				t.Errorf("%s revealed", c.name)
			}
			list, _ := d.List(w.ctx, c.a)
			if slices.ContainsFunc(list, func(s deliberations.Summary) bool { return s.ID == id }) != c.see {
				t.Errorf("%s: listed %v, want %v", c.name, !c.see, c.see)
			}
		}
		// Raising from a request the unit cannot see, for a place outside
		// its area, or as a department.
		if _, err := d.Raise(w.ctx, w.own, deliberations.RaiseInput{Title: "x", PlaceID: w.community, CaseIDs: []int64{w.otherCase}}); !errs.Is(err, errs.NotFound) {
			t.Errorf("another street's request: %v", err)
		}
		if _, err := d.Raise(w.ctx, w.other, deliberations.RaiseInput{Title: "x", PlaceID: w.community, CaseIDs: []int64{w.otherCase}}); !errs.Is(err, errs.OutsideArea) {
			t.Errorf("a place outside the area: %v", err)
		}
		if _, err := d.Raise(w.ctx, w.dept, deliberations.RaiseInput{Title: "x", PlaceID: w.community, CaseIDs: []int64{w.caseID}}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("a department raised: %v", err)
		}
		if _, err := d.Raise(w.ctx, w.own, deliberations.RaiseInput{Title: "x", PlaceID: w.community, TopicID: 999999}); !errs.Is(err, errs.NotFound) {
			t.Errorf("an unknown topic: %v", err)
		}
		// Not on the portal before it is accepted: a resident's proposal.
		pid, err := d.Propose(w.ctx, deliberations.ProposeInput{PlaceID: w.community, Title: "加装电梯", Summary: "联系我 13912345678", Name: "王五", Phone: "13912345678"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.PublicGet(w.ctx, pid); !errs.Is(err, errs.NotFound) {
			t.Errorf("a proposal on the portal: %v", err)
		}
		pv, err := d.Get(w.ctx, w.own, pid)
		if err != nil || pv.Item.State != deliberation.Proposed || pv.ProposerPhone == "13912345678" || pv.ProposerName != "王*" {
			t.Fatalf("the owner's view of a proposal: %+v %v", pv, err)
		}
		if _, err := d.Get(w.ctx, w.other, pid); !errs.Is(err, errs.NotFound) {
			t.Errorf("another street sees the proposal: %v", err)
		}
		pv, err = d.Accept(w.ctx, w.own, pid, pv.Item.Version)
		if err != nil {
			t.Fatal(err)
		}
		p, err := d.PublicGet(w.ctx, pid)
		if err != nil || strings.Contains(p.Summary, "13912345678") {
			t.Errorf("the accepted proposal on the portal: %+v %v", p, err)
		}
		if _, err := d.Propose(w.ctx, deliberations.ProposeInput{PlaceID: w.community, Title: "x", Phone: "12"}); !errs.Is(err, errs.InvalidPhone) {
			t.Errorf("a bad phone: %v", err)
		}
		if _, err := d.Propose(w.ctx, deliberations.ProposeInput{PlaceID: w.community, Title: "x"}); !errs.Is(err, errs.FieldRequired) {
			t.Errorf("no phone: %v", err)
		}
		// Declined: off the portal.
		q, _ := d.Propose(w.ctx, deliberations.ProposeInput{PlaceID: w.community, Title: "养鸽子", Phone: "13812345678"})
		if _, err := d.Decline(w.ctx, w.own, q, 0, ""); !errs.Is(err, errs.FieldRequired) {
			t.Errorf("a decline without reason: %v", err)
		}
		if v, err := d.Decline(w.ctx, w.own, q, 0, "不属于议事范围"); err != nil || v.Item.State != deliberation.Declined {
			t.Errorf("decline: %v", err)
		}
		if _, err := d.PublicGet(w.ctx, q); !errs.Is(err, errs.NotFound) {
			t.Errorf("a declined item on the portal: %v", err)
		}
	})
}
