package scheduler

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"whistle/internal/auth"
	"whistle/internal/demo"
	"whistle/internal/retention"
	"whistle/internal/seed"
)

// TestRetentionJob: the daily job runs once at start and once per tick on
// the service's clock (injected: no sleeps), anonymising what has become
// due since, and stops with its context.
func TestRetentionJob(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	now := demo.DefaultEnd
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	st, svc := open(t, filepath.Join(t.TempDir(), "w.db"), clock)
	defer st.Close()
	if _, err := seed.Demo(ctx, svc, demo.Options{Seed: 3, Requests: 40}, auth.FastHasher(), nil); err != nil {
		t.Fatal(err)
	}
	tick := make(chan time.Time)
	reports := make(chan retention.Report)
	job := &RetentionJob{Svc: retention.New(svc.Core, 180), Batch: 5, Tick: tick,
		Done: func(r retention.Report, err error) {
			if err != nil {
				t.Error(err)
			}
			reports <- r
		}}
	stopped := make(chan struct{})
	go func() { job.Run(ctx); close(stopped) }()

	first := <-reports // at start: the demo's cases closed more than 180 days before
	if first.Anonymised == 0 || first.Anonymised != first.Due || !first.Cutoff.Equal(now.AddDate(0, 0, -180)) {
		t.Fatalf("first run %+v", first)
	}
	tick <- now
	if r := <-reports; r.Anonymised != 0 {
		t.Fatalf("same day again: %+v", r)
	}
	mu.Lock()
	now = now.AddDate(0, 0, 150) // the cases closed in the next 150 days of history are due now
	mu.Unlock()
	tick <- now
	third := <-reports
	if third.Anonymised == 0 || third.Anonymised != third.Due || third.Batches != (third.Due+4)/5 {
		t.Fatalf("150 days later: %+v", third)
	}
	cancel()
	<-stopped
}
