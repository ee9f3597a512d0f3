package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/store"
)

// TestDeferImportIndexes: an import into a store of few cases drops the
// secondary indexes of cases, events and import_keys in one transaction
// that lists them (the unique ones stay, and still refuse a repeated id);
// a store closed in between — as by a kill — has them all back, exactly as
// they were, when opened again; a larger store keeps them.
func TestDeferImportIndexes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "whistle.db")
	s, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	before, err := s.ImportTableIndexes(ctx)
	if err != nil || len(before) < 17 {
		t.Fatalf("indexes %v %v", before, err)
	}
	// Not on a store of more cases than the bound.
	run := store.ImportRun{FileKey: "k", Kind: "open311", Source: "open311", File: "f", StartedAt: time.Unix(1e9, 0)}
	loc := time.FixedZone("CST", 8*3600)
	at := time.Date(2015, 3, 1, 10, 0, 0, 0, loc)
	mk := func(id string) store.ImportCase {
		c := lifecycle.Case{Channel: "open311", Type: "report", Category: "open311.p", Urgency: "general", Title: "Pothole " + id,
			State: lifecycle.Received, CreatedAt: at, ReceivedAt: at, UpdatedAt: at, Version: 1}
		return store.ImportCase{ExternalID: id, Case: c, Events: []lifecycle.Event{{Action: lifecycle.ActCreate, ToState: lifecycle.Received, ActorName: "import", At: at}}}
	}
	write := func(s *store.Store, b store.ImportBatch) error {
		b.Loc, b.Now = loc, at
		return s.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.WriteImportBatch(ctx, &run, b)
			return err
		})
	}
	if err := s.Write(ctx, func(tx *store.Tx) error { return tx.StartImportRun(ctx, &run) }); err != nil {
		t.Fatal(err)
	}
	if err := write(s, store.ImportBatch{Cases: []store.ImportCase{mk("1"), mk("2")}, Line: 2}); err != nil {
		t.Fatal(err)
	}
	var dropped int
	deferIdx := func(s *store.Store, max int64) {
		t.Helper()
		if err := s.Write(ctx, func(tx *store.Tx) error {
			var err error
			dropped, err = tx.DeferImportIndexes(ctx, max)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	deferIdx(s, 1)
	if d, _ := s.ImportIndexesDeferred(ctx); dropped != 0 || d {
		t.Fatalf("a store of 2 cases over a bound of 1 dropped %d indexes", dropped)
	}
	deferIdx(s, 2)
	during, err := s.ImportTableIndexes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := s.ImportIndexesDeferred(ctx); dropped == 0 || !d || len(during) != len(before)-dropped {
		t.Fatalf("dropped %d (deferred %v): %d indexes of %d left", dropped, d, len(during), len(before))
	}
	for _, ix := range during {
		if name, sql, _ := strings.Cut(ix, ": "); !strings.HasPrefix(name, "sqlite_autoindex_") && !strings.HasPrefix(sql, "CREATE UNIQUE") {
			t.Errorf("index %s kept", ix)
		}
	}
	// Again (a resumed run): nothing more to drop.
	deferIdx(s, 2)
	if dropped != 0 {
		t.Errorf("a second deferral dropped %d", dropped)
	}
	// The unique indexes still refuse a repeated id, and the batches go on.
	err = write(s, store.ImportBatch{Cases: []store.ImportCase{mk("2")}, Line: 3})
	var e *errs.Error
	if !errors.As(err, &e) || e.Code != errs.Exists || e.Field != "external_id" {
		t.Fatalf("repeated id without the secondary indexes: %v", err)
	}
	if err := write(s, store.ImportBatch{Cases: []store.ImportCase{mk("3")}, Line: 3}); err != nil {
		t.Fatal(err)
	}
	// Killed here: the next Open builds them.
	s.Close()
	s, err = store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	after, err := s.ImportTableIndexes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("indexes after the reopen:\n%s\nbefore:\n%s", strings.Join(after, "\n"), strings.Join(before, "\n"))
	}
	if d, _ := s.ImportIndexesDeferred(ctx); d {
		t.Error("still listed as deferred")
	}
	if n, err := s.BuildImportIndexes(ctx); err != nil || n != 0 {
		t.Errorf("built %d again (%v)", n, err)
	}
	// Deferred and built by the import itself.
	deferIdx(s, 10)
	if n, err := s.BuildImportIndexes(ctx); err != nil || n != dropped || n == 0 {
		t.Errorf("built %d of %d (%v)", n, dropped, err)
	}
	if after, _ = s.ImportTableIndexes(ctx); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("indexes after the build:\n%s", strings.Join(after, "\n"))
	}
}

// TestDeferImportIndexesPostgres: PostgreSQL's imports keep their indexes.
func TestDeferImportIndexesPostgres(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		if s.Dialect() != store.Postgres {
			t.Skip("SQLite: TestDeferImportIndexes")
		}
		ctx := context.Background()
		var n int
		if err := s.Write(ctx, func(tx *store.Tx) error {
			var err error
			n, err = tx.DeferImportIndexes(ctx, 1<<40)
			return err
		}); err != nil || n != 0 {
			t.Fatalf("dropped %d on PostgreSQL (%v)", n, err)
		}
		if d, err := s.ImportIndexesDeferred(ctx); err != nil || d {
			t.Errorf("deferred %v %v", d, err)
		}
	})
}
