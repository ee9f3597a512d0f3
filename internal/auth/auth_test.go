package auth

import (
	"testing"
	"time"
)

func TestHashVerify(t *testing.T) {
	h := FastHasher()
	enc, err := h.Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !Verify(enc, "correct horse") {
		t.Fatal("right password refused")
	}
	for _, bad := range []string{"correct hors", "", "correct horse "} {
		if Verify(enc, bad) {
			t.Fatalf("wrong password %q accepted", bad)
		}
	}
	enc2, _ := h.Hash("correct horse")
	if enc == enc2 {
		t.Fatal("salt not random")
	}
	for _, junk := range []string{"", "$argon2id$", "$bcrypt$v=19$m=1,t=1,p=1$aa$bb", "$argon2id$v=19$m=x$aa$bb"} {
		if Verify(junk, "x") {
			t.Fatalf("junk hash %q verified", junk)
		}
	}
	if _, err := h.Hash("short"); err != ErrWeakPassword {
		t.Fatalf("short password: %v", err)
	}
}

func TestTokens(t *testing.T) {
	a, ha := NewToken()
	b, hb := NewToken()
	if a == b || ha == hb || HashToken(a) != ha || len(a) < 40 {
		t.Fatal("tokens not random or hash mismatch")
	}
}

func TestPhoneHasher(t *testing.T) {
	p := NewPhoneHasher([]byte("k1"))
	if p.Hash("13800001111") != p.Hash("13800001111") || p.Hash("13800001111") == p.Hash("13800001112") {
		t.Fatal("hash not a function of the phone")
	}
	if NewPhoneHasher([]byte("k2")).Hash("13800001111") == p.Hash("13800001111") {
		t.Fatal("key ignored")
	}
	if p.Hash("") != "" {
		t.Fatal("empty phone must hash to empty")
	}
}

func TestLimiter(t *testing.T) {
	l := NewLimiter(3, time.Minute)
	now := time.Unix(1000, 0)
	for i := 0; i < 3; i++ {
		if !l.Allowed("u|ip", now) {
			t.Fatalf("blocked after %d failures", i)
		}
		l.Fail("u|ip", now)
	}
	if l.Allowed("u|ip", now) {
		t.Fatal("not blocked after 3 failures")
	}
	if !l.Allowed("other", now) {
		t.Fatal("other key blocked")
	}
	if !l.Allowed("u|ip", now.Add(2*time.Minute)) {
		t.Fatal("still blocked after the window")
	}
	l.Fail("u|ip", now)
	l.Succeed("u|ip")
	if !l.Allowed("u|ip", now) {
		t.Fatal("success did not clear")
	}
}
