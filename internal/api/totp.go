package api

import (
	"net/http"

	"whistle/internal/org"
)

// Two-step verification (accounts/totp.go): the user's own, and the
// administrators' reset and required roles.

func (s *Server) totpStatus(w http.ResponseWriter, r *http.Request, a org.Actor) {
	st, err := s.svc.Accounts.Status(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, st)
}

// totpBegin makes a new secret: shown once, as text and as an otpauth://
// URI; it is on only after totpConfirm.
func (s *Server) totpBegin(w http.ResponseWriter, r *http.Request, a org.Actor) {
	en, err := s.svc.Accounts.BeginTOTP(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, 201, en)
}

func (s *Server) totpConfirm(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in struct {
		Code string `json:"code"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	codes, err := s.svc.Accounts.ConfirmTOTP(r.Context(), a, in.Code)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, 200, map[string]any{"recovery_codes": codes})
}

func (s *Server) totpDisable(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in struct {
		Code string `json:"code"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.svc.Accounts.DisableTOTP(r.Context(), s.limiter, a, in.Code, clientIP(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) totpReset(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.svc.Accounts.ResetTOTP(r.Context(), a, id); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) totpRequired(w http.ResponseWriter, r *http.Request, a org.Actor) {
	roles, err := s.svc.Accounts.RequiredRoles(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"required_roles": roles})
}

func (s *Server) putTOTPRequired(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in struct {
		Roles []string `json:"required_roles"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.svc.Accounts.SetRequiredRoles(r.Context(), a, in.Roles); err != nil {
		s.fail(w, r, err)
		return
	}
	s.totpRequired(w, r, a)
}
