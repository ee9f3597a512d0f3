package scheduler

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"whistle/internal/pgtest"
	"whistle/internal/store"
)

// TestPartitionJobOnTwoNodes: two nodes poll the partitions job under one
// lease, at once, on an injected clock: the first run (on one node) makes
// the months ahead that the stores' Open did not, once; within the day
// nothing runs again; a month later one run makes the one new month.
func TestPartitionJobOnTwoNodes(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	sts := openStores(t, dsn, 2)
	start := store.MonthStart(time.Now(), 0).Add(10 * 24 * time.Hour)
	clk := &clock{now: start}
	ctx, cancel := context.WithCancel(t.Context())
	var mu sync.Mutex
	var runs [][]string
	ticks := []chan time.Time{make(chan time.Time), make(chan time.Time)}
	var wg sync.WaitGroup
	for i, st := range sts {
		job := &PartitionJob{St: st, Ahead: 3, Now: clk.Now, Tick: ticks[i],
			Lease: &Lease{St: st, Name: "partitions", Holder: fmt.Sprintf("n%d", i), Now: clk.Now},
			Done: func(created []string, err error) {
				if ctx.Err() != nil {
					return
				}
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				runs = append(runs, created)
				mu.Unlock()
			}}
		wg.Go(func() { job.Run(ctx) })
	}
	defer func() { cancel(); wg.Wait() }()
	poll := func() { // each tick is taken once the poll before it is over
		for range 2 {
			ticks[0] <- clk.Now()
			ticks[1] <- clk.Now()
		}
	}
	months := func(from, to int) []string {
		var out []string
		for i := from; i <= to; i++ {
			for _, p := range store.PartitionedTables {
				out = append(out, store.PartitionName(p.Table, store.MonthStart(start, i)))
			}
		}
		sort.Strings(out)
		return out
	}
	got := func(n int) []string {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		if len(runs) != n {
			t.Fatalf("%d runs, want %d: %v", len(runs), n, runs)
		}
		out := slices.Clone(runs[n-1])
		sort.Strings(out)
		return out
	}
	poll()
	if c, want := got(1), months(2, 3); !slices.Equal(c, want) { // this month and the next: made by Open
		t.Fatalf("first run created %v, want %v", c, want)
	}
	clk.Add(6 * time.Hour)
	poll()
	got(1)
	clk.Add(31 * 24 * time.Hour)
	poll()
	poll()
	if c, want := got(2), months(4, 4); !slices.Equal(c, want) {
		t.Fatalf("a month later the run created %v, want %v", c, want)
	}
	parts, err := sts[1].Partitions(t.Context(), "events")
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 6 || !parts[0].Default { // the default and p(0)…p(4), by name
		t.Fatalf("events' partitions: %+v", parts)
	}
}

// TestPartitionJobSQLite: with SQLite the job runs and has nothing to do.
func TestPartitionJobSQLite(t *testing.T) {
	st := openStores(t, filepath.Join(t.TempDir(), "w.db"), 1)[0]
	created, ran, err := (&PartitionJob{St: st}).RunOnce(t.Context())
	if err != nil || !ran || len(created) != 0 {
		t.Fatalf("RunOnce = %v, %v, %v", created, ran, err)
	}
}
