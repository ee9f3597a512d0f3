package accounts

import (
	"context"
	"time"

	"whistle/internal/auth"
	"whistle/internal/store"
)

// limitsKept is how long shared login counts are kept: windows are
// minutes long, and the last two are all a reservation reads.
const limitsKept = 24 * time.Hour

// SharedLogins returns login counts kept in st, for an auth.LoginLimiter's
// Shared: every node on the database then charges its tries to one
// allowance per user and address, user, address and network.
func SharedLogins(st *store.Store) auth.LoginCounts { return sharedLogins{st} }

type sharedLogins struct{ st *store.Store }

func (d sharedLogins) ReserveLimits(ctx context.Context, keys []auth.LimitKey, window time.Duration, now time.Time) (bool, error) {
	counts := make([]store.LimitCount, len(keys))
	for i, k := range keys {
		counts[i] = store.LimitCount{Key: k.Key, Max: k.Max}
	}
	return d.st.ReserveLimits(ctx, counts, window, now)
}

func (d sharedLogins) RefundLimits(ctx context.Context, keys []string, window time.Duration, now time.Time) error {
	return d.st.RefundLimits(ctx, keys, window, now)
}

// limitsFailed logs a failure of the shared login counts (the try was
// refused with errs.Unavailable).
func (s *Service) limitsFailed(err error) {
	s.Log.Error("login limits unavailable; try refused", "err", err)
}
