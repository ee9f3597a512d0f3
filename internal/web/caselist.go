package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

type caseListData struct {
	listData
	Unit   org.Unit
	Filter string
	// Exports are the page's export links, its filter carried along.
	Exports []exportLink
}

// casesPage lists cases in the actor's scope with the filters the
// supervisor's numbers drill down to: lead unit, open, overdue, state; a
// request number jumps straight to its case.
func (s *Server) casesPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "cases.title")
	q := r.URL.Query()
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	if n := strings.TrimSpace(q.Get("number")); n != "" {
		if c, err := s.svc.Cases.GetByNumber(ctx, a, n); err == nil {
			http.Redirect(w, r, "/cases/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
			return
		}
		p.Form.Set("number", n)
		p.Fields["number"] = s.cat.T(p.Lang, "track.not_found")
	}
	f, d := s.caseListFilter(q)
	d.Exports = exportLinks(q)
	pg, err := s.svc.Cases.List(ctx, a, f)
	if err != nil {
		s.render(w, s.explain(p, err), "cases", p)
		return
	}
	d.Rows = s.rows(p, pg.Cases)
	d.Next = nextLink("/cases", q, pg.Next)
	p.Data = d
	s.render(w, 200, "cases", p)
}

// caseListFilter is the case-list page's filter of its query (also the
// filter of the page's exports, export.go).
func (s *Server) caseListFilter(q url.Values) (lifecycle.CaseFilter, caseListData) {
	f := lifecycle.CaseFilter{Limit: 50, Cursor: q.Get("cursor"), Sort: "created"}
	d := caseListData{}
	if id, err := strconv.ParseInt(q.Get("unit"), 10, 64); err == nil && id > 0 {
		f.LeadUnitID = id
		d.Unit, _ = s.svc.Unit(id)
	}
	yes := true
	switch q.Get("show") {
	case "open":
		f.Open, f.Sort = &yes, "due"
		d.Filter = "open"
	case "overdue":
		f.Open, f.Overdue, f.Sort = &yes, &yes, "due"
		d.Filter = "overdue"
	case "supervised":
		f.Open, f.Supervised, f.Sort = &yes, &yes, "due"
		d.Filter = "supervised"
	default:
		d.Filter = "all"
	}
	if st := q.Get("state"); st != "" {
		f.States = []lifecycle.State{lifecycle.State(st)}
	}
	// The analysis workbench's drill-down: category, place, created days.
	f.Category = strings.TrimSpace(q.Get("category"))
	for name, dst := range map[string]*int64{"district": &f.DistrictID, "street": &f.StreetID, "community": &f.CommunityID, "grid": &f.GridID} {
		if id, err := strconv.ParseInt(q.Get(name), 10, 64); err == nil && id > 0 {
			*dst = id
		}
	}
	if d, err := time.ParseInLocation("2006-01-02", q.Get("from"), s.svc.Location()); err == nil {
		f.CreatedFrom = d
	}
	if d, err := time.ParseInLocation("2006-01-02", q.Get("to"), s.svc.Location()); err == nil {
		f.CreatedTo = d.AddDate(0, 0, 1) // the whole last day
	}
	return f, d
}
