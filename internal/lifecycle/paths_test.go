package lifecycle

import (
	"testing"
	"time"

	"whistle/internal/errs"
	"whistle/internal/org"
)

// step is one action of a path with the state it must lead to.
type step struct {
	a   org.Actor
	cmd Command
	at  time.Time
	to  State
}

// run applies the steps in order, checking the state, the event sequence
// and the event's from/to after each; it returns the events.
func run(t *testing.T, c *Case, steps []step) []Event {
	t.Helper()
	var evs []Event
	for i, s := range steps {
		from, seq := c.State, c.EventSeq
		ev := mustApply(t, c, s.a, s.cmd, s.at)
		if c.State != s.to || ev.FromState != from || ev.ToState != s.to {
			t.Fatalf("step %d %s: state %s (event %s→%s), want %s→%s", i, s.cmd.Action, c.State, ev.FromState, ev.ToState, from, s.to)
		}
		if ev.Seq != seq+1 || c.EventSeq != seq+1 || int64(c.EventSeq) != c.Version {
			t.Fatalf("step %d %s: seq %d/%d version %d, want %d", i, s.cmd.Action, ev.Seq, c.EventSeq, c.Version, seq+1)
		}
		evs = append(evs, ev)
	}
	return evs
}

func checkTimes(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %s, want %s", what, show(got), show(want))
	}
}

func TestPathPhoneConsultationAnswered(t *testing.T) {
	c := newCase("phone", "general")
	c.Type = "consultation"
	ev := Created(c, agent, testEnv(tCreate))
	if ev.Seq != 1 || c.State != Received {
		t.Fatalf("created %+v in %s", ev, c.State)
	}
	run(t, c, []step{{agent, Command{Action: ActAnswer, Note: "可在政务服务网办理", Article: "KB-1"}, tCreate.Add(3 * time.Minute), Closed}})
	if c.CloseReason != CloseAnswered || c.Result != ResultExplained || c.Article != "KB-1" || c.LeadUnitID != 0 {
		t.Errorf("answered case %+v", c)
	}
	checkTimes(t, "ClosedAt", c.ClosedAt, tCreate.Add(3*time.Minute))
	if c.Version != 2 || Timers(c) != nil {
		t.Errorf("version %d timers %v", c.Version, Timers(c))
	}
}

func TestPathOnlineSubmissionToClose(t *testing.T) {
	c := newCase("app", "general")
	Created(c, system, testEnv(tCreate))
	checkTimes(t, "AcceptBy", c.AcceptBy, at(2026, 11, 20, 17, 0))
	tAccept := at(2026, 11, 20, 15, 30)
	evs := run(t, c, []step{
		{agent, Command{Action: ActAccept}, tAccept, Received},
		{dispatcher, Command{Action: ActDispatch, Unit: &street, CoUnits: []org.Unit{enterprise}}, tDispatch, Dispatched},
		{handler, Command{Action: ActSign}, tSign, Signed},
		{coUser, Command{Action: ActAssist, Note: "已检修"}, tSign.Add(5 * time.Minute), Signed},
		{handler, Command{Action: ActContact, Means: "phone"}, tContact, Contacted},
		{handler, Command{Action: ActProgress, Note: "现场处理"}, tProgress, Handling},
		{supervisor, Command{Action: ActSupervise, Note: "关注"}, at(2026, 11, 23, 9, 0), Handling},
		{leader, Command{Action: ActReply, Result: ResultResolved, Note: "已解决"}, tReply, Replied},
		{agent, Command{Action: ActCallback, Resolved: ptr(true), Satisfaction: FairlySatisfied}, tCallback, Closed},
	})
	checkTimes(t, "ReceivedAt", c.ReceivedAt, tAccept)
	checkTimes(t, "DispatchBy", c.DispatchBy, at(2026, 11, 21, 15, 30))
	checkTimes(t, "SignBy", c.SignBy, wantSignBy)
	checkTimes(t, "ReplyBy", c.ReplyBy, wantReplyBy)
	checkTimes(t, "ClosedAt", c.ClosedAt, tCallback)
	if c.Version != 10 || len(evs) != 9 || evs[8].Seq != 10 {
		t.Errorf("version %d events %d", c.Version, len(evs))
	}
	if !c.Supervised || c.SignedLate || c.Overdue || c.CloseReason != CloseCallback || *c.Resolved != true || c.Satisfaction != FairlySatisfied {
		t.Errorf("closed case %+v", c)
	}
	if ev := evs[7]; ev.ActorUnitID != street.ID || ev.ActorRole != org.RoleLeader || ev.Data["on_time"] != true {
		t.Errorf("reply event %+v", ev)
	}
}

func TestPathReturnApprovedRedispatch(t *testing.T) {
	c, _ := caseIn(t, Signed)
	sat := at(2026, 11, 21, 10, 0)
	run(t, c, []step{
		{handler, Command{Action: ActRequestReturn, Reason: "属水务局职责"}, tContact, Signed},
		{dispatcher, Command{Action: ActApproveReturn, Unit: &department}, sat, Dispatched},
	})
	if c.LeadUnitID != department.ID || c.SupervisingUnitID != 1 || c.CoUnitIDs != nil || c.Returns != 1 || c.ReturnPending {
		t.Fatalf("after re-dispatch %+v", c)
	}
	checkTimes(t, "DispatchedAt", c.DispatchedAt, sat)
	checkTimes(t, "SignBy", c.SignBy, at(2026, 11, 21, 12, 0))
	checkTimes(t, "ReplyBy", c.ReplyBy, at(2026, 12, 2, 0, 0))
	// The old unit has lost it; the new one works it.
	refuse(t, c, handler, Command{Action: ActSign}, sat.Add(time.Hour), errs.NotLeadUnit)
	run(t, c, []step{
		{deptUser, Command{Action: ActSign}, sat.Add(time.Hour), Signed},
		{deptUser, Command{Action: ActContact}, sat.Add(2 * time.Hour), Contacted},
		{deptUser, Command{Action: ActReply, Result: ResultResolved, Note: "ok"}, tReply, Replied},
	})
	if c.SignedLate {
		t.Error("the new unit signed in time")
	}
	// A second return by the new unit, once re-dispatched again.
	c2, _ := caseIn(t, Dispatched)
	run(t, c2, []step{
		{handler, Command{Action: ActRequestReturn, Reason: "r"}, tSign, Dispatched},
		{dispatcher, Command{Action: ActApproveReturn, Unit: &department}, tContact, Dispatched},
		{deptUser, Command{Action: ActRequestReturn, Reason: "r2"}, tProgress, Dispatched},
		{dispatcher, Command{Action: ActApproveReturn, Unit: &street}, at(2026, 11, 20, 18, 0), Dispatched},
	})
	if c2.Returns != 2 || c2.LeadUnitID != street.ID || c2.ReturnReason != "r2" {
		t.Errorf("twice returned: returns %d lead %d reason %q", c2.Returns, c2.LeadUnitID, c2.ReturnReason)
	}
}

func TestPathReturnApprovedBackToReceived(t *testing.T) {
	c, _ := caseIn(t, Dispatched)
	evs := run(t, c, []step{
		{leader, Command{Action: ActRequestReturn, Reason: "非本辖区"}, tSign, Dispatched},
		{dispatcher, Command{Action: ActApproveReturn}, tContact, Received},
	})
	if evs[1].Data["to"] != "received" || evs[1].Data["from_unit_id"] != int64(10) {
		t.Errorf("approve event data %v", evs[1].Data)
	}
	if c.LeadUnitID != 0 || c.SupervisingUnitID != 0 || c.CoUnitIDs != nil || c.Returns != 1 {
		t.Errorf("back in received %+v", c)
	}
	if ts := Timers(c); len(ts) != 1 || ts[0].Kind != TimerDispatch || !ts[0].DueAt.Equal(at(2026, 11, 21, 17, 0)) {
		t.Errorf("timers %v", ts)
	}
	run(t, c, []step{{dispatcher, Command{Action: ActDispatch, Unit: &department}, tProgress, Dispatched}})
	checkTimes(t, "ReplyBy", c.ReplyBy, at(2026, 12, 1, 17, 30))
	if c.Returns != 1 || c.LeadUnitID != department.ID {
		t.Errorf("re-dispatched %+v", c)
	}
}

func TestPathReturnRejected(t *testing.T) {
	c, _ := caseIn(t, Signed)
	run(t, c, []step{
		{handler, Command{Action: ActRequestReturn, Reason: "非本辖区"}, tContact, Signed},
		{dispatcher, Command{Action: ActRejectReturn, Note: "首接负责"}, tProgress, Signed},
	})
	if c.LeadUnitID != street.ID || c.Returns != 0 || c.ReturnPending {
		t.Fatalf("after rejection %+v", c)
	}
	checkTimes(t, "ReplyBy", c.ReplyBy, wantReplyBy)
	checkTimes(t, "SignedAt", c.SignedAt, tSign)
	run(t, c, []step{
		{handler, Command{Action: ActContact}, at(2026, 11, 20, 18, 0), Contacted},
		{handler, Command{Action: ActReply, Result: ResultExplained, Note: "已解释"}, tReply, Replied},
	})
}

// Regression: a unit that contacts the citizen or reports progress while
// its return request is pending used to strand the case: reply refused
// (return_pending) and the centre could neither approve nor reject
// (invalid_transition).
func TestPathReturnPendingWhileWorking(t *testing.T) {
	c, _ := caseIn(t, Signed)
	run(t, c, []step{
		{handler, Command{Action: ActRequestReturn, Reason: "r"}, tContact, Signed},
		{handler, Command{Action: ActContact}, tContact.Add(time.Minute), Contacted},
		{handler, Command{Action: ActProgress, Note: "先行处置"}, tProgress, Handling},
	})
	refuse(t, c, handler, Command{Action: ActReply, Result: ResultResolved, Note: "ok"}, tReply, errs.ReturnPending)
	run(t, c, []step{{dispatcher, Command{Action: ActRejectReturn}, tReply, Handling}})
	run(t, c, []step{{handler, Command{Action: ActReply, Result: ResultResolved, Note: "ok"}, tReply, Replied}})

	c, _ = caseIn(t, Signed)
	run(t, c, []step{
		{handler, Command{Action: ActRequestReturn, Reason: "r"}, tContact, Signed},
		{handler, Command{Action: ActContact}, tContact.Add(time.Minute), Contacted},
		{dispatcher, Command{Action: ActApproveReturn, Unit: &department}, tProgress, Dispatched},
	})
	if !c.ContactedAt.IsZero() || c.LeadUnitID != department.ID {
		t.Errorf("re-dispatched from contacted %+v", c)
	}
}

// Regression: an extension asked for by the unit that gave the case back
// must not follow the case to the next unit or back to the centre.
func TestPathReturnDropsPendingExtension(t *testing.T) {
	for _, unit := range []*org.Unit{&department, nil} {
		c, _ := caseIn(t, Signed)
		run(t, c, []step{
			{handler, Command{Action: ActRequestExtension, Reason: "多部门", ReplyBy: at(2026, 12, 9, 16, 0)}, tContact, Signed},
			{handler, Command{Action: ActRequestReturn, Reason: "非本辖区"}, tContact.Add(time.Minute), Signed},
		})
		want := Dispatched
		if unit == nil {
			want = Received
		}
		run(t, c, []step{{dispatcher, Command{Action: ActApproveReturn, Unit: unit}, tProgress, want}})
		if c.ExtensionPending || !c.ExtensionTo.IsZero() || c.ExtensionReason != "" || c.Extensions != 0 {
			t.Errorf("to %v: extension survived the return: %v %s %q", unit, c.ExtensionPending, show(c.ExtensionTo), c.ExtensionReason)
		}
		if unit != nil {
			run(t, c, []step{{deptUser, Command{Action: ActSign}, tProgress.Add(time.Minute), Signed}})
			refuse(t, c, dispatcher, Command{Action: ActApproveExtension}, tReply, errs.NoExtensionPending)
			run(t, c, []step{{deptUser, Command{Action: ActRequestExtension, Reason: "r", ReplyBy: at(2026, 12, 9, 16, 0)}, tReply, Signed}})
		}
	}
}

func TestPathExtensionApproved(t *testing.T) {
	c, _ := caseIn(t, Contacted)
	newBy := at(2026, 12, 8, 16, 0)
	old := Timers(c)
	evs := run(t, c, []step{
		{handler, Command{Action: ActRequestExtension, Reason: "需市级部门配合", ReplyBy: newBy}, at(2026, 11, 23, 9, 0), Contacted},
		{dispatcher, Command{Action: ActApproveExtension}, at(2026, 11, 23, 11, 0), Contacted},
	})
	checkTimes(t, "ReplyBy", c.ReplyBy, newBy)
	if c.Extensions != 1 || c.ExtensionPending {
		t.Errorf("extensions %d pending %v", c.Extensions, c.ExtensionPending)
	}
	assertData(t, evs[1].Data, map[string]any{"old_reply_by": wantReplyBy, "reply_by": newBy})
	// The old reply timer no longer fires; the new one does.
	for _, tm := range old {
		if _, ok := Fire(c, tm); ok {
			t.Errorf("old timer %s at %s still fires", tm.Kind, show(tm.DueAt))
		}
	}
	cmd, ok := Fire(c, Timer{CaseID: caseID, Kind: TimerReply, DueAt: newBy})
	if !ok || cmd.Action != ActOverdue || cmd.TimerKind != TimerReply {
		t.Errorf("new reply timer: %+v %v", cmd, ok)
	}
	// A second extension must go later still.
	refuse(t, c, handler, Command{Action: ActRequestExtension, Reason: "r", ReplyBy: newBy}, at(2026, 11, 24, 9, 0), errs.DeadlineNotLater)
	run(t, c, []step{{handler, Command{Action: ActRequestExtension, Reason: "r", ReplyBy: newBy.Add(24 * time.Hour)}, at(2026, 11, 24, 9, 0), Contacted}})
}

func TestPathExtensionRejected(t *testing.T) {
	c, _ := caseIn(t, Handling)
	evs := run(t, c, []step{
		{leader, Command{Action: ActRequestExtension, Reason: "r", ReplyBy: at(2026, 12, 8, 16, 0)}, at(2026, 11, 23, 9, 0), Handling},
		{dispatcher, Command{Action: ActRejectExtension}, at(2026, 11, 23, 11, 0), Handling},
	})
	checkTimes(t, "ReplyBy", c.ReplyBy, wantReplyBy)
	if c.Extensions != 0 || c.ExtensionPending || !c.ExtensionTo.IsZero() || c.ExtensionReason != "" {
		t.Errorf("after rejection %+v", c)
	}
	assertData(t, evs[1].Data, map[string]any{"reply_by": at(2026, 12, 8, 16, 0)})
	if _, ok := Fire(c, Timer{CaseID: caseID, Kind: TimerReply, DueAt: wantReplyBy}); !ok {
		t.Error("the reply timer must still fire after a rejected extension")
	}
}

func TestPathReopenThenClose(t *testing.T) {
	c, _ := caseIn(t, Replied)
	evs := run(t, c, []step{
		{agent, Command{Action: ActCallback, Resolved: ptr(false), Satisfaction: Unsatisfied, Reopen: true}, tCallback, Dispatched},
	})
	if c.LeadUnitID != street.ID || c.ReopenCount != 1 || c.Resolved != nil || c.Satisfaction != "" || c.Result != "" {
		t.Fatalf("reopened %+v", c)
	}
	if len(c.CoUnitIDs) != 1 || c.CoUnitIDs[0] != enterprise.ID || c.SupervisingUnitID != 2 {
		t.Errorf("reopened co-units %v supervising %d", c.CoUnitIDs, c.SupervisingUnitID)
	}
	if !c.ClosedAt.IsZero() || c.CloseReason != "" {
		t.Errorf("reopened case looks closed: %s %q", show(c.ClosedAt), c.CloseReason)
	}
	checkTimes(t, "DispatchedAt", c.DispatchedAt, tCallback)
	checkTimes(t, "SignBy", c.SignBy, at(2026, 11, 25, 12, 0))
	checkTimes(t, "ReplyBy", c.ReplyBy, at(2026, 12, 4, 10, 0))
	if evs[0].Data["reopen"] != true {
		t.Errorf("reopen event %v", evs[0].Data)
	}
	thu := at(2026, 11, 26, 9, 0)
	run(t, c, []step{
		{handler, Command{Action: ActSign}, at(2026, 11, 25, 11, 0), Signed},
		{handler, Command{Action: ActContact}, thu.Add(time.Hour), Contacted},
		{handler, Command{Action: ActReply, Result: ResultResolved, Note: "二次办理已解决"}, thu.Add(2 * time.Hour), Replied},
		{agent, Command{Action: ActCallback, Resolved: ptr(true), Satisfaction: Satisfied}, at(2026, 11, 27, 10, 0), Closed},
	})
	if c.SignedLate || c.ReopenCount != 1 || c.CloseReason != CloseCallback || c.Satisfaction != Satisfied || !*c.Resolved {
		t.Errorf("second round: late %v reopen %d reason %q satisfaction %q", c.SignedLate, c.ReopenCount, c.CloseReason, c.Satisfaction)
	}
	if c.Version != 11 {
		t.Errorf("version %d, want 11", c.Version)
	}
}

func TestPathReopenLimit(t *testing.T) {
	c, _ := caseIn(t, Replied)
	now := tCallback
	for i := 1; i <= reopenMax; i++ {
		run(t, c, []step{
			{agent, Command{Action: ActCallback, Resolved: ptr(false), Satisfaction: Unsatisfied, Reopen: true}, now, Dispatched},
			{handler, Command{Action: ActSign}, now.Add(time.Minute), Signed},
			{handler, Command{Action: ActContact}, now.Add(2 * time.Minute), Contacted},
			{handler, Command{Action: ActReply, Result: ResultExplained, Note: "x"}, now.Add(3 * time.Minute), Replied},
		})
		if c.ReopenCount != i {
			t.Fatalf("reopen count %d, want %d", c.ReopenCount, i)
		}
		now = now.Add(time.Hour)
	}
	refuse(t, c, agent, Command{Action: ActCallback, Resolved: ptr(false), Satisfaction: Unsatisfied, Reopen: true}, now, errs.ReopenLimit)
	run(t, c, []step{{agent, Command{Action: ActCallback, Resolved: ptr(false), Satisfaction: Unsatisfied}, now, Closed}})
}

func TestPathMerge(t *testing.T) {
	for _, s := range []State{Submitted, Received, Dispatched, Signed, Contacted, Handling} {
		c, last := caseIn(t, s)
		now := last.Add(time.Minute)
		evs := run(t, c, []step{{dispatcher, Command{Action: ActMerge, ParentID: parentID, Note: "重复来电"}, now, Closed}})
		if c.MergedInto != parentID || c.CloseReason != CloseMerged || !c.ClosedAt.Equal(now) || Timers(c) != nil {
			t.Errorf("merged from %s: %+v", s, c)
		}
		if evs[0].Data["parent_id"] != parentID || evs[0].Note != "重复来电" {
			t.Errorf("merge event %+v", evs[0])
		}
		refuse(t, c, handler, Command{Action: ActNote, Note: "x"}, now, errs.InvalidTransition)
	}
}

func TestPathCloseWithoutCallback(t *testing.T) {
	c, _ := caseIn(t, Replied)
	c.Citizen.Anonymous = true
	evs := run(t, c, []step{{dispatcher, Command{Action: ActClose, Reason: "匿名来电"}, tCallback, Closed}})
	if c.CloseReason != CloseNoCallback || c.Resolved != nil || c.Satisfaction != "" || c.Result != ResultResolved {
		t.Errorf("closed without callback %+v", c)
	}
	assertData(t, evs[0].Data, map[string]any{"reason": "匿名来电"})
	refuse(t, c, agent, Command{Action: ActCallback, Resolved: ptr(true), Satisfaction: Satisfied}, tCallback, errs.InvalidTransition)
}

// An emergency goes all the way in two hours.
func TestPathEmergency(t *testing.T) {
	c := newCase("phone", "emergency")
	Created(c, agent, testEnv(tCreate))
	checkTimes(t, "DispatchBy", c.DispatchBy, at(2026, 11, 20, 16, 0))
	run(t, c, []step{{dispatcher, Command{Action: ActDispatch, Unit: &enterprise}, at(2026, 11, 20, 15, 10), Dispatched}})
	checkTimes(t, "SignBy", c.SignBy, at(2026, 11, 20, 15, 40))
	checkTimes(t, "ReplyBy", c.ReplyBy, at(2026, 11, 20, 17, 10))
	checkTimes(t, "ReturnBy", c.ReturnBy, at(2026, 11, 20, 17, 10))
	evs := run(t, c, []step{
		{coUser, Command{Action: ActSign}, at(2026, 11, 20, 15, 45), Signed},
		{coUser, Command{Action: ActContact, Means: "visit"}, at(2026, 11, 20, 15, 50), Contacted},
		{coUser, Command{Action: ActReply, Result: ResultResolved, Note: "已抢修"}, at(2026, 11, 20, 17, 11), Replied},
	})
	if !c.SignedLate || evs[0].Data["late"] != true || evs[2].Data["on_time"] != false {
		t.Errorf("late sign %v / reply data %v", c.SignedLate, evs[2].Data)
	}
}
