package store_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"whistle/internal/store"
)

// A lease is one holder's until it runs out: renewals keep the fence, a
// takeover raises it, and the stale holder's writes (fenced by context,
// and its run's completion) are refused while the new holder's pass.
func TestJobLeases(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
		ttl := time.Minute
		acquire := func(holder string, now time.Time) (store.Lease, bool) {
			t.Helper()
			l, ok, err := s.AcquireLease(ctx, "retention", holder, now, ttl)
			if err != nil {
				t.Fatal(err)
			}
			return l, ok
		}
		a, ok := acquire("A", t0)
		if !ok || a.Fence != 1 || !a.Until.Equal(t0.Add(ttl)) || !a.Done.IsZero() {
			t.Fatalf("first acquisition: %+v ok=%v, want fence 1 until t0+ttl", a, ok)
		}
		if _, ok := acquire("B", t0.Add(59*time.Second)); ok {
			t.Fatal("B took a running lease")
		}
		a2, ok := acquire("A", t0.Add(50*time.Second))
		if !ok || a2.Fence != 1 || !a2.Until.Equal(t0.Add(110*time.Second)) {
			t.Fatalf("renewal: %+v ok=%v, want fence 1 until t0+110s", a2, ok)
		}
		if _, ok := acquire("B", t0.Add(100*time.Second)); ok {
			t.Fatal("B took a renewed lease")
		}
		// A fenced write of A's passes while A holds the lease.
		if err := s.Write(store.WithFence(ctx, a2), func(tx *store.Tx) error {
			return tx.PutSetting(ctx, "lease.test", "A", t0)
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.LeaseDone(ctx, a2, t0.Add(10*time.Second)); err != nil {
			t.Fatal(err)
		}
		// A stops renewing; once the lease runs out B takes it over.
		b, ok := acquire("B", t0.Add(111*time.Second))
		if !ok || b.Fence != 2 || !b.Done.Equal(t0.Add(10*time.Second)) {
			t.Fatalf("takeover: %+v ok=%v, want fence 2 and A's last run", b, ok)
		}
		err := s.Write(store.WithFence(ctx, a2), func(tx *store.Tx) error {
			return tx.PutSetting(ctx, "lease.test", "stale A", t0)
		})
		if !errors.Is(err, store.ErrFenced) {
			t.Fatalf("stale holder's write: %v, want ErrFenced", err)
		}
		if err := s.LeaseDone(ctx, a2, t0.Add(200*time.Second)); !errors.Is(err, store.ErrFenced) {
			t.Fatalf("stale holder's completion: %v, want ErrFenced", err)
		}
		if v, err := s.Setting(ctx, "lease.test"); err != nil || v != "A" {
			t.Fatalf("setting = %q, %v; want A's value only", v, err)
		}
		if err := s.Write(store.WithFence(ctx, b), func(tx *store.Tx) error {
			return tx.PutSetting(ctx, "lease.test", "B", t0)
		}); err != nil {
			t.Fatal(err)
		}
		// A comes back: B's lease runs, A is refused; renewing later is
		// A's takeover again, with a new fence.
		if _, ok := acquire("A", t0.Add(150*time.Second)); ok {
			t.Fatal("A took B's running lease")
		}
		if a3, ok := acquire("A", t0.Add(172*time.Second)); !ok || a3.Fence != 3 {
			t.Fatalf("A's takeover: %+v ok=%v, want fence 3", a3, ok)
		}
		got, found, err := s.LeaseOf(ctx, "retention")
		if err != nil || !found || got.Holder != "A" || got.Fence != 3 {
			t.Fatalf("LeaseOf = %+v %v %v", got, found, err)
		}
	})
}

// Many holders racing for one lease at the same moment: exactly one wins.
func TestJobLeaseRace(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
		for round := range 3 {
			now := t0.Add(time.Duration(round) * time.Hour) // each round: the last lease ran out
			var mu sync.Mutex
			var winners []string
			var wg sync.WaitGroup
			for i := range 8 {
				wg.Go(func() {
					holder := fmt.Sprintf("n%d", i)
					_, ok, err := s.AcquireLease(ctx, "race", holder, now, time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					if ok {
						mu.Lock()
						winners = append(winners, holder)
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if len(winners) != 1 {
				t.Fatalf("round %d: winners %v, want exactly one", round, winners)
			}
		}
	})
}
