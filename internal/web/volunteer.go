package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"whistle/internal/community"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/volunteering"
)

// Volunteers (issue #15): the portal's registration, the volunteer's own
// page at phone width (open tasks, sign-up, check-in and check-out, hours
// and points), and the community staff's registry and tasks.

func init() {
	pageNames = append(pageNames, "volunteer", "volunteer_register", "volunteer_staff", "volunteer_task")
}

// volID reads the {id} path value (0 when it is not a number: the service
// answers 404).
func volID(r *http.Request, name string) int64 {
	id, _ := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id
}

type volRegisterData struct {
	Communities []org.Unit
	Skills      []string
	Done        bool
}

func (s *Server) volunteerRegisterPage(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil, "volunteer.register_title")
	p.Data = volRegisterData{Communities: s.svc.Community.Communities(), Skills: volunteering.Skills, Done: r.URL.Query().Get("done") == "1"}
	s.render(w, 200, "volunteer_register", p)
}

func (s *Server) volunteerRegisterSubmit(w http.ResponseWriter, r *http.Request) {
	ip := clientIP(r)
	if !s.submits.Allowed(ip, time.Now()) {
		s.errorPage(w, r, errs.Status(errs.RateLimited), errs.Message(errs.RateLimited, langOf(r)))
		return
	}
	s.submits.Fail(ip, time.Now()) // counts submissions
	p := s.newPage(r, nil, "volunteer.register_title")
	_ = r.ParseForm()
	p.Form = r.PostForm
	unit, _ := strconv.ParseInt(r.PostFormValue("unit_id"), 10, 64)
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	_, err := s.svc.Community.Register(ctx, volunteering.Registration{UnitID: unit, Name: r.PostFormValue("name"), Phone: r.PostFormValue("phone"), Skills: r.PostForm["skills"]})
	if err != nil {
		status := s.explain(p, err)
		p.Data = volRegisterData{Communities: s.svc.Community.Communities(), Skills: volunteering.Skills}
		s.render(w, status, "volunteer_register", p)
		return
	}
	http.Redirect(w, r, "/portal/volunteer?done=1", http.StatusSeeOther)
}

// volunteerPage is the volunteer's own page.
func (s *Server) volunteerPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "volunteer.title")
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	me, err := s.svc.Community.MyPage(ctx, a)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	p.Data = me
	s.render(w, 200, "volunteer", p)
}

// volunteerAct signs up, checks in or checks out (the server's clock).
func (s *Server) volunteerAct(action string) func(http.ResponseWriter, *http.Request, org.Actor) {
	return func(w http.ResponseWriter, r *http.Request, a org.Actor) {
		ctx, cancel := ctxTimeout(r)
		defer cancel()
		id := volID(r, "id")
		var err error
		switch action {
		case "signup":
			err = s.svc.Community.SignUp(ctx, a, id)
		case "checkin":
			err = s.svc.Community.CheckIn(ctx, a, id)
		default:
			err = s.svc.Community.CheckOut(ctx, a, id)
		}
		if err != nil {
			s.failPage(w, r, err)
			return
		}
		http.Redirect(w, r, withFlash("/volunteer", s.cat.T(langOf(r), "volunteer.done_"+action)), http.StatusSeeOther)
	}
}

type volStaffData struct {
	Volunteers []volunteering.Volunteer
	Tasks      []volunteering.Task
	Kinds      []string
	Duties     []string
	Overdue    int
	Exchange   volunteering.Exchange
}

// volunteerStaffPage is the community's registry and tasks.
func (s *Server) volunteerStaffPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "volunteer.staff_title")
	s.renderVolStaff(w, r, a, p, 200)
}

func (s *Server) renderVolStaff(w http.ResponseWriter, r *http.Request, a org.Actor, p *page, status int) {
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	vs, err := s.svc.Community.Volunteers(ctx, a)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	ts, err := s.svc.Community.Tasks(ctx, a)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	n, _ := s.svc.Community.OverdueVisits(ctx, a)
	p.Data = volStaffData{Volunteers: vs, Tasks: ts, Kinds: volunteering.TaskKinds, Duties: volunteering.Duties, Overdue: n, Exchange: s.svc.Community.Exchange(ctx)}
	s.render(w, status, "volunteer_staff", p)
}

func (s *Server) volunteerDecide(approve bool) func(http.ResponseWriter, *http.Request, org.Actor) {
	return func(w http.ResponseWriter, r *http.Request, a org.Actor) {
		ctx, cancel := ctxTimeout(r)
		defer cancel()
		var err error
		if approve {
			_, err = s.svc.Community.Approve(ctx, a, volID(r, "id"), community.Approval{Username: r.FormValue("username"), Password: r.FormValue("password"),
				LinkUsername: strings.TrimSpace(r.FormValue("link_username")), Duty: r.FormValue("duty")}, s.hasher)
		} else {
			err = s.svc.Community.Reject(ctx, a, volID(r, "id"))
		}
		if err != nil {
			p := s.newPage(r, &a, "volunteer.staff_title")
			p.Form = r.PostForm
			s.renderVolStaff(w, r, a, p, s.explain(p, err))
			return
		}
		http.Redirect(w, r, withFlash("/volunteers", s.cat.T(langOf(r), "volunteer.decided")), http.StatusSeeOther)
	}
}

// volunteerLeave records that an active volunteer left the registry.
func (s *Server) volunteerLeave(w http.ResponseWriter, r *http.Request, a org.Actor) {
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	if err := s.svc.Community.Leave(ctx, a, volID(r, "id")); err != nil {
		p := s.newPage(r, &a, "volunteer.staff_title")
		s.renderVolStaff(w, r, a, p, s.explain(p, err))
		return
	}
	http.Redirect(w, r, withFlash("/volunteers", s.cat.T(langOf(r), "volunteer.left")), http.StatusSeeOther)
}

// volTime reads a datetime-local field in the city's zone.
func (s *Server) volTime(v string) time.Time {
	t, err := time.ParseInLocation("2006-01-02T15:04", v, s.svc.Location())
	if err != nil {
		return time.Time{}
	}
	return t
}

func (s *Server) volunteerPublish(w http.ResponseWriter, r *http.Request, a org.Actor) {
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	slots, _ := strconv.Atoi(r.FormValue("slots"))
	t := volunteering.Task{Kind: r.FormValue("kind"), Title: strings.TrimSpace(r.FormValue("title")), Place: strings.TrimSpace(r.FormValue("place")),
		StartsAt: s.volTime(r.FormValue("starts_at")), EndsAt: s.volTime(r.FormValue("ends_at")), Slots: slots}
	if _, err := s.svc.Community.PublishTask(ctx, a, t); err != nil {
		p := s.newPage(r, &a, "volunteer.staff_title")
		p.Form = r.PostForm
		s.renderVolStaff(w, r, a, p, s.explain(p, err))
		return
	}
	http.Redirect(w, r, withFlash("/volunteers", s.cat.T(langOf(r), "volunteer.published")), http.StatusSeeOther)
}

func (s *Server) volunteerTaskPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "volunteer.task_title")
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	d, err := s.svc.Community.Task(ctx, a, volID(r, "id"))
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	p.Data = d
	s.render(w, 200, "volunteer_task", p)
}

func (s *Server) volunteerConfirm(w http.ResponseWriter, r *http.Request, a org.Actor) {
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	vol, _ := strconv.ParseInt(r.FormValue("volunteer_id"), 10, 64)
	minutes := -1 // what the clock recorded
	if v := strings.TrimSpace(r.FormValue("minutes")); v != "" {
		m, err := strconv.Atoi(v)
		if err != nil {
			s.failPage(w, r, errs.F(errs.Invalid, "minutes"))
			return
		}
		minutes = m
	}
	id := volID(r, "id")
	if _, err := s.svc.Community.ConfirmHours(ctx, a, id, vol, minutes); err != nil {
		s.failPage(w, r, err)
		return
	}
	http.Redirect(w, r, withFlash("/volunteers/tasks/"+strconv.FormatInt(id, 10), s.cat.T(langOf(r), "volunteer.confirmed")), http.StatusSeeOther)
}

// StaffUser tells the layout whether the signed-in user opens the staff
// pages (its account page among them); a volunteer-only account does not.
func (p *page) StaffUser() bool { return p.Actor != nil && org.StaffUser(p.Actor.User) }
