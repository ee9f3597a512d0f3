package accounts

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"whistle/internal/audit"
	"whistle/internal/auth"
	"whistle/internal/core"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/pgtest"
	"whistle/internal/sealed"
	"whistle/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// totpEnv is an accounts service on one backend, with a clock the test
// moves, keys that seal, an agent "agent" and an administrator "admin"
// (both password "right-password").
type totpEnv struct {
	s      *Service
	st     *store.Store
	driver string
	dsn    string
	now    time.Time
	agent  org.Actor
	admin  org.Actor
}

func newTOTPEnv(t *testing.T, backend string) *totpEnv {
	t.Helper()
	ctx := t.Context()
	e := &totpEnv{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	switch backend {
	case "sqlite":
		e.driver, e.dsn = "sqlite", filepath.Join(t.TempDir(), "w.db")
	case "postgres":
		e.driver, e.dsn = "pgx", pgtest.NewDatabase(t)
	}
	ring, err := sealed.NewRing("k1", []sealed.Key{{ID: "k1", Secret: sealed.NewSecret()}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, e.dsn, store.Options{SQLiteSync: "normal", Keys: ring})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c, err := core.New(ctx, st, core.Config{PhoneKey: []byte("totp-test-key"), Now: func() time.Time { return e.now }})
	if err != nil {
		t.Fatal(err)
	}
	e.s, e.st = New(c), st
	hash, err := auth.FastHasher().Hash("right-password")
	if err != nil {
		t.Fatal(err)
	}
	err = st.Write(ctx, func(tx *store.Tx) error {
		city := org.Place{Level: org.LevelCity, Code: "city", Name: "本市"}
		if err := tx.InsertPlace(ctx, &city); err != nil {
			return err
		}
		centre := org.Unit{Code: "centre", Name: "中心", Kind: org.KindCityCentre, PlaceID: city.ID}
		if err := tx.InsertUnit(ctx, &centre); err != nil {
			return err
		}
		e.agent.User = org.User{Username: "agent", DisplayName: "话务员", UnitID: centre.ID, Roles: []string{org.RoleAgent}}
		e.admin.User = org.User{Username: "admin", DisplayName: "管理员", UnitID: centre.ID, Roles: []string{org.RoleAdmin}}
		for _, u := range []*org.User{&e.agent.User, &e.admin.User} {
			if err := tx.InsertUser(ctx, u, hash, e.now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *totpEnv) code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := auth.TOTPCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// auditActions lists the audit log's actions, oldest first.
func (e *totpEnv) auditActions(t *testing.T) []audit.Entry {
	t.Helper()
	es, err := e.st.AuditLog(t.Context(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(es)-1; i < j; i, j = i+1, j-1 {
		es[i], es[j] = es[j], es[i]
	}
	return es
}

func hasAction(es []audit.Entry, action, target string) bool {
	for _, e := range es {
		if e.Action == action && e.Target == target {
			return true
		}
	}
	return false
}

func backends(t *testing.T, f func(t *testing.T, backend string)) {
	for _, b := range []string{"sqlite", "postgres"} {
		t.Run(b, func(t *testing.T) { f(t, b) })
	}
}

// TestTOTPEnrolAndLogin: enrol, confirm, then a login needs the code —
// without it totp_required, a wrong one totp_invalid, a replayed one
// totp_invalid, a code one step old or ahead is accepted; a recovery code
// works once; the secret is sealed at rest; enable is audited.
func TestTOTPEnrolAndLogin(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		ctx := t.Context()
		e := newTOTPEnv(t, backend)
		s := e.s
		lim := auth.NewLoginLimiter(100, time.Hour)
		const ip = "192.0.2.7"

		en, err := s.BeginTOTP(ctx, e.agent)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(en.URI, "otpauth://totp/Whistle:agent?") || !strings.Contains(en.URI, "secret="+en.Secret) {
			t.Errorf("uri %q", en.URI)
		}
		// Not active until confirmed: a login needs no code yet.
		if _, _, err := s.Login(ctx, lim, "agent", "right-password", ip); err != nil {
			t.Fatalf("login before confirming: %v", err)
		}
		if _, err := s.ConfirmTOTP(ctx, e.agent, e.wrongCode(t, en.Secret)); errs.CodeOf(err) != errs.TOTPInvalid {
			t.Errorf("confirm with a wrong code: %v, want totp_invalid", err)
		}
		recovery, err := s.ConfirmTOTP(ctx, e.agent, e.code(t, en.Secret, e.now))
		if err != nil {
			t.Fatal(err)
		}
		if len(recovery) != auth.RecoveryCodes {
			t.Fatalf("%d recovery codes", len(recovery))
		}
		if _, err := s.BeginTOTP(ctx, e.agent); errs.CodeOf(err) != errs.Exists {
			t.Errorf("begin again while on: %v, want exists", err)
		}
		st, err := s.Status(ctx, e.agent)
		if err != nil || !st.Active || st.RecoveryLeft != 8 {
			t.Errorf("status %+v, %v", st, err)
		}

		// The secret and the recovery codes are not in the database in clear.
		db, err := sql.Open(e.driver, e.dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var raw string
		if err := db.QueryRowContext(ctx, "SELECT secret FROM user_totp").Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if !sealed.IsSealed(raw) || strings.Contains(raw, en.Secret) {
			t.Errorf("secret at rest %q is not sealed", raw)
		}
		var hashes string
		rows, err := db.QueryContext(ctx, "SELECT code_hash FROM user_recovery_codes")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var h string
			_ = rows.Scan(&h)
			hashes += h + " "
		}
		rows.Close()
		for _, c := range recovery {
			if strings.Contains(hashes, c) || strings.Contains(hashes, strings.ReplaceAll(c, "-", "")) {
				t.Errorf("recovery code %s stored in clear", c)
			}
		}

		// The code that confirmed is spent: it cannot sign in.
		if _, _, err := s.LoginWithCode(ctx, lim, "agent", "right-password", e.code(t, en.Secret, e.now), ip); errs.CodeOf(err) != errs.TOTPInvalid {
			t.Errorf("login with the confirming code: %v, want totp_invalid", err)
		}
		e.now = e.now.Add(time.Minute) // two steps on
		if _, _, err := s.Login(ctx, lim, "agent", "right-password", ip); errs.CodeOf(err) != errs.TOTPRequired {
			t.Errorf("login without a code: %v, want totp_required", err)
		}
		if _, _, err := s.LoginWithCode(ctx, lim, "agent", "wrong-password", e.code(t, en.Secret, e.now), ip); errs.CodeOf(err) != errs.BadCredentials {
			t.Errorf("wrong password, right code: %v, want bad_credentials", err)
		}
		if _, _, err := s.LoginWithCode(ctx, lim, "agent", "right-password", e.wrongCode(t, en.Secret), ip); errs.CodeOf(err) != errs.TOTPInvalid {
			t.Errorf("wrong code: %v, want totp_invalid", err)
		}
		// A code three steps old is outside the window.
		if _, _, err := s.LoginWithCode(ctx, lim, "agent", "right-password", e.code(t, en.Secret, e.now.Add(-90*time.Second)), ip); errs.CodeOf(err) != errs.TOTPInvalid {
			t.Errorf("old code: %v, want totp_invalid", err)
		}
		// One step old is accepted (clock skew) ...
		prev := e.code(t, en.Secret, e.now.Add(-30*time.Second))
		tok, u, err := s.LoginWithCode(ctx, lim, "agent", "right-password", prev, ip)
		if err != nil || tok == "" || u.Username != "agent" {
			t.Fatalf("login with the previous step's code: %q %v", tok, err)
		}
		// ... once: replaying it fails, as does any code of an earlier step.
		if _, _, err := s.LoginWithCode(ctx, lim, "agent", "right-password", prev, ip); errs.CodeOf(err) != errs.TOTPInvalid {
			t.Errorf("replayed code: %v, want totp_invalid", err)
		}
		if _, _, err := s.LoginWithCode(ctx, lim, "agent", "right-password", e.code(t, en.Secret, e.now), ip); err != nil {
			t.Errorf("the current step's code after the previous one's: %v", err)
		}
		if _, _, err := s.LoginWithCode(ctx, lim, "agent", "right-password", e.code(t, en.Secret, e.now), ip); errs.CodeOf(err) != errs.TOTPInvalid {
			t.Errorf("current code replayed: %v, want totp_invalid", err)
		}
		// One step ahead is accepted too.
		if _, _, err := s.LoginWithCode(ctx, lim, "agent", "right-password", e.code(t, en.Secret, e.now.Add(30*time.Second)), ip); err != nil {
			t.Errorf("the next step's code: %v", err)
		}

		// A recovery code works once, in any case and without its dash.
		rc := strings.ToUpper(strings.ReplaceAll(recovery[3], "-", ""))
		if _, _, err := s.LoginWithCode(ctx, lim, "agent", "right-password", rc, ip); err != nil {
			t.Fatalf("recovery code: %v", err)
		}
		if _, _, err := s.LoginWithCode(ctx, lim, "agent", "right-password", recovery[3], ip); errs.CodeOf(err) != errs.TOTPInvalid {
			t.Errorf("recovery code again: %v, want totp_invalid", err)
		}
		if st, _ := s.Status(ctx, e.agent); st.RecoveryLeft != 7 {
			t.Errorf("%d recovery codes left, want 7", st.RecoveryLeft)
		}

		target := fmt.Sprintf("user:%d", e.agent.User.ID)
		es := e.auditActions(t)
		for _, a := range []string{"totp_enable", "totp_recovery_used", "login_failed", "login"} {
			if !hasAction(es, a, target) {
				t.Errorf("no %s audit entry for %s", a, target)
			}
		}
		for _, en := range es {
			for _, c := range append(recovery, prev) {
				if strings.Contains(en.Detail, c) {
					t.Errorf("audit entry %s holds a code: %s", en.Action, en.Detail)
				}
			}
		}
	})
}

// wrongCode is a 6-digit code that matches no step of the window at now.
func (e *totpEnv) wrongCode(t *testing.T, secret string) string {
	t.Helper()
	for _, c := range []string{"123456", "654321", "111111"} {
		if _, ok := auth.MatchTOTP(secret, c, e.now); !ok {
			return c
		}
	}
	t.Fatal("no wrong code")
	return ""
}

// enrol turns two-step verification on for a and returns the secret and
// the recovery codes; the clock moves on a step so that the next code is
// fresh.
func (e *totpEnv) enrol(t *testing.T, a org.Actor) (string, []string) {
	t.Helper()
	en, err := e.s.BeginTOTP(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := e.s.ConfirmTOTP(t.Context(), a, e.code(t, en.Secret, e.now))
	if err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(30 * time.Second)
	return en.Secret, rc
}

// TestTOTPPendingLogin: the pages' two steps — the password gives a signed
// pending state (no session), which with a code opens one; a forged or
// expired state is refused; code tries count against the login limiter.
func TestTOTPPendingLogin(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		ctx := t.Context()
		e := newTOTPEnv(t, backend)
		s := e.s
		secret, _ := e.enrol(t, e.agent)
		lim := auth.NewLoginLimiter(3, time.Hour)
		const ip = "198.51.100.9"

		tok, _, pending, err := s.LoginStart(ctx, lim, "agent", "right-password", ip)
		if errs.CodeOf(err) != errs.TOTPRequired || tok != "" || pending == "" {
			t.Fatalf("first step: %q %q %v", tok, pending, err)
		}
		if _, err := s.Authenticate(ctx, pending); err == nil {
			t.Error("the pending state works as a session")
		}
		// Tampered: refused.
		forged := pending[:len(pending)-2] + "xx"
		if _, _, err := s.LoginPending(ctx, lim, forged, e.code(t, secret, e.now), ip); errs.CodeOf(err) != errs.Unauthenticated {
			t.Errorf("forged pending state: %v, want unauthenticated", err)
		}
		// Wrong codes count: the limit (3 per user and address) is reached
		// by two wrong codes and one wrong password.
		for range 2 {
			if _, _, err := s.LoginPending(ctx, lim, pending, e.wrongCode(t, secret), ip); errs.CodeOf(err) != errs.TOTPInvalid {
				t.Fatalf("wrong code: %v", err)
			}
		}
		if _, _, _, err := s.LoginStart(ctx, lim, "agent", "wrong-password", ip); errs.CodeOf(err) != errs.BadCredentials {
			t.Fatalf("wrong password: %v", err)
		}
		if _, _, err := s.LoginPending(ctx, lim, pending, e.code(t, secret, e.now), ip); errs.CodeOf(err) != errs.RateLimited {
			t.Errorf("right code over the limit: %v, want rate_limited", err)
		}
		// From another address (own limit) the right code opens a session.
		tok, u, err := s.LoginPending(ctx, lim, pending, e.code(t, secret, e.now), "203.0.113.5")
		if err != nil || u.ID != e.agent.User.ID {
			t.Fatalf("second step: %v", err)
		}
		if a, err := s.Authenticate(ctx, tok); err != nil || a.User.ID != e.agent.User.ID {
			t.Errorf("session: %v", err)
		}
		// Expired.
		e.now = e.now.Add(PendingTTL + time.Second)
		if _, _, err := s.LoginPending(ctx, lim, pending, e.code(t, secret, e.now), "203.0.113.5"); errs.CodeOf(err) != errs.Unauthenticated {
			t.Errorf("expired pending state: %v, want unauthenticated", err)
		}
	})
}

// TestTOTPResetDisableRequire: an administrator resets a user's second
// factor (audited; the user then signs in with the password alone); a
// user turns theirs off with a code, unless their role requires it;
// creating an API token needs the administrator's code.
func TestTOTPResetDisableRequire(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		ctx := t.Context()
		e := newTOTPEnv(t, backend)
		s := e.s
		lim := auth.NewLoginLimiter(100, time.Hour)
		agentTarget := fmt.Sprintf("user:%d", e.agent.User.ID)

		// Reset by an administrator.
		e.enrol(t, e.agent)
		if err := s.ResetTOTP(ctx, e.agent, e.agent.User.ID); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("reset by a non-admin: %v, want forbidden", err)
		}
		if err := s.ResetTOTP(ctx, e.admin, e.agent.User.ID); err != nil {
			t.Fatal(err)
		}
		if !hasAction(e.auditActions(t), "totp_reset", agentTarget) {
			t.Error("reset not audited")
		}
		if _, _, err := s.Login(ctx, lim, "agent", "right-password", "x"); err != nil {
			t.Errorf("login after reset: %v", err)
		}
		if err := s.ResetTOTP(ctx, e.admin, e.agent.User.ID); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("reset again: %v, want not_found", err)
		}

		// Turned off by the user with a code.
		secret, _ := e.enrol(t, e.agent)
		if err := s.DisableTOTP(ctx, lim, e.agent, "", "x"); errs.CodeOf(err) != errs.TOTPRequired {
			t.Errorf("disable without a code: %v", err)
		}
		if err := s.DisableTOTP(ctx, lim, e.agent, e.wrongCode(t, secret), "x"); errs.CodeOf(err) != errs.TOTPInvalid {
			t.Errorf("disable with a wrong code: %v", err)
		}
		if err := s.DisableTOTP(ctx, lim, e.agent, e.code(t, secret, e.now), "x"); err != nil {
			t.Fatal(err)
		}
		if !hasAction(e.auditActions(t), "totp_disable", agentTarget) {
			t.Error("disable not audited")
		}

		// Required of agents: status says so; it cannot be turned off.
		if err := s.SetRequiredRoles(ctx, e.agent, []string{"agent"}); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("set required roles by a non-admin: %v", err)
		}
		if err := s.SetRequiredRoles(ctx, e.admin, []string{"agent", "nosuch"}); errs.CodeOf(err) != errs.Invalid {
			t.Errorf("unknown role: %v, want invalid", err)
		}
		if err := s.SetRequiredRoles(ctx, e.admin, []string{"dispatcher", "agent"}); err != nil {
			t.Fatal(err)
		}
		if need, err := s.NeedsSetup(ctx, e.agent.User); err != nil || !need {
			t.Errorf("needs setup: %v %v", need, err)
		}
		if need, _ := s.NeedsSetup(ctx, e.admin.User); need {
			t.Error("admin needs setup, not required of admins")
		}
		secret, _ = e.enrol(t, e.agent)
		if need, _ := s.NeedsSetup(ctx, e.agent.User); need {
			t.Error("needs setup after enrolling")
		}
		if err := s.DisableTOTP(ctx, lim, e.agent, e.code(t, secret, e.now), "x"); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("disable while required: %v, want forbidden", err)
		}

		// API tokens: the administrator's second factor.
		asecret, _ := e.enrol(t, e.admin)
		if _, err := s.CreateAPIToken(ctx, e.admin, e.agent.User.ID, "robot"); errs.CodeOf(err) != errs.TOTPRequired {
			t.Errorf("token without a code: %v, want totp_required", err)
		}
		if _, err := s.CreateAPITokenWithCode(ctx, lim, e.admin, e.agent.User.ID, "robot", e.wrongCode(t, asecret), "x"); errs.CodeOf(err) != errs.TOTPInvalid {
			t.Errorf("token with a wrong code: %v, want totp_invalid", err)
		}
		tok, err := s.CreateAPITokenWithCode(ctx, lim, e.admin, e.agent.User.ID, "robot", e.code(t, asecret, e.now), "x")
		if err != nil {
			t.Fatal(err)
		}
		// The token itself needs no code.
		if a, err := s.Authenticate(ctx, tok); err != nil || a.User.ID != e.agent.User.ID {
			t.Errorf("api token: %v", err)
		}
	})
}
