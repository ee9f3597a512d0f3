package store_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/store"
)

func dueTimers(t *testing.T, s *store.Store, now time.Time, limit int) []store.DueTimer {
	t.Helper()
	ts, err := s.DueTimers(ctx, now, limit)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

type timerKey struct {
	CaseID int64
	Kind   string
	Due    int64
}

func keys(ts []store.DueTimer) []timerKey {
	out := make([]timerKey, len(ts))
	for i, t := range ts {
		out[i] = timerKey{t.CaseID, t.Kind, t.DueAt.UnixMilli()}
	}
	return out
}

func TestTimers(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		a, b := testCase(1), testCase(2)
		insertCases(t, s, a, b)
		h := func(n int) time.Time { return base.Add(time.Duration(n) * time.Hour) }
		set := func(c *lifecycle.Case, ts ...lifecycle.Timer) {
			t.Helper()
			for i := range ts {
				ts[i].CaseID = c.ID
			}
			write(t, s, func(tx *store.Tx) error { return tx.SetTimers(ctx, c.ID, ts) })
		}
		set(a, lifecycle.Timer{Kind: lifecycle.TimerAccept, DueAt: h(1)}, lifecycle.Timer{Kind: lifecycle.TimerReply, DueAt: h(5)})
		set(b, lifecycle.Timer{Kind: lifecycle.TimerDispatch, DueAt: h(3)}, lifecycle.Timer{Kind: lifecycle.TimerReplySoon, DueAt: h(1)})

		// Oldest first, ties by id; only those due; limit respected.
		got := keys(dueTimers(t, s, h(10), 10))
		want := []timerKey{{a.ID, "accept", h(1).UnixMilli()}, {b.ID, "reply_soon", h(1).UnixMilli()}, {b.ID, "dispatch", h(3).UnixMilli()}, {a.ID, "reply", h(5).UnixMilli()}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("DueTimers = %+v, want %+v", got, want)
		}
		if got := keys(dueTimers(t, s, h(3), 10)); !reflect.DeepEqual(got, want[:3]) {
			t.Fatalf("DueTimers(h3) = %+v (due_at <= now is due)", got)
		}
		if got := keys(dueTimers(t, s, h(10), 2)); !reflect.DeepEqual(got, want[:2]) {
			t.Fatalf("DueTimers limit 2 = %+v", got)
		}
		if got := dueTimers(t, s, h(0), 10); len(got) != 0 {
			t.Fatalf("nothing due yet, got %+v", got)
		}

		// Claim a's accept timer: once only.
		first := dueTimers(t, s, h(1), 1)[0]
		claim := func(id int64, node string) bool {
			t.Helper()
			var ok bool
			write(t, s, func(tx *store.Tx) (err error) { ok, err = tx.ClaimTimer(ctx, id, node, h(1)); return err })
			return ok
		}
		if !claim(first.ID, "n1") {
			t.Fatal("first claim failed")
		}
		if claim(first.ID, "n2") {
			t.Fatal("second claim succeeded")
		}
		if claim(987654, "n1") {
			t.Fatal("claimed an unknown timer")
		}
		if fired, err := s.FiredTimers(ctx); err != nil || !reflect.DeepEqual(fired, map[string]int64{"n1": 1}) {
			t.Fatalf("FiredTimers = %v, %v", fired, err)
		}

		// SetTimers replaces unfired timers; a fired (kind, due_at) is never re-armed,
		// the same kind with a new deadline is.
		set(a, lifecycle.Timer{Kind: lifecycle.TimerAccept, DueAt: h(1)}, lifecycle.Timer{Kind: lifecycle.TimerSign, DueAt: h(2)})
		got = keys(dueTimers(t, s, h(10), 10))
		want = []timerKey{{b.ID, "reply_soon", h(1).UnixMilli()}, {a.ID, "sign", h(2).UnixMilli()}, {b.ID, "dispatch", h(3).UnixMilli()}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("after SetTimers: %+v, want %+v", got, want)
		}
		set(a, lifecycle.Timer{Kind: lifecycle.TimerAccept, DueAt: h(6)})
		got = keys(dueTimers(t, s, h(10), 10))
		want = []timerKey{{b.ID, "reply_soon", h(1).UnixMilli()}, {b.ID, "dispatch", h(3).UnixMilli()}, {a.ID, "accept", h(6).UnixMilli()}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("after re-arming accept later: %+v, want %+v", got, want)
		}
		set(a) // no timers in this state
		if got := keys(dueTimers(t, s, h(10), 10)); !reflect.DeepEqual(got, want[:2]) {
			t.Fatalf("after clearing a: %+v", got)
		}
		if fired, _ := s.FiredTimers(ctx); fired["n1"] != 1 {
			t.Fatalf("clearing removed a fired timer: %v", fired)
		}
	})
}

func TestClaimTimerConcurrent(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		const nTimers, nWorkers = 200, 8
		cs := make([]*lifecycle.Case, 20)
		for i := range cs {
			cs[i] = testCase(i)
		}
		insertCases(t, s, cs...)
		write(t, s, func(tx *store.Tx) error {
			for i, c := range cs {
				var ts []lifecycle.Timer
				for k := range nTimers / len(cs) {
					ts = append(ts, lifecycle.Timer{CaseID: c.ID, Kind: fmt.Sprintf("k%d", k), DueAt: base.Add(time.Duration(i*100+k) * time.Second)})
				}
				if err := tx.SetTimers(ctx, c.ID, ts); err != nil {
					return err
				}
			}
			return nil
		})
		timers := dueTimers(t, s, base.Add(time.Hour), 1000)
		if len(timers) != nTimers {
			t.Fatalf("%d due timers, want %d", len(timers), nTimers)
		}
		var total atomic.Int64
		perNode := make([]int64, nWorkers)
		var wg sync.WaitGroup
		for w := range nWorkers {
			wg.Go(func() {
				node := fmt.Sprintf("node%d", w)
				order := rand.Perm(len(timers))
				for _, i := range order {
					var ok bool
					err := s.Write(ctx, func(tx *store.Tx) (err error) {
						ok, err = tx.ClaimTimer(ctx, timers[i].ID, node, base.Add(time.Hour))
						return err
					})
					if err != nil {
						t.Errorf("%s: ClaimTimer: %v", node, err)
						return
					}
					if ok {
						perNode[w]++
						total.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if total.Load() != nTimers {
			t.Fatalf("%d successful claims, want exactly %d", total.Load(), nTimers)
		}
		fired, err := s.FiredTimers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for w, n := range perNode {
			if fired[fmt.Sprintf("node%d", w)] != n {
				t.Errorf("node%d: claimed %d, fired_by says %d", w, n, fired[fmt.Sprintf("node%d", w)])
			}
		}
		if left := dueTimers(t, s, base.Add(time.Hour), 1000); len(left) != 0 {
			t.Fatalf("%d timers still due", len(left))
		}
	})
}

// ---- numbers ----

func TestNextNumber(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		next := func(day string) string {
			t.Helper()
			var n string
			write(t, s, func(tx *store.Tx) (err error) { n, err = tx.NextNumber(ctx, day); return err })
			return n
		}
		for _, c := range []struct{ day, want string }{
			{"20240506", "2024050600001"},
			{"20240506", "2024050600002"},
			{"20240507", "2024050700001"}, // a new day restarts
			{"20240507", "2024050700002"},
			{"20240506", "2024050600003"},
		} {
			if got := next(c.day); got != c.want {
				t.Fatalf("NextNumber(%s) = %s, want %s", c.day, got, c.want)
			}
		}
		// A number allocated in a failed write is not consumed.
		s.Write(ctx, func(tx *store.Tx) error {
			tx.NextNumber(ctx, "20240506")
			return errs.E(errs.Conflict)
		})
		// On PostgreSQL numbers come from a sequence: a rolled-back allocation
		// leaves a gap (never a reuse).
		want := "2024050600004"
		if s.Dialect() == store.Postgres {
			want = "2024050600005"
		}
		if got := next("20240506"); got != want {
			t.Fatalf("after rolled-back allocation: %s, want %s", got, want)
		}

		// SetDaySeq only raises.
		write(t, s, func(tx *store.Tx) error { return tx.SetDaySeq(ctx, "20240506", 1000) })
		if got := next("20240506"); got != "2024050601001" {
			t.Fatalf("after SetDaySeq(1000): %s", got)
		}
		write(t, s, func(tx *store.Tx) error { return tx.SetDaySeq(ctx, "20240506", 10) })
		if got := next("20240506"); got != "2024050601002" {
			t.Fatalf("SetDaySeq lowered the counter: %s", got)
		}
		write(t, s, func(tx *store.Tx) error { return tx.SetDaySeq(ctx, "20240508", 7) })
		if got := next("20240508"); got != "2024050800008" {
			t.Fatalf("SetDaySeq on a new day: %s", got)
		}

		// Concurrent allocation: 500 distinct numbers 1..500.
		const n = 500
		nums := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				if err := s.Write(ctx, func(tx *store.Tx) (err error) { nums[i], err = tx.NextNumber(ctx, "20240601"); return err }); err != nil {
					t.Errorf("NextNumber: %v", err)
				}
			})
		}
		wg.Wait()
		seen := map[string]bool{}
		for _, num := range nums {
			seen[num] = true
		}
		for i := 1; i <= n; i++ {
			if !seen[fmt.Sprintf("20240601%05d", i)] {
				t.Fatalf("number %d missing (%d distinct of %d)", i, len(seen), n)
			}
		}
		if len(seen) != n {
			t.Fatalf("%d distinct numbers, want %d", len(seen), n)
		}
	})
}

// ---- idempotency ----

func TestIdempotency(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		lookup := func(principal, key string) (int64, string, bool) {
			t.Helper()
			id, h, found, err := s.Idempotent(ctx, principal, key)
			if err != nil {
				t.Fatal(err)
			}
			return id, h, found
		}
		put := func(principal, key, hash string, caseID int64) bool {
			t.Helper()
			var ok bool
			write(t, s, func(tx *store.Tx) (err error) {
				ok, err = tx.PutIdempotent(ctx, principal, key, hash, caseID, base)
				return err
			})
			return ok
		}
		if _, _, found := lookup("user:1", "k1"); found {
			t.Fatal("new key found")
		}
		if !put("user:1", "k1", "hash-a", 10) {
			t.Fatal("first PutIdempotent returned false")
		}
		if id, h, found := lookup("user:1", "k1"); !found || id != 10 || h != "hash-a" {
			t.Fatalf("Idempotent = %d, %q, %v", id, h, found)
		}
		if put("user:1", "k1", "hash-b", 11) {
			t.Fatal("second PutIdempotent returned true")
		}
		if id, h, _ := lookup("user:1", "k1"); id != 10 || h != "hash-a" {
			t.Fatalf("second put overwrote: %d %q", id, h)
		}
		// Keys are per principal.
		if !put("user:2", "k1", "hash-c", 12) {
			t.Fatal("same key for another principal refused")
		}
		if id, _, found := lookup("user:2", "k1"); !found || id != 12 {
			t.Fatalf("user:2 k1 = %d %v", id, found)
		}
		// Concurrent puts of one key: exactly one wins.
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				var ok bool
				if err := s.Write(ctx, func(tx *store.Tx) (err error) {
					ok, err = tx.PutIdempotent(ctx, "user:3", "race", fmt.Sprint(i), int64(i), base)
					return err
				}); err != nil {
					t.Error(err)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d concurrent puts won, want 1", wins.Load())
		}
	})
}

// ---- attachments ----

func TestAttachments(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		c1, c2 := testCase(1), testCase(2)
		insertCases(t, s, c1, c2)
		data := make([]byte, 256*3)
		for i := range data {
			data[i] = byte(i)
		}
		mk := func(by int64, storage string) *lifecycle.Attachment {
			return &lifecycle.Attachment{Name: "照片.jpg", ContentType: "image/jpeg", Size: int64(len(data)), SHA256: "deadbeef", Storage: storage, CreatedBy: by, CreatedAt: base}
		}
		a1, a2, a3, disk := mk(7, "db"), mk(7, "db"), mk(8, "db"), mk(7, "disk:ab/cd")
		write(t, s, func(tx *store.Tx) error {
			for _, a := range []*lifecycle.Attachment{a1, a2, a3, disk} {
				if err := tx.InsertAttachment(ctx, a, data); err != nil {
					return err
				}
			}
			return nil
		})
		got, bytesGot, err := s.GetAttachment(ctx, a1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(bytesGot, data) {
			t.Fatalf("bytes differ: %d bytes back", len(bytesGot))
		}
		if !msEqual(got.CreatedAt, base) {
			t.Fatalf("CreatedAt %v", got.CreatedAt)
		}
		got.CreatedAt = a1.CreatedAt
		if got != *a1 {
			t.Fatalf("GetAttachment = %+v, want %+v", got, *a1)
		}
		if _, b, err := s.GetAttachment(ctx, disk.ID); err != nil || b != nil {
			t.Fatalf("disk attachment: %d bytes, %v", len(b), err)
		}
		_, _, err = s.GetAttachment(ctx, 99999)
		wantCode(t, err, errs.NotFound)

		attach := func(caseID, user int64, ids ...int64) error {
			return s.Write(ctx, func(tx *store.Tx) error { return tx.AttachToCase(ctx, caseID, user, ids) })
		}
		caseOf := func(id int64) int64 {
			a, _, err := s.GetAttachment(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return a.CaseID
		}
		if err := attach(c1.ID, 7, a1.ID); err != nil {
			t.Fatal(err)
		}
		if err := attach(c1.ID, 7, a1.ID); err != nil { // already on this case: fine
			t.Fatal(err)
		}
		wantField(t, attach(c2.ID, 7, a1.ID), errs.NotFound, "attachments") // on another case
		wantField(t, attach(c1.ID, 7, a3.ID), errs.NotFound, "attachments") // someone else's upload
		wantField(t, attach(c1.ID, 7, 99999), errs.NotFound, "attachments")
		// All or nothing: a2 is not linked when a3 fails in the same write.
		wantField(t, attach(c1.ID, 7, a2.ID, a3.ID), errs.NotFound, "attachments")
		if got := caseOf(a2.ID); got != 0 {
			t.Fatalf("a2 linked to %d by a failed write", got)
		}
		if caseOf(a1.ID) != c1.ID || caseOf(a3.ID) != 0 {
			t.Fatalf("a1 on %d, a3 on %d", caseOf(a1.ID), caseOf(a3.ID))
		}
		// User 0 (the system) may link anyone's upload.
		if err := attach(c2.ID, 0, a3.ID, a2.ID); err != nil {
			t.Fatal(err)
		}
		if caseOf(a2.ID) != c2.ID || caseOf(a3.ID) != c2.ID {
			t.Fatal("system link failed")
		}
	})
}
