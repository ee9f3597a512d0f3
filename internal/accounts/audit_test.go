package accounts

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"whistle/internal/auth"
)

// TestLoginLogoutAudited: logins that succeed and fail (never with the
// password) and logouts are in the audit chain.
func TestLoginLogoutAudited(t *testing.T) {
	ctx := t.Context()
	s := loginService(t)
	st := s.St
	agent, _, err := st.UserByName(ctx, "agent")
	if err != nil {
		t.Fatal(err)
	}
	lim := auth.NewLoginLimiter(100, time.Minute)
	if _, _, err := s.Login(ctx, lim, "agent", "wrong-password", "10.0.0.1"); err == nil {
		t.Fatal("wrong password accepted")
	}
	if _, _, err := s.Login(ctx, lim, "nobody", "secret-typed", "10.0.0.2"); err == nil {
		t.Fatal("unknown user accepted")
	}
	tok, _, err := s.Login(ctx, lim, "agent", "right-password", "10.0.0.3")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Logout(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := s.Logout(ctx, tok); err != nil { // already ended: nothing more to record
		t.Fatal(err)
	}
	log, err := st.AuditLog(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(log) - 1; i >= 0; i-- {
		e := log[i]
		if strings.Contains(e.Detail, "password") {
			t.Errorf("entry %+v holds a password", e)
		}
		got = append(got, e.Action+" "+e.Target+" "+e.Detail)
	}
	uid := fmt.Sprintf("user:%d", agent.ID)
	want := []string{
		`login_failed ` + uid + ` {"client":"10.0.0.1","username":"agent"}`,
		`login_failed login {"client":"10.0.0.2","username":"nobody"}`,
		`login ` + uid + ` {"client":"10.0.0.3"}`,
		`logout ` + uid + ` null`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if log[0].UserID != agent.ID || log[2].UserID != 0 {
		t.Errorf("user ids: logout by %d, unknown login by %d", log[0].UserID, log[2].UserID)
	}
	if rep, err := st.VerifyAudit(ctx, 0); err != nil || rep.Break != nil || rep.Entries != 4 {
		t.Fatalf("VerifyAudit = %+v, %v", rep, err)
	}
}
