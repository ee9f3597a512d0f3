package api

import (
	"bytes"
	"mime"
	"net/http"

	"whistle/internal/errs"
	"whistle/internal/governance"
	"whistle/internal/org"
)

// getInsight is the analysis behind 每月一题 for ?from=&to=&place=&category=
// (default: the four weeks up to yesterday, the actor's whole area): the
// newest stored run of the same filter when recent, else a new run;
// ?fresh=1 always runs it. Unknown numbers are null.
func (s *Server) getInsight(w http.ResponseWriter, r *http.Request, a org.Actor) {
	f, err := governance.ParseFilter(r.URL.Query(), s.svc.Insight.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var an *governance.Analysis
	if r.URL.Query().Get("fresh") == "1" {
		an, err = s.svc.Insight.Analyze(r.Context(), a, f)
	} else {
		an, err = s.svc.Insight.LatestAnalysis(r.Context(), a, f)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, an)
}

// exportInsight is the same analysis as a workbook.
func (s *Server) exportInsight(w http.ResponseWriter, r *http.Request, a org.Actor) {
	f, err := governance.ParseFilter(r.URL.Query(), s.svc.Insight.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := s.svc.Insight.ExportXLSX(r.Context(), a, f, &buf); err != nil {
		s.fail(w, r, errs.Wrap(err))
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "insight-" + f.From.String() + "-" + f.To.String() + ".xlsx"}))
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}
