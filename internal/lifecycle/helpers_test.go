package lifecycle

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"whistle/internal/calendar"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/timelimit"
)

// China Standard Time: what Asia/Shanghai has been since 1991.
var cst = calendar.ChinaStandardTime()

// cal is the production calendar with the embedded State Council holidays.
var cal = calendar.Default(cst)

// at builds a time in China Standard Time.
func at(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, cst)
}

// The reference week: Friday 2026-11-20 (no holidays until 2027-01-01).
var (
	tCreate   = at(2026, 11, 20, 15, 0) // Friday
	tDispatch = at(2026, 11, 20, 16, 0)
	tSign     = at(2026, 11, 20, 16, 30)
	tContact  = at(2026, 11, 20, 17, 0)
	tProgress = at(2026, 11, 20, 17, 30)
	tReply    = at(2026, 11, 24, 10, 0) // Tuesday
	tCallback = at(2026, 11, 25, 10, 0) // Wednesday

	// Deadlines of a general case dispatched at tDispatch.
	wantDispatchBy = at(2026, 11, 21, 15, 0) // received + 24h (clock time)
	wantSignBy     = at(2026, 11, 20, 18, 0) // dispatched + 2h
	wantReplyBy    = at(2026, 12, 1, 16, 0)  // dispatched + 7 working days
	wantReturnBy   = at(2026, 11, 21, 16, 0) // dispatched + the 24h return window
)

const (
	caseID    = int64(100)
	parentID  = int64(99)
	reopenMax = 2
)

func testEnv(now time.Time) Env {
	return Env{
		Now:          now,
		Cal:          cal,
		Policy:       timelimit.DefaultPolicy(),
		ReturnWindow: timelimit.Hours(24),
		ReopenLimit:  reopenMax,
	}
}

// Units. The street's supervisor is its district centre; the department's
// and the enterprise's is the city centre.
var (
	cityCentre     = org.Unit{ID: 1, Code: "C", Name: "市12345中心", Kind: org.KindCityCentre, PlaceID: 1}
	districtCentre = org.Unit{ID: 2, Code: "D", Name: "东城区12345中心", Kind: org.KindDistrictCentre, PlaceID: 2, SupervisorID: 1}
	street         = org.Unit{ID: 10, Code: "S", Name: "东华门街道", Kind: org.KindStreet, PlaceID: 3, SupervisorID: 2}
	department     = org.Unit{ID: 20, Code: "W", Name: "市水务局", Kind: org.KindDepartment, PlaceID: 1, SupervisorID: 1}
	enterprise     = org.Unit{ID: 30, Code: "E", Name: "自来水集团", Kind: org.KindEnterprise, PlaceID: 1, SupervisorID: 1}
	orphan         = org.Unit{ID: 40, Code: "O", Name: "无上级单位", Kind: org.KindDepartment, PlaceID: 1}
)

func actor(id int64, name string, u org.Unit, roles ...string) org.Actor {
	return org.Actor{User: org.User{ID: id, Username: fmt.Sprintf("u%d", id), DisplayName: name, UnitID: u.ID, Roles: roles}, Unit: u}
}

var (
	agent      = actor(1, "话务员", cityCentre, org.RoleAgent)
	dispatcher = actor(2, "派单员", cityCentre, org.RoleDispatcher)
	supervisor = actor(3, "区督办", districtCentre, org.RoleSupervisor)
	handler    = actor(10, "街道承办人", street, org.RoleHandler)
	leader     = actor(11, "街道负责人", street, org.RoleLeader)
	deptUser   = actor(20, "水务局承办人", department, org.RoleHandler)
	coUser     = actor(30, "协办人", enterprise, org.RoleHandler)
	gridWorker = actor(41, "网格员", street, org.RoleGridWorker)
	analyst    = actor(50, "分析员", cityCentre, org.RoleAnalyst)
	admin      = actor(60, "管理员", cityCentre, org.RoleAdmin)
	system     = org.System()
)

// roleActors has, for every role a user may hold, an actor holding only
// that role; unit roles act for the lead unit, so only the role is wrong.
var roleActors = map[string]org.Actor{
	org.RoleAgent:      agent,
	org.RoleDispatcher: dispatcher,
	org.RoleSupervisor: supervisor,
	org.RoleHandler:    handler,
	org.RoleLeader:     leader,
	org.RoleGridWorker: gridWorker,
	org.RoleAnalyst:    analyst,
	org.RoleAdmin:      admin,
}

func newCase(channel, urgency string) *Case {
	return &Case{
		ID: caseID, Number: "20261120-0001", Channel: channel, Type: "complaint",
		Category: "urban.noise", Urgency: urgency, Title: "夜间施工噪音", Description: "工地夜间施工",
		Location: Location{Address: "东华门大街1号", DistrictID: 2, StreetID: 3},
		Citizen:  Citizen{Name: "张三", Phone: "13812341234"},
	}
}

func mustApply(t *testing.T, c *Case, a org.Actor, cmd Command, now time.Time) Event {
	t.Helper()
	ev, err := Apply(c, cmd, a, testEnv(now))
	if err != nil {
		t.Fatalf("%s at %s by %s: unexpected error %v", cmd.Action, now.Format(time.DateTime), a.User.DisplayName, err)
	}
	return ev
}

// caseIn builds, through the rules themselves, a general complaint by
// phone in state s, co-handled by the enterprise, and returns it with the
// time of its last event.
func caseIn(t *testing.T, s State) (*Case, time.Time) {
	return caseInUrgency(t, s, "general")
}

func caseInUrgency(t *testing.T, s State, urgency string) (*Case, time.Time) {
	t.Helper()
	if s == Submitted {
		c := newCase("web", urgency)
		Created(c, agent, testEnv(tCreate))
		return c, tCreate
	}
	c := newCase("phone", urgency)
	Created(c, agent, testEnv(tCreate))
	steps := []struct {
		state State
		a     org.Actor
		cmd   Command
		at    time.Time
	}{
		{Dispatched, agent, Command{Action: ActDispatch, Unit: &street, CoUnits: []org.Unit{enterprise}}, tDispatch},
		{Signed, handler, Command{Action: ActSign}, tSign},
		{Contacted, handler, Command{Action: ActContact, Means: "phone"}, tContact},
		{Handling, handler, Command{Action: ActProgress, Note: "已到现场"}, tProgress},
		{Replied, handler, Command{Action: ActReply, Result: ResultResolved, Note: "已协调停工"}, tReply},
		{Closed, agent, Command{Action: ActCallback, Resolved: ptr(true), Satisfaction: Satisfied}, tCallback},
	}
	last := tCreate
	for _, st := range steps {
		if c.State == s {
			break
		}
		mustApply(t, c, st.a, st.cmd, st.at)
		last = st.at
		if c.State != st.state {
			t.Fatalf("fixture: after %s state %s, want %s", st.cmd.Action, c.State, st.state)
		}
	}
	if c.State != s {
		t.Fatalf("fixture: could not reach %s", s)
	}
	return c, last
}

func ptr[T any](v T) *T { return &v }

// deepCopy copies a case so that no slice or pointer is shared.
func deepCopy(c *Case) Case {
	n := *c
	n.CoUnitIDs = slices.Clone(c.CoUnitIDs)
	if c.Resolved != nil {
		n.Resolved = ptr(*c.Resolved)
	}
	if c.Location.Lat != nil {
		n.Location.Lat = ptr(*c.Location.Lat)
	}
	if c.Location.Lon != nil {
		n.Location.Lon = ptr(*c.Location.Lon)
	}
	return n
}

// refuse applies cmd, expects the error code, a zero event, and an unchanged case.
func refuse(t *testing.T, c *Case, a org.Actor, cmd Command, now time.Time, want errs.Code) {
	t.Helper()
	before := deepCopy(c)
	ev, err := Apply(c, cmd, a, testEnv(now))
	if got := errs.CodeOf(err); got != want {
		t.Fatalf("%s in %s by %s: code %q (err %v), want %q", cmd.Action, before.State, a.User.DisplayName, got, err, want)
	}
	if !reflect.DeepEqual(ev, Event{}) {
		t.Errorf("%s refused but returned event %+v", cmd.Action, ev)
	}
	if !reflect.DeepEqual(*c, before) {
		t.Errorf("%s refused but changed the case:\n%s", cmd.Action, diffStrings(before, *c))
	}
}

// expect returns the case we want: before, with Version, EventSeq and
// UpdatedAt bumped for an event at now, then mut applied.
func expect(before Case, now time.Time, mut func(*Case)) Case {
	w := before
	w.CoUnitIDs = slices.Clone(before.CoUnitIDs)
	w.Version++
	w.EventSeq++
	w.UpdatedAt = now
	if mut != nil {
		mut(&w)
	}
	return w
}

// assertCase compares every field, times by instant.
func assertCase(t *testing.T, got, want Case) {
	t.Helper()
	if d := diffStrings(want, got); d != "" {
		t.Errorf("case differs (want → got):\n%s", d)
	}
}

func diffStrings(want, got Case) string {
	var out string
	wv, gv := reflect.ValueOf(want), reflect.ValueOf(got)
	for i := range wv.NumField() {
		name := wv.Type().Field(i).Name
		w, g := wv.Field(i).Interface(), gv.Field(i).Interface()
		if !equalValue(w, g) {
			out += fmt.Sprintf("  %s: %s → %s\n", name, show(w), show(g))
		}
	}
	return out
}

func equalValue(a, b any) bool {
	ta, okA := a.(time.Time)
	tb, okB := b.(time.Time)
	if okA && okB {
		return ta.Equal(tb)
	}
	if pa, ok := a.(*bool); ok {
		pb := b.(*bool)
		if pa == nil || pb == nil {
			return pa == pb
		}
		return *pa == *pb
	}
	return reflect.DeepEqual(a, b)
}

func show(v any) string {
	switch x := v.(type) {
	case time.Time:
		if x.IsZero() {
			return "zero"
		}
		return x.In(cst).Format("2006-01-02 15:04 Mon")
	case *bool:
		if x == nil {
			return "nil"
		}
		return fmt.Sprint(*x)
	}
	return fmt.Sprintf("%#v", v)
}

// assertEvent checks the event's header and its exact Data.
func assertEvent(t *testing.T, ev Event, act Action, from, to State, a org.Actor, role string, seq int, now time.Time, data map[string]any) {
	t.Helper()
	if ev.CaseID != caseID || ev.Action != act || ev.FromState != from || ev.ToState != to || ev.Seq != seq {
		t.Errorf("event header = case %d %s %s→%s seq %d, want case %d %s %s→%s seq %d",
			ev.CaseID, ev.Action, ev.FromState, ev.ToState, ev.Seq, caseID, act, from, to, seq)
	}
	if ev.ActorUserID != a.User.ID || ev.ActorUnitID != a.Unit.ID || ev.ActorName != a.User.DisplayName || ev.ActorRole != role {
		t.Errorf("event actor = user %d unit %d %q role %q, want user %d unit %d %q role %q",
			ev.ActorUserID, ev.ActorUnitID, ev.ActorName, ev.ActorRole, a.User.ID, a.Unit.ID, a.User.DisplayName, role)
	}
	if !ev.At.Equal(now) {
		t.Errorf("event at %s, want %s", show(ev.At), show(now))
	}
	assertData(t, ev.Data, data)
}

func assertData(t *testing.T, got, want map[string]any) {
	t.Helper()
	if len(want) == 0 {
		if got != nil {
			t.Errorf("event data = %v, want nil", got)
		}
		return
	}
	if len(got) != len(want) {
		t.Errorf("event data keys = %v, want %v", keys(got), keys(want))
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("event data lacks %q", k)
			continue
		}
		if !equalValue(w, g) {
			t.Errorf("event data[%q] = %s (%T), want %s (%T)", k, show(g), g, show(w), w)
		}
	}
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
