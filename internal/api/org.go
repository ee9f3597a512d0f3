package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"whistle/internal/accounts"
	"whistle/internal/calendar"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/timelimit"
)

func readAll(r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errs.F(errs.TooLarge, "file")
		}
		return nil, errs.Wrap(err)
	}
	if int64(len(b)) > limit {
		return nil, errs.F(errs.TooLarge, "file")
	}
	return b, nil
}

func urlEscape(s string) string { return url.PathEscape(s) }

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
		TOTP     string `json:"totp"` // the two-step verification code (or a recovery code), when the user has it on
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	tok, u, err := s.svc.Accounts.LoginWithCode(r.Context(), s.limiter, in.Username, in.Password, in.TOTP, clientIP(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	setup, err := s.svc.Accounts.NeedsSetup(r.Context(), u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.cookies.SetSession(w, tok)
	writeJSON(w, 200, map[string]any{"token": tok, "user": u, "expires_in": int(accounts.SessionTTL.Seconds()), "totp_setup_required": setup})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if err := s.svc.Accounts.Logout(r.Context(), bearer(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	s.cookies.ClearSession(w)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, a org.Actor) {
	writeJSON(w, 200, map[string]any{"user": a.User, "unit": a.Unit, "district_id": a.DistrictID, "scope": org.ScopeOf(a)})
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in struct {
		Old string `json:"old_password"`
		New string `json:"new_password"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.svc.Accounts.ChangePassword(r.Context(), a, in.Old, in.New, s.hasher); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in struct {
		UserID int64  `json:"user_id"`
		Name   string `json:"name"`
		TOTP   string `json:"totp"` // the administrator's code, when they have two-step verification on
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	tok, err := s.svc.Accounts.CreateAPITokenWithCode(r.Context(), s.limiter, a, in.UserID, in.Name, in.TOTP, clientIP(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 201, map[string]any{"token": tok, "expires_in": int(accounts.APITokenTTL.Seconds())})
}

// auditLog: administrators only (the route's gate, and Admin.AuditLog).
func (s *Server) auditLog(w http.ResponseWriter, r *http.Request, a org.Actor) {
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	es, err := s.svc.Admin.AuditLog(r.Context(), a, before, 100)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"entries": es})
}

func (s *Server) listPlaces(w http.ResponseWriter, r *http.Request, a org.Actor) {
	ps, err := s.svc.AllPlaces(r.Context(), r.URL.Query().Get("boundaries") == "1")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if lvl := r.URL.Query().Get("level"); lvl != "" {
		out := ps[:0]
		for _, p := range ps {
			if p.Level == lvl {
				out = append(out, p)
			}
		}
		ps = out
	}
	writeJSON(w, 200, map[string]any{"places": ps})
}

func (s *Server) getPlace(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.svc.PlaceDetail(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, p)
}

func (s *Server) createPlace(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var p org.Place
	if err := decode(w, r, &p); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.svc.Admin.CreatePlace(r.Context(), a, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 201, p)
}

func (s *Server) putBoundary(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b, err := readAll(r, 16<<20)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.svc.Admin.SetPlaceBoundary(r.Context(), a, id, string(b)); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) locate(w http.ResponseWriter, r *http.Request, a org.Actor) {
	lat, err1 := strconv.ParseFloat(r.URL.Query().Get("lat"), 64)
	lon, err2 := strconv.ParseFloat(r.URL.Query().Get("lon"), 64)
	if err1 != nil || err2 != nil {
		s.fail(w, r, errs.F(errs.InvalidLocation, "lat"))
		return
	}
	loc, err := s.svc.Locate(lat, lon)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, loc)
}

func (s *Server) listUnits(w http.ResponseWriter, r *http.Request, a org.Actor) {
	writeJSON(w, 200, map[string]any{"units": s.svc.UnitsList()})
}

func (s *Server) createUnit(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var u org.Unit
	if err := decode(w, r, &u); err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.svc.Admin.CreateUnit(r.Context(), a, u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 201, u)
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, a org.Actor) {
	unit, _ := strconv.ParseInt(r.URL.Query().Get("unit_id"), 10, 64)
	us, err := s.svc.Admin.Users(r.Context(), a, unit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"users": us})
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in struct {
		org.User
		Password string `json:"password"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.svc.Admin.CreateUser(r.Context(), a, in.User, in.Password, s.hasher)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 201, u)
}

func (s *Server) disableUser(w http.ResponseWriter, r *http.Request, a org.Actor) {
	s.changeUser(w, r, a, s.svc.Admin.DisableUser)
}

func (s *Server) enableUser(w http.ResponseWriter, r *http.Request, a org.Actor) {
	s.changeUser(w, r, a, s.svc.Admin.EnableUser)
}

func (s *Server) changeUser(w http.ResponseWriter, r *http.Request, a org.Actor, change func(context.Context, org.Actor, int64) (org.User, error)) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := change(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, u)
}

func (s *Server) setRoles(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in struct {
		Roles []string `json:"roles"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.svc.Admin.SetRoles(r.Context(), a, id, in.Roles)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, u)
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ts, err := s.svc.Accounts.ListTokens(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"tokens": ts})
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.svc.Accounts.RevokeToken(r.Context(), a, id, r.PathValue("token")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listCategories(w http.ResponseWriter, r *http.Request, a org.Actor) {
	writeJSON(w, 200, map[string]any{"categories": s.svc.Categories()})
}

func (s *Server) putCategory(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var c org.Category
	if err := decode(w, r, &c); err != nil {
		s.fail(w, r, err)
		return
	}
	c.Code = r.PathValue("code")
	c, err := s.svc.Admin.PutCategory(r.Context(), a, c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, c)
}

func (s *Server) getPolicy(w http.ResponseWriter, r *http.Request, a org.Actor) {
	writeJSON(w, 200, s.svc.Policy())
}

func (s *Server) putPolicy(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var p timelimit.Policy
	if err := decode(w, r, &p); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.svc.Admin.SetPolicy(r.Context(), a, p); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, s.svc.Policy())
}

func (s *Server) getCalendar(w http.ResponseWriter, r *http.Request, a org.Actor) {
	year, err := strconv.Atoi(r.PathValue("year"))
	if err != nil {
		s.fail(w, r, errs.E(errs.NotFound))
		return
	}
	for _, y := range s.svc.Calendar().Years() {
		if y.Year == year {
			writeJSON(w, 200, y)
			return
		}
	}
	s.fail(w, r, errs.E(errs.NotFound))
}

func (s *Server) putCalendar(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var y calendar.Year
	if err := decode(w, r, &y); err != nil {
		s.fail(w, r, err)
		return
	}
	if strconv.Itoa(y.Year) != r.PathValue("year") {
		s.fail(w, r, &errs.Error{Code: errs.Invalid, Field: "year", Detail: "body year differs from the path"})
		return
	}
	if err := s.svc.Admin.LoadCalendarYear(r.Context(), a, y); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, y)
}

// deadline computes from + span on the calendar (a helper for clients).
func (s *Server) deadline(w http.ResponseWriter, r *http.Request, a org.Actor) {
	q := r.URL.Query()
	from := s.svc.Now()
	if v := q.Get("from"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			s.fail(w, r, &errs.Error{Code: errs.Invalid, Field: "from", Detail: "RFC 3339 time expected"})
			return
		}
		from = t
	}
	span, err := timelimit.ParseSpan(q.Get("span"))
	if err != nil {
		s.fail(w, r, &errs.Error{Code: errs.Invalid, Field: "span", Detail: err.Error()})
		return
	}
	due := span.From(s.svc.Calendar(), from).In(s.svc.Location())
	writeJSON(w, 200, map[string]any{"from": from.In(s.svc.Location()), "span": span.String(), "due": due, "workday": s.svc.Calendar().IsWorkday(from)})
}
