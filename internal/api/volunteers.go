package api

import (
	"net/http"

	"whistle/internal/community"
	"whistle/internal/org"
	"whistle/internal/volunteering"
)

// Volunteers (issue #15) for the apps that volunteers and community staff
// carry: the same service calls as the pages /portal/volunteer, /volunteer
// and /volunteers. The care list has no API: only the community's own
// pages show it.

// registerVolunteer answers POST /api/v1/public/volunteers: a resident's
// registration, pending until the community decides (rate-limited per
// address, like the portal's form).
func (s *Server) registerVolunteer(w http.ResponseWriter, r *http.Request) {
	var in volunteering.Registration
	ip, ok := s.publicBody(w, r, &in, maxJSON)
	if !ok {
		return
	}
	v, err := s.svc.Community.Register(r.Context(), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.submitted(ip)
	writeJSON(w, 201, map[string]any{"id": v.ID, "state": v.State})
}

// myTask is one of the volunteer's sign-ups with its state.
type myTask struct {
	community.MyTask
	State string `json:"state"`
}

// myVolunteering answers GET /api/v1/volunteer: the volunteer's record,
// sign-ups, the open tasks of its community, hours and points.
func (s *Server) myVolunteering(w http.ResponseWriter, r *http.Request, a org.Actor) {
	me, err := s.svc.Community.MyPage(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	mine := make([]myTask, len(me.Mine))
	for i, m := range me.Mine {
		mine[i] = myTask{MyTask: m, State: m.Signup.State()}
	}
	open := me.Open
	if open == nil {
		open = []volunteering.Task{}
	}
	writeJSON(w, 200, map[string]any{"volunteer": me.Volunteer, "mine": mine, "open": open, "minutes": me.Minutes,
		"hours": me.Hours(), "points": me.Points, "exchange": me.Exchange})
}

// volunteerTaskAct answers POST /api/v1/volunteer/tasks/{id}/{signup|
// checkin|checkout}: the volunteer's own step, by the server's clock.
func (s *Server) volunteerTaskAct(action string) func(http.ResponseWriter, *http.Request, org.Actor) {
	return func(w http.ResponseWriter, r *http.Request, a org.Actor) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		switch action {
		case "signup":
			err = s.svc.Community.SignUp(r.Context(), a, id)
		case "checkin":
			err = s.svc.Community.CheckIn(r.Context(), a, id)
		default:
			err = s.svc.Community.CheckOut(r.Context(), a, id)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.myVolunteering(w, r, a)
	}
}

// listVolunteers answers GET /api/v1/volunteers: the community's registry
// (phones masked; the view is audited) and its tasks not yet over.
func (s *Server) listVolunteers(w http.ResponseWriter, r *http.Request, a org.Actor) {
	vs, err := s.svc.Community.Volunteers(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ts, err := s.svc.Community.Tasks(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ts == nil {
		ts = []volunteering.Task{}
	}
	writeJSON(w, 200, map[string]any{"volunteers": vs, "tasks": ts})
}

// decideVolunteer answers POST /api/v1/volunteers/{id}/{approve|reject|
// leave}; approve takes an Approval (a new account, or a user to link).
func (s *Server) decideVolunteer(action string) func(http.ResponseWriter, *http.Request, org.Actor) {
	return func(w http.ResponseWriter, r *http.Request, a org.Actor) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		switch action {
		case "approve":
			var ap community.Approval
			if err := decode(w, r, &ap); err != nil {
				s.fail(w, r, err)
				return
			}
			v, err := s.svc.Community.Approve(r.Context(), a, id, ap, s.hasher)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			writeJSON(w, 200, v)
			return
		case "reject":
			err = s.svc.Community.Reject(r.Context(), a, id)
		default:
			err = s.svc.Community.Leave(r.Context(), a, id)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// publishVolunteerTask answers POST /api/v1/volunteers/tasks.
func (s *Server) publishVolunteerTask(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in volunteering.Task // the service sets the id, unit, author and times
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.svc.Community.PublishTask(r.Context(), a, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 201, t)
}

// getVolunteerTask answers GET /api/v1/volunteers/tasks/{id}: a task of
// the community with its sign-ups.
func (s *Server) getVolunteerTask(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.svc.Community.Task(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, d)
}

// confirmVolunteerHours answers POST /api/v1/volunteers/tasks/{id}/confirm:
// the staff confirm a sign-up's minutes (what the clock recorded when
// minutes is absent) and the points follow the exchange.
func (s *Server) confirmVolunteerHours(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in struct {
		VolunteerID int64 `json:"volunteer_id"`
		Minutes     *int  `json:"minutes"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	minutes := -1
	if in.Minutes != nil {
		minutes = *in.Minutes
	}
	su, err := s.svc.Community.ConfirmHours(r.Context(), a, id, in.VolunteerID, minutes)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, su)
}
