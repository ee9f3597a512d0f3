package api_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/pgtest"
)

// userID finds a user's id in the admin's user list.
func (e *apiEnv) userID(username string) int64 {
	e.t.Helper()
	var out struct {
		Users []org.User `json:"users"`
	}
	apiWant(e.t, e.apiDo(e.admin, "GET", "/api/v1/users", nil), 200, &out)
	for _, u := range out.Users {
		if u.Username == username {
			return u.ID
		}
	}
	e.t.Fatalf("no user %s", username)
	return 0
}

type apiTokenInfo struct {
	ID, Kind, Name string
	UserID         int64 `json:"user_id"`
}

func (e *apiEnv) mintToken(userID int64, name string) string {
	e.t.Helper()
	var out struct {
		Token string `json:"token"`
	}
	apiWant(e.t, e.apiDo(e.admin, "POST", "/api/v1/tokens", map[string]any{"user_id": userID, "name": name}), 201, &out)
	return out.Token
}

func (e *apiEnv) withToken(tok, method, path string) apiResp {
	e.t.Helper()
	return e.apiDo("", method, path, nil, "Authorization", "Bearer "+tok)
}

// Administrators disable and enable users and set their roles; tokens are
// listed without secrets and revoked; a disabled user's cached session ends
// at once; a password change ends the user's API tokens too.
func TestAPIUsersAndTokens(t *testing.T) {
	e := apiOpen(t, "")
	disp := e.userID(e.dispatcher)
	adminID := e.userID(e.admin)
	base := fmt.Sprintf("/api/v1/users/%d", disp)

	// A session (cached by use) and an API token of the dispatcher.
	apiWant(t, e.apiDo(e.dispatcher, "GET", "/api/v1/me", nil), 200, nil)
	apiTok := e.mintToken(disp, "robot")
	apiWant(t, e.withToken(apiTok, "GET", "/api/v1/me"), 200, nil)

	// Listing: kinds and names, never the secret nor its whole hash.
	r := e.apiDo(e.admin, "GET", base+"/tokens", nil)
	var list struct {
		Tokens []apiTokenInfo `json:"tokens"`
	}
	apiWant(t, r, 200, &list)
	var apiID string
	for _, tk := range list.Tokens {
		if tk.Kind == "api" && tk.Name == "robot" {
			apiID = tk.ID
		}
		if tk.UserID != disp || len(tk.ID) != 16 {
			t.Errorf("token %+v", tk)
		}
	}
	if apiID == "" || len(list.Tokens) < 2 || strings.Contains(string(r.Body), apiTok) {
		t.Fatalf("tokens: %s", r.Body)
	}
	apiWant(t, e.apiDo(e.dispatcher, "GET", base+"/tokens", nil), 200, nil) // one's own
	apiRefused(t, e.apiDo(e.agent, "GET", base+"/tokens", nil), 403, errs.Forbidden)
	apiRefused(t, e.apiDo(e.agent, "DELETE", base+"/tokens/"+apiID, nil), 403, errs.Forbidden)

	// Revoking ends the token at once.
	if r := e.apiDo(e.admin, "DELETE", base+"/tokens/"+apiID, nil); r.Status != 204 {
		t.Fatalf("revoke: %s", r)
	}
	apiRefused(t, e.withToken(apiTok, "GET", "/api/v1/me"), 401, errs.Unauthenticated)
	apiRefused(t, e.apiDo(e.admin, "DELETE", base+"/tokens/"+apiID, nil), 404, errs.NotFound)

	// Only admins manage users; nobody disables themself.
	apiRefused(t, e.apiDo(e.agent, "POST", base+"/disable", nil), 403, errs.Forbidden)
	apiRefused(t, e.apiDo(e.admin, "POST", fmt.Sprintf("/api/v1/users/%d/disable", adminID), nil), 403, errs.Forbidden)
	apiRefused(t, e.apiDo(e.admin, "POST", "/api/v1/users/999999/disable", nil), 404, errs.NotFound)

	// Disabling ends the dispatcher's cached session and any API token at once.
	apiTok = e.mintToken(disp, "robot-2")
	apiWant(t, e.withToken(apiTok, "GET", "/api/v1/me"), 200, nil)
	var u org.User
	apiWant(t, e.apiDo(e.admin, "POST", base+"/disable", nil), 200, &u)
	if !u.Disabled {
		t.Fatalf("disable: %+v", u)
	}
	apiRefused(t, e.apiDo(e.dispatcher, "GET", "/api/v1/me", nil), 401, errs.Unauthenticated)
	apiRefused(t, e.withToken(apiTok, "GET", "/api/v1/me"), 401, errs.Unauthenticated)
	apiRefused(t, e.apiDo("", "POST", "/api/v1/auth/login", map[string]any{"username": e.dispatcher, "password": "whistle-demo"}), 401, errs.BadCredentials)

	// Enabled again, the user logs in (old tokens stay revoked).
	apiWant(t, e.apiDo(e.admin, "POST", base+"/enable", nil), 200, &u)
	apiRefused(t, e.withToken(apiTok, "GET", "/api/v1/me"), 401, errs.Unauthenticated)
	e.mu.Lock()
	delete(e.tokens, e.dispatcher)
	e.mu.Unlock()
	apiWant(t, e.apiDo(e.dispatcher, "GET", "/api/v1/me", nil), 200, nil)

	// Roles: checked, and effective at once for a cached session.
	apiRefused(t, e.apiDo(e.admin, "PUT", base+"/roles", map[string]any{"roles": []string{"pope"}}), 422, errs.Invalid)
	apiRefused(t, e.apiDo(e.admin, "PUT", base+"/roles", map[string]any{"roles": []string{}}), 422, errs.FieldRequired)
	apiWant(t, e.apiDo(e.admin, "PUT", base+"/roles", map[string]any{"roles": []string{org.RoleAnalyst, org.RoleAnalyst}}), 200, &u)
	if !slices.Equal(u.Roles, []string{org.RoleAnalyst}) {
		t.Fatalf("roles: %v", u.Roles)
	}
	var me struct {
		User org.User `json:"user"`
	}
	apiWant(t, e.apiDo(e.dispatcher, "GET", "/api/v1/me", nil), 200, &me)
	if !slices.Equal(me.User.Roles, []string{org.RoleAnalyst}) {
		t.Fatalf("roles seen by the cached session: %v", me.User.Roles)
	}

	// The last enabled administrator keeps the role and cannot be disabled.
	var all struct {
		Users []org.User `json:"users"`
	}
	apiWant(t, e.apiDo(e.admin, "GET", "/api/v1/users", nil), 200, &all)
	for _, o := range all.Users {
		if o.ID != adminID && o.Has(org.RoleAdmin) && !o.Disabled {
			apiWant(t, e.apiDo(e.admin, "POST", fmt.Sprintf("/api/v1/users/%d/disable", o.ID), nil), 200, nil)
		}
	}
	apiRefused(t, e.apiDo(e.admin, "PUT", fmt.Sprintf("/api/v1/users/%d/roles", adminID), map[string]any{"roles": []string{org.RoleAnalyst}}), 409, errs.Conflict)

	// The audit log has each change.
	var audit struct {
		Entries []struct {
			Action string `json:"action"`
		} `json:"entries"`
	}
	apiWant(t, e.apiDo(e.admin, "GET", "/api/v1/audit", nil), 200, &audit)
	seen := map[string]bool{}
	for _, en := range audit.Entries {
		seen[en.Action] = true
	}
	for _, a := range []string{"revoke_token", "disable_user", "enable_user", "set_roles"} {
		if !seen[a] {
			t.Errorf("audit log lacks %s", a)
		}
	}

	// A password change ends the user's API tokens, not only sessions.
	agentTok := e.mintToken(e.userID(e.agent), "agent-robot")
	apiWant(t, e.withToken(agentTok, "GET", "/api/v1/me"), 200, nil)
	if r := e.apiDo(e.agent, "POST", "/api/v1/me/password", map[string]any{"old_password": "whistle-demo", "new_password": "a-new-password"}); r.Status != 204 {
		t.Fatalf("change password: %s", r)
	}
	apiRefused(t, e.withToken(agentTok, "GET", "/api/v1/me"), 401, errs.Unauthenticated)
}

// A NUL (or another control character) in a JSON string, a path segment or
// a query parameter is a 422 invalid before any look-up; on PostgreSQL it
// used to be a 500.
func TestAPIControlCharacters(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { apiControlSuite(t, apiOpen(t, "")) })
	t.Run("postgres", func(t *testing.T) { apiControlSuite(t, apiOpen(t, pgtest.NewDatabase(t))) })
}

func apiControlSuite(t *testing.T, e *apiEnv) {
	apiRefused(t, e.apiDo("", "POST", "/api/v1/auth/login", `{"username":"ad\u0000min","password":"whistle-demo"}`), 422, errs.Invalid)
	apiRefused(t, e.apiDo("", "POST", "/api/v1/auth/login", `{"username":"admin","password":"whistle-demo\u0000"}`), 422, errs.Invalid)
	apiRefused(t, e.apiDo("", "POST", "/api/v1/public/lookup", `{"number":"2026\u00000001","phone":"13700000000"}`), 422, errs.Invalid)
	apiRefused(t, e.apiDo(e.dispatcher, "GET", "/api/v1/case-numbers/2026%000001", nil), 422, errs.Invalid)
	apiRefused(t, e.apiDo(e.dispatcher, "GET", "/api/v1/cases?phone=137%00", nil), 422, errs.Invalid)
	apiRefused(t, e.apiDo(e.dispatcher, "GET", "/api/v1/knowledge?q=%00", nil), 422, errs.Invalid)
	b := apiRefused(t, e.apiDo(e.admin, "POST", "/api/v1/users", `{"username":"x","display_name":"a\u001bb","unit_id":1,"roles":["agent"],"password":"long-enough"}`), 422, errs.Invalid)
	if b.Field != "display_name" {
		t.Errorf("field %q, want display_name", b.Field)
	}
	// Tabs and newlines in text are fine.
	apiWant(t, e.apiDo(e.dispatcher, "GET", "/api/v1/knowledge?q=a%09b%0A", nil), 200, nil)
}
