package web

import (
	"net/http"
	"strings"

	"whistle/internal/accounts"
	"whistle/internal/errs"
	"whistle/internal/org"
)

// The account page: the user's own two-step verification (TOTP).

type accountData struct {
	Status    accounts.TOTPStatus
	Enrolment *accounts.Enrolment // a new secret, shown once
	Recovery  []string            // the recovery codes, shown once
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "totp.title")
	s.renderAccount(w, p, a, 200, accountData{})
}

// renderAccount shows the page with the current status and d's one-time
// content.
func (s *Server) renderAccount(w http.ResponseWriter, p *page, a org.Actor, status int, d accountData) {
	st, err := s.svc.Accounts.Status(p.ctx, a)
	if err != nil {
		status = s.explain(p, err)
	}
	d.Status = st
	p.Data = d
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, status, "account", p)
}

// accountTOTPBegin makes a new secret and shows it with the form that
// confirms it.
func (s *Server) accountTOTPBegin(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "totp.title")
	en, err := s.svc.Accounts.BeginTOTP(r.Context(), a)
	if err != nil {
		s.renderAccount(w, p, a, s.explain(p, err), accountData{})
		return
	}
	s.renderAccount(w, p, a, 200, accountData{Enrolment: &en})
}

// accountTOTPConfirm turns the new secret on with one code and shows the
// recovery codes once.
func (s *Server) accountTOTPConfirm(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "totp.title")
	if err := r.ParseForm(); err != nil {
		p.Err = s.cat.T(p.Lang, "error.bad_form")
		s.renderAccount(w, p, a, 400, accountData{})
		return
	}
	codes, err := s.svc.Accounts.ConfirmTOTP(r.Context(), a, strings.TrimSpace(r.PostFormValue("totp")))
	if err != nil {
		status := s.explain(p, err)
		if errs.Is(err, errs.TOTPInvalid) {
			// A wrong code on a signed-in user's form: not a 401.
			p.Fields["totp"], p.Err, status = errs.Message(errs.TOTPInvalid, p.Lang), s.cat.T(p.Lang, "totp.try_again"), http.StatusUnprocessableEntity
		}
		s.renderAccount(w, p, a, status, accountData{})
		return
	}
	p.Flash = s.cat.T(p.Lang, "totp.enabled")
	s.renderAccount(w, p, a, 200, accountData{Recovery: codes})
}

// accountTOTPDisable turns it off with a current code.
func (s *Server) accountTOTPDisable(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "totp.title")
	if err := r.ParseForm(); err != nil {
		p.Err = s.cat.T(p.Lang, "error.bad_form")
		s.renderAccount(w, p, a, 400, accountData{})
		return
	}
	if err := s.svc.Accounts.DisableTOTP(r.Context(), s.logins, a, strings.TrimSpace(r.PostFormValue("totp")), clientIP(r)); err != nil {
		status := s.explain(p, err)
		if errs.Is(err, errs.TOTPInvalid) || errs.Is(err, errs.TOTPRequired) {
			status = http.StatusUnprocessableEntity // a signed-in user's form: not a 401
		}
		s.renderAccount(w, p, a, status, accountData{})
		return
	}
	http.Redirect(w, r, withFlash("/account", s.cat.T(p.Lang, "totp.disabled")), http.StatusSeeOther)
}

// accountPassword changes the signed-in user's own password (the old one
// first, the new one twice). The change ends every session of the user,
// this one too: the next page is the login, with the new password.
func (s *Server) accountPassword(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "totp.title")
	if err := r.ParseForm(); err != nil {
		p.Err = s.cat.T(p.Lang, "error.bad_form")
		s.renderAccount(w, p, a, 400, accountData{})
		return
	}
	old, next := r.PostFormValue("old_password"), r.PostFormValue("new_password")
	for _, f := range []string{"old_password", "new_password", "new_password2"} {
		if r.PostFormValue(f) == "" {
			p.Fields[f] = errs.Message(errs.FieldRequired, p.Lang)
		}
	}
	if len(p.Fields) == 0 && next != r.PostFormValue("new_password2") {
		p.Fields["new_password2"] = s.cat.T(p.Lang, "account.mismatch")
	}
	if len(p.Fields) > 0 {
		p.Err = s.cat.T(p.Lang, "form.check_fields")
		s.renderAccount(w, p, a, http.StatusUnprocessableEntity, accountData{})
		return
	}
	if err := s.svc.Accounts.ChangePassword(r.Context(), a, old, next, s.hasher); err != nil {
		status := s.explain(p, err)
		if errs.Is(err, errs.BadCredentials) {
			status = http.StatusUnprocessableEntity // a signed-in user's form: not a 401
		}
		s.renderAccount(w, p, a, status, accountData{})
		return
	}
	s.cookies.ClearSession(w)
	http.Redirect(w, r, withFlash("/login", s.cat.T(p.Lang, "account.password_changed")), http.StatusSeeOther)
}
