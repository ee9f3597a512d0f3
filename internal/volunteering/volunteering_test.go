package volunteering

import (
	"testing"
	"time"

	"whistle/internal/errs"
)

var t0 = time.Date(2026, 11, 7, 9, 0, 0, 0, time.UTC)

func TestPoints(t *testing.T) {
	for _, c := range []struct {
		ex      Exchange
		minutes int
		want    int
	}{
		{DefaultExchange, 0, 0},
		{DefaultExchange, 29, 0},
		{DefaultExchange, 30, 5},
		{DefaultExchange, 59, 5},
		{DefaultExchange, 60, 10},
		{DefaultExchange, 150, 25},
		{Exchange{PointsPerHour: 12, StepMinutes: 60, MinMinutes: 0}, 119, 12},
		{Exchange{PointsPerHour: 12, StepMinutes: 15, MinMinutes: 60}, 45, 0},
		{Exchange{PointsPerHour: 12, StepMinutes: 15, MinMinutes: 60}, 75, 15},
		{Exchange{PointsPerHour: 0, StepMinutes: 30}, 600, 0},
	} {
		if got := c.ex.Points(c.minutes); got != c.want {
			t.Errorf("%+v.Points(%d) = %d, want %d", c.ex, c.minutes, got, c.want)
		}
	}
	for _, c := range []struct {
		ex Exchange
		ok bool
	}{
		{DefaultExchange, true}, {Exchange{PointsPerHour: 10, StepMinutes: 7}, false},
		{Exchange{PointsPerHour: -1, StepMinutes: 30}, false}, {Exchange{PointsPerHour: 5, StepMinutes: 60, MinMinutes: 300}, false},
	} {
		if err := c.ex.Validate(); (err == nil) != c.ok {
			t.Errorf("%+v.Validate() = %v", c.ex, err)
		}
	}
}

func TestHours(t *testing.T) {
	for _, c := range []struct {
		in, out time.Time
		minutes int
		hours   float64
	}{
		{t0, t0, 0, 0},
		{t0, t0.Add(-time.Hour), 0, 0},
		{t0, t0.Add(59*time.Second + 59*time.Minute), 59, 1.0},
		{t0, t0.Add(90 * time.Minute), 90, 1.5},
		{t0, t0.Add(100 * time.Minute), 100, 1.7},
		{t0, t0.Add(3 * 24 * time.Hour), MaxMinutes, 12},
		{time.Time{}, t0, 0, 0},
	} {
		m := Minutes(c.in, c.out)
		if m != c.minutes || Hours(m) != c.hours {
			t.Errorf("Minutes(%v, %v) = %d (%.1f h), want %d (%.1f h)", c.in, c.out, m, Hours(m), c.minutes, c.hours)
		}
	}
}

func TestSignupFlow(t *testing.T) {
	task := Task{Kind: TaskPatrol, Title: "夜间巡逻", Place: "东门", StartsAt: t0, EndsAt: t0.Add(3 * time.Hour), Slots: 1}
	if err := ValidateTask(task); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		mod  func(*Task)
		code errs.Code
	}{
		"kind":     {func(x *Task) { x.Kind = "party" }, errs.Invalid},
		"title":    {func(x *Task) { x.Title = " " }, errs.FieldRequired},
		"ends":     {func(x *Task) { x.EndsAt = x.StartsAt }, errs.Invalid},
		"slots":    {func(x *Task) { x.Slots = 0 }, errs.Invalid},
		"too long": {func(x *Task) { x.EndsAt = x.StartsAt.Add(25 * time.Hour) }, errs.Invalid},
	} {
		x := task
		c.mod(&x)
		if err := ValidateTask(x); !errs.Is(err, c.code) {
			t.Errorf("%s: %v, want %s", name, err, c.code)
		}
	}
	if err := MaySignUp(task, t0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	full := task
	full.Taken = 1
	if err := MaySignUp(full, t0); !errs.Is(err, errs.Conflict) {
		t.Errorf("full task: %v", err)
	}
	if err := MaySignUp(task, t0.Add(3*time.Hour)); !errs.Is(err, errs.Conflict) {
		t.Errorf("task over: %v", err)
	}
	var s Signup
	if s.State() != SignedUp {
		t.Fatal(s.State())
	}
	if err := CheckOut(&s, t0); !errs.Is(err, errs.Conflict) {
		t.Errorf("check-out before check-in: %v", err)
	}
	if err := CheckIn(task, &s, t0.Add(-3*time.Hour)); !errs.Is(err, errs.Conflict) {
		t.Errorf("too early: %v", err)
	}
	if err := CheckIn(task, &s, t0.Add(-time.Minute)); err != nil || s.State() != CheckedIn {
		t.Fatalf("check-in: %v %s", err, s.State())
	}
	if err := CheckIn(task, &s, t0); !errs.Is(err, errs.Conflict) {
		t.Errorf("twice: %v", err)
	}
	if err := Confirm(&s, 10, 1, t0, DefaultExchange); !errs.Is(err, errs.Conflict) {
		t.Errorf("confirm before check-out: %v", err)
	}
	if err := CheckOut(&s, t0.Add(2*time.Hour+29*time.Minute)); err != nil || s.Minutes != 150 || s.State() != Done {
		t.Fatalf("check-out: %v %+v", err, s)
	}
	if err := Confirm(&s, 151, 1, t0, DefaultExchange); !errs.Is(err, errs.Invalid) {
		t.Errorf("raising the minutes: %v", err)
	}
	if err := Confirm(&s, 120, 1, t0.Add(3*time.Hour), DefaultExchange); err != nil || s.Points != 20 || s.State() != Confirmed {
		t.Fatalf("confirm: %v %+v", err, s)
	}
	if err := Confirm(&s, 120, 1, t0, DefaultExchange); !errs.Is(err, errs.Conflict) {
		t.Errorf("twice: %v", err)
	}
}

func TestRegister(t *testing.T) {
	for name, c := range map[string]struct {
		r    Registration
		code errs.Code
	}{
		"ok":        {Registration{UnitID: 3, Name: " 林小雨 ", Phone: "13800001111", Skills: []string{"care", "care", ""}}, ""},
		"no unit":   {Registration{Name: "林", Phone: "13800001111"}, errs.FieldRequired},
		"no name":   {Registration{UnitID: 3, Phone: "13800001111"}, errs.FieldRequired},
		"bad phone": {Registration{UnitID: 3, Name: "林", Phone: "23800001111"}, errs.InvalidPhone},
		"letters":   {Registration{UnitID: 3, Name: "林", Phone: "1380000111a"}, errs.InvalidPhone},
		"skill":     {Registration{UnitID: 3, Name: "林", Phone: "13800001111", Skills: []string{"juggling"}}, errs.Invalid},
	} {
		v, err := Register(c.r, t0)
		if c.code == "" {
			if err != nil || v.Name != "林小雨" || v.State != Pending || v.Duty != DutyVolunteer || len(v.Skills) != 1 {
				t.Errorf("%s: %+v %v", name, v, err)
			}
			continue
		}
		if !errs.Is(err, c.code) {
			t.Errorf("%s: %v, want %s", name, err, c.code)
		}
	}
}

func TestOverdue(t *testing.T) {
	created := t0.AddDate(0, 0, -30)
	for _, c := range []struct {
		name  string
		every int
		last  time.Time
		now   time.Time
		days  int
	}{
		{"never visited, within plan", 40, time.Time{}, t0, 0},
		{"never visited, late", 7, time.Time{}, t0, 23},
		{"visited, due exactly now", 7, t0.AddDate(0, 0, -7), t0, 0},
		{"visited, a minute late", 7, t0.AddDate(0, 0, -7), t0.Add(time.Minute), 1},
		{"visited, 3 days late", 7, t0.AddDate(0, 0, -10), t0, 3},
		{"visited recently", 14, t0.AddDate(0, 0, -1), t0, 0},
	} {
		s := Subject{EveryDays: c.every, CreatedAt: created, LastVisit: c.last}
		if got := OverdueDays(s, c.now); got != c.days {
			t.Errorf("%s: overdue %d days, want %d", c.name, got, c.days)
		}
	}
	ss := []Subject{
		{ID: 1, EveryDays: 7, CreatedAt: created, LastVisit: t0.AddDate(0, 0, -8)},
		{ID: 2, EveryDays: 7, CreatedAt: created},
		{ID: 3, EveryDays: 7, CreatedAt: created, LastVisit: t0},
	}
	got := Overdue(ss, t0)
	if len(got) != 2 || got[0].ID != 2 || got[1].ID != 1 {
		t.Errorf("Overdue = %+v", got)
	}
}

func TestValidateSubject(t *testing.T) {
	ok := Subject{Name: "王奶奶", Address: "翠湖里3号楼", CareType: CareElderlyAlone, EveryDays: 7, CreatedAt: t0,
		Consent: Consent{By: ConsentSelf, Method: ConsentWritten, At: t0.Add(-time.Hour)}}
	if err := ValidateSubject(ok); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		mod   func(*Subject)
		field string
	}{
		"no consent":       {func(s *Subject) { s.Consent = Consent{} }, "consent_by"},
		"no method":        {func(s *Subject) { s.Consent.Method = "" }, "consent_method"},
		"no consent time":  {func(s *Subject) { s.Consent.At = time.Time{} }, "consent_at"},
		"consent after":    {func(s *Subject) { s.Consent.At = t0.Add(time.Hour) }, "consent_at"},
		"type":             {func(s *Subject) { s.CareType = "rich" }, "care_type"},
		"plan":             {func(s *Subject) { s.EveryDays = 0 }, "every_days"},
		"phone":            {func(s *Subject) { s.Phone = "12" }, "phone"},
		"address required": {func(s *Subject) { s.Address = "" }, "address"},
	} {
		s := ok
		c.mod(&s)
		var e *errs.Error
		err := ValidateSubject(s)
		if err == nil || !errsAs(err, &e) || e.Field != c.field {
			t.Errorf("%s: %v, want field %s", name, err, c.field)
		}
	}
	if err := ValidateVisit(Visit{At: t0.Add(time.Minute)}, t0); !errs.Is(err, errs.Invalid) {
		t.Errorf("a visit in the future: %v", err)
	}
}

func errsAs(err error, e **errs.Error) bool {
	x, ok := err.(*errs.Error)
	*e = x
	return ok
}
