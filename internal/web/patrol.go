package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"whistle/internal/errs"
	"whistle/internal/grid"
	"whistle/internal/org"
)

type patrolPoint struct {
	Lat    float64 `json:"lat"`
	Lon    float64 `json:"lon"`
	Manual bool    `json:"manual,omitempty"`
}

type findingMark struct {
	ID      int64   `json:"id"`
	Number  string  `json:"number"`
	Item    string  `json:"item"`
	Outcome string  `json:"outcome"`
	Lat     float64 `json:"lat"`
	Lon     float64 `json:"lon"`
}

type findingRow struct {
	F      grid.Finding
	Number string
	State  string
}

type patrolData struct {
	Grids    []org.Place
	Active   *grid.Patrol
	Findings []findingRow
	Recent   []grid.Patrol
	Items    []string
	Outcomes []string
	Groups   []catGroup
	Track    string // JSON: the recorded positions, for the map
	Marks    string // JSON: the findings with coordinates
	Center   string // lat,lon to centre the map on
}

// patrolGrids are the grids the actor may patrol: a grid worker's own and
// the grids the actor is assigned to.
func (s *Server) patrolGrids(r *http.Request, a org.Actor) []org.Place {
	out, err := s.svc.Patrols.MyGrids(r.Context(), a)
	if err != nil {
		s.log.Warn("grid assignments", "err", err)
	}
	return out
}

// patrolPage is the grid worker's phone page: start a patrol, record where
// one is, report what one finds (十无), end.
func (s *Server) patrolPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "patrol.title")
	s.renderPatrol(w, r, a, p, 200)
}

func (s *Server) renderPatrol(w http.ResponseWriter, r *http.Request, a org.Actor, p *page, status int) {
	d := patrolData{Grids: s.patrolGrids(r, a), Items: grid.Items, Outcomes: grid.Outcomes, Groups: s.categoryGroups(p.Lang), Track: "[]", Marks: "[]"}
	if len(d.Grids) == 0 {
		s.errorPage(w, r, 403, s.cat.T(p.Lang, "patrol.no_grids"))
		return
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	recent, err := s.svc.Patrols.RecentPatrols(ctx, a, 30, 20)
	if err != nil {
		p.Data = d
		s.render(w, s.explain(p, err), "patrol", p)
		return
	}
	for i := range recent {
		if recent[i].State == grid.Patrolling && d.Active == nil {
			d.Active = &recent[i]
			continue
		}
		d.Recent = append(d.Recent, recent[i])
	}
	if d.Active != nil {
		pa, pts, fs, err := s.svc.Patrols.Patrol(ctx, a, d.Active.ID)
		if err != nil {
			p.Data = d
			s.render(w, s.explain(p, err), "patrol", p)
			return
		}
		d.Active = &pa
		track := []patrolPoint{}
		for _, pt := range pts {
			track = append(track, patrolPoint{Lat: pt.Lat, Lon: pt.Lon, Manual: pt.Manual})
		}
		if len(track) > 0 {
			last := track[len(track)-1]
			d.Center = strconv.FormatFloat(last.Lat, 'f', 6, 64) + "," + strconv.FormatFloat(last.Lon, 'f', 6, 64)
		}
		b, _ := json.Marshal(track)
		d.Track = string(b)
		marks := []findingMark{}
		for _, f := range fs {
			fr := findingRow{F: f}
			if c, err := s.svc.Cases.Get(ctx, a, f.CaseID); err == nil {
				fr.Number, fr.State = c.Number, string(c.State)
				if c.Location.Lat != nil && c.Location.Lon != nil {
					marks = append(marks, findingMark{ID: c.ID, Number: c.Number, Item: s.cat.T(p.Lang, "patrol.item."+f.Item), Lat: *c.Location.Lat, Lon: *c.Location.Lon})
				}
			}
			d.Findings = append(d.Findings, fr)
		}
		b, _ = json.Marshal(marks)
		d.Marks = string(b)
	}
	p.Data = d
	s.render(w, status, "patrol", p)
}

// ownPatrol answers the page's error and false unless patrol id is a's:
// asked before the form is read, so a patrol outside a's reach is 404
// whatever was posted.
func (s *Server) ownPatrol(w http.ResponseWriter, r *http.Request, p *page, a org.Actor, id int64) bool {
	if err := s.svc.Patrols.CheckOwn(r.Context(), a, id); err != nil {
		status := errs.Status(errs.CodeOf(err))
		s.errorPage(w, r, status, errs.Message(errs.CodeOf(err), p.Lang))
		return false
	}
	return true
}

func patrolID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil
}

// patrolStart starts a patrol of one of the actor's grids.
func (s *Server) patrolStart(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "patrol.title")
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	p.Form = r.PostForm
	gridID, err := strconv.ParseInt(r.PostFormValue("grid_id"), 10, 64)
	if err != nil {
		s.explain(p, errs.F(errs.FieldRequired, "grid_id"))
		s.renderPatrol(w, r, a, p, 422)
		return
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	if _, err := s.svc.Patrols.StartPatrol(ctx, a, gridID, r.PostFormValue("note")); err != nil {
		s.renderPatrol(w, r, a, p, s.explain(p, err))
		return
	}
	http.Redirect(w, r, withFlash("/patrol", s.cat.T(p.Lang, "patrol.started", placeNameOf(s, gridID))), http.StatusSeeOther)
}

func placeNameOf(s *Server, id int64) string {
	pl, _ := s.svc.Place(id)
	return pl.Name
}

// patrolPositions records one position: the phone's fix (source=gps, sent
// by the page's script) or a pin the worker set on the map by hand (any
// other source), which is kept as manual and is no patrol track. A script
// posting fixes in the background gets 204, a form a page.
func (s *Server) patrolPositions(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "patrol.title")
	id, ok := patrolID(r)
	if !ok || !s.ownPatrol(w, r, p, a, id) { // scope before the form
		if !ok {
			s.errorPage(w, r, 404, errs.Message(errs.NotFound, p.Lang))
		}
		return
	}
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	background := r.Header.Get("X-Whistle-Fetch") != ""
	p.Form = r.PostForm
	manual := r.PostFormValue("source") != "gps"
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(r.PostFormValue("lat")), 64)
	lon, err2 := strconv.ParseFloat(strings.TrimSpace(r.PostFormValue("lon")), 64)
	var err error
	if err1 != nil || err2 != nil {
		err = errs.F(errs.InvalidLocation, "points")
	} else {
		ctx, cancel := ctxTimeout(r)
		defer cancel()
		_, err = s.svc.Patrols.AddPositions(ctx, a, id, []grid.Point{{At: s.svc.Now(), Lat: lat, Lon: lon, Manual: manual}})
	}
	if background {
		if err != nil {
			http.Error(w, errs.Message(errs.CodeOf(err), p.Lang), errs.Status(errs.CodeOf(err)))
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if err != nil {
		status := s.explain(p, err)
		if m, ok := p.Fields["points"]; ok {
			p.Fields["position"] = m
		}
		s.renderPatrol(w, r, a, p, status)
		return
	}
	msg := s.cat.T(p.Lang, "patrol.position_saved")
	if manual {
		msg = s.cat.T(p.Lang, "patrol2.pin_saved")
	}
	http.Redirect(w, r, withFlash("/patrol", msg), http.StatusSeeOther)
}

// patrolFinding reports a finding of the actor's patrol: it becomes a case
// on channel grid, handled as the worker chose.
func (s *Server) patrolFinding(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "patrol.title")
	id, ok := patrolID(r)
	if !ok || !s.ownPatrol(w, r, p, a, id) { // scope before the form
		if !ok {
			s.errorPage(w, r, 404, errs.Message(errs.NotFound, p.Lang))
		}
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.svc.Config().MaxAttachment*4+1<<20)
	if err := parseForm(r); err != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	p.Form = r.PostForm
	p.Form.Set("open", "finding")
	in := grid.FindingInput{Item: r.PostFormValue("item"), Category: r.PostFormValue("category"), Description: r.PostFormValue("description"),
		Address: r.PostFormValue("address"), Outcome: r.PostFormValue("outcome"), Evidence: r.PostFormValue("evidence")}
	if v := strings.TrimSpace(r.PostFormValue("lat")); v != "" {
		lat, err1 := strconv.ParseFloat(v, 64)
		lon, err2 := strconv.ParseFloat(strings.TrimSpace(r.PostFormValue("lon")), 64)
		if err1 != nil || err2 != nil {
			p.Fields["position"] = errs.Message(errs.InvalidLocation, p.Lang)
		} else {
			in.Lat, in.Lon = &lat, &lon
		}
	}
	if len(p.Fields) > 0 {
		p.Err = s.cat.T(p.Lang, "form.check_fields")
		s.renderPatrol(w, r, a, p, 422)
		return
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	// Check the form before storing photos, so a wrong field keeps no orphans.
	// (The photos are not stored yet: stand in for them when checking.)
	check := in
	if r.MultipartForm != nil && len(r.MultipartForm.File["photos"]) > 0 {
		check.Attachments = []int64{0}
	}
	if err := check.Validate(); err != nil {
		s.renderPatrol(w, r, a, p, s.explain(p, err))
		return
	}
	ids, err := s.uploads(r, a, "photos")
	if err != nil {
		s.renderPatrol(w, r, a, p, s.explain(p, err))
		return
	}
	in.Attachments = ids
	_, c, err := s.svc.Patrols.ReportFinding(ctx, a, id, in)
	if err != nil {
		s.renderPatrol(w, r, a, p, s.explain(p, err))
		return
	}
	http.Redirect(w, r, withFlash("/patrol", s.cat.T(p.Lang, "patrol.reported", c.Number, s.cat.T(p.Lang, "patrol.outcome."+in.Outcome))), http.StatusSeeOther)
}

// patrolEnd ends the actor's patrol.
func (s *Server) patrolEnd(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "patrol.title")
	id, ok := patrolID(r)
	if !ok {
		s.errorPage(w, r, 404, errs.Message(errs.NotFound, p.Lang))
		return
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	pa, err := s.svc.Patrols.EndPatrol(ctx, a, id)
	if err != nil {
		s.renderPatrol(w, r, a, p, s.explain(p, err))
		return
	}
	http.Redirect(w, r, withFlash("/patrol", s.cat.T(p.Lang, "patrol.ended", pa.Points, int(pa.Meters+0.5), pa.Findings)), http.StatusSeeOther)
}

type coverageData struct {
	From, To string // YYYY-MM-DD, inclusive
	Streets  []coverageStreet
	Marks    string
	// MarkCount is how many findings the map shows.
	MarkCount int
}

type coverageStreet struct {
	Street            string
	Grids, Patrolled  int
	Patrols, Findings int64
	Lines             []coverageGrid
	PatrolledPct      string
}

type coverageGrid struct {
	Grid                      string
	Patrols, Findings, Closed int64
	AvgClose                  string
}

// coveragePage shows patrol coverage per street and grid, and a map of the
// findings (centre staff; a street office its own).
func (s *Server) coveragePage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "patrol.coverage_title")
	loc := s.svc.Location()
	from, to := grid.Week(s.svc.Now())
	to = to.AddDate(0, 0, -1)
	q := r.URL.Query()
	d := coverageData{Marks: "[]"}
	if v := q.Get("from"); v != "" {
		t, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			p.Fields["from"] = errs.Message(errs.Invalid, p.Lang)
		}
		from = t
	}
	if v := q.Get("to"); v != "" {
		t, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil || t.Before(from) {
			p.Fields["to"] = errs.Message(errs.Invalid, p.Lang)
		}
		to = t
	}
	d.From, d.To = from.Format("2006-01-02"), to.Format("2006-01-02")
	p.Form.Set("from", d.From)
	p.Form.Set("to", d.To)
	for _, f := range []string{"from", "to"} {
		if _, bad := p.Fields[f]; bad {
			p.Form.Set(f, q.Get(f)) // keep what was typed
		}
	}
	p.Data = d
	if len(p.Fields) > 0 {
		p.Err = s.cat.T(p.Lang, "form.check_fields")
		s.render(w, 422, "coverage", p)
		return
	}
	end := to.AddDate(0, 0, 1)
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	cov, err := s.svc.Patrols.Coverage(ctx, a, from, end)
	if err != nil {
		if errs.CodeOf(err) == errs.Forbidden {
			s.errorPage(w, r, 403, errs.Message(errs.Forbidden, p.Lang))
			return
		}
		s.render(w, s.explain(p, err), "coverage", p)
		return
	}
	withFindings := map[int64]bool{}
	for _, sc := range cov {
		cs := coverageStreet{Street: sc.Street, Grids: sc.Grids, Patrolled: sc.Patrolled, Patrols: sc.Patrols, Findings: sc.Findings, PatrolledPct: "—"}
		if sc.Grids > 0 {
			cs.PatrolledPct = strconv.FormatFloat(float64(sc.Patrolled)*100/float64(sc.Grids), 'f', 1, 64) + "%"
		}
		for _, ga := range sc.GridActivity {
			cs.Lines = append(cs.Lines, coverageGrid{Grid: placeNameOf(s, ga.GridID), Patrols: ga.Patrols, Findings: ga.Findings, Closed: ga.Closed, AvgClose: fmtPoints(ga.AvgCloseHours)})
			if ga.Findings > 0 {
				withFindings[ga.GridID] = true
			}
		}
		d.Streets = append(d.Streets, cs)
	}
	fms, err := s.svc.Patrols.FindingMarks(ctx, a, from, end, withFindings, 2000)
	if err != nil {
		s.render(w, s.explain(p, err), "coverage", p)
		return
	}
	marks := make([]findingMark, 0, len(fms))
	for _, f := range fms {
		marks = append(marks, findingMark{ID: f.CaseID, Number: f.Number, Item: s.cat.T(p.Lang, "patrol.item."+f.Item),
			Outcome: s.cat.T(p.Lang, "patrol.outcome."+f.Outcome), Lat: f.Lat, Lon: f.Lon})
	}
	b, _ := json.Marshal(marks)
	d.Marks, d.MarkCount = string(b), len(marks)
	p.Data = d
	s.render(w, 200, "coverage", p)
}
