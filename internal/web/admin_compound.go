package web

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"whistle/internal/compound"
	"whistle/internal/org"
	"whistle/internal/property"
)

// ---- managed compounds (小区) and their property companies (物业, issue #15) ----

func init() { pageNames = append(pageNames, "admin_compound") }

type compoundData struct {
	Tabs        []adminLink
	Compounds   []property.View
	Properties  []org.Unit
	Committees  []org.Unit
	Communities []org.Place
	EditID      int64
}

// compoundForm fills the form from a stored compound (edit).
func compoundForm(v property.View) map[string][]string {
	act := ""
	if v.Active {
		act = "1"
	}
	return map[string][]string{
		"id": {strconv.FormatInt(v.ID, 10)}, "name": {v.Name}, "address": {v.Address}, "aliases": {strings.Join(v.Aliases, "\n")},
		"boundary": {v.Boundary}, "community_id": {strconv.FormatInt(v.CommunityID, 10)}, "property_unit_id": {strconv.FormatInt(v.PropertyUnitID, 10)},
		"committee_unit_id": {strconv.FormatInt(v.CommitteeUnitID, 10)}, "active": {act},
	}
}

func (s *Server) compoundRender(w http.ResponseWriter, r *http.Request, a org.Actor, p *page, status int) {
	ctx := r.Context()
	d := &compoundData{Tabs: dispatchTabs(a, "/admin/compounds"), Properties: s.svc.Property.Units(org.KindProperty), Committees: s.svc.Property.Units(org.KindOwnersCommittee)}
	if !a.User.Has(org.RoleAdmin) {
		d.Tabs = nil
	}
	p.Data = d
	if cs, err := s.svc.Property.Compounds(ctx, a); err != nil {
		if status < 400 {
			status = s.explain(p, err)
		}
	} else {
		d.Compounds = cs
	}
	for _, pl := range s.svc.PlaceMap() {
		if pl.Level == org.LevelCommunity {
			d.Communities = append(d.Communities, pl)
		}
	}
	slices.SortFunc(d.Communities, func(a, b org.Place) int { return cmp.Compare(a.ID, b.ID) })
	d.EditID, _ = strconv.ParseInt(p.F("id"), 10, 64)
	s.render(w, status, "admin_compound", p)
}

// compoundsPage lists the compounds with a form for a new one, or for the
// one named by ?edit=.
func (s *Server) compoundsPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !property.MayManage(a) {
		s.forbidden(w, r)
		return
	}
	p := s.newPage(r, &a, "property.compounds_title")
	if id, err := strconv.ParseInt(r.URL.Query().Get("edit"), 10, 64); err == nil && id > 0 {
		v, err := s.svc.Property.Compound(r.Context(), a, id)
		if err != nil {
			s.compoundRender(w, r, a, p, s.explain(p, err))
			return
		}
		p.Form = compoundForm(v)
	} else {
		p.Form.Set("active", "1")
	}
	s.compoundRender(w, r, a, p, 200)
}

// compoundSave creates or changes a compound (audited by the service).
func (s *Server) compoundSave(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !property.MayManage(a) {
		s.forbidden(w, r)
		return
	}
	p := s.newPage(r, &a, "property.compounds_title")
	if r.ParseForm() != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	p.Form = r.PostForm
	c := compound.Compound{ID: formInt(r, "id"), Name: r.PostFormValue("name"), Address: r.PostFormValue("address"), Boundary: r.PostFormValue("boundary"),
		CommunityID: formInt(r, "community_id"), PropertyUnitID: formInt(r, "property_unit_id"), CommitteeUnitID: formInt(r, "committee_unit_id"),
		Active: r.PostFormValue("active") == "1"}
	for _, al := range strings.FieldsFunc(r.PostFormValue("aliases"), func(c rune) bool { return c == ',' || c == '，' || c == '、' || c == '\n' || c == '\r' }) {
		if al = strings.TrimSpace(al); al != "" {
			c.Aliases = append(c.Aliases, al)
		}
	}
	v, err := s.svc.Property.SaveCompound(r.Context(), a, c)
	if err != nil {
		s.compoundRender(w, r, a, p, s.explain(p, err))
		return
	}
	http.Redirect(w, r, withFlash("/admin/compounds#compound-"+strconv.FormatInt(v.ID, 10), s.cat.T(p.Lang, "admin.saved")), http.StatusSeeOther)
}
