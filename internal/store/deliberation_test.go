package store_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"whistle/internal/agenda"
	"whistle/internal/deliberation"
	"whistle/internal/errs"
	"whistle/internal/pgtest"
	"whistle/internal/sealed"
	"whistle/internal/store"
)

// TestDeliberationStore: items written, read, listed, updated under
// optimistic concurrency, linked to their tasks, and rows for the ledger —
// the same on both backends; residents' names and the proposer's phone are
// sealed at rest when the store has keys.
func TestDeliberationStore(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		meet := base.Add(72 * time.Hour)
		a := &deliberation.Item{Title: "小区停车难", State: deliberation.Accepted, Source: deliberation.FromRequests, CaseIDs: []int64{4, 5},
			UnitID: 7, PlaceID: 30, CreatedBy: 2, CreatedAt: base, UpdatedAt: base, Version: 1}
		b := &deliberation.Item{Title: "加装电梯", State: deliberation.Proposed, Source: deliberation.FromResident, UnitID: 7, PlaceID: 31,
			Proposer: deliberation.Proposer{Name: "王五", Phone: "13912345678"}, CreatedAt: base, UpdatedAt: base, Version: 1}
		c := &deliberation.Item{Title: "别的街道", State: deliberation.Accepted, Source: deliberation.FromTopic, TopicID: 3, UnitID: 8, PlaceID: 40,
			CreatedAt: base, UpdatedAt: base, Version: 1}
		write(t, s, func(tx *store.Tx) error {
			for _, it := range []*deliberation.Item{a, b, c} {
				if err := tx.InsertDeliberation(ctx, it, map[bool]string{true: "hash-1"}[it.Proposer.Phone != ""]); err != nil {
					return err
				}
			}
			return nil
		})
		if a.ID == 0 || b.ID <= a.ID {
			t.Fatalf("ids %d %d", a.ID, b.ID)
		}
		got, err := s.Deliberation(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Proposer.Name != "王五" || got.Proposer.Phone != "13912345678" || got.Title != "加装电梯" || !msEqual(got.CreatedAt, base) {
			t.Errorf("read back %+v", got)
		}
		if _, err := s.Deliberation(ctx, 9999); !errs.Is(err, errs.NotFound) {
			t.Errorf("missing item: %v", err)
		}
		list, err := s.Deliberations(ctx, deliberation.Filter{UnitIDs: []int64{7}})
		if err != nil || len(list) != 2 || list[0].ID != b.ID {
			t.Fatalf("unit 7's items: %v %v", list, err)
		}
		list, _ = s.Deliberations(ctx, deliberation.Filter{PlaceIDs: []int64{30, 40}, States: []string{deliberation.Accepted}})
		if len(list) != 2 {
			t.Errorf("accepted in 30, 40: %d", len(list))
		}

		// Scheduled, decided, with two tasks of which one is done.
		prev := a.Version
		a.State, a.Version = deliberation.Decided, prev+1
		a.Meeting = &deliberation.Meeting{At: meet, Venue: "议事厅", Minutes: "纪要",
			Participants: []deliberation.Participant{{Kind: deliberation.PartResident, Name: "张三"}, {Kind: deliberation.PartDept, UnitID: 3}}}
		a.Decision = &deliberation.Decision{Motion: "施划车位", Votes: deliberation.Votes{For: 9, Against: 2, Abstain: 1}, Adopted: true, At: meet}
		var t1, t2 agenda.Task
		write(t, s, func(tx *store.Tx) error {
			if err := tx.UpdateDeliberation(ctx, a, prev); err != nil {
				return err
			}
			for i, tk := range []*agenda.Task{&t1, &t2} {
				*tk = agenda.Task{Kind: agenda.KindDeliberation, DeliberationID: a.ID, State: agenda.TaskOpen, UnitID: int64(3 + i), Title: "任务",
					DueAt: meet.Add(time.Duration(i+1) * 24 * time.Hour), CreatedAt: base, UpdatedAt: base, Version: 1}
				if i == 0 {
					tk.State, tk.DoneAt = agenda.TaskDone, meet
				}
				if err := tx.InsertTask(ctx, tk); err != nil {
					return err
				}
				if err := tx.LinkDeliberationTask(ctx, a.ID, tk.ID); err != nil {
					return err
				}
			}
			return nil
		})
		// A stale version is a conflict.
		err = s.Write(ctx, func(tx *store.Tx) error { return tx.UpdateDeliberation(ctx, a, prev) })
		if !errs.Is(err, errs.Conflict) {
			t.Errorf("stale update: %v", err)
		}
		got, _ = s.Deliberation(ctx, a.ID)
		if got.State != deliberation.Decided || got.Meeting == nil || got.Meeting.Participants[0].Name != "张三" || got.Decision.Votes.For != 9 || !got.Decision.Adopted {
			t.Errorf("decided item %+v", got)
		}
		ts, err := s.DeliberationTasks(ctx, a.ID)
		if err != nil || len(ts) != 2 || ts[0].ID != t1.ID || ts[1].DeliberationID != a.ID || ts[1].Kind != agenda.KindDeliberation {
			t.Fatalf("tasks %v %v", ts, err)
		}
		// Unit 4 owns a task of a: it lists a (alone, or with what unit 8 owns).
		for _, tc := range []struct {
			f    deliberation.Filter
			want []int64
		}{
			{deliberation.Filter{TaskUnitID: 4}, []int64{a.ID}},
			{deliberation.Filter{UnitIDs: []int64{8}, TaskUnitID: 4}, []int64{c.ID, a.ID}},
			{deliberation.Filter{UnitIDs: []int64{8}, TaskUnitID: 4, States: []string{deliberation.Decided}}, []int64{a.ID}},
			{deliberation.Filter{TaskUnitID: 9}, nil},
		} {
			got, err := s.Deliberations(ctx, tc.f)
			var ids []int64
			for _, it := range got {
				ids = append(ids, it.ID)
			}
			if err != nil || !slices.Equal(ids, tc.want) {
				t.Errorf("%+v: %v %v, want %v", tc.f, ids, err, tc.want)
			}
		}
		pr, err := s.DeliberationProgress(ctx, []int64{a.ID, b.ID})
		if err != nil || pr[a.ID] != [2]int{1, 2} || len(pr) != 1 {
			t.Errorf("progress %v %v", pr, err)
		}
		rows, err := s.DeliberationsForLedger(ctx, []int64{30, 31}, base, base.Add(30*24*time.Hour))
		if err != nil || len(rows) != 1 {
			t.Fatalf("ledger %v %v", rows, err)
		}
		want := store.DeliberationLedgerRow{ID: a.ID, Title: "小区停车难", UnitID: 7, PlaceID: 30, State: deliberation.Decided, Source: deliberation.FromRequests,
			MeetingAt: rows[0].MeetingAt, Venue: "议事厅", Participants: 2, Motion: "施划车位", Adopted: true, For: 9, Against: 2, Abstain: 1, TasksDone: 1, TasksTotal: 2}
		if rows[0] != want || !msEqual(rows[0].MeetingAt, meet) {
			t.Errorf("ledger row %+v, want %+v", rows[0], want)
		}
		if rows, _ := s.DeliberationsForLedger(ctx, []int64{30}, meet.Add(time.Hour), meet.Add(48*time.Hour)); len(rows) != 0 {
			t.Errorf("a meeting outside the period: %v", rows)
		}
	})
}

// TestDeliberationSealed: with a key ring, the proposer's name and phone
// and the residents' names never reach the database in clear.
func TestDeliberationSealed(t *testing.T) {
	for _, dsn := range []string{filepath.Join(t.TempDir(), "w.db"), pgtest.NewDatabase(t)} {
		ring, err := sealed.NewRing("k1", []sealed.Key{{ID: "k1", Secret: sealed.NewSecret()}})
		if err != nil {
			t.Fatal(err)
		}
		s := openKeyed(t, dsn, ring)
		it := &deliberation.Item{Title: "加装电梯", State: deliberation.Scheduled, Source: deliberation.FromResident, UnitID: 7, PlaceID: 31,
			Proposer: deliberation.Proposer{Name: "王五", Phone: "13912345678"}, CreatedAt: base, UpdatedAt: base, Version: 1,
			Meeting: &deliberation.Meeting{At: base, Venue: "议事厅", Participants: []deliberation.Participant{{Kind: deliberation.PartResident, Name: "赵六"}}}}
		write(t, s, func(tx *store.Tx) error { return tx.InsertDeliberation(ctx, it, "h") })
		got, err := s.Deliberation(ctx, it.ID)
		if err != nil || got.Proposer.Phone != "13912345678" || got.Meeting.Participants[0].Name != "赵六" {
			t.Fatalf("read back %+v %v", got, err)
		}
		if it.Meeting.Participants[0].Name != "赵六" {
			t.Error("sealing changed the caller's item")
		}
		db := openRaw(t, s.Dialect(), dsn)
		var name, phone, doc string
		if err := db.QueryRow("SELECT proposer_name, proposer_phone, doc FROM deliberations").Scan(&name, &phone, &doc); err != nil {
			t.Fatal(err)
		}
		db.Close()
		for _, v := range []string{name, phone, doc} {
			if strings.Contains(v, "王五") || strings.Contains(v, "13912345678") || strings.Contains(v, "赵六") {
				t.Errorf("personal data in clear: %q", v)
			}
		}
	}
}
