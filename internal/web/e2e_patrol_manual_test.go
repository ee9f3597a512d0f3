package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"whistle/internal/org"
)

// TestPatrolWithoutGPS: the phone gives no position (permission denied).
// The page says so, records nothing by itself (not the map's centre), and a
// pin the worker sets on the map is recorded as manual: no track, no
// coverage.
func TestPatrolWithoutGPS(t *testing.T) {
	e := newE2E(t)
	svc := e.app.Svc
	worker := e.logins[org.RoleGridWorker]
	if len(worker.GridIDs) == 0 {
		t.Fatalf("demo grid worker %s has no grid", worker.Username)
	}
	gridID := worker.GridIDs[0]
	if _, err := chromedp.CallBrowser(e.ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "geolocation"}, Setting: browser.PermissionSettingDenied, Origin: e.base}); err != nil {
		t.Fatalf("deny geolocation: %v", err)
	}
	e.login(org.RoleGridWorker)
	e.do(chromedp.Navigate(e.base+"/patrol"), chromedp.WaitVisible(chromedp.ID("start-form")),
		chromedp.SetValue(chromedp.ID("grid_id"), fmt.Sprint(gridID)))
	e.submitted(chromedp.Click(chromedp.CSS("#start-form button[type=submit]")))

	// The page says there is no GPS and no track.
	e.do(chromedp.WaitVisible(chromedp.CSS(`#gps-status[data-state="off"]`)))
	e.wantText("#gps-status", "没有 GPS 定位")
	e.wantText("#gps-status", "不会记录巡查轨迹")
	// Recording without a position records nothing (the map's centre is
	// not the walker).
	e.do(chromedp.WaitVisible(chromedp.CSS("#patrol-map path.leaflet-interactive")),
		chromedp.Click(chromedp.ID("record-position")))
	e.wantText("#pos-text", "还没有位置")
	e.wantText("#patrol-points", "0")

	// A pin set by hand on the map is recorded, as manual.
	e.do(chromedp.Click(chromedp.ID("patrol-map")))
	if src := value[string](e, "document.getElementById('pos-source').value"); src != "manual" {
		t.Fatalf("a pin on the map has source %q, want manual", src)
	}
	e.wantText("#pos-text", "手动标记")
	msg := e.submitted(chromedp.Click(chromedp.ID("record-position")))
	if !strings.Contains(msg, "手动标记") {
		t.Fatalf("flash %q", msg)
	}
	e.wantText("#patrol-points", "1")
	e.wantText("#patrol-manual", "1")
	e.wantText("#patrol-meters", "0")
	ps, err := svc.St.Patrols(t.Context(), worker.ID, svc.Now().AddDate(0, 0, -1), svc.Now().AddDate(0, 0, 1), 5)
	if err != nil || len(ps) != 1 {
		t.Fatalf("patrols %+v, %v", ps, err)
	}
	pts, err := svc.St.PatrolPoints(t.Context(), ps[0].ID)
	if err != nil || len(pts) != 1 || !pts[0].Manual || ps[0].Manual != 1 || ps[0].Meters != 0 {
		t.Fatalf("stored %+v with points %+v, %v; want one manual pin", ps[0], pts, err)
	}
	// The pin is drawn apart from the track.
	e.do(chromedp.Navigate(e.base+"/patrol"), chromedp.WaitVisible(chromedp.CSS("#patrol-map path.manual-pin")))

	// Coverage: a patrol with pins only is no patrol of the grid.
	analyst, err := svc.Actor(e.logins[org.RoleAnalyst])
	if err != nil {
		t.Fatal(err)
	}
	cov, err := svc.Patrols.Coverage(t.Context(), analyst, svc.Now().AddDate(0, 0, -1), svc.Now().AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range cov {
		for _, ga := range sc.GridActivity {
			if ga.GridID == gridID && (ga.Patrols != 0 || ga.Pinned != 1) {
				t.Errorf("coverage of the grid %+v, want no patrol and one pinned", ga)
			}
		}
	}
}
