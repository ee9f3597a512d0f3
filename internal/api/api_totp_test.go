package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"whistle/internal/auth"
	"whistle/internal/errs"
)

// TestAPITOTP: over real HTTP, a dispatcher turns two-step verification
// on; POST /api/v1/auth/login then answers 401 totp_required without a
// code and totp_invalid with a wrong or replayed one (messages in the
// caller's language), 200 with a fresh code or an unused recovery code;
// an administrator resets it, after which the password alone works again.
func TestAPITOTP(t *testing.T) {
	e := apiOpen(t, "")
	user := e.dispatcher
	login := func(code string, hdr ...string) apiResp {
		body := map[string]any{"username": user, "password": "whistle-demo"}
		if code != "" {
			body["totp"] = code
		}
		return e.apiDo("", "POST", "/api/v1/auth/login", body, hdr...)
	}

	var en struct{ Secret, URI string }
	apiWant(t, e.apiDo(user, "POST", "/api/v1/me/totp", nil), 201, &en)
	if en.Secret == "" || !strings.HasPrefix(en.URI, "otpauth://totp/") {
		t.Fatalf("enrolment %+v", en)
	}
	code := func(at time.Time) string {
		c, err := auth.TOTPCode(en.Secret, at)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	wrong := "000000"
	for _, w := range []string{"000000", "111111", "222222"} {
		if _, ok := auth.MatchTOTP(en.Secret, w, time.Now()); !ok {
			wrong = w
			break
		}
	}
	apiRefused(t, e.apiDo(user, "POST", "/api/v1/me/totp/confirm", map[string]any{"code": wrong}), 401, errs.TOTPInvalid)
	var conf struct {
		Recovery []string `json:"recovery_codes"`
	}
	apiWant(t, e.apiDo(user, "POST", "/api/v1/me/totp/confirm", map[string]any{"code": code(time.Now())}), 200, &conf)
	if len(conf.Recovery) != 8 {
		t.Fatalf("recovery codes %v", conf.Recovery)
	}

	b := apiRefused(t, login("", "Accept-Language", "en"), 401, errs.TOTPRequired)
	if !strings.Contains(b.Message, "verification code") {
		t.Errorf("english message %q", b.Message)
	}
	b = apiRefused(t, login(wrong, "Accept-Language", "zh-CN"), 401, errs.TOTPInvalid)
	if !strings.Contains(b.Message, "验证码") {
		t.Errorf("chinese message %q", b.Message)
	}
	next := code(time.Now().Add(30 * time.Second)) // the next step: later than the one that confirmed
	var out struct {
		Token string `json:"token"`
	}
	apiWant(t, login(next), 200, &out)
	if out.Token == "" {
		t.Fatal("no token")
	}
	apiRefused(t, login(next), 401, errs.TOTPInvalid) // replayed
	apiWant(t, login(conf.Recovery[0]), 200, &out)
	apiRefused(t, login(conf.Recovery[0]), 401, errs.TOTPInvalid)

	var st struct {
		Active       bool `json:"active"`
		RecoveryLeft int  `json:"recovery_left"`
	}
	apiWant(t, e.apiDo(user, "GET", "/api/v1/me/totp", nil), 200, &st)
	if !st.Active || st.RecoveryLeft != 7 {
		t.Errorf("status %+v", st)
	}

	// Reset by the administrator (a dispatcher may not).
	var me struct {
		User struct {
			ID int64 `json:"id"`
		} `json:"user"`
	}
	apiWant(t, e.apiDo(user, "GET", "/api/v1/me", nil), 200, &me)
	reset := fmt.Sprintf("/api/v1/users/%d/totp/reset", me.User.ID)
	apiRefused(t, e.apiDo(user, "POST", reset, nil), 403, errs.Forbidden)
	if r := e.apiDo(e.admin, "POST", reset, nil); r.Status != 204 {
		t.Fatalf("reset: %s", r)
	}
	apiWant(t, login(""), 200, &out)

	// Required of dispatchers: the login says the user must set it up.
	var req struct {
		Roles []string `json:"required_roles"`
	}
	apiRefused(t, e.apiDo(e.admin, "PUT", "/api/v1/settings/totp", map[string]any{"required_roles": []string{"nosuch"}}), 422, errs.Invalid)
	apiWant(t, e.apiDo(e.admin, "PUT", "/api/v1/settings/totp", map[string]any{"required_roles": []string{"dispatcher", "admin"}}), 200, &req)
	if strings.Join(req.Roles, ",") != "admin,dispatcher" {
		t.Errorf("required roles %v", req.Roles)
	}
	var lo struct {
		Setup bool `json:"totp_setup_required"`
	}
	apiWant(t, login(""), 200, &lo)
	if !lo.Setup {
		t.Error("login does not say two-step verification must be set up")
	}
}
