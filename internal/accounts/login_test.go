package accounts

import (
	"strings"
	"testing"

	"whistle/internal/auth"
	"whistle/internal/errs"
)

// TestLoginHashesForUnknownUsers: a login costs one password hash whether
// the username exists or not (and for disabled users), so response times
// do not tell which usernames exist.
func TestLoginHashesForUnknownUsers(t *testing.T) {
	ctx := t.Context()
	s := loginService(t)

	var calls int
	var hashes []string
	s.verify = func(encoded, password string) bool {
		calls++
		hashes = append(hashes, encoded)
		return auth.Verify(encoded, password)
	}
	lim := auth.NewLoginLimiter(100, 1)
	for _, tc := range []struct {
		user, password string
		want           errs.Code
	}{
		{"nobody", "right-password", errs.BadCredentials},
		{"gone", "right-password", errs.BadCredentials},
		{"agent", "wrong-password", errs.BadCredentials},
		{"agent", "right-password", ""},
	} {
		calls, hashes = 0, nil
		_, _, err := s.Login(ctx, lim, tc.user, tc.password, "127.0.0.1")
		if errs.CodeOf(err) != tc.want {
			t.Errorf("login %s/%s: %v, want %q", tc.user, tc.password, err, tc.want)
		}
		if calls != 1 {
			t.Errorf("login %s/%s: %d password checks, want 1", tc.user, tc.password, calls)
		}
		if len(hashes) == 1 && (tc.user == "nobody" || tc.user == "gone") && hashes[0] != dummyHash() {
			t.Errorf("login %s: checked against %q, want the dummy hash", tc.user, hashes[0])
		}
	}
	// The dummy costs what a real password costs.
	d := auth.DefaultHasher()
	if want, _ := d.Hash("x-x-x-x-x"); paramsOf(dummyHash()) != paramsOf(want) {
		t.Errorf("dummy hash parameters %q, want %q", paramsOf(dummyHash()), paramsOf(want))
	}
}

// paramsOf returns the "m=…,t=…,p=…" part of a PHC string.
func paramsOf(phc string) string {
	if parts := strings.Split(phc, "$"); len(parts) == 6 {
		return parts[3]
	}
	return ""
}
