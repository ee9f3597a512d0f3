package governance_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"whistle/internal/agenda"
	"whistle/internal/pgtest"
	"whistle/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// eachStore runs fn on a SQLite file and on a PostgreSQL database.
func eachStore(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, filepath.Join(t.TempDir(), "w.db")) })
	t.Run("postgres", func(t *testing.T) { fn(t, pgtest.NewDatabase(t)) })
}

// closeSeededTopics closes the topics the demo seeds (its spring story), so
// that a test counts only the topics it makes.
func closeSeededTopics(t testing.TB, ctx context.Context, st *store.Store) {
	t.Helper()
	ts, err := st.Topics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tp := range ts {
		prev := tp.Version
		tp.State, tp.Version = agenda.Closed, tp.Version+1
		if err := st.Write(ctx, func(tx *store.Tx) error { return tx.UpdateTopic(ctx, tp, prev) }); err != nil {
			t.Fatal(err)
		}
	}
}
