package api_test

import (
	"testing"

	"whistle/internal/errs"
)

func TestAPIChangePassword(t *testing.T) {
	e := apiOpen(t, "")
	user := e.dispatcher
	apiRefused(t, e.apiDo(user, "POST", "/api/v1/me/password", map[string]any{"old_password": "wrong-one", "new_password": "a-new-password"}), 401, errs.BadCredentials)
	apiRefused(t, e.apiDo(user, "POST", "/api/v1/me/password", map[string]any{"old_password": "whistle-demo", "new_password": "short"}), 422, errs.Invalid)
	if r := e.apiDo(user, "POST", "/api/v1/me/password", map[string]any{"old_password": "whistle-demo", "new_password": "a-new-password"}); r.Status != 204 {
		t.Fatalf("change password: %s", r)
	}
	// The session used to change it has ended too.
	apiRefused(t, e.apiDo(user, "GET", "/api/v1/me", nil), 401, errs.Unauthenticated)
	apiRefused(t, e.apiDo("", "POST", "/api/v1/auth/login", map[string]any{"username": user, "password": "whistle-demo"}), 401, errs.BadCredentials)
	if r := e.apiDo("", "POST", "/api/v1/auth/login", map[string]any{"username": user, "password": "a-new-password"}); r.Status != 200 {
		t.Fatalf("login with the new password: %s", r)
	}
}
