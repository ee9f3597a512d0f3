package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// A write whose caller gives up in the middle of a long statement must fail
// alone: the other writes of the same group commit still commit (SQLite
// rolls back a whole transaction when a write statement is interrupted, so
// the batch must never run statements under callers' contexts).
func TestBatchSurvivesCancelledLongWrite(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "b.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, "CREATE TABLE big(x INTEGER)"); err != nil {
			return err
		}
		_, err := tx.exec(ctx, "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM r WHERE i < 100000) INSERT INTO big SELECT i FROM r")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Hold the writer so that B, A and C queue up and share the next batch.
	hold := make(chan struct{})
	held := make(chan error, 1)
	go func() {
		held <- s.Write(ctx, func(tx *Tx) error { <-hold; return nil })
	}()
	time.Sleep(50 * time.Millisecond)

	res := map[string]chan error{"B": make(chan error, 1), "A": make(chan error, 1), "C": make(chan error, 1)}
	go func() {
		res["B"] <- s.Write(ctx, func(tx *Tx) error { return tx.PutSetting(ctx, "batch.B", "1", time.Now()) })
	}()
	time.Sleep(20 * time.Millisecond)
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	started := make(chan struct{})
	go func() {
		res["A"] <- s.Write(actx, func(tx *Tx) error {
			if err := tx.PutSetting(actx, "batch.A", "1", time.Now()); err != nil {
				return err
			}
			close(started)
			for range 200 { // until the caller gives up; the cancel lands mid-statement
				if err := actx.Err(); err != nil {
					return err
				}
				if _, err := tx.exec(actx, "UPDATE big SET x = x + 1"); err != nil {
					return err
				}
			}
			return nil
		})
	}()
	time.Sleep(20 * time.Millisecond)
	go func() {
		res["C"] <- s.Write(ctx, func(tx *Tx) error { return tx.PutSetting(ctx, "batch.C", "1", time.Now()) })
	}()
	time.Sleep(20 * time.Millisecond)
	close(hold)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	<-started
	time.Sleep(30 * time.Millisecond)
	cancel()
	errB, errA, errC := <-res["B"], <-res["A"], <-res["C"]
	if errB != nil || errC != nil {
		t.Fatalf("writes sharing the batch failed: B=%v C=%v (A=%v)", errB, errC, errA)
	}
	got, err := s.Settings(ctx, "batch.")
	if err != nil {
		t.Fatal(err)
	}
	if got["batch.B"] != "1" || got["batch.C"] != "1" {
		t.Fatalf("B and C must be stored: %v", got)
	}
	if (errA == nil) != (got["batch.A"] == "1") {
		t.Fatalf("A reported %v but its row present = %v", errA, got["batch.A"] == "1")
	}
}
