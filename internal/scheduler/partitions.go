package scheduler

import (
	"context"
	"log/slog"
	"time"

	"whistle/internal/store"
)

// PartitionJob creates the monthly partitions of the large PostgreSQL
// tables ahead of time (issue #14, store.EnsurePartitions): the current
// month's and the Ahead months after it, those missing only; then it gives
// the months found in a DEFAULT partition (a loaded history, a date far
// ahead) their partitions (store.SplitDefaultPartitions). It runs once
// when it starts and then every Every (a day by default) until its context
// ends; with SQLite each run does nothing. With Lease set it runs on one
// node at a time and once per period across the nodes (Lease.RunDue,
// polling every Poll); whatever the lease, stores creating partitions at
// once serialise on an advisory lock, so each is created exactly once. A
// month without its partition still takes rows (the DEFAULT partition);
// the partition created later takes them over.
type PartitionJob struct {
	St    *store.Store
	Ahead int           // months ahead of the current one; default 3
	Every time.Duration // default 24 h
	Now   func() time.Time
	Log   *slog.Logger
	Lease *Lease
	Poll  time.Duration // with Lease: how often the lease is tried; default 1 h
	// Tick, when set, replaces the timer (tests); Done, when set, is called
	// after every run with the partitions it created (with Lease: only
	// after runs made).
	Tick <-chan time.Time
	Done func(created []string, err error)
}

// Run loops until ctx is done.
func (j *PartitionJob) Run(ctx context.Context) {
	if j.Log == nil {
		j.Log = slog.New(slog.DiscardHandler)
	}
	tick, stop := jobTicker(j.Tick, j.every(), j.Lease != nil, j.Poll, time.Hour)
	defer stop()
	for {
		created, ran, err := j.RunOnce(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			j.Log.Error("partitions", "err", err)
		case len(created) > 0:
			j.Log.Info("partitions created", "names", created)
		}
		if j.Done != nil && (ran || err != nil) {
			j.Done(created, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
	}
}

// RunOnce makes one run (under the lease when set: ran is false when
// another node holds it or the period's run was made).
func (j *PartitionJob) RunOnce(ctx context.Context) (created []string, ran bool, err error) {
	run := func(ctx context.Context) error {
		now := j.now()
		ahead, err := j.St.EnsurePartitions(ctx, now, j.ahead())
		if err != nil {
			return err
		}
		past, err := j.St.SplitDefaultPartitions(ctx, now)
		created = append(ahead, past...)
		return err
	}
	if j.Lease == nil {
		return created, true, run(ctx)
	}
	ran, err = j.Lease.RunDue(ctx, j.every(), run)
	return created, ran, err
}

func (j *PartitionJob) now() time.Time {
	if j.Now != nil {
		return j.Now()
	}
	return time.Now()
}

func (j *PartitionJob) ahead() int {
	if j.Ahead <= 0 {
		return 3
	}
	return j.Ahead
}

func (j *PartitionJob) every() time.Duration {
	if j.Every <= 0 {
		return 24 * time.Hour
	}
	return j.Every
}
