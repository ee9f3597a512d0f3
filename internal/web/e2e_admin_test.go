package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"whistle/internal/org"
)

// A centre dispatcher changes the duty list in the browser: a draft copied
// from the list in force, its rules edited, a dry run over past requests,
// then publication. The administrator's other smart-dispatch pages are
// photographed at desktop and phone width too.
func TestDutyListInTheBrowser(t *testing.T) {
	e := newE2E(t)
	ctx := t.Context()
	inForce, err := e.app.Svc.St.PublishedDutyList(ctx)
	if err != nil {
		t.Fatal(err)
	}

	e.login(org.RoleDispatcher)
	e.do(chromedp.Click(chromedp.CSS("header nav a[href='/admin/duty']")), chromedp.WaitVisible(chromedp.ID("rule-table")))
	e.wantText("#duty-versions", "演示职责清单")
	e.shot("admin-duty")
	// The filter narrows the rules as one types.
	e.do(chromedp.SendKeys(chromedp.ID("rule-filter"), "早市"), chromedp.WaitNotPresent(chromedp.ID("rule-1")))
	e.wantText("#rule-table", "早夜市占道")

	// A draft, copied from the list in force.
	e.do(chromedp.SendKeys(chromedp.ID("d-name"), "冬季调整"), chromedp.Click(chromedp.ID("new-draft")),
		chromedp.WaitVisible(chromedp.ID("draft-edit")))
	e.wantText(".flash", "已创建草稿")
	e.wantText("#duty-rules", "冬季调整")

	// Street-office rules go to the district centres instead.
	e.eval(`(() => { const ta = document.getElementById('rules'); const rules = JSON.parse(ta.value);
		for (const r of rules) if (r.lead && r.lead.role === 'street') r.lead = {role: 'district_centre'};
		ta.value = JSON.stringify(rules, null, 1); })()`)
	e.eval(`document.querySelectorAll('.flash').forEach(x => x.remove())`)
	e.do(chromedp.Click(chromedp.ID("save-draft")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	e.wantText(".flash", "已保存")
	e.wantText("#rule-table", "属地区分中心")

	// Dry run over the last three years of requests.
	from := e.app.Svc.Now().In(e.app.Svc.Location()).AddDate(-3, 0, 0).Format("2006-01-02")
	e.eval(`document.getElementById('dr-from').value = '` + from + `'`)
	e.do(chromedp.Click(chromedp.ID("run-dry")), chromedp.WaitVisible(chromedp.ID("dry-diff")))
	e.wantText("#dry-result", "主办单位变化")
	e.wantText("#dry-diff", "分中心")
	e.do(chromedp.ScrollIntoView(chromedp.ID("dry-result")))
	e.shot("admin-duty-dryrun")

	// Publication wants the box ticked.
	e.do(chromedp.Click(chromedp.ID("publish-draft")), chromedp.WaitVisible(chromedp.CSS("#publish .field-error")))
	e.eval(`document.querySelectorAll('.flash').forEach(x => x.remove())`)
	e.do(chromedp.Click(chromedp.ID("confirm")), chromedp.Click(chromedp.ID("publish-draft")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	e.wantText(".flash", "已发布")
	e.wantText("#duty-versions", "已被替代")
	e.shot("admin-duty-published")
	if l, err := e.app.Svc.St.PublishedDutyList(ctx); err != nil || l.Version != inForce.Version+1 || l.Name != "冬季调整" {
		t.Fatalf("in force after publishing: %+v, %v", l, err)
	}
	e.logout()

	// The administrator's other pages.
	e.login(org.RoleAdmin)
	e.do(chromedp.Navigate(e.base+"/admin/kb?q=供暖"), chromedp.WaitVisible(chromedp.ID("kb-list")))
	e.wantText("#kb-list", "供暖")
	e.shot("admin-kb")
	e.do(chromedp.Navigate(e.base+"/admin/classifier"), chromedp.WaitVisible(chromedp.ID("retrain")))
	// Training takes a while (17 s under the race detector on a loaded CI
	// machine); wait for the page the form lands on, not for an element
	// polled across the navigation, which chromedp can lose.
	e.navigating(chromedp.Click(chromedp.ID("retrain")))
	e.do(chromedp.WaitVisible(chromedp.ID("top1")))
	e.wantText(".flash", "已训练")
	// The page shows the version just trained, by this administrator.
	m, found, err := e.app.Svc.St.LatestClassifierModel(ctx, false)
	if err != nil || !found || m.CreatedBy != e.logins[org.RoleAdmin].ID {
		t.Fatalf("latest classifier model: %+v (found %v, %v), want one trained by the administrator", m, found, err)
	}
	if v := strings.Fields(e.text("#model-version")); len(v) == 0 || v[0] != fmt.Sprint(m.Version) {
		t.Errorf("classifier page shows version %q, the newest is %d", v, m.Version)
	}
	e.shot("admin-classifier")
	streets, err := e.app.Svc.Places(ctx, org.LevelStreet)
	if err != nil || len(streets) == 0 {
		t.Fatalf("streets: %v", err)
	}
	e.do(chromedp.Navigate(e.base+"/admin/geo"), chromedp.WaitVisible(chromedp.ID("import")),
		chromedp.SendKeys(chromedp.ID("geo-q"), streets[0].Name), chromedp.Submit(chromedp.ID("geo-q")), chromedp.WaitVisible(chromedp.ID("geo-result")))
	e.wantText("#geo-result", streets[0].Name)
	e.do(
		chromedp.SetValue(chromedp.ID("geojson"), `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"level":"street","code":"T01","name":"坏街道","parent":"none"},"geometry":{"type":"Polygon","coordinates":[[[116.3,39.9],[116.31,39.9],[116.3,39.9]]]}}]}`),
		chromedp.Click(chromedp.ID("import-check")), chromedp.WaitVisible(chromedp.ID("import-problems")))
	e.wantText("#import-problems", "T01")
	e.shot("admin-geo")
}
