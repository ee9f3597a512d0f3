package httpx

import (
	"net/http"
	"strings"
)

// ContentSecurityPolicy is sent with every response. Scripts come only from
// this site's files (no inline script, no event-handler attributes, no
// eval: htmx is configured with allowEval false), nothing may frame the
// pages, and forms post only here.
//
// Styles: style sheets come only from this site (style-src 'self', so an
// injected <style> element does nothing), but style attributes are allowed
// (style-src-attr 'unsafe-inline'): ECharts builds its HTML tooltips with
// style="" attributes and a few templates size maps and charts that way. A
// style attribute cannot run script nor select other elements, so it cannot
// read the page the way an injected style sheet can.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; " +
	"img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; " +
	"form-action 'self'; frame-ancestors 'none'"

// HSTS is sent with responses to requests that came over HTTPS.
const HSTS = "max-age=31536000; includeSubDomains"

// Transport says how to tell that a request came over HTTPS, and whether
// cookies are marked Secure regardless.
type Transport struct {
	// TrustProxy: believe X-Forwarded-Proto (set it only when a reverse
	// proxy that overwrites the header stands in front of every node).
	TrustProxy bool
	// SecureCookies marks every cookie Secure, whatever the request came over
	// (config secure_cookies).
	SecureCookies bool
}

// HTTPS reports whether r came over TLS: to this process, or to a trusted
// proxy that says so in X-Forwarded-Proto (its first value).
func (t Transport) HTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if !t.TrustProxy {
		return false
	}
	proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	return strings.EqualFold(strings.TrimSpace(proto), "https")
}

// SecurityHeaders wraps h, applied once around both front ends: every
// response gets the Content-Security-Policy, Referrer-Policy same-origin,
// X-Content-Type-Options nosniff, X-Frame-Options DENY (for browsers
// without frame-ancestors) and, over HTTPS, Strict-Transport-Security; and
// every cookie set by h is marked Secure when the request came over HTTPS
// (or t.SecureCookies says always).
func (t Transport) SecurityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", ContentSecurityPolicy)
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		https := t.HTTPS(r)
		if https {
			hd.Set("Strict-Transport-Security", HSTS)
		}
		if https || t.SecureCookies {
			w = &secureCookies{ResponseWriter: w}
		}
		h.ServeHTTP(w, r)
	})
}

// secureCookies adds the Secure attribute to every Set-Cookie header just
// before the header is written, so that every cookie (session, language)
// is decided in one place whichever handler set it.
type secureCookies struct {
	http.ResponseWriter
	done bool
}

func (s *secureCookies) mark() {
	if s.done {
		return
	}
	s.done = true
	cs := s.ResponseWriter.Header()["Set-Cookie"]
	for i, c := range cs {
		if !hasSecure(c) {
			cs[i] = c + "; Secure"
		}
	}
}

func hasSecure(cookie string) bool {
	for _, part := range strings.Split(cookie, ";")[1:] {
		if strings.EqualFold(strings.TrimSpace(part), "Secure") {
			return true
		}
	}
	return false
}

func (s *secureCookies) WriteHeader(code int) { s.mark(); s.ResponseWriter.WriteHeader(code) }
func (s *secureCookies) Write(b []byte) (int, error) {
	s.mark()
	return s.ResponseWriter.Write(b)
}

// Flush keeps streaming responses streaming.
func (s *secureCookies) Flush() {
	s.mark()
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (s *secureCookies) Unwrap() http.ResponseWriter { return s.ResponseWriter }
