package web_test

import (
	"bytes"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The language switch and the login page never send the browser off the
// site, however the target is encoded; and a NUL in a form or query is a
// 422 (invalid) — or 400 for a multipart form that does not parse — not a
// look-up.
func TestRedirectsStayOnSite(t *testing.T) {
	_, srv := bareNode(t, slog.New(slog.DiscardHandler))
	c := noRedirects()
	for _, raw := range []string{"/%09/evil.example/", "/%0a/evil.example", "//evil.example", "/%5C/evil.example", "/%2F%2Fevil.example", "https://evil.example"} {
		res, err := c.Get(srv.URL + "/lang/en?back=" + raw)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if loc := res.Header.Get("Location"); res.StatusCode != 303 || loc != "/" {
			t.Errorf("/lang/en?back=%s: %d Location %q, want 303 to /", raw, res.StatusCode, loc)
		}
		res, err = c.PostForm(srv.URL+"/login?lang=en", url.Values{"username": {"admin"}, "password": {adminPassword}, "next": {mustUnescape(t, raw)}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if loc := res.Header.Get("Location"); res.StatusCode != 303 || !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.ContainsAny(loc, "\t\n\\") {
			t.Errorf("login next=%s: %d Location %q, want a local path", raw, res.StatusCode, loc)
		}
	}
	res, err := c.Get(srv.URL + "/lang/en?back=/cases%3Fq%3Dx")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); loc != "/cases?q=x" {
		t.Errorf("a local back target: Location %q, want /cases?q=x", loc)
	}

	for _, tc := range []struct {
		name string
		want int
		do   func() (*http.Response, error)
	}{
		{"form", 422, func() (*http.Response, error) {
			return c.PostForm(srv.URL+"/login", url.Values{"username": {"ad\x00min"}, "password": {adminPassword}})
		}},
		{"query", 422, func() (*http.Response, error) { return c.Get(srv.URL + "/portal?x=%00") }},
		// The portal reads its multipart form itself and refuses it as a
		// form that does not parse.
		{"multipart", 400, func() (*http.Response, error) {
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			_ = mw.WriteField("name", "张\x00三")
			_ = mw.WriteField("phone", "13700000000")
			_ = mw.WriteField("content", "路灯不亮")
			mw.Close()
			return c.Post(srv.URL+"/portal", mw.FormDataContentType(), &body)
		}},
	} {
		res, err := tc.do()
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.want {
			t.Errorf("%s with NUL: %d, want %d: %.200s", tc.name, res.StatusCode, tc.want, body)
		}
	}
}

func mustUnescape(t *testing.T, s string) string {
	t.Helper()
	u, err := url.QueryUnescape(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
