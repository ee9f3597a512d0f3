package lifecycle

import (
	"slices"
	"testing"
	"time"

	"whistle/internal/org"
)

func TestAllowed(t *testing.T) {
	tWindowClosed := at(2026, 11, 25, 0, 0) // after the 24h return window, before the reply deadline
	tests := []struct {
		name  string
		state State
		prep  func(*Case)
		actor org.Actor
		now   time.Time // zero: ten minutes after the last event
		want  []Action
	}{
		{"agent on a received case", Received, nil, agent, time.Time{}, []Action{ActAnswer, ActDispatch, ActMerge, ActNote}},
		{"agent on a submission", Submitted, nil, agent, time.Time{}, []Action{ActAccept, ActAnswer, ActMerge, ActNote}},
		{"lead unit on a dispatched case, window open", Dispatched, nil, handler, time.Time{}, []Action{ActSign, ActRequestReturn, ActNote}},
		{"lead unit on a dispatched case, window closed", Dispatched, nil, handler, tWindowClosed, []Action{ActSign, ActNote}},
		{"lead unit after signing, window open", Signed, nil, handler, time.Time{}, []Action{ActContact, ActProgress, ActRequestReturn, ActRequestExtension, ActNote}},
		{"lead unit after signing, window closed", Signed, nil, leader, tWindowClosed, []Action{ActContact, ActProgress, ActRequestExtension, ActNote}},
		{"return already asked for", Signed, func(c *Case) { c.ReturnPending = true }, handler, time.Time{}, []Action{ActContact, ActProgress, ActRequestExtension, ActNote}},
		{"reply before contact: not offered", Signed, nil, handler, time.Time{}, []Action{ActContact, ActProgress, ActRequestReturn, ActRequestExtension, ActNote}},
		{"reply before contact to an anonymous citizen", Signed, func(c *Case) { c.Citizen.Anonymous = true }, handler, time.Time{}, []Action{ActContact, ActProgress, ActRequestReturn, ActRequestExtension, ActReply, ActNote}},
		{"reply after contact", Contacted, nil, handler, time.Time{}, []Action{ActContact, ActProgress, ActRequestExtension, ActReply, ActNote}},
		{"no reply while a return is pending", Handling, func(c *Case) { c.ReturnPending = true }, handler, time.Time{}, []Action{ActContact, ActProgress, ActRequestExtension, ActNote}},
		{"extension already asked for", Handling, func(c *Case) { c.ExtensionPending = true }, handler, time.Time{}, []Action{ActContact, ActProgress, ActReply, ActNote}},
		{"another unit", Signed, nil, deptUser, time.Time{}, []Action{ActNote}},
		{"co-handling unit", Signed, nil, coUser, time.Time{}, []Action{ActAssist, ActNote}},
		{"dispatcher, nothing pending", Signed, nil, dispatcher, time.Time{}, []Action{ActSupervise, ActMerge, ActNote}},
		{"dispatcher, return pending", Signed, func(c *Case) { c.ReturnPending = true }, dispatcher, time.Time{}, []Action{ActApproveReturn, ActRejectReturn, ActSupervise, ActMerge, ActNote}},
		{"dispatcher, extension pending", Handling, func(c *Case) { c.ExtensionPending = true }, dispatcher, time.Time{}, []Action{ActApproveExtension, ActRejectExtension, ActSupervise, ActMerge, ActNote}},
		{"agent on a replied case", Replied, nil, agent, time.Time{}, []Action{ActCallback, ActNote}},
		{"dispatcher on a replied case", Replied, nil, dispatcher, time.Time{}, []Action{ActCallback, ActClose, ActSupervise, ActNote}},
		{"supervisor", Handling, nil, supervisor, time.Time{}, []Action{ActSupervise, ActNote}},
		{"grid worker", Handling, nil, gridWorker, time.Time{}, []Action{ActNote}},
		{"analyst", Handling, nil, analyst, time.Time{}, nil},
		{"closed case", Closed, nil, dispatcher, time.Time{}, nil},
		{"the scheduler (roles do not bind it)", Contacted, nil, system, time.Time{}, []Action{ActSupervise, ActMerge, ActNote, ActDueSoon, ActOverdue}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, last := caseIn(t, tc.state)
			if tc.prep != nil {
				tc.prep(c)
			}
			now := tc.now
			if now.IsZero() {
				now = last.Add(10 * time.Minute)
			}
			before := *c
			got := Allowed(c, tc.actor, testEnv(now))
			if !slices.Equal(got, tc.want) {
				t.Errorf("Allowed = %v\nwant      %v", got, tc.want)
			}
			if c.Version != before.Version || c.State != before.State {
				t.Error("Allowed changed the case")
			}
		})
	}
}

// goodCommand is action with complete, valid arguments for a case in the
// fixture: what a filled-in form sends.
func goodCommand(act Action, c *Case) Command {
	return Command{Action: act, Note: "说明", Reason: "原因", Result: ResultResolved, ReplyBy: c.ReplyBy.Add(48 * time.Hour),
		Resolved: ptr(true), Satisfaction: Satisfied, ParentID: parentID, Unit: &department, Means: "phone", TimerKind: TimerReply}
}

// Allowed and Apply are one rule: for every state, actor and moment, an
// action is listed exactly when Apply takes it with complete arguments.
func TestAllowedAgreesWithApply(t *testing.T) {
	actors := []org.Actor{agent, dispatcher, supervisor, handler, leader, deptUser, coUser, gridWorker, analyst, admin, system}
	preps := map[string]func(*Case){
		"plain":             func(*Case) {},
		"return pending":    func(c *Case) { c.ReturnPending = true },
		"extension pending": func(c *Case) { c.ExtensionPending = true },
		"anonymous":         func(c *Case) { c.Citizen.Anonymous = true },
	}
	for _, st := range []State{Submitted, Received, Dispatched, Signed, Contacted, Handling, Replied, Closed} {
		for pn, prep := range preps {
			for _, late := range []bool{false, true} {
				for _, a := range actors {
					c, last := caseIn(t, st)
					prep(c)
					now := last.Add(10 * time.Minute)
					if late {
						now = last.Add(36 * time.Hour)
					}
					env := testEnv(now)
					allowed := Allowed(c, a, env)
					for _, tr := range Transitions {
						cp := *c
						cp.CoUnitIDs = slices.Clone(c.CoUnitIDs)
						_, err := Apply(&cp, goodCommand(tr.Action, &cp), a, env)
						if listed := slices.Contains(allowed, tr.Action); listed != (err == nil) {
							t.Errorf("%s/%s/late=%v/%s: %s listed=%v, Apply error %v", st, pn, late, a.User.DisplayName, tr.Action, listed, err)
						}
					}
				}
			}
		}
	}
}
