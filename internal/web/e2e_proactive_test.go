package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"whistle/internal/governance/proactivetest"
	"whistle/internal/insight"
	"whistle/internal/org"
)

// TestProactiveInTheBrowser: from last winter's heating requests in one
// street (planted in the rollups directly, see proactivetest), the centre
// proposes the weeks ahead on /proactive and approves the proposal; the
// street's handler finds it in the inbox's 专项任务 and marks it done.
func TestProactiveInTheBrowser(t *testing.T) {
	e := newE2E(t)
	svc := e.app.Svc
	var streets []proactivetest.Street
	var heated org.Unit
	for _, u := range svc.UnitsList() {
		if u.Kind != org.KindStreet || len(streets) == 2 {
			continue
		}
		ch, _ := svc.Chain(u.PlaceID)
		streets = append(streets, proactivetest.Street{DistrictID: ch[0], StreetID: u.PlaceID, UnitID: u.ID})
		if heated.ID == 0 {
			heated = u
		}
	}
	rows := proactivetest.History(insight.DateDay(2024, 10, 1), insight.DateDay(2026, 10, 11), streets,
		[]string{"road.pothole", "noise.construction", "water.outage", "urban.stall", "env.garbage"}, 10,
		"heating.temp", map[int64]int{heated.PlaceID: 20})
	proactivetest.InsertDailyRowsDirectly(t, e.app.Cfg.DSN(), rows)

	// 1. The centre proposes for the weeks ahead and approves.
	e.login(org.RoleDispatcher)
	e.do(chromedp.Navigate(e.base+"/proactive"), chromedp.WaitVisible(chromedp.ID("propose-form")))
	if v := value[string](e, "document.getElementById('from').value"); v == "" {
		t.Fatal("the weeks ahead have no default")
	}
	e.eval("document.getElementById('from').value = '2026-10-19'; document.getElementById('to').value = '2026-11-29'")
	if msg := e.submitted(chromedp.Click(chromedp.ID("propose"))); !strings.Contains(msg, "1") {
		t.Fatalf("flash %q", msg)
	}
	rowID := value[string](e, "(document.querySelector('#proposals tbody tr[id^=proposal-]')||{}).id||''")
	if rowID == "" {
		t.Fatalf("no proposal listed:\n%s", e.text("main"))
	}
	id := strings.TrimPrefix(rowID, "proposal-")
	e.wantText("#"+rowID, "入冬前")
	e.wantText("#"+rowID, heated.Name)
	e.wantText("#"+rowID, "去年同期")
	e.shot("proactive-review")
	if msg := e.submitted(chromedp.Click(chromedp.CSS(fmt.Sprintf("#review-%s button[value=approve]", id)))); !strings.Contains(msg, "已批准") {
		t.Fatalf("flash %q", msg)
	}
	e.wantText("#approved-"+id, heated.Name)
	e.wantText("#approved-"+id, "待办")
	e.logout()

	// 2. The street's handler sees it in the inbox and reports it done.
	e.loginAs("h-" + heated.Code)
	e.do(chromedp.Navigate(e.base+"/inbox"), chromedp.WaitVisible(chromedp.ID("task-"+id)))
	e.wantText("#task-"+id, "入冬前")
	e.shot("inbox-tasks")
	msg := e.submitted(chromedp.SendKeys(chromedp.ID("task-note-"+id), "已完成辖区供热管网排查"), chromedp.Click(chromedp.CSS(fmt.Sprintf("#done-%s button", id))))
	if !strings.Contains(msg, "完成") {
		t.Fatalf("flash %q", msg)
	}
	e.wantText("#task-"+id, "已完成")
	e.wantText("#task-"+id, "已完成辖区供热管网排查")
	if n := value[int](e, fmt.Sprintf("document.querySelectorAll('#done-%s').length", id)); n != 0 {
		t.Error("a done task still offers the form")
	}
	// In English the task is worded from its evidence.
	e.do(chromedp.Navigate(e.base+"/lang/en"), chromedp.Navigate(e.base+"/inbox"), chromedp.WaitVisible(chromedp.ID("task-"+id)))
	e.wantText("#tasks-h", "Tasks")
	e.wantText("#task-"+id, "Pre-season check: Room temperature too low")
	e.wantText("#task-"+id, "done")
}
