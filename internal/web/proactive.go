package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"whistle/internal/agenda"
	"whistle/internal/errs"
	"whistle/internal/governance"
	"whistle/internal/insight"
	"whistle/internal/org"
)

// 未诉先办: the centre proposes proactive tasks for the weeks ahead from last
// year's history, reviews them, and follows the approved ones; the owner
// units see them in their inbox (inbox.go) and report them done.

func init() { pageNames = append(pageNames, "proactive") }

// taskRow is a task with the names the pages show.
type taskRow struct {
	T        *agenda.Task
	Title    string // in the page's language (a proactive task's words are rebuilt from its evidence in English)
	Detail   string
	Unit     string
	Place    string
	Overdue  bool
	MayDone  bool
	Evidence governance.ProactiveEvidence
	Weekly   string // last year's requests by week, "3 · 5 · 8"
}

func (s *Server) taskRows(ts []*agenda.Task, a org.Actor, now time.Time, lang string) []taskRow {
	out := make([]taskRow, 0, len(ts))
	for _, t := range ts {
		r := taskRow{T: t, Title: t.Title, Detail: t.Detail, Overdue: t.State == agenda.TaskOpen && now.After(t.DueAt),
			MayDone: t.State == agenda.TaskOpen && a.Unit.ID == t.UnitID && a.User.Has(org.RoleHandler, org.RoleLeader)}
		if u, ok := s.svc.Unit(t.UnitID); ok {
			r.Unit = u.Name
		}
		if len(t.PlaceIDs) > 0 {
			if p, ok := s.svc.Place(t.PlaceIDs[0]); ok {
				r.Place = p.Name
			}
		}
		if t.Kind == agenda.KindProactive {
			r.Evidence = governance.EvidenceOf(t)
			var ws []string
			for _, n := range r.Evidence.Weekly {
				ws = append(ws, strconv.Itoa(n))
			}
			r.Weekly = strings.Join(ws, " · ")
			if lang == "en" && r.Evidence.Key != "" {
				r.Title, r.Detail = s.proactiveEnglish(r.Evidence)
			}
		}
		out = append(out, r)
	}
	return out
}

// proactiveEnglish words a proactive task in English from its evidence
// (place and unit names have no English and stay as they are).
func (s *Server) proactiveEnglish(e governance.ProactiveEvidence) (title, detail string) {
	cat := e.Category
	if c, ok := s.svc.Category(e.Category); ok && c.NameEN != "" {
		cat = c.NameEN
	}
	title = fmt.Sprintf("Pre-season check: %s · %s", cat, e.PlaceName)
	if !e.Seasonal {
		title = fmt.Sprintf("Preventive check: %s · %s", cat, e.PlaceName)
	}
	var ws, us []string
	for _, n := range e.Weekly {
		ws = append(ws, strconv.Itoa(n))
	}
	for _, u := range e.Units {
		name := e.UnitNames[u.Key]
		if name == "" {
			name = u.Key
		}
		us = append(us, fmt.Sprintf("%s (%d)", name, u.N))
	}
	detail = fmt.Sprintf("The same weeks last year (%s to %s): %d requests about %s in %s (by week: %s), %.1f a week against %.1f otherwise.",
		e.LastFrom, e.LastTo, e.LastYear, cat, e.PlaceName, strings.Join(ws, ", "), e.InRate, e.OutRate)
	if len(us) > 0 {
		detail += " Handled by " + strings.Join(us, ", ") + "."
	}
	if e.Seasonal {
		detail += fmt.Sprintf(" The season starts about %s; check %d working days before.", e.SeasonStart, governance.LeadWorkdays)
	}
	return title, detail
}

type proactiveData struct {
	MayRun                     bool
	From, To                   string
	Proposed, Approved, Closed []taskRow
}

// proactivePage is the centre's review of 未诉先办 proposals.
func (s *Server) proactivePage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "proactive.title")
	s.renderProactive(w, r, a, p, 200)
}

func (s *Server) renderProactive(w http.ResponseWriter, r *http.Request, a org.Actor, p *page, status int) {
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	ts, err := s.svc.Insight.Proposals(ctx, a)
	if err != nil {
		if errs.Is(err, errs.Forbidden) {
			s.errorPage(w, r, 403, errs.Message(errs.Forbidden, p.Lang))
			return
		}
		s.render(w, s.explain(p, err), "proactive", p)
		return
	}
	from := insight.DayOf(p.Now) + 1
	d := proactiveData{MayRun: governance.MayRunProactive(a), From: from.String(), To: (from + 41).String()}
	if v := p.Form.Get("from"); v != "" {
		d.From = v
	}
	if v := p.Form.Get("to"); v != "" {
		d.To = v
	}
	for _, t := range s.taskRows(ts, a, p.Now, p.Lang) {
		switch t.T.State {
		case agenda.TaskProposed:
			d.Proposed = append(d.Proposed, t)
		case agenda.TaskOpen, agenda.TaskDone:
			d.Approved = append(d.Approved, t)
		default:
			d.Closed = append(d.Closed, t)
		}
	}
	p.Data = d
	s.render(w, status, "proactive", p)
}

func formDay(v, field string) (insight.Day, error) {
	t, err := time.Parse("2006-01-02", strings.TrimSpace(v))
	if err != nil {
		return 0, errs.F(errs.Invalid, field)
	}
	return insight.DateDay(t.Date()), nil
}

func (s *Server) proactivePropose(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "proactive.title")
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	p.Form = r.PostForm
	from, err := formDay(r.PostFormValue("from"), "from")
	var to insight.Day
	if err == nil {
		to, err = formDay(r.PostFormValue("to"), "to")
	}
	var ts []*agenda.Task
	if err == nil {
		ctx, cancel := ctxTimeout(r)
		defer cancel()
		ts, err = s.svc.Insight.ProposeProactive(ctx, a, from, to)
	}
	if err != nil {
		s.renderProactive(w, r, a, p, s.explain(p, err))
		return
	}
	msg := strings.ReplaceAll(s.cat.T(p.Lang, "proactive.proposed_n"), "%d", strconv.Itoa(len(ts)))
	http.Redirect(w, r, withFlash("/proactive", msg), http.StatusSeeOther)
}

func (s *Server) proactiveReview(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "proactive.title")
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.errorPage(w, r, 404, errs.Message(errs.NotFound, p.Lang))
		return
	}
	approve := r.PostFormValue("decision") == "approve"
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	if _, err := s.svc.Insight.ReviewProactive(ctx, a, id, approve, r.PostFormValue("note"), governance.ReviewOverrides{}); err != nil {
		p.Form = r.PostForm
		p.Form.Set("task", strconv.FormatInt(id, 10))
		s.renderProactive(w, r, a, p, s.explain(p, err))
		return
	}
	key := "proactive.rejected"
	if approve {
		key = "proactive.approved"
	}
	http.Redirect(w, r, withFlash("/proactive", s.cat.T(p.Lang, key)), http.StatusSeeOther)
}

// taskDone reports a task done from the inbox.
func (s *Server) taskDone(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "inbox.title")
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.errorPage(w, r, 404, errs.Message(errs.NotFound, p.Lang))
		return
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	if _, err := s.svc.Insight.CompleteTask(ctx, a, id, r.PostFormValue("note")); err != nil {
		status := s.explain(p, err)
		if status == 404 {
			s.errorPage(w, r, 404, errs.Message(errs.NotFound, p.Lang))
			return
		}
		p.Form = r.PostForm
		p.Form.Set("task", strconv.FormatInt(id, 10))
		ts, _ := s.svc.Insight.Inbox(ctx, a)
		p.Data = listData{Tab: "lead", Tabs: []string{"lead", "co", "closed"}, Tasks: s.taskRows(ts, a, p.Now, p.Lang)}
		s.render(w, status, "inbox", p)
		return
	}
	http.Redirect(w, r, withFlash("/inbox#tasks", s.cat.T(p.Lang, "proactive.task_done")), http.StatusSeeOther)
}
