package api

import (
	"net/http"
	"time"

	"whistle/internal/errs"
	"whistle/internal/retention"
)

// openCases serves the open-data export of a month that has ended
// (GET /api/v1/open/cases?month=YYYY-MM&format=csv|json): the columns of
// docs/OPENDATA.md, never personal data. Public, no session.
func (s *Server) openCases(w http.ResponseWriter, r *http.Request) {
	// Each request streams up to a month of rows: every request counts,
	// answered or refused, per client address.
	if s.opens != nil && !s.opens.Reserve(clientIP(r), time.Now()) {
		s.fail(w, r, errs.E(errs.RateLimited))
		return
	}
	od := retention.NewOpenData(s.svc.Core)
	month, format := r.URL.Query().Get("month"), r.URL.Query().Get("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "csv" {
		s.fail(w, r, &errs.Error{Code: errs.Invalid, Field: "format", Detail: "want csv or json"})
		return
	}
	if err := od.Ended(month); err != nil {
		s.fail(w, r, err)
		return
	}
	// Rows are streamed: a failure before the first byte is an error
	// response, a later one can only cut the body short (and is logged).
	cw := &countingWriter{w: w}
	var err error
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="whistle-opendata-`+month+`.csv"`)
		err = od.WriteCSV(r.Context(), cw, month)
	} else {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		err = od.WriteJSON(r.Context(), cw, month)
	}
	if err != nil && cw.n == 0 {
		w.Header().Del("Content-Disposition")
		s.fail(w, r, err)
	} else if err != nil {
		s.log.Warn("open data export cut short", "month", month, "err", err)
	}
}

// countingWriter counts what was written through it.
type countingWriter struct {
	w http.ResponseWriter
	n int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.n == 0 {
		c.w.Header().Set("Cache-Control", "public, max-age=3600")
	}
	n, err := c.w.Write(p)
	c.n += n
	return n, err
}
