package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

type row struct {
	C    *lifecycle.Case
	Now  any
	Lang string
}

type listData struct {
	Rows  []row
	Next  string
	Tab   string
	Tabs  []string
	Count int
	Tasks []taskRow // the unit's tasks (专项任务), on the inbox's first tab
}

func (s *Server) rows(p *page, cs []*lifecycle.Case) []row {
	out := make([]row, 0, len(cs))
	for _, c := range cs {
		out = append(out, row{C: c, Now: p.Now, Lang: p.Lang})
	}
	return out
}

func nextLink(path string, q url.Values, cursor string) string {
	if cursor == "" {
		return ""
	}
	q2 := url.Values{}
	for k, v := range q {
		if k != "cursor" && k != "flash" {
			q2[k] = v
		}
	}
	q2.Set("cursor", cursor)
	return path + "?" + q2.Encode()
}

// inboxPage is a unit's open orders, nearest deadline first; tabs for
// co-handling tasks and cases the unit supervises.
func (s *Server) inboxPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "inbox.title")
	if a.Unit.ID == 0 {
		s.errorPage(w, r, 403, errs.Message(errs.Forbidden, p.Lang))
		return
	}
	tab := r.URL.Query().Get("tab")
	if !slices.Contains([]string{"lead", "co", "closed"}, tab) {
		tab = "lead"
	}
	open := true
	f := lifecycle.CaseFilter{Sort: "due", Limit: 50, Cursor: r.URL.Query().Get("cursor"), Open: &open}
	switch tab {
	case "lead":
		f.LeadUnitID = a.Unit.ID
		f.States = []lifecycle.State{lifecycle.Dispatched, lifecycle.Signed, lifecycle.Contacted, lifecycle.Handling}
	case "co":
		f.CoUnitID = a.Unit.ID
	case "closed":
		f.LeadUnitID, f.Open, f.Sort = a.Unit.ID, nil, "created"
		f.States = []lifecycle.State{lifecycle.Replied, lifecycle.Closed}
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	pg, err := s.svc.Cases.List(ctx, a, f)
	if err != nil {
		s.render(w, s.explain(p, err), "inbox", p)
		return
	}
	p.Data = listData{Rows: s.rows(p, pg.Cases), Next: nextLink("/inbox", r.URL.Query(), pg.Next), Tab: tab, Tabs: []string{"lead", "co", "closed"}}
	if tab == "lead" && r.URL.Query().Get("cursor") == "" {
		if ts, err := s.svc.Insight.Inbox(ctx, a); err == nil {
			d := p.Data.(listData)
			d.Tasks = s.taskRows(ts, a, p.Now, p.Lang)
			p.Data = d
		} else {
			s.log.Warn("inbox tasks", "err", err)
		}
	}
	s.render(w, 200, "inbox", p)
}

// reviewPage is the centre's queues: returns and extensions waiting for a
// decision, overdue orders, and supervised cases.
func (s *Server) reviewPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "review.title")
	if !a.User.Has(org.RoleDispatcher, org.RoleSupervisor) {
		s.errorPage(w, r, 403, errs.Message(errs.Forbidden, p.Lang))
		return
	}
	tab := r.URL.Query().Get("tab")
	tabs := []string{"returns", "extensions", "received", "overdue", "supervised"}
	if !slices.Contains(tabs, tab) {
		tab = "returns"
	}
	yes, open := true, true
	f := lifecycle.CaseFilter{Sort: "due", Limit: 50, Cursor: r.URL.Query().Get("cursor"), Open: &open}
	switch tab {
	case "returns":
		f.ReturnPending = &yes
	case "extensions":
		f.ExtPending = &yes
	case "received":
		f.States = []lifecycle.State{lifecycle.Submitted, lifecycle.Received}
	case "overdue":
		f.Overdue = &yes
	case "supervised":
		f.Supervised = &yes
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	pg, err := s.svc.Cases.List(ctx, a, f)
	if err != nil {
		s.render(w, s.explain(p, err), "review", p)
		return
	}
	p.Data = listData{Rows: s.rows(p, pg.Cases), Next: nextLink("/review", r.URL.Query(), pg.Next), Tab: tab, Tabs: tabs}
	s.render(w, 200, "review", p)
}

// callbacksPage is the agents' callback queue (回访): replied cases waiting
// for the citizen's verdict, oldest reply first.
func (s *Server) callbacksPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "callbacks.title")
	if !a.User.Has(org.RoleAgent, org.RoleDispatcher) {
		s.errorPage(w, r, 403, errs.Message(errs.Forbidden, p.Lang))
		return
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	// An agent calling a citizen back about one request finds it by number;
	// each reply comes with its verdict (答复质量), so the agent knows what
	// to ask.
	n := strings.TrimSpace(r.URL.Query().Get("number"))
	p.Form.Set("number", n)
	pg, err := s.svc.Cases.CallbackQueue(ctx, a, n, r.URL.Query().Get("cursor"))
	if err != nil {
		s.render(w, s.explain(p, err), "callbacks", p)
		return
	}
	d := callbackData{listData: listData{Rows: s.rows(p, pg.Cases)}, Checks: map[int64]*replyCheckView{}}
	if n == "" {
		d.Next = nextLink("/callbacks", r.URL.Query(), pg.Next)
	}
	for id, ch := range pg.Checks {
		d.Checks[id] = replyViewOf(p.Lang, &ch)
	}
	p.Data = d
	s.render(w, 200, "callbacks", p)
}
