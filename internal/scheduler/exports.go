package scheduler

import (
	"context"
	"log/slog"
	"time"

	"whistle/internal/publish"
)

// ExportJob runs the due open-data publication schedules (publish.RunDue):
// once when it starts and then every Every (a minute by default) until its
// context ends. Every node may run it: a due run is claimed in the
// database, so it happens on one node once.
type ExportJob struct {
	Svc   *publish.Service
	Every time.Duration // default 1 min
	Log   *slog.Logger
	// Tick, when set, replaces the timer (tests); Done, when set, is called
	// after every poll with the number of runs it made.
	Tick <-chan time.Time
	Done func(int, error)
}

// Run loops until ctx is done.
func (j *ExportJob) Run(ctx context.Context) {
	if j.Log == nil {
		j.Log = slog.New(slog.DiscardHandler)
	}
	tick := j.Tick
	if tick == nil {
		every := j.Every
		if every <= 0 {
			every = time.Minute
		}
		t := time.NewTicker(every)
		defer t.Stop()
		tick = t.C
	}
	for {
		n, err := j.Svc.RunDue(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			j.Log.Error("open-data publication", "err", err)
		case n > 0:
			j.Log.Info("open-data publication: schedules run", "count", n)
		}
		if j.Done != nil {
			j.Done(n, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
	}
}
