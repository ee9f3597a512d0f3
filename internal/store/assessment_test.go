package store_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"whistle/internal/assessment"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
)

// TestAssessFacts appends the events of two cases and checks the facts the
// store keeps with them, the counts and the drill-downs, on every backend.
func TestAssessFacts(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		a, b := testCase(1), testCase(2)
		insertCases(t, s, a, b)
		min := func(m int) time.Time { return base.Add(time.Duration(m) * time.Minute) }
		seq := map[int64]int{}
		ev := func(c *lifecycle.Case, act lifecycle.Action, at time.Time, data map[string]any) {
			t.Helper()
			seq[c.ID]++
			e := &lifecycle.Event{CaseID: c.ID, Seq: seq[c.ID] + 1, Action: act, At: at, Data: data}
			write(t, s, func(tx *store.Tx) error { return tx.AppendEvent(ctx, e) })
		}
		const u1, u2 = 11, 12
		write(t, s, func(tx *store.Tx) error {
			city := org.Place{Level: org.LevelCity, Code: "110000", Name: "北京市"}
			if err := tx.InsertPlace(ctx, &city); err != nil {
				return err
			}
			for _, id := range []int64{u1, u2} {
				u := org.Unit{ID: id, Code: fmt.Sprint("u", id), Name: "unit", Kind: org.KindStreet, PlaceID: city.ID}
				if err := tx.InsertUnit(ctx, &u); err != nil {
					return err
				}
			}
			return nil
		})
		// a: dispatched to u1, signed in time, contacted in time, replied,
		// callback unresolved → reopened to u1 (the case's sign-by is its
		// stored one), signed late.
		ev(a, lifecycle.ActDispatch, min(0), map[string]any{"unit_id": int64(u1), "sign_by": min(120)})
		ev(a, lifecycle.ActSign, min(60), nil)
		ev(a, lifecycle.ActContact, min(90), nil)
		ev(a, lifecycle.ActContact, min(95), nil) // a second contact keeps the first time
		ev(a, lifecycle.ActReply, min(200), nil)
		prev := *a
		a.SignBy, a.State, a.Version = min(400), lifecycle.Dispatched, a.Version+1
		write(t, s, func(tx *store.Tx) error { return tx.UpdateCase(ctx, a, &prev) })
		ev(a, lifecycle.ActCallback, min(300), map[string]any{"resolved": false, "satisfaction": lifecycle.Unsatisfied, "reopen": true})
		ev(a, lifecycle.ActSign, min(500), nil)
		// b: dispatched to u1, returned to u2 (JSON-decoded data), u2 never
		// contacts (anonymous) but replies; overdue; callback resolved, fairly.
		ev(b, lifecycle.ActDispatch, min(10), map[string]any{"unit_id": float64(u1), "sign_by": min(130).Format(time.RFC3339Nano)})
		ev(b, lifecycle.ActApproveReturn, min(20), map[string]any{"unit_id": int64(u2), "sign_by": min(140)})
		ev(b, lifecycle.ActSign, min(30), nil)
		ev(b, lifecycle.ActOverdue, min(40), map[string]any{"timer": lifecycle.TimerSign})
		ev(b, lifecycle.ActOverdue, min(50), map[string]any{"timer": lifecycle.TimerReply})
		ev(b, lifecycle.ActReply, min(60), nil)
		ev(b, lifecycle.ActCallback, min(70), map[string]any{"resolved": true, "satisfaction": lifecycle.FairlySatisfied})

		// Replaying the events rebuilds the same facts (JSON-decoded data).
		before := [2][]store.AssessOrderFact{}
		for i, c := range []*lifecycle.Case{a, b} {
			before[i], _ = s.AssessOrders(ctx, c.ID)
		}
		n, err := s.RebuildAllAssessFacts(ctx, 1)
		if err != nil || n != 14 {
			t.Fatalf("rebuild replayed %d events, %v; want 14", n, err)
		}
		for i, c := range []*lifecycle.Case{a, b} {
			after, _ := s.AssessOrders(ctx, c.ID)
			if len(after) != len(before[i]) {
				t.Fatalf("case %d: %d orders after rebuild, %d before", c.ID, len(after), len(before[i]))
			}
			for j := range after {
				x, y := after[j], before[i][j]
				x.ID, y.ID = 0, 0
				if x != y {
					t.Errorf("case %d order %d rebuilt %+v, was %+v", c.ID, j, x, y)
				}
			}
		}

		fa, err := s.AssessOrders(ctx, a.ID)
		if err != nil || len(fa) != 2 {
			t.Fatalf("orders of a: %+v, %v", fa, err)
		}
		if fa[0].UnitID != u1 || !msEqual(fa[0].SignedAt, min(60)) || !msEqual(fa[0].ContactedAt, min(90)) || !msEqual(fa[0].SignBy, min(120)) || fa[0].ContactWaived {
			t.Errorf("a's first order %+v", fa[0])
		}
		if fa[1].UnitID != u1 || !msEqual(fa[1].DispatchedAt, min(300)) || !msEqual(fa[1].SignBy, min(400)) || !msEqual(fa[1].SignedAt, min(500)) {
			t.Errorf("a's reopened order %+v", fa[1])
		}
		fb, err := s.AssessOrders(ctx, b.ID)
		if err != nil || len(fb) != 2 {
			t.Fatalf("orders of b: %+v, %v", fb, err)
		}
		if fb[0].UnitID != u1 || !fb[0].Returned || !msEqual(fb[0].SignBy, min(130)) || fb[0].WentOverdue {
			t.Errorf("b's returned order %+v", fb[0])
		}
		if fb[1].UnitID != u2 || fb[1].Returned || !fb[1].WentOverdue || !fb[1].ContactWaived || !msEqual(fb[1].SignedAt, min(30)) {
			t.Errorf("b's order of u2 %+v", fb[1])
		}

		counts, err := s.AssessCounts(ctx, base, base.Add(24*time.Hour), 2*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		// u1: a's two orders (first in time, second signed late); b's
		// returned order does not count. One callback, unresolved.
		if c := counts[u1]; c == nil || *c != (assessment.Counts{UnitID: u1, Orders: 2, Responded: 1, Callbacks: 1}) {
			t.Errorf("u1 counts %+v", c)
		}
		// u2: b in time (contact waived), overdue, resolved and fairly satisfied.
		if c := counts[u2]; c == nil || *c != (assessment.Counts{UnitID: u2, Orders: 1, Responded: 1, Overdue: 1, Callbacks: 1, Resolved: 1, Fairly: 1}) {
			t.Errorf("u2 counts %+v", c)
		}
		// With a contact limit of 30 minutes (contact came after 90), a's first order is late too.
		counts, _ = s.AssessCounts(ctx, base, base.Add(24*time.Hour), 30*time.Minute)
		if c := counts[u1]; c == nil || c.Responded != 0 {
			t.Errorf("u1 responded with a 30 min contact limit: %+v", c)
		}
		// Periods split by dispatch and callback time.
		counts, _ = s.AssessCounts(ctx, min(250), min(1000), 2*time.Hour)
		if c := counts[u1]; c == nil || c.Orders != 1 || c.Callbacks != 1 {
			t.Errorf("u1 after minute 250: %+v", c)
		}

		// Exemption of b for u2: pending changes nothing, approved removes it.
		x := assessment.Exemption{CaseID: b.ID, UnitID: u2, Reason: assessment.ReasonDuplicate, Evidence: "dup", Attachments: []int64{3, 4}, RequestedBy: 1, RequestedAt: min(600)}
		write(t, s, func(tx *store.Tx) error { return tx.InsertExemption(ctx, &x) })
		err = s.Write(ctx, func(tx *store.Tx) error {
			y := x
			return tx.InsertExemption(ctx, &y)
		})
		wantCode(t, err, errs.Exists)
		if c, _ := s.AssessCounts(ctx, base, base.Add(24*time.Hour), 2*time.Hour); c[u2].Orders != 1 {
			t.Errorf("pending exemption changed u2: %+v", c[u2])
		}
		x.State, x.DecidedBy, x.DecidedAt, x.DecisionNote = assessment.ExemptApproved, 2, min(700), "ok"
		write(t, s, func(tx *store.Tx) error { return tx.DecideExemption(ctx, x) })
		err = s.Write(ctx, func(tx *store.Tx) error { return tx.DecideExemption(ctx, x) })
		wantCode(t, err, errs.NotFound)
		got, err := s.GetExemption(ctx, x.ID)
		if err != nil || got.State != assessment.ExemptApproved || !slices.Equal(got.Attachments, []int64{3, 4}) || got.DecisionNote != "ok" {
			t.Fatalf("exemption %+v, %v", got, err)
		}
		counts, _ = s.AssessCounts(ctx, base, base.Add(24*time.Hour), 2*time.Hour)
		if c := counts[u2]; c == nil || *c != (assessment.Counts{UnitID: u2, Exempted: 1}) {
			t.Errorf("u2 after exemption %+v", c)
		}
		for _, tc := range []struct {
			unit    int64
			measure string
			want    []int64
		}{
			{u1, assessment.MeasureOrders, []int64{a.ID}},
			{u1, assessment.MeasureResponded, []int64{a.ID}},
			{u1, assessment.MeasureNotResponded, []int64{a.ID}},
			{u1, assessment.MeasureUnsatisfied, []int64{a.ID}},
			{u1, assessment.MeasureResolved, nil},
			{u2, assessment.MeasureOrders, nil},
			{u2, assessment.MeasureExempted, []int64{b.ID}},
		} {
			ids, err := s.AssessCaseIDs(ctx, tc.unit, base, base.Add(24*time.Hour), 2*time.Hour, tc.measure, 100)
			if err != nil || !slices.Equal(ids, tc.want) {
				t.Errorf("unit %d %s = %v, %v; want %v", tc.unit, tc.measure, ids, err, tc.want)
			}
		}
		_, err = s.AssessCaseIDs(ctx, u1, base, base.Add(time.Hour), time.Hour, "bogus", 10)
		wantCode(t, err, errs.Invalid)
	})
}

func TestAssessRulesAndMonths(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		r, err := s.AssessRules(ctx, 0)
		if err != nil || r != assessment.DefaultRules() {
			t.Fatalf("rules in force on an empty store: %+v, %v", r, err)
		}
		_, err = s.AssessRules(ctx, 2)
		wantCode(t, err, errs.NotFound)
		n := assessment.DefaultRules()
		n.FairlyScore = 0.6
		write(t, s, func(tx *store.Tx) error { return tx.InsertAssessRules(ctx, &n, 7, base) })
		if n.Version != 2 {
			t.Fatalf("version %d, want 2", n.Version)
		}
		if got, _ := s.AssessRules(ctx, 0); got != n {
			t.Errorf("in force %+v, want %+v", got, n)
		}
		if got, _ := s.AssessRules(ctx, 1); got != assessment.DefaultRules() {
			t.Errorf("version 1 %+v", got)
		}
		m := assessment.PublishedMonth{Period: "2024-04", RulesVersion: 1, Results: "[]", PublishedBy: 7, PublishedAt: base}
		write(t, s, func(tx *store.Tx) error { return tx.PublishAssessMonth(ctx, m) })
		wantCode(t, s.Write(ctx, func(tx *store.Tx) error { return tx.PublishAssessMonth(ctx, m) }), errs.Exists)
		got, found, err := s.AssessMonth(ctx, "2024-04")
		if err != nil || !found || got.RulesVersion != 1 || got.Results != "[]" || !msEqual(got.PublishedAt, base) {
			t.Errorf("month %+v %v %v", got, found, err)
		}
		if _, found, err := s.AssessMonth(ctx, "2024-05"); found || err != nil {
			t.Errorf("unpublished month found=%v err=%v", found, err)
		}
		it := assessment.Item{UnitID: 3, Period: "2024-05", Kind: "topic", Note: "n", CreatedBy: 7, CreatedAt: base}
		write(t, s, func(tx *store.Tx) error { return tx.InsertAssessItem(ctx, &it) })
		items, err := s.AssessItems(ctx, "2024-05")
		if err != nil || len(items) != 1 || items[0].ID != it.ID || items[0].UnitID != 3 {
			t.Errorf("items %+v %v", items, err)
		}
	})
}
