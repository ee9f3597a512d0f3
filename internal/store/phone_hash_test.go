package store_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"testing"

	"whistle/internal/auth"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/pgtest"
	"whistle/internal/store"
)

// TestPhoneHashesReencoded: a database whose phone hashes are hex (from
// before base32) has them re-encoded at the next start, once; the hashes
// the application computes now find the old cases, and no stored hash
// holds a run like a mobile number.
func TestPhoneHashesReencoded(t *testing.T) {
	for _, backendName := range []string{"sqlite", "postgres"} {
		t.Run(backendName, func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "whistle.db")
			if backendName == "postgres" {
				dsn = pgtest.NewDatabase(t)
			}
			key := []byte("phone key")
			hexHash := func(phone string) string {
				m := hmac.New(sha256.New, key)
				m.Write([]byte(phone))
				return hex.EncodeToString(m.Sum(nil))
			}
			ph := auth.NewPhoneHasher(key)
			s := openKeyed(t, dsn, nil)
			var ids []int64
			phones := []string{"13912345678", "15800001111", "18611112222"}
			for i, p := range phones {
				c := personal(i + 1)
				c.Citizen.Phone, c.Citizen.PhoneHash = p, hexHash(p)
				if i == 2 {
					c.Citizen.PhoneHash = ph.Hash(p) // written after the upgrade
				}
				write(t, s, func(tx *store.Tx) error { return tx.InsertCase(ctx, c) })
				ids = append(ids, c.ID)
			}
			// As a database from before the upgrade: the conversion has not run.
			if _, err := rawDB(t, s).Exec("DELETE FROM settings WHERE key = 'store.phone_hash_text'"); err != nil {
				t.Fatal(err)
			}
			s.Close()

			s = openKeyed(t, dsn, nil)
			for i, p := range phones {
				page, err := s.Cases(ctx, org.Scope{All: true}, lifecycle.CaseFilter{PhoneHash: ph.Hash(p)})
				if err != nil || len(page.Cases) != 1 || page.Cases[0].ID != ids[i] {
					t.Errorf("case %d not found by its phone's hash: %v %v", ids[i], page.Cases, err)
				}
			}
			rows, err := rawDB(t, s).Query("SELECT phone_hash FROM cases")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var h string
				if err := rows.Scan(&h); err != nil {
					t.Fatal(err)
				}
				if len(h) != 52 || phoneLike.MatchString("1"+h) {
					t.Errorf("stored phone hash %q", h)
				}
			}
			if v, err := s.Setting(ctx, "store.phone_hash_text"); err != nil || v != "base32" {
				t.Errorf("conversion not recorded: %q %v", v, err)
			}
		})
	}
}
