package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"whistle/internal/demo"
	"whistle/internal/governance/insighttest"
	"whistle/internal/insight"
	"whistle/internal/org"
)

// TestInsightWorkbenchInTheBrowser: an analyst opens the workbench (the
// default view first), then the period of a planted rise: the candidates
// table names the planted category with a link to make it a topic, the
// hotspot map draws the hotspot's grids, the counts drill down to the case
// list, and nothing on the page is a phone number.
func TestInsightWorkbenchInTheBrowser(t *testing.T) {
	e := newE2E(t)
	pl, err := insighttest.Plant(e.ctx, e.app.Svc, e.app.Store, e.app.Cfg.DSN(), insight.DayOf(demo.DefaultEnd)-2)
	if err != nil {
		t.Fatal(err)
	}
	e.login(org.RoleAnalyst)
	e.do(chromedp.Navigate(e.base+"/insight"), chromedp.WaitVisible(chromedp.ID("insight-summary")))
	if !strings.Contains(e.text("nav"), "分析工作台") {
		t.Errorf("no workbench entry in the analyst's navigation")
	}
	e.do(chromedp.Navigate(e.base+"/insight?from="+pl.From.String()+"&to="+pl.To.String()),
		chromedp.WaitVisible(chromedp.ID("insight-candidates")),
		chromedp.WaitVisible(chromedp.CSS("#insight-map.leaflet-container")),
		chromedp.WaitReady(chromedp.CSS("#insight-map[data-ready]")))
	cat, _ := e.app.Svc.Category(pl.Category)
	if got := e.text("#insight-candidates tbody"); !strings.Contains(got, cat.NameZH) {
		t.Errorf("candidates table lacks the planted category %s:\n%s", cat.NameZH, got)
	}
	href := value[string](e, `document.querySelector("#insight-candidates a.make-topic").getAttribute("href")`)
	if !strings.HasPrefix(href, "/topics/new?run=") || !strings.Contains(href, "&candidate=1") {
		t.Errorf("make-topic link %q", href)
	}
	if n := value[string](e, `document.getElementById("insight-map").dataset.ready`); n == "0" || n == "" {
		t.Errorf("the map drew %q hotspot grids", n)
	}
	if n := value[int](e, `document.querySelectorAll("#insight-map path.leaflet-interactive").length`); n == 0 {
		t.Errorf("no grid polygons on the map")
	}
	if strings.Contains(e.text("main"), "13800000001") || strings.Contains(e.text("main"), "幸福路88号") {
		t.Errorf("personal data on the workbench")
	}
	// Drill down: a flagged count opens the case list with its filters.
	drill := value[string](e, `document.querySelector("#insight-anomalies tr.flagged td a").getAttribute("href")`)
	if !strings.HasPrefix(drill, "/cases?") || !strings.Contains(drill, "from="+pl.From.String()) {
		t.Fatalf("drill link %q", drill)
	}
	e.do(chromedp.Navigate(e.base+drill), chromedp.WaitVisible(chromedp.CSS("main table")))
	if got := e.text("main table"); !strings.Contains(got, "T") {
		t.Errorf("the drill-down lists no planted request:\n%.400s", got)
	}
}
