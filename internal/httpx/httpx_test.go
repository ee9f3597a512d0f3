package httpx

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"whistle/internal/accounts"
	"whistle/internal/errs"
)

func TestLang(t *testing.T) {
	tests := []struct {
		name, query, cookie, accept string
		want                        string
	}{
		{name: "nothing", want: "zh"},
		{name: "q-values prefer en", accept: "en;q=0.9, zh;q=0.8", want: "en"},
		{name: "q-values prefer zh", accept: "en;q=0.5, zh-CN;q=0.8", want: "zh"},
		{name: "order without q", accept: "zh-CN,zh;q=0.9,en;q=0.5", want: "zh"},
		{name: "unknown language", accept: "fr-FR", want: "zh"},
		{name: "unknown then en", accept: "fr-FR, en;q=0.5", want: "en"},
		{name: "German", accept: "de", want: "zh"},
		{name: "Japanese", accept: "ja-JP,ja;q=0.9", want: "zh"},
		{name: "traditional Chinese", accept: "zh-TW", want: "zh"},
		{name: "British English", accept: "en-GB", want: "en"},
		{name: "US English", accept: "en-US,en;q=0.8", want: "en"},
		{name: "malformed header", accept: ";;;q=x", want: "zh"},
		{name: "query beats header", query: "en", accept: "zh-CN", want: "en"},
		{name: "query zh beats header", query: "zh", accept: "en", want: "zh"},
		{name: "query region", query: "en-GB", want: "en"},
		{name: "query junk", query: "xx-!!", accept: "en", want: "zh"},
		{name: "cookie beats header", cookie: "en", accept: "zh-CN", want: "en"},
		{name: "query beats cookie", query: "zh", cookie: "en", want: "zh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := "/x"
			if tt.query != "" {
				target += "?lang=" + tt.query
			}
			r := httptest.NewRequest("GET", target, nil)
			if tt.accept != "" {
				r.Header.Set("Accept-Language", tt.accept)
			}
			if tt.cookie != "" {
				r.AddCookie(&http.Cookie{Name: LangCookie, Value: tt.cookie})
			}
			if got := Lang(r); got != tt.want {
				t.Errorf("Lang(query %q, cookie %q, Accept-Language %q) = %q, want %q", tt.query, tt.cookie, tt.accept, got, tt.want)
			}
		})
	}
}

func TestSessionCookie(t *testing.T) {
	for _, secure := range []bool{false, true} {
		rec := httptest.NewRecorder()
		Sessions{Secure: secure}.SetSession(rec, "tok")
		cs := rec.Result().Cookies()
		if len(cs) != 1 {
			t.Fatalf("%d cookies", len(cs))
		}
		c := cs[0]
		if c.Name != SessionCookie || c.Value != "tok" || c.Path != "/" || !c.HttpOnly || c.Secure != secure || c.SameSite != http.SameSiteLaxMode {
			t.Errorf("session cookie %+v (secure %v)", c, secure)
		}
		if c.MaxAge != int(accounts.SessionTTL.Seconds()) || time.Until(c.Expires) > accounts.SessionTTL || time.Until(c.Expires) < accounts.SessionTTL-time.Minute {
			t.Errorf("lifetime: max-age %d, expires %v; want the token's %v", c.MaxAge, c.Expires, accounts.SessionTTL)
		}
		rec = httptest.NewRecorder()
		Sessions{Secure: secure}.ClearSession(rec)
		c = rec.Result().Cookies()[0]
		if c.Name != SessionCookie || c.Value != "" || c.MaxAge >= 0 || c.Path != "/" || c.Secure != secure {
			t.Errorf("cleared cookie %+v", c)
		}
	}
}

func TestToken(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	if Token(r) != "" {
		t.Fatal("token without credentials")
	}
	r.AddCookie(&http.Cookie{Name: SessionCookie, Value: "from-cookie"})
	if got := Token(r); got != "from-cookie" {
		t.Fatalf("cookie token %q", got)
	}
	r.Header.Set("Authorization", "Bearer  from-header ")
	if got := (Sessions{}).Token(r); got != "from-header" {
		t.Fatalf("bearer token %q (the header wins)", got)
	}
}

func TestClientGone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	gone := httptest.NewRequest("GET", "/", nil).WithContext(ctx)
	live := httptest.NewRequest("GET", "/", nil)
	wrapped := &errs.Error{Code: errs.Internal, Err: fmt.Errorf("query: %w", context.Canceled)}
	if !ClientGone(gone, wrapped) || !ClientGone(gone, context.Canceled) {
		t.Error("a cancelled request's context error is not recognised")
	}
	if ClientGone(live, wrapped) {
		t.Error("context.Canceled from elsewhere while the client waits counts as gone")
	}
	if ClientGone(gone, errors.New("disk full")) {
		t.Error("a real failure of a cancelled request counts as gone")
	}
}

func TestNewLimits(t *testing.T) {
	l := NewLimits()
	now := time.Now()
	for i := 0; i < 5; i++ {
		if _, ok := l.Logins.Reserve("u", "192.0.2.1", now); !ok {
			t.Fatalf("login %d refused", i+1)
		}
	}
	if _, ok := l.Logins.Reserve("u", "192.0.2.1", now); ok {
		t.Fatal("6th login after 5 failures allowed")
	}
	if l.Submits == nil || l.Lookups == nil {
		t.Fatal("limits missing")
	}
}
