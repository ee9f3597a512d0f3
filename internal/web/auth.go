package web

import (
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"whistle/internal/errs"
	"whistle/internal/httpx"
)

type loginData struct {
	Next    string
	Demo    []DemoLogin
	Pending string // the second step: the signed pending login (password checked)
}

// safeNext returns n if it is a path on this site, else "". Browsers drop
// tabs and newlines from URLs and read a backslash as a slash, so "/\t/evil"
// and "/\\evil" lead to another host as "//evil" does: only a path that
// starts with a single slash and holds no control character, space or
// backslash passes, and its percent-decoded form must not start with two
// slashes nor hold a backslash or control character either; url.Parse must
// then read it without scheme or host.
func safeNext(n string) string {
	if n == "" || len(n) > 2048 || !strings.HasPrefix(n, "/") {
		return ""
	}
	for _, c := range n {
		if c <= ' ' || c == 0x7f || c == '\\' || unicode.IsControl(c) || unicode.IsSpace(c) {
			return ""
		}
	}
	d := unescaped(n)
	if strings.HasPrefix(d, "//") || strings.ContainsRune(d, '\\') {
		return ""
	}
	for _, c := range d {
		if unicode.IsControl(c) {
			return ""
		}
	}
	u, err := url.Parse(n)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return ""
	}
	return n
}

// unescaped decodes percent-encodings a few rounds, until nothing changes
// or what is left is no valid encoding (which browsers leave as it is).
func unescaped(s string) string {
	for range 3 {
		d, err := url.PathUnescape(s)
		if err != nil || d == s {
			break
		}
		s = d
	}
	return s
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil, "login.title")
	d := loginData{Next: safeNext(r.URL.Query().Get("next"))}
	if ls := s.demo.Load(); ls != nil {
		d.Demo = *ls
	}
	p.Data = d
	s.render(w, 200, "login", p)
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil, "login.title")
	if err := r.ParseForm(); err != nil {
		p.Err = s.cat.T(p.Lang, "error.bad_form")
		s.render(w, 400, "login", p)
		return
	}
	p.Form.Set("username", r.PostFormValue("username"))
	next := safeNext(r.PostFormValue("next"))
	p.Data = loginData{Next: next}
	username, password := strings.TrimSpace(r.PostFormValue("username")), r.PostFormValue("password")
	if username == "" {
		p.Fields["username"] = errs.Message(errs.FieldRequired, p.Lang)
	}
	if password == "" {
		p.Fields["password"] = errs.Message(errs.FieldRequired, p.Lang)
	}
	if len(p.Fields) > 0 {
		p.Err = s.cat.T(p.Lang, "form.check_fields")
		s.render(w, 422, "login", p)
		return
	}
	token, _, pending, err := s.svc.Accounts.LoginStart(r.Context(), s.logins, username, password, clientIP(r))
	if errs.Is(err, errs.TOTPRequired) && pending != "" {
		// The password was right: ask for the code (no session yet).
		p.Data = loginData{Next: next, Pending: pending}
		s.render(w, 200, "login", p)
		return
	}
	if err != nil {
		if errs.Is(err, errs.Busy) {
			w.Header().Set("Retry-After", "1")
		}
		status := s.explain(p, err)
		s.render(w, status, "login", p)
		return
	}
	s.signedIn(w, r, p, token, next)
}

// loginCode is the second step of a login with two-step verification: the
// pending state from the first step and a code (or a recovery code).
func (s *Server) loginCode(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil, "login.title")
	if err := r.ParseForm(); err != nil {
		p.Err = s.cat.T(p.Lang, "error.bad_form")
		s.render(w, 400, "login", p)
		return
	}
	next := safeNext(r.PostFormValue("next"))
	pending, code := r.PostFormValue("pending"), strings.TrimSpace(r.PostFormValue("totp"))
	p.Data = loginData{Next: next, Pending: pending}
	if code == "" {
		p.Fields["totp"] = errs.Message(errs.FieldRequired, p.Lang)
		p.Err = s.cat.T(p.Lang, "form.check_fields")
		s.render(w, 422, "login", p)
		return
	}
	token, _, err := s.svc.Accounts.LoginPending(r.Context(), s.logins, pending, code, clientIP(r))
	if errs.Is(err, errs.Unauthenticated) { // forged, expired or stale: start again
		p.Data = loginData{Next: next}
		p.Err = s.cat.T(p.Lang, "totp.login_again")
		s.render(w, 401, "login", p)
		return
	}
	if err != nil {
		status := s.explain(p, err)
		s.render(w, status, "login", p)
		return
	}
	s.signedIn(w, r, p, token, next)
}

// signedIn sets the session cookie and sends the user on: to next, to
// their home page, or to the account page when one of their roles must
// use two-step verification and they have not turned it on.
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request, p *page, token, next string) {
	a, err := s.svc.Accounts.Authenticate(r.Context(), token)
	if err != nil {
		status := s.explain(p, err)
		s.render(w, status, "login", p)
		return
	}
	s.cookies.SetSession(w, token)
	if need, err := s.svc.Accounts.NeedsSetup(r.Context(), a.User); err == nil && need {
		http.Redirect(w, r, withFlash("/account", s.cat.T(p.Lang, "totp.must_setup")), http.StatusSeeOther)
		return
	}
	if next == "" {
		next = homeFor(a)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if token := s.cookies.Token(r); token != "" {
		_ = s.svc.Accounts.Logout(r.Context(), token)
	}
	s.cookies.ClearSession(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (s *Server) setLang(w http.ResponseWriter, r *http.Request) {
	l := httpx.NormLang(r.PathValue("lang"))
	http.SetCookie(w, &http.Cookie{Name: httpx.LangCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode})
	back := safeNext(r.URL.Query().Get("back"))
	if back == "" {
		back = "/"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}
