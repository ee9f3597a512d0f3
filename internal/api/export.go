package api

import (
	"net/http"
	"time"

	"whistle/internal/casework"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/publish"
)

// exportContentTypes are the media types of the case-list exports.
var exportContentTypes = map[string]string{
	casework.ExportCSV:   "text/csv; charset=utf-8",
	casework.ExportXLSX:  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	casework.ExportJSONL: "application/jsonl; charset=utf-8",
}

// exportCases answers GET /api/v1/cases/export.{csv,xlsx,jsonl} with the
// query parameters of GET /api/v1/cases (cursor and limit ignored; phone
// refused): every case of the caller's list under the filter, as a file.
func (s *Server) exportCases(format string) func(http.ResponseWriter, *http.Request, org.Actor) {
	return func(w http.ResponseWriter, r *http.Request, a org.Actor) {
		if r.URL.Query().Get("phone") != "" {
			s.fail(w, r, &errs.Error{Code: errs.Invalid, Field: "phone", Detail: "exports do not search by phone"})
			return
		}
		f, err := filterFrom(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		name := "whistle-cases-" + time.Now().In(s.svc.Core.Location()).Format("20060102-150405") + "." + format
		w.Header().Set("Content-Type", exportContentTypes[format])
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		w.Header().Set("Cache-Control", "no-store")
		cw := &sentWriter{w: w}
		_, err = s.svc.Cases.ExportCases(r.Context(), a, casework.ExportRequest{Filter: f, Format: format, Lang: lang(r)}, cw)
		if err != nil && cw.n == 0 {
			w.Header().Del("Content-Disposition")
			w.Header().Del("Cache-Control")
			if errs.Is(err, errs.RateLimited) {
				w.Header().Set("Retry-After", "10")
			}
			s.fail(w, r, err)
		} else if err != nil {
			s.log.Warn("case export cut short", "format", format, "err", err)
		}
	}
}

// sentWriter counts the bytes sent.
type sentWriter struct {
	w http.ResponseWriter
	n int
}

func (c *sentWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += n
	return n, err
}

// ---- scheduled open-data publication (internal/publish) ----

func (s *Server) listExportSchedules(w http.ResponseWriter, r *http.Request, a org.Actor) {
	xs, err := s.svc.Publish.Schedules(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"schedules": nonNil(xs)})
}

func (s *Server) saveExportSchedule(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var id int64
	if r.PathValue("id") != "" {
		var err error
		if id, err = pathID(r, "id"); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	var in publish.ScheduleInput
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	sc, err := s.svc.Publish.SaveSchedule(r.Context(), a, id, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if id == 0 {
		status = http.StatusCreated
	}
	writeJSON(w, status, sc)
}

func (s *Server) deleteExportSchedule(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err == nil {
		err = s.svc.Publish.DeleteSchedule(r.Context(), a, id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// openFiles lists the published open-data files (public).
func (s *Server) openFiles(w http.ResponseWriter, r *http.Request) {
	xs, err := s.svc.Publish.Files(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"files": nonNil(xs)})
}

// openFile serves one published file (public; the open-data rate limit).
func (s *Server) openFile(w http.ResponseWriter, r *http.Request) {
	if s.opens != nil && !s.opens.Reserve(clientIP(r), time.Now()) {
		s.fail(w, r, errs.E(errs.RateLimited))
		return
	}
	rec, f, err := s.svc.Publish.OpenFile(r.Context(), r.PathValue("dir")+"/"+r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", exportContentTypes[rec.Format])
	w.Header().Set("Content-Disposition", `attachment; filename="`+r.PathValue("name")+`"`)
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("Digest", "sha-256="+rec.SHA256)
	http.ServeContent(w, r, r.PathValue("name"), rec.CreatedAt, f)
}
