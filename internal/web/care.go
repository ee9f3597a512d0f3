package web

import (
	"net/http"
	"strconv"
	"strings"

	"whistle/internal/community"
	"whistle/internal/org"
	"whistle/internal/volunteering"
)

// The care list (关爱对象, issue #15): only the community's own staff open
// these pages; the service answers everyone else 404 and records every
// view in the audit log. No export reads it.

func init() { pageNames = append(pageNames, "care", "care_subject") }

type careData struct {
	Items    []community.CareItem
	Overdue  int
	Types    []string
	Consents []string
	Methods  []string
}

func (s *Server) carePage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "care.title")
	s.renderCare(w, r, a, p, 200)
}

func (s *Server) renderCare(w http.ResponseWriter, r *http.Request, a org.Actor, p *page, status int) {
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	items, err := s.svc.Community.CareList(ctx, a)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	d := careData{Items: items, Types: volunteering.CareTypes, Consents: []string{volunteering.ConsentSelf, volunteering.ConsentGuardian},
		Methods: []string{volunteering.ConsentWritten, volunteering.ConsentVerbal}}
	for _, it := range items {
		if it.OverdueDays > 0 {
			d.Overdue++
		}
	}
	p.Data = d
	s.render(w, status, "care", p)
}

func (s *Server) careAdd(w http.ResponseWriter, r *http.Request, a org.Actor) {
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	every, _ := strconv.Atoi(r.FormValue("every_days"))
	x := volunteering.Subject{Name: r.FormValue("name"), Phone: r.FormValue("phone"), Address: r.FormValue("address"), CareType: r.FormValue("care_type"),
		EveryDays: every, Consent: volunteering.Consent{By: r.FormValue("consent_by"), Method: r.FormValue("consent_method"), At: s.volTime(r.FormValue("consent_at"))}}
	if _, err := s.svc.Community.AddCareSubject(ctx, a, x); err != nil {
		p := s.newPage(r, &a, "care.title")
		p.Form = r.PostForm
		s.renderCare(w, r, a, p, s.explain(p, err))
		return
	}
	http.Redirect(w, r, withFlash("/care", s.cat.T(langOf(r), "care.added")), http.StatusSeeOther)
}

type careSubjectData struct {
	community.CareDetail
	Volunteers []volunteering.Volunteer
	Reasons    []string
}

func (s *Server) careSubjectPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "care.subject_title")
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	d, err := s.svc.Community.CareSubject(ctx, a, volID(r, "id"))
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	vs, _ := s.svc.Community.Volunteers(ctx, a)
	var active []volunteering.Volunteer
	for _, v := range vs {
		if v.State == volunteering.Active {
			active = append(active, v)
		}
	}
	p.Data = careSubjectData{CareDetail: d, Volunteers: active, Reasons: volunteering.RemovalReasons}
	s.render(w, 200, "care_subject", p)
}

func (s *Server) careVisit(w http.ResponseWriter, r *http.Request, a org.Actor) {
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	vol, _ := strconv.ParseInt(r.FormValue("volunteer_id"), 10, 64)
	id := volID(r, "id")
	in := community.VisitInput{At: s.volTime(r.FormValue("at")), Note: strings.TrimSpace(r.FormValue("note")), VolunteerID: vol}
	if _, err := s.svc.Community.RecordVisit(ctx, a, id, in); err != nil {
		s.failPage(w, r, err)
		return
	}
	http.Redirect(w, r, withFlash("/care/"+strconv.FormatInt(id, 10), s.cat.T(langOf(r), "care.visited")), http.StatusSeeOther)
}

// careRemove takes a person off the list (the service erases the personal
// data at once) and returns to the list.
func (s *Server) careRemove(w http.ResponseWriter, r *http.Request, a org.Actor) {
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	if err := s.svc.Community.RemoveCareSubject(ctx, a, volID(r, "id"), r.FormValue("reason")); err != nil {
		s.failPage(w, r, err)
		return
	}
	http.Redirect(w, r, withFlash("/care", s.cat.T(langOf(r), "care.removed")), http.StatusSeeOther)
}
