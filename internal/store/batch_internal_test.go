package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"whistle/internal/insight"
	"whistle/internal/lifecycle"
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
	// Hold the writer so that B, A and C queue up, in that order, and share
	// the next batch: each is known to be queued (testQueued) before the
	// next is sent and before the writer is released.
	queued := make(chan struct{}, 1)
	s.testQueued = func() { queued <- struct{}{} }
	hold := make(chan struct{})
	holding := make(chan struct{})
	held := make(chan error, 1)
	go func() {
		held <- s.Write(ctx, func(tx *Tx) error { close(holding); <-hold; return nil })
	}()
	<-queued
	<-holding // the writer runs the holding write: the next ones wait in the queue

	res := map[string]chan error{"B": make(chan error, 1), "A": make(chan error, 1), "C": make(chan error, 1)}
	go func() {
		res["B"] <- s.Write(ctx, func(tx *Tx) error { return tx.PutSetting(ctx, "batch.B", "1", time.Now()) })
	}()
	<-queued
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	started := make(chan struct{})
	go func() {
		res["A"] <- s.Write(actx, func(tx *Tx) error {
			if err := tx.PutSetting(actx, "batch.A", "1", time.Now()); err != nil {
				return err
			}
			close(started)
			for { // long statements until the caller gives up; the cancel lands while they run
				if err := actx.Err(); err != nil {
					return err
				}
				if _, err := tx.exec(actx, "UPDATE big SET x = x + 1"); err != nil {
					return err
				}
			}
		})
	}()
	<-queued
	go func() {
		res["C"] <- s.Write(ctx, func(tx *Tx) error { return tx.PutSetting(ctx, "batch.C", "1", time.Now()) })
	}()
	<-queued
	if n := len(s.writes); n != 3 {
		t.Fatalf("%d writes queued behind the holding one, want 3", n)
	}
	close(hold)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	<-started
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
	// A returns only once its context is cancelled: it fails alone.
	if !errors.Is(errA, context.Canceled) || got["batch.A"] != "" {
		t.Fatalf("A = %v with its row %q, want context.Canceled and no row", errA, got["batch.A"])
	}
}

// A write alone in its batch runs without a savepoint: when it fails or
// panics after changing rows, none of its changes stay, and the next write
// commits as usual.
func TestLoneWriteFailsWhole(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "lone.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	boom := errors.New("boom")
	for _, tc := range []struct {
		name string
		fail func() error
	}{
		{"error", func() error { return boom }},
		{"panic", func() error { panic("lone write panics") }},
	} {
		err := s.Write(ctx, func(tx *Tx) error {
			if err := tx.PutSetting(ctx, "lone."+tc.name, "1", time.Now()); err != nil {
				return err
			}
			return tc.fail()
		})
		if err == nil {
			t.Fatalf("%s: the write succeeded", tc.name)
		}
		if v, err := s.Setting(ctx, "lone."+tc.name); err != nil || v != "" {
			t.Errorf("%s: the failed write's row is there (%q, %v)", tc.name, v, err)
		}
	}
	if err := s.Write(ctx, func(tx *Tx) error { return tx.PutSetting(ctx, "lone.after", "1", time.Now()) }); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Setting(ctx, "lone.after"); err != nil || v != "1" {
		t.Errorf("the next write: %q %v", v, err)
	}
}

// runAsOneBatch queues the writes behind a held writer, in order, so that
// they share one batch, then releases the writer and returns their results.
func runAsOneBatch(t *testing.T, s *Store, fns ...func(*Tx) error) []error {
	t.Helper()
	ctx := context.Background()
	queued := make(chan struct{}, 1)
	s.testQueued = func() { queued <- struct{}{} }
	defer func() { s.testQueued = nil }()
	hold, holding, held := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() { held <- s.Write(ctx, func(*Tx) error { close(holding); <-hold; return nil }) }()
	<-queued
	<-holding
	res := make([]chan error, len(fns))
	for i, fn := range fns {
		res[i] = make(chan error, 1)
		go func() { res[i] <- s.Write(ctx, fn) }()
		<-queued
	}
	if n := len(s.writes); n != len(fns) {
		t.Fatalf("%d writes queued behind the holding one, want %d", n, len(fns))
	}
	close(hold)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	out := make([]error, len(fns))
	for i := range res {
		out[i] = <-res[i]
	}
	return out
}

// The writes of a batch run without savepoints; when one fails (an error
// or a panic after it changed rows), the batch runs again without it, each
// write isolated: its neighbours commit, its rows do not, and only the
// writes that ran before it run twice.
func TestBatchRetriesWithoutTheFailingWrite(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "retry.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	boom := errors.New("boom")
	for _, tc := range []struct {
		name string
		fail func() error
	}{
		{"none", func() error { return nil }},
		{"error", func() error { return boom }},
		{"panic", func() error { panic("a write panics") }},
	} {
		calls := make([]int, 4)
		write := func(i int, fail func() error) func(*Tx) error {
			return func(tx *Tx) error {
				calls[i]++
				if err := tx.PutSetting(ctx, fmt.Sprintf("retry.%s.%d", tc.name, i), "1", time.Now()); err != nil {
					return err
				}
				if fail != nil {
					return fail()
				}
				return nil
			}
		}
		got := runAsOneBatch(t, s, write(0, nil), write(1, nil), write(2, tc.fail), write(3, nil))
		rows, err := s.Settings(ctx, "retry."+tc.name+".")
		if err != nil {
			t.Fatal(err)
		}
		wantCalls := []int{2, 2, 1, 1}
		if tc.name == "none" {
			wantCalls = []int{1, 1, 1, 1}
		}
		for i := range 4 {
			key := fmt.Sprintf("retry.%s.%d", tc.name, i)
			failing := i == 2 && tc.name != "none"
			if failing != (got[i] != nil) {
				t.Errorf("%s: write %d returned %v", tc.name, i, got[i])
			}
			if (rows[key] == "1") == failing {
				t.Errorf("%s: write %d stored=%q, want stored=%v", tc.name, i, rows[key], !failing)
			}
			if calls[i] != wantCalls[i] {
				t.Errorf("%s: write %d ran %d times, want %d", tc.name, i, calls[i], wantCalls[i])
			}
		}
	}
}

// The rollup increments of a group commit's new cases are stored once per
// distinct key before the commit (pendingDaily): the counts equal the
// cases', with or without a failing write in the batch (whose increments
// go with it), and a write that reads the rollups in the batch sees the
// earlier writes' increments.
func TestBatchRollupsExact(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "rollups.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	boom := errors.New("boom")
	n := 0
	newCase := func(i int) *lifecycle.Case {
		n++
		return &lifecycle.Case{Number: fmt.Sprintf("20260302%05d", n), Channel: "phone", Type: "complaint",
			Category: []string{"urban.stall", "noise.life"}[i%2], Urgency: "general", State: lifecycle.Received,
			Location:  lifecycle.Location{DistrictID: 1, StreetID: 2, CommunityID: 3, GridID: int64(10 + i%3)},
			CreatedAt: at, UpdatedAt: at, Version: 1, EventSeq: 1}
	}
	create := func(i int, fail bool) func(*Tx) error {
		c := newCase(i)
		return func(tx *Tx) error {
			nd, err := EncodeNewCase(c)
			if err != nil {
				return err
			}
			if err := tx.InsertNewCase(ctx, c, nd); err != nil {
				return err
			}
			if fail {
				return boom
			}
			return nil
		}
	}
	var seen int64 = -1
	reader := func(tx *Tx) error { // a write of the batch that reads the rollups
		return tx.row(ctx, "SELECT COALESCE(SUM(n), 0) FROM insight_daily").Scan(&seen)
	}
	check := func(what string) {
		t.Helper()
		got := map[string]int64{}
		if err := s.scanRows(ctx, "SELECT category, grid_id, n FROM insight_daily", nil, func(r *sql.Rows) error {
			var cat string
			var g, k int64
			if err := r.Scan(&cat, &g, &k); err != nil {
				return err
			}
			got[fmt.Sprint(cat, g)] = k
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{}
		if err := s.scanRows(ctx, "SELECT category, grid_id, COUNT(*) FROM cases GROUP BY category, grid_id", nil, func(r *sql.Rows) error {
			var cat string
			var g, k int64
			if err := r.Scan(&cat, &g, &k); err != nil {
				return err
			}
			want[fmt.Sprint(cat, g)] = k
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got, want) || len(want) == 0 {
			t.Fatalf("%s: rollups %v, cases %v", what, got, want)
		}
	}
	// No failure: one pass, the increments stored before the commit; the
	// reader (after six creates) sees them.
	fns := []func(*Tx) error{}
	for i := range 6 {
		fns = append(fns, create(i, false))
	}
	fns = append(fns, reader, create(6, false), create(7, false))
	for i, err := range runAsOneBatch(t, s, fns...) {
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if seen != 6 {
		t.Fatalf("the reader of the batch saw %d requests in the rollups, want 6", seen)
	}
	check("one pass")
	// A failing write: the batch runs again, each write in its savepoint.
	got := runAsOneBatch(t, s, create(0, false), create(1, false), create(3, true), create(3, false), create(4, false))
	for i, err := range got {
		if (i == 2) != (err != nil) {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	check("a failing write")
	var gen int64
	if err := s.row(ctx, "SELECT gen FROM insight_gens WHERE day = ?", int64(insight.DayOf(at))).Scan(&gen); err != nil || gen < 2 {
		t.Fatalf("the day's generation %d (%v): the batches did not touch it", gen, err)
	}
}

// walStore opens a SQLite store with a table w of blobs for the WAL tests,
// and returns its path.
func walStore(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "w.db")
	s, err := Open(context.Background(), path, Options{SQLiteSync: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	insertBlobs(t, s, 0)
	return s, path
}

// insertBlobs commits n rows of 3,000 random bytes to w in one write (n 0:
// creates w).
func insertBlobs(t *testing.T, s *Store, n int) {
	t.Helper()
	ctx := context.Background()
	if err := s.Write(ctx, func(tx *Tx) error {
		if n == 0 {
			_, err := tx.exec(ctx, "CREATE TABLE w(id INTEGER PRIMARY KEY, b BLOB)")
			return err
		}
		_, err := tx.exec(ctx, "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM r WHERE i < ?) INSERT INTO w(b) SELECT randomblob(3000) FROM r", n)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// TestCheckpointRestartsWALUnderWrites: while another goroutine commits
// without pause, a PASSIVE checkpoint alone seldom lets SQLite start the
// WAL again (a group commits while the pass runs, so the next transaction
// never begins with every frame copied), and the WAL grew until the
// writer checkpointed inside a commit. checkpointOnce's catch-up pass,
// with the writer held between two groups, must make the next transaction
// start the WAL again every time.
func TestCheckpointRestartsWALUnderWrites(t *testing.T) {
	ctx := context.Background()
	s, _ := walStore(t)
	stop := make(chan struct{})
	wrote := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				wrote <- nil
				return
			default:
			}
			if err := s.Write(ctx, func(tx *Tx) error {
				_, err := tx.exec(ctx, "INSERT INTO w(b) VALUES (randomblob(3000)), (randomblob(3000))")
				return err
			}); err != nil {
				wrote <- err
				return
			}
		}
	}()
	walLen := func() int {
		t.Helper()
		logged, _, err := s.checkpointPass()
		if err != nil {
			t.Fatal(err)
		}
		return logged
	}
	const catchUp = 200
	for round := 0; round < 5; round++ {
		// Let the WAL grow past catchUp frames while the writes go on.
		before := walLen()
		for before < 2*catchUp {
			insertBlobs(t, s, 1)
			before = walLen()
		}
		if err := s.checkpointOnce(catchUp, 1<<30); err != nil {
			t.Fatal(err)
		}
		// The next transaction begins with every frame copied: it starts
		// the WAL again, so the WAL is shorter than before, however many
		// groups the other goroutine commits meanwhile (a few frames each).
		if err := s.Write(ctx, func(tx *Tx) error {
			_, err := tx.exec(ctx, "INSERT INTO w(b) VALUES (x'00')")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if after := walLen(); after >= before {
			t.Fatalf("round %d: the WAL has %d frames after the catch-up, %d before: not started again", round, after, before)
		}
	}
	close(stop)
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
}

// TestCatchUpBacksOffForAReader: when a reader's snapshot keeps the held
// pass from copying everything, the checkpointer does not hold the writer
// again for the next ckptBackoffPasses passes.
func TestCatchUpBacksOffForAReader(t *testing.T) {
	ctx := context.Background()
	s, _ := walStore(t)
	insertBlobs(t, s, 300)
	conn, err := s.readDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rtx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := rtx.QueryRowContext(ctx, "SELECT count(*) FROM w").Scan(&n); err != nil {
		t.Fatal(err)
	}
	insertBlobs(t, s, 300) // frames past the reader's snapshot
	if err := s.checkpointOnce(100, 1<<30); err != nil {
		t.Fatal(err)
	}
	if b := s.ckptBackoff.Load(); b != ckptBackoffPasses {
		t.Fatalf("backoff %d after a held pass a reader held back, want %d", b, ckptBackoffPasses)
	}
	if err := s.checkpointOnce(100, 1<<30); err != nil {
		t.Fatal(err)
	}
	if b := s.ckptBackoff.Load(); b != ckptBackoffPasses-1 {
		t.Fatalf("backoff %d after the next pass, want %d", b, ckptBackoffPasses-1)
	}
	if err := rtx.Rollback(); err != nil {
		t.Fatal(err)
	}
}

// TestIdleWALTruncated: a long WAL (a bulk load) is given back to the file
// system once nothing has been written for a pass. (That a WAL being
// written to is not truncated is the idle test itself: the length seen by
// the last pass, which every commit changes.)
func TestIdleWALTruncated(t *testing.T) {
	ctx := context.Background()
	s, path := walStore(t)
	insertBlobs(t, s, 400)
	walSize := func() int64 {
		t.Helper()
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	const shrink = 100
	// The first pass sees the WAL for the first time (or after the
	// background checkpointer's pass, which recorded it): the WAL is truncated
	// at the latest on the second pass with no write between them.
	for i := 0; i < 2 && walSize() > 0; i++ {
		if err := s.checkpointOnce(1<<30, shrink); err != nil {
			t.Fatal(err)
		}
	}
	if n := walSize(); n != 0 {
		t.Fatalf("an idle WAL of more than %d frames is %d bytes after two passes, want 0", shrink, n)
	}
	// Written to again after the truncation: nothing lost.
	insertBlobs(t, s, 600)
	if walSize() == 0 {
		t.Fatal("a write after the truncation left no WAL")
	}
	var n int
	if err := s.readDB.QueryRowContext(ctx, "SELECT count(*) FROM w").Scan(&n); err != nil || n != 1000 {
		t.Fatalf("rows %d (%v), want 1000", n, err)
	}
}

// A group commit numbers its new cases from counters it keeps in memory
// and stores once before its commit (NextNumber, flushPending): the
// numbers have no gaps and no repeats when a write of the batch fails
// (its numbers go back with it), when a write moves a counter in the same
// batch (SetDaySeq), and across days.
func TestBatchNumbers(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "numbers.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const d, e = "20261207", "20261208"
	boom := errors.New("boom")
	got := make([][]string, 4)
	take := func(i int, days []string, fail error) func(*Tx) error {
		return func(tx *Tx) error {
			got[i] = nil // the first pass's numbers are rolled back
			for _, day := range days {
				n, err := tx.NextNumber(ctx, day)
				if err != nil {
					return err
				}
				got[i] = append(got[i], n)
			}
			return fail
		}
	}
	stored := func(day string) int64 {
		t.Helper()
		var n int64
		if err := s.writeDB.QueryRowContext(ctx, "SELECT n FROM day_seq WHERE day = ?", day).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	res := runAsOneBatch(t, s, take(0, []string{d}, nil), take(1, []string{d, d}, nil), take(2, []string{d}, boom), take(3, []string{d}, nil))
	if res[2] == nil || res[0] != nil || res[1] != nil || res[3] != nil {
		t.Fatalf("results %v", res)
	}
	want := [][]string{{d + "00001"}, {d + "00002", d + "00003"}, {d + "00004"}, {d + "00004"}}
	for _, i := range []int{0, 1, 3} {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("write %d numbered %v, want %v", i, got[i], want[i])
		}
	}
	if n := stored(d); n != 4 {
		t.Errorf("day_seq %s = %d after the batch, want 4", d, n)
	}

	got = make([][]string, 4)
	setTo := func(n int64) func(*Tx) error {
		return func(tx *Tx) error { return tx.SetDaySeq(ctx, d, n) }
	}
	res = runAsOneBatch(t, s, take(0, []string{d}, nil), setTo(100), take(2, []string{e, d}, nil), take(3, []string{d, e}, nil))
	for i, err := range res {
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	want = [][]string{{d + "00005"}, nil, {e + "00001", d + "00101"}, {d + "00102", e + "00002"}}
	for _, i := range []int{0, 2, 3} {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("after SetDaySeq in the batch: write %d numbered %v, want %v", i, got[i], want[i])
		}
	}
	if n, m := stored(d), stored(e); n != 102 || m != 2 {
		t.Errorf("day_seq = %d, %d after the batch, want 102, 2", n, m)
	}
	var next string
	if err := s.Write(ctx, func(tx *Tx) (err error) { next, err = tx.NextNumber(ctx, d); return err }); err != nil || next != d+"00103" {
		t.Fatalf("a write alone after the batches: %s, %v", next, err)
	}
}
