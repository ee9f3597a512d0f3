// Package delivery delivers the outbox (issue #13) to its subscribers:
// webhooks signed with HMAC-SHA256 and, optionally, a NATS JetStream
// subject. Delivery is at least once and in order per key (a case, a
// whistle): the head of each (subscription, key) queue is the only one
// sent, and a later event waits until the earlier one is delivered or
// dead-lettered. The state (which deliveries are pending, attempts, next
// try, leases) is in the database, so a restarted node continues where it
// stopped, and several nodes on PostgreSQL share the work (claims skip
// rows locked by another node, and each claim is a lease).
package delivery

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"whistle/internal/events"
	"whistle/internal/store"
)

// Sender delivers one event to one subscription. status is the HTTP status
// (0 for other transports); an error means "try again later".
type Sender interface {
	Send(ctx context.Context, sub store.Subscription, env events.Envelope, body []byte) (status int, err error)
}

// Worker moves the outbox to the subscribers.
type Worker struct {
	St      *store.Store
	Node    string            // lease holder name
	Senders map[string]Sender // by subscription kind (store.SubWebhook, store.SubNATS)
	Backoff events.Backoff    // zero = events.DefaultBackoff
	Now     func() time.Time  // zero = time.Now (tests drive it)
	Rand    func() float64    // jitter draw in [0,1); zero = math/rand/v2
	Lease   time.Duration     // how long a claim is held; zero = 2 minutes
	Batch   int               // deliveries claimed per step; zero = 64
	Poll    time.Duration     // fallback poll; zero = 2s
	Log     *slog.Logger
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *Worker) backoff() events.Backoff {
	if w.Backoff.Base == 0 {
		return events.DefaultBackoff
	}
	return w.Backoff
}

// Envelope builds what a subscriber receives for a delivery.
func Envelope(d store.Delivery) (events.Envelope, []byte, error) {
	env := events.Envelope{ID: d.Event.EventID, Type: d.Event.Type, Time: d.Event.At.UTC(), CaseID: d.Event.CaseID, CaseNumber: d.CaseNumber, Seq: d.Event.Seq}
	if d.Event.Body != "" {
		if err := json.Unmarshal([]byte(d.Event.Body), &env.Data); err != nil {
			return env, nil, err
		}
	}
	b, err := json.Marshal(env)
	return env, b, err
}

type result struct {
	d      store.Delivery
	status int
	err    error
}

// Step does one round: fans committed outbox rows out to the
// subscriptions, claims the due heads of the queues, sends them (queues in
// parallel, a queue's events one after another across steps) and records
// the outcomes. It returns how many rows it fanned out and deliveries it
// attempted; 0 means there was nothing to do now.
func (w *Worker) Step(ctx context.Context) (int, error) {
	now := w.now()
	var fanned int
	fanout, due, err := w.St.OutboxWork(ctx, now)
	if err != nil {
		return 0, fmt.Errorf("delivery: %w", err)
	}
	for fanout {
		var n int
		if err := w.St.Write(ctx, func(tx *store.Tx) error {
			var err error
			n, err = tx.FanOut(ctx, now, 500)
			return err
		}); err != nil {
			return fanned, fmt.Errorf("delivery: fan-out: %w", err)
		}
		fanned += n
		if n < 500 {
			break
		}
	}
	if fanned > 0 && !due {
		// Did the fan-out make deliveries (are there subscribers)?
		if _, due, err = w.St.OutboxWork(ctx, now); err != nil {
			return fanned, fmt.Errorf("delivery: %w", err)
		}
	}
	if !due {
		return fanned, nil
	}
	batch, lease := w.Batch, w.Lease
	if batch <= 0 {
		batch = 64
	}
	if lease <= 0 {
		lease = 2 * time.Minute
	}
	var claimed []store.Delivery
	if err := w.St.Write(ctx, func(tx *store.Tx) error {
		var err error
		claimed, err = tx.ClaimDeliveries(ctx, now, w.Node, lease, batch)
		return err
	}); err != nil {
		return fanned, fmt.Errorf("delivery: claim: %w", err)
	}
	if len(claimed) == 0 {
		return fanned, nil
	}
	subs := map[int64]store.Subscription{}
	all, err := w.St.Subscriptions(ctx, "")
	if err != nil {
		return fanned, err
	}
	for _, s := range all {
		subs[s.ID] = s
	}
	results := make([]result, len(claimed))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, d := range claimed {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i] = w.send(ctx, subs[d.SubID], d)
		}()
	}
	wg.Wait()
	done := w.now()
	bo := w.backoff()
	err = w.St.Write(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		for _, r := range results {
			if r.err == nil {
				if err := tx.DeliveryDone(ctx, r.d.ID, done, r.status); err != nil {
					return err
				}
				continue
			}
			n := r.d.Attempts + 1
			next := done.Add(bo.Delay(n, w.rand()))
			if err := tx.DeliveryFailed(ctx, r.d.ID, n, next, bo.Dead(n), r.status, r.err.Error()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fanned, fmt.Errorf("delivery: record: %w", err)
	}
	for _, r := range results {
		if r.err != nil && w.Log != nil {
			w.Log.Warn("event delivery failed", "subscription", r.d.SubID, "event", r.d.Event.EventID, "attempt", r.d.Attempts+1, "err", r.err)
		}
	}
	return fanned + len(claimed), nil
}

func (w *Worker) rand() float64 {
	if w.Rand != nil {
		return w.Rand()
	}
	return rand.Float64()
}

func (w *Worker) send(ctx context.Context, sub store.Subscription, d store.Delivery) result {
	r := result{d: d}
	s := w.Senders[sub.Kind]
	if s == nil || sub.ID == 0 {
		r.err = fmt.Errorf("no sender for subscription kind %q", sub.Kind)
		return r
	}
	env, body, err := Envelope(d)
	if err != nil {
		r.err = err
		return r
	}
	r.status, r.err = s.Send(ctx, sub, env, body)
	return r
}

// Keep is how long delivered events stay in the outbox and the delivery
// history (the admin page's list); dead letters stay until replayed.
const Keep = 7 * 24 * time.Hour

// prune deletes delivered history older than Keep, in bounded batches.
func (w *Worker) prune(ctx context.Context, now time.Time) {
	for range 100 {
		var n int64
		err := w.St.Write(ctx, func(tx *store.Tx) error {
			var err error
			n, err = tx.PruneOutbox(ctx, now.Add(-Keep), 5000)
			return err
		})
		if err != nil {
			if ctx.Err() == nil && w.Log != nil {
				w.Log.Warn("outbox prune", "err", err)
			}
			return
		}
		if n < 5000 {
			return
		}
	}
}

// debounce is how long the worker lets events gather before a step.
const debounce = 50 * time.Millisecond

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Run steps until ctx ends: at once after an outbox insert in this process
// (and once more shortly after, since the signal may come before the
// commit), while there is work, and every Poll otherwise (other nodes'
// events, retries coming due).
func (w *Worker) Run(ctx context.Context) {
	poll := w.Poll
	if poll <= 0 {
		poll = 2 * time.Second
	}
	recheck := time.NewTimer(time.Hour)
	recheck.Stop()
	tick := time.NewTicker(poll)
	defer tick.Stop()
	var pruned time.Time
	for {
		if now := w.now(); now.Sub(pruned) > time.Hour {
			pruned = now
			w.prune(ctx, now)
		}
		changed := store.OutboxChanged()
		n, err := w.Step(ctx)
		if err != nil && ctx.Err() == nil && w.Log != nil {
			w.Log.Warn("event delivery step", "err", err)
		}
		if ctx.Err() != nil {
			return
		}
		if n > 0 && err == nil {
			// More may be waiting (later events of the cases just
			// delivered), but let the commits of a busy intake gather
			// first: a step costs write transactions.
			if !sleep(ctx, debounce) {
				return
			}
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
			// The signal comes before the commit: gather, then look.
			if !sleep(ctx, debounce) {
				return
			}
			recheck.Reset(100 * time.Millisecond)
		case <-recheck.C:
		case <-tick.C:
		}
	}
}
