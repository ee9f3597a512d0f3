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
// or a CSP violation.
func TestForecastInTheBrowser(t *testing.T) {
	e := newE2E(t)
	for _, src := range []string{cspRecorder, errorRecorder} {
		if _, err := chromedp.Call(e.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src}); err != nil {
			t.Fatal(err)
		}
	}
	e.login(org.RoleAnalyst)
	e.do(chromedp.Navigate(e.base+"/insight"), chromedp.WaitVisible(chromedp.ID("insight-forecast")),
		chromedp.WaitReady(chromedp.CSS("#forecast-month[data-drawn] svg")), chromedp.WaitReady(chromedp.CSS("#forecast-week[data-drawn] svg")))
	if got := e.text("#insight-forecast h2"); !strings.Contains(got, "诉求预测") {
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
}
