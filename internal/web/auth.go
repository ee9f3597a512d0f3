package web

import (
	"net/http"
	"strings"

	"whistle/internal/errs"
	"whistle/internal/httpx"
)

type loginData struct {
	Next string
	Demo []DemoLogin
}

func safeNext(n string) string {
	if strings.HasPrefix(n, "/") && !strings.HasPrefix(n, "//") && !strings.Contains(n, "\\") {
		return n
	}
	return ""
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
	token, _, err := s.svc.Accounts.Login(r.Context(), s.logins, username, password, clientIP(r))
	if err != nil {
		status := s.explain(p, err)
		s.render(w, status, "login", p)
		return
	}
	a, err := s.svc.Accounts.Authenticate(r.Context(), token)
	if err != nil {
		status := s.explain(p, err)
		s.render(w, status, "login", p)
		return
	}
	s.cookies.SetSession(w, token)
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
