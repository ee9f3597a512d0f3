package web_test

import (
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"whistle/internal/auth"
)

// TestTOTPLoginPages: over real HTTP, the administrator turns two-step
// verification on from the account page (secret shown as text and as an
// otpauth:// URI, confirmed with one code, 8 recovery codes shown once);
// then signing in takes two steps — the password gives a form asking for
// the code and no session; a wrong code, a replayed code or a tampered
// pending state opens none; a fresh code or a recovery code does.
func TestTOTPLoginPages(t *testing.T) {
	_, srv := bareNode(t, slog.New(slog.DiscardHandler))
	newClient := func() *http.Client {
		jar, _ := cookiejar.New(nil)
		c := noRedirects()
		c.Jar = jar
		return c
	}
	read := func(res *http.Response, err error) (int, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	find := func(body, pattern string) string {
		t.Helper()
		m := regexp.MustCompile(pattern).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no %s in the page:\n%s", pattern, body)
		}
		return html.UnescapeString(m[1])
	}
	hasSession := func(c *http.Client) bool {
		u, _ := url.Parse(srv.URL)
		for _, ck := range c.Jar.Cookies(u) {
			if ck.Name == "whistle_session" {
				return true
			}
		}
		return false
	}
	form := func(c *http.Client, path string, v url.Values) (int, string) {
		return read(c.PostForm(srv.URL+path, v))
	}

	// Enrol on the account page.
	admin := newClient()
	if st, _ := form(admin, "/login", url.Values{"username": {"admin"}, "password": {adminPassword}}); st != 303 || !hasSession(admin) {
		t.Fatalf("password login before enrolling: %d", st)
	}
	st, body := read(admin.Get(srv.URL + "/account"))
	if st != 200 || !strings.Contains(body, `action="/account/totp"`) {
		t.Fatalf("account page %d:\n%s", st, body)
	}
	st, body = form(admin, "/account/totp", nil)
	if st != 200 {
		t.Fatalf("begin: %d\n%s", st, body)
	}
	secret := find(body, `id="totp-secret">([A-Z2-7]+)<`)
	if uri := find(body, `id="totp-uri"[^>]*>([^<]+)<`); !strings.HasPrefix(uri, "otpauth://totp/Whistle:admin?") {
		t.Errorf("uri %q", uri)
	}
	code := func(at time.Time) string {
		c, err := auth.TOTPCode(secret, at)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	st, body = form(admin, "/account/totp/confirm", url.Values{"totp": {code(time.Now())}})
	if st != 200 {
		t.Fatalf("confirm: %d\n%s", st, body)
	}
	recovery := regexp.MustCompile(`<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>`).FindAllStringSubmatch(body, -1)
	if len(recovery) != 8 {
		t.Fatalf("%d recovery codes shown:\n%s", len(recovery), body)
	}
	if _, body = read(admin.Get(srv.URL + "/account")); !strings.Contains(body, `id="totp-state"`) || strings.Contains(body, recovery[0][1]) {
		t.Errorf("account page after enrolling shows no state, or the recovery codes again:\n%s", body)
	}

	// Step one: the password. A form for the code, and no session.
	step1 := func(c *http.Client) string {
		t.Helper()
		st, body := form(c, "/login", url.Values{"username": {"admin"}, "password": {adminPassword}, "next": {"/account"}})
		if st != 200 || !strings.Contains(body, `id="login-totp"`) {
			t.Fatalf("first step: %d\n%s", st, body)
		}
		if hasSession(c) {
			t.Fatal("a session after the password alone")
		}
		return find(body, `name="pending" value="([^"]+)"`)
	}
	c := newClient()
	pending := step1(c)
	wrong := "000000"
	for _, w := range []string{"000000", "111111", "222222"} {
		if _, ok := auth.MatchTOTP(secret, w, time.Now()); !ok {
			wrong = w
			break
		}
	}
	if st, body := form(c, "/login/totp", url.Values{"pending": {pending}, "totp": {wrong}}); st != 401 || hasSession(c) || !strings.Contains(body, `id="login-totp"`) {
		t.Errorf("wrong code: %d, session %v\n%s", st, hasSession(c), body)
	}
	if st, body := form(c, "/login/totp", url.Values{"pending": {pending + "x"}, "totp": {code(time.Now())}}); st != 401 || hasSession(c) || strings.Contains(body, `id="login-totp"`) {
		t.Errorf("tampered pending state: %d, session %v\n%s", st, hasSession(c), body)
	}
	next := code(time.Now().Add(30 * time.Second)) // later than the confirming code's step
	res, err := c.PostForm(srv.URL+"/login/totp", url.Values{"pending": {pending}, "totp": {next}, "next": {"/account"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 303 || res.Header.Get("Location") != "/account" || !hasSession(c) {
		t.Fatalf("right code: %d → %q, session %v", res.StatusCode, res.Header.Get("Location"), hasSession(c))
	}
	if st, _ := read(c.Get(srv.URL + "/account")); st != 200 {
		t.Errorf("account page in the new session: %d", st)
	}

	// The same code again, from a new pending login: refused.
	c2 := newClient()
	if st, _ := form(c2, "/login/totp", url.Values{"pending": {step1(c2)}, "totp": {next}}); st != 401 || hasSession(c2) {
		t.Errorf("replayed code: %d, session %v", st, hasSession(c2))
	}
	// A recovery code works once.
	if st, _ := form(c2, "/login/totp", url.Values{"pending": {step1(c2)}, "totp": {recovery[2][1]}}); st != 303 || !hasSession(c2) {
		t.Errorf("recovery code: %d, session %v", st, hasSession(c2))
	}
	c3 := newClient()
	if st, _ := form(c3, "/login/totp", url.Values{"pending": {step1(c3)}, "totp": {recovery[2][1]}}); st != 401 || hasSession(c3) {
		t.Errorf("recovery code again: %d, session %v", st, hasSession(c3))
	}
}
