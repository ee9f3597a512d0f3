package accounts

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"whistle/internal/auth"
	"whistle/internal/core"
	"whistle/internal/org"
	"whistle/internal/store"
)

// TestLoginLogoutAudited: logins that succeed and fail (never with the
// password) and logouts are in the audit chain.
func TestLoginLogoutAudited(t *testing.T) {
	ctx := t.Context()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "w.db"), store.Options{SQLiteSync: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c, err := core.New(ctx, st, core.Config{PhoneKey: []byte("audit-test-key")})
	if err != nil {
		t.Fatal(err)
	}
	s := New(c)
	hash, err := auth.FastHasher().Hash("right-password")
	if err != nil {
		t.Fatal(err)
	}
	var agent org.User
	err = st.Write(ctx, func(tx *store.Tx) error {
		city := org.Place{Level: org.LevelCity, Code: "city", Name: "本市"}
		if err := tx.InsertPlace(ctx, &city); err != nil {
			return err
		}
		centre := org.Unit{Code: "centre", Name: "中心", Kind: org.KindCityCentre, PlaceID: city.ID}
		if err := tx.InsertUnit(ctx, &centre); err != nil {
			return err
		}
		agent = org.User{Username: "agent", DisplayName: "话务员", UnitID: centre.ID, Roles: []string{org.RoleAgent}}
		return tx.InsertUser(ctx, &agent, hash, s.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(ctx); err != nil {
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
