package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Job leases (issue #14, docs/SCALEOUT.md): a background job that must run
// on one node at a time, when several nodes share one PostgreSQL, holds the
// row of its name in job_leases. The holder renews it before it runs out;
// another node takes it over only once it has run out, and the takeover
// raises the fence. Writes made for the job carry the lease in their
// context (WithFence) and check the fence inside their transaction, so a
// holder that lost its lease without knowing it (a long pause, a cut-off
// connection) cannot write over its successor. With SQLite (one node) the
// same code takes the lease at once and keeps it.

// ErrFenced means a write made under a job lease was refused: the lease
// has been taken over by another holder (or never was this holder's).
var ErrFenced = errors.New("store: job lease lost to another node (fenced)")

// Lease is a job lease as held by one holder.
type Lease struct {
	Name   string
	Holder string
	Fence  int64     // grows by one at every takeover by another holder
	Until  time.Time // held until (by the holder's clock)
	Done   time.Time // the job's last completed run (zero: never)
}

// AcquireLease takes or renews the lease name for holder until now+ttl, in
// one statement: the row is inserted (fence 1), or updated when it has run
// out or is holder's own (a takeover raises the fence, a renewal keeps it).
// ok is false, with no error, while another holder's lease runs.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (l Lease, ok bool, err error) {
	err = s.Write(ctx, func(tx *Tx) error {
		l, ok = Lease{}, false
		var until, done int64
		err := tx.row(ctx, "INSERT INTO job_leases(name, holder, fence, until_ms) VALUES (?, ?, 1, ?)"+
			" ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_ms = excluded.until_ms,"+
			" fence = CASE WHEN job_leases.holder = excluded.holder THEN job_leases.fence ELSE job_leases.fence + 1 END"+
			" WHERE job_leases.until_ms < ? OR job_leases.holder = excluded.holder"+
			" RETURNING fence, until_ms, done_ms", name, holder, ms(now.Add(ttl)), ms(now)).Scan(&l.Fence, &until, &done)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		l.Name, l.Holder, l.Until, ok = name, holder, fromMS(until), true
		if done > 0 {
			l.Done = fromMS(done)
		}
		return nil
	})
	return l, ok, err
}

// LeaseOf returns the lease row of name as stored (found false: never taken).
func (s *Store) LeaseOf(ctx context.Context, name string) (l Lease, found bool, err error) {
	var until, done int64
	err = s.row(ctx, "SELECT holder, fence, until_ms, done_ms FROM job_leases WHERE name = ?", name).Scan(&l.Holder, &l.Fence, &until, &done)
	if errors.Is(err, sql.ErrNoRows) {
		return Lease{Name: name}, false, nil
	}
	if err != nil {
		return l, false, err
	}
	l.Name, l.Until = name, fromMS(until)
	if done > 0 {
		l.Done = fromMS(done)
	}
	return l, true, nil
}

// LeaseDone records that the job under l completed a run at: the next
// period is counted from it, whichever node holds the lease then. It is
// refused with ErrFenced when l was taken over.
func (s *Store) LeaseDone(ctx context.Context, l Lease, at time.Time) error {
	return s.Write(ctx, func(tx *Tx) error {
		return tx.fenced(ctx, "UPDATE job_leases SET done_ms = ? WHERE name = ? AND holder = ? AND fence = ?", ms(at), l.Name, l.Holder, l.Fence)
	})
}

// CheckFence fails with ErrFenced unless l is still the lease as stored
// (same holder, same fence). In a PostgreSQL transaction it also locks the
// lease row until the transaction ends, so a takeover waits for the write
// that checked the fence and the stale holder's write cannot commit after
// its successor started.
func (q Queries) CheckFence(ctx context.Context, l Lease) error {
	return q.fenced(ctx, "UPDATE job_leases SET fence = fence WHERE name = ? AND holder = ? AND fence = ?", l.Name, l.Holder, l.Fence)
}

func (q Queries) fenced(ctx context.Context, query string, args ...any) error {
	res, err := q.exec(ctx, query, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return ErrFenced
	}
	return nil
}

type fenceKey struct{}

// WithFence returns a context whose writes (Store.Write) are made under the
// lease l: each checks l's fence first in its own transaction (CheckFence)
// and fails with ErrFenced, writing nothing, once l was taken over.
func WithFence(ctx context.Context, l Lease) context.Context {
	return context.WithValue(ctx, fenceKey{}, l)
}

// fenceWrite wraps fn in the fence check when ctx carries a lease.
func fenceWrite(ctx context.Context, fn func(*Tx) error) func(*Tx) error {
	l, ok := ctx.Value(fenceKey{}).(Lease)
	if !ok {
		return fn
	}
	return func(tx *Tx) error {
		if err := tx.CheckFence(ctx, l); err != nil {
			return err
		}
		return fn(tx)
	}
}
