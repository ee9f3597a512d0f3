package web

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"whistle/internal/audit"
	"whistle/internal/calendar"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/timelimit"
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
	// PolicyForm is the policy as a form; CalendarPreview a year being previewed.
	PolicyForm      *policyForm
	CalendarPreview *calendarPreview
	Urgencies       []string
	Kinds           []string
	Roles           []string
	Tab             string
	Years           []calendar.Year
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
		Kinds: []string{org.KindDistrictCentre, org.KindStreet, org.KindDepartment, org.KindEnterprise, org.KindProperty, org.KindOwnersCommittee, org.KindCommunity}, Roles: org.AllRoles}
	if d.Tab == "" {
		d.Tab = "places"
	}
	districts, _ := s.svc.Places(r.Context(), org.LevelDistrict)
	for _, dist := range districts {
		d.Districts = append(d.Districts, placeNode{Place: dist, Children: s.svc.Children(dist.ID)})
	}
	d.Years = s.svc.Calendar().Years()
	d.PolicyForm = policyFormOf(s.svc.Policy())
	d.Urgencies = timelimit.Urgencies()
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
	// Administrators only: the route's gate, and the service again.
	if r.ParseForm() != nil {
		s.errorPage(w, r, 400, s.cat.T(langOf(r), "error.bad_form"))
		return
	}
	u := org.Unit{Code: strings.TrimSpace(r.PostFormValue("code")), Name: strings.TrimSpace(r.PostFormValue("name")),
		Kind: r.PostFormValue("kind"), PlaceID: formInt(r, "place_id"), SupervisorID: formInt(r, "supervisor_id")}
	_, err := s.svc.Admin.CreateUnit(r.Context(), a, u)
	s.adminDone(w, r, a, "units", err, "admin.saved")
}

func (s *Server) adminCreateUser(w http.ResponseWriter, r *http.Request, a org.Actor) {
	// Administrators only: the route's gate, and the service again.
	if r.ParseForm() != nil {
		s.errorPage(w, r, 400, s.cat.T(langOf(r), "error.bad_form"))
		return
	}
	u := org.User{Username: strings.TrimSpace(r.PostFormValue("username")), DisplayName: strings.TrimSpace(r.PostFormValue("display_name")),
		UnitID: formInt(r, "unit_id"), Roles: r.PostForm["roles"]}
	_, err := s.svc.Admin.CreateUser(r.Context(), a, u, r.PostFormValue("password"), s.hasher)
	s.adminDone(w, r, a, "users", err, "admin.saved")
}

func (s *Server) adminPutCategory(w http.ResponseWriter, r *http.Request, a org.Actor) {
	// Administrators only: the route's gate, and the service again.
	if r.ParseForm() != nil {
		s.errorPage(w, r, 400, s.cat.T(langOf(r), "error.bad_form"))
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
	// Administrators only: the route's gate, and the service again.
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

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	// Administrators only: the route's gate, and the service again.
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

// The policy and calendar forms: choices instead of codes, a field error
// on the very field, and a preview of what a change would do before it is
// saved through the one write path (admin.SetPolicy, admin.LoadCalendarYear).

// spanFields are the four limits of a rule, in the order of the form.
var spanFields = []string{"accept", "dispatch", "sign", "reply"}

// policyRow is one rule of the policy form ("default" for the default limits).
type policyRow struct {
	Index                          int
	Name, Urgency, Type, CatPrefix string
	Spans                          map[string]string // accept, dispatch, sign, reply as "2h", "7wd"
	Default                        bool
}

// policyPreview is the deadlines a sample request gets under a policy.
type policyPreview struct {
	Urgency, Rule                         string
	AcceptBy, DispatchBy, SignBy, ReplyBy time.Time
}

// policyForm is the policy tab: its rows and, on preview, the deadlines.
type policyForm struct {
	Rows      []policyRow
	Urgencies []string
	Types     []string
	SpanNames []string
	Preview   []policyPreview
	From      time.Time
}

// blankRules is how many empty rows the form offers for new rules.
const blankRules = 2

func spanText(s timelimit.Span) string {
	if s.IsZero() {
		return ""
	}
	return s.String()
}

func limitsRow(l timelimit.Limits) map[string]string {
	return map[string]string{"accept": spanText(l.Accept), "dispatch": spanText(l.Dispatch), "sign": spanText(l.Sign), "reply": spanText(l.Reply)}
}

// policyFormOf fills the form from a policy (the one in force, or the one
// posted).
func policyFormOf(pol timelimit.Policy) *policyForm {
	f := &policyForm{Urgencies: timelimit.Urgencies(), Types: timelimit.Types(), SpanNames: spanFields}
	for i, r := range pol.Rules {
		f.Rows = append(f.Rows, policyRow{Index: i, Name: r.Name, Urgency: r.Urgency, Type: r.Type, CatPrefix: r.CategoryPrefix, Spans: limitsRow(r.Limits)})
	}
	for i := 0; i < blankRules; i++ {
		f.Rows = append(f.Rows, policyRow{Index: len(pol.Rules) + i, Spans: map[string]string{}})
	}
	f.Rows = append(f.Rows, policyRow{Index: -1, Name: timelimit.DefaultRuleName, Spans: limitsRow(pol.Default), Default: true})
	return f
}

// policyFormPosted fills the form with what was posted, as typed.
func policyFormPosted(r *http.Request) *policyForm {
	f := &policyForm{Urgencies: timelimit.Urgencies(), Types: timelimit.Types(), SpanNames: spanFields}
	n, _ := strconv.Atoi(r.PostFormValue("rules"))
	n = min(max(n, 0), 200)
	row := func(i int) policyRow {
		get := func(k string) string { return r.PostFormValue(ruleField(i, k)) }
		pr := policyRow{Index: i, Name: get("name"), Urgency: get("urgency"), Type: get("type"), CatPrefix: get("category_prefix"), Spans: map[string]string{}}
		for _, sp := range spanFields {
			pr.Spans[sp] = get(sp)
		}
		return pr
	}
	for i := 0; i < n; i++ {
		f.Rows = append(f.Rows, row(i))
	}
	d := row(-1)
	d.Name, d.Default = timelimit.DefaultRuleName, true
	f.Rows = append(f.Rows, d)
	return f
}

func ruleField(i int, name string) string {
	if i < 0 {
		return "default." + name
	}
	return "rule" + strconv.Itoa(i) + "." + name
}

// parsePolicyForm reads the posted rules; fields holds a message per bad field.
func (s *Server) parsePolicyForm(r *http.Request, lang string, fields map[string]string) timelimit.Policy {
	pol := timelimit.Policy{Version: s.svc.Policy().Version}
	n, _ := strconv.Atoi(r.PostFormValue("rules"))
	n = min(max(n, 0), 200)
	get := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	limits := func(i int) timelimit.Limits {
		var l timelimit.Limits
		for _, name := range spanFields {
			k := ruleField(i, name)
			v := get(k)
			if v == "" {
				fields[k] = errs.Message(errs.FieldRequired, lang)
				continue
			}
			sp, err := timelimit.ParseSpan(v)
			if err != nil {
				fields[k] = s.cat.T(lang, "admin3.bad_span")
				continue
			}
			switch name {
			case "accept":
				l.Accept = sp
			case "dispatch":
				l.Dispatch = sp
			case "sign":
				l.Sign = sp
			case "reply":
				l.Reply = sp
			}
		}
		return l
	}
	seen := map[string]bool{}
	for i := 0; i < n; i++ {
		name := get(ruleField(i, "name"))
		empty := name == ""
		for _, sp := range spanFields {
			empty = empty && get(ruleField(i, sp)) == ""
		}
		if empty {
			continue // a blank row, or a rule cleared to remove it
		}
		rule := timelimit.Rule{Name: name, Urgency: get(ruleField(i, "urgency")), Type: get(ruleField(i, "type")), CategoryPrefix: get(ruleField(i, "category_prefix"))}
		switch {
		case name == "":
			fields[ruleField(i, "name")] = errs.Message(errs.FieldRequired, lang)
		case name == timelimit.DefaultRuleName || seen[name]:
			fields[ruleField(i, "name")] = s.cat.T(lang, "admin3.dup_rule")
		}
		seen[name] = true
		if rule.Urgency != "" && !timelimit.ValidUrgency(rule.Urgency) {
			fields[ruleField(i, "urgency")] = errs.Message(errs.Invalid, lang)
		}
		if rule.Type != "" && !timelimit.ValidType(rule.Type) {
			fields[ruleField(i, "type")] = errs.Message(errs.Invalid, lang)
		}
		if rule.CategoryPrefix != "" && !validPrefix.MatchString(rule.CategoryPrefix) {
			fields[ruleField(i, "category_prefix")] = errs.Message(errs.Invalid, lang)
		}
		rule.Limits = limits(i)
		pol.Rules = append(pol.Rules, rule)
	}
	pol.Default = limits(-1)
	return pol
}

var validPrefix = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)

// previewPolicy computes the deadlines of a sample complaint received and
// dispatched now, one per urgency class.
func (s *Server) previewPolicy(pol timelimit.Policy, now time.Time) []policyPreview {
	cal := s.svc.Calendar()
	var out []policyPreview
	for _, u := range timelimit.Urgencies() {
		l, rule := pol.For(u, timelimit.TypeComplaint, "")
		d := l.Compute(cal, now, now)
		out = append(out, policyPreview{Urgency: u, Rule: rule, AcceptBy: l.AcceptBy(cal, now), DispatchBy: d.DispatchBy, SignBy: d.SignBy, ReplyBy: d.ReplyBy})
	}
	return out
}

// adminPolicy saves the time-limit policy from the form, or previews it.
func (s *Server) adminPolicy(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !s.adminOnly(w, r, a) || r.ParseForm() != nil {
		return
	}
	p := s.newPage(r, &a, "admin.title")
	p.Form = r.PostForm
	pol := s.parsePolicyForm(r, p.Lang, p.Fields)
	preview := r.PostFormValue("do") == "preview"
	var err error
	if len(p.Fields) > 0 {
		p.Err = s.cat.T(p.Lang, "form.check_fields")
	} else if verr := pol.Validate(); verr != nil {
		err = &errs.Error{Code: errs.Invalid, Field: "policy", Detail: verr.Error()}
	} else if !preview {
		err = s.svc.Admin.SetPolicy(r.Context(), a, pol)
		if err == nil {
			http.Redirect(w, r, withFlash("/admin?tab=policy", s.cat.T(p.Lang, "admin.saved")), http.StatusSeeOther)
			return
		}
	}
	status := 200
	if err != nil {
		status = s.explain(p, err)
	} else if len(p.Fields) > 0 {
		status = 422
	}
	d := s.adminData(r, a)
	d.Tab = "policy"
	d.PolicyForm = policyFormPosted(r)
	if status == 200 && preview {
		d.PolicyForm.From = s.svc.Now().Truncate(time.Minute) // as shown
		d.PolicyForm.Preview = s.previewPolicy(pol, d.PolicyForm.From)
	}
	p.Data = d
	s.render(w, status, "admin", p)
}

// calendarPreview is a year of holidays as it would be loaded.
type calendarPreview struct {
	Year      int
	Off, Work []string
	Months    []monthDays
}

type monthDays struct {
	Month    int
	Workdays int
}

// parseDays reads dates separated by spaces, commas or new lines.
func parseDays(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == ';' || r <= ' ' })
}

// adminCalendar loads one year's holiday notice (days off and make-up
// working days) from the form, or previews it; invalid notices change
// nothing.
func (s *Server) adminCalendar(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !s.adminOnly(w, r, a) || r.ParseForm() != nil {
		return
	}
	p := s.newPage(r, &a, "admin.title")
	p.Form = r.PostForm
	y := calendar.Year{Source: strings.TrimSpace(r.PostFormValue("source")), Off: parseDays(r.PostFormValue("off")), Work: parseDays(r.PostFormValue("work"))}
	year, yerr := strconv.Atoi(strings.TrimSpace(r.PostFormValue("year")))
	switch {
	case yerr != nil:
		p.Fields["year"] = errs.Message(errs.FieldRequired, p.Lang)
	case year < calendar.MinYear || year > calendar.MaxYear:
		p.Fields["year"] = s.cat.T(p.Lang, "admin3.bad_year", calendar.MinYear, calendar.MaxYear)
	}
	y.Year = year
	if y.Source == "" {
		p.Fields["source"] = errs.Message(errs.FieldRequired, p.Lang)
	}
	offs := map[string]bool{}
	for _, f := range []struct {
		name string
		days []string
	}{{"off", y.Off}, {"work", y.Work}} {
		for _, day := range f.days {
			t, err := time.Parse("2006-01-02", day)
			switch {
			case err != nil:
				p.Fields[f.name] = s.cat.T(p.Lang, "admin3.bad_date", day)
			case yerr == nil && t.Year() != year:
				p.Fields[f.name] = s.cat.T(p.Lang, "admin3.wrong_year", day, year)
			case f.name == "off":
				offs[day] = true
			case offs[day]:
				p.Fields[f.name] = s.cat.T(p.Lang, "admin3.off_and_work", day)
			}
			if _, bad := p.Fields[f.name]; bad {
				break
			}
		}
	}
	preview := r.PostFormValue("do") == "preview"
	var err error
	var pv *calendarPreview
	if len(p.Fields) > 0 {
		p.Err = s.cat.T(p.Lang, "form.check_fields")
	} else if preview {
		probe := calendar.New(s.svc.Location())
		if err = probe.LoadYear(y); err == nil {
			pv = &calendarPreview{Year: y.Year}
			if ys := probe.Years(); len(ys) == 1 {
				pv.Off, pv.Work = ys[0].Off, ys[0].Work
			}
			for m := time.January; m <= time.December; m++ {
				md := monthDays{Month: int(m)}
				for d := time.Date(year, m, 1, 12, 0, 0, 0, s.svc.Location()); d.Month() == m; d = d.AddDate(0, 0, 1) {
					if probe.IsWorkday(d) {
						md.Workdays++
					}
				}
				pv.Months = append(pv.Months, md)
			}
		} else {
			err = &errs.Error{Code: errs.Invalid, Field: "calendar", Detail: err.Error()}
		}
	} else {
		err = s.svc.Admin.LoadCalendarYear(r.Context(), a, y)
		if err == nil {
			http.Redirect(w, r, withFlash("/admin?tab=calendar", s.cat.T(p.Lang, "admin.saved")), http.StatusSeeOther)
			return
		}
	}
	status := 200
	if err != nil {
		status = s.explain(p, err)
	} else if len(p.Fields) > 0 {
		status = 422
	}
	d := s.adminData(r, a)
	d.Tab = "calendar"
	d.CalendarPreview = pv
	p.Data = d
	s.render(w, status, "admin", p)
}
