package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"whistle/internal/casework"
	"whistle/internal/org"
)

// errorRecorder keeps the page's console errors and uncaught exceptions.
const errorRecorder = `(() => {
  window.__errs = [];
  const orig = console.error.bind(console);
  console.error = (...a) => { window.__errs.push(a.map(String).join(' ')); orig(...a); };
  window.addEventListener('error', e => window.__errs.push('error: ' + (e.message || e.type)), true);
  window.addEventListener('unhandledrejection', e => window.__errs.push('rejection: ' + String(e.reason)));
})()`

// TestWallScreen opens the big screen at 1920×1080 as a city dispatcher:
// the big numbers are there and large, nothing overflows the window, a
// request filed after the page loaded shows up without a reload, and the
// page logs no error and no CSP violation.
func TestWallScreen(t *testing.T) {
	e := newE2E(t)
	for _, src := range []string{cspRecorder, errorRecorder} {
		if _, err := chromedp.Call(e.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src}); err != nil {
			t.Fatal(err)
		}
	}
	e.login(org.RoleDispatcher)
	e.do(e.viewport(1920, 1080))
	e.do(chromedp.Navigate(e.base+"/screen?every=2"), chromedp.WaitVisible(chromedp.ID("n-today")),
		chromedp.WaitVisible(chromedp.CSS("#chart-hours canvas")), chromedp.WaitVisible(chromedp.CSS("#chart-trend canvas")))
	e.eval("window.__sameDocument = 'yes'")
	before, err := strconv.Atoi(e.text("#n-today"))
	if err != nil {
		t.Fatalf("today's intake is not a number: %v", err)
	}
	for _, id := range []string{"n-open", "n-overdue", "n-response", "n-resolution", "n-satisfaction"} {
		if e.text("#"+id) == "" {
			t.Errorf("#%s is empty", id)
		}
	}
	if px := value[float64](e, "parseFloat(getComputedStyle(document.getElementById('n-today')).fontSize)"); px < 64 {
		t.Errorf("the big numbers are %.0f px, want at least 64", px)
	}
	if px := value[float64](e, "Math.min(...[...document.querySelectorAll('.ticker li span, .topics li span, .big-l, .panel h2')].map(x => parseFloat(getComputedStyle(x).fontSize)))"); px < 20 {
		t.Errorf("some text is %.0f px, want at least 20", px)
	}
	if w := value[float64](e, "document.documentElement.scrollWidth"); w > 1920 {
		t.Errorf("the page is %.0f px wide at 1920", w)
	}
	if h := value[float64](e, "document.documentElement.scrollHeight"); h > 1080 {
		t.Errorf("the page is %.0f px high at 1080", h)
	}

	// A request filed now reaches the screen on its next refresh.
	var agent org.Actor
	for _, u := range e.logins {
		if u.Has(org.RoleAgent) {
			if agent, err = e.app.Svc.Actor(u); err != nil {
				t.Fatal(err)
			}
		}
	}
	var street int64
	for _, p := range e.app.Svc.PlaceMap() {
		if p.Level == org.LevelStreet {
			street = p.ID
			break
		}
	}
	var cat string
	for _, c := range e.app.Svc.Categories() {
		if c.Leaf && c.Active && (c.Urgency == "" || c.Urgency == "general") {
			cat = c.Code
			break
		}
	}
	c, _, err := e.app.Svc.Cases.Create(context.Background(), agent, casework.NewCase{Channel: "phone", Type: "complaint", Category: cat, Urgency: "general",
		Description: "大屏测试", CitizenPhone: "13912345678", CitizenName: "屏幕测试人", PlaceID: street}, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(e.ctx, stepTimeout)
	defer cancel()
	want := fmt.Sprintf("document.getElementById('n-today').textContent.trim() === '%d' && document.querySelector('#ticker .k-num') && document.querySelector('#ticker .k-num').textContent === %q", before+1, c.Number)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](want, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(0))); err != nil {
		t.Fatalf("the screen did not show the new request (%s; today was %d, shows %s): %v", c.Number, before, e.text("#n-today"), err)
	}
	if v := value[string](e, "window.__sameDocument || ''"); v != "yes" {
		t.Error("the page reloaded instead of refreshing its data")
	}
	if b := value[string](e, "document.body.innerText"); containsAny(b, "13912345678", "屏幕测试人", "大屏测试") {
		t.Error("the screen shows the caller or the text")
	}
	if v := value[[]string](e, "window.__csp || []"); len(v) > 0 {
		t.Errorf("CSP violations: %q", v)
	}
	if v := value[[]string](e, "window.__errs || []"); len(v) > 0 {
		t.Errorf("console errors: %q", v)
	}
	if buf, err := chromedp.Run(e.ctx, chromedp.CaptureScreenshot()); err == nil {
		_ = os.WriteFile(filepath.Join(e.shots, "screen-wall.png"), buf, 0o644)
	}
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}
