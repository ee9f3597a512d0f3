package community_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"whistle/internal/auth"
	"whistle/internal/community"
	"whistle/internal/core"
	"whistle/internal/demo"
	"whistle/internal/errs"
	"whistle/internal/ledger"
	"whistle/internal/org"
	"whistle/internal/seed"
	"whistle/internal/services"
	"whistle/internal/store"
	"whistle/internal/volunteering"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type world struct {
	t   *testing.T
	ctx context.Context
	svc *services.Services
	st  *store.Store
	clk *clock
	// the demo's first community: its handler and leader, and one
	// volunteer's account; the second community's handler; the first
	// street's handler.
	cm, cm2             org.Unit
	handler, leader     org.Actor
	volunteer, handler2 org.Actor
	streetH             org.Actor
	all                 []org.Actor // one actor of every demo user
}

func openWorld(t *testing.T) *world {
	t.Helper()
	ctx := t.Context()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "w.db"), store.Options{SQLiteSync: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	loc := time.FixedZone("CST", 8*3600)
	clk := &clock{t: time.Date(2026, 11, 20, 9, 0, 0, 0, loc)}
	svc, err := services.New(ctx, st, core.Config{Now: clk.Now, PhoneKey: []byte("community-test-key"), Loc: loc, ReopenLimit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Demo(ctx, svc, demo.Options{Seed: 5, Requests: 40}, auth.FastHasher(), nil); err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, ctx: ctx, svc: svc, st: st, clk: clk}
	cms := svc.Community.Communities()
	if len(cms) != demo.CommunityCount {
		t.Fatalf("%d communities, want %d", len(cms), demo.CommunityCount)
	}
	w.cm, w.cm2 = cms[0], cms[1]
	for _, u := range svc.UnitsList() {
		us, err := st.Users(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range us {
			a, err := svc.Actor(x)
			if err != nil {
				t.Fatal(err)
			}
			w.all = append(w.all, a)
			switch {
			case u.ID == w.cm.ID && x.Has(org.RoleHandler):
				w.handler = a
			case u.ID == w.cm.ID && x.Has(org.RoleLeader):
				w.leader = a
			case u.ID == w.cm.ID && x.Has(org.RoleVolunteer) && w.volunteer.User.ID == 0:
				w.volunteer = a
			case u.ID == w.cm2.ID && x.Has(org.RoleHandler):
				w.handler2 = a
			case u.ID == w.cm.SupervisorID && x.Has(org.RoleHandler):
				w.streetH = a
			}
		}
	}
	if w.handler.User.ID == 0 || w.leader.User.ID == 0 || w.volunteer.User.ID == 0 || w.handler2.User.ID == 0 || w.streetH.User.ID == 0 {
		t.Fatal("the demo communities lack staff or volunteers")
	}
	return w
}

// must returns v, or stops the test (by a panic the test reports) on err.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestVolunteerJourney: a resident registers on the portal, the
// community approves (an account is made), the volunteer signs up for a
// task, checks in and out by the server's clock, the staff confirm the
// hours, the points follow the exchange, and the hours appear in the
// youth league's ledger.
func TestVolunteerJourney(t *testing.T) {
	w := openWorld(t)
	ctx := w.ctx
	v, err := w.svc.Community.Register(ctx, volunteering.Registration{UnitID: w.cm.ID, Name: "练晓舟", Phone: "13712345678", Skills: []string{"patrol"}})
	if err != nil || v.State != volunteering.Pending {
		t.Fatalf("register: %+v %v", v, err)
	}
	if _, err := w.svc.Community.Register(ctx, volunteering.Registration{UnitID: w.streetH.Unit.ID, Name: "练", Phone: "13712345678"}); !errs.Is(err, errs.UnknownUnit) {
		t.Errorf("registering with a street: %v", err)
	}
	// Another community's staff cannot see or approve it.
	if _, err := w.svc.Community.Approve(ctx, w.handler2, v.ID, community.Approval{Username: "lxz", Password: "a-long-password-1"}, auth.FastHasher()); !errs.Is(err, errs.NotFound) {
		t.Errorf("approval by another community: %v", err)
	}
	if _, err := w.svc.Community.Approve(ctx, w.volunteer, v.ID, community.Approval{Username: "lxz", Password: "a-long-password-1"}, auth.FastHasher()); !errs.Is(err, errs.NotFound) {
		t.Errorf("approval by a volunteer: %v", err)
	}
	v, err = w.svc.Community.Approve(ctx, w.handler, v.ID, community.Approval{Username: "lxz", Password: "a-long-password-1"}, auth.FastHasher())
	if err != nil || v.State != volunteering.Active || v.UserID == 0 || v.Phone != "137****5678" {
		t.Fatalf("approve: %+v %v", v, err)
	}
	if _, err := w.svc.Community.Approve(ctx, w.handler, v.ID, community.Approval{Username: "lxz2", Password: "a-long-password-1"}, auth.FastHasher()); !errs.Is(err, errs.Conflict) {
		t.Errorf("approving twice: %v", err)
	}
	u := must(w.st.User(ctx, v.UserID))
	if !u.Has(org.RoleVolunteer) || org.StaffUser(u) || u.UnitID != w.cm.ID {
		t.Fatalf("the account: %+v", u)
	}
	tok, _, err := w.svc.Accounts.Login(ctx, auth.NewLoginLimiter(100, time.Minute), "lxz", "a-long-password-1", "test")
	if err != nil {
		t.Fatalf("the new volunteer logs in: %v", err)
	}
	vol := must(w.svc.Accounts.Authenticate(ctx, tok))

	start := w.clk.Now().Add(time.Hour)
	task, err := w.svc.Community.PublishTask(ctx, w.handler, volunteering.Task{Kind: volunteering.TaskPatrol, Title: "周末巡河", Place: "河堤北段", StartsAt: start, EndsAt: start.Add(3 * time.Hour), Slots: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Community.PublishTask(ctx, w.streetH, volunteering.Task{Kind: volunteering.TaskPatrol, Title: "x", Place: "y", StartsAt: start, EndsAt: start.Add(time.Hour), Slots: 1}); !errs.Is(err, errs.NotFound) {
		t.Errorf("a street publishing a community's task: %v", err)
	}
	// Another community's volunteer does not see the task.
	other := org.Actor{}
	for _, a := range w.all {
		if a.User.Has(org.RoleVolunteer) && a.Unit.ID == w.cm2.ID {
			other = a
			break
		}
	}
	if err := w.svc.Community.SignUp(ctx, other, task.ID); !errs.Is(err, errs.NotFound) {
		t.Errorf("another community's volunteer: %v", err)
	}
	if err := w.svc.Community.CheckIn(ctx, vol, task.ID); !errs.Is(err, errs.NotFound) {
		t.Errorf("check-in before sign-up: %v", err)
	}
	if err := w.svc.Community.SignUp(ctx, vol, task.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Community.SignUp(ctx, w.volunteer, task.ID); !errs.Is(err, errs.Conflict) {
		t.Errorf("the last slot taken twice: %v", err)
	}
	w.clk.Add(50 * time.Minute)
	if err := w.svc.Community.CheckIn(ctx, vol, task.ID); err != nil {
		t.Fatal(err)
	}
	w.clk.Add(2*time.Hour + 15*time.Minute)
	if err := w.svc.Community.CheckOut(ctx, vol, task.ID); err != nil {
		t.Fatal(err)
	}
	d := must(w.svc.Community.Task(ctx, w.handler, task.ID))
	if len(d.Signups) != 1 || d.Signups[0].Minutes != 135 || d.Signups[0].State() != volunteering.Done {
		t.Fatalf("task detail: %+v", d.Signups)
	}
	if _, err := w.svc.Community.ConfirmHours(ctx, w.handler2, task.ID, v.ID, -1); !errs.Is(err, errs.NotFound) {
		t.Errorf("confirmation by another community: %v", err)
	}
	su, err := w.svc.Community.ConfirmHours(ctx, w.leader, task.ID, v.ID, -1)
	if err != nil || su.Minutes != 135 || su.Points != 20 { // 4 half hours of 10 points an hour
		t.Fatalf("confirm: %+v %v", su, err)
	}
	me := must(w.svc.Community.MyPage(ctx, vol))
	if me.Minutes != 135 || me.Points != 20 || me.Hours() != 2.3 || len(me.Mine) != 1 {
		t.Errorf("my page: %+v", me)
	}
	if _, err := w.svc.Community.MyPage(ctx, w.handler); !errs.Is(err, errs.NotFound) {
		t.Errorf("staff's volunteer page: %v", err)
	}

	sh := must(w.svc.Community.Ledger(ctx, w.handler, "youth-volunteer", w.clk.Now().Format("2006-01")))
	found := false
	for _, r := range sh.Rows {
		if r[1] == "周末巡河" && r[4] == 2.3 && r[3] == "练**" {
			found = true
		}
	}
	if !found {
		t.Errorf("the youth league's ledger lacks the service: %v", sh.Rows)
	}
	var buf bytes.Buffer
	if err := w.svc.Community.LedgerXLSX(ctx, w.handler, "youth-volunteer", w.clk.Now().Format("2006-01"), "zh-CN", &buf); err != nil {
		t.Fatal(err)
	}
	x := must(excelize.OpenReader(&buf))
	rows := must(x.GetRows("Sheet1"))
	if len(rows) < 3 || rows[1][4] != "时长（小时）" || !strings.Contains(strings.Join(rows[0], ""), "团委") {
		t.Errorf("xlsx: %v", rows)
	}
	if _, err := w.svc.Community.Ledger(ctx, w.handler, "no-such-ledger", "2026-11"); !errs.Is(err, errs.NotFound) {
		t.Errorf("a ledger that does not exist: %v", err)
	}
	if _, err := w.svc.Community.Ledger(ctx, w.handler, "youth-volunteer", "2026-13"); !errs.Is(err, errs.Invalid) {
		t.Errorf("a bad period: %v", err)
	}
}

// TestCareListOnlyOwnStaff: every demo user but the community's own
// handlers and leaders gets 404 on its care list, a person on it, and
// recording a visit; every view by its staff is in the audit log.
func TestCareListOnlyOwnStaff(t *testing.T) {
	w := openWorld(t)
	ctx := w.ctx
	list := must(w.svc.Community.CareList(ctx, w.handler))
	if len(list) == 0 {
		t.Fatal("the demo community has no care list")
	}
	id := list[0].ID
	checked := 0
	for _, a := range append(w.all, org.System()) {
		own := a.Unit.ID == w.cm.ID && a.User.Has(org.RoleHandler, org.RoleLeader)
		if own {
			continue
		}
		checked++
		if l, err := w.svc.Community.CareList(ctx, a); err == nil && a.Unit.ID == w.cm.ID || len(l) > 0 && l[0].UnitID == w.cm.ID {
			t.Errorf("%s (%s) sees the care list", a.User.Username, a.Unit.Kind)
		}
		if _, err := w.svc.Community.CareSubject(ctx, a, id); !errs.Is(err, errs.NotFound) {
			t.Errorf("%s (%s, %v): %v, want 404", a.User.Username, a.Unit.Kind, a.User.Roles, err)
		}
		if _, err := w.svc.Community.RecordVisit(ctx, a, id, community.VisitInput{Note: "x"}); !errs.Is(err, errs.NotFound) {
			t.Errorf("%s records a visit: %v, want 404", a.User.Username, err)
		}
	}
	if checked < 50 {
		t.Fatalf("only %d actors checked", checked)
	}
	// Another community's staff see their own list, never this one's.
	l2 := must(w.svc.Community.CareList(ctx, w.handler2))
	for _, x := range l2 {
		if x.UnitID != w.cm2.ID {
			t.Errorf("community 2 sees %+v", x)
		}
	}
	if _, err := w.svc.Community.CareSubject(ctx, w.leader, id); err != nil {
		t.Fatal(err)
	}
	log := must(w.st.AuditLog(ctx, 0, 200))
	views := map[string]int{}
	for _, e := range log {
		if (e.Action == "care_view" || e.Action == "care_list_view") && (e.Target == "unit:"+strconv.FormatInt(w.cm.ID, 10) || e.Target == "care:"+strconv.FormatInt(id, 10)) {
			views[e.Action]++
		}
	}
	if views["care_view"] != 1 || views["care_list_view"] != 1 {
		t.Errorf("audited views: %v", views)
	}
}

// TestOverdueVisits: the overdue alert follows the clock and the visits.
func TestOverdueVisits(t *testing.T) {
	w := openWorld(t)
	ctx := w.ctx
	before := must(w.svc.Community.OverdueVisits(ctx, w.handler))
	x, err := w.svc.Community.AddCareSubject(ctx, w.handler, volunteering.Subject{Name: "车婆婆", Address: "9号楼", CareType: volunteering.CareElderlyAlone, EveryDays: 7,
		Consent: volunteering.Consent{By: volunteering.ConsentSelf, Method: volunteering.ConsentVerbal, At: w.clk.Now().Add(-time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Community.AddCareSubject(ctx, w.handler, volunteering.Subject{Name: "无同意", Address: "9号楼", CareType: volunteering.CareDisabled, EveryDays: 7}); !errs.Is(err, errs.FieldRequired) {
		t.Errorf("no consent: %v", err)
	}
	w.clk.Add(7 * 24 * time.Hour)
	if n := must(w.svc.Community.OverdueVisits(ctx, w.handler)); n < before {
		t.Fatalf("overdue %d < %d", n, before)
	}
	at7 := must(w.svc.Community.OverdueVisits(ctx, w.handler))
	w.clk.Add(time.Minute)
	at7m := must(w.svc.Community.OverdueVisits(ctx, w.handler))
	if at7m < at7+1 {
		t.Errorf("a minute after the seventh day: %d alerts, want at least %d", at7m, at7+1)
	}
	item := findItem(t, w, x.ID)
	if item.OverdueDays != 1 {
		t.Fatalf("a minute after the plan: %+v", item)
	}
	if _, err := w.svc.Community.RecordVisit(ctx, w.handler, x.ID, community.VisitInput{Note: "一切安好"}); err != nil {
		t.Fatal(err)
	}
	if item := findItem(t, w, x.ID); item.OverdueDays != 0 || item.Visits != 1 {
		t.Fatalf("after the visit: %+v", item)
	}
	if n := must(w.svc.Community.OverdueVisits(ctx, w.handler)); n != at7m-1 {
		t.Errorf("alerts after the visit: %d, want %d", n, at7m-1)
	}
	if n := must(w.svc.Community.OverdueVisits(ctx, w.volunteer)); n != 0 {
		t.Errorf("a volunteer's alert count: %d", n)
	}
}

func findItem(t *testing.T, w *world, id int64) community.CareItem {
	t.Helper()
	for _, it := range must(w.svc.Community.CareList(w.ctx, w.handler)) {
		if it.ID == id {
			return it
		}
	}
	t.Fatalf("subject %d not listed", id)
	return community.CareItem{}
}

// TestLedgers: the count of ledgers from the template table, plugging a
// source in, who may build ledgers, and that care ledgers name nobody.
func TestLedgers(t *testing.T) {
	w := openWorld(t)
	ctx := w.ctx
	// Every source is plugged in: volunteer services, care visits and
	// patrols here, projects, surveys and deliberations from their stores.
	if n := w.svc.Community.LedgerCount(); n != len(ledger.Available(ledger.Sources)) || n != 14 {
		t.Errorf("LedgerCount = %d, want 14", n)
	}
	ts := must(w.svc.Community.LedgerTemplates(ctx, w.streetH))
	if len(ts) != 14 {
		t.Errorf("the street's templates: %d", len(ts))
	}
	for _, a := range []org.Actor{w.volunteer, org.System()} {
		if _, err := w.svc.Community.LedgerTemplates(ctx, a); !errs.Is(err, errs.NotFound) {
			t.Errorf("%s: %v", a.User.Username, err)
		}
	}
	period := w.clk.Now().Format("2006") // the year
	names := map[string]bool{}
	for _, x := range must(w.svc.Community.CareList(ctx, w.handler)) {
		names[x.Name], names[x.Phone], names[x.Address] = true, true, true
	}
	nonEmpty := 0
	for _, tp := range ts {
		for _, a := range []org.Actor{w.handler, w.streetH} {
			sh := must(w.svc.Community.Ledger(ctx, a, tp.ID, period))
			if len(sh.Rows) > 0 {
				nonEmpty++
			}
			for _, r := range sh.Rows {
				for _, c := range r {
					if s, ok := c.(string); ok && names[s] {
						t.Errorf("%s names a person on the care list: %v", tp.ID, r)
					}
				}
			}
		}
	}
	// (no patrols in a demo without activity; not every community has
	// every care type)
	if nonEmpty < 12 {
		t.Errorf("only %d of %d demo ledgers have rows", nonEmpty, 2*len(ts))
	}
	// A source plugged in replaces the one there was.
	w.svc.Community.RegisterSource(ledger.Deliberations, func(context.Context, community.Scope, time.Time, time.Time) ([]ledger.Row, error) {
		return []ledger.Row{{"date": "2026-11-02", "topic": "加装电梯", "decision": "adopted", "tasks": 2, "month": "2026-11"}}, nil
	})
	if n := w.svc.Community.LedgerCount(); n != 14 {
		t.Errorf("with deliberations replaced: %d ledgers, want 14", n)
	}
	sh := must(w.svc.Community.Ledger(ctx, w.handler, "civil-deliberations", "2026-11"))
	if len(sh.Rows) != 1 || sh.Rows[0][1] != 1.0 || sh.Rows[0][2] != 2.0 {
		t.Errorf("deliberations: %v", sh.Rows)
	}
}

// TestLinkLaneChief: a 街巷长 who is already staff (a grid worker of the
// street) registers and is linked, not given a second account: the same
// user gains the volunteer role and opens the volunteer pages, and keeps
// its staff pages.
func TestLinkLaneChief(t *testing.T) {
	w := openWorld(t)
	ctx := w.ctx
	var gw org.Actor
	for _, a := range w.all {
		if a.User.Has(org.RoleGridWorker) && a.Unit.ID == w.cm.SupervisorID {
			gw = a
			break
		}
	}
	if gw.User.ID == 0 {
		t.Fatal("no grid worker in the community's street")
	}
	v := must(w.svc.Community.Register(ctx, volunteering.Registration{UnitID: w.cm.ID, Name: gw.User.DisplayName, Phone: "13600001234"}))
	if _, err := w.svc.Community.Approve(ctx, w.handler, v.ID, community.Approval{LinkUsername: "nobody-here", Duty: volunteering.DutyLaneChief}, auth.FastHasher()); !errs.Is(err, errs.NotFound) {
		t.Errorf("linking a missing user: %v", err)
	}
	if _, err := w.svc.Community.Approve(ctx, w.handler, v.ID, community.Approval{LinkUsername: gw.User.Username, Duty: "mayor"}, auth.FastHasher()); !errs.Is(err, errs.Invalid) {
		t.Errorf("a made-up duty: %v", err)
	}
	v = must(w.svc.Community.Approve(ctx, w.handler, v.ID, community.Approval{LinkUsername: gw.User.Username, Duty: volunteering.DutyLaneChief}, auth.FastHasher()))
	if v.UserID != gw.User.ID || v.Duty != volunteering.DutyLaneChief {
		t.Fatalf("linked %+v", v)
	}
	u := must(w.st.User(ctx, gw.User.ID))
	if !u.Has(org.RoleVolunteer, org.RoleGridWorker) || !u.Has(org.RoleGridWorker) || !org.StaffUser(u) {
		t.Fatalf("roles after linking: %v", u.Roles)
	}
	a := must(w.svc.Actor(u))
	me := must(w.svc.Community.MyPage(ctx, a))
	if me.Volunteer.ID != v.ID || len(me.Open) == 0 {
		t.Errorf("the lane chief's volunteer page: %+v", me)
	}
}

// TestExchange: the points rule is a setting only administrators change;
// confirmations after the change credit by the new rule.
func TestExchange(t *testing.T) {
	w := openWorld(t)
	ctx := w.ctx
	if got := w.svc.Community.Exchange(ctx); got != volunteering.DefaultExchange {
		t.Fatalf("default %+v", got)
	}
	var admin org.Actor
	for _, a := range w.all {
		if a.User.Has(org.RoleAdmin) {
			admin = a
		}
	}
	rule := volunteering.Exchange{PointsPerHour: 12, StepMinutes: 15, MinMinutes: 60}
	if err := w.svc.Community.SetExchange(ctx, w.handler, rule); !errs.Is(err, errs.Forbidden) {
		t.Errorf("a community handler sets the rule: %v", err)
	}
	if err := w.svc.Community.SetExchange(ctx, admin, volunteering.Exchange{PointsPerHour: 10, StepMinutes: 7}); !errs.Is(err, errs.Invalid) {
		t.Errorf("a bad rule: %v", err)
	}
	if err := w.svc.Community.SetExchange(ctx, admin, rule); err != nil {
		t.Fatal(err)
	}
	start := w.clk.Now().Add(time.Hour)
	task := must(w.svc.Community.PublishTask(ctx, w.handler, volunteering.Task{Kind: volunteering.TaskEvent, Title: "义诊", Place: "广场", StartsAt: start, EndsAt: start.Add(4 * time.Hour), Slots: 3}))
	if err := w.svc.Community.SignUp(ctx, w.volunteer, task.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Community.CheckIn(ctx, w.volunteer, task.ID); err != nil {
		t.Fatal(err)
	}
	w.clk.Add(80 * time.Minute)
	if err := w.svc.Community.CheckOut(ctx, w.volunteer, task.ID); err != nil {
		t.Fatal(err)
	}
	v := must(w.st.VolunteerOfUser(ctx, w.volunteer.User.ID))
	su := must(w.svc.Community.ConfirmHours(ctx, w.handler, task.ID, v.ID, 75))
	if su.Minutes != 75 || su.Points != 15 { // five quarter hours at 12 an hour
		t.Errorf("confirmed %+v", su)
	}
}

// TestLeavingTheLists: a person taken off the care list loses every trace
// at once (name, phone, address, visit notes) while the ledger's visit
// counts stay; a volunteer who leaves keeps the hours, and the account
// stops signing in. Only the community's own staff may do either.
func TestLeavingTheLists(t *testing.T) {
	w := openWorld(t)
	ctx := w.ctx
	x := must(w.svc.Community.AddCareSubject(ctx, w.handler, volunteering.Subject{Name: "车爷爷", Phone: "13812340000", Address: "7号楼3单元101", CareType: volunteering.CareElderlyAlone, EveryDays: 7,
		Consent: volunteering.Consent{By: volunteering.ConsentGuardian, Method: volunteering.ConsentWritten, At: w.clk.Now().Add(-time.Hour)}}))
	must(w.svc.Community.RecordVisit(ctx, w.handler, x.ID, community.VisitInput{At: w.clk.Now().Add(-time.Minute), Note: "车爷爷血压偏高，女儿电话13812340000"}))
	day := w.clk.Now().Add(-48 * time.Hour)
	visits := func() int {
		return len(must(w.st.CareVisitsForLedger(ctx, []int64{w.cm.ID}, day, w.clk.Now().Add(time.Hour))))
	}
	before := visits()
	for _, a := range []org.Actor{w.handler2, w.volunteer, w.streetH} {
		if err := w.svc.Community.RemoveCareSubject(ctx, a, x.ID, volunteering.RemovedConsentWithdrawn); !errs.Is(err, errs.NotFound) {
			t.Errorf("%s removes another community's person: %v, want 404", a.User.Username, err)
		}
	}
	if err := w.svc.Community.RemoveCareSubject(ctx, w.handler, x.ID, "bored"); !errs.Is(err, errs.Invalid) {
		t.Errorf("unknown reason: %v", err)
	}
	if err := w.svc.Community.RemoveCareSubject(ctx, w.handler, x.ID, volunteering.RemovedConsentWithdrawn); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Community.RemoveCareSubject(ctx, w.handler, x.ID, volunteering.RemovedDeceased); !errs.Is(err, errs.NotFound) {
		t.Errorf("removed twice: %v", err)
	}
	for _, it := range must(w.svc.Community.CareList(ctx, w.handler)) {
		if it.ID == x.ID {
			t.Error("the removed person is still on the list")
		}
	}
	if _, err := w.svc.Community.CareSubject(ctx, w.handler, x.ID); !errs.Is(err, errs.NotFound) {
		t.Errorf("the removed person's page: %v", err)
	}
	if _, err := w.svc.Community.RecordVisit(ctx, w.handler, x.ID, community.VisitInput{Note: "x"}); !errs.Is(err, errs.NotFound) {
		t.Errorf("a visit to the removed person: %v", err)
	}
	raw := must(w.st.CareSubject(ctx, x.ID))
	if raw.Name != "" || raw.Phone != "" || raw.Address != "" || raw.RemovedReason != volunteering.RemovedConsentWithdrawn || raw.RemovedAt.IsZero() || raw.Visits != 1 {
		t.Errorf("stored after removal: %+v", raw)
	}
	for _, v := range must(w.st.CareVisits(ctx, x.ID, 10)) {
		if v.Note != "" {
			t.Errorf("a visit note stayed: %q", v.Note)
		}
	}
	if after := visits(); after != before {
		t.Errorf("the ledger counted %d visits before the removal, %d after", before, after)
	}
	removed := false
	for _, e := range must(w.st.AuditLog(ctx, 0, 50)) {
		if e.Action == "care_remove" && e.Target == "care:"+strconv.FormatInt(x.ID, 10) {
			removed = !strings.Contains(e.Detail, "车") && !strings.Contains(e.Detail, "13812340000") && strings.Contains(e.Detail, "consent_withdrawn")
		}
	}
	if !removed {
		t.Error("no audit entry care_remove with the reason and without the data")
	}

	// A volunteer leaves.
	rec := must(w.st.VolunteerOfUser(ctx, w.volunteer.User.ID))
	for _, a := range []org.Actor{w.handler2, w.volunteer, w.streetH} {
		if err := w.svc.Community.Leave(ctx, a, rec.ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("%s marks another community's volunteer as left: %v, want 404", a.User.Username, err)
		}
	}
	minutes, points := must2(w.st.VolunteerBalance(ctx, rec.ID))
	if err := w.svc.Community.Leave(ctx, w.handler, rec.ID); err != nil {
		t.Fatal(err)
	}
	got := must(w.st.Volunteer(ctx, rec.ID))
	if got.State != volunteering.Left || !got.LeftAt.Equal(w.clk.Now()) || got.Name != rec.Name {
		t.Errorf("after leaving: %+v", got)
	}
	if u := must(w.st.User(ctx, w.volunteer.User.ID)); !u.Disabled {
		t.Error("the departed volunteer's account still signs in")
	}
	if m, p := must2(w.st.VolunteerBalance(ctx, rec.ID)); m != minutes || p != points {
		t.Errorf("hours and points %d/%d became %d/%d", minutes, points, m, p)
	}
	if err := w.svc.Community.Leave(ctx, w.handler, rec.ID); !errs.Is(err, errs.Conflict) {
		t.Errorf("leaving twice: %v", err)
	}
	pending := must(w.svc.Community.Register(ctx, volunteering.Registration{UnitID: w.cm.ID, Name: "待审核", Phone: "13712340000"}))
	if err := w.svc.Community.Leave(ctx, w.handler, pending.ID); !errs.Is(err, errs.Conflict) {
		t.Errorf("a pending registration leaves: %v, want a conflict (refuse it instead)", err)
	}
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}
