package api_test

import (
	"fmt"
	"testing"
	"time"

	"whistle/internal/demo"
	"whistle/internal/errs"
	"whistle/internal/org"
)

// The volunteer routes, for the apps volunteers and community staff carry:
// a resident registers through the public API, the community's handler
// sees the phone masked and approves (an account is made), publishes a
// task; the volunteer signs up, checks in and out; the staff confirm the
// hours, the points follow; the volunteer leaves and the account's token
// stops working. Other units' staff get 404, other roles 403.
func TestAPIVolunteers(t *testing.T) {
	e := apiOpen(t, "")
	svc := e.app.Svc
	var cm org.Unit
	var staff string
	for _, u := range svc.Community.Communities() {
		us, err := svc.St.Users(e.ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range us {
			if x.Has(org.RoleHandler) {
				cm, staff = u, x.Username
				break
			}
		}
		if staff != "" {
			break
		}
	}
	if staff == "" {
		t.Fatal("no community handler in the demo")
	}
	apiRefused(t, e.apiDo("", "POST", "/api/v1/public/volunteers", map[string]any{"unit_id": cm.ID, "name": "欧阳志", "phone": "123"}), 422, errs.InvalidPhone)
	apiRefused(t, e.apiDo("", "POST", "/api/v1/public/volunteers", map[string]any{"unit_id": cm.ID, "name": "欧阳志", "phone": "13611112222", "extra": 1}), 400, errs.InvalidJSON)
	var reg struct {
		ID    int64
		State string
	}
	apiWant(t, e.apiDo("", "POST", "/api/v1/public/volunteers", map[string]any{"unit_id": cm.ID, "name": "欧阳志", "phone": "13611112222", "skills": []string{"patrol"}}), 201, &reg)
	if reg.ID == 0 || reg.State != "pending" {
		t.Fatalf("registration: %+v", reg)
	}
	var list struct {
		Volunteers []struct {
			ID    int64
			Name  string
			Phone string
			State string
		}
	}
	apiWant(t, e.apiDo(staff, "GET", "/api/v1/volunteers", nil), 200, &list)
	found := false
	for _, v := range list.Volunteers {
		if v.ID == reg.ID {
			found = v.Phone == "136****2222" && v.Name == "欧阳志"
		}
	}
	if !found {
		t.Errorf("the registry lacks the registration with its phone masked: %+v", list.Volunteers)
	}
	apiRefused(t, e.apiDo(e.handlerA, "GET", "/api/v1/volunteers", nil), 404, errs.NotFound) // a street's handler
	apiRefused(t, e.apiDo(e.agent, "GET", "/api/v1/volunteers", nil), 403, errs.Forbidden)
	approve := fmt.Sprintf("/api/v1/volunteers/%d/approve", reg.ID)
	apiRefused(t, e.apiDo(e.handlerA, "POST", approve, map[string]any{"username": "ouyang-api", "password": demo.DemoPassword}), 404, errs.NotFound)
	apiWant(t, e.apiDo(staff, "POST", approve, map[string]any{"username": "ouyang-api", "password": demo.DemoPassword}), 200, nil)
	apiRefused(t, e.apiDo(staff, "POST", approve, map[string]any{"username": "ouyang-api2", "password": demo.DemoPassword}), 409, errs.Conflict)

	start := time.Now().Add(30 * time.Minute)
	var task struct{ ID int64 }
	apiRefused(t, e.apiDo(staff, "POST", "/api/v1/volunteers/tasks", map[string]any{"kind": "party", "title": "t", "place": "p", "starts_at": start, "ends_at": start.Add(time.Hour), "slots": 2}), 422, errs.Invalid)
	apiWant(t, e.apiDo(staff, "POST", "/api/v1/volunteers/tasks", map[string]any{"kind": "event", "title": "社区义诊引导", "place": "社区服务站",
		"starts_at": start, "ends_at": start.Add(3 * time.Hour), "slots": 2}), 201, &task)

	type me struct {
		Volunteer struct{ ID int64 }
		Mine      []struct {
			Task  struct{ ID int64 }
			State string
		}
		Open []struct{ ID int64 }
	}
	var m me
	apiWant(t, e.apiDo("ouyang-api", "GET", "/api/v1/volunteer", nil), 200, &m)
	if m.Volunteer.ID != reg.ID || len(m.Open) == 0 {
		t.Fatalf("the volunteer's own view: %+v", m)
	}
	step := func(s string) string { return fmt.Sprintf("/api/v1/volunteer/tasks/%d/%s", task.ID, s) }
	apiRefused(t, e.apiDo("ouyang-api", "POST", step("checkin"), nil), 404, errs.NotFound) // not signed up
	for _, s := range []struct{ step, state string }{{"signup", "signed_up"}, {"checkin", "checked_in"}, {"checkout", "done"}} {
		m = me{}
		apiWant(t, e.apiDo("ouyang-api", "POST", step(s.step), nil), 200, &m)
		if len(m.Mine) != 1 || m.Mine[0].Task.ID != task.ID || m.Mine[0].State != s.state {
			t.Fatalf("after %s: %+v", s.step, m.Mine)
		}
	}
	apiRefused(t, e.apiDo(staff, "POST", step("signup"), nil), 403, errs.Forbidden) // staff are not volunteers

	var detail struct {
		Task    struct{ ID int64 }
		Signups []struct {
			VolunteerID int64 `json:"volunteer_id"`
			Name        string
		}
	}
	apiWant(t, e.apiDo(staff, "GET", fmt.Sprintf("/api/v1/volunteers/tasks/%d", task.ID), nil), 200, &detail)
	if len(detail.Signups) != 1 || detail.Signups[0].VolunteerID != reg.ID || detail.Signups[0].Name != "欧阳志" {
		t.Errorf("the task's sign-ups: %+v", detail)
	}
	confirm := fmt.Sprintf("/api/v1/volunteers/tasks/%d/confirm", task.ID)
	// The staff may lower the minutes the clock recorded, never raise them
	// (the test runs on the real clock: the check-out came at once).
	apiRefused(t, e.apiDo(staff, "POST", confirm, map[string]any{"volunteer_id": reg.ID, "minutes": 600}), 422, errs.Invalid)
	var su struct {
		Minutes     int
		ConfirmedAt time.Time `json:"confirmed_at"`
	}
	apiWant(t, e.apiDo(staff, "POST", confirm, map[string]any{"volunteer_id": reg.ID}), 200, &su)
	if su.ConfirmedAt.IsZero() || su.Minutes > 1 {
		t.Errorf("confirmed %+v, want the clock's minutes", su)
	}
	apiRefused(t, e.apiDo(staff, "POST", confirm, map[string]any{"volunteer_id": reg.ID}), 409, errs.Conflict)
	m = me{}
	apiWant(t, e.apiDo("ouyang-api", "GET", "/api/v1/volunteer", nil), 200, &m)
	if len(m.Mine) != 1 || m.Mine[0].State != "confirmed" {
		t.Errorf("the volunteer sees %+v", m.Mine)
	}

	leave := fmt.Sprintf("/api/v1/volunteers/%d/leave", reg.ID)
	if r := e.apiDo(staff, "POST", leave, nil); r.Status != 204 {
		t.Fatalf("leave: %v", r)
	}
	apiRefused(t, e.apiDo(staff, "POST", leave, nil), 409, errs.Conflict)
	apiRefused(t, e.apiDo("ouyang-api", "GET", "/api/v1/volunteer", nil), 401, errs.Unauthenticated)
}
