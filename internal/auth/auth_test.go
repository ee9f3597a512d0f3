package auth

import (
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
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
	// Stored as lowercase base32: no '1', no digit run that a grep for
	// mobile numbers could match.
	mobile := regexp.MustCompile(`1[3-9]\d{9}`)
	for i := range 20000 {
		h := p.Hash(fmt.Sprintf("139%08d", i))
		if len(h) != 52 || strings.Trim(h, "abcdefghijklmnopqrstuvwxyz234567") != "" || mobile.MatchString("1"+h) {
			t.Fatalf("phone hash %q", h)
		}
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

// Reserve is atomic: of many concurrent tries on one key exactly the
// allowance gets through, and a refund gives one back.
func TestLimiterReserveConcurrent(t *testing.T) {
	l := NewLimiter(5, time.Minute)
	now := time.Unix(1000, 0)
	var wg sync.WaitGroup
	var got atomic.Int64
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if l.Reserve("u", now) {
				got.Add(1)
			}
		}()
	}
	wg.Wait()
	if got.Load() != 5 {
		t.Fatalf("%d of 200 concurrent tries reserved, want 5", got.Load())
	}
	l.Refund("u", now)
	if !l.Reserve("u", now) || l.Reserve("u", now) {
		t.Fatal("a refund must give back exactly one try")
	}
	if !l.Reserve("u", now.Add(2*time.Minute)) {
		t.Fatal("still refused after the window")
	}
}

func TestNetKey(t *testing.T) {
	for _, c := range []struct{ a, b string }{
		{"192.0.2.1", "192.0.2.254"},
		{"192.0.2.7", "::ffff:192.0.2.9"},
		{"2001:db8:1:2::1", "2001:db8:1:2:ffff::9"},
	} {
		if NetKey(c.a) != NetKey(c.b) {
			t.Errorf("%s and %s: keys %q, %q; want one network", c.a, c.b, NetKey(c.a), NetKey(c.b))
		}
	}
	for _, c := range []struct{ a, b string }{
		{"192.0.2.1", "192.0.3.1"},
		{"2001:db8:1:2::1", "2001:db8:1:3::1"},
		{"junk", "other junk"},
	} {
		if NetKey(c.a) == NetKey(c.b) {
			t.Errorf("%s and %s: both %q; want two networks", c.a, c.b, NetKey(c.a))
		}
	}
}

// Tries from two addresses of one /24 spend one network allowance; an
// address elsewhere is not held back by it. A refused try counts nowhere.
func TestLoginLimiterNetwork(t *testing.T) {
	l := NewLoginLimiter(1, time.Minute) // per network: 40
	now := time.Unix(1000, 0)
	for i := range 40 {
		addr := fmt.Sprintf("192.0.2.%d", i%2+1) // two addresses, one /24
		l.Addr = NewLimiter(1000, time.Minute)   // only the network limit applies here
		if _, ok := l.Reserve(fmt.Sprintf("user%d", i), addr, now); !ok {
			t.Fatalf("try %d refused", i+1)
		}
	}
	if _, ok := l.Reserve("another", "192.0.2.3", now); ok {
		t.Fatal("a third address of the same /24 got past the spent network allowance")
	}
	if _, ok := l.Reserve("another", "198.51.100.1", now); !ok {
		t.Fatal("another network refused")
	}
	// Refunds give the allowance back.
	refund, ok := l.Reserve("someone", "203.0.113.5", now)
	if !ok {
		t.Fatal("fresh network refused")
	}
	refund()
	refund() // twice is once
	for i := range 40 {
		l.Addr = NewLimiter(1000, time.Minute)
		if _, ok := l.Reserve(fmt.Sprintf("v%d", i), "203.0.113.5", now); !ok {
			t.Fatalf("after a refund, try %d refused", i+1)
		}
	}
}

// The pool runs workers at once, queues queue more, and refuses the rest at
// once with ErrBusy.
func TestPoolBusy(t *testing.T) {
	p := NewPool(1, 1)
	entered, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 2)
	go func() { done <- p.Do(t.Context(), func() { close(entered); <-release }) }()
	<-entered
	go func() { done <- p.Do(t.Context(), func() {}) }()
	for { // wait until the second one queues
		if _, waiting := p.Load(); waiting == 1 {
			break
		}
		runtime.Gosched()
	}
	ran := false
	if err := p.Do(t.Context(), func() { ran = true }); !errors.Is(err, ErrBusy) || ran {
		t.Fatalf("third Do: %v (ran %v), want ErrBusy without running", err, ran)
	}
	close(release)
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Do(t.Context(), func() {}); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

func TestHasControl(t *testing.T) {
	for s, want := range map[string]bool{"": false, "ad\x00min": true, "a\tb\nc\r": false, "\x1b[31m": true, "del\x7f": true, "用户": false} {
		if HasControl(s) != want {
			t.Errorf("HasControl(%q) = %v", s, !want)
		}
	}
}
