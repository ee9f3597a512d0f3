package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"whistle/internal/app"
	"whistle/internal/auth"
	"whistle/internal/config"
	"whistle/internal/demo"
	"whistle/internal/org"
	"whistle/internal/seed"
)

// e2e is one running node with the demo city, and a browser.
type e2e struct {
	t      *testing.T
	app    *app.App
	base   string
	ctx    context.Context
	shots  string
	logins map[string]org.User // first demo user per role
}

func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (apt-get install -y chromium)")
	}
	t.Skip("chromium is not installed")
	return ""
}

func newE2E(t *testing.T) *e2e {
	t.Helper()
	exe := chromiumPath(t)
	ctx := t.Context()
	cfg := config.Defaults()
	cfg.Data = t.TempDir()
	cfg.FastHash = true
	cfg.SQLiteSync = "normal"
	log := slog.New(slog.DiscardHandler)
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		t.Fatalf("app.Open: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	// Screenshots for the README want pages full of data; the test itself
	// needs only a small city.
	requests := 400
	if os.Getenv("WHISTLE_SCREENSHOTS") != "" {
		requests = 20000
	}
	res, err := seed.Demo(ctx, a.Svc, demo.Options{Seed: 11, Requests: requests}, auth.FastHasher(), log)
	if err != nil {
		t.Fatalf("seed.Demo: %v", err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	e := &e2e{t: t, app: a, base: srv.URL, logins: map[string]org.User{}}
	for _, u := range res.Logins {
		if len(u.Roles) > 0 {
			e.logins[u.Roles[0]] = u.User
		}
	}
	e.shots = os.Getenv("WHISTLE_SCREENSHOTS")
	if e.shots == "" {
		e.shots = filepath.Join(os.TempDir(), "whistle-screenshots")
	}
	if err := os.MkdirAll(e.shots, 0o755); err != nil {
		t.Fatal(err)
	}
	actx, cancelA := chromedp.NewExecAllocator(ctx, browserOptions(t, exe)...)
	t.Cleanup(cancelA)
	bctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(cancelB)
	e.ctx = bctx
	if err := chromedp.Do(e.ctx, chromedp.Navigate(e.base+"/login")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	// Every page from now on records which form values each htmx update
	// was asked with, so that tests wait for an update instead of a delay.
	if _, err := chromedp.Call(e.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: swapRecorder}); err != nil {
		t.Fatalf("install the swap recorder: %v", err)
	}
	return e
}

// The browser steps' deadlines are generous: CI machines are loaded (a load
// average of 11 on 2 cores has been seen) and nothing here waits a fixed
// time, so a long deadline costs nothing when the page is quick.
const (
	stepTimeout = 90 * time.Second
	readTimeout = 60 * time.Second
)

// swapRecorder runs in every page before its own scripts. For each element
// an htmx update replaced (by the target's id), it keeps the values of the
// agent screen's form fields the request was sent with; __whistleSettled(ids) is true when
// no request is in flight and each named target shows the answer to a
// request sent with the fields' current values.
const swapRecorder = `(() => {
  const fields = ['citizen_phone', 'address', 'description', 'category', 'lat', 'lon'];
  window.__whistleSwaps = {};
  document.addEventListener('htmx:afterSwap', ev => {
    const d = ev.detail || {}, rc = d.requestConfig;
    const id = (d.target && d.target.id) || (ev.target && ev.target.id);
    if (!rc || !rc.formData || !id) return;
    // A request with the whole form (its hidden idem field) answers every
    // field, an empty one included; another answers only what it sent.
    const whole = rc.formData.has('idem'), sent = {};
    for (const f of fields) if (whole || rc.formData.has(f)) sent[f] = rc.formData.get(f) || '';
    window.__whistleSwaps[id] = sent;
  });
  window.__whistleSettled = ids => {
    if (document.querySelector('.htmx-request')) return false;
    for (const id of ids) {
      const sent = window.__whistleSwaps[id];
      if (!sent || !document.getElementById(id)) return false;
      for (const f in sent) {
        const el = document.querySelector('[name="' + f + '"]');
        if (el && el.value !== sent[f]) return false;
      }
    }
    return true;
  };
})()`

// settle waits until the htmx updates of the elements with these ids have
// landed: no request is in flight and each shows the answer to the form as
// it is now (debounced updates sent while typing are superseded).
func (e *e2e) settle(ids ...string) {
	e.t.Helper()
	js, _ := json.Marshal(ids)
	ctx, cancel := context.WithTimeout(e.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool]("window.__whistleSettled && window.__whistleSettled("+string(js)+")",
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(0))); err != nil {
		state, _ := chromedp.Run(e.ctx, chromedp.Evaluate[string]("JSON.stringify(window.__whistleSwaps || null)"))
		e.t.Fatalf("the page's updates of %v did not land: %v; last answers were to %s", ids, err, state)
	}
}

// viewport resizes the page and waits until the page has taken the new
// width and painted at it.
func (e *e2e) viewport(w, h int64, opts ...chromedp.EmulateViewportOption) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.EmulateViewport(w, h, opts...),
		chromedp.Poll[chromedp.Void](fmt.Sprintf("window.innerWidth === %d && window.innerHeight === %d", w, h),
			chromedp.WithPollingTimeout(0)),
		chromedp.Evaluate[chromedp.Void]("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))", chromedp.EvalAwaitPromise))
}

func (e *e2e) do(steps ...chromedp.Action[chromedp.Void]) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		loc, _ := chromedp.Run(e.ctx, chromedp.Location())
		body, _ := chromedp.Run(e.ctx, chromedp.Evaluate[string]("document.body ? document.body.innerText.slice(0, 1500) : ''"))
		e.t.Fatalf("browser step failed at %s: %v\npage text:\n%s", loc, err, body)
	}
}

// navigating runs steps that load another page (a form submitted, a
// link followed) and waits until that page has loaded.
func (e *e2e) navigating(steps ...chromedp.Action[chromedp.Void]) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, steps...); err != nil {
		loc, _ := chromedp.Run(e.ctx, chromedp.Location())
		e.t.Fatalf("browser navigation failed at %s: %v", loc, err)
	}
}

func (e *e2e) text(sel string) string {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, readTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		e.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func (e *e2e) eval(js string) {
	e.t.Helper()
	if _, err := chromedp.Run(e.ctx, chromedp.Evaluate[any](js)); err != nil {
		e.t.Fatalf("eval %q: %v", js, err)
	}
}

func (e *e2e) wantText(sel, want string) {
	e.t.Helper()
	if got := e.text(sel); !strings.Contains(got, want) {
		e.t.Fatalf("%s shows %q, want it to contain %q", sel, got, want)
	}
}

// shot saves the current page at desktop and phone width.
func (e *e2e) shot(name string) {
	e.t.Helper()
	for _, v := range []struct {
		suffix string
		w, h   int64
		mobile bool
	}{{"desktop", 1280, 800, false}, {"phone", 390, 844, true}} {
		var opts []chromedp.EmulateViewportOption
		if v.mobile {
			opts = append(opts, chromedp.EmulateMobile)
		}
		e.do(e.viewport(v.w, v.h, opts...))
		// The page must not need sideways scrolling at this width.
		if v.mobile {
			over, err := chromedp.Run(e.ctx, chromedp.Evaluate[bool]("document.documentElement.scrollWidth > window.innerWidth + 2"))
			if err == nil && over {
				e.t.Errorf("%s: wider than a %d-pixel phone screen", name, v.w)
			}
		}
		buf, err := chromedp.Run(e.ctx, chromedp.CaptureScreenshot())
		if err != nil {
			e.t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(e.shots, name+"-"+v.suffix+".png"), buf, 0o644); err != nil {
			e.t.Fatal(err)
		}
	}
	e.do(e.viewport(1280, 800))
}

func (e *e2e) login(role string) {
	e.t.Helper()
	u, ok := e.logins[role]
	if !ok {
		e.t.Fatalf("no demo user with role %s", role)
	}
	e.do(chromedp.Navigate(e.base+"/login"),
		chromedp.SendKeys(chromedp.ID("username"), u.Username),
		chromedp.SendKeys(chromedp.ID("password"), "whistle-demo"),
		chromedp.Click(chromedp.CSS("form[action='/login'] button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("header .who form[action='/logout']")))
}

func (e *e2e) logout() {
	e.t.Helper()
	if !value[bool](e, `!!document.querySelector("header form[action='/logout'] button")`) {
		// The citizens' pages and /login show no staff header: go home first.
		e.navigating(chromedp.Navigate(e.base + "/"))
	}
	e.do(chromedp.Click(chromedp.CSS("header form[action='/logout'] button")), chromedp.WaitVisible(chromedp.ID("username")))
}

// act opens an action's form on the case page, fills it and submits it,
// then waits for the confirmation.
func (e *e2e) act(action string, fields map[string]string, files []string) {
	e.t.Helper()
	form := "#form-" + action
	js := fmt.Sprintf(`(() => { document.querySelectorAll('.flash').forEach(x => x.remove());
		const f = document.querySelector(%q); if (!f) return false; f.closest('details').open = true; return true })()`, form)
	ok, err := chromedp.Run(e.ctx, chromedp.Evaluate[bool](js))
	if err != nil || !ok {
		body, _ := chromedp.Run(e.ctx, chromedp.Evaluate[string]("document.querySelector('#actions') ? document.querySelector('#actions').innerText : document.body.innerText.slice(0,800)"))
		e.t.Fatalf("action %s is not offered on this page (%v); actions: %s", action, err, body)
	}
	var steps []chromedp.Action[chromedp.Void]
	for name, v := range fields {
		steps = append(steps, chromedp.SetValue(chromedp.CSS(form+" [name="+name+"]"), v))
	}
	if len(files) > 0 {
		steps = append(steps, chromedp.SetUploadFiles(chromedp.CSS(form+" input[type=file]"), files))
	}
	steps = append(steps, chromedp.Click(chromedp.CSS(form+" button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("p.flash")))
	e.do(steps...)
}

func (e *e2e) openCase(number string) {
	e.t.Helper()
	e.do(chromedp.Click(linkTo(number)), chromedp.WaitVisible(chromedp.ID("case-state")))
}

// pointIn finds a coordinate in the street the unit serves.
func (e *e2e) pointIn(streetID int64) (lat, lon float64) {
	e.t.Helper()
	grids, err := e.app.Svc.Places(e.t.Context(), org.LevelGrid)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, g := range grids {
		var geom struct {
			Type        string          `json:"type"`
			Coordinates json.RawMessage `json:"coordinates"`
		}
		if json.Unmarshal([]byte(g.Boundary), &geom) != nil || geom.Type != "Polygon" {
			continue
		}
		var rings [][][2]float64
		if json.Unmarshal(geom.Coordinates, &rings) != nil || len(rings) == 0 || len(rings[0]) < 4 {
			continue
		}
		r := rings[0][:len(rings[0])-1]
		for _, v := range r {
			lon += v[0]
			lat += v[1]
		}
		lon, lat = lon/float64(len(r)), lat/float64(len(r))
		if loc, err := e.app.Svc.Locate(lat, lon); err == nil && loc.StreetID == streetID {
			return lat, lon
		}
		lat, lon = 0, 0
	}
	e.t.Fatalf("no grid centroid inside street %d", streetID)
	return 0, 0
}

func photo(t *testing.T) string {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := 0; x < 64; x++ {
		for y := 0; y < 48; y++ {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 90, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "现场.png")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestClosedLoopInTheBrowser walks one request around the whole loop in
// real headless Chromium, checking what each page shows.
func TestClosedLoopInTheBrowser(t *testing.T) {
	e := newE2E(t)
	handler := e.logins[org.RoleHandler]
	unit, ok := e.app.Svc.Unit(handler.UnitID)
	if !ok || unit.Kind != org.KindStreet {
		t.Fatalf("demo handler %s is not in a street office: %+v", handler.Username, unit)
	}
	lat, lon := e.pointIn(unit.PlaceID)
	img := photo(t)
	phone := "13912345678"

	// 1. A citizen reports on the portal, on a phone, with a photo.
	e.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(e.base+"/portal"), chromedp.WaitVisible(chromedp.ID("portal-form")))
	e.shot("portal")
	e.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.SetValue(chromedp.ID("type"), "complaint"),
		chromedp.SendKeys(chromedp.ID("description"), "小区门口人行道上有人长期摆摊卖水果，行人只能走机动车道，很危险。"),
		chromedp.SendKeys(chromedp.ID("address"), "幸福路18号小区南门"),
		chromedp.SendKeys(chromedp.ID("citizen_name"), "王小明"),
		chromedp.SendKeys(chromedp.ID("citizen_phone"), phone),
		chromedp.SetUploadFiles(chromedp.ID("photo"), []string{img}))
	e.eval(fmt.Sprintf("document.getElementById('lat').value='%f'; document.getElementById('lon').value='%f'", lat, lon))
	// First without a category the city requires? The portal lets citizens
	// leave it empty only if the service accepts that; check the answer.
	e.do(chromedp.SetValue(chromedp.ID("category"), "urban.stall"), chromedp.Click(chromedp.CSS("#portal-form button[type=submit]")), chromedp.WaitVisible(chromedp.ID("request-number")))
	number := e.text("#request-number")
	if len(number) != 13 {
		t.Fatalf("request number %q", number)
	}
	c, err := e.app.Svc.St.CaseByNumber(t.Context(), number, org.Scope{All: true}) // as stored, phone in clear
	if err != nil {
		t.Fatal(err)
	}
	if c.Channel != "web" || c.Location.StreetID != unit.PlaceID || c.Citizen.Phone != phone {
		t.Fatalf("stored case: channel %s street %d phone %q", c.Channel, c.Location.StreetID, c.Citizen.Phone)
	}
	evs, _ := e.app.Svc.Cases.Timeline(t.Context(), org.System(), c.ID)
	if len(evs) == 0 || len(evs[0].Attachments) != 1 {
		t.Fatalf("the photo is not attached to the request: %+v", evs)
	}
	e.do(chromedp.EmulateViewport(1280, 800))

	// 2. An agent finds it by the caller's phone, accepts and dispatches it.
	e.login(org.RoleAgent)
	e.shot("agent")
	e.do(chromedp.SendKeys(chromedp.ID("citizen_phone"), phone), chromedp.WaitVisible(linkTo(number)))
	e.settle("history")
	e.openCase(number)
	e.wantText("#case-state", "待受理")
	// Personal data is masked until revealed (and the reveal is audited).
	e.wantText("#citizen", "139****5678")
	e.do(chromedp.Click(chromedp.CSS("#citizen button")), chromedp.WaitVisible(chromedp.CSS("#citizen .muted")))
	e.wantText("#citizen", phone)
	e.act("accept", nil, nil)
	e.wantText("#case-state", "已受理")
	e.act("dispatch", map[string]string{"unit_id": fmt.Sprint(unit.ID)}, nil)
	e.wantText("#case-state", "已派单")
	e.wantText("#lead-unit", unit.Name)
	e.shot("case")
	e.logout()

	// 3. The street signs for it and asks to return it.
	e.login(org.RoleHandler)
	e.do(chromedp.Navigate(e.base+"/inbox"), chromedp.WaitVisible(linkTo(number)))
	e.shot("inbox")
	e.openCase(number)
	e.act("sign", nil, nil)
	e.wantText("#case-state", "已签收")
	e.act("request_return", map[string]string{"reason": "摊贩在隔壁街道辖区，不属本街道"}, nil)
	e.wantText("#case-state", "退单待审")
	e.logout()

	// 4. The centre rejects the return (首接负责).
	e.login(org.RoleDispatcher)
	e.do(chromedp.Navigate(e.base+"/review?tab=returns"), chromedp.WaitVisible(linkTo(number)))
	e.wantText("#queue", "摊贩在隔壁街道辖区")
	e.shot("review")
	e.openCase(number)
	e.act("reject_return", map[string]string{"note": "经核实位于本街道辖区，请继续办理"}, nil)
	if s := e.text("#case-state"); strings.Contains(s, "退单待审") {
		t.Fatalf("return still pending after rejection: %q", s)
	}
	e.do(chromedp.Navigate(e.base + "/supervisor"))
	e.do(chromedp.WaitVisible(chromedp.ID("stat-open")))
	e.checkSupervisor(e.logins[org.RoleDispatcher])
	e.shot("supervisor")
	e.logout()

	// 5. The street contacts the citizen and replies with a photo.
	e.login(org.RoleHandler)
	e.do(chromedp.Navigate(e.base+"/inbox"), chromedp.WaitVisible(linkTo(number)))
	e.openCase(number)
	e.act("contact", map[string]string{"means": "phone", "note": "已电话联系市民"}, nil)
	e.act("reply", map[string]string{"result": "resolved", "note": "已联合城管清理摊点"}, []string{img})
	e.wantText("#case-state", "已答复")
	e.wantText("#case-reply", "已联合城管清理摊点")
	e.logout()

	// 6. The agent's callback: not resolved, unsatisfied, back it goes.
	e.login(org.RoleAgent)
	e.do(chromedp.Navigate(e.base+"/callbacks"), chromedp.WaitVisible(chromedp.ID("cb-number")))
	// The list before the search may show the request too: wait for the
	// search's page to load, not for a link the old page has.
	e.navigating(chromedp.SendKeys(chromedp.ID("cb-number"), number), chromedp.Submit(chromedp.ID("cb-number")))
	e.do(chromedp.WaitVisible(linkTo(number)))
	e.shot("callbacks")
	form := fmt.Sprintf("#cb-%d", c.ID)
	e.do(chromedp.Click(chromedp.CSS(form+" input[name=resolved][value=no]")),
		chromedp.Click(chromedp.CSS(form+" input[name=satisfaction][value=unsatisfied]")),
		chromedp.Click(chromedp.CSS(form+" input[name=reopen]")),
		chromedp.Click(chromedp.CSS(form+" button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("p.flash")))
	e.wantText("p.flash", "退回重办")
	e.logout()

	// 7. The street handles it again.
	e.login(org.RoleHandler)
	e.do(chromedp.Navigate(e.base+"/inbox"), chromedp.WaitVisible(linkTo(number)))
	e.openCase(number)
	e.wantText("#case-state", "已派单")
	e.wantText("#case-state", "重办 1 次")
	e.act("sign", nil, nil)
	e.act("contact", map[string]string{"means": "visit", "note": "上门听取意见"}, nil)
	e.act("reply", map[string]string{"result": "resolved", "note": "已设置固定疏导点，摊贩已全部迁入"}, nil)
	e.wantText("#case-state", "已答复")
	e.logout()

	// 8. The citizen looks it up, rates it satisfied; it closes.
	e.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(e.base+"/portal/track"),
		chromedp.SendKeys(chromedp.ID("number"), number), chromedp.SendKeys(chromedp.ID("phone"), phone),
		chromedp.Click(chromedp.CSS("#track-form button[type=submit]")), chromedp.WaitVisible(chromedp.ID("rate-form")))
	e.wantText("#track-reply", "已设置固定疏导点")
	e.do(chromedp.Click(chromedp.CSS("#rate-form input[name=resolved][value=yes]")),
		chromedp.Click(chromedp.CSS("#rate-form input[name=satisfaction][value=satisfied]")),
		chromedp.Click(chromedp.CSS("#rate-form button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("p.flash")))
	e.wantText("#track-state", "已办结")
	timeline := e.text("#citizen-timeline")
	for _, want := range []string{"您的诉求已提交", "热线中心已受理", "已派至 " + unit.Name, "承办单位已签收", "承办单位已答复：已联合城管清理摊点",
		"根据您的回访意见，已重新交办", "承办单位已答复：已设置固定疏导点", "回访完成，诉求已办结"} {
		if !strings.Contains(timeline, want) {
			t.Errorf("citizen timeline lacks %q:\n%s", want, timeline)
		}
	}
	for _, secret := range []string{"经核实位于本街道辖区", "摊贩在隔壁街道辖区", handler.DisplayName} {
		if strings.Contains(timeline, secret) {
			t.Errorf("citizen timeline shows internal detail %q", secret)
		}
	}
	e.shot("track")
	e.do(chromedp.Navigate(e.base+"/portal/figures"), chromedp.WaitVisible(chromedp.ID("fig-received")))
	e.checkFigures()
	e.shot("figures")
	final, err := e.app.Svc.Cases.GetByNumber(t.Context(), org.System(), number)
	if err != nil || final.State != "closed" || final.Satisfaction != "satisfied" || final.ReopenCount != 1 {
		t.Fatalf("final case: %+v, %v", final, err)
	}

	// 9. Administration pages list what exists, a unit created here
	// included, and the audit log shows the reveal.
	e.do(chromedp.EmulateViewport(1280, 800))
	e.login(org.RoleAdmin)
	e.checkAdmin(e.logins[org.RoleAgent], e.logins[org.RoleAdmin], c.ID)
	e.do(chromedp.Navigate(e.base+"/admin"), chromedp.WaitVisible(chromedp.CSS("main details")))
	e.shot("admin")
	t.Logf("screenshots in %s", e.shots)
}

// linkTo selects the link showing a request number.
func linkTo(number string) string { return "//a[normalize-space(text())='" + number + "']" }

// browserOptions starts a headless Chromium of its own (a fresh profile)
// in Chinese at desktop size.
func browserOptions(t *testing.T, exe string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "zh-CN"), chromedp.Flag("accept-lang", "zh-CN,zh"), chromedp.WindowSize(1280, 800)}
}
