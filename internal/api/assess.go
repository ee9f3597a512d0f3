package api

import (
	"bytes"
	"mime"
	"net/http"
	"strconv"

	"whistle/internal/assessment"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/ranking"
)

// assessPeriod reads ?month=YYYY-MM, or ?from=&to= (YYYY-MM-DD, inclusive).
func (s *Server) assessPeriod(r *http.Request) (assessment.Period, error) {
	q := r.URL.Query()
	if m := q.Get("month"); m != "" {
		if q.Get("from") != "" || q.Get("to") != "" {
			return assessment.Period{}, errs.D(errs.Invalid, "give month or from/to, not both")
		}
		return s.svc.Ranking.AssessMonthPeriod(m)
	}
	if q.Get("from") == "" || q.Get("to") == "" {
		return assessment.Period{}, errs.F(errs.FieldRequired, "month")
	}
	return s.svc.Ranking.AssessRangePeriod(q.Get("from"), q.Get("to"))
}

func (s *Server) assessRanking(w http.ResponseWriter, r *http.Request, a org.Actor) (ranking.Ranking, bool) {
	p, err := s.assessPeriod(r)
	if err != nil {
		s.fail(w, r, err)
		return ranking.Ranking{}, false
	}
	re, err := queryBool(r, "recompute")
	if err != nil {
		s.fail(w, r, err)
		return ranking.Ranking{}, false
	}
	rk, err := s.svc.Ranking.Assess(r.Context(), a, p, ranking.AssessOptions{Kind: r.URL.Query().Get("kind"), Recompute: re != nil && *re})
	if err != nil {
		s.fail(w, r, err)
		return rk, false
	}
	return rk, true
}

func (s *Server) getRanking(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if rk, ok := s.assessRanking(w, r, a); ok {
		writeJSON(w, 200, rk)
	}
}

func (s *Server) exportRanking(w http.ResponseWriter, r *http.Request, a org.Actor) {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "csv"
	}
	if format != "csv" && format != "xlsx" {
		s.fail(w, r, errs.F(errs.Invalid, "format"))
		return
	}
	rk, ok := s.assessRanking(w, r, a)
	if !ok {
		return
	}
	// The header row is in the caller's language (?lang=, the language
	// cookie, Accept-Language): Chinese unless English is asked for.
	l := lang(r)
	var buf bytes.Buffer
	ct := "text/csv; charset=utf-8"
	var err error
	if format == "xlsx" {
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		err = ranking.WriteRankingXLSX(&buf, rk, l)
	} else {
		err = ranking.WriteRankingCSV(&buf, rk, l)
	}
	if err != nil {
		s.fail(w, r, errs.Wrap(err))
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": ranking.ExportFilename(l, rk) + "." + format}))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(200)
	w.Write(buf.Bytes())
}

func (s *Server) assessCases(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p, err := s.assessPeriod(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	unit, err := strconv.ParseInt(r.URL.Query().Get("unit_id"), 10, 64)
	if err != nil || unit <= 0 {
		s.fail(w, r, errs.F(errs.FieldRequired, "unit_id"))
		return
	}
	measure := r.URL.Query().Get("measure")
	ids, err := s.svc.Ranking.AssessCases(r.Context(), a, p, unit, measure)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := map[string]any{"period": p, "unit_id": unit, "measure": measure, "case_ids": ids}
	if measure == assessment.MeasureExempted {
		xs, err := s.svc.Ranking.ExemptedCases(r.Context(), a, p, unit)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out["exemptions"] = xs
	}
	writeJSON(w, 200, out)
}

func (s *Server) listAssessMonths(w http.ResponseWriter, r *http.Request, a org.Actor) {
	ms, err := s.svc.Ranking.PublishedMonths(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"months": ms})
}

func (s *Server) publishMonth(w http.ResponseWriter, r *http.Request, a org.Actor) {
	rk, err := s.svc.Ranking.PublishMonth(r.Context(), a, r.PathValue("month"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, rk)
}

func (s *Server) getAssessRules(w http.ResponseWriter, r *http.Request, a org.Actor) {
	v := 0
	if q := r.URL.Query().Get("version"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n <= 0 {
			s.fail(w, r, errs.F(errs.Invalid, "version"))
			return
		}
		v = n
	}
	rules, err := s.svc.Ranking.AssessRules(r.Context(), a, v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, rules)
}

func (s *Server) putAssessRules(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in assessment.Rules
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.svc.Ranking.SetAssessRules(r.Context(), a, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, out)
}

func (s *Server) listAssessItems(w http.ResponseWriter, r *http.Request, a org.Actor) {
	items, err := s.svc.Ranking.AssessItems(r.Context(), a, r.URL.Query().Get("month"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"items": items})
}

func (s *Server) addAssessItem(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in struct {
		UnitID int64  `json:"unit_id"`
		Month  string `json:"month"`
		Kind   string `json:"kind"`
		Note   string `json:"note"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	it, err := s.svc.Ranking.AddAssessItem(r.Context(), a, assessment.Item{UnitID: in.UnitID, Period: in.Month, Kind: in.Kind, Note: in.Note})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 201, it)
}

func (s *Server) listExemptions(w http.ResponseWriter, r *http.Request, a org.Actor) {
	q := r.URL.Query()
	f := assessment.ExemptionFilter{State: q.Get("state")}
	for name, dst := range map[string]*int64{"unit_id": &f.UnitID, "case_id": &f.CaseID} {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				s.fail(w, r, errs.F(errs.Invalid, name))
				return
			}
			*dst = n
		}
	}
	xs, err := s.svc.Ranking.Exemptions(r.Context(), a, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"exemptions": xs})
}

func (s *Server) requestExemption(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in ranking.ExemptionInput
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	x, err := s.svc.Ranking.RequestExemption(r.Context(), a, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 201, x)
}

func (s *Server) decideExemption(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in struct {
		Approve *bool  `json:"approve"`
		Note    string `json:"note"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Approve == nil {
		s.fail(w, r, errs.F(errs.FieldRequired, "approve"))
		return
	}
	x, err := s.svc.Ranking.DecideExemption(r.Context(), a, id, *in.Approve, in.Note)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, x)
}

func (s *Server) publicRanking(w http.ResponseWriter, r *http.Request) {
	rows, err := s.svc.Ranking.PublicRanking(r.Context(), r.PathValue("month"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"month": r.PathValue("month"), "units": rows})
}
