package lifecycle

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"whistle/internal/errs"
	"whistle/internal/org"
)

func TestTimersPerState(t *testing.T) {
	// A general case dispatched Friday 16:00 with ReplyBy Tuesday 16:00 is
	// due soon 24h before (80% of 11 days would be earlier than that).
	soon := at(2026, 11, 30, 16, 0)
	unitTimers := []Timer{{caseID, TimerReplySoon, soon}, {caseID, TimerReply, wantReplyBy}}
	tests := []struct {
		state   State
		urgency string
		want    []Timer
	}{
		{Submitted, "general", []Timer{{caseID, TimerAccept, at(2026, 11, 20, 17, 0)}}},
		{Received, "general", []Timer{{caseID, TimerDispatch, wantDispatchBy}}},
		{Received, "emergency", []Timer{{caseID, TimerDispatch, at(2026, 11, 20, 16, 0)}}},
		{Dispatched, "general", append([]Timer{{caseID, TimerSign, wantSignBy}}, unitTimers...)},
		{Signed, "general", unitTimers},
		{Contacted, "general", unitTimers},
		{Handling, "general", unitTimers},
		{Replied, "general", nil},
		{Closed, "general", nil},
		// Emergency: sign by 16:30, reply by 18:00, due soon at 80% = 17:36.
		{Dispatched, "emergency", []Timer{{caseID, TimerSign, at(2026, 11, 20, 16, 30)},
			{caseID, TimerReplySoon, at(2026, 11, 20, 17, 36)}, {caseID, TimerReply, at(2026, 11, 20, 18, 0)}}},
		// Utilities: 24h reply, 80% = 19h12m after dispatch.
		{Signed, "utilities", []Timer{{caseID, TimerReplySoon, at(2026, 11, 21, 11, 12)}, {caseID, TimerReply, at(2026, 11, 21, 16, 0)}}},
	}
	for _, tc := range tests {
		t.Run(string(tc.state)+"/"+tc.urgency, func(t *testing.T) {
			c, _ := caseInUrgency(t, tc.state, tc.urgency)
			assertTimers(t, Timers(c), tc.want)
			// Every current timer fires, with the command for its kind.
			for _, tm := range Timers(c) {
				cmd, ok := Fire(c, tm)
				want := ActOverdue
				if tm.Kind == TimerReplySoon {
					want = ActDueSoon
				}
				if !ok || !reflect.DeepEqual(cmd, Command{Action: want, TimerKind: tm.Kind}) {
					t.Errorf("Fire(%s) = %+v %v, want %s", tm.Kind, cmd, ok, want)
				}
			}
		})
	}
}

func assertTimers(t *testing.T, got, want []Timer) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("timers %v, want %v", got, want)
	}
	for i := range want {
		if got[i].CaseID != want[i].CaseID || got[i].Kind != want[i].Kind || !got[i].DueAt.Equal(want[i].DueAt) {
			t.Errorf("timer %d = %s %s, want %s %s", i, got[i].Kind, show(got[i].DueAt), want[i].Kind, show(want[i].DueAt))
		}
	}
}

func TestTimersWithoutDeadlines(t *testing.T) {
	for _, s := range States {
		c := &Case{ID: 1, State: s}
		if ts := Timers(c); ts != nil {
			t.Errorf("%s with no deadlines: timers %v", s, ts)
		}
	}
	// A dispatched case with a sign deadline but no reply deadline.
	c := &Case{ID: 1, State: Dispatched, SignBy: wantSignBy}
	assertTimers(t, Timers(c), []Timer{{1, TimerSign, wantSignBy}})
}

func TestFireOnlyWhileTheTimerMatches(t *testing.T) {
	c, _ := caseIn(t, Dispatched)
	stale := []Timer{
		{caseID, TimerReply, wantReplyBy.Add(time.Second)}, // another instant
		{caseID, TimerReply, wantReplyBy.Add(-time.Hour)},  // earlier
		{caseID, "bogus", wantReplyBy},                     // unknown kind
		{caseID, TimerDispatch, wantDispatchBy},            // not in this state
		{caseID, TimerAccept, at(2026, 11, 20, 17, 0)},     // not in this state
		{caseID, TimerReplySoon, wantReplyBy},              // kind/time mismatch
		{caseID, TimerSign, wantSignBy.Add(time.Nanosecond)},
	}
	for _, tm := range stale {
		if cmd, ok := Fire(c, tm); ok || !reflect.DeepEqual(cmd, Command{}) {
			t.Errorf("Fire(%s at %s) = %+v %v, want nothing", tm.Kind, show(tm.DueAt), cmd, ok)
		}
	}
	// The same instant in another zone still matches.
	utc := Timer{caseID, TimerReply, wantReplyBy.UTC()}
	if _, ok := Fire(c, utc); !ok {
		t.Error("the reply timer in UTC does not fire")
	}
	// After signing, the sign timer is gone.
	mustApply(t, c, handler, Command{Action: ActSign}, tSign)
	if _, ok := Fire(c, Timer{caseID, TimerSign, wantSignBy}); ok {
		t.Error("sign timer fires after signing")
	}
	// After replying, nothing fires.
	mustApply(t, c, handler, Command{Action: ActContact}, tContact)
	mustApply(t, c, handler, Command{Action: ActReply, Result: ResultResolved, Note: "ok"}, tReply)
	for _, tm := range []Timer{{caseID, TimerReply, wantReplyBy}, {caseID, TimerReplySoon, at(2026, 11, 30, 16, 0)}} {
		if _, ok := Fire(c, tm); ok {
			t.Errorf("%s fires after the reply", tm.Kind)
		}
	}
}

// A re-dispatch after a return and a reopen both replace the old timers.
func TestFireAfterDeadlinesMove(t *testing.T) {
	c, _ := caseIn(t, Signed)
	old := Timers(c)
	mustApply(t, c, handler, Command{Action: ActRequestReturn, Reason: "r"}, tContact)
	mustApply(t, c, dispatcher, Command{Action: ActApproveReturn, Unit: &department}, tProgress)
	for _, tm := range old {
		if _, ok := Fire(c, tm); ok {
			t.Errorf("old %s timer fires after re-dispatch", tm.Kind)
		}
	}
	if _, ok := Fire(c, Timer{caseID, TimerReply, at(2026, 12, 1, 17, 30)}); !ok {
		t.Error("the new unit's reply timer does not fire")
	}

	c, _ = caseIn(t, Replied)
	mustApply(t, c, agent, Command{Action: ActCallback, Resolved: ptr(false), Satisfaction: Unsatisfied, Reopen: true}, tCallback)
	assertTimers(t, Timers(c), []Timer{
		{caseID, TimerSign, at(2026, 11, 25, 12, 0)},
		{caseID, TimerReplySoon, at(2026, 12, 3, 10, 0)},
		{caseID, TimerReply, at(2026, 12, 4, 10, 0)},
	})
}

// The scheduler's loop: fire each due timer and apply the command as the
// system actor.
func TestFireAndApplyOverdue(t *testing.T) {
	c, _ := caseIn(t, Contacted)
	soon, ok := Fire(c, Timer{caseID, TimerReplySoon, at(2026, 11, 30, 16, 0)})
	if !ok {
		t.Fatal("due soon does not fire")
	}
	ev := mustApply(t, c, system, soon, at(2026, 11, 30, 16, 0))
	if !c.DueSoon || c.Overdue || ev.Data["timer"] != TimerReplySoon {
		t.Errorf("after due soon: due soon %v overdue %v data %v", c.DueSoon, c.Overdue, ev.Data)
	}
	over, ok := Fire(c, Timer{caseID, TimerReply, wantReplyBy})
	if !ok {
		t.Fatal("reply overdue does not fire")
	}
	before := deepCopy(c)
	ev = mustApply(t, c, system, over, wantReplyBy)
	assertCase(t, *c, expect(before, wantReplyBy, func(c *Case) {
		c.Overdue, c.Supervised, c.EscalationLevel = true, true, 1
	}))
	assertEvent(t, ev, ActOverdue, Contacted, Contacted, system, org.RoleSystem, before.EventSeq+1, wantReplyBy,
		map[string]any{"timer": "reply", "escalated_to": int64(2)})

	// Humans may not apply what Fire returns.
	for _, a := range []org.Actor{agent, dispatcher, supervisor, handler, leader, admin} {
		refuse(t, c, a, over, wantReplyBy, errs.Forbidden)
		refuse(t, c, a, soon, wantReplyBy, errs.Forbidden)
	}
	// A late reply clears due soon but keeps the overdue record.
	mustApply(t, c, handler, Command{Action: ActReply, Result: ResultResolved, Note: "ok"}, wantReplyBy.Add(time.Hour))
	if c.DueSoon || !c.Overdue || c.EscalationLevel != 1 {
		t.Errorf("after late reply: due soon %v overdue %v level %d", c.DueSoon, c.Overdue, c.EscalationLevel)
	}
}

func TestCreated(t *testing.T) {
	tests := []struct {
		name      string
		channel   string
		urgency   string
		by        org.Actor
		role      string
		state     State
		acceptBy  time.Time
		dispatch  time.Time
		receivedA time.Time
		rule      string
	}{
		{"phone general", "phone", "general", agent, org.RoleAgent, Received, time.Time{}, wantDispatchBy, tCreate, "general"},
		{"phone emergency", "phone", "emergency", agent, org.RoleAgent, Received, time.Time{}, at(2026, 11, 20, 16, 0), tCreate, "emergency"},
		{"phone utilities", "phone", "utilities", agent, org.RoleAgent, Received, time.Time{}, at(2026, 11, 20, 17, 0), tCreate, "utilities"},
		{"unknown urgency uses the default", "phone", "", agent, org.RoleAgent, Received, time.Time{}, wantDispatchBy, tCreate, "default"},
		{"grid worker", "grid", "general", gridWorker, org.RoleGridWorker, Received, time.Time{}, wantDispatchBy, tCreate, "general"},
		{"whistle", "whistle", "complex", handler, org.RoleHandler, Received, time.Time{}, wantDispatchBy, tCreate, "complex"},
		{"web", "web", "general", system, org.RoleSystem, Submitted, at(2026, 11, 20, 17, 0), time.Time{}, time.Time{}, "general"},
		{"web emergency", "web", "emergency", system, org.RoleSystem, Submitted, at(2026, 11, 20, 17, 0), time.Time{}, time.Time{}, "emergency"},
		{"app", "app", "general", system, org.RoleSystem, Submitted, at(2026, 11, 20, 17, 0), time.Time{}, time.Time{}, "general"},
		{"miniprogram", "miniprogram", "general", system, org.RoleSystem, Submitted, at(2026, 11, 20, 17, 0), time.Time{}, time.Time{}, "general"},
		{"email", "email", "general", agent, org.RoleAgent, Submitted, at(2026, 11, 20, 17, 0), time.Time{}, time.Time{}, "general"},
		{"open311", "open311", "general", system, org.RoleSystem, Submitted, at(2026, 11, 20, 17, 0), time.Time{}, time.Time{}, "general"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCase(tc.channel, tc.urgency)
			before := deepCopy(c)
			ev := Created(c, tc.by, testEnv(tCreate))
			want := before
			want.State = tc.state
			want.CreatedAt, want.UpdatedAt = tCreate, tCreate
			want.CreatedBy = tc.by.User.ID
			want.AcceptBy, want.DispatchBy, want.ReceivedAt = tc.acceptBy, tc.dispatch, tc.receivedA
			want.PolicyRule = tc.rule
			want.Version, want.EventSeq = 1, 1
			assertCase(t, *c, want)
			ev.CaseID = caseID // the case has no id in the store yet
			assertEvent(t, ev, ActCreate, "", tc.state, tc.by, tc.role, 1, tCreate, map[string]any{"channel": tc.channel})
			wantKind := TimerDispatch
			if tc.state == Submitted {
				wantKind = TimerAccept
			}
			if ts := Timers(c); len(ts) != 1 || ts[0].Kind != wantKind {
				t.Errorf("timers %v, want one %s", ts, wantKind)
			}
		})
	}
	// Every channel is covered, and the online ones are exactly the submitted ones.
	for _, ch := range Channels {
		c := newCase(ch, "general")
		Created(c, agent, testEnv(tCreate))
		if online := slices.Contains(OnlineChannels, ch); online != (c.State == Submitted) {
			t.Errorf("channel %s: state %s", ch, c.State)
		}
	}
}
