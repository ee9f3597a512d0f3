package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"whistle/internal/consult"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/participation"
)

// Community projects (项目制) and the annual practical-matters list (民生实事),
// issue #15: staff pages for units and the centre, portal pages for residents.

func init() {
	pageNames = append(pageNames, "project_staff", "project_view", "project_portal_list", "project_portal", "practical_portal", "practical_staff")
}

type projectRow struct {
	P                       consult.Project
	Budget, Approved, Spent string
}

func projectRows(list []consult.Project) []projectRow {
	out := make([]projectRow, 0, len(list))
	for _, p := range list {
		out = append(out, projectRow{P: p, Budget: consult.Yuan(p.BudgetFen), Approved: consult.Yuan(p.ApprovedFen), Spent: consult.Yuan(p.SpentFen)})
	}
	return out
}

type projectsData struct {
	Rows   []projectRow
	May    bool
	Places []placeOption
}

func (s *Server) projectsPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "project.staff_title")
	s.renderProjects(w, r, a, p, 200)
}

func (s *Server) renderProjects(w http.ResponseWriter, r *http.Request, a org.Actor, p *page, status int) {
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	list, err := s.svc.Consult.Projects(ctx, a)
	if err != nil {
		if errs.CodeOf(err) == errs.Forbidden {
			s.errorPage(w, r, 403, errs.Message(errs.Forbidden, p.Lang))
			return
		}
		status = s.explain(p, err)
	}
	p.Data = projectsData{Rows: projectRows(list), May: mayDraft(a), Places: s.areaPlaces(a)}
	s.render(w, status, "project_staff", p)
}

func formID(v string) int64 {
	id, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	return id
}

// projectPropose proposes a project of the actor's unit.
func (s *Server) projectPropose(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "project.staff_title")
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	p.Form = r.PostForm
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	f := r.PostForm
	in := consult.Project{Title: f.Get("title"), Need: f.Get("need"), Plan: f.Get("plan"), ProposerOrg: f.Get("proposer_org"), PlaceID: formID(f.Get("place_id"))}
	fen, err := consult.ParseYuan(f.Get("budget"))
	if err != nil {
		err = &errs.Error{Code: errs.Invalid, Field: "budget"}
	}
	in.BudgetFen = fen
	var pr *consult.Project
	if err == nil {
		pr, err = s.svc.Consult.ProposeProject(ctx, a, in)
	}
	if err != nil {
		if errs.CodeOf(err) == errs.Forbidden {
			s.errorPage(w, r, 403, errs.Message(errs.Forbidden, p.Lang))
			return
		}
		s.renderProjects(w, r, a, p, s.explain(p, err))
		return
	}
	http.Redirect(w, r, withFlash(fmt.Sprintf("/projects/%d", pr.ID), s.cat.T(p.Lang, "project.proposed_done")), http.StatusSeeOther)
}

type projectViewData struct {
	V          *participation.ProjectView
	Row        projectRow
	Spending   []spendRow
	Stars      string
	IsStreet   bool
	MayReport  bool
	Percent    int
	PublicView bool
}

type spendRow struct {
	consult.Spending
	Amount string
}

func (s *Server) projectViewData(v *participation.ProjectView, a *org.Actor) projectViewData {
	d := projectViewData{V: v, Row: projectRows([]consult.Project{*v.Project})[0], PublicView: a == nil}
	for _, sp := range v.Spending {
		d.Spending = append(d.Spending, spendRow{Spending: sp, Amount: consult.Yuan(sp.AmountFen)})
	}
	if n := len(v.Reports); n > 0 {
		d.Percent = v.Reports[n-1].Percent
	}
	if len(v.Evaluations) > 0 {
		d.Stars = strconv.FormatFloat(v.StarsMean, 'f', 1, 64)
	}
	if a != nil && mayDraft(*a) {
		d.IsStreet = a.Unit.ID == v.Project.StreetID
		d.MayReport = d.IsStreet || a.Unit.ID == v.Project.UnitID
	}
	return d
}

func (s *Server) projectPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "project.staff_title")
	id, ok := surveyID(r)
	if !ok {
		s.errorPage(w, r, 404, errs.Message(errs.NotFound, p.Lang))
		return
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	v, err := s.svc.Consult.Project(ctx, a, id)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	p.Title = v.Project.Title
	p.Data = s.projectViewData(v, &a)
	s.render(w, 200, "project_view", p)
}

// projectAct runs one of the staff's actions on a project: decide, report,
// spend, finish.
func (s *Server) projectAct(action string) func(http.ResponseWriter, *http.Request, org.Actor) {
	return func(w http.ResponseWriter, r *http.Request, a org.Actor) {
		p := s.newPage(r, &a, "project.staff_title")
		id, ok := surveyID(r)
		if !ok {
			s.errorPage(w, r, 404, errs.Message(errs.NotFound, p.Lang))
			return
		}
		if action == "report" {
			r.Body = http.MaxBytesReader(w, r.Body, s.svc.Config().MaxAttachment*int64(maxReportPhotos)+1<<20)
		}
		if err := parseForm(r); err != nil { // a report may carry photos (multipart)
			s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
			return
		}
		ctx, cancel := ctxTimeout(r)
		defer cancel()
		f := r.PostForm
		var err error
		switch action {
		case "decide":
			approve := f.Get("decision") == "approve"
			var fen int64
			if approve {
				if fen, err = consult.ParseYuan(f.Get("approved")); err != nil {
					err = &errs.Error{Code: errs.Invalid, Field: "approved"}
				}
			}
			if err == nil {
				_, err = s.svc.Consult.DecideProject(ctx, a, id, approve, fen, f.Get("reason"))
			}
		case "report":
			pct, _ := strconv.Atoi(f.Get("percent"))
			var photos []int64
			if photos, err = s.uploads(r, a, "photos"); err == nil {
				_, err = s.svc.Consult.ReportProgress(ctx, a, id, consult.Report{Note: f.Get("note"), Percent: pct, PhotoIDs: photos})
			}
		case "spend":
			var fen int64
			if fen, err = consult.ParseYuan(f.Get("amount")); err != nil {
				err = &errs.Error{Code: errs.Invalid, Field: "amount"}
			} else {
				_, err = s.svc.Consult.Spend(ctx, a, id, consult.Spending{AmountFen: fen, Purpose: f.Get("purpose")})
			}
		case "finish":
			_, err = s.svc.Consult.FinishProject(ctx, a, id)
		}
		target := fmt.Sprintf("/projects/%d", id)
		if err != nil {
			if c := errs.CodeOf(err); c == errs.NotFound || c == errs.Forbidden {
				s.failPage(w, r, err)
				return
			}
			s.explain(p, err)
			http.Redirect(w, r, withFlash(target, p.Err+" "+strings.Join(mapValues(p.Fields), " ")), http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, withFlash(target, s.cat.T(p.Lang, "project.done_"+action)), http.StatusSeeOther)
	}
}

// maxReportPhotos is how many photos one progress report carries (as
// consult.CheckReport allows).
const maxReportPhotos = 9

// projectPhoto serves a photo of a project's progress report: on the portal
// when the project is public, on the staff pages to those who may see it.
func (s *Server) projectPhoto(w http.ResponseWriter, r *http.Request, a *org.Actor) {
	id, ok := surveyID(r)
	pid, err := strconv.ParseInt(r.PathValue("photo"), 10, 64)
	if !ok || err != nil {
		http.NotFound(w, r)
		return
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	att, data, err := s.svc.Consult.ProjectPhoto(ctx, a, id, pid)
	if err != nil {
		if errs.CodeOf(err) == errs.NotFound {
			http.NotFound(w, r)
			return
		}
		s.failPage(w, r, err)
		return
	}
	w.Header().Set("Content-Type", att.ContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	w.Write(data)
}

func (s *Server) projectPhotoPortal(w http.ResponseWriter, r *http.Request) {
	s.projectPhoto(w, r, nil)
}

func (s *Server) projectPhotoStaff(w http.ResponseWriter, r *http.Request, a org.Actor) {
	s.projectPhoto(w, r, &a)
}

// ---- portal ----

func (s *Server) projectPortalList(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil, "project.portal_title")
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	list, err := s.svc.Consult.PublicProjects(ctx)
	if err != nil {
		s.render(w, s.explain(p, err), "project_portal_list", p)
		return
	}
	p.Data = projectRows(list)
	s.render(w, 200, "project_portal_list", p)
}

func (s *Server) projectPortalPage(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil, "project.portal_title")
	s.renderProjectPortal(w, r, p, 200)
}

func (s *Server) renderProjectPortal(w http.ResponseWriter, r *http.Request, p *page, status int) {
	id, ok := surveyID(r)
	if !ok {
		s.errorPage(w, r, 404, errs.Message(errs.NotFound, p.Lang))
		return
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	v, err := s.svc.Consult.PublicProject(ctx, id)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	p.Title = v.Project.Title
	p.Data = s.projectViewData(v, nil)
	s.render(w, status, "project_portal", p)
}

// projectEvaluate records a resident's stars and comment on a finished project.
func (s *Server) projectEvaluate(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil, "project.portal_title")
	id, ok := surveyID(r)
	if !ok {
		s.errorPage(w, r, 404, errs.Message(errs.NotFound, p.Lang))
		return
	}
	ip, ok := s.portalForm(w, r, p, func(status int) { s.renderProjectPortal(w, r, p, status) })
	if !ok {
		return
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	stars, _ := strconv.Atoi(r.PostFormValue("stars"))
	err := s.svc.Consult.Evaluate(ctx, id, r.PostFormValue("phone"), consult.Evaluation{Stars: stars, Comment: r.PostFormValue("comment")})
	if err != nil {
		st := s.explain(p, err)
		s.renderProjectPortal(w, r, p, st)
		return
	}
	s.submits.Fail(ip, time.Now())
	http.Redirect(w, r, withFlash(fmt.Sprintf("/portal/projects/%d", id), s.cat.T(p.Lang, "project.thanks")), http.StatusSeeOther)
}

// ---- the practical-matters list ----

type practicalData struct {
	Rounds []consult.Round
	V      *participation.RoundView
	Places []placeOption
	Centre bool
}

func (s *Server) practicalData(r *http.Request, p *page) (practicalData, error) {
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	d := practicalData{}
	rounds, err := s.svc.Consult.Rounds(ctx)
	if err != nil {
		return d, err
	}
	d.Rounds = rounds
	id := formID(r.URL.Query().Get("round"))
	if id == 0 && len(rounds) > 0 {
		id = rounds[0].ID
	}
	if id != 0 {
		if d.V, err = s.svc.Consult.Round(ctx, id); err != nil {
			return d, err
		}
	}
	for _, u := range s.svc.UnitsList() {
		if u.Kind == org.KindStreet && u.PlaceID != 0 {
			if pl, ok := s.svc.Place(u.PlaceID); ok {
				d.Places = append(d.Places, placeOption{pl.ID, pl.Name})
			}
		}
	}
	return d, nil
}

func (s *Server) practicalPortal(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil, "practical.portal_title")
	s.renderPractical(w, r, p, 200, "practical_portal")
}

func (s *Server) renderPractical(w http.ResponseWriter, r *http.Request, p *page, status int, name string) {
	d, err := s.practicalData(r, p)
	if err != nil {
		status = s.explain(p, err)
	}
	d.Centre = p.Actor != nil && org.CityDecider(*p.Actor)
	p.Data = d
	s.render(w, status, name, p)
}

// practicalPropose records a resident's proposal.
func (s *Server) practicalPropose(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil, "practical.portal_title")
	ip, ok := s.portalForm(w, r, p, func(status int) { s.renderPractical(w, r, p, status, "practical_portal") })
	if !ok {
		return
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	f := r.PostForm
	round := formID(r.PathValue("id"))
	_, err := s.svc.Consult.Propose(ctx, round, f.Get("phone"), f.Get("title"), f.Get("detail"), formID(f.Get("place_id")))
	if err != nil {
		s.renderPractical(w, r, p, s.explain(p, err), "practical_portal")
		return
	}
	s.submits.Fail(ip, time.Now())
	http.Redirect(w, r, withFlash(fmt.Sprintf("/portal/practical?round=%d", round), s.cat.T(p.Lang, "practical.proposed")), http.StatusSeeOther)
}

// practicalVote records a phone's vote for an item.
func (s *Server) practicalVote(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil, "practical.portal_title")
	ip, ok := s.portalForm(w, r, p, func(status int) { s.renderPractical(w, r, p, status, "practical_portal") })
	if !ok {
		return
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	if err := s.svc.Consult.Vote(ctx, formID(r.PathValue("id")), r.PostFormValue("phone")); err != nil {
		st := s.explain(p, err)
		if p.Err == "" || len(p.Fields) > 0 {
			p.Err = strings.Join(mapValues(p.Fields), " ")
		}
		s.renderPractical(w, r, p, st, "practical_portal")
		return
	}
	s.submits.Fail(ip, time.Now())
	http.Redirect(w, r, withFlash("/portal/practical?round="+r.PostFormValue("round"), s.cat.T(p.Lang, "practical.voted")), http.StatusSeeOther)
}

func (s *Server) practicalStaff(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "practical.staff_title")
	s.renderPractical(w, r, p, 200, "practical_staff")
}

// practicalAct runs the centre's actions: open a round, shortlist an item,
// open the vote, adopt the top items.
func (s *Server) practicalAct(action string) func(http.ResponseWriter, *http.Request, org.Actor) {
	return func(w http.ResponseWriter, r *http.Request, a org.Actor) {
		p := s.newPage(r, &a, "practical.staff_title")
		if err := r.ParseForm(); err != nil {
			s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
			return
		}
		ctx, cancel := ctxTimeout(r)
		defer cancel()
		f := r.PostForm
		id := formID(r.PathValue("id"))
		round := formID(f.Get("round"))
		var err error
		switch action {
		case "open":
			year, _ := strconv.Atoi(f.Get("year"))
			votes, _ := strconv.Atoi(f.Get("votes"))
			var rd *consult.Round
			if rd, err = s.svc.Consult.OpenRound(ctx, a, year, f.Get("title"), votes); err == nil {
				round = rd.ID
			}
		case "shortlist":
			_, err = s.svc.Consult.Shortlist(ctx, a, id, f.Get("keep") == "1", f.Get("note"))
		case "voting":
			_, err = s.svc.Consult.OpenVoting(ctx, a, id)
			round = id
		case "adopt":
			n, _ := strconv.Atoi(f.Get("n"))
			_, err = s.svc.Consult.Adopt(ctx, a, id, n)
			round = id
		}
		target := fmt.Sprintf("/practical?round=%d", round)
		if err != nil {
			if errs.CodeOf(err) == errs.Forbidden {
				s.failPage(w, r, err)
				return
			}
			s.explain(p, err)
			http.Redirect(w, r, withFlash(target, p.Err+" "+strings.Join(mapValues(p.Fields), " ")), http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, withFlash(target, s.cat.T(p.Lang, "practical.done_"+action)), http.StatusSeeOther)
	}
}
