package store_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"whistle/internal/assessment"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/store"
	"whistle/internal/summons"
)

// TestOutboxInTransaction: a case event, a whistle's summons and log entry
// and an assessment publication each write one outbox row in their own
// transaction; a rolled-back transaction leaves none. The body carries no
// note, no address, no citizen.
func TestOutboxInTransaction(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		c := fullCase()
		insertCases(t, s, c)
		ev := lifecycle.Event{CaseID: c.ID, Seq: 7, Action: lifecycle.Action("dispatch"), FromState: lifecycle.Received, ToState: lifecycle.Handling,
			ActorUnitID: 3, At: base, Note: "已致电王小明 13812345678", Data: map[string]any{"address": "朝阳区建国门外大街1号"}}
		write(t, s, func(tx *store.Tx) error { return tx.AppendEvent(ctx, &ev) })
		rolled := lifecycle.Event{CaseID: c.ID, Seq: 8, Action: lifecycle.Action("rolled_back"), At: base}
		if err := s.Write(ctx, func(tx *store.Tx) error {
			if err := tx.AppendEvent(ctx, &rolled); err != nil {
				return err
			}
			return errors.New("roll back")
		}); err == nil {
			t.Fatal("want the write to fail")
		}
		w, err := summons.New(summons.Raise{Source: summons.SourceCases, CaseIDs: []int64{c.ID}, Address: "朝阳区建国门外大街1号", Need: "联系王小明", Kind: summons.KindJoint, UnitIDs: []int64{21, 22}},
			7, 3, base, summons.DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		write(t, s, func(tx *store.Tx) error {
			if err := tx.InsertWhistle(ctx, &w); err != nil {
				return err
			}
			return tx.AppendWhistleLog(ctx, &summons.LogEntry{WhistleID: w.ID, UnitID: 21, Action: "ack", At: base.Add(time.Minute), Note: "王小明"})
		})
		write(t, s, func(tx *store.Tx) error {
			return tx.PublishAssessMonth(ctx, assessment.PublishedMonth{Period: "2024-05", RulesVersion: 1, Results: "{}", PublishedBy: 1, PublishedAt: base})
		})
		rows, err := s.Outbox(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, r.Type+"|"+r.Key)
			for _, bad := range []string{"王小明", "138", "建国门", "rolled_back", "联系"} {
				if strings.Contains(r.Body, bad) {
					t.Errorf("outbox row %s carries %q: %s", r.Type, bad, r.Body)
				}
			}
		}
		want := []string{"case.dispatch|case:" + outboxItoa(c.ID), "whistle.summoned|whistle:" + outboxItoa(w.ID), "whistle.ack|whistle:" + outboxItoa(w.ID), "assessment.published|assessment"}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("outbox %v, want %v", got, want)
		}
		if rows[0].Seq != 7 || rows[0].CaseID != c.ID || !strings.Contains(rows[0].Body, `"to_state":"handling"`) {
			t.Fatalf("case row %+v", rows[0])
		}
	})
}

// TestDeliveryQueue: fan-out makes one delivery per matching active
// subscription; only the head of each (subscription, case) queue is
// claimed; a failure keeps later events of the case back until the head is
// done or dead; a claim is a lease; dead letters are replayed.
func TestDeliveryQueue(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		a, b := testCase(1), testCase(2)
		insertCases(t, s, a, b)
		all := store.Subscription{Kind: store.SubWebhook, Name: "all", URL: "https://example.org/h", Secret: "0123456789abcdef", Active: true, CreatedAt: base, UpdatedAt: base}
		onlyClose := store.Subscription{Kind: store.SubWebhook, Name: "close", URL: "https://example.org/c", Secret: "0123456789abcdef", Types: "case.close", Active: true, CreatedAt: base, UpdatedAt: base}
		write(t, s, func(tx *store.Tx) error {
			if err := tx.InsertSubscription(ctx, &all); err != nil {
				return err
			}
			return tx.InsertSubscription(ctx, &onlyClose)
		})
		got, err := s.Subscription(ctx, all.ID)
		if err != nil || got.Secret != "0123456789abcdef" || got.Name != "all" || !got.Active {
			t.Fatalf("subscription %+v %v", got, err)
		}
		for i, act := range []string{"dispatch", "sign", "close"} {
			write(t, s, func(tx *store.Tx) error {
				for _, c := range []*lifecycle.Case{a, b} {
					e := lifecycle.Event{CaseID: c.ID, Seq: i + 2, Action: lifecycle.Action(act), At: base}
					if err := tx.AppendEvent(ctx, &e); err != nil {
						return err
					}
				}
				return nil
			})
		}
		var n int
		write(t, s, func(tx *store.Tx) (err error) { n, err = tx.FanOut(ctx, base, 500); return err })
		if n != 6 {
			t.Fatalf("fanned %d", n)
		}
		write(t, s, func(tx *store.Tx) (err error) { n, err = tx.FanOut(ctx, base, 500); return err })
		if n != 0 {
			t.Fatalf("fanned again %d", n)
		}
		claim := func(at time.Time) []store.Delivery {
			var ds []store.Delivery
			write(t, s, func(tx *store.Tx) (err error) {
				ds, err = tx.ClaimDeliveries(ctx, at, "n1", time.Minute, 100)
				return err
			})
			return ds
		}
		ds := claim(base)
		// Heads: case a dispatch and case b dispatch for "all"; case a close and case b close for "close".
		if len(ds) != 4 {
			t.Fatalf("claimed %d: %+v", len(ds), ds)
		}
		if again := claim(base); len(again) != 0 {
			t.Fatalf("leased deliveries claimed again: %+v", again)
		}
		var fail store.Delivery
		write(t, s, func(tx *store.Tx) error {
			for _, d := range ds {
				if d.SubID == all.ID && d.Event.CaseID == a.ID {
					fail = d
					if err := tx.DeliveryFailed(ctx, d.ID, 1, base.Add(time.Hour), false, 500, "HTTP 500"); err != nil {
						return err
					}
					continue
				}
				if err := tx.DeliveryDone(ctx, d.ID, base, 200); err != nil {
					return err
				}
			}
			return nil
		})
		if fail.CaseNumber != a.Number || fail.Event.Type != "case.dispatch" {
			t.Fatalf("failed delivery %+v", fail)
		}
		// Case b moves on (sign); case a waits for its dispatch (retry at +1h).
		ds = claim(base.Add(time.Minute))
		if len(ds) != 1 || ds[0].Event.CaseID != b.ID || ds[0].Event.Type != "case.sign" {
			t.Fatalf("claimed %+v", ds)
		}
		// The lease expires: claimed again (a node died mid-send).
		if ds2 := claim(base.Add(3 * time.Minute)); len(ds2) != 1 || ds2[0].ID != ds[0].ID {
			t.Fatalf("after the lease: %+v", ds2)
		}
		write(t, s, func(tx *store.Tx) error { return tx.DeliveryDone(ctx, ds[0].ID, base, 200) })
		// Case a's dispatch dies: its sign becomes the head.
		write(t, s, func(tx *store.Tx) error { return tx.DeliveryFailed(ctx, fail.ID, 2, base, true, 500, "HTTP 500") })
		ds = claim(base.Add(10 * time.Minute))
		types := map[string]bool{}
		for _, d := range ds {
			types[outboxItoa(d.Event.CaseID)+d.Event.Type] = true
		}
		if len(ds) != 2 || !types[outboxItoa(a.ID)+"case.sign"] || !types[outboxItoa(b.ID)+"case.close"] {
			t.Fatalf("claimed %+v", ds)
		}
		dead, err := s.Deliveries(ctx, all.ID, store.DeliveryDead, 10)
		if err != nil || len(dead) != 1 || dead[0].ID != fail.ID || dead[0].Attempts != 2 || dead[0].LastError != "HTTP 500" {
			t.Fatalf("dead %+v %v", dead, err)
		}
		var replayed int64
		write(t, s, func(tx *store.Tx) (err error) { replayed, err = tx.ReplayDead(ctx, all.ID, 0, base); return err })
		if replayed != 1 {
			t.Fatalf("replayed %d", replayed)
		}
		if dead, _ := s.Deliveries(ctx, all.ID, store.DeliveryDead, 10); len(dead) != 0 {
			t.Fatalf("still dead %+v", dead)
		}
		counts, err := s.DeliveryCounts(ctx, onlyClose.ID)
		if err != nil || counts[store.DeliveryDone] != 2 || len(counts) != 1 {
			t.Fatalf("counts %v %v", counts, err)
		}
	})
}

func outboxItoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestPruneOutbox: delivered history older than the cut goes; dead letters,
// pending deliveries, newer events and rows not yet fanned out stay.
func TestPruneOutbox(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		c := testCase(1)
		insertCases(t, s, c)
		sub := store.Subscription{Kind: store.SubWebhook, Name: "h", URL: "https://example.org/h", Secret: "0123456789abcdef", Active: true, CreatedAt: base, UpdatedAt: base}
		write(t, s, func(tx *store.Tx) error { return tx.InsertSubscription(ctx, &sub) })
		old, recent := base, base.Add(10*24*time.Hour)
		appendAt := func(seq int, at time.Time) {
			write(t, s, func(tx *store.Tx) error {
				return tx.AppendEvent(ctx, &lifecycle.Event{CaseID: c.ID, Seq: seq, Action: lifecycle.Action("note"), At: at})
			})
		}
		appendAt(2, old) // delivered: goes
		appendAt(3, old) // dead: stays
		appendAt(4, recent)
		write(t, s, func(tx *store.Tx) error { _, err := tx.FanOut(ctx, old, 100); return err })
		appendAt(5, old) // not fanned out yet: stays
		ds := func(at time.Time) []store.Delivery {
			var out []store.Delivery
			write(t, s, func(tx *store.Tx) (err error) {
				out, err = tx.ClaimDeliveries(ctx, at, "n", time.Minute, 10)
				return err
			})
			return out
		}
		d := ds(old)
		if len(d) != 1 || d[0].Event.Seq != 2 {
			t.Fatalf("claimed %+v", d)
		}
		write(t, s, func(tx *store.Tx) error { return tx.DeliveryDone(ctx, d[0].ID, old, 200) })
		d = ds(old.Add(time.Hour))
		write(t, s, func(tx *store.Tx) error { return tx.DeliveryFailed(ctx, d[0].ID, 12, old, true, 500, "HTTP 500") })
		var n int64
		write(t, s, func(tx *store.Tx) (err error) {
			n, err = tx.PruneOutbox(ctx, base.Add(7*24*time.Hour), 1000)
			return err
		})
		if n != 1 {
			t.Fatalf("pruned %d outbox rows", n)
		}
		rows, err := s.Outbox(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var seqs []int64
		for _, r := range rows {
			seqs = append(seqs, r.Seq)
		}
		if len(seqs) != 3 || seqs[0] != 3 || seqs[1] != 4 || seqs[2] != 5 {
			t.Fatalf("left %v", seqs)
		}
		counts, _ := s.DeliveryCounts(ctx, sub.ID)
		if counts[store.DeliveryDone] != 0 || counts[store.DeliveryDead] != 1 || counts[store.DeliveryPending] != 1 {
			t.Fatalf("deliveries %v", counts)
		}
	})
}

// TestEventOutboxAndFacts: an appended event, its outbox row and its
// assessment fact are written together (in one statement on PostgreSQL),
// with exactly these values on both backends; a duplicate seq is a
// conflict that leaves no second outbox row and no second fact.
func TestEventOutboxAndFacts(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		c := fullCase()
		insertCases(t, s, c)
		signBy := base.Add(2 * time.Hour)
		ev := lifecycle.Event{CaseID: c.ID, Seq: 3, Action: lifecycle.ActDispatch, FromState: lifecycle.Received, ToState: lifecycle.Handling,
			ActorUserID: 5, ActorUnitID: 4, At: base, Note: "派单", Data: map[string]any{"unit_id": int64(21), "sign_by": signBy}}
		write(t, s, func(tx *store.Tx) error { return tx.AppendEvent(ctx, &ev) })
		if ev.ID == 0 {
			t.Fatal("event id not set")
		}
		dup := ev
		dup.ID = 0
		err := s.Write(ctx, func(tx *store.Tx) error { return tx.AppendEvent(ctx, &dup) })
		wantCode(t, err, errs.Conflict)

		evs, err := s.Events(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || evs[0].ID != ev.ID || evs[0].Seq != 3 || evs[0].Note != "派单" {
			t.Fatalf("events %+v", evs)
		}
		rows, err := s.Outbox(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 {
			t.Fatalf("outbox %+v, want one row", rows)
		}
		r := rows[0]
		r.ID, r.EventID = 0, ""
		want := store.OutboxRow{Type: "case.dispatch", Key: "case:" + outboxItoa(c.ID), CaseID: c.ID, Seq: 3, At: base.Truncate(time.Millisecond),
			Body: `{"action":"dispatch","from_state":"received","to_state":"handling","actor_unit_id":4}`}
		if !r.At.Equal(want.At) {
			t.Fatalf("outbox at %v, want %v", r.At, want.At)
		}
		r.At = want.At
		if r != want {
			t.Fatalf("outbox row %+v, want %+v", r, want)
		}
		orders, err := s.AssessOrders(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(orders) != 1 || orders[0].UnitID != 21 || !orders[0].DispatchedAt.Equal(base.Truncate(time.Millisecond)) || !orders[0].SignBy.Equal(signBy.Truncate(time.Millisecond)) {
			t.Fatalf("assessment orders %+v", orders)
		}
	})
}
