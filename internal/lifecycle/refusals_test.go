package lifecycle

import (
	"testing"
	"time"

	"whistle/internal/errs"
	"whistle/internal/org"
)

// refusal is one action that must be refused with its own code, leaving
// the case as it was.
type refusal struct {
	name  string
	state State
	prep  func(c *Case)
	actor org.Actor
	cmd   Command
	now   time.Time // zero = just after the fixture's last event
	code  errs.Code
}

func TestRefusals(t *testing.T) {
	mon := at(2026, 11, 23, 10, 0)
	retPending := func(c *Case) { c.ReturnPending, c.ReturnReason = true, "r" }
	extPending := func(c *Case) {
		c.ExtensionPending, c.ExtensionTo, c.ExtensionReason = true, at(2026, 12, 4, 16, 0), "r"
	}
	reply := func(result, note, reason string) Command {
		return Command{Action: ActReply, Result: result, Note: note, Reason: reason}
	}
	ext := func(by time.Time) Command {
		return Command{Action: ActRequestExtension, Reason: "需协调", ReplyBy: by}
	}
	outsider := actor(21, "水务局负责人", department, org.RoleLeader)
	tests := []refusal{
		// Answer, dispatch.
		{"answer without note", Received, nil, agent, Command{Action: ActAnswer, Note: " \t"}, time.Time{}, errs.FieldRequired},
		{"dispatch without unit", Received, nil, agent, Command{Action: ActDispatch}, time.Time{}, errs.FieldRequired},
		{"dispatch to the city centre", Received, nil, agent, Command{Action: ActDispatch, Unit: &cityCentre}, time.Time{}, errs.UnknownUnit},

		// Lead unit only.
		{"sign by another unit", Dispatched, nil, deptUser, Command{Action: ActSign}, time.Time{}, errs.NotLeadUnit},
		{"sign by a co-unit", Dispatched, nil, coUser, Command{Action: ActSign}, time.Time{}, errs.NotLeadUnit},
		{"sign by the centre's unit without lead", Dispatched, func(c *Case) { c.LeadUnitID = 0 }, actor(12, "无单位", org.Unit{}, org.RoleHandler), Command{Action: ActSign}, time.Time{}, errs.NotLeadUnit},
		{"contact by another unit", Signed, nil, outsider, Command{Action: ActContact}, time.Time{}, errs.NotLeadUnit},
		{"progress by another unit", Contacted, nil, deptUser, Command{Action: ActProgress, Note: "x"}, time.Time{}, errs.NotLeadUnit},
		{"progress without note", Contacted, nil, handler, Command{Action: ActProgress}, time.Time{}, errs.FieldRequired},
		{"request return by another unit", Dispatched, nil, deptUser, Command{Action: ActRequestReturn, Reason: "r"}, time.Time{}, errs.NotLeadUnit},
		{"request extension by another unit", Contacted, nil, deptUser, ext(at(2026, 12, 4, 16, 0)), mon, errs.NotLeadUnit},
		{"reply by another unit", Contacted, nil, deptUser, reply(ResultResolved, "ok", ""), tReply, errs.NotLeadUnit},
		{"reply by a co-unit", Contacted, nil, coUser, reply(ResultResolved, "ok", ""), tReply, errs.NotLeadUnit},

		// Co-handling.
		{"assist by a unit that is not a co-unit", Signed, nil, deptUser, Command{Action: ActAssist, Note: "x"}, time.Time{}, errs.NotCoUnit},
		{"assist by the lead unit", Signed, nil, handler, Command{Action: ActAssist, Note: "x"}, time.Time{}, errs.NotCoUnit},
		{"assist without note", Signed, nil, coUser, Command{Action: ActAssist, Note: " "}, time.Time{}, errs.FieldRequired},

		// Returns.
		{"request return without reason", Dispatched, nil, handler, Command{Action: ActRequestReturn}, time.Time{}, errs.FieldRequired},
		{"request return with a blank reason", Signed, nil, handler, Command{Action: ActRequestReturn, Reason: "   "}, time.Time{}, errs.FieldRequired},
		{"request return after ReturnBy", Signed, nil, handler, Command{Action: ActRequestReturn, Reason: "r"}, wantReturnBy.Add(time.Second), errs.ReturnWindowClosed},
		{"request return twice", Signed, retPending, handler, Command{Action: ActRequestReturn, Reason: "r"}, time.Time{}, errs.ReturnPending},
		{"approve return with nothing pending", Signed, nil, dispatcher, Command{Action: ActApproveReturn, Unit: &department}, time.Time{}, errs.NoReturnPending},
		{"approve return to received with nothing pending", Dispatched, nil, dispatcher, Command{Action: ActApproveReturn}, time.Time{}, errs.NoReturnPending},
		{"reject return with nothing pending", Signed, nil, dispatcher, Command{Action: ActRejectReturn}, time.Time{}, errs.NoReturnPending},
		{"approve return re-dispatching to the same unit", Signed, retPending, dispatcher, Command{Action: ActApproveReturn, Unit: &street}, time.Time{}, errs.SameUnit},
		{"approve return re-dispatching to the city centre", Signed, retPending, dispatcher, Command{Action: ActApproveReturn, Unit: &cityCentre}, time.Time{}, errs.UnknownUnit},
		{"approve return by an agent", Signed, retPending, agent, Command{Action: ActApproveReturn, Unit: &department}, time.Time{}, errs.Forbidden},

		// Extensions.
		{"extension with ReplyBy in the past", Contacted, nil, handler, ext(mon.Add(-time.Minute)), mon, errs.DeadlineInPast},
		{"extension with ReplyBy now", Contacted, nil, handler, ext(mon), mon, errs.DeadlineInPast},
		{"extension equal to the current ReplyBy", Contacted, nil, handler, ext(wantReplyBy), mon, errs.DeadlineNotLater},
		{"extension earlier than the current ReplyBy", Handling, nil, handler, ext(at(2026, 11, 30, 9, 0)), mon, errs.DeadlineNotLater},
		{"extension twice", Signed, extPending, handler, ext(at(2026, 12, 8, 16, 0)), mon, errs.ExtensionPending},
		{"extension without reason", Signed, nil, handler, Command{Action: ActRequestExtension, ReplyBy: at(2026, 12, 4, 16, 0)}, mon, errs.FieldRequired},
		{"extension without ReplyBy", Signed, nil, handler, Command{Action: ActRequestExtension, Reason: "r"}, mon, errs.FieldRequired},
		{"extension to 9999-12-31", Contacted, nil, handler, ext(at(9999, 12, 31, 0, 0)), mon, errs.ExtensionTooLong},
		{"extension one minute over 90 days", Contacted, nil, handler, ext(wantReplyBy.AddDate(0, 0, MaxExtensionDays).Add(time.Minute)), mon, errs.ExtensionTooLong},
		{"extension of a passed deadline over 90 days from now", Contacted, nil, handler, ext(at(2027, 3, 1, 0, 0).AddDate(0, 0, MaxExtensionDays).Add(time.Minute)), at(2027, 3, 1, 0, 0), errs.ExtensionTooLong},
		{"extension with a zero-width reason", Signed, nil, handler, Command{Action: ActRequestExtension, Reason: "\u200b\ufeff\u2060 \u200d", ReplyBy: at(2026, 12, 4, 16, 0)}, mon, errs.FieldRequired},
		{"contact by fax", Signed, nil, handler, Command{Action: ActContact, Means: "fax"}, time.Time{}, errs.Invalid},
		{"contact by a means in another case", Signed, nil, handler, Command{Action: ActContact, Means: "Phone"}, time.Time{}, errs.Invalid},
		{"progress with a zero-width note", Contacted, nil, handler, Command{Action: ActProgress, Note: "\u200b\u200c"}, time.Time{}, errs.FieldRequired},
		{"answer with a byte-order mark", Received, nil, agent, Command{Action: ActAnswer, Note: "\ufeff"}, time.Time{}, errs.FieldRequired},
		{"approve extension with nothing pending", Contacted, nil, dispatcher, Command{Action: ActApproveExtension}, mon, errs.NoExtensionPending},
		{"reject extension with nothing pending", Handling, nil, dispatcher, Command{Action: ActRejectExtension}, mon, errs.NoExtensionPending},
		{"approve extension by the unit's leader", Handling, extPending, leader, Command{Action: ActApproveExtension}, mon, errs.Forbidden},

		// Reply.
		{"reply with an unknown result", Contacted, nil, handler, reply("done", "ok", ""), tReply, errs.Invalid},
		{"reply without result", Contacted, nil, handler, reply("", "ok", ""), tReply, errs.Invalid},
		{"reply without note", Contacted, nil, handler, reply(ResultResolved, " ", ""), tReply, errs.FieldRequired},
		{"reply unresolvable without reason", Handling, nil, handler, reply(ResultUnresolvable, "无法解决", ""), tReply, errs.FieldRequired},
		{"reply before contacting a citizen with a phone (signed)", Signed, nil, handler, reply(ResultResolved, "ok", ""), tReply, errs.InvalidTransition},
		{"reply before contacting a citizen with a phone (handling)", Handling, func(c *Case) { c.ContactedAt = time.Time{} }, handler, reply(ResultResolved, "ok", ""), tReply, errs.InvalidTransition},
		{"reply while a return is pending", Contacted, retPending, handler, reply(ResultResolved, "ok", ""), tReply, errs.ReturnPending},

		// Callback, close.
		{"callback without resolved", Replied, nil, agent, Command{Action: ActCallback, Satisfaction: Satisfied}, tCallback, errs.FieldRequired},
		{"callback with a bad satisfaction", Replied, nil, agent, Command{Action: ActCallback, Resolved: ptr(true), Satisfaction: "great"}, tCallback, errs.Invalid},
		{"callback without satisfaction", Replied, nil, agent, Command{Action: ActCallback, Resolved: ptr(true)}, tCallback, errs.Invalid},
		{"reopen when satisfied and resolved", Replied, nil, agent, Command{Action: ActCallback, Resolved: ptr(true), Satisfaction: Satisfied, Reopen: true}, tCallback, errs.Invalid},
		{"reopen when fairly satisfied and resolved", Replied, nil, agent, Command{Action: ActCallback, Resolved: ptr(true), Satisfaction: FairlySatisfied, Reopen: true}, tCallback, errs.Invalid},
		{"reopen at the limit", Replied, func(c *Case) { c.ReopenCount = reopenMax }, agent, Command{Action: ActCallback, Resolved: ptr(false), Satisfaction: Unsatisfied, Reopen: true}, tCallback, errs.ReopenLimit},
		{"reopen past the limit", Replied, func(c *Case) { c.ReopenCount = reopenMax + 3 }, agent, Command{Action: ActCallback, Resolved: ptr(false), Satisfaction: Satisfied, Reopen: true}, tCallback, errs.ReopenLimit},
		{"close without reason", Replied, nil, dispatcher, Command{Action: ActClose, Reason: " "}, tCallback, errs.FieldRequired},
		{"close by an agent", Replied, nil, agent, Command{Action: ActClose, Reason: "r"}, tCallback, errs.Forbidden},

		// Supervise, merge, note.
		{"supervise without note", Handling, nil, supervisor, Command{Action: ActSupervise}, time.Time{}, errs.FieldRequired},
		{"supervise by a handler", Handling, nil, handler, Command{Action: ActSupervise, Note: "x"}, time.Time{}, errs.Forbidden},
		{"merge into itself", Signed, nil, agent, Command{Action: ActMerge, ParentID: caseID}, time.Time{}, errs.MergeSelf},
		{"merge without parent", Received, nil, agent, Command{Action: ActMerge}, time.Time{}, errs.FieldRequired},
		{"merge a replied case", Replied, nil, agent, Command{Action: ActMerge, ParentID: parentID}, time.Time{}, errs.InvalidTransition},
		{"note without text", Dispatched, nil, handler, Command{Action: ActNote, Note: "\n"}, time.Time{}, errs.FieldRequired},

		// Timers are the scheduler's.
		{"due soon by a dispatcher", Contacted, nil, dispatcher, Command{Action: ActDueSoon, TimerKind: TimerReplySoon}, time.Time{}, errs.Forbidden},
		{"overdue by a supervisor", Contacted, nil, supervisor, Command{Action: ActOverdue, TimerKind: TimerReply}, time.Time{}, errs.Forbidden},
		{"overdue by an admin", Received, nil, admin, Command{Action: ActOverdue, TimerKind: TimerDispatch}, time.Time{}, errs.Forbidden},
		{"overdue on a closed case", Closed, nil, system, Command{Action: ActOverdue, TimerKind: TimerReply}, time.Time{}, errs.InvalidTransition},
		{"due soon on a closed case", Closed, nil, system, Command{Action: ActDueSoon, TimerKind: TimerReplySoon}, time.Time{}, errs.InvalidTransition},
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
			refuse(t, c, tc.actor, tc.cmd, now, tc.code)
		})
	}
}

// Refusals are checked in a fixed order; the first failing guard decides.
func TestRefusalPrecedence(t *testing.T) {
	// Role before state: an analyst gets forbidden even in a wrong state.
	c, now := caseIn(t, Closed)
	refuse(t, c, analyst, Command{Action: ActSign}, now, errs.Forbidden)
	// State before unit: another unit signing a signed case.
	c, now = caseIn(t, Signed)
	refuse(t, c, deptUser, Command{Action: ActSign}, now, errs.InvalidTransition)
	// Unit before pending: another unit asking to return twice.
	c, now = caseIn(t, Signed)
	c.ReturnPending = true
	refuse(t, c, deptUser, Command{Action: ActRequestReturn, Reason: "r"}, now, errs.NotLeadUnit)
	// Pending before reason.
	refuse(t, c, handler, Command{Action: ActRequestReturn}, now, errs.ReturnPending)
	// Window before reason: the window is a precondition of the action
	// (Allowed hides it), the reason only an argument of the form.
	c, _ = caseIn(t, Signed)
	refuse(t, c, handler, Command{Action: ActRequestReturn}, at(2026, 11, 25, 0, 0), errs.ReturnWindowClosed)
	// Return pending before the reply's own checks.
	c, _ = caseIn(t, Contacted)
	c.ReturnPending = true
	refuse(t, c, handler, Command{Action: ActReply, Result: "bogus"}, tReply, errs.ReturnPending)
	// Extension: pending before reason, past before not-later.
	c, _ = caseIn(t, Contacted)
	c.ExtensionPending = true
	refuse(t, c, handler, Command{Action: ActRequestExtension}, tReply, errs.ExtensionPending)
	c, _ = caseIn(t, Contacted)
	refuse(t, c, handler, Command{Action: ActRequestExtension, Reason: "r", ReplyBy: at(2026, 11, 1, 0, 0)}, tReply, errs.DeadlineInPast)
	// Same unit is checked before re-dispatching; a city centre re-dispatch after it.
	c, now = caseIn(t, Dispatched)
	c.ReturnPending = true
	refuse(t, c, dispatcher, Command{Action: ActApproveReturn, Unit: &street}, now, errs.SameUnit)
	// Callback: resolved before satisfaction, satisfaction before reopen.
	c, _ = caseIn(t, Replied)
	refuse(t, c, agent, Command{Action: ActCallback, Satisfaction: "x", Reopen: true}, tCallback, errs.FieldRequired)
	refuse(t, c, agent, Command{Action: ActCallback, Resolved: ptr(true), Satisfaction: "x", Reopen: true}, tCallback, errs.Invalid)
	// Reopen: the invalid answer before the limit.
	c.ReopenCount = reopenMax
	refuse(t, c, agent, Command{Action: ActCallback, Resolved: ptr(true), Satisfaction: Satisfied, Reopen: true}, tCallback, errs.Invalid)
	// A zero limit means never reopen.
	c, _ = caseIn(t, Replied)
	before := deepCopy(c)
	env := testEnv(tCallback)
	env.ReopenLimit = 0
	if _, err := Apply(c, Command{Action: ActCallback, Resolved: ptr(false), Satisfaction: Unsatisfied, Reopen: true}, agent, env); errs.CodeOf(err) != errs.ReopenLimit {
		t.Errorf("reopen with limit 0: %v, want reopen_limit", err)
	}
	assertCase(t, *c, before)
}

// Without a configured return window there is no ReturnBy, and a unit may
// ask for a return until it has contacted the citizen.
func TestNoReturnWindow(t *testing.T) {
	c, _ := caseIn(t, Received)
	env := testEnv(tDispatch)
	env.ReturnWindow = Env{}.ReturnWindow
	if _, err := Apply(c, Command{Action: ActDispatch, Unit: &street}, agent, env); err != nil {
		t.Fatal(err)
	}
	if !c.ReturnBy.IsZero() {
		t.Fatalf("ReturnBy %s, want zero without a window", show(c.ReturnBy))
	}
	mustApply(t, c, handler, Command{Action: ActRequestReturn, Reason: "r"}, at(2026, 11, 30, 9, 0))
	if !c.ReturnPending {
		t.Error("return not pending")
	}
}

// The case passed to Apply is never aliased by the new one: a refused
// re-dispatch leaves the co-unit slice alone, and an accepted one does not
// write through to a copy taken before.
func TestApplyDoesNotAliasCoUnits(t *testing.T) {
	c, now := caseIn(t, Signed)
	c.ReturnPending = true
	old := *c // shares the slice with c
	oldCo := append([]int64(nil), c.CoUnitIDs...)
	mustApply(t, c, dispatcher, Command{Action: ActApproveReturn, Unit: &department, CoUnits: []org.Unit{orphan}}, now)
	if len(old.CoUnitIDs) != len(oldCo) || old.CoUnitIDs[0] != oldCo[0] {
		t.Errorf("old case's co-units changed to %v, want %v", old.CoUnitIDs, oldCo)
	}
	if len(c.CoUnitIDs) != 1 || c.CoUnitIDs[0] != orphan.ID {
		t.Errorf("new co-units %v, want [%d]", c.CoUnitIDs, orphan.ID)
	}
}

// TestExtensionWithinCap: an extension up to 90 days after the deadline,
// and a contact by each allowed means (or none), are accepted.
func TestExtensionWithinCap(t *testing.T) {
	mon := at(2026, 11, 23, 10, 0)
	for _, by := range []time.Time{wantReplyBy.Add(time.Minute), wantReplyBy.AddDate(0, 0, MaxExtensionDays)} {
		c, _ := caseIn(t, Contacted)
		if _, err := Apply(c, Command{Action: ActRequestExtension, Reason: "需协调", ReplyBy: by}, handler, testEnv(mon)); err != nil {
			t.Errorf("extension to %v: %v", by, err)
		}
	}
	for _, m := range append([]string{""}, ContactMeans...) {
		c, last := caseIn(t, Signed)
		if _, err := Apply(c, Command{Action: ActContact, Means: m}, handler, testEnv(last.Add(time.Minute))); err != nil {
			t.Errorf("contact by %q: %v", m, err)
		}
	}
}

func TestTrim(t *testing.T) {
	for in, want := range map[string]string{
		"":                               "",
		" \t\n":                          "",
		"\u200b\u200c\u200d\u2060\ufeff": "",
		"\u00a0\u3000\u200e\u202e":       "",
		"\ufeff 路灯不亮\u200b ":             "路灯不亮",
		"路\u200b灯":                       "路\u200b灯",
	} {
		if got := Trim(in); got != want {
			t.Errorf("Trim(%q) = %q, want %q", in, got, want)
		}
		if Blank(in) != (want == "") {
			t.Errorf("Blank(%q) = %v", in, Blank(in))
		}
	}
}
