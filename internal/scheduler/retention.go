package scheduler

import (
	"context"
	"log/slog"
	"time"

	"whistle/internal/retention"
)

// RetentionJob anonymises the closed cases past the retention period: once
// when it starts and then every Every (a day by default) until its context
// ends. With retention disabled (0 days) each run does nothing. Several
// nodes may run it: a case is anonymised once (it is locked and marked).
type RetentionJob struct {
	Svc   *retention.Service
	Every time.Duration // default 24 h
	Batch int           // cases per transaction; default retention.DefaultBatch
	Log   *slog.Logger
	// Tick, when set, replaces the timer (tests); Done, when set, is called
	// after every run with its report.
	Tick <-chan time.Time
	Done func(retention.Report, error)
}

// Run loops until ctx is done.
func (j *RetentionJob) Run(ctx context.Context) {
	if j.Log == nil {
		j.Log = slog.New(slog.DiscardHandler)
	}
	tick := j.Tick
	if tick == nil {
		every := j.Every
		if every <= 0 {
			every = 24 * time.Hour
		}
		t := time.NewTicker(every)
		defer t.Stop()
		tick = t.C
	}
	for {
		rep, err := j.Svc.Run(ctx, j.Svc.Now(), j.Batch)
		switch {
		case err != nil && ctx.Err() == nil:
			j.Log.Error("retention", "err", err, "anonymised", rep.Anonymised)
		case rep.Anonymised > 0:
			j.Log.Info("retention: cases anonymised", "count", rep.Anonymised, "cutoff", rep.Cutoff, "attachments", rep.Attachments)
		}
		if j.Done != nil {
			j.Done(rep, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
	}
}
