package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"whistle/internal/assessment"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/ranking"
)

// rankRow is one unit's line of the ranking, its figures formatted once.
type rankRow struct {
	assessment.Score
	Resp, Reso, Sat, Summons, Comp, Change string
	Up, Down                               bool
	Drill                                  bool   // the viewer may list the cases behind the numbers
	Lang, Q                                string // the page's language; the drill-down link up to measure=
	Department                             bool   // a department: the summons column is shown
}

type rankingData struct {
	Month, MonthLabel string
	Kind              string
	Kinds             []string
	R                 ranking.Ranking
	Rows              []rankRow // ranked units, by rank
	Apart             []rankRow // units with too few cases to rank, listed apart
	MinOrders         int       // what a unit needs to be ranked
	MinCallbacks      int
	Chart             string
	Ongoing           bool // the month has not ended
	MayPublish        bool
}

// fmtRate writes a 0..1 rate as a percentage with two decimals ("—" without a denominator).
func fmtRate(p *float64) string {
	if p == nil {
		return "—"
	}
	return strconv.FormatFloat(*p*100, 'f', 2, 64) + "%"
}

// fmtPoints writes a score with two decimals ("—" when not scored).
func fmtPoints(p *float64) string {
	if p == nil {
		return "—"
	}
	return strconv.FormatFloat(*p, 'f', 2, 64)
}

// fmtMonth writes YYYY-MM the way its readers do: 2026年10月, Oct 2026.
func fmtMonth(lang, label string, loc *time.Location) string {
	t, err := time.ParseInLocation("2006-01", label, loc)
	if err != nil {
		return label
	}
	if lang == "en" {
		return t.Format("Jan 2006")
	}
	return fmt.Sprintf("%d年%d月", t.Year(), t.Month())
}

// mayDecide mirrors the service's rule for who publishes months and decides
// exemptions (to offer the buttons; the service has the last word).
func mayDecide(a org.Actor) bool {
	return a.User.Has(org.RoleAdmin) || (a.User.Has(org.RoleDispatcher) && a.Unit.Kind == org.KindCityCentre)
}

// mayDrill mirrors the service's rule for listing the cases behind a unit's numbers.
func mayDrill(a org.Actor, unitID int64) bool {
	return a.User.Has(org.RoleAnalyst, org.RoleAdmin) ||
		(a.User.Has(org.RoleDispatcher, org.RoleAgent, org.RoleSupervisor) && a.Unit.IsCentre()) ||
		(a.User.Has(org.RoleHandler, org.RoleLeader) && a.Unit.ID == unitID)
}

func (s *Server) lastMonth() string {
	now := s.svc.Now()
	return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, s.svc.Location()).AddDate(0, -1, 0).Format("2006-01")
}

// assessPage is the one exam paper (一份卷子): a month's ranking of one
// kind of unit, every count linked to the cases behind it.
func (s *Server) assessPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "assess.title")
	q := r.URL.Query()
	d := rankingData{Month: strings.TrimSpace(q.Get("month")), Kind: q.Get("kind"), Kinds: assessment.RankedKinds, MayPublish: mayDecide(a)}
	if d.Month == "" {
		d.Month = s.lastMonth()
	}
	if !slices.Contains(d.Kinds, d.Kind) {
		d.Kind = assessment.RankedKinds[0]
	}
	p.Form.Set("month", d.Month)
	p.Data = d
	per, err := s.svc.Ranking.AssessMonthPeriod(d.Month)
	if err != nil {
		s.render(w, s.explain(p, err), "ranking", p)
		return
	}
	d.MonthLabel = fmtMonth(p.Lang, d.Month, s.svc.Location())
	d.Ongoing = !s.svc.Now().After(per.To)
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	rk, err := s.svc.Ranking.Assess(ctx, a, per, ranking.AssessOptions{Kind: d.Kind})
	if errs.CodeOf(err) == errs.Forbidden {
		s.errorPage(w, r, 403, errs.Message(errs.Forbidden, p.Lang))
		return
	}
	if err != nil {
		p.Data = d
		s.render(w, s.explain(p, err), "ranking", p)
		return
	}
	d.R = rk
	d.MinOrders, d.MinCallbacks = rk.Rules.Minimums()
	var names []string
	var vals []float64
	for _, u := range rk.Units {
		row := rankRow{Score: u, Resp: fmtRate(u.Response), Reso: fmtRate(u.Resolution), Sat: fmtRate(u.Satisfaction),
			Summons: fmtPoints(u.Summons), Comp: fmtPoints(u.Composite), Change: "—", Drill: mayDrill(a, u.UnitID),
			Lang: p.Lang, Department: d.Kind == org.KindDepartment,
			Q: "/assess/cases?" + url.Values{"month": {d.Month}, "kind": {d.Kind}, "unit": {strconv.FormatInt(u.UnitID, 10)}}.Encode() + "&measure="}
		if u.Change != nil {
			row.Change = strconv.FormatFloat(*u.Change, 'f', 2, 64)
			if *u.Change > 0 {
				row.Change, row.Up = "+"+row.Change, true
			}
			row.Down = *u.Change < 0
		}
		if u.Rank > 0 {
			d.Rows = append(d.Rows, row)
		} else {
			d.Apart = append(d.Apart, row)
		}
		if u.Rank > 0 && u.Composite != nil && len(names) < 30 {
			names = append(names, u.UnitName)
			vals = append(vals, *u.Composite)
		}
	}
	slices.Reverse(names)
	slices.Reverse(vals)
	chart := map[string]any{
		"tooltip": map[string]any{"trigger": "axis"},
		"grid":    map[string]any{"left": 10, "right": 30, "containLabel": true},
		"xAxis":   map[string]any{"type": "value", "name": s.cat.T(p.Lang, "assess.composite")},
		"yAxis":   map[string]any{"type": "category", "data": names, "axisLabel": map[string]any{"width": 150, "overflow": "truncate"}},
		"series":  []any{map[string]any{"type": "bar", "data": vals, "itemStyle": map[string]any{"color": "#c8102e"}, "label": map[string]any{"show": true, "position": "right"}}},
	}
	b, _ := json.Marshal(chart)
	d.Chart = string(b)
	p.Data = d
	s.render(w, 200, "ranking", p)
}

type drillData struct {
	Month, MonthLabel, Measure string
	Unit                       org.Unit
	Total                      int
	Rows                       []row
	Exemptions                 map[int64]assessment.Exemption
	Back                       string
}

// maxDrill bounds the cases one drill-down page loads.
const maxDrill = 300

// assessCasesPage lists the exact cases behind one number of one unit.
func (s *Server) assessCasesPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "assess.drill_title")
	q := r.URL.Query()
	d := drillData{Month: q.Get("month"), Measure: q.Get("measure")}
	d.Back = "/assess?" + url.Values{"month": {d.Month}, "kind": {q.Get("kind")}}.Encode()
	p.Data = d
	unitID, err := strconv.ParseInt(q.Get("unit"), 10, 64)
	if err != nil {
		s.render(w, s.explain(p, errs.F(errs.UnknownUnit, "unit")), "assesscases", p)
		return
	}
	per, err := s.svc.Ranking.AssessMonthPeriod(d.Month)
	if err != nil {
		s.render(w, s.explain(p, err), "assesscases", p)
		return
	}
	d.MonthLabel = fmtMonth(p.Lang, d.Month, s.svc.Location())
	d.Unit, _ = s.svc.Unit(unitID)
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	ids, err := s.svc.Ranking.AssessCases(ctx, a, per, unitID, d.Measure)
	if err != nil {
		s.render(w, s.explain(p, err), "assesscases", p)
		return
	}
	d.Total = len(ids)
	if d.Measure == assessment.MeasureExempted {
		xs, err := s.svc.Ranking.ExemptedCases(ctx, a, per, unitID)
		if err != nil {
			s.render(w, s.explain(p, err), "assesscases", p)
			return
		}
		d.Exemptions = map[int64]assessment.Exemption{}
		for _, x := range xs {
			d.Exemptions[x.CaseID] = x
		}
	}
	var cs []*lifecycle.Case
	for _, id := range ids[:min(len(ids), maxDrill)] {
		c, err := s.svc.Cases.Get(ctx, a, id)
		if err != nil {
			s.render(w, s.explain(p, err), "assesscases", p)
			return
		}
		cs = append(cs, c)
	}
	d.Rows = s.rows(p, cs)
	p.Title = s.cat.T(p.Lang, "assess.drill_title") + " · " + d.Unit.Name
	p.Data = d
	s.render(w, 200, "assesscases", p)
}

// assessExport downloads a ranking as CSV or XLSX.
func (s *Server) assessExport(w http.ResponseWriter, r *http.Request, a org.Actor) {
	lang := langOf(r)
	q := r.URL.Query()
	per, err := s.svc.Ranking.AssessMonthPeriod(q.Get("month"))
	if err != nil {
		s.errorPage(w, r, errs.Status(errs.CodeOf(err)), errs.Message(errs.CodeOf(err), lang))
		return
	}
	kind := q.Get("kind")
	if kind == "all" {
		kind = ""
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	rk, err := s.svc.Ranking.Assess(ctx, a, per, ranking.AssessOptions{Kind: kind})
	if err != nil {
		s.errorPage(w, r, errs.Status(errs.CodeOf(err)), errs.Message(errs.CodeOf(err), lang))
		return
	}
	var buf bytes.Buffer
	ct, ext := "text/csv; charset=utf-8", "csv"
	if q.Get("format") == "xlsx" {
		ct, ext = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
		err = ranking.WriteRankingXLSX(&buf, rk, lang)
	} else {
		err = ranking.WriteRankingCSV(&buf, rk, lang)
	}
	if err != nil {
		s.log.Error("ranking export", "err", err)
		s.errorPage(w, r, 500, errs.Message(errs.Internal, lang))
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": ranking.ExportFilename(lang, rk) + "." + ext}))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = buf.WriteTo(w)
}

// assessPublish freezes a month (city centre).
func (s *Server) assessPublish(w http.ResponseWriter, r *http.Request, a org.Actor) {
	lang := langOf(r)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, 400, s.cat.T(lang, "error.bad_form"))
		return
	}
	month := r.PostFormValue("month")
	back := "/assess?" + url.Values{"month": {month}, "kind": {r.PostFormValue("kind")}}.Encode()
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	msg := s.cat.T(lang, "assess.published_ok", fmtMonth(lang, month, s.svc.Location()))
	if _, err := s.svc.Ranking.PublishMonth(ctx, a, month); err != nil {
		p := s.newPage(r, &a, "assess.title")
		s.explain(p, err)
		msg = p.Err
		for _, v := range p.Fields {
			msg = v
		}
	}
	http.Redirect(w, r, withFlash(back, msg), http.StatusSeeOther)
}

type exemptionRow struct {
	X      assessment.Exemption
	Number string
	Unit   string
}

type exemptionsData struct {
	Reasons   []string
	States    []string
	State     string
	Rows      []exemptionRow
	MayAsk    bool // a unit's handler or leader
	MayDecide bool
}

// exemptionsPage: a unit asks to leave a case out of its score (免考核);
// the city centre approves or rejects.
func (s *Server) exemptionsPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "assess.exemptions_title")
	s.renderExemptions(w, r, a, p, 200)
}

func (s *Server) renderExemptions(w http.ResponseWriter, r *http.Request, a org.Actor, p *page, status int) {
	d := exemptionsData{Reasons: assessment.Reasons, States: []string{assessment.ExemptPending, assessment.ExemptApproved, assessment.ExemptRejected},
		State: r.URL.Query().Get("state"), MayAsk: a.User.Has(org.RoleHandler, org.RoleLeader), MayDecide: mayDecide(a)}
	if !slices.Contains(d.States, d.State) {
		d.State = ""
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	xs, err := s.svc.Ranking.Exemptions(ctx, a, assessment.ExemptionFilter{State: d.State, Limit: 200})
	if err != nil {
		p.Data = d
		s.render(w, s.explain(p, err), "exemptions", p)
		return
	}
	for _, x := range xs {
		row := exemptionRow{X: x}
		if c, err := s.svc.Cases.Get(ctx, a, x.CaseID); err == nil {
			row.Number = c.Number
		}
		if u, ok := s.svc.Unit(x.UnitID); ok {
			row.Unit = u.Name
		}
		d.Rows = append(d.Rows, row)
	}
	p.Data = d
	s.render(w, status, "exemptions", p)
}

// exemptionRequest files a unit's request.
func (s *Server) exemptionRequest(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "assess.exemptions_title")
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	p.Form = r.PostForm
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	number := strings.TrimSpace(r.PostFormValue("case_number"))
	in := ranking.ExemptionInput{Reason: r.PostFormValue("reason"), Evidence: r.PostFormValue("evidence")}
	var err error
	if number == "" {
		err = errs.F(errs.FieldRequired, "case_number")
	} else if c, gerr := s.svc.Cases.GetByNumber(ctx, a, number); gerr != nil {
		err = errs.F(errs.NotFound, "case_number")
	} else {
		in.CaseID = c.ID
		_, err = s.svc.Ranking.RequestExemption(ctx, a, in)
	}
	if err != nil {
		status := s.explain(p, err)
		if m, ok := p.Fields["case_id"]; ok {
			p.Fields["case_number"] = m
		}
		s.renderExemptions(w, r, a, p, status)
		return
	}
	http.Redirect(w, r, withFlash("/assess/exemptions", s.cat.T(p.Lang, "assess.exemption_requested", number)), http.StatusSeeOther)
}

// exemptionDecide approves or rejects a request (city centre).
func (s *Server) exemptionDecide(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "assess.exemptions_title")
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
	approve := r.PostFormValue("decision") == "approve"
	if _, err := s.svc.Ranking.DecideExemption(ctx, a, id, approve, r.PostFormValue("note")); err != nil {
		p.Form = r.PostForm
		p.Form.Set("exemption", strconv.FormatInt(id, 10))
		s.renderExemptions(w, r, a, p, s.explain(p, err))
		return
	}
	key := "assess.exemption_rejected"
	if approve {
		key = "assess.exemption_approved"
	}
	http.Redirect(w, r, withFlash("/assess/exemptions", s.cat.T(p.Lang, key)), http.StatusSeeOther)
}

type publicRow struct {
	Rank                        int
	Unit, Resp, Reso, Sat, Comp string
	Unranked                    bool // too few cases to rank: listed apart
}

type publicRankingData struct {
	Months    []string
	Month     string
	Label     string
	Labels    map[string]string
	ByKind    map[string][]publicRow
	Kinds     []string
	Published bool
}

// publicRankingPage shows citizens the published months' rankings.
func (s *Server) publicRankingPage(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil, "assess.public_title")
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	d := publicRankingData{Labels: map[string]string{}, ByKind: map[string][]publicRow{}, Kinds: assessment.RankedKinds}
	pms, err := s.svc.Ranking.PublishedMonths(ctx, org.Actor{})
	if err != nil {
		p.Data = d
		s.render(w, s.explain(p, err), "portalranking", p)
		return
	}
	for _, m := range pms {
		d.Months = append(d.Months, m.Period)
		d.Labels[m.Period] = fmtMonth(p.Lang, m.Period, s.svc.Location())
	}
	slices.Sort(d.Months)
	slices.Reverse(d.Months)
	d.Month = r.URL.Query().Get("month")
	if !slices.Contains(d.Months, d.Month) {
		d.Month = ""
		if len(d.Months) > 0 {
			d.Month = d.Months[0]
		}
	}
	if d.Month != "" {
		ps, err := s.svc.Ranking.PublicRanking(ctx, d.Month)
		if err != nil {
			p.Data = d
			s.render(w, s.explain(p, err), "portalranking", p)
			return
		}
		d.Published, d.Label = true, d.Labels[d.Month]
		for _, x := range ps {
			d.ByKind[x.Kind] = append(d.ByKind[x.Kind], publicRow{Rank: x.Rank, Unit: x.Unit, Resp: fmtRate(x.Response),
				Reso: fmtRate(x.Resolution), Sat: fmtRate(x.Satisfaction), Comp: fmtPoints(x.Composite), Unranked: x.Rank == 0})
		}
	}
	p.Data = d
	s.render(w, 200, "portalranking", p)
}
