package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"whistle/internal/pgtest"
	"whistle/internal/store"
)

// Two nodes on one PostgreSQL database charge concurrent tries to one
// count: of 50 at once, split between the nodes, exactly the allowance
// of 5 is admitted, and the refused ones count nothing (here on a second,
// larger key reserved with them).
func TestReserveLimitsTwoNodesConcurrent(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	nodes := []*store.Store{openStore(t, dsn), openStore(t, dsn)}
	const tries, limit = 50, 5
	window, now := 15*time.Minute, time.Date(2026, 3, 2, 9, 3, 0, 0, time.UTC)
	counts := []store.LimitCount{{Key: "u:agent", Max: limit}, {Key: "a:192.0.2.1", Max: 100}}
	var admitted atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, tries)
	for i := range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := nodes[i%2].ReserveLimits(context.Background(), counts, window, now)
			if err != nil {
				errc <- err
				return
			}
			if ok {
				admitted.Add(1)
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatalf("reserve: %v", err)
	}
	if got := admitted.Load(); got != limit {
		t.Fatalf("%d concurrent tries on two nodes admitted %d, want exactly %d", tries, got, limit)
	}
	// The address key holds the 5 admitted tries only: 6 allowed means one more.
	addr := []store.LimitCount{{Key: "a:192.0.2.1", Max: limit + 1}}
	for i, want := range []bool{true, false} {
		ok, err := nodes[i].ReserveLimits(context.Background(), addr, window, now)
		if err != nil || ok != want {
			t.Fatalf("address try %d: %v, %v; want %v", i+1, ok, err, want)
		}
	}
}

// On both dialects: a refund takes back one try; the previous window still
// weighs on the next (a burst at a window's end cannot be repeated at the
// next one's start); old windows are pruned.
func TestReserveLimitsWindows(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		window := 15 * time.Minute
		start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) // a window start (multiple of 15 minutes)
		key := []store.LimitCount{{Key: "u:agent", Max: 3}}
		try := func(at time.Time) bool {
			t.Helper()
			ok, err := s.ReserveLimits(ctx, key, window, at)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		late := start.Add(window - time.Minute)
		for i := range 3 {
			if !try(late) {
				t.Fatalf("try %d refused", i+1)
			}
		}
		if try(late) {
			t.Fatal("4th try admitted")
		}
		if err := s.RefundLimits(ctx, []string{"u:agent"}, window, late); err != nil {
			t.Fatal(err)
		}
		if !try(late) {
			t.Fatal("try after a refund refused")
		}
		// Two minutes later, in the next window: the last window's 3 tries,
		// 13/15 of which still count, leave no room.
		if try(late.Add(2 * time.Minute)) {
			t.Fatal("try just after the window boundary admitted: the previous window did not count")
		}
		// Two windows on, the old counts no longer matter.
		if !try(start.Add(2*window + time.Minute)) {
			t.Fatal("try two windows later refused")
		}
		var pruned int64
		err := s.Write(ctx, func(tx *store.Tx) error {
			var err error
			pruned, err = tx.DeleteOldLimits(ctx, start.Add(window))
			return err
		})
		if err != nil || pruned != 1 {
			t.Fatalf("pruned %d windows, err %v; want 1", pruned, err)
		}
	})
}

// BenchmarkReserveLimits is the cost of one shared login reservation (four
// keys, one transaction) on PostgreSQL, the price of counting a try on every
// node at once.
func BenchmarkReserveLimits(b *testing.B) {
	s := openStore(b, pgtest.NewDatabase(b))
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	counts := []store.LimitCount{{Key: "ua", Max: 1 << 30}, {Key: "u", Max: 1 << 30}, {Key: "a", Max: 1 << 30}, {Key: "n", Max: 1 << 30}}
	for b.Loop() {
		if ok, err := s.ReserveLimits(context.Background(), counts, 15*time.Minute, now); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}
