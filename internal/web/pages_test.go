package web_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"whistle/internal/app"
	"whistle/internal/auth"
	"whistle/internal/config"
	"whistle/internal/demo"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/seed"
)

type site struct {
	t      *testing.T
	app    *app.App
	base   string
	logins map[string]string
}

func newSite(t *testing.T) *site {
	t.Helper()
	cfg := config.Defaults()
	cfg.Data = t.TempDir()
	cfg.FastHash = true
	cfg.SQLiteSync = "normal"
	log := slog.New(slog.DiscardHandler)
	a, err := app.Open(t.Context(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	res, err := seed.Demo(t.Context(), a.Svc, demo.Options{Seed: 5, Requests: 200}, auth.FastHasher(), log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	s := &site{t: t, app: a, base: srv.URL, logins: map[string]string{}}
	for _, u := range res.Logins {
		s.logins[u.Roles[0]] = u.Username
	}
	return s
}

func (s *site) client(role string) *http.Client {
	s.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	if role == "" {
		return c
	}
	res, err := c.PostForm(s.base+"/login", url.Values{"username": {s.logins[role]}, "password": {"whistle-demo"}})
	if err != nil {
		s.t.Fatal(err)
	}
	res.Body.Close()
	if res.Request.URL.Path == "/login" {
		s.t.Fatalf("login as %s failed", role)
	}
	return c
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFormsKeepInputAndNameTheField(t *testing.T) {
	s := newSite(t)
	c := s.client(org.RoleAgent)
	// A wrong phone number: the page says which field and why, and keeps
	// everything typed.
	res, err := c.PostForm(s.base+"/agent", url.Values{"idem": {"t1"}, "do": {"receive"}, "type": {"complaint"}, "category": {"urban.stall"},
		"description": {"路口占道摆摊"}, "citizen_phone": {"12345"}, "address": {"同心大道1号"}})
	if err != nil {
		t.Fatal(err)
	}
	page := body(t, res)
	if res.StatusCode != 422 {
		t.Fatalf("status %d, want 422", res.StatusCode)
	}
	for _, want := range []string{`id="citizen_phone" name="citizen_phone" value="12345"`, "路口占道摆摊", "同心大道1号", `class="field-error"`, "请检查标红的字段"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// Dispatch without a unit names the unit field, before anything is stored.
	res, _ = c.PostForm(s.base+"/agent", url.Values{"idem": {"t2"}, "do": {"dispatch"}, "type": {"complaint"}, "category": {"urban.stall"}, "description": {"x"}})
	if page := body(t, res); res.StatusCode != 422 || !strings.Contains(page, `id="unit_id" name="unit_id"`) || !strings.Contains(page, "aria-invalid") {
		t.Fatalf("dispatch without unit: status %d", res.StatusCode)
	}
	// The language switch comes back to the same page with its query.
	res, _ = c.Get(s.base + "/cases?show=open")
	if page := body(t, res); !strings.Contains(page, "back=%2fcases%3fshow%3dopen") && !strings.Contains(page, "back=%2Fcases%3Fshow%3Dopen") {
		t.Errorf("language switch does not come back to /cases?show=open")
	}
	res, _ = c.Get(s.base + "/lang/en?back=" + url.QueryEscape("/cases?show=open"))
	if page := body(t, res); res.Request.URL.RequestURI() != "/cases?show=open" || !strings.Contains(page, "Requests") {
		t.Errorf("after the switch: %s", res.Request.URL.RequestURI())
	}
	res, _ = c.Get(s.base + "/lang/zh?back=/agent")
	body(t, res)
	// In English on request.
	res, _ = c.Get(s.base + "/agent?lang=en")
	if page := body(t, res); !strings.Contains(page, "Call intake") || strings.Contains(page, "话务受理") {
		t.Errorf("English page still Chinese")
	}
}

func TestCrossOriginFormsAreRefused(t *testing.T) {
	s := newSite(t)
	c := s.client(org.RoleAgent)
	req, _ := http.NewRequest("POST", s.base+"/agent", strings.NewReader("do=receive"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if page := body(t, res); res.StatusCode != 403 || !strings.Contains(page, "跨站") {
		t.Fatalf("cross-site form: status %d", res.StatusCode)
	}
}

func TestLoginIsRateLimitedAndPagesNeedASession(t *testing.T) {
	s := newSite(t)
	c := s.client("")
	res, _ := c.Get(s.base + "/inbox")
	if body(t, res); res.Request.URL.Path != "/login" {
		t.Fatalf("no session: ended on %s", res.Request.URL.Path)
	}
	var last int
	for i := 0; i < 7; i++ {
		res, err := c.PostForm(s.base+"/login", url.Values{"username": {s.logins[org.RoleAgent]}, "password": {"wrong"}})
		if err != nil {
			t.Fatal(err)
		}
		body(t, res)
		last = res.StatusCode
	}
	if last != 429 {
		t.Fatalf("7th wrong password: status %d, want 429", last)
	}
}

func TestPhonesMaskedForRolesWithoutNeed(t *testing.T) {
	s := newSite(t)
	agent := s.client(org.RoleAgent)
	res, err := agent.PostForm(s.base+"/agent", url.Values{"idem": {"m1"}, "do": {"receive"}, "type": {"complaint"}, "category": {"urban.stall"},
		"description": {"楼下烧烤油烟扰民"}, "citizen_phone": {"13800001234"}, "citizen_name": {"李四"}, "address": {"同心大道9号"}})
	if err != nil {
		t.Fatal(err)
	}
	if page := body(t, res); res.Request.URL.Path != "/agent" || !strings.Contains(page, "已受理") {
		t.Fatalf("create by form: ended on %s", res.Request.URL.Path)
	}
	pg, err := s.app.Svc.Cases.List(t.Context(), org.System(), lifecycle.CaseFilter{PhoneHash: s.app.Svc.PhoneHash("13800001234"), Limit: 1})
	if err != nil || len(pg.Cases) != 1 {
		t.Fatalf("created case not found: %v", err)
	}
	href := fmt.Sprintf("/cases/%d", pg.Cases[0].ID)
	res, _ = agent.Get(s.base + href)
	casePage := body(t, res)
	if !strings.Contains(casePage, "138****1234") || strings.Contains(casePage, "13800001234") || !strings.Contains(casePage, "/reveal") {
		t.Fatalf("agent case page: phone not masked or no reveal button")
	}
	res, _ = agent.PostForm(s.base+href+"/reveal", url.Values{"purpose": {"callback"}})
	if page := body(t, res); res.StatusCode != 200 || !strings.Contains(page, "13800001234") || !strings.Contains(page, "李四") {
		t.Fatalf("agent reveal: status %d", res.StatusCode)
	}
	audit, err := s.app.Svc.St.AuditLog(t.Context(), 0, 20)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range audit {
		if strings.Contains(e.Action, "reveal") && strings.Contains(e.Target, fmt.Sprint(pg.Cases[0].ID)) {
			found = true
		}
	}
	if !found {
		t.Fatalf("the reveal is not in the audit log: %+v", audit)
	}
	// The centre's supervisor sees the case, masked, and cannot reveal.
	sup := s.client(org.RoleAnalyst)
	res, _ = sup.Get(s.base + href)
	page := body(t, res)
	if strings.Contains(page, "13800001234") || strings.Contains(page, "/reveal") {
		t.Fatalf("analyst sees the phone or a reveal button (status %d)", res.StatusCode)
	}
	res, _ = sup.PostForm(s.base+href+"/reveal", url.Values{"purpose": {"curious"}})
	if page := body(t, res); res.StatusCode < 400 || strings.Contains(page, "13800001234") {
		t.Fatalf("analyst reveal: status %d", res.StatusCode)
	}
}
