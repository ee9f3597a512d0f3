// Package scheduler runs the background work that keeps deadlines honest:
// it fires due timers (due soon, overdue with escalation) read from the
// database — nothing is remembered in memory, so it resumes after a restart
// — and with several nodes on one PostgreSQL each timer fires exactly once.
package scheduler

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"whistle/internal/services"
)

// Scheduler fires due timers on an interval until its context ends.
type Scheduler struct {
	Svc      *services.Services
	Node     string
	Interval time.Duration
	Batch    int
	Log      *slog.Logger
	// OrphansEvery is how often attachments never linked to a case are
	// collected (CollectOrphans); default hourly.
	OrphansEvery time.Duration
}

// Run loops until ctx is done. It also refreshes the organisation catalogue
// (changed by other nodes) and prunes expired sessions now and then.
func (s *Scheduler) Run(ctx context.Context) {
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(s.Interval)
	defer t.Stop()
	lastReload, lastPrune, lastOrphans := time.Now(), time.Time{}, time.Time{}
	lastJudge := time.Time{} // 每月一题 verdicts (governance.JudgeTopics), hourly
	orphansEvery := s.OrphansEvery
	if orphansEvery <= 0 {
		orphansEvery = time.Hour
	}
	for {
		n, err := s.Tick(ctx)
		if err != nil && ctx.Err() == nil {
			s.Log.Error("scheduler tick", "err", err)
		} else if n > 0 {
			s.Log.Info("timers fired", "count", n, "node", s.Node)
		}
		if time.Since(lastReload) > 30*time.Second {
			if err := s.Svc.Reload(ctx); err != nil && ctx.Err() == nil {
				s.Log.Warn("catalogue reload", "err", err)
			}
			// A classifier trained on the node holding its lease.
			if err := s.Svc.Dispatch.LoadClassifier(ctx); err != nil && ctx.Err() == nil {
				s.Log.Warn("classifier load", "err", err)
			}
			lastReload = time.Now()
		}
		if time.Since(lastPrune) > time.Hour {
			_, err := s.Svc.Accounts.PruneExpired(ctx)
			if err == nil {
				lastPrune = time.Now()
			} else if ctx.Err() == nil {
				s.Log.Warn("pruning expired sessions", "err", err)
			}
		}
		if time.Since(lastOrphans) > orphansEvery {
			if err := s.CollectOrphans(ctx); err == nil {
				lastOrphans = time.Now()
			} else if ctx.Err() == nil {
				s.Log.Warn("collecting orphan attachments", "err", err)
			}
		}
		if time.Since(lastJudge) > time.Hour {
			if n, err := s.Svc.Insight.JudgeTopics(ctx, s.Svc.Cases.Now()); err == nil {
				lastJudge = time.Now()
				if n > 0 {
					s.Log.Info("topics judged", "count", n, "node", s.Node)
				}
			} else if ctx.Err() == nil {
				s.Log.Warn("judging topics", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// CollectOrphans deletes the attachments never linked to a case whose
// grace period has passed by the service clock (casework.CollectOrphans);
// it stops when ctx ends.
func (s *Scheduler) CollectOrphans(ctx context.Context) error {
	n, size, err := s.Svc.Cases.CollectOrphans(ctx, s.Svc.Cases.Now())
	if n > 0 && s.Log != nil {
		s.Log.Info("orphan attachments deleted", "count", n, "bytes", size, "node", s.Node)
	}
	return err
}

// Tick fires everything due now, in batches, and returns how many fired.
func (s *Scheduler) Tick(ctx context.Context) (int, error) {
	batch := s.Batch
	if batch <= 0 {
		batch = 500
	}
	// Whistle report-by deadlines (吹哨报到), one batch per tick. Timers
	// that fail are reported; the others fire all the same, and the cases'
	// timers still get their turn.
	total, failed := s.Svc.Whistles.FireSummons(ctx, s.Node, batch)
	for ctx.Err() == nil {
		n, err := s.Svc.Cases.FireDue(ctx, s.Node, batch)
		total += n
		failed = errors.Join(failed, err)
		if err != nil || n < batch {
			// A batch with failures is not full of fired timers: the
			// failed ones stay due and would come first again.
			return total, failed
		}
	}
	return total, errors.Join(failed, ctx.Err())
}
