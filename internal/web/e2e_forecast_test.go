package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"whistle/internal/org"
)

// TestForecastInTheBrowser (issue #16): an analyst's workbench shows the
// forecasts of the demo city — the monthly and weekly charts drawn with
// their actual counts, forecast line and 80 % band, and the table of the
// busiest category × street forecasts with intervals — and the big screen
// draws the monthly forecast beside its counts; neither page logs an error
// or a CSP violation. A street office, which cannot open the workbench,
// finds its street's forecasts on its supervision board; a district's
// supervisor, who has the workbench, does not get them there too.
func TestForecastInTheBrowser(t *testing.T) {
	e := newE2E(t)
	for _, src := range []string{cspRecorder, errorRecorder} {
		if _, err := chromedp.Call(e.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src}); err != nil {
			t.Fatal(err)
		}
	}
	e.login(org.RoleAnalyst)
	e.do(chromedp.Navigate(e.base+"/insight"), chromedp.WaitVisible(chromedp.ID("forecast-card")),
		chromedp.WaitReady(chromedp.CSS("#forecast-month[data-drawn] svg")), chromedp.WaitReady(chromedp.CSS("#forecast-week[data-drawn] svg")))
	if got := e.text("#forecast-card h2"); !strings.Contains(got, "诉求预测") {
		t.Errorf("forecast heading %q", got)
	}
	rows := value[int](e, `document.querySelectorAll("#forecast-table tbody tr").length`)
	if rows < 5 {
		t.Errorf("the forecast table has %d rows, want the busiest series", rows)
	}
	cell := e.text("#forecast-table tbody tr td:nth-child(6)")
	if !strings.Contains(cell, "(") || !strings.Contains(cell, "–") {
		t.Errorf("next month's forecast %q has no interval", cell)
	}
	// The chart's data: actual counts of past months (the demo's year
	// holds requests), then this and next month's forecast with a band.
	type pt struct {
		Actual *float64 `json:"actual"`
		Mean   *float64 `json:"mean"`
		Lo     *float64 `json:"lo"`
		Hi     *float64 `json:"hi"`
	}
	d := value[struct {
		Points []pt `json:"points"`
	}](e, `JSON.parse(document.getElementById("forecast-month").dataset.forecast)`)
	var actuals, positive, forecasts int
	for _, p := range d.Points {
		if p.Actual != nil {
			actuals++
			if *p.Actual > 0 {
				positive++
			}
		}
		if p.Mean != nil {
			forecasts++
			if p.Lo == nil || p.Hi == nil || *p.Lo > *p.Mean || *p.Hi < *p.Mean {
				t.Errorf("forecast point %+v: the band does not hold the mean", p)
			}
		}
	}
	if actuals < 6 || positive == 0 || forecasts != 2 {
		t.Errorf("month chart: %d actual months (%d with requests), %d forecasts; want ≥ 6, > 0, 2", actuals, positive, forecasts)
	}
	if n := value[int](e, `document.querySelectorAll("#forecast-month svg path").length`); n < 4 {
		t.Errorf("the month chart drew %d paths", n)
	}
	e.shot("forecast-workbench")
	if v := value[[]string](e, "window.__csp || []"); len(v) > 0 {
		t.Errorf("CSP violations on the workbench: %v", v)
	}
	if v := value[[]string](e, "window.__errs || []"); len(v) > 0 {
		t.Errorf("errors on the workbench: %v", v)
	}

	e.logout()
	e.login(org.RoleDispatcher)
	e.do(e.viewport(1920, 1080))
	e.do(chromedp.Navigate(e.base+"/screen?every=300"), chromedp.WaitVisible(chromedp.ID("wall-forecast")),
		chromedp.WaitReady(chromedp.CSS("#chart-forecast[data-drawn] svg")), chromedp.WaitVisible(chromedp.CSS("#chart-trend canvas")))
	if n := value[int](e, `document.querySelectorAll("#chart-forecast svg path").length`); n < 4 {
		t.Errorf("the screen's forecast chart drew %d paths", n)
	}
	if h := value[float64](e, "document.documentElement.scrollHeight"); h > 1080 {
		t.Errorf("the screen is %.0f px high at 1080 with the forecast", h)
	}
	if buf, err := chromedp.Run(e.ctx, chromedp.CaptureScreenshot()); err == nil {
		_ = os.WriteFile(filepath.Join(e.shots, "forecast-screen.png"), buf, 0o644)
	}
	if v := value[[]string](e, "window.__csp || []"); len(v) > 0 {
		t.Errorf("CSP violations on the screen: %v", v)
	}
	if v := value[[]string](e, "window.__errs || []"); len(v) > 0 {
		t.Errorf("errors on the screen: %v", v)
	}

	// The street office's leader: the workbench is not theirs, the
	// board shows their street's forecasts and only their street's rows.
	leader := e.logins[org.RoleLeader]
	u, ok := e.app.Svc.Unit(leader.UnitID)
	if !ok || u.Kind != org.KindStreet {
		t.Fatalf("the demo's leader %s is not in a street office: %+v", leader.Username, u)
	}
	place, ok := e.app.Svc.Place(u.PlaceID)
	if !ok {
		t.Fatalf("no street with id %d", u.PlaceID)
	}
	street := place.Name
	e.logout()
	e.login(org.RoleLeader)
	e.do(e.viewport(1280, 800))
	if resp, err := chromedp.RunResponse(e.ctx, chromedp.Navigate(e.base+"/insight")); err != nil || resp.Status != 403 {
		t.Errorf("a street office's leader opening the workbench: %v, %v; want 403", resp, err)
	}
	e.do(chromedp.Navigate(e.base+"/supervisor"), chromedp.WaitVisible(chromedp.ID("forecast-card")),
		chromedp.WaitReady(chromedp.CSS("#forecast-month[data-drawn] svg")), chromedp.WaitReady(chromedp.CSS("#forecast-week[data-drawn] svg")))
	if got := e.text("#forecast-card h2"); !strings.Contains(got, street) {
		t.Errorf("the board's forecast heading %q does not name the street %s", got, street)
	}
	cells := value[[]string](e, `[...document.querySelectorAll("#forecast-table tbody tr td:nth-child(2)")].map(td => td.textContent)`)
	if len(cells) == 0 {
		t.Error("the board's forecast table is empty")
	}
	for _, c := range cells {
		if c != street {
			t.Errorf("a forecast row of %q on %s's board", c, street)
		}
	}
	e.do(chromedp.ScrollIntoView(chromedp.ID("forecast-card")))
	e.shot("forecast-street-board")
	if v := value[[]string](e, "window.__errs || []"); len(v) > 0 {
		t.Errorf("errors on the street's board: %v", v)
	}
	e.logout()
	e.login(org.RoleSupervisor)
	e.do(chromedp.Navigate(e.base+"/supervisor"), chromedp.WaitVisible(chromedp.ID("unit-table")))
	if n := value[int](e, `document.querySelectorAll("#forecast-card").length`); n != 0 {
		t.Errorf("a district supervisor's board shows %d forecast cards, want none (the workbench has them)", n)
	}
}
