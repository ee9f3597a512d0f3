package web

import (
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"whistle/internal/casework"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/publish"
)

func init() { pageNames = append(pageNames, "admin_exports", "export_opendata") }

// exportLink is one export button of the case list.
type exportLink struct {
	Format, Href string
}

// exportLinks are the case list's export links for its query: the same
// filter (the page's parameters), without the page's cursor or number.
func exportLinks(q url.Values) []exportLink {
	v := url.Values{}
	for k, xs := range q {
		if k == "cursor" || k == "number" || k == "flash" || k == "fs" {
			continue
		}
		v[k] = xs
	}
	enc := v.Encode()
	var out []exportLink
	for _, f := range []string{casework.ExportCSV, casework.ExportXLSX, casework.ExportJSONL} {
		href := "/cases/export." + f
		if enc != "" {
			href += "?" + enc
		}
		out = append(out, exportLink{Format: f, Href: href})
	}
	return out
}

var exportTypes = map[string]string{
	casework.ExportCSV:   "text/csv; charset=utf-8",
	casework.ExportXLSX:  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	casework.ExportJSONL: "application/jsonl; charset=utf-8",
}

// casesExport downloads the case list under the page's filter
// (GET /cases/export.{csv,xlsx,jsonl}?<the list's query>).
func (s *Server) casesExport(format string) func(http.ResponseWriter, *http.Request, org.Actor) {
	return func(w http.ResponseWriter, r *http.Request, a org.Actor) {
		lang := langOf(r)
		f, _ := s.caseListFilter(r.URL.Query())
		name := "whistle-cases-" + time.Now().In(s.svc.Location()).Format("20060102-150405") + "." + format
		w.Header().Set("Content-Type", exportTypes[format])
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
		w.Header().Set("Cache-Control", "no-store")
		cw := &sentCounter{w: w}
		_, err := s.svc.Cases.ExportCases(r.Context(), a, casework.ExportRequest{Filter: f, Format: format, Lang: lang}, cw)
		if err != nil && cw.n == 0 {
			w.Header().Del("Content-Disposition")
			w.Header().Del("Cache-Control")
			s.failPage(w, r, err)
		} else if err != nil {
			s.log.Warn("case export cut short", "format", format, "err", err)
		}
	}
}

type sentCounter struct {
	w http.ResponseWriter
	n int
}

func (c *sentCounter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += n
	return n, err
}

// ---- scheduled open-data publication ----

type adminExportsData struct {
	Schedules any
	Files     any
	Formats   []string
}

func (s *Server) adminExportsRender(w http.ResponseWriter, r *http.Request, a org.Actor, p *page, status int) {
	d := &adminExportsData{Formats: publish.Formats}
	p.Data = d
	scheds, err := s.svc.Publish.Schedules(r.Context(), a)
	if err == nil {
		d.Schedules = scheds
		d.Files, err = s.svc.Publish.Files(r.Context())
	}
	if err != nil && status < 400 {
		status = s.explain(p, err)
	}
	s.render(w, status, "admin_exports", p)
}

// adminExportsPage lists the publication schedules and the published
// files (administrators).
func (s *Server) adminExportsPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	s.adminExportsRender(w, r, a, s.newPage(r, &a, "export.admin_title"), 200)
}

// adminExportsSave creates a schedule from the form.
func (s *Server) adminExportsSave(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "export.admin_title")
	if r.ParseForm() != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	p.Form = r.PostForm
	day, _ := strconv.Atoi(r.PostFormValue("day"))
	var cats []string
	for _, c := range strings.FieldsFunc(r.PostFormValue("categories"), func(r rune) bool { return r == ',' || r == ' ' || r == '，' }) {
		cats = append(cats, c)
	}
	in := publish.ScheduleInput{Name: r.PostFormValue("name"), Period: r.PostFormValue("period"), Day: day,
		Formats: r.PostForm["formats"], Categories: cats, Dir: strings.TrimSpace(r.PostFormValue("dir")), Enabled: r.PostFormValue("enabled") == "1"}
	if _, err := s.svc.Publish.SaveSchedule(r.Context(), a, 0, in); err != nil {
		s.adminExportsRender(w, r, a, p, s.explain(p, err))
		return
	}
	http.Redirect(w, r, withFlash("/admin/exports", s.cat.T(p.Lang, "export.saved")), http.StatusSeeOther)
}

// adminExportsDelete deletes a schedule (its files stay published).
func (s *Server) adminExportsDelete(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "export.admin_title")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		err = errs.E(errs.NotFound)
	} else {
		err = s.svc.Publish.DeleteSchedule(r.Context(), a, id)
	}
	if err != nil {
		s.adminExportsRender(w, r, a, p, s.explain(p, err))
		return
	}
	http.Redirect(w, r, withFlash("/admin/exports", s.cat.T(p.Lang, "export.deleted")), http.StatusSeeOther)
}

// opendataPage is the public index of the published open-data files.
func (s *Server) opendataPage(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil, "export.open_title")
	files, err := s.svc.Publish.Files(r.Context())
	if err != nil {
		s.render(w, s.explain(p, err), "export_opendata", p)
		return
	}
	p.Data = &adminExportsData{Files: files}
	s.render(w, 200, "export_opendata", p)
}
