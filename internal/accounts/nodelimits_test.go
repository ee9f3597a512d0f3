package accounts

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"whistle/internal/auth"
	"whistle/internal/core"
	"whistle/internal/errs"
	"whistle/internal/store"
)

// twoNodes returns node A (the env's service) and a second node B: its own
// store handle, core and accounts service on the same PostgreSQL database,
// each with its own login limiter sharing the counts through the database,
// as app.Open wires them on PostgreSQL.
func twoNodes(t *testing.T) (e *totpEnv, b *Service, limA, limB *auth.LoginLimiter) {
	t.Helper()
	e = newTOTPEnv(t, "postgres")
	stB, err := store.Open(t.Context(), e.dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stB.Close() })
	c, err := core.New(t.Context(), stB, core.Config{PhoneKey: []byte("totp-test-key"), Now: func() time.Time { return e.now }})
	if err != nil {
		t.Fatal(err)
	}
	b = New(c)
	if err := b.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	limA, limB = auth.NewLoginLimiter(5, 15*time.Minute), auth.NewLoginLimiter(5, 15*time.Minute)
	limA.Shared, limB.Shared = SharedLogins(e.st), SharedLogins(stB)
	return e, b, limA, limB
}

// Five wrong logins through node A spend the allowance on node B too: the
// sixth try there is refused, even with the right password. A successful
// login first is refunded and costs nothing. (With each node counting in
// its own memory, node B admitted the sixth guess: N nodes, N× the guesses.)
func TestLoginLimitsSharedByNodes(t *testing.T) {
	e, b, limA, limB := twoNodes(t)
	ctx, addr := t.Context(), "192.0.2.1"
	if _, _, err := e.s.Login(ctx, limA, "agent", "right-password", addr); err != nil {
		t.Fatalf("first login: %v", err)
	}
	for i := range 5 {
		if _, _, err := e.s.Login(ctx, limA, "agent", "wrong-password", addr); !errs.Is(err, errs.BadCredentials) {
			t.Fatalf("wrong login %d on node A: %v, want bad_credentials", i+1, err)
		}
	}
	if _, _, err := b.Login(ctx, limB, "agent", "wrong-password", addr); !errs.Is(err, errs.RateLimited) {
		t.Fatalf("6th wrong login on node B: %v, want rate_limited", err)
	}
	if _, _, err := b.Login(ctx, limB, "agent", "right-password", addr); !errs.Is(err, errs.RateLimited) {
		t.Fatalf("right password on node B after the allowance: %v, want rate_limited", err)
	}
	// Another address is still welcome on node B (5 per user and address).
	if _, _, err := b.Login(ctx, limB, "agent", "right-password", "198.51.100.7"); err != nil {
		t.Fatalf("login from another address: %v", err)
	}
}

// Concurrent tries through both nodes never get past the allowance: 50 at
// once, limit 5, exactly 5 admitted.
func TestLoginLimitsConcurrentNodes(t *testing.T) {
	_, _, limA, limB := twoNodes(t)
	const tries, limit = 50, 5
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var admitted, failed atomic.Int64
	var wg sync.WaitGroup
	for i := range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lim := limA
			if i%2 == 1 {
				lim = limB
			}
			_, ok, err := lim.ReserveContext(t.Context(), "agent", "192.0.2.9", now)
			if err != nil {
				failed.Add(1)
			} else if ok {
				admitted.Add(1)
			}
		}()
	}
	wg.Wait()
	if admitted.Load() != limit || failed.Load() != 0 {
		t.Fatalf("%d concurrent tries on two nodes: %d admitted, %d errors; want exactly %d admitted", tries, admitted.Load(), failed.Load(), limit)
	}
}

// When the shared counts cannot be reached, a login is refused with
// errs.Unavailable (503) and no password is checked: the limit fails
// closed, never open.
func TestLoginLimitsFailClosed(t *testing.T) {
	e, _, limA, _ := twoNodes(t)
	var checks atomic.Int64
	e.s.verify = func(encoded, password string) bool {
		checks.Add(1)
		return auth.Verify(encoded, password)
	}
	e.st.Close()
	_, _, err := e.s.Login(t.Context(), limA, "agent", "right-password", "192.0.2.1")
	if !errs.Is(err, errs.Unavailable) {
		t.Fatalf("login with the counts unreachable: %v, want unavailable", err)
	}
	if checks.Load() != 0 {
		t.Fatalf("%d password checks with the counts unreachable, want none", checks.Load())
	}
	if _, ok := limA.Reserve("agent", "192.0.2.1", e.now); ok {
		t.Fatal("Reserve admitted a try with the counts unreachable")
	}
}
