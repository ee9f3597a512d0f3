package accounts

import (
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"whistle/internal/auth"
	"whistle/internal/core"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/store"
)

// loginService is an accounts service over a fresh store with a city, its
// centre, an agent "agent" (password "right-password") and a disabled
// agent "gone".
func loginService(t *testing.T) *Service {
	t.Helper()
	ctx := t.Context()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "w.db"), store.Options{SQLiteSync: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c, err := core.New(ctx, st, core.Config{PhoneKey: []byte("login-test-key")})
	if err != nil {
		t.Fatal(err)
	}
	s := New(c)
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
		for _, u := range []org.User{
			{Username: "agent", DisplayName: "话务员", UnitID: centre.ID, Roles: []string{org.RoleAgent}},
			{Username: "gone", DisplayName: "离职", UnitID: centre.ID, Roles: []string{org.RoleAgent}, Disabled: true},
		} {
			if err := tx.InsertUser(ctx, &u, hash, s.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// waitFor spins (yielding) until cond holds; the test's own deadline bounds it.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for !cond() {
		if t.Context().Err() != nil {
			t.Fatal("condition never held")
		}
		runtime.Gosched()
	}
}

// Many concurrent wrong logins on one user from one address get at most the
// allowance of password checks: each try is counted before its hash runs.
// (With check-then-act, all 60 passed the check before the first failure
// was recorded, and all 60 were checked.)
func TestConcurrentLoginsAtMostLimit(t *testing.T) {
	const n, limit = 60, 5
	s := loginService(t)
	s.pool = auth.NewPool(n, 0) // room for every try: only the limiter may stop them
	var calls, inside, returned atomic.Int64
	release := make(chan struct{})
	s.verify = func(encoded, password string) bool {
		calls.Add(1)
		inside.Add(1)
		<-release // hold every check until each try has either begun its check or been refused
		return auth.Verify(encoded, password)
	}
	lim := auth.NewLoginLimiter(limit, time.Hour)
	codes := make(chan errs.Code, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := s.Login(t.Context(), lim, "agent", "wrong-password", "192.0.2.1")
			returned.Add(1)
			codes <- errs.CodeOf(err)
		}()
	}
	waitFor(t, func() bool { return inside.Load()+returned.Load() == n })
	close(release)
	wg.Wait()
	close(codes)
	if c := calls.Load(); c > limit {
		t.Fatalf("%d concurrent wrong logins made %d password checks, want at most %d", n, c, limit)
	}
	count := map[errs.Code]int{}
	for c := range codes {
		count[c]++
	}
	if count[errs.BadCredentials] != limit || count[errs.RateLimited] != n-limit {
		t.Fatalf("answers %v, want %d bad_credentials and %d rate_limited", count, limit, n-limit)
	}
	// The right password is refused too now: the allowance is spent.
	if _, _, err := s.Login(t.Context(), lim, "agent", "right-password", "192.0.2.1"); !errs.Is(err, errs.RateLimited) {
		t.Fatalf("login after the allowance: %v, want rate_limited", err)
	}
}

// While the password pool and its queue are full, another login is refused
// at once with errs.Busy, and that refusal costs no try.
func TestLoginBusyWhenPoolFull(t *testing.T) {
	s := loginService(t)
	pool := auth.NewPool(1, 1)
	s.pool = pool
	entered, release := make(chan struct{}, 2), make(chan struct{})
	var calls atomic.Int64
	s.verify = func(encoded, password string) bool {
		calls.Add(1)
		entered <- struct{}{}
		<-release
		return auth.Verify(encoded, password)
	}
	lim := auth.NewLoginLimiter(3, time.Hour)
	done := make(chan error, 2)
	login := func(pw string) {
		_, _, err := s.Login(t.Context(), lim, "agent", pw, "192.0.2.1")
		done <- err
	}
	go login("wrong-password")
	<-entered // the only worker is held
	go login("wrong-password")
	waitFor(t, func() bool { _, waiting := pool.Load(); return waiting == 1 })

	_, _, err := s.Login(t.Context(), lim, "agent", "right-password", "192.0.2.1")
	if !errs.Is(err, errs.Busy) {
		t.Fatalf("login with the pool full: %v, want busy", err)
	}
	if errs.Status(errs.Busy) != 503 || calls.Load() != 1 {
		t.Fatalf("busy: status %d, %d checks; want 503 and 1", errs.Status(errs.Busy), calls.Load())
	}
	close(release)
	for range 2 {
		if err := <-done; !errs.Is(err, errs.BadCredentials) {
			t.Fatalf("held login: %v, want bad_credentials", err)
		}
	}
	// Two wrong tries spent two of three; the busy one was refunded, so the
	// third try remains.
	s.verify = nil
	if _, _, err := s.Login(t.Context(), lim, "agent", "right-password", "192.0.2.1"); err != nil {
		t.Fatalf("the busy refusal was counted as a try: %v", err)
	}
}

// Control characters in a username are refused before any look-up.
func TestLoginRefusesControlCharacters(t *testing.T) {
	s := loginService(t)
	var calls atomic.Int64
	s.verify = func(encoded, password string) bool { calls.Add(1); return auth.Verify(encoded, password) }
	lim := auth.NewLoginLimiter(5, time.Hour)
	for _, u := range []string{"ad\x00min", "agent\x00", "a\x1bgent"} {
		if _, _, err := s.Login(t.Context(), lim, u, "right-password", "192.0.2.1"); !errs.Is(err, errs.Invalid) {
			t.Errorf("login %q: %v, want invalid", u, err)
		}
	}
	if calls.Load() != 0 {
		t.Errorf("%d password checks for refused usernames", calls.Load())
	}
}
