package scheduler

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"whistle/internal/auth"
	"whistle/internal/casework"
	"whistle/internal/core"
	"whistle/internal/demo"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/seed"
	"whistle/internal/services"
	"whistle/internal/store"
)

func open(t *testing.T, path string, now func() time.Time) (*store.Store, *services.Services) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := services.New(ctx, st, core.Config{PhoneKey: []byte("k"), ReopenLimit: 2, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return st, svc
}

// The scheduler keeps no timers in memory: deadlines set before a restart
// fire after it, once, from what the database says.
func TestFiresAfterRestartExactlyOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "w.db")
	st, svc := open(t, path, time.Now)
	if _, err := seed.Demo(ctx, svc, demo.Options{Seed: 3, Requests: 20}, auth.FastHasher(), nil); err != nil {
		t.Fatal(err)
	}
	agentUser, _, err := st.UserByName(ctx, "agent01")
	if err != nil {
		t.Fatal(err)
	}
	agent, _ := svc.Actor(agentUser)
	var street org.Unit
	for _, u := range svc.UnitsList() {
		if u.Kind == org.KindStreet {
			street = u
			break
		}
	}
	c, _, err := svc.Cases.Create(ctx, agent, casework.NewCase{Channel: "phone", Type: "help", Category: pickLeaf(svc), Urgency: "emergency",
		Description: "路面塌陷，车辆无法通行", CitizenPhone: "13900001111", PlaceID: street.PlaceID}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Cases.Act(ctx, agent, c.ID, casework.ActInput{Action: lifecycle.ActDispatch, UnitID: street.ID}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	// Three hours later, on a new process: the 30-minute sign limit and the
	// 2-hour reply limit have both passed.
	later := func() time.Time { return time.Now().Add(3 * time.Hour) }
	st2, svc2 := open(t, path, later)
	defer st2.Close()
	sch := &Scheduler{Svc: svc2, Node: "n2", Interval: 50 * time.Millisecond}
	n, err := sch.Tick(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n < 3 {
		t.Fatalf("fired %d timers, want at least sign, reply_soon and reply of the new case", n)
	}
	got, err := st2.Case(ctx, c.ID, org.Scope{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if !got.Overdue || !got.Supervised || got.EscalationLevel != 1 || !got.DueSoon {
		t.Fatalf("after firing: overdue=%v supervised=%v level=%d dueSoon=%v", got.Overdue, got.Supervised, got.EscalationLevel, got.DueSoon)
	}
	evs, _ := st2.Events(ctx, c.ID)
	count := map[string]int{}
	for _, e := range evs {
		if e.Action == lifecycle.ActOverdue || e.Action == lifecycle.ActDueSoon {
			count[string(e.Action)+":"+e.Data["timer"].(string)]++
			if e.Action == lifecycle.ActOverdue && e.Data["timer"] == lifecycle.TimerReply && e.Data["escalated_to"] != float64(street.SupervisorID) {
				t.Errorf("escalated to %v, want the district centre %d", e.Data["escalated_to"], street.SupervisorID)
			}
		}
	}
	want := map[string]int{"overdue:sign": 1, "overdue:reply": 1, "due_soon:reply_soon": 1}
	for k, v := range want {
		if count[k] != v {
			t.Errorf("%s fired %d times, want %d (all: %v)", k, count[k], v, count)
		}
	}
	// A second pass, and a restart, fire nothing more for this case.
	if n, _ := sch.Tick(ctx); n != 0 {
		t.Errorf("second tick fired %d", n)
	}

	// Run stops with its context.
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { sch.Run(runCtx); close(done) }()
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop after its context was cancelled")
	}
}

func pickLeaf(svc *services.Services) string {
	for _, c := range svc.Categories() {
		if c.Leaf && c.Active {
			return c.Code
		}
	}
	return ""
}
