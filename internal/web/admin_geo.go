package web

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"whistle/internal/core"
	"whistle/internal/errs"
	"whistle/internal/gazetteer"
	"whistle/internal/geo"
	"whistle/internal/org"
)

// ---- boundaries and gazetteer (边界与地名库) ----

// geoEntry is a stored gazetteer entry with its point written out.
type geoEntry struct {
	gazetteer.Entry
	Point string
}

type geoData struct {
	Tabs    []adminLink
	Stats   core.GazetteerStats
	Q       string
	Result  *core.GeocodeResult
	Entries []geoEntry
	Kinds   []string
	Import  *core.ImportReport
	// Problems of the import, each with a label in the page's language.
	Problems []problemRow
}

type problemRow struct {
	geo.Problem
	Label string
}

func (s *Server) geoRender(w http.ResponseWriter, r *http.Request, a org.Actor, p *page, status int, imp *core.ImportReport) {
	ctx := r.Context()
	d := &geoData{Tabs: dispatchTabs(a, "/admin/geo"), Stats: s.svc.GazetteerStats(), Kinds: gazetteer.Kinds, Import: imp, Q: strings.TrimSpace(r.URL.Query().Get("q"))}
	p.Data = d
	if imp != nil {
		for _, pr := range imp.Problems {
			row := problemRow{Problem: pr, Label: pr.Code}
			if k := "admin2.geo.problem." + pr.Code; s.cat.Has(k) {
				row.Label = s.cat.T(p.Lang, k)
			}
			d.Problems = append(d.Problems, row)
		}
	}
	if d.Q != "" {
		res, err := s.svc.Geocode(ctx, d.Q, 5)
		if err != nil {
			if status < 400 {
				status = s.explain(p, err)
			}
		} else {
			d.Result = &res
		}
	}
	es, err := s.svc.GazetteerEntries(ctx, a)
	if err != nil && status < 400 {
		status = s.explain(p, err)
	}
	for _, e := range es {
		ge := geoEntry{Entry: e}
		if e.Lat != nil && e.Lon != nil {
			ge.Point = strconv.FormatFloat(*e.Lat, 'f', 5, 64) + ", " + strconv.FormatFloat(*e.Lon, 'f', 5, 64)
		}
		d.Entries = append(d.Entries, ge)
	}
	s.render(w, status, "admin_geo", p)
}

func (s *Server) geoPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !a.User.Has(org.RoleAdmin) {
		s.forbidden(w, r)
		return
	}
	s.geoRender(w, r, a, s.newPage(r, &a, "admin2.geo.title"), 200, nil)
}

// geoImport checks (button "check") or imports (button "import") a GeoJSON
// FeatureCollection of places, uploaded or pasted; an import with any
// problem writes nothing and lists them all.
func (s *Server) geoImport(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !a.User.Has(org.RoleAdmin) {
		s.forbidden(w, r)
		return
	}
	p := s.newPage(r, &a, "admin2.geo.title")
	r.Body = http.MaxBytesReader(w, r.Body, 64<<20)
	if err := parseForm(r); err != nil {
		s.geoRender(w, r, a, p, s.explain(p, &errs.Error{Code: errs.Invalid, Field: "geojson", Detail: err.Error()}), nil)
		return
	}
	p.Form = r.PostForm
	text := r.PostFormValue("geojson")
	if r.MultipartForm != nil {
		if fhs := r.MultipartForm.File["file"]; len(fhs) > 0 {
			if f, err := fhs[0].Open(); err == nil {
				b, _ := io.ReadAll(io.LimitReader(f, 64<<20))
				f.Close()
				text = string(b)
			}
		}
	}
	if strings.TrimSpace(text) == "" {
		s.geoRender(w, r, a, p, s.explain(p, errs.F(errs.FieldRequired, "geojson")), nil)
		return
	}
	var tol float64
	if v := strings.TrimSpace(r.PostFormValue("tolerance_m2")); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			s.geoRender(w, r, a, p, s.explain(p, &errs.Error{Code: errs.Invalid, Field: "tolerance_m2", Detail: "0 to 1,000,000"}), nil)
			return
		}
		tol = f
	}
	dry := r.PostFormValue("mode") != "import"
	rep, err := s.svc.ImportBoundaries(r.Context(), a, []byte(text), dry, tol)
	status := 200
	switch {
	case err != nil && len(rep.Problems) > 0:
		status = errs.Status(errs.InvalidBoundaries)
		p.Err = s.cat.T(p.Lang, "admin2.geo.rejected", len(rep.Problems))
	case err != nil:
		status = s.explain(p, err)
	case !rep.OK:
		p.Err = s.cat.T(p.Lang, "admin2.geo.problems_n", len(rep.Problems))
	case dry:
		p.Flash = s.cat.T(p.Lang, "admin2.geo.check_ok", rep.Features, rep.Created, rep.Updated)
	default:
		p.Flash = s.cat.T(p.Lang, "admin2.geo.imported", rep.Features, rep.Created, rep.Updated)
	}
	if rep.OK && !dry {
		// Imported: the big text need not come back.
		p.Form.Del("geojson")
	}
	s.geoRender(w, r, a, p, status, &rep)
}

func optFloat(r *http.Request, field string) (*float64, error) {
	v := strings.TrimSpace(r.PostFormValue(field))
	if v == "" {
		return nil, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return nil, errs.F(errs.InvalidLocation, field)
	}
	return &f, nil
}

// geoAddEntry adds a gazetteer entry (a road with its house numbers, a
// compound, a building, a landmark or an alias of a place).
func (s *Server) geoAddEntry(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !a.User.Has(org.RoleAdmin) {
		s.forbidden(w, r)
		return
	}
	p := s.newPage(r, &a, "admin2.geo.title")
	if r.ParseForm() != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	e := gazetteer.Entry{Kind: r.PostFormValue("kind"), Name: r.PostFormValue("name"), PlaceID: formInt(r, "place_id"),
		NumFrom: int(formInt(r, "num_from")), NumTo: int(formInt(r, "num_to"))}
	for _, al := range strings.FieldsFunc(r.PostFormValue("aliases"), func(c rune) bool { return c == ',' || c == '，' || c == '、' || c == '\n' }) {
		if al = strings.TrimSpace(al); al != "" {
			e.Aliases = append(e.Aliases, al)
		}
	}
	var err error
	if e.Lat, err = optFloat(r, "lat"); err == nil {
		e.Lon, err = optFloat(r, "lon")
	}
	if err == nil {
		_, err = s.svc.AddGazetteerEntry(r.Context(), a, e)
	}
	if err != nil {
		p.Form = r.PostForm
		s.geoRender(w, r, a, p, s.explain(p, err), nil)
		return
	}
	http.Redirect(w, r, withFlash("/admin/geo?q="+url.QueryEscape(e.Name)+"#test", s.cat.T(p.Lang, "admin.saved")), http.StatusSeeOther)
}

func (s *Server) geoDeleteEntry(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !a.User.Has(org.RoleAdmin) {
		s.forbidden(w, r)
		return
	}
	p := s.newPage(r, &a, "admin2.geo.title")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	if err := s.svc.DeleteGazetteerEntry(r.Context(), a, id); err != nil {
		s.geoRender(w, r, a, p, s.explain(p, err), nil)
		return
	}
	http.Redirect(w, r, withFlash("/admin/geo#entries", s.cat.T(p.Lang, "admin2.geo.deleted")), http.StatusSeeOther)
}

func (s *Server) geoRebuild(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !a.User.Has(org.RoleAdmin) {
		s.forbidden(w, r)
		return
	}
	p := s.newPage(r, &a, "admin2.geo.title")
	st, err := s.svc.RebuildGazetteer(r.Context(), a)
	if err != nil {
		s.geoRender(w, r, a, p, s.explain(p, err), nil)
		return
	}
	http.Redirect(w, r, withFlash("/admin/geo", s.cat.T(p.Lang, "admin2.geo.rebuilt", st.Entries, st.Learned, st.Observations)), http.StatusSeeOther)
}
