package web_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

// The checks below compare what the supervisor, public figures and
// administration pages say with what the service holds, counted here
// independently: from the cases one by one (not from the aggregate queries
// the pages use) and from the test's own actions.

// allCases lists every case the actor may see, page by page.
func (e *e2e) allCases(a org.Actor) []*lifecycle.Case {
	e.t.Helper()
	var out []*lifecycle.Case
	f := lifecycle.CaseFilter{Limit: 500}
	for {
		pg, err := e.app.Svc.Cases.List(e.t.Context(), a, f)
		if err != nil {
			e.t.Fatalf("list cases: %v", err)
		}
		out = append(out, pg.Cases...)
		if pg.Next == "" {
			return out
		}
		f.Cursor = pg.Next
	}
}

// tableRows reads a table's body: per row, the href of the first link in
// the row (or "") followed by each cell's text.
func (e *e2e) tableRows(table string) [][]string {
	e.t.Helper()
	js := fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).map(tr => {
		const a = tr.querySelector('a');
		return [a ? a.getAttribute('href') : ''].concat(Array.from(tr.cells).map(td => td.innerText.trim()));
	})`, table+" tbody tr")
	rows, err := chromedp.Run(e.ctx, chromedp.Evaluate[[][]string](js))
	if err != nil {
		e.t.Fatalf("rows of %s: %v", table, err)
	}
	return rows
}

// number reads an integer shown in the element.
func (e *e2e) number(sel string) int {
	e.t.Helper()
	s := e.text(sel)
	n, err := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
	if err != nil {
		e.t.Fatalf("%s shows %q, not a number", sel, s)
	}
	return n
}

func atoi(s string) int {
	n, err := strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(s), ",", ""))
	if err != nil {
		return -1
	}
	return n
}

type load struct{ open, overdue int }

// checkSupervisor: on the supervisor page (already open), today's intake,
// the open and overdue totals and every unit's line equal the counts of
// the cases the user may see.
func (e *e2e) checkSupervisor(u org.User) {
	e.t.Helper()
	a, err := e.app.Svc.Actor(u)
	if err != nil {
		e.t.Fatal(err)
	}
	now := e.app.Svc.Now().In(e.app.Svc.Location())
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, e.app.Svc.Location())
	want := map[int64]load{}
	var intake, open, overdue int
	for _, c := range e.allCases(a) {
		if !c.CreatedAt.Before(day) && c.CreatedAt.Before(now) {
			intake++
		}
		if !c.State.Open() {
			continue
		}
		l := want[c.LeadUnitID]
		l.open++
		open++
		if c.Overdue {
			l.overdue++
			overdue++
		}
		want[c.LeadUnitID] = l
	}
	if open == 0 || intake == 0 {
		e.t.Fatalf("the check needs open cases and a request today: open %d, today %d", open, intake)
	}
	for sel, n := range map[string]int{"#stat-intake": intake, "#stat-open": open, "#stat-overdue": overdue} {
		if got := e.number(sel); got != n {
			e.t.Errorf("supervisor page %s shows %d, the cases give %d", sel, got, n)
		}
	}
	got := map[int64]load{}
	for _, r := range e.tableRows("#unit-table") {
		if len(r) != 4 {
			e.t.Fatalf("unit table row %q", r)
		}
		var id int64 // the centre's row (no lead unit yet) has no link, or one to the queue of waiting requests
		if r[0] != "" {
			q, err := url.Parse(r[0])
			if err != nil {
				e.t.Fatalf("unit link %q", r[0])
			}
			if q.Path != "/queue" && q.Path != "/review" {
				id, _ = strconv.ParseInt(q.Query().Get("unit"), 10, 64)
				if un := unitName(e, id); un != r[1] {
					e.t.Errorf("unit table: link to unit %d is labelled %q, the unit is %q", id, r[1], un)
				}
			}
		}
		if _, dup := got[id]; dup {
			e.t.Errorf("unit table: unit %d twice", id)
		}
		got[id] = load{atoi(r[2]), atoi(r[3])}
	}
	for id, w := range want {
		if got[id] != w {
			e.t.Errorf("unit table: unit %d (%s) shows open/overdue %v, the cases give %v", id, unitName(e, id), got[id], w)
		}
	}
	for id, g := range got {
		if _, ok := want[id]; !ok && g != (load{}) {
			e.t.Errorf("unit table: unit %d (%s) shows %v but has no open case", id, unitName(e, id), g)
		}
	}
	e.t.Logf("supervisor page: today %d, open %d, overdue %d, %d unit lines — as the cases give", intake, open, overdue, len(got))
}

// checkFigures: on the public figures page (already open), this month's
// received and closed requests, last month's received and the chart's
// count per type equal the counts of the cases.
func (e *e2e) checkFigures() {
	e.t.Helper()
	loc := e.app.Svc.Location()
	now := e.app.Svc.Now().In(loc)
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
	prevMonth := month.AddDate(0, -1, 0)
	var received, closed, prev int
	byType := map[string]int{}
	for _, c := range e.allCases(org.System()) {
		at := c.CreatedAt.In(loc)
		switch {
		case !at.Before(month) && at.Before(month.AddDate(0, 1, 0)):
			received++
			byType[c.Type]++
			if !c.State.Open() {
				closed++
			}
		case !at.Before(prevMonth) && at.Before(month):
			prev++
		}
	}
	if received == 0 || closed == 0 {
		e.t.Fatalf("the check needs requests received and closed this month: %d, %d", received, closed)
	}
	for sel, n := range map[string]int{"#fig-received": received, "#fig-closed": closed, "main .grid3 > .card:nth-child(3) .stat": prev} {
		if got := e.number(sel); got != n {
			e.t.Errorf("figures page %s shows %d, the cases give %d", sel, got, n)
		}
	}
	e.wantText("main .grid3 > .card:nth-child(1) .stat-label", month.Format("2006-01"))
	raw, err := chromedp.Run(e.ctx, chromedp.Evaluate[string](`document.querySelector('[data-chart]').dataset.chart`))
	if err != nil {
		e.t.Fatalf("figures chart: %v", err)
	}
	var chart struct {
		Series []struct {
			Data []int `json:"data"`
		} `json:"series"`
	}
	if err := json.Unmarshal([]byte(raw), &chart); err != nil || len(chart.Series) != 1 || len(chart.Series[0].Data) != len(lifecycle.Types) {
		e.t.Fatalf("figures chart %s: %v", raw, err)
	}
	for i, typ := range lifecycle.Types {
		if got := chart.Series[0].Data[i]; got != byType[typ] {
			e.t.Errorf("figures chart: %s %d, the cases give %d", typ, got, byType[typ])
		}
	}
	e.t.Logf("figures page: %s received %d, closed %d, by type %v; previous month %d — as the cases give", month.Format("2006-01"), received, closed, byType, prev)
}

// checkAdmin, as the administrator: a unit created in the form is listed
// with the others exactly as the service holds them, a unit's users and
// the categories are those that exist, and the audit log shows the
// actions of this test (the agent's reveal of the citizen of caseID, the
// unit's creation).
func (e *e2e) checkAdmin(agent, admin org.User, caseID int64) {
	e.t.Helper()
	ctx := e.t.Context()
	place := e.app.Svc.UnitsList()[0].PlaceID
	for _, u := range e.app.Svc.UnitsList() {
		if u.Kind == org.KindStreet {
			place = u.PlaceID
			break
		}
	}
	code, name := "E2E-UNIT-1", "浏览器测试联络站"
	e.do(chromedp.Navigate(e.base+"/admin?tab=units"), chromedp.WaitVisible(chromedp.ID("u-code")),
		chromedp.SendKeys(chromedp.ID("u-code"), code), chromedp.SendKeys(chromedp.ID("u-name"), name),
		chromedp.SetValue(chromedp.ID("u-kind"), org.KindDepartment), chromedp.SendKeys(chromedp.ID("u-place"), fmt.Sprint(place)),
		chromedp.Submit(chromedp.ID("u-code")), chromedp.WaitVisible(chromedp.CSS("p.flash")))
	var created org.Unit
	for _, u := range e.app.Svc.UnitsList() {
		if u.Code == code {
			created = u
		}
	}
	if created.ID == 0 || created.Name != name {
		e.t.Fatalf("the unit created in the form is not in the service: %+v", created)
	}
	var want, got []string
	for _, u := range e.app.Svc.UnitsList() {
		want = append(want, fmt.Sprintf("%d %s %s", u.ID, u.Code, u.Name))
	}
	for _, r := range e.tableRows("main table") {
		if len(r) < 4 {
			e.t.Fatalf("units table row %q", r)
		}
		got = append(got, fmt.Sprintf("%s %s %s", r[1], r[2], r[3]))
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		e.t.Errorf("units table lists %d units, the service has %d:\npage    %q\nservice %q", len(got), len(want), got, want)
	}
	if !slices.Contains(got, fmt.Sprintf("%d %s %s", created.ID, code, name)) {
		e.t.Errorf("units table lacks the unit just created (%d %s)", created.ID, code)
	}

	// A unit's users.
	users, err := e.app.Svc.St.Users(ctx, agent.UnitID)
	if err != nil || len(users) == 0 {
		e.t.Fatalf("users of unit %d: %v, %v", agent.UnitID, users, err)
	}
	want, got = nil, nil
	for _, u := range users {
		want = append(want, u.Username)
	}
	e.do(chromedp.Navigate(fmt.Sprintf("%s/admin?tab=users&unit_id=%d", e.base, agent.UnitID)), chromedp.WaitVisible(chromedp.CSS("main table")))
	for _, r := range e.tableRows("main table") {
		got = append(got, r[1])
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) || !slices.Contains(got, agent.Username) {
		e.t.Errorf("users of unit %d: page %q, service %q (the agent %s among them)", agent.UnitID, got, want, agent.Username)
	}

	// The categories.
	want, got = nil, nil
	for _, c := range e.app.Svc.Categories() {
		want = append(want, c.Code)
	}
	e.do(chromedp.Navigate(e.base+"/admin?tab=categories"), chromedp.WaitVisible(chromedp.CSS("main table")))
	for _, r := range e.tableRows("main table") {
		got = append(got, r[1])
	}
	slices.Sort(want)
	slices.Sort(got)
	if len(want) == 0 || !slices.Equal(got, want) {
		e.t.Errorf("categories: page lists %d, the service has %d\npage    %q\nservice %q", len(got), len(want), got, want)
	}

	// The audit log shows this test's actions, by whom (by name) and on what, in words.
	e.do(chromedp.Navigate(e.base+"/admin/audit"), chromedp.WaitVisible(chromedp.ID("audit")))
	rows := e.tableRows("#audit")
	for _, w := range [][3]string{
		{agent.DisplayName, "查看市民信息", fmt.Sprintf("工单 #%d", caseID)},
		{admin.DisplayName, "新增单位", "单位 " + created.Name},
	} {
		found := false
		for _, r := range rows {
			if len(r) >= 5 && r[2] == w[0] && r[3] == w[1] && r[4] == w[2] {
				found = true
			}
		}
		if !found {
			e.t.Errorf("audit log lacks user %s %s %s; it shows %d rows, first %q", w[0], w[1], w[2], len(rows), rows[:min(3, len(rows))])
		}
	}
	e.t.Logf("admin pages: %d units (with %s), %d users of unit %d, %d categories, the test's audit entries — as the service holds them", len(e.app.Svc.UnitsList()), code, len(users), agent.UnitID, len(want))
}
