package web_test

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"whistle/internal/dutylist"
	"whistle/internal/errs"
	"whistle/internal/knowledge"
	"whistle/internal/org"
)

// post submits a form without following the redirect, so the test sees
// both a re-rendered form (4xx) and a success (303 and where it goes).
func post(t *testing.T, c *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	nc := *c
	nc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := nc.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	return res, body(t, res)
}

func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, body(t, res)
}

func wantForbidden(t *testing.T, c *http.Client, u string) {
	t.Helper()
	code, page := get(t, c, u)
	if code != 403 || !strings.Contains(page, errs.Message(errs.Forbidden, "zh")) || !strings.Contains(page, "<html") {
		t.Errorf("%s: status %d, want a 403 page", u, code)
	}
}

func contains(t *testing.T, what, page string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(page, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func TestDutyListPages(t *testing.T) {
	s := newSite(t)
	ctx := t.Context()
	wantForbidden(t, s.client(org.RoleAgent), s.base+"/admin/duty")
	wantForbidden(t, s.client(org.RoleHandler), s.base+"/admin/duty")

	admin := s.client(org.RoleAdmin)
	code, page := get(t, admin, s.base+"/admin/duty")
	if code != 200 {
		t.Fatalf("duty page: status %d", code)
	}
	contains(t, "duty page", page, "演示职责清单", "现行", `id="rule-table"`, "兜底：区分中心", "早夜市占道")
	// The filter box narrows the rules.
	_, page = get(t, admin, s.base+"/admin/duty?q="+url.QueryEscape("早市"))
	if !strings.Contains(page, "早夜市占道") || strings.Contains(page, "兜底：区分中心") {
		t.Errorf("filter 早市 did not narrow the rules")
	}
	// English on request.
	_, page = get(t, admin, s.base+"/admin/duty?lang=en")
	contains(t, "English duty page", page, "Duty list", "In force", "Lead unit")

	// A centre dispatcher starts a draft from the list in force.
	disp := s.client(org.RoleDispatcher)
	inForce, err := s.app.Svc.St.PublishedDutyList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res, _ := post(t, disp, s.base+"/admin/duty", url.Values{"name": {""}, "copy": {strconv.FormatInt(inForce.Version, 10)}})
	if res.StatusCode != 422 {
		t.Fatalf("draft without a name: status %d, want 422", res.StatusCode)
	}
	res, _ = post(t, disp, s.base+"/admin/duty", url.Values{"name": {"2026年冬季调整"}, "copy": {strconv.FormatInt(inForce.Version, 10)}})
	if res.StatusCode != 303 {
		t.Fatalf("create draft: status %d", res.StatusCode)
	}
	loc := res.Header.Get("Location")
	draft := inForce.Version + 1
	if !strings.HasPrefix(loc, "/admin/duty?v="+strconv.FormatInt(draft, 10)) {
		t.Fatalf("create draft went to %q", loc)
	}
	_, page = get(t, disp, s.base+loc)
	contains(t, "draft page", page, "2026年冬季调整", "草稿", `id="draft-edit"`, `id="dry-run"`, `id="publish"`)

	// Rules that do not check out: the error sits by the textarea, which
	// keeps what was typed.
	bad := `[{"id":7,"category":"no.such","lead":{"unit":"nope"}}]`
	res, page = post(t, disp, s.base+"/admin/duty/"+strconv.FormatInt(draft, 10), url.Values{"name": {"2026年冬季调整"}, "rules": {bad}})
	if res.StatusCode != errs.Status(errs.InvalidRules) {
		t.Fatalf("bad rules: status %d", res.StatusCode)
	}
	contains(t, "bad rules page", page, `class="field-error"`, "rule 7", html.EscapeString(bad), `id="rules" name="rules" class="code" spellcheck="false" aria-invalid="true"`)
	res, page = post(t, disp, s.base+"/admin/duty/"+strconv.FormatInt(draft, 10), url.Values{"name": {"x"}, "rules": {"[{"}})
	if res.StatusCode != errs.Status(errs.InvalidRules) || !strings.Contains(page, `class="field-error"`) {
		t.Fatalf("unreadable rules: status %d", res.StatusCode)
	}

	// The draft sends street-office requests to the district centres.
	rules := append([]dutylist.Rule(nil), inForce.Rules...)
	moved := 0
	for i := range rules {
		if rules[i].Lead.Role == dutylist.RoleStreet {
			rules[i].Lead = dutylist.Target{Role: dutylist.RoleDistrictCentre}
			moved++
		}
	}
	if moved == 0 {
		t.Fatal("the demo list has no street-office rule")
	}
	b, _ := json.Marshal(rules)
	res, _ = post(t, disp, s.base+"/admin/duty/"+strconv.FormatInt(draft, 10), url.Values{"name": {"2026年冬季调整"}, "rules": {string(b)}})
	if res.StatusCode != 303 {
		t.Fatalf("save draft: status %d", res.StatusCode)
	}
	// Dry run over every demo request: the page shows the service's diff.
	now := s.app.Svc.Now().In(s.app.Svc.Location())
	from, to := now.AddDate(-3, 0, 0).Format("2006-01-02"), now.Format("2006-01-02")
	q := url.Values{"v": {strconv.FormatInt(draft, 10)}, "dry": {"1"}, "from": {from}, "to": {to}}
	code, page = get(t, disp, s.base+"/admin/duty?"+q.Encode())
	if code != 200 {
		t.Fatalf("dry run: status %d", code)
	}
	fromT, _ := time.ParseInLocation("2006-01-02", from, s.app.Svc.Location())
	toT, _ := time.ParseInLocation("2006-01-02", to, s.app.Svc.Location())
	dr, err := s.app.Svc.Dispatch.DryRun(ctx, adminActor, draft, fromT, toT.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	if dr.Changed == 0 || len(dr.Transitions) == 0 {
		t.Fatalf("moving %d rules changed no request (%d requests)", moved, dr.Cases)
	}
	top := dr.Transitions[0]
	if !strings.Contains(top.ToName, "分中心") {
		t.Errorf("top transition goes to %q, want a district centre", top.ToName)
	}
	contains(t, "dry-run page", page, `id="dry-diff"`, "共 "+strconv.Itoa(dr.Cases)+" 件诉求：主办单位变化 "+strconv.Itoa(dr.Changed)+" 件",
		html.EscapeString(top.FromName), html.EscapeString(top.ToName), "<td>"+strconv.Itoa(top.Count)+"</td>",
		`<a href="/cases?number=`+top.Samples[0]+`">`)
	// A dry run without dates names the field.
	code, page = get(t, disp, s.base+"/admin/duty?v="+strconv.FormatInt(draft, 10)+"&dry=1&from=&to="+to)
	if code != 422 || !strings.Contains(page, `id="dr-from" name="from" value="" aria-invalid="true"`) {
		t.Errorf("dry run without a start: status %d", code)
	}

	// Publishing wants the box ticked; then the draft is in force.
	res, page = post(t, disp, s.base+"/admin/duty/"+strconv.FormatInt(draft, 10)+"/publish", url.Values{})
	if res.StatusCode != 422 || !strings.Contains(page, `id="confirm" name="confirm" value="1" aria-invalid="true"`) {
		t.Fatalf("publish unconfirmed: status %d", res.StatusCode)
	}
	if l, _ := s.app.Svc.St.PublishedDutyList(ctx); l.Version != inForce.Version {
		t.Fatalf("an unconfirmed publish put v%d in force", l.Version)
	}
	res, _ = post(t, disp, s.base+"/admin/duty/"+strconv.FormatInt(draft, 10)+"/publish", url.Values{"confirm": {"1"}})
	if res.StatusCode != 303 {
		t.Fatalf("publish: status %d", res.StatusCode)
	}
	if l, _ := s.app.Svc.St.PublishedDutyList(ctx); l.Version != draft {
		t.Fatalf("in force: v%d, want v%d", l.Version, draft)
	}
	_, page = get(t, disp, s.base+"/admin/duty")
	contains(t, "duty page after publishing", page, "第 "+strconv.FormatInt(draft, 10)+" 版 · 2026年冬季调整", "已被替代")
	// Published versions are read-only on the page.
	if strings.Contains(page, `id="draft-edit"`) {
		t.Error("the version in force is offered for editing")
	}
}

func TestKnowledgePages(t *testing.T) {
	s := newSite(t)
	wantForbidden(t, s.client(org.RoleHandler), s.base+"/admin/kb")
	admin := s.client(org.RoleAdmin)
	code, page := get(t, admin, s.base+"/admin/kb")
	if code != 200 {
		t.Fatalf("kb page: status %d", code)
	}
	contains(t, "kb page", page, "供暖季起止时间", `id="kb-form"`)

	// A missing title: named, and the text typed stays.
	res, page := post(t, admin, s.base+"/admin/kb", url.Values{"title": {""}, "body": {"拨打热线转供热单位"}, "categories": {"heating.fee"}})
	if res.StatusCode != 422 {
		t.Fatalf("article without title: status %d", res.StatusCode)
	}
	contains(t, "kb form", page, `id="kb-title" name="title" value="" aria-invalid="true"`, "拨打热线转供热单位", `value="heating.fee"`)
	// A date that is no date.
	res, page = post(t, admin, s.base+"/admin/kb", url.Values{"title": {"t"}, "body": {"b"}, "valid_from": {"2026-13-01"}})
	if res.StatusCode != 422 || !strings.Contains(page, `name="valid_from" value="2026-13-01" aria-invalid="true"`) {
		t.Fatalf("bad date: status %d", res.StatusCode)
	}
	// An unknown category.
	res, page = post(t, admin, s.base+"/admin/kb", url.Values{"title": {"t"}, "body": {"b"}, "categories": {"no.such"}})
	if res.StatusCode < 400 || !strings.Contains(page, `name="categories" value="no.such"`) || !strings.Contains(page, `class="field-error"`) {
		t.Fatalf("unknown category: status %d", res.StatusCode)
	}

	// A new article is found by a Chinese search on the page.
	centre, _ := s.app.Svc.St.Units(t.Context())
	var owner int64
	for _, u := range centre {
		if u.Kind == org.KindCityCentre {
			owner = u.ID
		}
	}
	today := s.app.Svc.Now().In(s.app.Svc.Location()).Format("2006-01-02")
	res, _ = post(t, admin, s.base+"/admin/kb", url.Values{"title": {"老旧小区加装电梯补贴申请"}, "body": {"符合条件的老旧小区加装电梯，每部补贴二十四万元，向街道提出申请。"},
		"categories": {"housing"}, "valid_from": {today}, "owner_unit_id": {strconv.FormatInt(owner, 10)}})
	if res.StatusCode != 303 {
		t.Fatalf("create article: status %d", res.StatusCode)
	}
	_, page = get(t, admin, s.base+"/admin/kb?q="+url.QueryEscape("加装电梯有补贴吗"))
	ownerUnit, _ := s.app.Svc.Unit(owner)
	contains(t, "search for 加装电梯", page, "老旧小区加装电梯补贴申请", today+" – …", html.EscapeString(ownerUnit.Name))
	if strings.Contains(page, "供暖季起止时间") {
		t.Error("the elevator search lists the heating season article")
	}
	arts, err := s.app.Svc.St.Articles(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var art knowledge.Article
	for _, a := range arts {
		if a.Title == "老旧小区加装电梯补贴申请" {
			art = a
		}
	}
	if art.ID == 0 {
		t.Fatal("the new article was not stored")
	}

	// Edit: the form comes filled; a change shows.
	_, page = get(t, admin, s.base+"/admin/kb?edit="+strconv.FormatInt(art.ID, 10))
	contains(t, "edit form", page, `action="/admin/kb/`+strconv.FormatInt(art.ID, 10)+`"`, `value="老旧小区加装电梯补贴申请"`, `name="version" value="1"`)
	res, _ = post(t, admin, s.base+"/admin/kb/"+strconv.FormatInt(art.ID, 10), url.Values{"title": {"加装电梯补贴（2026年版）"}, "body": {art.Body},
		"categories": {"housing"}, "valid_from": {today}, "valid_to": {"2026-12-31"}, "version": {"1"}})
	if res.StatusCode != 303 {
		t.Fatalf("update: status %d", res.StatusCode)
	}
	_, page = get(t, admin, s.base+"/admin/kb?q="+url.QueryEscape("电梯补贴"))
	contains(t, "after update", page, "加装电梯补贴（2026年版）", today+" – 2026-12-31")
	// Editing a stale version is refused and keeps the input.
	res, page = post(t, admin, s.base+"/admin/kb/"+strconv.FormatInt(art.ID, 10), url.Values{"title": {"过期的编辑"}, "body": {"b"}, "version": {"1"}})
	if res.StatusCode != 409 || !strings.Contains(page, `value="过期的编辑"`) {
		t.Errorf("stale edit: status %d", res.StatusCode)
	}
	// Delete.
	res, _ = post(t, admin, s.base+"/admin/kb/"+strconv.FormatInt(art.ID, 10)+"/delete", url.Values{})
	if res.StatusCode != 303 {
		t.Fatalf("delete: status %d", res.StatusCode)
	}
	_, page = get(t, admin, s.base+"/admin/kb?q="+url.QueryEscape("电梯补贴"))
	if strings.Contains(page, "加装电梯补贴") {
		t.Error("a deleted article is still found")
	}
}

func TestClassifierPages(t *testing.T) {
	s := newSite(t)
	wantForbidden(t, s.client(org.RoleAgent), s.base+"/admin/classifier")
	wantForbidden(t, s.client(org.RoleDispatcher), s.base+"/admin/classifier")
	admin := s.client(org.RoleAdmin)
	code, page := get(t, admin, s.base+"/admin/classifier")
	if code != 200 {
		t.Fatalf("classifier page: status %d", code)
	}
	contains(t, "classifier page", page, `id="auto"`, `id="retrain"`)

	// Retrain now: synchronous, the result shows.
	res, _ := post(t, admin, s.base+"/admin/classifier/train", url.Values{})
	if res.StatusCode != 303 {
		t.Fatalf("retrain: status %d", res.StatusCode)
	}
	m, err := s.app.Svc.Dispatch.Classifier(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	_, page = get(t, admin, s.base+res.Header.Get("Location"))
	contains(t, "after retraining", page, "第 "+strconv.FormatInt(m.Version, 10)+" 版已训练", `id="model-version">`+strconv.FormatInt(m.Version, 10), `id="top1"`, `id="macro-f1"`, `id="per-class"`, `id="clf-versions"`)

	// A threshold below one half: named, kept.
	res, page = post(t, admin, s.base+"/admin/classifier/auto", url.Values{"enabled.urban.stall": {"1"}, "threshold.urban.stall": {"0.3"}})
	if res.StatusCode != 422 {
		t.Fatalf("threshold 0.3: status %d", res.StatusCode)
	}
	contains(t, "auto form", page, `name="threshold.urban.stall" value="0.3"`, `aria-label="阈值 urban.stall" aria-invalid="true"`)
	if st, _ := s.app.Svc.Dispatch.AutoDispatchSettings(t.Context()); len(st) != 0 {
		t.Fatalf("a refused form stored %v", st)
	}
	// Enabled without a threshold: named.
	res, page = post(t, admin, s.base+"/admin/classifier/auto", url.Values{"enabled.urban.stall": {"1"}})
	if res.StatusCode != 422 || !strings.Contains(page, `aria-label="阈值 urban.stall" aria-invalid="true"`) {
		t.Fatalf("no threshold: status %d", res.StatusCode)
	}
	// Saved, it shows on reload.
	res, _ = post(t, admin, s.base+"/admin/classifier/auto", url.Values{"enabled.urban.stall": {"1"}, "threshold.urban.stall": {"0.85"}})
	if res.StatusCode != 303 {
		t.Fatalf("save auto dispatch: status %d", res.StatusCode)
	}
	_, page = get(t, admin, s.base+"/admin/classifier")
	contains(t, "reloaded", page, `name="enabled.urban.stall" value="1" checked`, `name="threshold.urban.stall" value="0.85"`)
	st, _ := s.app.Svc.Dispatch.AutoDispatchSettings(t.Context())
	if len(st) != 1 || st[0].Category != "urban.stall" || !st[0].Enabled || st[0].Threshold != 0.85 {
		t.Fatalf("stored %+v", st)
	}
	// Switched off, the threshold stays.
	res, _ = post(t, admin, s.base+"/admin/classifier/auto", url.Values{"threshold.urban.stall": {"0.85"}})
	if res.StatusCode != 303 {
		t.Fatalf("switch off: status %d", res.StatusCode)
	}
	if st, _ := s.app.Svc.Dispatch.AutoDispatchSettings(t.Context()); len(st) != 1 || st[0].Enabled {
		t.Fatalf("after switching off: %+v", st)
	}
}

func TestGeoPages(t *testing.T) {
	s := newSite(t)
	ctx := t.Context()
	wantForbidden(t, s.client(org.RoleAgent), s.base+"/admin/geo")
	admin := s.client(org.RoleAdmin)
	code, page := get(t, admin, s.base+"/admin/geo")
	if code != 200 {
		t.Fatalf("geo page: status %d", code)
	}
	contains(t, "geo page", page, `id="gaz-stats"`, `id="import"`, `id="add-entry"`)

	// A bad import lists its problems and changes nothing.
	before, err := s.app.Svc.St.Places(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	bad := `{"type":"FeatureCollection","features":[` +
		`{"type":"Feature","properties":{"level":"street","code":"T01","name":"坏街道","parent":"no-such-parent"},"geometry":{"type":"Polygon","coordinates":[[[116.30,39.90],[116.31,39.90],[116.30,39.90]]]}},` +
		`{"type":"Feature","properties":{"level":"street","code":"T02","name":"蝴蝶街道","parent":"no-such-parent"},"geometry":{"type":"Polygon","coordinates":[[[116.30,39.90],[116.31,39.91],[116.31,39.90],[116.30,39.91],[116.30,39.90]]]}}]}`
	for _, mode := range []string{"check", "import"} {
		res, page := post(t, admin, s.base+"/admin/geo/import", url.Values{"geojson": {bad}, "mode": {mode}})
		if mode == "import" && res.StatusCode != errs.Status(errs.InvalidBoundaries) {
			t.Errorf("bad import: status %d", res.StatusCode)
		}
		contains(t, mode+" of a bad import", page, `id="import-problems"`, "T01 坏街道", "T02 蝴蝶街道", "上级不存在", "环的点数不足", html.EscapeString(bad))
	}
	after, _ := s.app.Svc.St.Places(ctx, true)
	if len(after) != len(before) {
		t.Fatalf("a rejected import changed the places: %d → %d", len(before), len(after))
	}
	res, page := post(t, admin, s.base+"/admin/geo/import", url.Values{"geojson": {""}, "mode": {"check"}})
	if res.StatusCode != 422 || !strings.Contains(page, `id="geojson" name="geojson" class="code" spellcheck="false" aria-invalid="true"`) {
		t.Errorf("empty import: status %d", res.StatusCode)
	}

	// Gazetteer: an entry with no name is named; a good one is found by
	// the address test and can be deleted.
	var street org.Place
	for _, p := range before {
		if p.Level == org.LevelStreet {
			street = p
			break
		}
	}
	res, page = post(t, admin, s.base+"/admin/geo/entries", url.Values{"kind": {"landmark"}, "name": {""}, "aliases": {"星海剧场"}, "place_id": {strconv.FormatInt(street.ID, 10)}})
	if res.StatusCode != 422 || !strings.Contains(page, `id="ge-name" name="name" value="" aria-invalid="true"`) || !strings.Contains(page, `value="星海剧场"`) {
		t.Fatalf("entry without a name: status %d", res.StatusCode)
	}
	res, page = post(t, admin, s.base+"/admin/geo/entries", url.Values{"kind": {"landmark"}, "name": {"星海音乐厅"}, "place_id": {strconv.FormatInt(street.ID, 10)}, "lat": {"91"}, "lon": {"116.3"}})
	if res.StatusCode != 422 || !strings.Contains(page, `id="ge-lat" name="lat" value="91" aria-invalid="true"`) {
		t.Fatalf("entry with a bad latitude: status %d", res.StatusCode)
	}
	res, _ = post(t, admin, s.base+"/admin/geo/entries", url.Values{"kind": {"landmark"}, "name": {"星海音乐厅"}, "aliases": {"星海剧场"}, "place_id": {strconv.FormatInt(street.ID, 10)}})
	if res.StatusCode != 303 {
		t.Fatalf("add entry: status %d", res.StatusCode)
	}
	_, page = get(t, admin, s.base+res.Header.Get("Location"))
	contains(t, "address test", page, `id="geo-match"`, "星海音乐厅", html.EscapeString(street.Name), `id="entries"`)
	es, _ := s.app.Svc.St.GazetteerEntries(ctx)
	if len(es) != 1 {
		t.Fatalf("entries: %+v", es)
	}
	res, _ = post(t, admin, s.base+"/admin/geo/entries/"+strconv.FormatInt(es[0].ID, 10)+"/delete", url.Values{})
	if res.StatusCode != 303 {
		t.Fatalf("delete entry: status %d", res.StatusCode)
	}
	if es, _ := s.app.Svc.St.GazetteerEntries(ctx); len(es) != 0 {
		t.Fatalf("entry not deleted: %+v", es)
	}
	res, _ = post(t, admin, s.base+"/admin/geo/rebuild", url.Values{})
	if res.StatusCode != 303 || !strings.Contains(res.Header.Get("Location"), "flash=") {
		t.Fatalf("rebuild: status %d", res.StatusCode)
	}
}

// adminActor reads what the pages show, to compare.
var adminActor = org.Actor{User: org.User{ID: 1, Username: "admin", Roles: []string{org.RoleAdmin}}}
