package web_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"whistle/internal/accounts"
	"whistle/internal/app"
	"whistle/internal/auth"
	"whistle/internal/config"
	"whistle/internal/seed"
)

const adminPassword = "shared-test-password"

// records is a slog handler that keeps every record.
type records struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *records) Enabled(context.Context, slog.Level) bool { return true }
func (h *records) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, r.Clone())
	return nil
}
func (h *records) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *records) WithGroup(string) slog.Handler      { return h }

// at lists the messages logged at level or above.
func (h *records) reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = nil
}

func (h *records) at(level slog.Level) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.recs {
		if r.Level >= level {
			out = append(out, r.Message)
		}
	}
	return out
}

// bareNode is a bootstrapped node (a city, its centre and an admin, no
// demo data) serving both front ends, as in production.
func bareNode(t *testing.T, log *slog.Logger, change ...func(*config.Config)) (*app.App, *httptest.Server) {
	t.Helper()
	cfg := config.Defaults()
	cfg.Data = t.TempDir()
	cfg.FastHash = true
	cfg.SQLiteSync = "normal"
	for _, f := range change {
		f(&cfg)
	}
	a, err := app.Open(t.Context(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if _, _, err := seed.Bootstrap(t.Context(), a.Svc, auth.FastHasher(), "", adminPassword); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return a, srv
}

// freshToken opens a session that no request has used yet, so the
// service has not cached it: authenticating it asks the store.
func freshToken(t *testing.T, a *app.App) string {
	t.Helper()
	tok, _, err := a.Svc.Accounts.Login(t.Context(), auth.NewLoginLimiter(5, time.Minute), "admin", adminPassword, "test")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func noRedirects() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Failed logins over the API and on the login page count against one
// allowance: 3 + 2 wrong passwords, and the 6th try on either is refused.
func TestFailedLoginsShareOneAllowance(t *testing.T) {
	_, srv := bareNode(t, slog.New(slog.DiscardHandler))
	c := noRedirects()
	apiLogin := func(password string) int {
		res, err := c.Post(srv.URL+"/api/v1/auth/login", "application/json",
			strings.NewReader(`{"username":"admin","password":"`+password+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	pageLogin := func(password string) int {
		res, err := c.PostForm(srv.URL+"/login", url.Values{"username": {"admin"}, "password": {password}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for i := 0; i < 3; i++ {
		if st := apiLogin("wrong-password"); st != 401 {
			t.Fatalf("API wrong login %d: status %d, want 401", i+1, st)
		}
	}
	for i := 0; i < 2; i++ {
		if st := pageLogin("wrong-password"); st != 401 {
			t.Fatalf("page wrong login %d: status %d, want 401", i+1, st)
		}
	}
	if st := pageLogin(adminPassword); st != 429 {
		t.Errorf("6th login on the page (right password): status %d, want 429", st)
	}
	if st := apiLogin(adminPassword); st != 429 {
		t.Errorf("6th login over the API (right password): status %d, want 429", st)
	}
}

// Both front ends set the same session cookie: Secure from the
// configuration, HttpOnly, SameSite=Lax, Path=/, living as long as the token.
func TestOneSessionCookie(t *testing.T) {
	_, srv := bareNode(t, slog.New(slog.DiscardHandler), func(c *config.Config) { c.SecureCookies = true })
	c := noRedirects()
	session := func(res *http.Response) *http.Cookie {
		t.Helper()
		res.Body.Close()
		for _, ck := range res.Cookies() {
			if ck.Name == "whistle_session" {
				return ck
			}
		}
		t.Fatalf("%s: no session cookie (status %d)", res.Request.URL.Path, res.StatusCode)
		return nil
	}
	res, err := c.Post(srv.URL+"/api/v1/auth/login", "application/json", strings.NewReader(`{"username":"admin","password":"`+adminPassword+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	fromAPI := session(res)
	res, err = c.PostForm(srv.URL+"/login", url.Values{"username": {"admin"}, "password": {adminPassword}})
	if err != nil {
		t.Fatal(err)
	}
	fromPage := session(res)
	for _, ck := range []*http.Cookie{fromAPI, fromPage} {
		if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.MaxAge != int(accounts.SessionTTL.Seconds()) {
			t.Errorf("session cookie %+v; want Secure, HttpOnly, Lax, / and max-age %v", ck, accounts.SessionTTL)
		}
	}
}

// A store that fails while a session is checked is an outage, not a
// logout: the page says 503 and the session cookie stays.
func TestPagesKeepTheSessionWhenTheStoreFails(t *testing.T) {
	a, srv := bareNode(t, slog.New(slog.DiscardHandler))
	tok := freshToken(t, a)
	a.Store.Close() // the database goes away
	req, _ := http.NewRequest("GET", srv.URL+"/admin", nil)
	req.AddCookie(&http.Cookie{Name: "whistle_session", Value: tok})
	res, err := noRedirects().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page := body(t, res)
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d (Location %q), want 503", res.StatusCode, res.Header.Get("Location"))
	}
	if sc := res.Header.Values("Set-Cookie"); len(sc) > 0 {
		t.Errorf("the session cookie was touched: %q", sc)
	}
	if !strings.Contains(page, "服务暂不可用") {
		t.Errorf("the error page does not say the service is unavailable")
	}
}

// A client that gave up is no server error: nothing logged above debug,
// status 499, and the session cookie stays.
func TestPagesClientGone(t *testing.T) {
	log := &records{}
	a, _ := bareNode(t, slog.New(log))
	h := a.Handler()
	log.reset() // what starting the node said (e.g. the generated key file) is not the requests'
	// On /admin the session check meets the cancelled context (the token is
	// not cached); on /cases the session is cached and the case list meets it.
	for _, path := range []string{"/admin", "/cases"} {
		tok := freshToken(t, a)
		if path == "/cases" {
			if _, err := a.Svc.Accounts.Authenticate(t.Context(), tok); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		req := httptest.NewRequest("GET", path, nil).WithContext(ctx)
		req.AddCookie(&http.Cookie{Name: "whistle_session", Value: tok})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 499 {
			t.Errorf("%s: status %d, want 499", path, rec.Code)
		}
		if sc := rec.Header().Values("Set-Cookie"); len(sc) > 0 {
			t.Errorf("%s: the session cookie was touched: %q", path, sc)
		}
	}
	if errs := log.at(slog.LevelWarn); len(errs) > 0 {
		t.Errorf("logged at warn or above: %q", errs)
	}
	if dbg := log.at(slog.LevelDebug); !slices.Contains(dbg, "client gone") {
		t.Errorf("no debug record of the client leaving: %q", dbg)
	}
}
