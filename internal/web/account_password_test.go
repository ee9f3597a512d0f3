package web_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"whistle/internal/auth"
	"whistle/internal/org"
)

// TestChangeOwnPasswordPage: over real HTTP, a volunteer-only account
// (whose first password the community set) opens its account page and
// changes its password. A wrong current password, a new one typed
// differently twice, or an empty field is refused on the form (422, the
// field named, nothing changed); the change ends the session it was made
// in, the old password no longer signs in and the new one does.
func TestChangeOwnPasswordPage(t *testing.T) {
	a, srv := bareNode(t, slog.New(slog.DiscardHandler))
	ctx := t.Context()
	admin, err := a.Svc.Accounts.Authenticate(ctx, freshToken(t, a))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Svc.Admin.CreateUser(ctx, admin, org.User{Username: "vol-li", DisplayName: "李志愿", UnitID: admin.Unit.ID,
		Roles: []string{org.RoleVolunteer}}, "first-password-by-staff", auth.FastHasher()); err != nil {
		t.Fatal(err)
	}
	newClient := func() *http.Client {
		jar, _ := cookiejar.New(nil)
		c := noRedirects()
		c.Jar = jar
		return c
	}
	read := func(res *http.Response, err error) (int, string, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b), res.Header.Get("Location")
	}
	login := func(password string) (*http.Client, int) {
		c := newClient()
		st, _, _ := read(c.PostForm(srv.URL+"/login", url.Values{"username": {"vol-li"}, "password": {password}}))
		return c, st
	}
	c, st := login("first-password-by-staff")
	if st != 303 {
		t.Fatalf("the volunteer's first sign-in: %d", st)
	}
	st, body, _ := read(c.Get(srv.URL + "/account"))
	if st != 200 || !strings.Contains(body, `id="password-form"`) || !strings.Contains(body, `href="/account" id="nav-account"`) {
		t.Fatalf("the volunteer's account page: %d %s", st, body)
	}
	for _, tc := range []struct {
		name            string
		old, new1, new2 string
		field           string
	}{
		{"wrong current password", "not-the-password", "a-new-long-password", "a-new-long-password", "old_password"},
		{"typed differently", "first-password-by-staff", "a-new-long-password", "a-new-long-passwort", "new_password2"},
		{"nothing new", "first-password-by-staff", "", "a-new-long-password", "new_password"},
		{"too weak", "first-password-by-staff", "123", "123", "new_password"},
	} {
		st, body, _ := read(c.PostForm(srv.URL+"/account/password", url.Values{"old_password": {tc.old}, "new_password": {tc.new1}, "new_password2": {tc.new2}}))
		marked := regexp.MustCompile(`name="` + tc.field + `" autocomplete="[a-z-]+" required aria-invalid="true"`)
		if st != http.StatusUnprocessableEntity || !marked.MatchString(body) || strings.Count(body, `aria-invalid="true"`) != 1 {
			t.Errorf("%s: %d, want 422 with %s marked", tc.name, st, tc.field)
		}
	}
	if _, st := login("first-password-by-staff"); st != 303 {
		t.Fatalf("a refused change changed the password (sign-in %d)", st)
	}
	st, _, loc := read(c.PostForm(srv.URL+"/account/password", url.Values{"old_password": {"first-password-by-staff"},
		"new_password": {"a-new-long-password"}, "new_password2": {"a-new-long-password"}}))
	if st != 303 || !strings.HasPrefix(loc, "/login") {
		t.Fatalf("the change: %d → %q", st, loc)
	}
	if st, _, _ := read(c.Get(srv.URL + "/account")); st == 200 {
		t.Errorf("the session the change was made in still opens the account page")
	}
	if _, st := login("first-password-by-staff"); st == 303 {
		t.Errorf("the old password still signs in")
	}
	if _, st := login("a-new-long-password"); st != 303 {
		t.Errorf("the new password does not sign in: %d", st)
	}
}
