package store_test

import (
	"path/filepath"
	"sync/atomic"
	"testing"

	"whistle/internal/lifecycle"
	"whistle/internal/store"
)

// BenchmarkAppendEvent: the cost of one case event written in its own
// (group-committed) transaction on SQLite with synchronous=NORMAL, so the
// disk does not dominate; run it on a commit before issue #13 to see what
// the outbox row adds.
func BenchmarkAppendEvent(b *testing.B) {
	s, err := store.Open(ctx, filepath.Join(b.TempDir(), "w.db"), store.Options{SQLiteSync: "normal"})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	c := testCase(1)
	if err := s.Write(ctx, func(tx *store.Tx) error { return tx.InsertCase(ctx, c) }); err != nil {
		b.Fatal(err)
	}
	var seq atomic.Int64
	seq.Store(10)
	b.SetParallelism(32) // many writers, as a busy intake: group commits
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			e := lifecycle.Event{CaseID: c.ID, Seq: int(seq.Add(1)), Action: lifecycle.Action("dispatch"), FromState: lifecycle.Received, ToState: lifecycle.Dispatched, At: base}
			if err := s.Write(ctx, func(tx *store.Tx) error { return tx.AppendEvent(ctx, &e) }); err != nil {
				b.Fatal(err)
			}
		}
	})
}
