package web

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"whistle/internal/audit"
	"whistle/internal/calendar"
	"whistle/internal/errs"
	"whistle/internal/org"
)

type placeNode struct {
	Place    org.Place
	Children []org.Place
}

type adminData struct {
	Districts  []placeNode
	Units      []org.Unit
	Users      []org.User
	Categories []org.Category
	Policy     string
	Kinds      []string
	Roles      []string
	Tab        string
	Years      []calendar.Year
}

func (s *Server) adminOnly(w http.ResponseWriter, r *http.Request, a org.Actor) bool {
	if !a.User.Has(org.RoleAdmin) {
		s.errorPage(w, r, 403, errs.Message(errs.Forbidden, langOf(r)))
		return false
	}
	return true
}

func (s *Server) adminData(r *http.Request, a org.Actor) *adminData {
	d := &adminData{Units: s.svc.UnitsList(), Categories: s.svc.Categories(), Tab: r.URL.Query().Get("tab"),
		Kinds: []string{org.KindDistrictCentre, org.KindStreet, org.KindDepartment, org.KindEnterprise}, Roles: org.AllRoles}
	if d.Tab == "" {
		d.Tab = "places"
	}
	districts, _ := s.svc.Places(r.Context(), org.LevelDistrict)
	for _, dist := range districts {
		d.Districts = append(d.Districts, placeNode{Place: dist, Children: s.svc.Children(dist.ID)})
	}
	d.Years = s.svc.Calendar().Years()
	b, _ := json.MarshalIndent(s.svc.Policy(), "", "  ")
	d.Policy = string(b)
	if unit, err := strconv.ParseInt(r.URL.Query().Get("unit_id"), 10, 64); err == nil {
		d.Users, _ = s.svc.Admin.Users(r.Context(), a, unit)
	}
	return d
}

func (s *Server) adminPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !s.adminOnly(w, r, a) {
		return
	}
	p := s.newPage(r, &a, "admin.title")
	p.Data = s.adminData(r, a)
	s.render(w, 200, "admin", p)
}

// adminDone re-renders the admin page with the error, or redirects with a
// notice; every change is audited by the service.
func (s *Server) adminDone(w http.ResponseWriter, r *http.Request, a org.Actor, tab string, err error, doneKey string) {
	p := s.newPage(r, &a, "admin.title")
	if err != nil {
		status := s.explain(p, err)
		p.Form = r.PostForm
		d := s.adminData(r, a)
		d.Tab = tab
		p.Data = d
		s.render(w, status, "admin", p)
		return
	}
	http.Redirect(w, r, withFlash("/admin?tab="+tab, s.cat.T(p.Lang, doneKey)), http.StatusSeeOther)
}

func formInt(r *http.Request, k string) int64 {
	v, _ := strconv.ParseInt(strings.TrimSpace(r.PostFormValue(k)), 10, 64)
	return v
}

func (s *Server) adminCreateUnit(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !s.adminOnly(w, r, a) || r.ParseForm() != nil {
		return
	}
	u := org.Unit{Code: strings.TrimSpace(r.PostFormValue("code")), Name: strings.TrimSpace(r.PostFormValue("name")),
		Kind: r.PostFormValue("kind"), PlaceID: formInt(r, "place_id"), SupervisorID: formInt(r, "supervisor_id")}
	_, err := s.svc.Admin.CreateUnit(r.Context(), a, u)
	s.adminDone(w, r, a, "units", err, "admin.saved")
}

func (s *Server) adminCreateUser(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !s.adminOnly(w, r, a) || r.ParseForm() != nil {
		return
	}
	u := org.User{Username: strings.TrimSpace(r.PostFormValue("username")), DisplayName: strings.TrimSpace(r.PostFormValue("display_name")),
		UnitID: formInt(r, "unit_id"), Roles: r.PostForm["roles"]}
	_, err := s.svc.Admin.CreateUser(r.Context(), a, u, r.PostFormValue("password"), s.hasher)
	s.adminDone(w, r, a, "users", err, "admin.saved")
}

func (s *Server) adminPutCategory(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !s.adminOnly(w, r, a) || r.ParseForm() != nil {
		return
	}
	code := strings.TrimSpace(r.PostFormValue("code"))
	c := org.Category{Code: code, Parent: org.ParentCode(code), NameZH: strings.TrimSpace(r.PostFormValue("name_zh")), NameEN: strings.TrimSpace(r.PostFormValue("name_en")),
		Urgency: r.PostFormValue("urgency"), Leaf: r.PostFormValue("leaf") == "1", Active: r.PostFormValue("active") == "1"}
	_, err := s.svc.Admin.PutCategory(r.Context(), a, c)
	s.adminDone(w, r, a, "categories", err, "admin.saved")
}

// adminBoundary sets one place's boundary from an uploaded or pasted GeoJSON
// geometry (validated by the service; nothing is written when invalid).
func (s *Server) adminBoundary(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !s.adminOnly(w, r, a) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 32<<20)
	if err := parseForm(r); err != nil {
		s.adminDone(w, r, a, "places", errs.F(errs.Invalid, "boundary"), "")
		return
	}
	text := r.PostFormValue("boundary")
	if r.MultipartForm != nil {
		if fhs := r.MultipartForm.File["file"]; len(fhs) > 0 {
			f, err := fhs[0].Open()
			if err == nil {
				b, _ := io.ReadAll(io.LimitReader(f, 32<<20))
				f.Close()
				text = string(b)
			}
		}
	}
	err := s.svc.Admin.SetPlaceBoundary(r.Context(), a, formInt(r, "place_id"), text)
	s.adminDone(w, r, a, "places", err, "admin.saved")
}

func (s *Server) adminPolicy(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !s.adminOnly(w, r, a) || r.ParseForm() != nil {
		return
	}
	pol := s.svc.Policy()
	dec := json.NewDecoder(strings.NewReader(r.PostFormValue("policy")))
	dec.DisallowUnknownFields()
	var err error
	if derr := dec.Decode(&pol); derr != nil {
		err = &errs.Error{Code: errs.Invalid, Field: "policy", Detail: derr.Error()}
	} else {
		err = s.svc.Admin.SetPolicy(r.Context(), a, pol)
	}
	s.adminDone(w, r, a, "policy", err, "admin.saved")
}

// adminCalendar loads one year's holiday notice (days off and make-up
// working days) as JSON; invalid notices change nothing.
func (s *Server) adminCalendar(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !s.adminOnly(w, r, a) || r.ParseForm() != nil {
		return
	}
	var y calendar.Year
	dec := json.NewDecoder(strings.NewReader(r.PostFormValue("year_json")))
	dec.DisallowUnknownFields()
	var err error
	if derr := dec.Decode(&y); derr != nil {
		err = &errs.Error{Code: errs.Invalid, Field: "year_json", Detail: derr.Error()}
	} else {
		err = s.svc.Admin.LoadCalendarYear(r.Context(), a, y)
		if e, ok := err.(*errs.Error); ok && e.Field == "" {
			e.Field = "year_json"
		}
	}
	s.adminDone(w, r, a, "calendar", err, "admin.saved")
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !s.adminOnly(w, r, a) {
		return
	}
	p := s.newPage(r, &a, "audit.title")
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	es, err := s.svc.Admin.AuditLog(r.Context(), a, before, 100)
	if err != nil {
		s.render(w, s.explain(p, err), "audit", p)
		return
	}
	d := &auditData{Rows: make([]auditRow, 0, len(es))}
	for _, e := range es {
		d.Rows = append(d.Rows, s.auditRow(r, p.Lang, e))
	}
	if len(es) == 100 {
		d.Older = es[len(es)-1].ID
	}
	p.Data = d
	s.render(w, 200, "audit", p)
}

type auditData struct {
	Rows  []auditRow
	Older int64 // the id to page on from, 0 at the end
}

// auditRow is one audit entry as people read it: who by name, the action
// in words, the record it touched by name, and what changed as labelled
// pairs.
type auditRow struct {
	At         time.Time
	User       string
	Action     string // in words
	Code       string // the action code
	Target     string // in words
	TargetCode string
	CaseID     int64 // link to the request
	Detail     []auditField
}

type auditField struct{ Label, Value string }

func (s *Server) auditLabel(lang, prefix, key string) string {
	if s.cat.Has(prefix + key) {
		return s.cat.T(lang, prefix+key)
	}
	return key
}

func (s *Server) auditRow(r *http.Request, lang string, e audit.Entry) auditRow {
	row := auditRow{At: e.At, User: e.UserName, Code: e.Action, TargetCode: e.Target}
	if row.User == "" {
		row.User = s.svc.Admin.DisplayNames(r.Context(), e.UserID)[e.UserID]
	}
	row.Action = s.auditLabel(lang, "audit2.action.", e.Action)
	row.Target = e.Target
	if kind, id, ok := strings.Cut(e.Target, ":"); ok {
		name := id
		n, err := strconv.ParseInt(id, 10, 64)
		if err == nil {
			name = s.auditName(r, kind, n, id)
			if kind == "case" {
				row.CaseID = n
			}
		}
		row.Target = s.auditLabel(lang, "audit2.target.", kind) + " " + name
	} else if e.Target != "" {
		row.Target = s.auditLabel(lang, "audit2.target.", e.Target)
	}
	row.Detail = s.auditDetail(r, lang, e.Detail)
	return row
}

// auditName names the record kind:id (a user, unit or place by its name;
// other records by number).
func (s *Server) auditName(r *http.Request, kind string, id int64, raw string) string {
	switch kind {
	case "user", "user_id", "assigned_by":
		return s.svc.Admin.DisplayNames(r.Context(), id)[id]
	case "unit", "unit_id":
		if u, ok := s.svc.Unit(id); ok {
			return u.Name
		}
	case "place", "place_id", "grid", "grid_id":
		if p, ok := s.svc.Place(id); ok {
			return p.Name
		}
	}
	return "#" + raw
}

// auditDetail renders an entry's detail: a JSON object as labelled pairs
// (ids of users, units and places by name), anything else as it is.
func (s *Server) auditDetail(r *http.Request, lang, detail string) []auditField {
	detail = strings.TrimSpace(detail)
	if detail == "" || detail == "null" {
		return nil
	}
	var v any
	if err := json.Unmarshal([]byte(detail), &v); err != nil {
		return []auditField{{Value: detail}}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return []auditField{{Value: s.auditValue(lang, v)}}
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]auditField, 0, len(keys))
	for _, k := range keys {
		val := s.auditValue(lang, obj[k])
		if f, ok := obj[k].(float64); ok && f == float64(int64(f)) && f > 0 {
			switch k {
			case "user_id", "assigned_by", "unit_id", "place_id", "grid_id":
				val = s.auditName(r, k, int64(f), val)
			}
		}
		out = append(out, auditField{Label: s.auditLabel(lang, "audit2.field.", k), Value: val})
	}
	return out
}

func (s *Server) auditValue(lang string, v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case string:
		return x
	case bool:
		if x {
			return s.cat.T(lang, "audit2.yes")
		}
		return s.cat.T(lang, "audit2.no")
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			switch e.(type) {
			case map[string]any, []any:
				b, _ := json.Marshal(e)
				parts = append(parts, string(b))
			default:
				parts = append(parts, s.auditValue(lang, e))
			}
		}
		return clip(strings.Join(parts, ", "), 300)
	}
	b, _ := json.Marshal(v)
	return clip(string(b), 300)
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
