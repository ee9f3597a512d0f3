package store_test

import (
	"strings"
	"testing"

	"whistle/internal/org"
	"whistle/internal/sealed"
	"whistle/internal/store"
)

// TestTOTPSecretsResealed: a two-step verification secret is sealed at
// rest, is re-sealed under the new primary by the Resealer after a key
// rotation, is counted per key (so that `whistle keys drop` keeps a key
// that still opens one), and opens with the new key alone.
func TestTOTPSecretsResealed(t *testing.T) {
	eachKeyedBackend(t, func(t *testing.T, s keyedStore) {
		city := org.Place{Level: org.LevelCity, Code: "209900", Name: "市"}
		unit := org.Unit{Code: "C", Name: "市12345中心", Kind: org.KindCityCentre}
		user := org.User{Username: "admin2fa", DisplayName: "管理员", Roles: []string{org.RoleAdmin}}
		const secret = "JBSWY3DPEHPK3PXP"
		write(t, s.Store, func(tx *store.Tx) error {
			if err := insertUserIn(tx, &city, &unit, &user); err != nil {
				return err
			}
			return tx.PutPendingTOTP(ctx, user.ID, secret, base)
		})
		stored := func() string {
			var v string
			if err := rawDB(t, s.Store).QueryRow("SELECT secret FROM user_totp").Scan(&v); err != nil {
				t.Fatal(err)
			}
			return v
		}
		if v := stored(); strings.Contains(v, secret) || sealed.KeyID(v) != "k1" {
			t.Fatalf("secret stored as %q, want sealed under k1", v)
		}
		k2 := s.rotate(t)
		if counts, err := s.TOTPSealCounts(ctx); err != nil || counts["k1"] != 1 {
			t.Fatalf("counts before the pass: %v %v", counts, err)
		}
		if _, err := (&store.Resealer{St: s.Store}).Pass(ctx); err != nil {
			t.Fatal(err)
		}
		if counts, err := s.TOTPSealCounts(ctx); err != nil || counts["k1"] != 0 || counts["k2"] != 1 {
			t.Fatalf("counts after the pass: %v %v", counts, err)
		}
		s2, _ := s.reopenWith(t, k2)
		got, err := s2.UserTOTP(ctx, user.ID)
		if err != nil || got.Secret != secret {
			t.Fatalf("secret with k2 alone: %q %v", got.Secret, err)
		}
	})
}
