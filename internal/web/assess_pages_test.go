package web_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"whistle/internal/assessment"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/ranking"
	"whistle/internal/services"
)

// clientAs logs a demo user in by name.
func (s *site) clientAs(username string) *http.Client {
	s.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	res, err := c.PostForm(s.base+"/login", url.Values{"username": {username}, "password": {"whistle-demo"}})
	if err != nil {
		s.t.Fatal(err)
	}
	res.Body.Close()
	if res.Request.URL.Path == "/login" {
		s.t.Fatalf("login as %s failed", username)
	}
	return c
}

func (s *site) actor(username string) org.Actor {
	s.t.Helper()
	u, _, err := s.app.Svc.St.UserByName(s.t.Context(), username)
	if err != nil {
		s.t.Fatal(err)
	}
	unit, _ := s.app.Svc.Unit(u.UnitID)
	return org.Actor{User: u, Unit: unit}
}

func lastMonth(svc *services.Services) string {
	now := svc.Now()
	return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, svc.Location()).AddDate(0, -1, 0).Format("2006-01")
}

func TestRankingExportsAndAccess(t *testing.T) {
	s := newSite(t)
	svc := s.app.Svc
	month := lastMonth(svc)
	analyst := s.client(org.RoleAnalyst)

	// The CSV export holds the service's ranking, one row per unit.
	res, err := analyst.Get(s.base + "/assess/export?" + url.Values{"month": {month}, "kind": {"department"}, "format": {"csv"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	raw := body(t, res)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || !strings.Contains(res.Header.Get("Content-Disposition"), month) {
		t.Fatalf("csv export: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(raw, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	per, _ := svc.Ranking.AssessMonthPeriod(month)
	rk, err := svc.Ranking.Assess(t.Context(), s.actor(s.logins[org.RoleAnalyst]), per, ranking.AssessOptions{Kind: "department"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(rk.Units)+1 || strings.Join(rows[0], ",") != strings.Join(ranking.ExportHeader("zh"), ",") || rows[0][4] != "单位名称" {
		t.Fatalf("csv: %d rows for %d units; header %v", len(rows), len(rk.Units), rows[0])
	}
	want := map[string]assessment.Score{}
	for _, u := range rk.Units {
		want[u.UnitName] = u
	}
	seenUnranked := false
	for i, row := range rows[1:] {
		u, ok := want[row[4]]
		if !ok || row[5] != fmt.Sprint(u.Orders) {
			t.Errorf("csv row %d: %v, want a unit's name and its orders", i+1, row)
			continue
		}
		// Units with too few cases come after the ranked ones, with no
		// rank or composite and the reason in words.
		if u.Rank == 0 {
			seenUnranked = true
			if row[2] != "—" || row[20] != "—" || row[23] != "样本不足，不参与排名" {
				t.Errorf("csv row of unranked %s: %v", u.UnitName, row)
			}
		} else if seenUnranked || row[2] != fmt.Sprint(u.Rank) {
			t.Errorf("csv row %d of ranked %s after the unranked, or rank %s ≠ %d", i+1, u.UnitName, row[2], u.Rank)
		}
	}

	// The page's own export buttons download both files (their query was
	// escaped twice once: 400).
	res, err = analyst.Get(s.base + "/assess?" + url.Values{"month": {month}, "kind": {"department"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	page := body(t, res)
	for _, u := range rk.Units {
		if u.Rank == 0 && !strings.Contains(page, `<tbody id="unranked">`) {
			t.Errorf("%s has too few cases, but the page lists no units apart", u.UnitName)
		}
	}
	for _, id := range []string{"export-csv", "export-xlsx"} {
		m := regexp.MustCompile(`id="` + id + `" href="([^"]+)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no %s link on the ranking page", id)
		}
		res, err := analyst.Get(s.base + html.UnescapeString(m[1]))
		if err != nil {
			t.Fatal(err)
		}
		b := body(t, res)
		if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("%s %s: status %d", id, m[1], res.StatusCode)
		}
		if id == "export-csv" && (!strings.HasPrefix(b, "\uFEFF考核期,") || !strings.Contains(b, rk.Units[0].UnitName)) {
			t.Errorf("csv from the page starts %q", b[:min(len(b), 80)])
		}
	}
	res, _ = analyst.Get(s.base + "/assess/export?" + url.Values{"month": {month}, "kind": {"street"}, "format": {"xlsx"}}.Encode())
	if b := body(t, res); res.StatusCode != 200 || !strings.HasPrefix(b, "PK") {
		t.Fatalf("xlsx export: %d", res.StatusCode)
	}

	// A wrong month names the field and keeps what was typed.
	res, _ = analyst.Get(s.base + "/assess?month=2026-13")
	if page := body(t, res); res.StatusCode != 422 || !strings.Contains(page, `value="2026-13"`) || !strings.Contains(page, `aria-invalid="true"`) {
		t.Fatalf("bad month: status %d", res.StatusCode)
	}
	res, _ = analyst.Get(s.base + "/assess/cases?" + url.Values{"month": {month}, "unit": {"5"}, "measure": {"bogus"}}.Encode())
	if body(t, res); res.StatusCode != 422 {
		t.Fatalf("bad measure: status %d", res.StatusCode)
	}

	// A street office sees its own cases behind the numbers, not another's.
	handler := s.actor(s.logins[org.RoleHandler])
	var other org.Unit
	for _, u := range svc.UnitsList() {
		if u.Kind == org.KindStreet && u.ID != handler.Unit.ID {
			other = u
			break
		}
	}
	h := s.client(org.RoleHandler)
	res, _ = h.Get(s.base + "/assess/cases?" + url.Values{"month": {month}, "unit": {fmt.Sprint(other.ID)}, "measure": {"orders"}}.Encode())
	if body(t, res); res.StatusCode != 403 {
		t.Fatalf("a street listing another's cases: status %d", res.StatusCode)
	}
	res, _ = h.Get(s.base + "/assess/cases?" + url.Values{"month": {month}, "unit": {fmt.Sprint(handler.Unit.ID)}, "measure": {"orders"}}.Encode())
	if page := body(t, res); res.StatusCode != 200 || !strings.Contains(page, `id="drill"`) {
		t.Fatalf("a street listing its own cases: status %d", res.StatusCode)
	}

	// Grid workers have no ranking; citizens see only published months.
	gw := s.client(org.RoleGridWorker)
	res, _ = gw.Get(s.base + "/assess")
	if body(t, res); res.StatusCode != 403 {
		t.Fatalf("grid worker on /assess: %d", res.StatusCode)
	}
	res, _ = http.Get(s.base + "/portal/ranking")
	if page := body(t, res); res.StatusCode != 200 || !strings.Contains(page, `id="public-none"`) {
		t.Fatalf("public ranking before publishing: %d", res.StatusCode)
	}
	admin := s.client(org.RoleAdmin)
	res, _ = admin.PostForm(s.base+"/assess/publish", url.Values{"month": {month}, "kind": {"street"}})
	if page := body(t, res); res.StatusCode != 200 || !strings.Contains(page, `id="assess-published"`) {
		t.Fatalf("publish: %d", res.StatusCode)
	}
	res, _ = analyst.PostForm(s.base+"/assess/publish", url.Values{"month": {month}})
	if page := body(t, res); !strings.Contains(page, errsMessageForbidden) {
		t.Fatalf("an analyst may not publish (flash missing)")
	}
	res, _ = http.Get(s.base + "/portal/ranking?lang=en")
	page = body(t, res)
	if res.StatusCode != 200 || !strings.Contains(page, `class="public-ranking"`) || !strings.Contains(page, "Rank") {
		t.Fatalf("public ranking after publishing: %d", res.StatusCode)
	}
	pub, err := svc.Ranking.PublicRanking(t.Context(), month)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range pub {
		if x.Rank == 0 && !strings.Contains(page, "Too few cases to rank") {
			t.Errorf("%s has too few cases, but the public page does not say so", x.Unit)
		}
	}
	for _, internal := range []string{"/assess/cases", "/cases/"} {
		if strings.Contains(page, internal) {
			t.Errorf("the public ranking links to %s", internal)
		}
	}
}

const errsMessageForbidden = "无权"

func TestExemptionAndWhistleFormsNameTheField(t *testing.T) {
	s := newSite(t)
	svc := s.app.Svc
	// A handler of a street that has closed cases in the demo (which
	// streets have them depends on the day the demo is generated).
	h, handler := s.client(org.RoleHandler), s.actor(s.logins[org.RoleHandler])
	closedOnly := false
	if all, err := svc.Cases.List(t.Context(), org.System(), lifecycle.CaseFilter{Open: &closedOnly, Limit: 500}); err == nil {
	find:
		for _, c := range all.Cases {
			if u, ok := svc.Unit(c.LeadUnitID); ok && u.Kind == org.KindStreet {
				users, _ := svc.St.Users(t.Context(), u.ID)
				for _, us := range users {
					if us.Has(org.RoleHandler) && !us.Disabled {
						h, handler = s.clientAs(us.Username), s.actor(us.Username)
						break find
					}
				}
			}
		}
	}

	// An unknown request number is named, the rest kept.
	res, _ := h.PostForm(s.base+"/assess/exemptions", url.Values{"case_number": {"2099010100001"}, "reason": {"duplicate"}, "evidence": {"重复来电证明"}})
	page := body(t, res)
	if res.StatusCode != 404 || !strings.Contains(page, `id="case_number" name="case_number" value="2099010100001"`) || !strings.Contains(page, "重复来电证明") {
		t.Fatalf("unknown case: status %d", res.StatusCode)
	}
	open := false
	pg, err := svc.Cases.List(t.Context(), org.System(), lifecycle.CaseFilter{LeadUnitID: handler.Unit.ID, Open: &open, Limit: 1})
	if err != nil || len(pg.Cases) == 0 {
		t.Fatal("no closed case of the demo street")
	}
	res, _ = h.PostForm(s.base+"/assess/exemptions", url.Values{"case_number": {pg.Cases[0].Number}, "reason": {"malicious"}, "evidence": {"同一号码一日来电40次"}})
	if page := body(t, res); res.StatusCode != 200 || !strings.Contains(page, "待审核") {
		t.Fatalf("request: status %d", res.StatusCode)
	}
	xs, err := svc.Ranking.Exemptions(t.Context(), handler, assessment.ExemptionFilter{State: assessment.ExemptPending})
	if err != nil || len(xs) != 1 {
		t.Fatalf("pending: %v %v", xs, err)
	}
	// Rejecting without a note names the note of that request.
	admin := s.client(org.RoleAdmin)
	res, _ = admin.PostForm(fmt.Sprintf("%s/assess/exemptions/%d/decide", s.base, xs[0].ID), url.Values{"decision": {"reject"}})
	if page := body(t, res); res.StatusCode != 422 || !strings.Contains(page, fmt.Sprintf(`id="note-%d" name="note" value="" aria-invalid="true"`, xs[0].ID)) {
		t.Fatalf("reject without note: status %d", res.StatusCode)
	}
	// A street may not decide.
	res, _ = h.PostForm(fmt.Sprintf("%s/assess/exemptions/%d/decide", s.base, xs[0].ID), url.Values{"decision": {"approve"}})
	if body(t, res); res.StatusCode != 403 {
		t.Fatalf("a street deciding: status %d", res.StatusCode)
	}

	// A whistle with an unknown request number names that field.
	var dept org.Unit
	for _, u := range svc.UnitsList() {
		if u.Kind == org.KindDepartment {
			dept = u
			break
		}
	}
	res, _ = h.PostForm(s.base+"/whistles", url.Values{"address": {"文化广场"}, "need": {"广场夜间噪声联合执法"}, "kind": {"joint_enforcement"},
		"unit_ids": {fmt.Sprint(dept.ID)}, "case_numbers": {"2099010100001"}})
	page = body(t, res)
	if res.StatusCode != 422 || !strings.Contains(page, "广场夜间噪声联合执法") || !strings.Contains(page, `id="case_numbers" name="case_numbers" value="2099010100001" aria-describedby="case-numbers-help" aria-invalid="true"`) ||
		!strings.Contains(page, fmt.Sprintf(`id="summon-%d" checked`, dept.ID)) {
		t.Fatalf("unknown case on a whistle: status %d", res.StatusCode)
	}
	// A department cannot blow the whistle.
	d := s.clientAs("h-" + dept.Code)
	res, _ = d.PostForm(s.base+"/whistles", url.Values{"address": {"x"}, "need": {"y"}, "unit_ids": {fmt.Sprint(dept.ID)}})
	if body(t, res); res.StatusCode != 403 {
		t.Fatalf("a department raising a whistle: status %d", res.StatusCode)
	}
	// Statistics are the centre's.
	res, _ = h.Get(s.base + "/whistles/stats")
	if body(t, res); res.StatusCode != 403 {
		t.Fatalf("a street on the statistics: status %d", res.StatusCode)
	}
}

func TestPatrolFormsNameTheField(t *testing.T) {
	s := newSite(t)
	gw := s.client(org.RoleGridWorker)
	worker := s.actor(s.logins[org.RoleGridWorker])
	res, _ := gw.PostForm(s.base+"/patrol/start", url.Values{"grid_id": {fmt.Sprint(worker.User.GridIDs[0])}})
	if page := body(t, res); res.StatusCode != 200 || !strings.Contains(page, `id="finding-form"`) {
		t.Fatalf("start: status %d", res.StatusCode)
	}
	ps, err := s.app.Svc.St.Patrols(t.Context(), worker.User.ID, time.Now().AddDate(0, 0, -2), time.Now().AddDate(0, 0, 2), 2)
	if err != nil || len(ps) != 1 {
		t.Fatalf("patrols: %v %v", ps, err)
	}
	id := ps[0].ID
	// No description: named, the rest kept, nothing stored.
	var buf bytes.Buffer
	res, _ = gw.PostForm(fmt.Sprintf("%s/patrol/%d/findings", s.base, id), url.Values{"item": {"illegal_parking"}, "category": {"urban.stall"},
		"outcome": {"dispatch"}, "address": {"胜利北里3号楼"}, "description": {"  "}})
	page := body(t, res)
	if res.StatusCode != 422 || !strings.Contains(page, `id="address" name="address" value="胜利北里3号楼"`) || !strings.Contains(page, `id="description" name="description" required aria-invalid="true"`) {
		t.Fatalf("finding without description: status %d", res.StatusCode)
	}
	// Solved on the spot needs a photo and what was done.
	res, _ = gw.PostForm(fmt.Sprintf("%s/patrol/%d/findings", s.base, id), url.Values{"item": {"illegal_parking"}, "category": {"urban.stall"},
		"outcome": {"solved_on_site"}, "description": {"共享单车堵塞消防通道"}})
	if page := body(t, res); res.StatusCode != 422 || !strings.Contains(page, "共享单车堵塞消防通道") {
		t.Fatalf("solved on the spot without a photo: status %d", res.StatusCode)
	}
	if p, _, fs, err := s.app.Svc.Patrols.Patrol(t.Context(), worker, id); err != nil || len(fs) != 0 || p.Findings != 0 {
		t.Fatalf("refused findings were stored: %v %v", fs, err)
	}
	// A position outside the world is named.
	res, _ = gw.PostForm(fmt.Sprintf("%s/patrol/%d/positions", s.base, id), url.Values{"lat": {"95"}, "lon": {"116.4"}})
	if page := body(t, res); res.StatusCode != 422 || !strings.Contains(page, `class="field-error"`) {
		t.Fatalf("bad position: status %d", res.StatusCode)
	}
	// The phone's background fixes get 204.
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/patrol/%d/positions", s.base, id), strings.NewReader("lat=39.9&lon=116.4"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Whistle-Fetch", "1")
	res, err = gw.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, _ = io.Copy(&buf, res.Body); res.StatusCode != 204 {
		t.Fatalf("background fix: status %d %s", res.StatusCode, buf.String())
	}
	res.Body.Close()
	// Someone else's patrol is not theirs to end; agents have no grid.
	agent := s.client(org.RoleAgent)
	res, _ = agent.PostForm(fmt.Sprintf("%s/patrol/%d/end", s.base, id), nil)
	if body(t, res); res.StatusCode < 400 {
		t.Fatalf("an agent ending a patrol: status %d", res.StatusCode)
	}
	if p, _, _, err := s.app.Svc.Patrols.Patrol(t.Context(), worker, id); err != nil || p.State != "patrolling" {
		t.Fatalf("the patrol after an agent tried to end it: %+v %v", p, err)
	}
	res, _ = gw.Get(s.base + "/patrol/coverage")
	if body(t, res); res.StatusCode != 403 {
		t.Fatalf("a grid worker on coverage: status %d", res.StatusCode)
	}
	res, _ = s.client(org.RoleHandler).Get(s.base + "/patrol/coverage?from=2026-02-30")
	if page := body(t, res); res.StatusCode != 422 || !strings.Contains(page, `id="from" name="from" value="2026-02-30"`) {
		t.Fatalf("bad date: status %d", res.StatusCode)
	}
}
