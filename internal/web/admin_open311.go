package web

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"whistle/internal/errs"
	"whistle/internal/georeport"
	"whistle/internal/open311"
	"whistle/internal/org"
)

// The Open311 administration page (admin role): API keys (created, shown
// once, listed, revoked) and the service-code mapping onto categories with
// each service's attribute definitions. The same service calls as the
// admin API (georeport), so rules and audit are the same.

func init() { pageNames = append(pageNames, "admin_open311") }

type o311Row struct {
	georeport.Mapped
	AttrsJSON string
	AttrCount int
}

type o311Data struct {
	Keys       []georeport.Key
	Services   []o311Row
	Categories []string
	NewKey     string // shown once, just created
	Endpoint   string
}

func (s *Server) o311Render(w http.ResponseWriter, r *http.Request, a org.Actor, p *page, status int, newKey string) {
	d := &o311Data{NewKey: newKey, Endpoint: "/open311/discovery.json"}
	p.Data = d
	keys, err := s.svc.Open311.Keys(r.Context(), a)
	if err != nil && status < 400 {
		status = s.explain(p, err)
	}
	d.Keys = keys
	svcs, err := s.svc.Open311.Mapping(r.Context(), a)
	if err != nil && status < 400 {
		status = s.explain(p, err)
	}
	for _, m := range svcs {
		b, _ := json.MarshalIndent(m.Definition, "", "  ")
		row := o311Row{Mapped: m, AttrCount: len(m.Definition), AttrsJSON: string(b)}
		if len(m.Definition) == 0 {
			row.AttrsJSON = "[]"
		}
		d.Services = append(d.Services, row)
	}
	for code, c := range s.svc.CategoryMap() {
		if c.Leaf && c.Active {
			d.Categories = append(d.Categories, code)
		}
	}
	sort.Strings(d.Categories)
	s.render(w, status, "admin_open311", p)
}

func (s *Server) o311Page(w http.ResponseWriter, r *http.Request, a org.Actor) {
	s.o311Render(w, r, a, s.newPage(r, &a, "open311.title"), 200, "")
}

// o311CreateKey creates a key and shows it on the page, once (never in a
// URL or a redirect).
func (s *Server) o311CreateKey(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "open311.title")
	if r.ParseForm() != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	key, _, err := s.svc.Open311.CreateKey(r.Context(), a, r.PostFormValue("name"))
	if err != nil {
		p.Form = r.PostForm
		s.o311Render(w, r, a, p, s.explain(p, err), "")
		return
	}
	p.Flash = s.cat.T(p.Lang, "open311.key_created")
	s.o311Render(w, r, a, p, 200, key)
}

func (s *Server) o311RevokeKey(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "open311.title")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		err = s.svc.Open311.RevokeKey(r.Context(), a, id)
	} else {
		err = errs.E(errs.NotFound)
	}
	if err != nil {
		s.o311Render(w, r, a, p, s.explain(p, err), "")
		return
	}
	http.Redirect(w, r, withFlash("/admin/open311#keys", s.cat.T(p.Lang, "open311.key_revoked")), http.StatusSeeOther)
}

// o311PutService saves a mapping row; the attribute definitions come as
// JSON (the spec's attribute objects).
func (s *Server) o311PutService(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "open311.title")
	if r.ParseForm() != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	in := georeport.MappingInput{Code: r.PostFormValue("service_code"), Category: r.PostFormValue("category"), Name: r.PostFormValue("service_name"),
		Description: r.PostFormValue("description"), Group: r.PostFormValue("group"), Keywords: r.PostFormValue("keywords"),
		Active: r.PostFormValue("active") != ""}
	var err error
	if text := strings.TrimSpace(r.PostFormValue("attributes")); text != "" {
		var attrs []open311.Attribute
		if jerr := json.Unmarshal([]byte(text), &attrs); jerr != nil {
			err = &errs.Error{Code: errs.Invalid, Field: "attributes", Detail: jerr.Error()}
		}
		in.Attributes = attrs
	}
	if err == nil {
		err = s.svc.Open311.PutMapping(r.Context(), a, in)
	}
	if err != nil {
		p.Form = r.PostForm
		s.o311Render(w, r, a, p, s.explain(p, err), "")
		return
	}
	http.Redirect(w, r, withFlash("/admin/open311#services", s.cat.T(p.Lang, "admin.saved")), http.StatusSeeOther)
}

func (s *Server) o311DeleteService(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "open311.title")
	if err := s.svc.Open311.DeleteMapping(r.Context(), a, r.PathValue("code")); err != nil {
		s.o311Render(w, r, a, p, s.explain(p, err), "")
		return
	}
	http.Redirect(w, r, withFlash("/admin/open311#services", s.cat.T(p.Lang, "admin.saved")), http.StatusSeeOther)
}
