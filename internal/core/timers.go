package core

import (
	"context"
	"errors"
	"fmt"
)

// FireEach fires due timers one by one, each by fire in its own write
// (fire reports whether this node claimed it). A timer that fails is
// logged, left due and reported in the joined error; the timers behind it
// fire all the same. It stops early only when ctx ends.
func (s *Core) FireEach(ctx context.Context, n int, name func(i int) string, fire func(i int) (bool, error)) (int, error) {
	fired := 0
	var failed error
	for i := 0; i < n; i++ {
		if ctx.Err() != nil {
			break
		}
		did, err := fire(i)
		if err != nil {
			if ctx.Err() != nil {
				return fired, errors.Join(failed, err)
			}
			s.Log.Error("timer failed", "timer", name(i), "err", err)
			failed = errors.Join(failed, fmt.Errorf("%s: %w", name(i), err))
			continue
		}
		if did {
			fired++
		}
	}
	return fired, failed
}
