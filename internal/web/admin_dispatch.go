package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"whistle/internal/dispatch"
	"whistle/internal/dutylist"
	"whistle/internal/errs"
	"whistle/internal/org"
)

// The administration pages of smart dispatch (#4): the duty list, the
// knowledge base, the classifier and the boundaries and gazetteer. The
// service enforces who may do what; the pages only decide what to show
// and answer 403 with a page of their own.

// adminLink is a tab of the smart-dispatch administration pages.
type adminLink struct {
	Href, Key string
	Active    bool
}

// mayDutyPage: administrators and the centres' dispatchers and supervisors.
func mayDutyPage(a org.Actor) bool {
	return a.User.Has(org.RoleAdmin) || (a.Unit.IsCentre() && a.User.Has(org.RoleDispatcher, org.RoleSupervisor))
}

// mayEditDutyPage mirrors the service: administrators and the city
// centre's dispatchers write and publish duty lists.
func mayEditDutyPage(a org.Actor) bool {
	return a.User.Has(org.RoleAdmin) || (a.Unit.Kind == org.KindCityCentre && a.User.Has(org.RoleDispatcher))
}

// mayKBPage mirrors the service: administrators and centre staff edit
// the knowledge base.
func mayKBPage(a org.Actor) bool {
	return a.User.Has(org.RoleAdmin) || (a.Unit.IsCentre() && a.User.Has(org.RoleAgent, org.RoleDispatcher, org.RoleSupervisor))
}

// dispatchTabs lists the administration pages a user may open.
func dispatchTabs(a org.Actor, path string) []adminLink {
	var out []adminLink
	add := func(href, key string) { out = append(out, adminLink{Href: href, Key: key, Active: path == href}) }
	if a.User.Has(org.RoleAdmin) {
		add("/admin", "admin.title")
	}
	if mayDutyPage(a) {
		add("/admin/duty", "admin2.duty.title")
	}
	if mayKBPage(a) {
		add("/admin/kb", "admin2.kb.title")
	}
	if a.User.Has(org.RoleAdmin) {
		add("/admin/classifier", "admin2.clf.title")
		add("/admin/geo", "admin2.geo.title")
	}
	return out
}

func (s *Server) forbidden(w http.ResponseWriter, r *http.Request) {
	s.errorPage(w, r, http.StatusForbidden, errs.Message(errs.Forbidden, langOf(r)))
}

// userNames resolves user ids to display names (0 = the system).
func (s *Server) userNames(ctx context.Context, lang string, ids ...int64) map[int64]string {
	var named []int64
	for _, id := range ids {
		if id != 0 {
			named = append(named, id)
		}
	}
	out := s.svc.Admin.DisplayNames(ctx, named...)
	out[0] = s.cat.T(lang, "admin2.system")
	return out
}

// formDate reads a YYYY-MM-DD field (midnight in the city's time zone);
// "" is the zero time.
func (s *Server) formDate(v getter, field string) (time.Time, error) {
	t := strings.TrimSpace(v.Get(field))
	if t == "" {
		return time.Time{}, nil
	}
	d, err := time.ParseInLocation("2006-01-02", t, s.svc.Location())
	if err != nil {
		return time.Time{}, &errs.Error{Code: errs.Invalid, Field: field, Detail: "YYYY-MM-DD"}
	}
	return d, nil
}

// getter is what formDate reads from (url.Values or a query).
type getter interface{ Get(string) string }

// ---- duty list (职责清单) ----

type dutyData struct {
	Tabs      []adminLink
	Lists     []dutylist.Stored
	Names     map[int64]string
	InForce   int64
	Sel       *dutylist.Stored
	Rules     []ruleRow
	Filter    string
	CanEdit   bool
	RulesJSON string
	DryRun    *dutylist.DryRun
	From, To  string
}

// ruleRow is a rule as the table shows it.
type ruleRow struct {
	ID                        int
	Category, Place, Keywords string
	Lead, Co, Label           string
	Priority                  int
	Prefix                    bool
}

func (s *Server) target(lang string, t dutylist.Target) string {
	switch {
	case t.Unit != "":
		for _, u := range s.svc.UnitsList() {
			if u.Code == t.Unit {
				return u.Name
			}
		}
		return t.Unit
	case t.Role == dutylist.RoleDistrictDept:
		return s.cat.T(lang, "admin2.duty.role."+t.Role, t.Key)
	}
	return s.cat.T(lang, "admin2.duty.role."+t.Role)
}

func (s *Server) ruleRows(lang string, rules []dutylist.Rule, filter string) []ruleRow {
	filter = strings.ToLower(strings.TrimSpace(filter))
	sep := "、"
	if lang == "en" {
		sep = ", "
	}
	out := make([]ruleRow, 0, len(rules))
	for _, r := range rules {
		row := ruleRow{ID: r.ID, Keywords: strings.Join(r.Keywords, sep), Lead: s.target(lang, r.Lead), Priority: r.Priority, Label: s.labelName(lang, r.Label, r.Category), Prefix: r.Prefix}
		if r.Category != "" {
			row.Category = r.Category
			if _, ok := s.svc.Category(r.Category); ok {
				row.Category = s.categoryName(lang, r.Category) + " (" + r.Category + ")"
			}
		}
		if r.PlaceID != 0 {
			row.Place = "#" + strconv.FormatInt(r.PlaceID, 10)
			if p, ok := s.svc.Place(r.PlaceID); ok {
				row.Place = p.Name
			}
		}
		var co []string
		for _, t := range r.Co {
			co = append(co, s.target(lang, t))
		}
		row.Co = strings.Join(co, sep)
		if filter != "" {
			hay := strings.ToLower(strings.Join([]string{strconv.Itoa(r.ID), row.Category, row.Place, row.Keywords, row.Lead, row.Co, row.Label}, " "))
			if !strings.Contains(hay, filter) {
				continue
			}
		}
		out = append(out, row)
	}
	return out
}

// rulesJSON writes rules one per line: readable and diffable in a textarea.
func rulesJSON(rules []dutylist.Rule) string {
	var b strings.Builder
	b.WriteString("[\n")
	for i, r := range rules {
		j, _ := json.Marshal(r)
		b.WriteString("  ")
		b.Write(j)
		if i < len(rules)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("]")
	return b.String()
}

// dutyData reads the versions and the selected one (?v=, else the one in
// force, else the newest).
func (s *Server) dutyData(ctx context.Context, p *page, a org.Actor, version int64, q url.Values) (*dutyData, error) {
	d := &dutyData{Tabs: dispatchTabs(a, "/admin/duty"), CanEdit: mayEditDutyPage(a), Filter: strings.TrimSpace(q.Get("q"))}
	ls, err := s.svc.Dispatch.DutyLists(ctx, a)
	if err != nil {
		return d, err
	}
	d.Lists = ls
	var ids []int64
	for _, l := range ls {
		ids = append(ids, l.CreatedBy, l.PublishedBy)
		if l.Status == dutylist.Published && d.InForce == 0 {
			d.InForce = l.Version
		}
	}
	d.Names = s.userNames(ctx, p.Lang, ids...)
	if version == 0 {
		version = d.InForce
	}
	if version == 0 && len(ls) > 0 {
		version = ls[0].Version
	}
	for i := range ls {
		if ls[i].Version == version {
			d.Sel = &ls[i]
		}
	}
	if d.Sel == nil && version != 0 {
		return d, errs.E(errs.NotFound)
	}
	if d.Sel != nil {
		d.Rules = s.ruleRows(p.Lang, d.Sel.Rules, d.Filter)
		d.RulesJSON = rulesJSON(d.Sel.Rules)
	}
	now := s.svc.Now().In(s.svc.Location())
	d.From, d.To = now.AddDate(0, 0, -90).Format("2006-01-02"), now.Format("2006-01-02")
	if q.Has("from") {
		d.From = q.Get("from")
	}
	if q.Has("to") {
		d.To = q.Get("to")
	}
	return d, nil
}

func (s *Server) dutyPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !mayDutyPage(a) {
		s.forbidden(w, r)
		return
	}
	// A dry run re-routes up to 100,000 requests: give it a minute.
	ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
	defer cancel()
	p := s.newPage(r, &a, "admin2.duty.title")
	q := r.URL.Query()
	version, _ := strconv.ParseInt(q.Get("v"), 10, 64)
	d, err := s.dutyData(ctx, p, a, version, q)
	p.Data = d
	if err != nil {
		s.render(w, s.explain(p, err), "admin_duty", p)
		return
	}
	p.Form = q
	if q.Get("dry") != "" && d.Sel != nil {
		from, err := s.formDate(q, "from")
		var to time.Time
		if err == nil {
			to, err = s.formDate(q, "to")
		}
		if err == nil && (from.IsZero() || to.IsZero()) {
			err = errs.F(errs.FieldRequired, "from")
			if !from.IsZero() {
				err = errs.F(errs.FieldRequired, "to")
			}
		}
		if err == nil {
			var dr dutylist.DryRun
			dr, err = s.svc.Dispatch.DryRun(ctx, a, d.Sel.Version, from, to.AddDate(0, 0, 1)) // the "to" day included
			d.DryRun = &dr
		}
		if err != nil {
			d.DryRun = nil
			s.render(w, s.explain(p, err), "admin_duty", p)
			return
		}
	}
	s.render(w, 200, "admin_duty", p)
}

// dutyFail re-renders the page of a version with the error and the input.
func (s *Server) dutyFail(w http.ResponseWriter, r *http.Request, a org.Actor, version int64, err error) {
	p := s.newPage(r, &a, "admin2.duty.title")
	status := s.explain(p, err)
	d, derr := s.dutyData(r.Context(), p, a, version, r.URL.Query())
	if derr != nil {
		status = s.explain(p, derr)
	}
	p.Form = r.PostForm
	p.Data = d
	s.render(w, status, "admin_duty", p)
}

func versionOf(r *http.Request) (int64, bool) {
	v, err := strconv.ParseInt(r.PathValue("version"), 10, 64)
	return v, err == nil && v > 0
}

// dutyCreate starts a draft as a copy of a version (the one in force by
// default).
func (s *Server) dutyCreate(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !mayDutyPage(a) {
		s.forbidden(w, r)
		return
	}
	if r.ParseForm() != nil {
		s.errorPage(w, r, 400, s.cat.T(langOf(r), "error.bad_form"))
		return
	}
	var in dispatch.DutyListInput
	from := formInt(r, "copy")
	if from != 0 {
		l, err := s.svc.Dispatch.DutyList(r.Context(), a, from)
		if err != nil {
			s.dutyFail(w, r, a, 0, err)
			return
		}
		in.Rules = l.Rules
	}
	in.Name = strings.TrimSpace(r.PostFormValue("name"))
	l, err := s.svc.Dispatch.CreateDutyList(r.Context(), a, in)
	if err != nil {
		s.dutyFail(w, r, a, from, err)
		return
	}
	lang := langOf(r)
	http.Redirect(w, r, withFlash("/admin/duty?v="+strconv.FormatInt(l.Version, 10), s.cat.T(lang, "admin2.duty.created", l.Version)), http.StatusSeeOther)
}

// dutySave replaces a draft's name and rules (typed as JSON).
func (s *Server) dutySave(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !mayDutyPage(a) {
		s.forbidden(w, r)
		return
	}
	version, ok := versionOf(r)
	if !ok || r.ParseForm() != nil {
		s.errorPage(w, r, 400, s.cat.T(langOf(r), "error.bad_form"))
		return
	}
	in := dispatch.DutyListInput{Name: r.PostFormValue("name")}
	dec := json.NewDecoder(strings.NewReader(r.PostFormValue("rules")))
	dec.DisallowUnknownFields()
	var err error
	if derr := dec.Decode(&in.Rules); derr != nil {
		err = &errs.Error{Code: errs.InvalidRules, Field: "rules", Detail: derr.Error()}
	} else {
		_, err = s.svc.Dispatch.UpdateDutyList(r.Context(), a, version, in)
	}
	if err != nil {
		s.dutyFail(w, r, a, version, err)
		return
	}
	http.Redirect(w, r, withFlash("/admin/duty?v="+strconv.FormatInt(version, 10), s.cat.T(langOf(r), "admin.saved")), http.StatusSeeOther)
}

// dutyPublish puts a draft in force once the box confirming it is ticked.
func (s *Server) dutyPublish(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !mayDutyPage(a) {
		s.forbidden(w, r)
		return
	}
	version, ok := versionOf(r)
	if !ok || r.ParseForm() != nil {
		s.errorPage(w, r, 400, s.cat.T(langOf(r), "error.bad_form"))
		return
	}
	var err error
	if r.PostFormValue("confirm") != "1" {
		err = errs.F(errs.FieldRequired, "confirm")
	} else {
		_, err = s.svc.Dispatch.PublishDutyList(r.Context(), a, version)
	}
	if err != nil {
		s.dutyFail(w, r, a, version, err)
		return
	}
	http.Redirect(w, r, withFlash("/admin/duty?v="+strconv.FormatInt(version, 10), s.cat.T(langOf(r), "admin2.duty.published", version)), http.StatusSeeOther)
}
