package pgtest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

// shared is the per-test-binary cluster used by NewDatabase.
var shared struct {
	mu      sync.Mutex
	cluster *Cluster
	err     error // sticky start error
	stopped bool
}

// Required reports whether PostgreSQL tests must run rather than skip: the
// environment variable CI is non-empty or WHISTLE_REQUIRE_PG=1.
func Required() bool {
	return os.Getenv("CI") != "" || os.Getenv("WHISTLE_REQUIRE_PG") == "1"
}

// SharedCluster returns the per-test-binary cluster, starting it on first
// use. If PostgreSQL binaries are missing it calls t.Fatal when Required,
// otherwise t.Skip; if the cluster fails to start it calls t.Fatal with the
// error and the server log tail. The cluster is stopped by Main.
func SharedCluster(t testing.TB) *Cluster {
	t.Helper()
	binDir, ok := Available()
	if !ok {
		msg := "pgtest: PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH or in /usr/lib/postgresql/*/bin; install PostgreSQL (e.g. apt-get install postgresql) to run this test"
		if Required() {
			t.Fatal(msg + " (required because CI or WHISTLE_REQUIRE_PG=1 is set)")
		}
		t.Skip(msg + " (skipping; set WHISTLE_REQUIRE_PG=1 to make this fatal)")
	}

	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.stopped {
		t.Fatal("pgtest: shared cluster already stopped by pgtest.Main")
	}
	if shared.cluster == nil && shared.err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		opts := Options{BinDir: binDir}
		if testing.Verbose() {
			opts.Logf = func(format string, args ...any) {
				fmt.Fprintf(os.Stderr, format+"\n", args...)
			}
		}
		shared.cluster, shared.err = StartCluster(ctx, opts)
		cancel()
	}
	if shared.err != nil {
		// The error from StartCluster includes the server log tail.
		t.Fatalf("pgtest: starting shared PostgreSQL cluster: %v", shared.err)
	}
	return shared.cluster
}

// NewDatabase returns the DSN of a fresh, empty database in the shared
// per-test-binary cluster (started lazily on first use, stopped by Main).
// Nothing is dropped on cleanup: the whole cluster is thrown away.
//
// If PostgreSQL binaries are missing, it calls t.Fatal when the environment
// variable CI is non-empty or WHISTLE_REQUIRE_PG=1, and t.Skip otherwise. If
// the cluster fails to start, it calls t.Fatal with the server log tail.
func NewDatabase(t testing.TB) string {
	t.Helper()
	c := SharedCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dsn, err := c.CreateDatabase(ctx)
	if err != nil {
		t.Fatalf("%v\nserver log tail:\n%s", err, c.LogTail(20))
	}
	return dsn
}

// Main runs the tests and then stops the shared cluster, if one was started.
// It returns the exit code for os.Exit:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
func Main(m *testing.M) (code int) {
	defer func() {
		if err := stopShared(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stopping shared cluster: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}()
	return m.Run()
}

func stopShared() error {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	shared.stopped = true
	if shared.cluster == nil {
		return nil
	}
	return shared.cluster.Stop()
}
