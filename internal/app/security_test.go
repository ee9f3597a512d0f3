package app_test

import (
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"whistle/internal/app"
	"whistle/internal/auth"
	"whistle/internal/config"
	"whistle/internal/httpx"
	"whistle/internal/seed"
)

const adminPassword = "security-test-pw"

func node(t *testing.T, change ...func(*config.Config)) *app.App {
	t.Helper()
	cfg := config.Defaults()
	cfg.Data = t.TempDir()
	cfg.FastHash = true
	cfg.SQLiteSync = "normal"
	for _, f := range change {
		f(&cfg)
	}
	a, err := app.Open(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if _, _, err := seed.Bootstrap(t.Context(), a.Svc, auth.FastHasher(), "", adminPassword); err != nil {
		t.Fatal(err)
	}
	return a
}

func noRedirects(c *http.Client) *http.Client {
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

func adminToken(t *testing.T, a *app.App) string {
	t.Helper()
	tok, _, err := a.Svc.Accounts.Login(t.Context(), auth.NewLoginLimiter(5, time.Minute), "admin", adminPassword, "test")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// pagePaths are page routes (GET) as web.Handler declares them; API routes
// come from the API's own route table.
var pagePaths = []string{"/", "/login", "/lang/en?back=/login", "/portal", "/portal/track", "/portal/figures", "/portal/ranking",
	"/portal/locate?lat=1&lon=1", "/geo/boundaries.json", "/favicon.ico", "/static/app.js", "/static/app.css",
	"/static/vendor/htmx/htmx.min.js", "/static/nope.js", "/agent", "/agent/history", "/callbacks", "/queue", "/inbox", "/review",
	"/supervisor", "/supervisor/data.json", "/cases", "/cases/1", "/cases/999999", "/attachments/1", "/assess", "/assess/cases",
	"/assess/export", "/assess/exemptions", "/whistles", "/whistles/stats", "/whistles/1", "/patrol", "/patrol/coverage", "/admin",
	"/admin/audit", "/admin/duty", "/admin/kb", "/admin/classifier", "/admin/geo", "/no/such/page", "/portal?x=%00"}

var param = regexp.MustCompile(`\{[^}]+\}`)

// Every response — pages and API, public and signed in, 2xx, 3xx, 4xx —
// carries the security headers: the Content-Security-Policy without
// inline script, frame-ancestors 'none', the referrer policy and nosniff.
// Over plain HTTP there is no HSTS.
func TestEveryResponseCarriesTheSecurityHeaders(t *testing.T) {
	a := node(t)
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	tok := adminToken(t, a)
	c := noRedirects(&http.Client{})
	type req struct{ method, path string }
	var reqs []req
	for _, p := range pagePaths {
		reqs = append(reqs, req{"GET", p})
	}
	for _, p := range []string{"/login", "/logout", "/portal", "/agent", "/cases/1/act", "/admin/users"} {
		reqs = append(reqs, req{"POST", p})
	}
	for _, r := range a.API.Routes() {
		reqs = append(reqs, req{r.Method, param.ReplaceAllString(r.Path, "1")})
	}
	if len(reqs) < 100 {
		t.Fatalf("only %d requests: the API route table is empty?", len(reqs))
	}
	n := 0
	for _, r := range reqs {
		for _, who := range []string{"", tok} {
			hr, _ := http.NewRequest(r.method, srv.URL+r.path, strings.NewReader("{}"))
			if r.method == "POST" && !strings.HasPrefix(r.path, "/api/") {
				hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			} else if r.method != "GET" {
				hr.Header.Set("Content-Type", "application/json")
			}
			if who != "" {
				hr.AddCookie(&http.Cookie{Name: httpx.SessionCookie, Value: who})
			}
			res, err := c.Do(hr)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			n++
			h := res.Header
			csp := h.Get("Content-Security-Policy")
			for _, want := range []string{"script-src 'self'", "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, want+";") && !strings.HasSuffix(csp, want) {
					t.Errorf("%s %s (%d): CSP %q lacks %q", r.method, r.path, res.StatusCode, csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-eval") || strings.Contains(strings.SplitN(csp+";", "script-src", 2)[1], "unsafe-inline;") {
				t.Errorf("%s %s: CSP allows inline script or eval: %q", r.method, r.path, csp)
			}
			if got := h.Get("Referrer-Policy"); got != "same-origin" && got != "no-referrer" {
				t.Errorf("%s %s (%d): Referrer-Policy %q", r.method, r.path, res.StatusCode, got)
			}
			if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("%s %s (%d): X-Content-Type-Options %q", r.method, r.path, res.StatusCode, got)
			}
			if got := h.Get("Strict-Transport-Security"); got != "" {
				t.Errorf("%s %s over HTTP: HSTS %q", r.method, r.path, got)
			}
		}
	}
	t.Logf("%d responses checked", n)
}

// Cookies are Secure when the request came over HTTPS — to this process,
// or to a proxy that is trusted to say so — or when secure_cookies forces
// it; over plain HTTP they are not (a browser on http://localhost would
// drop them). HSTS goes with HTTPS only. Session cookies are HttpOnly and
// SameSite=Lax either way.
func TestCookiesSecureOverHTTPS(t *testing.T) {
	login := func(t *testing.T, c *http.Client, base string, hdr map[string]string) *http.Response {
		t.Helper()
		form := url.Values{"username": {"admin"}, "password": {adminPassword}}
		req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := noRedirects(c).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	check := func(t *testing.T, res *http.Response, secure, hsts bool) {
		t.Helper()
		var found bool
		for _, ck := range res.Cookies() {
			if ck.Name != httpx.SessionCookie {
				continue
			}
			found = true
			if ck.Secure != secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
				t.Errorf("session cookie %+v: want Secure=%v, HttpOnly, SameSite=Lax", ck, secure)
			}
		}
		if !found {
			t.Fatalf("no session cookie (status %d)", res.StatusCode)
		}
		if got := res.Header.Get("Strict-Transport-Security"); (got != "") != hsts {
			t.Errorf("HSTS %q, want it %v", got, hsts)
		}
	}
	t.Run("http", func(t *testing.T) {
		a := node(t)
		srv := httptest.NewServer(a.Handler())
		t.Cleanup(srv.Close)
		check(t, login(t, srv.Client(), srv.URL, nil), false, false)
		// X-Forwarded-Proto from anyone is not believed by default.
		check(t, login(t, srv.Client(), srv.URL, map[string]string{"X-Forwarded-Proto": "https"}), false, false)
	})
	t.Run("tls", func(t *testing.T) {
		a := node(t)
		srv := httptest.NewTLSServer(a.Handler())
		t.Cleanup(srv.Close)
		c := srv.Client()
		c.Transport.(*http.Transport).TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
		check(t, login(t, c, srv.URL, nil), true, true)
		// The language cookie too.
		res, err := noRedirects(c).Get(srv.URL + "/lang/en?back=/login")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		for _, ck := range res.Cookies() {
			if ck.Name == httpx.LangCookie && !ck.Secure {
				t.Errorf("language cookie over HTTPS not Secure: %+v", ck)
			}
		}
	})
	t.Run("trusted proxy", func(t *testing.T) {
		a := node(t, func(c *config.Config) { c.TrustProxy = true })
		srv := httptest.NewServer(a.Handler())
		t.Cleanup(srv.Close)
		check(t, login(t, srv.Client(), srv.URL, map[string]string{"X-Forwarded-Proto": "https"}), true, true)
		check(t, login(t, srv.Client(), srv.URL, map[string]string{"X-Forwarded-Proto": "http"}), false, false)
	})
	t.Run("forced", func(t *testing.T) {
		a := node(t, func(c *config.Config) { c.SecureCookies = true })
		srv := httptest.NewServer(a.Handler())
		t.Cleanup(srv.Close)
		check(t, login(t, srv.Client(), srv.URL, nil), true, false)
	})
}

// /metrics answers a scraper's bearer token (config metrics_token) and
// administrators; anyone else — anonymous, a wrong token,
// a request from this very machine — gets 401. Without a configured token
// only administrators read it.
func TestMetricsNeedATokenOrAnAdministrator(t *testing.T) {
	get := func(t *testing.T, base, bearer, cookie string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", base+"/metrics", nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: httpx.SessionCookie, Value: cookie})
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == 200 && !strings.Contains(string(b), "whistle_cases") {
			t.Errorf("metrics without whistle_cases: %.200s", b)
		}
		if res.StatusCode == 401 && res.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("401 without WWW-Authenticate")
		}
		return res.StatusCode
	}
	for _, tc := range []struct {
		name  string
		token string
	}{{"no token configured", ""}, {"token configured", "scrape-me-0123456789"}} {
		t.Run(tc.name, func(t *testing.T) {
			a := node(t, func(c *config.Config) { c.MetricsToken = tc.token })
			srv := httptest.NewServer(a.Handler())
			t.Cleanup(srv.Close)
			admin := adminToken(t, a)
			for _, x := range []struct {
				who            string
				bearer, cookie string
				want           int
			}{
				{"anonymous (loopback)", "", "", 401},
				{"wrong token", "scrape-me-0123456780", "", 401},
				{"empty-looking token", " ", "", 401},
				{"admin session", "", admin, 200},
				{"admin bearer", admin, "", 200},
			} {
				if got := get(t, srv.URL, x.bearer, x.cookie); got != x.want {
					t.Errorf("%s: %d, want %d", x.who, got, x.want)
				}
			}
			want := 401
			if tc.token != "" {
				want = 200
			}
			if got := get(t, srv.URL, tc.token, ""); tc.token != "" && got != want {
				t.Errorf("the scrapers' token: %d, want %d", got, want)
			}
		})
	}
}
