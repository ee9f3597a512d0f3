package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/summons"
)

// whistleRole is how a user sees whistles: the street that raises them, a
// summoned department, or the centre watching all.
func whistleRole(a org.Actor) string {
	switch {
	case a.User.Has(org.RoleHandler, org.RoleLeader) && a.Unit.Kind == org.KindStreet:
		return "street"
	case a.User.Has(org.RoleHandler, org.RoleLeader):
		return "dept"
	}
	return ""
}

type whistleRow struct {
	W      summons.Whistle
	Street string
	Mine   *summons.Report // the viewer's department's report (dept view)
	Due    bool            // the report-by countdown matters
}

type whistlesData struct {
	As     string
	State  string
	States []string
	Rows   []whistleRow
	Kinds  []string
	Units  []org.Unit // departments and enterprises a street may summon
	Picked map[int64]bool
}

func (s *Server) summonable() []org.Unit {
	var out []org.Unit
	for _, u := range s.handlingUnits() {
		if u.Kind == org.KindDepartment || u.Kind == org.KindEnterprise {
			out = append(out, u)
		}
	}
	return out
}

// whistlesPage lists whistles for the viewer's role; a street also raises
// one here (街乡吹哨), a department sees its summons with report-by
// countdowns (部门报到).
func (s *Server) whistlesPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "whistle.title")
	s.renderWhistles(w, r, a, p, 200)
}

func (s *Server) renderWhistles(w http.ResponseWriter, r *http.Request, a org.Actor, p *page, status int) {
	d := whistlesData{As: whistleRole(a), State: r.URL.Query().Get("state"), States: []string{summons.Open, summons.Closed},
		Kinds: summons.Kinds, Picked: map[int64]bool{}}
	if !slices.Contains(d.States, d.State) {
		d.State = ""
	}
	if d.As == "street" {
		d.Units = s.summonable()
		for _, v := range p.Form["unit_ids"] {
			if id, err := strconv.ParseInt(v, 10, 64); err == nil {
				d.Picked[id] = true
			}
		}
	}
	p.Data = d
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	ws, err := s.svc.Whistles.Whistles(ctx, a, d.As, d.State)
	if err != nil {
		if errs.CodeOf(err) == errs.Forbidden {
			s.errorPage(w, r, 403, errs.Message(errs.Forbidden, p.Lang))
			return
		}
		s.render(w, s.explain(p, err), "whistles", p)
		return
	}
	for i, x := range ws {
		row := whistleRow{W: x}
		if u, ok := s.svc.Unit(x.StreetUnitID); ok {
			row.Street = u.Name
		}
		if d.As == "dept" && i < 100 {
			if full, _, err := s.svc.Whistles.Whistle(ctx, a, x.ID); err == nil {
				if rp, ok := full.Report(a.Unit.ID); ok {
					row.Mine = rp
					row.Due = x.State == summons.Open && (rp.State == summons.Summoned || rp.State == summons.Acknowledged)
				}
			}
		}
		d.Rows = append(d.Rows, row)
	}
	p.Data = d
	s.render(w, status, "whistles", p)
}

// splitList splits what was typed at spaces, commas, semicolons and 、.
func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool {
		return r == ',' || r == '，' || r == '、' || r == ';' || r == '；' || r == ' ' || r == '\n' || r == '\r' || r == '\t'
	})
}

// whistleRaise blows the whistle for the actor's street.
func (s *Server) whistleRaise(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "whistle.title")
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	p.Form = r.PostForm
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	in := summons.Raise{Source: summons.SourceOwn, Address: r.PostFormValue("address"), Need: r.PostFormValue("need"), Kind: r.PostFormValue("kind")}
	for _, v := range r.PostForm["unit_ids"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			p.Fields["unit_ids"] = errs.Message(errs.Invalid, p.Lang)
			continue
		}
		in.UnitIDs = append(in.UnitIDs, id)
	}
	for _, n := range splitList(r.PostFormValue("case_numbers")) {
		c, err := s.svc.Cases.GetByNumber(ctx, a, n)
		if err != nil {
			p.Fields["case_numbers"] = errs.Message(errs.NotFound, p.Lang) + "（" + n + "）"
			break
		}
		in.CaseIDs = append(in.CaseIDs, c.ID)
	}
	if len(in.CaseIDs) > 0 {
		in.Source = summons.SourceCases
	}
	if len(p.Fields) > 0 {
		p.Err = s.cat.T(p.Lang, "form.check_fields")
		s.renderWhistles(w, r, a, p, 422)
		return
	}
	wh, err := s.svc.Whistles.RaiseWhistle(ctx, a, in)
	if err != nil {
		status := s.explain(p, err)
		if m, ok := p.Fields["case_ids"]; ok {
			p.Fields["case_numbers"] = m
		}
		s.renderWhistles(w, r, a, p, status)
		return
	}
	http.Redirect(w, r, withFlash("/whistles/"+strconv.FormatInt(wh.ID, 10), s.cat.T(p.Lang, "whistle.raised", len(wh.Reports))), http.StatusSeeOther)
}

type logLine struct {
	E    summons.LogEntry
	Unit string
}

type whistleData struct {
	W       *summons.Whistle
	Street  string
	Log     []logLine
	Cases   []whistleCase
	Mine    *summons.Report // the viewer's department's report
	IsOwner bool            // the viewer's street raised it
	Now     time.Time
	Lang    string
	Stars   []int
	cat     *Catalogue
}

// RatingLabel is a department's rating (0–100 points) as the street gave
// it: the star label (★ 很不满意 … ★★★★★ 非常满意) when it is a whole number
// of stars, else the points.
func (d *whistleData) RatingLabel(points float64) string {
	if stars := points / 20; stars >= 1 && stars <= 5 && stars == float64(int(stars)) {
		return d.cat.T(d.Lang, "whistle.stars."+strconv.Itoa(int(stars)))
	}
	return d.cat.T(d.Lang, "whistle.points", points)
}

type whistleCase struct {
	ID     int64
	Number string
}

func (s *Server) loadWhistle(w http.ResponseWriter, r *http.Request, a org.Actor, p *page) (*whistleData, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.errorPage(w, r, 404, errs.Message(errs.NotFound, p.Lang))
		return nil, false
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	wh, log, err := s.svc.Whistles.Whistle(ctx, a, id)
	if err != nil {
		s.errorPage(w, r, errs.Status(errs.CodeOf(err)), errs.Message(errs.CodeOf(err), p.Lang))
		return nil, false
	}
	d := &whistleData{W: wh, IsOwner: a.Unit.ID == wh.StreetUnitID && whistleRole(a) == "street", Now: p.Now, Lang: p.Lang, Stars: []int{5, 4, 3, 2, 1}, cat: s.cat}
	if u, ok := s.svc.Unit(wh.StreetUnitID); ok {
		d.Street = u.Name
	}
	if rp, ok := wh.Report(a.Unit.ID); ok && a.User.Has(org.RoleHandler, org.RoleLeader) {
		d.Mine = rp
	}
	for _, e := range log {
		l := logLine{E: e}
		if u, ok := s.svc.Unit(e.UnitID); ok {
			l.Unit = u.Name
		} else {
			l.Unit = d.Street
		}
		d.Log = append(d.Log, l)
	}
	for _, cid := range wh.CaseIDs {
		wc := whistleCase{ID: cid}
		if c, err := s.svc.Cases.Get(ctx, a, cid); err == nil {
			wc.Number = c.Number
		}
		d.Cases = append(d.Cases, wc)
	}
	return d, true
}

// whistlePage shows a whistle: the departments' states, the timeline and
// the viewer's actions.
func (s *Server) whistlePage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "whistle.one_title")
	d, ok := s.loadWhistle(w, r, a, p)
	if !ok {
		return
	}
	p.Title = s.cat.T(p.Lang, "whistle.one_title", d.W.ID)
	p.Data = d
	s.render(w, 200, "whistle", p)
}

// whistleAct applies a department's action or the street's close.
func (s *Server) whistleAct(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "whistle.one_title")
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	d, ok := s.loadWhistle(w, r, a, p)
	if !ok {
		return
	}
	p.Title = s.cat.T(p.Lang, "whistle.one_title", d.W.ID)
	p.Form = r.PostForm
	action := r.PostFormValue("action")
	in := summons.Input{Note: r.PostFormValue("note"), Place: r.PostFormValue("place")}
	if action == summons.ActClose {
		for _, rp := range d.W.Reports {
			id := strconv.FormatInt(rp.UnitID, 10)
			v := r.PostFormValue("rating-" + id)
			if v == "" {
				continue
			}
			score, err := strconv.ParseFloat(v, 64)
			if err != nil {
				p.Fields["ratings"] = errs.Message(errs.Invalid, p.Lang)
				continue
			}
			in.Ratings = append(in.Ratings, summons.Rating{UnitID: rp.UnitID, Score: score, Scale: summons.ScaleStars, Note: r.PostFormValue("rating_note-" + id)})
		}
	}
	fail := func(status int) {
		p.Form.Set("open", action)
		p.Data = d
		s.render(w, status, "whistle", p)
	}
	if len(p.Fields) > 0 {
		p.Err = s.cat.T(p.Lang, "form.check_fields")
		fail(422)
		return
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	if _, err := s.svc.Whistles.WhistleAct(ctx, a, d.W.ID, action, in); err != nil {
		fail(s.explain(p, err))
		return
	}
	msg := s.cat.T(p.Lang, "whistle.done", s.cat.T(p.Lang, "whistle.act."+action))
	http.Redirect(w, r, withFlash("/whistles/"+strconv.FormatInt(d.W.ID, 10), msg), http.StatusSeeOther)
}

type summonsStatsRow struct {
	Unit string
	summons.DeptStats
	AvgArrive, AvgRating string
}

type streetStatsRow struct {
	Unit string
	summons.StreetStats
}

type summonsStatsData struct {
	Month, MonthLabel string
	Streets           []streetStatsRow
	Depts             []summonsStatsRow
}

// whistleStatsPage counts a month's whistles per street and reports per
// department (centre staff).
func (s *Server) whistleStatsPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "whistle.stats_title")
	month := strings.TrimSpace(r.URL.Query().Get("month"))
	if month == "" {
		month = s.svc.Now().Format("2006-01")
	}
	p.Form.Set("month", month)
	d := summonsStatsData{Month: month}
	p.Data = d
	per, err := s.svc.Ranking.AssessMonthPeriod(month)
	if err != nil {
		s.render(w, s.explain(p, err), "whistlestats", p)
		return
	}
	d.MonthLabel = fmtMonth(p.Lang, month, s.svc.Location())
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	st, err := s.svc.Whistles.SummonsStats(ctx, a, per)
	if err != nil {
		if errs.CodeOf(err) == errs.Forbidden {
			s.errorPage(w, r, 403, errs.Message(errs.Forbidden, p.Lang))
			return
		}
		s.render(w, s.explain(p, err), "whistlestats", p)
		return
	}
	name := func(id int64) string {
		u, _ := s.svc.Unit(id)
		return u.Name
	}
	for _, x := range st.Streets {
		d.Streets = append(d.Streets, streetStatsRow{Unit: name(x.UnitID), StreetStats: x})
	}
	for _, x := range st.Departments {
		d.Depts = append(d.Depts, summonsStatsRow{Unit: name(x.UnitID), DeptStats: x, AvgArrive: fmtPoints(x.AvgArriveMin), AvgRating: fmtPoints(x.AvgRating)})
	}
	p.Data = d
	s.render(w, 200, "whistlestats", p)
}
