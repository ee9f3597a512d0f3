// Package httpx holds the HTTP concerns that Whistle's two front ends — the
// JSON API (internal/api) and the server-rendered pages (internal/web) —
// must decide alike: the session cookie (name, flags and lifetime), the
// rate limits on logins and citizen submissions and look-ups (one set,
// shared, so that using both front ends does not double an allowance), the
// user's language, and how a request the client gave up on is answered.
package httpx

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"golang.org/x/text/language"

	"whistle/internal/accounts"
	"whistle/internal/auth"
)

// SessionCookie is the name of the session cookie (API and pages alike).
const SessionCookie = "whistle_session"

// LangCookie is the name of the cookie that keeps the language chosen on the pages.
const LangCookie = "whistle_lang"

// Sessions decides the session cookie: HttpOnly, SameSite=Lax, Path=/, a
// lifetime of accounts.SessionTTL (the token's own), and Secure when the node
// is served behind HTTPS.
type Sessions struct {
	Secure bool // mark the cookie Secure (config secure_cookies)
}

// SetSession sets the session cookie to token.
func (s Sessions) SetSession(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.Secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(accounts.SessionTTL.Seconds()), Expires: time.Now().Add(accounts.SessionTTL)})
}

// ClearSession deletes the session cookie.
func (s Sessions) ClearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: s.Secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// Token returns the request's bearer token ("Authorization: Bearer …"), or
// else the session cookie's value, or "".
func (s Sessions) Token(r *http.Request) string { return Token(r) }

// Token returns the request's bearer token ("Authorization: Bearer …"), or
// else the session cookie's value, or "".
func Token(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		return c.Value
	}
	return ""
}

// Limits are the rate limits both front ends share: a failed login on the
// pages counts against the same allowance as one over the API.
type Limits struct {
	Logins  *auth.LoginLimiter // login tries per user and address, user, address and network
	Submits *auth.Limiter      // citizen submissions per address
	Lookups *auth.Limiter      // failed citizen look-ups per address
	Open    *auth.Limiter      // open-data requests per address
}

// NewLimits returns Whistle's limits: 5 failed logins per user and address
// in 15 minutes (20 per user, 50 per address, 200 per /24 or /64 network;
// each try counted before its password is checked, taken back if it
// succeeds), 60 submissions per address an hour, 20 failed look-ups per
// address in 15 minutes, 30 open-data requests per address a minute. Build them once per node and give them to both
// front ends.
func NewLimits() *Limits {
	return &Limits{
		Logins:  auth.NewLoginLimiter(5, 15*time.Minute),
		Submits: auth.NewLimiter(60, time.Hour),
		Lookups: auth.NewLimiter(20, 15*time.Minute),
		Open:    auth.NewLimiter(30, time.Minute),
	}
}

// The languages Whistle speaks, Simplified Chinese (mainland) first: it is
// the answer when nothing better matches.
var (
	langTags    = []language.Tag{language.MustParse("zh-Hans-CN"), language.English}
	langCodes   = []string{"zh", "en"}
	langMatcher = language.NewMatcher(langTags)
)

// Lang returns the request's language, "zh" or "en": ?lang= first, then
// the pages' language cookie, then Accept-Language (q-values respected),
// else zh.
func Lang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l != "" {
		return NormLang(l)
	}
	if c, err := r.Cookie(LangCookie); err == nil && c.Value != "" {
		return NormLang(c.Value)
	}
	return AcceptLang(r.Header.Get("Accept-Language"))
}

// NormLang maps a language tag ("en", "en-GB", "zh-CN", junk) to "zh" or "en".
func NormLang(tag string) string {
	t, err := language.Parse(strings.TrimSpace(tag))
	if err != nil {
		return langCodes[0]
	}
	return match(t)
}

// AcceptLang picks "zh" or "en" from an Accept-Language header.
func AcceptLang(header string) string {
	if strings.TrimSpace(header) == "" {
		return langCodes[0]
	}
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return langCodes[0]
	}
	return match(tags...)
}

// match asks the matcher; with no confidence at all (fr, de, ja…) the
// matcher still names a tag, but the answer is then the default, zh.
func match(tags ...language.Tag) string {
	_, i, conf := langMatcher.Match(tags...)
	if conf == language.No {
		return langCodes[0]
	}
	return langCodes[i]
}

// StatusClientClosed is recorded for requests the client gave up on (nginx's 499).
const StatusClientClosed = 499

// ClientGone reports whether err only means that the client gave up on r:
// its context was cancelled. Such a request is no server error — log it at
// debug, record StatusClientClosed, and write nothing useful.
func ClientGone(r *http.Request, err error) bool {
	return errors.Is(err, context.Canceled) && r.Context().Err() != nil
}
