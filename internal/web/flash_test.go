package web

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// A flash is shown only when this node wrote it for this page: a link
// with ?flash=… of someone else's making (on the public tracking page,
// "call 400-… to speed up your case") shows nothing.
func TestFlashesAreSigned(t *testing.T) {
	for _, tc := range []struct{ target, msg string }{
		{"/admin?tab=policy", "已保存"},
		{"/admin/classifier#auto", "saved"},
		{"/patrol", "巡查开始：<b>东华门</b> & 1"},
		{"/cases/12?tab=events#x", "a\nb"},
	} {
		loc := withFlash(tc.target, tc.msg)
		u, err := url.Parse(loc)
		if err != nil {
			t.Fatal(err)
		}
		if _, frag, ok := strings.Cut(tc.target, "#"); ok && u.Fragment != frag {
			t.Errorf("withFlash(%q): fragment %q lost in %q", tc.target, frag, loc)
		}
		if got := flashOf(httptest.NewRequest("GET", u.RequestURI(), nil)); got != tc.msg {
			t.Errorf("withFlash(%q, %q) = %q: the page shows %q", tc.target, tc.msg, loc, got)
		}
		q := u.Query()
		// Another message with this signature, or this one on another page.
		q.Set("flash", tc.msg+"!")
		if got := flashOf(httptest.NewRequest("GET", u.Path+"?"+q.Encode(), nil)); got != "" {
			t.Errorf("a changed message was shown: %q", got)
		}
		q.Set("flash", tc.msg)
		if got := flashOf(httptest.NewRequest("GET", "/portal/track?"+q.Encode(), nil)); got != "" {
			t.Errorf("a flash for %s was shown on /portal/track: %q", u.Path, got)
		}
	}
	for _, raw := range []string{"/portal/track?flash=Call+400-000-0000", "/portal/track?flash=x&fs=", "/portal/track?flash=x&fs=AAAAAAAAAAAAAAAAAAAAAA"} {
		if got := flashOf(httptest.NewRequest("GET", raw, nil)); got != "" {
			t.Errorf("%s: shown %q", raw, got)
		}
	}
}
