package store_test

import (
	"testing"
	"time"

	"whistle/internal/errs"
	"whistle/internal/grid"
	"whistle/internal/store"
	"whistle/internal/volunteering"
)

func TestVolunteerStore(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		v, err := volunteering.Register(volunteering.Registration{UnitID: 7, Name: "林小雨", Phone: "13800001111", Skills: []string{"care", "patrol"}}, base)
		if err != nil {
			t.Fatal(err)
		}
		write(t, s, func(tx *store.Tx) error { return tx.InsertVolunteer(ctx, &v) })
		other := volunteering.Volunteer{UnitID: 8, Name: "陈", Phone: "13800002222", Duty: volunteering.DutyLaneChief, State: volunteering.Active, UserID: 41, CreatedAt: base}
		write(t, s, func(tx *store.Tx) error { return tx.InsertVolunteer(ctx, &other) })
		got, err := s.Volunteer(ctx, v.ID)
		if err != nil || got.Name != "林小雨" || len(got.Skills) != 2 || got.State != volunteering.Pending || !msEqual(got.CreatedAt, base) {
			t.Fatalf("loaded %+v %v", got, err)
		}
		_, err = s.VolunteerOfUser(ctx, 40)
		wantCode(t, err, errs.NotFound)
		got.State, got.UserID, got.ApprovedBy, got.ApprovedAt = volunteering.Active, 40, 3, base.Add(time.Hour)
		write(t, s, func(tx *store.Tx) error { return tx.UpdateVolunteer(ctx, got) })
		if mine, err := s.VolunteerOfUser(ctx, 40); err != nil || mine.ID != v.ID || !msEqual(mine.ApprovedAt, base.Add(time.Hour)) {
			t.Fatalf("of user: %+v %v", mine, err)
		}
		if vs, err := s.Volunteers(ctx, 7, volunteering.Pending); err != nil || len(vs) != 0 {
			t.Errorf("pending: %+v %v", vs, err)
		}
		if vs, err := s.Volunteers(ctx, 7, ""); err != nil || len(vs) != 1 {
			t.Errorf("all: %+v %v", vs, err)
		}
		wantCode(t, s.Write(ctx, func(tx *store.Tx) error { return tx.UpdateVolunteer(ctx, volunteering.Volunteer{ID: 999}) }), errs.NotFound)

		task := volunteering.Task{UnitID: 7, Kind: volunteering.TaskPatrol, Title: "夜巡", Place: "东门", StartsAt: base, EndsAt: base.Add(2 * time.Hour), Slots: 2, CreatedBy: 3, CreatedAt: base}
		write(t, s, func(tx *store.Tx) error { return tx.InsertVolunteerTask(ctx, &task) })
		write(t, s, func(tx *store.Tx) error {
			return tx.InsertSignup(ctx, volunteering.Signup{TaskID: task.ID, VolunteerID: v.ID, SignedAt: base})
		})
		wantCode(t, s.Write(ctx, func(tx *store.Tx) error {
			return tx.InsertSignup(ctx, volunteering.Signup{TaskID: task.ID, VolunteerID: v.ID, SignedAt: base})
		}), errs.Exists)
		write(t, s, func(tx *store.Tx) error {
			return tx.InsertSignup(ctx, volunteering.Signup{TaskID: task.ID, VolunteerID: other.ID, SignedAt: base.Add(time.Minute)})
		})
		var loaded volunteering.Task
		write(t, s, func(tx *store.Tx) error {
			var err error
			loaded, err = tx.VolunteerTask(ctx, task.ID)
			return err
		})
		if loaded.Taken != 2 || loaded.Slots != 2 || !msEqual(loaded.EndsAt, task.EndsAt) {
			t.Fatalf("task %+v", loaded)
		}
		if ts, err := s.VolunteerTasks(ctx, 7, base.Add(time.Hour), 10); err != nil || len(ts) != 1 || ts[0].Taken != 2 {
			t.Fatalf("tasks %+v %v", ts, err)
		}
		if ts, _ := s.VolunteerTasks(ctx, 7, base.Add(2*time.Hour), 10); len(ts) != 0 {
			t.Fatalf("ended tasks listed: %+v", ts)
		}

		su, err := s.Signup(ctx, task.ID, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := volunteering.CheckIn(loaded, &su, base.Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := volunteering.CheckOut(&su, base.Add(95*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := volunteering.Confirm(&su, su.Minutes, 3, base.Add(3*time.Hour), volunteering.DefaultExchange); err != nil {
			t.Fatal(err)
		}
		write(t, s, func(tx *store.Tx) error { return tx.UpdateSignup(ctx, su) })
		if m, p, err := s.VolunteerBalance(ctx, v.ID); err != nil || m != 90 || p != 15 {
			t.Errorf("balance %d min %d points %v", m, p, err)
		}
		if m, p, _ := s.VolunteerBalance(ctx, other.ID); m != 0 || p != 0 {
			t.Errorf("unconfirmed counted: %d %d", m, p)
		}
		if ts, err := s.TaskSignups(ctx, task.ID); err != nil || len(ts) != 2 || ts[0].Name != "林小雨" || ts[0].Minutes != 90 {
			t.Errorf("task sign-ups %+v %v", ts, err)
		}
		if my, err := s.VolunteerSignups(ctx, v.ID, 10); err != nil || len(my) != 1 || !msEqual(my[0].CheckOut, base.Add(95*time.Minute)) {
			t.Errorf("my sign-ups %+v %v", my, err)
		}
		svc, err := s.VolunteerServicesForLedger(ctx, []int64{7, 8}, base, base.Add(24*time.Hour))
		if err != nil || len(svc) != 1 || svc[0].Name != "林小雨" || svc[0].TaskKind != volunteering.TaskPatrol || svc[0].Points != 15 {
			t.Errorf("ledger %+v %v", svc, err)
		}
		if svc, _ := s.VolunteerServicesForLedger(ctx, []int64{8}, base, base.Add(24*time.Hour)); len(svc) != 0 {
			t.Errorf("another unit's services: %+v", svc)
		}
		if svc, _ := s.VolunteerServicesForLedger(ctx, []int64{7}, base.Add(time.Hour), base.Add(24*time.Hour)); len(svc) != 0 {
			t.Errorf("outside the period: %+v", svc)
		}
	})
}

func TestCareStore(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		sub := volunteering.Subject{UnitID: 7, Name: "王奶奶", Phone: "13900001111", Address: "翠湖里3号楼", CareType: volunteering.CareDisabled,
			Consent: volunteering.Consent{By: volunteering.ConsentGuardian, Method: volunteering.ConsentWritten, At: base.Add(-time.Hour), RecordedBy: 3}, EveryDays: 7, CreatedAt: base}
		write(t, s, func(tx *store.Tx) error { return tx.InsertCareSubject(ctx, &sub) })
		got, err := s.CareSubject(ctx, sub.ID)
		if err != nil || got.Name != "王奶奶" || got.Consent.By != volunteering.ConsentGuardian || got.Visits != 0 || !got.LastVisit.IsZero() {
			t.Fatalf("loaded %+v %v", got, err)
		}
		_, err = s.CareSubject(ctx, sub.ID+100)
		wantCode(t, err, errs.NotFound)
		for i, vol := range []int64{0, 5} {
			v := volunteering.Visit{SubjectID: sub.ID, UnitID: 7, UserID: 3, VolunteerID: vol, At: base.Add(time.Duration(i+1) * 24 * time.Hour), Note: "身体好"}
			write(t, s, func(tx *store.Tx) error { return tx.InsertCareVisit(ctx, &v) })
		}
		list, err := s.CareSubjects(ctx, 7)
		if err != nil || len(list) != 1 || list[0].Visits != 2 || !msEqual(list[0].LastVisit, base.Add(48*time.Hour)) {
			t.Fatalf("list %+v %v", list, err)
		}
		if list, _ := s.CareSubjects(ctx, 8); len(list) != 0 {
			t.Fatalf("another unit's list: %+v", list)
		}
		vs, err := s.CareVisits(ctx, sub.ID, 10)
		if err != nil || len(vs) != 2 || vs[0].VolunteerID != 5 {
			t.Fatalf("visits %+v %v", vs, err)
		}
		counts, err := s.CareVisitsForLedger(ctx, []int64{7}, base, base.Add(30*time.Hour))
		if err != nil || len(counts) != 1 || counts[0].CareType != volunteering.CareDisabled || counts[0].ByVolunteer {
			t.Fatalf("ledger %+v %v", counts, err)
		}

		// Patrols as a ledger source.
		p := grid.Patrol{GridID: 31, UserID: 4, State: grid.Patrolling, StartedAt: base}
		write(t, s, func(tx *store.Tx) error { return tx.InsertPatrol(ctx, &p) })
		ps, err := s.PatrolsForLedger(ctx, []int64{31, 32}, base, base.Add(time.Hour))
		if err != nil || len(ps) != 1 || ps[0].ID != p.ID {
			t.Fatalf("patrols %+v %v", ps, err)
		}
		if ps, _ := s.PatrolsForLedger(ctx, []int64{32}, base, base.Add(time.Hour)); len(ps) != 0 {
			t.Fatalf("another grid: %+v", ps)
		}
	})
}
