package scheduler

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"whistle/internal/store"
)

// Lease makes a background job run on one node at a time when several
// nodes share one database (store.AcquireLease, docs/SCALEOUT.md): the
// periodic jobs run under RunDue (once per period, whichever node holds
// the lease), the long-running loops under Lead (on the node holding the
// lease only). A holder that stops (crashes, or its context ends) is not
// renewed, and another node takes the job over once the lease has run
// out. Writes made by the job carry the lease (store.WithFence), so a
// holder that lost it cannot write over its successor. With SQLite (one
// node) the lease is simply always this node's.
type Lease struct {
	St     *store.Store
	Name   string // the job: "retention", "classifier", …
	Holder string // this process: unique among the nodes (node name and a random suffix)
	// TTL is how long a taking or renewal holds (default 2 minutes); a
	// stopped holder's job is taken over after at most this. It must be
	// well above the clock skew between the nodes.
	TTL time.Duration
	// Now is the clock (zero: time.Now; tests inject one).
	Now func() time.Time
	// Renew, when set, replaces the timer that renews the lease while a
	// RunDue run lasts (default every TTL/3; tests).
	Renew <-chan time.Time
	Log   *slog.Logger
}

func (l *Lease) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

func (l *Lease) ttl() time.Duration {
	if l.TTL <= 0 {
		return 2 * time.Minute
	}
	return l.TTL
}

func (l *Lease) log() *slog.Logger {
	if l.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l.Log
}

// Hold takes or renews the lease now; ok is false while another node's
// lease runs.
func (l *Lease) Hold(ctx context.Context) (store.Lease, bool, error) {
	return l.St.AcquireLease(ctx, l.Name, l.Holder, l.now(), l.ttl())
}

// RunDue runs fn when this node holds the lease and every has passed
// since the job's last completed run (by any node; every ≤ 0: at each
// call). fn's context carries the lease, so its writes are fenced, and
// ends if the lease is lost while fn runs (it is renewed meanwhile). A run
// that returns no error is recorded as the period's run, at the time it
// started. ran reports whether fn was called.
func (l *Lease) RunDue(ctx context.Context, every time.Duration, fn func(context.Context) error) (ran bool, err error) {
	// One reading of the clock both takes the lease and decides whether a
	// run is due: read twice, a poll could take the lease before the clock
	// moved on and find the run due after, while another node took the
	// lease over in between (both would run, one of them fenced).
	start := l.now()
	cur, ok, err := l.St.AcquireLease(ctx, l.Name, l.Holder, start, l.ttl())
	if err != nil || !ok {
		return false, err
	}
	if every > 0 && !cur.Done.IsZero() && start.Before(cur.Done.Add(every)) {
		return false, nil
	}
	runCtx, cancel := context.WithCancelCause(store.WithFence(ctx, cur))
	defer cancel(nil)
	stop := l.keep(runCtx, cur, cancel)
	err = fn(runCtx)
	stop()
	if err == nil {
		if cause := context.Cause(runCtx); errors.Is(cause, store.ErrFenced) {
			err = cause
		}
	}
	if err != nil {
		return true, err
	}
	return true, l.St.LeaseDone(ctx, cur, start)
}

// keep renews cur while a run lasts and cancels the run (with
// store.ErrFenced) when the lease is lost; the returned stop ends it.
func (l *Lease) keep(ctx context.Context, cur store.Lease, cancel context.CancelCauseFunc) (stop func()) {
	renew := l.Renew
	var t *time.Ticker
	if renew == nil {
		t = time.NewTicker(l.ttl() / 3)
		renew = t.C
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		if t != nil {
			defer t.Stop()
		}
		for {
			select {
			case <-quit:
				return
			case <-ctx.Done():
				return
			case <-renew:
			}
			next, ok, err := l.Hold(context.WithoutCancel(ctx))
			switch {
			case err == nil && ok && next.Fence == cur.Fence:
				cur = next
			case err == nil || errors.Is(err, store.ErrFenced) || !l.now().Before(cur.Until):
				// Taken over, or not renewed before it ran out: stop.
				l.log().Warn("job lease lost", "job", l.Name, "holder", l.Holder, "err", err)
				cancel(store.ErrFenced)
				return
			default: // the database did not answer: the lease still runs
				l.log().Warn("renewing job lease", "job", l.Name, "err", err)
			}
		}
	})
	return func() { close(quit); wg.Wait() }
}

// Lead runs fn, a loop that runs until its context ends, while this node
// holds the lease: it tries to take the lease at once and then at every
// tick (default every TTL/3), renewing it, and ends fn (cancelling its
// context, then waiting for it) when the lease is lost or ctx ends. fn's
// context carries the lease, so its writes are fenced.
func (l *Lease) Lead(ctx context.Context, tick <-chan time.Time, fn func(context.Context)) {
	if tick == nil {
		t := time.NewTicker(l.ttl() / 3)
		defer t.Stop()
		tick = t.C
	}
	var (
		cur    store.Lease
		cancel context.CancelFunc
		done   chan struct{}
	)
	end := func() {
		if cancel != nil {
			cancel()
			<-done
			cancel, done = nil, nil
		}
	}
	defer end()
	for {
		next, ok, err := l.Hold(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil && cancel != nil && l.now().Before(cur.Until):
			l.log().Warn("renewing job lease", "job", l.Name, "err", err) // still ours for a while
		case err != nil || !ok || (cancel != nil && next.Fence != cur.Fence):
			if cancel != nil {
				l.log().Warn("job lease lost", "job", l.Name, "holder", l.Holder, "err", err)
			}
			end()
		case cancel == nil:
			cur = next
			cancel, done = start(store.WithFence(ctx, cur), fn)
			l.log().Info("job lease taken", "job", l.Name, "holder", l.Holder, "fence", cur.Fence)
		default:
			cur = next
		}
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
	}
}

// start runs fn in a goroutine under a context of its own; cancel ends it,
// done closes when it has returned.
func start(ctx context.Context, fn func(context.Context)) (cancel context.CancelFunc, done chan struct{}) {
	ctx, cancel = context.WithCancel(ctx)
	done = make(chan struct{})
	go func() { defer close(done); fn(ctx) }()
	return cancel, done
}
