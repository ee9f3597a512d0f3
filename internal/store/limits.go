package store

import (
	"context"
	"errors"
	"sort"
	"time"
)

// Rate-limit counts shared by the nodes of one database (migration 0017).
// Each key counts tries in fixed windows; a reservation adds one try to
// every key in one transaction, each with an atomic upsert, and is refused
// (and rolled back, counting nothing) when any key is over its allowance.
// The allowance is checked over a sliding window, estimated from the
// current window's count and the previous one's weighted by how much of it
// still lies within the last window length, so that a burst straddling
// two fixed windows does not get twice the allowance.

// LimitCount is one key a try counts against and its allowance per window.
type LimitCount struct {
	Key string
	Max int
}

var errOverLimit = errors.New("store: over the limit")

// windowStart is the start (Unix milliseconds) of the fixed window of
// length window holding now.
func windowStart(window time.Duration, now time.Time) int64 {
	w := window.Milliseconds()
	t := now.UnixMilli()
	return t - ((t%w)+w)%w
}

// ReserveLimits counts one try at now against every count, atomically with
// respect to every other node on the database: it returns true when all
// are within their allowance, and false, counting nothing, when any is
// spent. Keys are locked in a fixed (sorted) order, so that concurrent
// reservations cannot deadlock.
func (s *Store) ReserveLimits(ctx context.Context, counts []LimitCount, window time.Duration, now time.Time) (bool, error) {
	if window < time.Millisecond {
		return false, errors.New("store: limit window too short")
	}
	sorted := append([]LimitCount(nil), counts...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Key < sorted[j].Key })
	w := window.Milliseconds()
	start := windowStart(window, now)
	elapsed := now.UnixMilli() - start
	err := s.Write(ctx, func(tx *Tx) error {
		for _, c := range sorted {
			var cur int64
			if err := tx.row(ctx, `INSERT INTO login_limits(lim_key, window_start, n) VALUES (?,?,1)
				ON CONFLICT(lim_key, window_start) DO UPDATE SET n = login_limits.n + 1 RETURNING n`, c.Key, start).Scan(&cur); err != nil {
				return err
			}
			if cur > int64(c.Max) {
				return errOverLimit
			}
			var prev int64
			if err := tx.row(ctx, "SELECT COALESCE(SUM(n), 0) FROM login_limits WHERE lim_key = ? AND window_start = ?", c.Key, start-w).Scan(&prev); err != nil {
				return err
			}
			// cur + prev × (w − elapsed)/w > max, in integers.
			if cur*w+prev*(w-elapsed) > int64(c.Max)*w {
				return errOverLimit
			}
		}
		return nil
	})
	if errors.Is(err, errOverLimit) {
		return false, nil
	}
	return err == nil, err
}

// RefundLimits takes back one try reserved at now from every key (a
// login that succeeded).
func (s *Store) RefundLimits(ctx context.Context, keys []string, window time.Duration, now time.Time) error {
	sorted := append([]string(nil), keys...)
	sort.Strings(sorted)
	start := windowStart(window, now)
	return s.Write(ctx, func(tx *Tx) error {
		for _, k := range sorted {
			if _, err := tx.exec(ctx, "UPDATE login_limits SET n = n - 1 WHERE lim_key = ? AND window_start = ? AND n > 0", k, start); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteOldLimits deletes the counts of windows that started before before.
func (q Queries) DeleteOldLimits(ctx context.Context, before time.Time) (int64, error) {
	res, err := q.exec(ctx, "DELETE FROM login_limits WHERE window_start < ?", before.UnixMilli())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
