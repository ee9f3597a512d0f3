package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"whistle/internal/pgtest"
)

// With an analysis DSN, Store.Analysis reads from that replica — it sees
// what the primary committed once replication brings it, it cannot write,
// and it fails when the replica is away while the primary serves on — and
// the other reads and every write stay on the primary.
func TestAnalysisOnReplica(t *testing.T) {
	if _, ok := pgtest.Available(); !ok {
		if pgtest.Required() {
			t.Fatal(pgtest.ErrNotAvailable)
		}
		t.Skip(pgtest.ErrNotAvailable)
	}
	ctx := context.Background()
	primary, err := pgtest.StartCluster(ctx, pgtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer primary.Stop()
	dsn, err := primary.CreateDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, filepath.Join(t.TempDir(), "x.db"), Options{AnalysisDSN: dsn}); err == nil {
		t.Fatal("a SQLite store took an analysis DSN")
	}
	s0, err := Open(ctx, dsn, Options{}) // the schema, before the copy
	if err != nil {
		t.Fatal(err)
	}
	s0.Close()
	replica, err := primary.StartReplica(ctx, pgtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer replica.Stop()
	dbname := filepath.Base(dsn[:len(dsn)-len("?sslmode=disable")])
	s, err := Open(ctx, dsn, Options{AnalysisDSN: replica.DSN(dbname)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Write(ctx, func(tx *Tx) error { return tx.PutSetting(ctx, "replica.seen", "yes", time.Now()) }); err != nil {
		t.Fatal(err)
	}
	// Replication is asynchronous: wait (a real process) for the row.
	deadline := time.Now().Add(60 * time.Second)
	for {
		got, err := s.Analysis.Settings(ctx, "replica.")
		if err != nil {
			t.Fatal(err)
		}
		if got["replica.seen"] == "yes" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replica never saw the primary's write: %v\n%s", got, replica.LogTail(20))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := s.Analysis.exec(ctx, "INSERT INTO settings(key, value, updated_at) VALUES ('replica.write', 'x', 0)"); err == nil {
		t.Fatal("a write went through the analysis pool")
	}
	if err := replica.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Analysis.Settings(ctx, "replica."); err == nil {
		t.Fatal("Analysis still answers with its replica stopped: it reads elsewhere")
	}
	if got, err := s.Settings(ctx, "replica."); err != nil || got["replica.seen"] != "yes" {
		t.Fatalf("the primary's reads: %v %v", got, err)
	}
}
