package web_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"whistle/internal/auth"
	"whistle/internal/casework"
	"whistle/internal/httpx"
	"whistle/internal/org"
	"whistle/internal/services"
	"whistle/internal/web"
)

// clockSite is a second node over a site's store whose clock the test sets.
type clockSite struct {
	t     *testing.T
	clock atomic.Int64
	base  string
	svc   *services.Services
}

func newClockSite(t *testing.T, s *site, now time.Time) *clockSite {
	t.Helper()
	cs := &clockSite{t: t}
	cs.clock.Store(now.UnixNano())
	sc := s.app.Svc.Config()
	sc.Now = func() time.Time { return time.Unix(0, cs.clock.Load()) }
	svc, err := services.New(t.Context(), s.app.Store, sc)
	if err != nil {
		t.Fatal(err)
	}
	w, err := web.New(svc, web.Options{Hasher: auth.FastHasher(), Limits: httpx.NewLimits()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w.Handler())
	t.Cleanup(srv.Close)
	cs.base, cs.svc = srv.URL, svc
	return cs
}

func (cs *clockSite) set(now time.Time) { cs.clock.Store(now.UnixNano()) }

func (cs *clockSite) login(username string) *http.Client {
	cs.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	res, err := c.PostForm(cs.base+"/login", url.Values{"username": {username}, "password": {"whistle-demo"}})
	if err != nil {
		cs.t.Fatal(err)
	}
	res.Body.Close()
	if res.Request.URL.Path == "/login" {
		cs.t.Fatalf("login as %s failed", username)
	}
	return c
}

// A case page offers exactly what the lifecycle allows now: no 申请退单 once
// the return window has closed, no 答复 before the citizen was contacted.
func TestCasePageOffersWhatTheLifecycleAllows(t *testing.T) {
	s := newSite(t)
	ctx := t.Context()
	hu, _, err := s.app.Svc.St.UserByName(ctx, s.logins[org.RoleHandler])
	if err != nil {
		t.Fatal(err)
	}
	au, _, err := s.app.Svc.St.UserByName(ctx, s.logins[org.RoleAgent])
	if err != nil {
		t.Fatal(err)
	}
	agent, err := s.app.Svc.Actor(au)
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := s.app.Svc.Cases.TakeCall(ctx, agent, casework.NewCase{Channel: "phone", Type: "complaint", Category: "urban.stall",
		Description: "路口占道经营", Address: "同心大道1号", CitizenPhone: "13800004321"}, casework.CallOutcome{Dispatch: true, UnitID: hu.UnitID}, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.ReturnBy.IsZero() {
		t.Fatal("fixture: the case has no return window")
	}
	href := "/cases/" + strconv.FormatInt(c.ID, 10)
	cs := newClockSite(t, s, c.DispatchedAt.Add(time.Minute))
	get := func(cl *http.Client) string {
		t.Helper()
		res, err := cl.Get(cs.base + href)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 200 {
			t.Fatalf("case page: status %d", res.StatusCode)
		}
		return body(t, res)
	}
	offers := func(page, action string) bool { return strings.Contains(page, `id="form-`+action+`"`) }

	// Within the window the street may give the order back.
	h := cs.login(hu.Username)
	page := get(h)
	if !offers(page, "request_return") || !offers(page, "sign") || !strings.Contains(page, "申请退单") {
		t.Fatalf("within the return window: no 申请退单 or 签收 offered")
	}
	// Past it, not: the page must not offer what the server refuses (409).
	cs.set(c.ReturnBy.Add(time.Minute))
	h = cs.login(hu.Username)
	page = get(h)
	if offers(page, "request_return") || strings.Contains(page, "申请退单") {
		t.Fatalf("past the return window: 申请退单 still offered")
	}
	act := func(action string) {
		t.Helper()
		res, err := h.PostForm(cs.base+href+"/act", url.Values{"action": {action}, "means": {"phone"}})
		if err != nil {
			t.Fatal(err)
		}
		if p := body(t, res); res.Request.URL.Path != href {
			t.Fatalf("%s: ended on %s: %.300s", action, res.Request.URL.Path, p)
		}
	}
	act("sign")
	page = get(h)
	if offers(page, "reply") || !offers(page, "contact") {
		t.Fatalf("before contact: 答复 offered, or 联系市民 not")
	}
	// Forced anyway, the refusal reads in the page's language only.
	res, err := h.PostForm(cs.base+href+"/act", url.Values{"action": {"reply"}, "result": {"resolved"}, "note": {"已处理"}})
	if err != nil {
		t.Fatal(err)
	}
	if p := body(t, res); res.StatusCode != 409 || strings.Contains(p, "before replying") || !strings.Contains(p, "工单当前状态不允许此操作") {
		t.Fatalf("reply before contact: status %d, or an English detail on a Chinese page", res.StatusCode)
	}
	act("contact")
	page = get(h)
	if !offers(page, "reply") {
		t.Fatalf("after contact: 答复 not offered")
	}
}
