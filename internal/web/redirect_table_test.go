package web_test

import (
	"html"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// Every way of writing "another host" that a browser would follow — tabs
// and newlines it drops, backslashes it reads as slashes, //, /\, and
// each of them percent-encoded once or twice — is refused by the language
// switch (back=), the login form (next=) and the login page's hidden
// field; a local path is kept. Locations are checked as a browser reads
// them: resolved against the site, they stay on the site.
func TestRedirectTargetsTable(t *testing.T) {
	_, srv := bareNode(t, slog.New(slog.DiscardHandler))
	site, _ := url.Parse(srv.URL)
	c := noRedirects()
	onSite := func(loc string) bool {
		// Browsers strip tabs and newlines and read \ as / before resolving.
		clean := strings.NewReplacer("\t", "", "\n", "", "\r", "", `\`, "/").Replace(loc)
		u, err := site.Parse(clean)
		return err == nil && u.Host == site.Host && u.Scheme == site.Scheme && !strings.HasPrefix(clean, "//")
	}
	for _, tc := range []struct {
		name, raw string // raw: as written in the query string
	}{
		{"tab", "/%09/evil.example/"},
		{"double-encoded tab", "/%2509/evil.example/"},
		{"newline", "/%0A/evil.example"},
		{"carriage return", "/%0D/evil.example"},
		{"//", "//evil.example"},
		{"///", "///evil.example"},
		{"/\\", "/%5Cevil.example"},
		{"/\\/", "/%5C/evil.example"},
		{"\\\\", "%5C%5Cevil.example"},
		{"\\/", "%5C/evil.example"},
		{"encoded //", "/%2F%2Fevil.example"},
		{"encoded / after /", "/%2Fevil.example"},
		{"twice-encoded //", "/%252F%252Fevil.example"},
		{"twice-encoded \\\\", "/%255C%255Cevil.example"},
		{"encoded /\\", "/%2F%5Cevil.example"},
		{"no leading slash", "%2F%2Fevil.example"},
		{"scheme", "https://evil.example/"},
		{"scheme-relative with tab", "%09//evil.example"},
		{"javascript", "javascript:alert(1)"},
		{"ideographic space", "/%E3%80%80/evil.example"},
		{"no-break space", "/%C2%A0/evil.example"},
		{"userinfo", "/@evil.example"},
	} {
		res, err := c.Get(srv.URL + "/lang/en?back=" + tc.raw)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		loc := res.Header.Get("Location")
		if res.StatusCode != 303 || !onSite(loc) || strings.Contains(loc, "evil") && !strings.HasPrefix(loc, "/@") {
			t.Errorf("%s: /lang/en?back=%s → %d %q, want a redirect on the site", tc.name, tc.raw, res.StatusCode, loc)
		}
		next, err := url.QueryUnescape(tc.raw)
		if err != nil {
			t.Fatal(err)
		}
		res, err = c.PostForm(srv.URL+"/login", url.Values{"username": {"admin"}, "password": {adminPassword}, "next": {next}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if loc := res.Header.Get("Location"); res.StatusCode != 303 || !onSite(loc) || strings.Contains(loc, "evil") && !strings.HasPrefix(loc, "/@") {
			t.Errorf("%s: login next=%q → %d %q, want a redirect on the site", tc.name, next, res.StatusCode, loc)
		}
		res, err = c.Get(srv.URL + "/login?next=" + tc.raw)
		if err != nil {
			t.Fatal(err)
		}
		if m := hiddenNext.FindAllStringSubmatch(body(t, res), -1); len(m) > 0 {
			for _, v := range m {
				if v[1] != "" && !onSite(html.UnescapeString(v[1])) {
					t.Errorf("%s: the login page keeps next=%q in its form", tc.name, v[1])
				}
			}
		}
	}
	// Local targets are kept.
	for _, local := range []string{"/cases?q=x", "/cases/12", "/admin?tab=users"} {
		res, err := c.Get(srv.URL + "/lang/en?back=" + url.QueryEscape(local))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if loc := res.Header.Get("Location"); loc != local {
			t.Errorf("back=%s → %q, want it kept", local, loc)
		}
	}
}

var hiddenNext = regexp.MustCompile(`name="next" value="([^"]*)"`)
