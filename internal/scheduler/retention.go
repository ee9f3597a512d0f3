package scheduler

import (
	"context"
	"log/slog"
	"time"

	"whistle/internal/retention"
)

// RetentionJob anonymises the closed cases past the retention period: once
// when it starts and then every Every (a day by default) until its context
// ends. With retention disabled (0 days) each run does nothing. A case is
// anonymised once (it is locked and marked); with Lease set the job also
// runs on one node at a time and once per period across the nodes and
// their restarts (Lease.RunDue, polling every Poll).
type RetentionJob struct {
	Svc   *retention.Service
	Every time.Duration // default 24 h
	Batch int           // cases per transaction; default retention.DefaultBatch
	Log   *slog.Logger
	// Lease, when set, coordinates the nodes: a run happens on the node
	// holding it when Every has passed since the last run (docs/SCALEOUT.md).
	Lease *Lease
	Poll  time.Duration // with Lease: how often the lease is tried; default 1 min
	// Tick, when set, replaces the timer (tests); Done, when set, is called
	// after every run with its report (with Lease: only after runs made).
	Tick <-chan time.Time
	Done func(retention.Report, error)
}

// Run loops until ctx is done.
func (j *RetentionJob) Run(ctx context.Context) {
	if j.Log == nil {
		j.Log = slog.New(slog.DiscardHandler)
	}
	tick, stop := jobTicker(j.Tick, j.every(), j.Lease != nil, j.Poll, time.Minute)
	defer stop()
	for {
		var rep retention.Report
		var err error
		ran := true
		if j.Lease == nil {
			rep, err = j.Svc.Run(ctx, j.Svc.Now(), j.Batch)
		} else {
			ran, err = j.Lease.RunDue(ctx, j.every(), func(ctx context.Context) error {
				rep, err = j.Svc.Run(ctx, j.Svc.Now(), j.Batch)
				return err
			})
		}
		switch {
		case err != nil && ctx.Err() == nil:
			j.Log.Error("retention", "err", err, "anonymised", rep.Anonymised)
		case rep.Anonymised > 0:
			j.Log.Info("retention: cases anonymised", "count", rep.Anonymised, "cutoff", rep.Cutoff, "attachments", rep.Attachments)
		}
		if j.Done != nil && (ran || err != nil) {
			j.Done(rep, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
	}
}

func (j *RetentionJob) every() time.Duration {
	if j.Every <= 0 {
		return 24 * time.Hour
	}
	return j.Every
}

// jobTicker is what a daily job waits on between runs: tick when a test
// gave one; else a ticker every period, or, when a lease coordinates the
// nodes, every poll (pollDefault when unset) to try the lease.
func jobTicker(tick <-chan time.Time, every time.Duration, leased bool, poll, pollDefault time.Duration) (<-chan time.Time, func()) {
	if tick != nil {
		return tick, func() {}
	}
	if leased {
		every = poll
		if every <= 0 {
			every = pollDefault
		}
	}
	t := time.NewTicker(every)
	return t.C, t.Stop
}
