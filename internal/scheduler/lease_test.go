package scheduler

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"whistle/internal/auth"
	"whistle/internal/demo"
	"whistle/internal/pgtest"
	"whistle/internal/retention"
	"whistle/internal/seed"
	"whistle/internal/services"
	"whistle/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// clock is a shared injected clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// nodeStores opens n stores on one database, as n nodes would: on a
// throwaway PostgreSQL, and also on one SQLite file (one node's case, the
// same code).
func eachDB(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, filepath.Join(t.TempDir(), "w.db")) })
	t.Run("postgres", func(t *testing.T) { fn(t, pgtest.NewDatabase(t)) })
}

func openStores(t *testing.T, dsn string, n int) []*store.Store {
	t.Helper()
	out := make([]*store.Store, n)
	for i := range out {
		st, err := store.Open(t.Context(), dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		out[i] = st
	}
	return out
}

// Three nodes poll a daily job under one lease, all at once, at many
// moments over five days: it runs exactly once per day, and the counter it
// writes (fenced) agrees.
func TestLeasedJobRunsOncePerPeriod(t *testing.T) {
	eachDB(t, func(t *testing.T, dsn string) {
		nodes := 3
		if filepath.IsAbs(dsn) {
			nodes = 1 // SQLite: one node
		}
		sts := openStores(t, dsn, nodes)
		clk := &clock{now: time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)}
		var runs atomic.Int64
		job := func(st *store.Store) func(context.Context) error {
			return func(ctx context.Context) error {
				runs.Add(1)
				return st.Write(ctx, func(tx *store.Tx) error {
					v, err := tx.Setting(ctx, "test.runs")
					if err != nil {
						return err
					}
					return tx.PutSetting(ctx, "test.runs", v+"x", clk.Now())
				})
			}
		}
		for step := range 5 * 24 {
			var wg sync.WaitGroup
			for i, st := range sts {
				l := &Lease{St: st, Name: "daily", Holder: fmt.Sprintf("n%d", i), TTL: 2 * time.Minute, Now: clk.Now, Renew: make(chan time.Time)}
				wg.Go(func() {
					if _, err := l.RunDue(t.Context(), 24*time.Hour, job(st)); err != nil {
						t.Errorf("step %d node %d: %v", step, i, err)
					}
				})
			}
			wg.Wait()
			if want := int64(step/24 + 1); runs.Load() != want {
				t.Fatalf("after %d hours: %d runs, want %d", step, runs.Load(), want)
			}
			clk.Add(time.Hour)
		}
		v, err := sts[0].Setting(t.Context(), "test.runs")
		if err != nil || v != "xxxxx" {
			t.Fatalf("counter %q, %v; want five runs", v, err)
		}
	})
}

// The holder of a lease is stuck in the middle of a run (a long pause: no
// renewal, its context still live). Nobody else runs the job until the lease
// has run out by the clock; then another node takes it over with a higher
// fence, and the stale holder's write is refused, as is its claim that the
// period's run was done.
func TestLeaseTakeoverAfterExpiryAndFence(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	sts := openStores(t, dsn, 2)
	clk := &clock{now: time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)}
	mk := func(i int) *Lease {
		return &Lease{St: sts[i], Name: "retention", Holder: fmt.Sprintf("n%d", i), TTL: time.Minute, Now: clk.Now, Renew: make(chan time.Time)}
	}
	a, b := mk(0), mk(1)
	inRun, release := make(chan struct{}), make(chan struct{})
	resA := make(chan error, 1)
	go func() {
		_, err := a.RunDue(t.Context(), 24*time.Hour, func(ctx context.Context) error {
			close(inRun)
			<-release // stuck: no renewal (its Renew never ticks)
			return sts[0].Write(ctx, func(tx *store.Tx) error { return tx.PutSetting(ctx, "test.owner", "A", clk.Now()) })
		})
		resA <- err
	}()
	<-inRun
	var bRuns int
	runB := func() {
		t.Helper()
		ran, err := b.RunDue(t.Context(), 24*time.Hour, func(ctx context.Context) error {
			bRuns++
			return sts[1].Write(ctx, func(tx *store.Tx) error { return tx.PutSetting(ctx, "test.owner", "B", clk.Now()) })
		})
		if err != nil {
			t.Fatal(err)
		}
		_ = ran
	}
	clk.Add(59 * time.Second)
	runB()
	if bRuns != 0 {
		t.Fatal("B ran the job while A's lease ran")
	}
	clk.Add(2 * time.Second) // A's lease has run out, unrenewed
	runB()
	if bRuns != 1 {
		t.Fatalf("B ran %d times after A's lease ran out, want 1", bRuns)
	}
	l, _, err := sts[1].LeaseOf(t.Context(), "retention")
	if err != nil || l.Holder != "n1" || l.Fence != 2 || l.Done.IsZero() {
		t.Fatalf("lease after takeover %+v, %v", l, err)
	}
	close(release) // A wakes up and writes as if it still held the lease
	if err := <-resA; !errors.Is(err, store.ErrFenced) {
		t.Fatalf("stale holder's run: %v, want refused", err)
	}
	if v, _ := sts[0].Setting(t.Context(), "test.owner"); v != "B" {
		t.Fatalf("owner %q: the stale holder's write went through", v)
	}
	// Its fence is refused outright too, whatever its context.
	stale := store.Lease{Name: "retention", Holder: "n0", Fence: 1}
	if err := sts[0].Write(store.WithFence(t.Context(), stale), func(tx *store.Tx) error {
		return tx.PutSetting(t.Context(), "test.owner", "A", clk.Now())
	}); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("stale fence: %v, want ErrFenced", err)
	}
	if err := sts[0].LeaseDone(t.Context(), stale, clk.Now()); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("stale completion: %v, want ErrFenced", err)
	}
	// The period was run once (by B): nobody runs it again today.
	clk.Add(time.Hour)
	runB()
	if ran, err := a.RunDue(t.Context(), 24*time.Hour, func(context.Context) error { t.Error("A ran again"); return nil }); err != nil || ran {
		t.Fatalf("A after takeover: ran=%v err=%v", ran, err)
	}
	if bRuns != 1 {
		t.Fatalf("B ran %d times in the day", bRuns)
	}
}

// A loop under Lead runs on one node; when that node stops, the other
// starts it once the lease has run out, not before.
func TestLeadMovesAfterExpiry(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	sts := openStores(t, dsn, 2)
	clk := &clock{now: time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)}
	type started struct {
		node  int
		fence int64
	}
	starts := make(chan started, 4)
	loop := func(i int) func(context.Context) {
		return func(ctx context.Context) {
			// The loop's writes are fenced by its lease.
			err := sts[i].Write(ctx, func(tx *store.Tx) error { return tx.PutSetting(ctx, "test.leader", fmt.Sprint(i), clk.Now()) })
			if err != nil {
				t.Errorf("leader %d: %v", i, err)
			}
			l, _, _ := sts[i].LeaseOf(ctx, "compactor")
			starts <- started{i, l.Fence}
			<-ctx.Done()
		}
	}
	ticks := []chan time.Time{make(chan time.Time), make(chan time.Time)}
	ctxs := make([]context.Context, 2)
	stops := make([]context.CancelFunc, 2)
	done := make([]chan struct{}, 2)
	for i := range 2 {
		ctxs[i], stops[i] = context.WithCancel(t.Context())
		done[i] = make(chan struct{})
		l := &Lease{St: sts[i], Name: "compactor", Holder: fmt.Sprintf("n%d", i), TTL: time.Minute, Now: clk.Now}
		if i == 1 {
			<-starts // node 0 leads first
		}
		go func() { defer close(done[i]); l.Lead(ctxs[i], ticks[i], loop(i)) }()
	}
	defer func() {
		for i := range 2 {
			stops[i]()
			<-done[i]
		}
	}()
	// Node 1 polls while node 0's lease runs: no start. (A tick is taken
	// when the previous poll is done; the second send waits for the first.)
	clk.Add(30 * time.Second)
	ticks[1] <- clk.Now()
	ticks[1] <- clk.Now()
	select {
	case s := <-starts:
		t.Fatalf("node %d started while node 0 led", s.node)
	default:
	}
	stops[0]()
	<-done[0]
	clk.Add(29 * time.Second) // node 0's lease runs until +60s
	ticks[1] <- clk.Now()
	ticks[1] <- clk.Now()
	select {
	case s := <-starts:
		t.Fatalf("node %d started before the lease ran out", s.node)
	default:
	}
	clk.Add(2 * time.Second)
	ticks[1] <- clk.Now()
	s := <-starts
	if s.node != 1 || s.fence != 2 {
		t.Fatalf("after expiry: %+v, want node 1 with fence 2", s)
	}
	if v, _ := sts[0].Setting(t.Context(), "test.leader"); v != "1" {
		t.Fatalf("leader setting %q", v)
	}
}

// The retention job on two nodes of one PostgreSQL, each with its lease and
// its own ticks, on one injected clock: it runs once at the start between
// them, not again the same day however often they poll, and once more the
// next day; what was due is anonymised once.
func TestRetentionJobOnTwoNodes(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	clk := &clock{now: demo.DefaultEnd}
	var svcs []*services.Services
	for range 2 {
		st, svc := open(t, dsn, clk.Now)
		t.Cleanup(func() { st.Close() })
		svcs = append(svcs, svc)
	}
	if _, err := seed.Demo(t.Context(), svcs[0], demo.Options{Seed: 3, Requests: 40}, auth.FastHasher(), nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var mu sync.Mutex
	var reports []retention.Report
	ticks := []chan time.Time{make(chan time.Time), make(chan time.Time)}
	var wg sync.WaitGroup
	for i, svc := range svcs {
		job := &RetentionJob{Svc: retention.New(svc.Core, 180), Batch: 7, Tick: ticks[i],
			Lease: &Lease{St: svc.St, Name: "retention", Holder: fmt.Sprintf("n%d", i), Now: clk.Now},
			Done: func(r retention.Report, err error) {
				if ctx.Err() != nil {
					return // stopping: the poll under way ends with its context
				}
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				reports = append(reports, r)
				mu.Unlock()
			}}
		wg.Go(func() { job.Run(ctx) })
	}
	defer func() { cancel(); wg.Wait() }()
	// A tick is taken when the poll before it is over: two ticks to each
	// node wait for every poll but the last, which happens after them.
	poll := func() {
		for range 2 {
			ticks[0] <- clk.Now()
			ticks[1] <- clk.Now()
		}
	}
	runs := func() int { mu.Lock(); defer mu.Unlock(); return len(reports) }
	poll()
	if n := runs(); n != 1 {
		t.Fatalf("%d runs at the start, want 1", n)
	}
	if r := reports[0]; r.Anonymised == 0 || r.Anonymised != r.Due {
		t.Fatalf("first run %+v", r)
	}
	for range 5 {
		clk.Add(3 * time.Hour)
		poll()
	}
	if n := runs(); n != 1 {
		t.Fatalf("%d runs within the day, want 1", n)
	}
	clk.Add(10 * time.Hour) // a day and a bit after the first run
	poll()
	poll()
	if n := runs(); n != 2 {
		t.Fatalf("%d runs after a day, want 2", n)
	}
	if r := reports[1]; r.Anonymised != r.Due {
		t.Fatalf("second run %+v", r)
	}
}
