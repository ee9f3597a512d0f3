package lifecycle

import (
	"testing"
	"time"

	"whistle/internal/org"
)

// scenario is one successful action with every change it must make.
type scenario struct {
	name    string
	state   State  // fixture state, built by caseIn
	urgency string // "" = general
	prep    func(c *Case)
	actor   org.Actor
	cmd     Command
	now     time.Time
	to      State
	want    func(c *Case) // the changes, besides Version, EventSeq and UpdatedAt
	data    map[string]any
}

func runScenarios(t *testing.T, scs []scenario) {
	t.Helper()
	for _, sc := range scs {
		t.Run(sc.name, func(t *testing.T) {
			u := sc.urgency
			if u == "" {
				u = "general"
			}
			c, _ := caseInUrgency(t, sc.state, u)
			if sc.prep != nil {
				sc.prep(c)
			}
			before := deepCopy(c)
			ev := mustApply(t, c, sc.actor, sc.cmd, sc.now)
			assertCase(t, *c, expect(before, sc.now, sc.want))
			assertEvent(t, ev, sc.cmd.Action, before.State, sc.to, sc.actor, sc.actor.User.Roles[0], before.EventSeq+1, sc.now, sc.data)
			if ev.Note != sc.cmd.Note {
				t.Errorf("event note %q, want %q", ev.Note, sc.cmd.Note)
			}
		})
	}
}

func TestAcceptAndAnswer(t *testing.T) {
	tAccept := at(2026, 11, 20, 16, 0)
	runScenarios(t, []scenario{
		{
			name: "accept web submission", state: Submitted, actor: agent, now: tAccept,
			cmd: Command{Action: ActAccept}, to: Received,
			want: func(c *Case) {
				c.State = Received
				c.ReceivedAt = tAccept
				c.DispatchBy = at(2026, 11, 21, 16, 0)
				c.PolicyRule = "general"
			},
		},
		{
			name: "accept emergency submission", state: Submitted, urgency: "emergency", actor: dispatcher, now: tAccept,
			cmd: Command{Action: ActAccept}, to: Received,
			want: func(c *Case) {
				c.State = Received
				c.ReceivedAt = tAccept
				c.DispatchBy = at(2026, 11, 20, 17, 0)
				c.PolicyRule = "emergency"
			},
		},
		{
			name: "answer directly from received", state: Received, actor: agent, now: at(2026, 11, 20, 15, 5),
			cmd: Command{Action: ActAnswer, Note: "办理居住证需携带身份证", Article: "KB-42"}, to: Closed,
			want: func(c *Case) {
				c.State = Closed
				c.CloseReason = CloseAnswered
				c.Result = ResultExplained
				c.ReplyText = "办理居住证需携带身份证"
				c.Article = "KB-42"
				c.ClosedAt = at(2026, 11, 20, 15, 5)
			},
			data: map[string]any{"article": "KB-42"},
		},
		{
			name: "answer directly from submitted sets received", state: Submitted, actor: agent, now: at(2026, 11, 20, 15, 30),
			cmd: Command{Action: ActAnswer, Note: "已答复"}, to: Closed,
			want: func(c *Case) {
				c.State = Closed
				c.CloseReason = CloseAnswered
				c.Result = ResultExplained
				c.ReplyText = "已答复"
				c.ReceivedAt = at(2026, 11, 20, 15, 30)
				c.ClosedAt = at(2026, 11, 20, 15, 30)
			},
		},
	})
}

func TestDispatch(t *testing.T) {
	dispatched := func(lead org.Unit, co []int64, signBy, replyBy, returnBy time.Time, rule string) func(*Case) {
		return func(c *Case) {
			c.State = Dispatched
			c.LeadUnitID = lead.ID
			c.CoUnitIDs = co
			c.SupervisingUnitID = lead.SupervisorID
			c.DispatchedAt = tDispatch
			c.SignBy, c.ReplyBy, c.ReturnBy = signBy, replyBy, returnBy
			c.PolicyRule = rule
		}
	}
	runScenarios(t, []scenario{
		{
			// Friday 16:00: sign by 18:00 the same day; reply in 7 working
			// days = Tuesday 2026-12-01 16:00.
			name: "general on friday", state: Received, actor: agent, now: tDispatch,
			cmd: Command{Action: ActDispatch, Unit: &street, CoUnits: []org.Unit{enterprise, street, enterprise, department}}, to: Dispatched,
			want: dispatched(street, []int64{30, 20}, wantSignBy, wantReplyBy, wantReturnBy, "general"),
			data: map[string]any{"unit_id": int64(10), "co_unit_ids": []int64{30, 20}, "copied_unit_id": int64(2),
				"sign_by": wantSignBy, "reply_by": wantReplyBy},
		},
		{
			// Emergency: sign in 30 minutes, reply in 2 hours; the return
			// window is capped at the reply deadline.
			name: "emergency", state: Received, urgency: "emergency", actor: dispatcher, now: tDispatch,
			cmd: Command{Action: ActDispatch, Unit: &department}, to: Dispatched,
			want: dispatched(department, nil, at(2026, 11, 20, 16, 30), at(2026, 11, 20, 18, 0), at(2026, 11, 20, 18, 0), "emergency"),
			data: map[string]any{"unit_id": int64(20), "copied_unit_id": int64(1),
				"sign_by": at(2026, 11, 20, 16, 30), "reply_by": at(2026, 11, 20, 18, 0)},
		},
		{
			name: "utilities", state: Received, urgency: "utilities", actor: agent, now: tDispatch,
			cmd: Command{Action: ActDispatch, Unit: &enterprise}, to: Dispatched,
			want: dispatched(enterprise, nil, at(2026, 11, 20, 18, 0), at(2026, 11, 21, 16, 0), at(2026, 11, 21, 16, 0), "utilities"),
			data: map[string]any{"unit_id": int64(30), "copied_unit_id": int64(1),
				"sign_by": at(2026, 11, 20, 18, 0), "reply_by": at(2026, 11, 21, 16, 0)},
		},
		{
			name: "complex: 15 working days", state: Received, urgency: "complex", actor: agent, now: tDispatch,
			cmd: Command{Action: ActDispatch, Unit: &street}, to: Dispatched,
			want: dispatched(street, nil, wantSignBy, at(2026, 12, 11, 16, 0), wantReturnBy, "complex"),
			data: map[string]any{"unit_id": int64(10), "copied_unit_id": int64(2),
				"sign_by": wantSignBy, "reply_by": at(2026, 12, 11, 16, 0)},
		},
		{
			name: "fallback to the district centre, no supervisor copied", state: Received, actor: agent, now: tDispatch,
			cmd: Command{Action: ActDispatch, Unit: &orphan}, to: Dispatched,
			want: dispatched(orphan, nil, wantSignBy, wantReplyBy, wantReturnBy, "general"),
			data: map[string]any{"unit_id": int64(40), "sign_by": wantSignBy, "reply_by": wantReplyBy},
		},
		{
			name: "district centre (兜底)", state: Received, actor: agent, now: tDispatch,
			cmd: Command{Action: ActDispatch, Unit: &districtCentre, CoUnits: []org.Unit{street}}, to: Dispatched,
			want: dispatched(districtCentre, []int64{10}, wantSignBy, wantReplyBy, wantReturnBy, "general"),
			data: map[string]any{"unit_id": int64(2), "co_unit_ids": []int64{10}, "copied_unit_id": int64(1),
				"sign_by": wantSignBy, "reply_by": wantReplyBy},
		},
	})
}

// The National Day holiday and the make-up Saturday 2026-10-10 count.
func TestDispatchAcrossNationalDay(t *testing.T) {
	c := newCase("phone", "general")
	Created(c, agent, testEnv(at(2026, 9, 30, 9, 0)))
	now := at(2026, 9, 30, 10, 0)
	mustApply(t, c, agent, Command{Action: ActDispatch, Unit: &street}, now)
	// Oct 1–7 off; 8, 9, 10 (make-up Saturday), 12, 13, 14, 15.
	if want := at(2026, 10, 15, 10, 0); !c.ReplyBy.Equal(want) {
		t.Errorf("ReplyBy %s, want %s", show(c.ReplyBy), show(want))
	}
	if want := at(2026, 9, 30, 12, 0); !c.SignBy.Equal(want) {
		t.Errorf("SignBy %s, want %s", show(c.SignBy), show(want))
	}
	// Dispatched on a holiday: the working days count from the next working day's start.
	c = newCase("phone", "general")
	Created(c, agent, testEnv(at(2026, 10, 3, 9, 0)))
	mustApply(t, c, agent, Command{Action: ActDispatch, Unit: &street}, at(2026, 10, 3, 10, 0))
	if want := at(2026, 10, 16, 0, 0); !c.ReplyBy.Equal(want) {
		t.Errorf("holiday dispatch ReplyBy %s, want %s", show(c.ReplyBy), show(want))
	}
}

func TestSignContactProgressAssist(t *testing.T) {
	late := at(2026, 11, 20, 18, 30)
	runScenarios(t, []scenario{
		{
			name: "sign in time", state: Dispatched, actor: handler, now: tSign,
			cmd: Command{Action: ActSign}, to: Signed,
			want: func(c *Case) { c.State = Signed; c.SignedAt = tSign },
		},
		{
			name: "sign exactly at SignBy is in time", state: Dispatched, actor: leader, now: wantSignBy,
			cmd: Command{Action: ActSign}, to: Signed,
			want: func(c *Case) { c.State = Signed; c.SignedAt = wantSignBy },
		},
		{
			name: "sign late", state: Dispatched, actor: handler, now: late,
			cmd: Command{Action: ActSign}, to: Signed,
			want: func(c *Case) { c.State = Signed; c.SignedAt = late; c.SignedLate = true },
			data: map[string]any{"late": true},
		},
		{
			name: "first contact", state: Signed, actor: handler, now: tContact,
			cmd: Command{Action: ActContact, Means: "phone", Note: "已电话联系"}, to: Contacted,
			want: func(c *Case) { c.State = Contacted; c.ContactedAt = tContact },
			data: map[string]any{"means": "phone"},
		},
		{
			name: "second contact keeps the first time", state: Contacted, actor: handler, now: tProgress,
			cmd: Command{Action: ActContact, Means: "visit"}, to: Contacted,
			data: map[string]any{"means": "visit"},
		},
		{
			name: "contact while handling keeps the state", state: Handling, actor: handler, now: at(2026, 11, 21, 9, 0),
			prep: func(c *Case) { c.ContactedAt = time.Time{} },
			cmd:  Command{Action: ActContact}, to: Handling,
			want: func(c *Case) { c.ContactedAt = at(2026, 11, 21, 9, 0) },
		},
		{
			name: "progress", state: Contacted, actor: handler, now: tProgress,
			cmd: Command{Action: ActProgress, Note: "已到现场", Attachments: []int64{5, 6}}, to: Handling,
			want: func(c *Case) { c.State = Handling },
		},
		{
			name: "progress straight from signed", state: Signed, actor: leader, now: tProgress,
			cmd: Command{Action: ActProgress, Note: "已到现场"}, to: Handling,
			want: func(c *Case) { c.State = Handling },
		},
		{
			name: "co-unit assists before signing", state: Dispatched, actor: coUser, now: tSign,
			cmd: Command{Action: ActAssist, Note: "已排查管线"}, to: Dispatched,
		},
		{
			name: "co-unit assists while handling", state: Handling, actor: coUser, now: at(2026, 11, 23, 9, 0),
			cmd: Command{Action: ActAssist, Note: "已排查管线"}, to: Handling,
		},
	})
	// Attachments reach the event.
	c, _ := caseIn(t, Contacted)
	ev := mustApply(t, c, handler, Command{Action: ActProgress, Note: "照片", Attachments: []int64{5, 6}}, tProgress)
	if len(ev.Attachments) != 2 || ev.Attachments[0] != 5 || ev.Attachments[1] != 6 {
		t.Errorf("attachments %v", ev.Attachments)
	}
}

func TestReturns(t *testing.T) {
	pending := func(c *Case) { c.ReturnPending, c.ReturnReason = true, "属市水务局职责" }
	sat := at(2026, 11, 21, 10, 0) // Saturday
	runScenarios(t, []scenario{
		{
			name: "request return while dispatched", state: Dispatched, actor: handler, now: tSign,
			cmd: Command{Action: ActRequestReturn, Reason: "属市水务局职责"}, to: Dispatched,
			want: pending,
			data: map[string]any{"reason": "属市水务局职责"},
		},
		{
			name: "request return at the very end of the window", state: Signed, actor: leader, now: wantReturnBy,
			cmd: Command{Action: ActRequestReturn, Reason: "属市水务局职责"}, to: Signed,
			want: pending,
			data: map[string]any{"reason": "属市水务局职责"},
		},
		{
			// Re-dispatch on Saturday: the new unit's deadlines start
			// afresh; 7 working days from a Saturday end at 00:00 of the
			// 7th working day after Monday: Wednesday 2026-12-02.
			name: "approve return and re-dispatch", state: Signed, actor: dispatcher, now: sat,
			prep: pending,
			cmd:  Command{Action: ActApproveReturn, Unit: &department, CoUnits: []org.Unit{enterprise}}, to: Dispatched,
			want: func(c *Case) {
				c.State = Dispatched
				c.ReturnPending = false
				c.Returns = 1
				c.LeadUnitID, c.CoUnitIDs, c.SupervisingUnitID = 20, []int64{30}, 1
				c.SignedAt = time.Time{}
				c.DispatchedAt = sat
				c.SignBy = at(2026, 11, 21, 12, 0)
				c.ReplyBy = at(2026, 12, 2, 0, 0)
				c.ReturnBy = at(2026, 11, 22, 10, 0)
			},
			data: map[string]any{"from_unit_id": int64(10), "reason": "属市水务局职责", "unit_id": int64(20),
				"co_unit_ids": []int64{30}, "copied_unit_id": int64(1),
				"sign_by": at(2026, 11, 21, 12, 0), "reply_by": at(2026, 12, 2, 0, 0)},
		},
		{
			name: "approve return of a late, overdue, contacted case", state: Contacted, actor: dispatcher, now: tProgress,
			prep: func(c *Case) { pending(c); c.SignedLate, c.Overdue, c.DueSoon = true, true, true },
			cmd:  Command{Action: ActApproveReturn, Unit: &department}, to: Dispatched,
			want: func(c *Case) {
				c.State = Dispatched
				c.ReturnPending = false
				c.Returns = 1
				c.LeadUnitID, c.CoUnitIDs, c.SupervisingUnitID = 20, nil, 1
				c.SignedAt, c.ContactedAt = time.Time{}, time.Time{}
				c.SignedLate, c.Overdue, c.DueSoon = false, false, false
				c.DispatchedAt = tProgress
				c.SignBy = at(2026, 11, 20, 19, 30)
				c.ReplyBy = at(2026, 12, 1, 17, 30)
				c.ReturnBy = at(2026, 11, 21, 17, 30)
			},
			data: map[string]any{"from_unit_id": int64(10), "reason": "属市水务局职责", "unit_id": int64(20),
				"copied_unit_id": int64(1), "sign_by": at(2026, 11, 20, 19, 30), "reply_by": at(2026, 12, 1, 17, 30)},
		},
		{
			name: "approve return back to received gives the centre a fresh dispatch window", state: Signed, actor: dispatcher, now: tContact,
			prep: pending,
			cmd:  Command{Action: ActApproveReturn}, to: Received,
			want: func(c *Case) {
				c.State = Received
				c.ReturnPending = false
				c.Returns = 1
				c.LeadUnitID, c.CoUnitIDs, c.SupervisingUnitID = 0, nil, 0
				c.SignBy, c.ReplyBy, c.ReturnBy, c.SignedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
				c.DispatchBy = at(2026, 11, 21, 17, 0) // now + 24 h
			},
			data: map[string]any{"from_unit_id": int64(10), "reason": "属市水务局职责", "to": "received"},
		},
		{
			name: "approve return back to received after the dispatch deadline", state: Dispatched, actor: dispatcher,
			now:  at(2026, 11, 21, 17, 0),
			prep: func(c *Case) { pending(c); c.Overdue, c.DueSoon = true, true },
			cmd:  Command{Action: ActApproveReturn}, to: Received,
			want: func(c *Case) {
				c.State = Received
				c.ReturnPending = false
				c.Returns = 1
				c.LeadUnitID, c.CoUnitIDs, c.SupervisingUnitID = 0, nil, 0
				c.SignBy, c.ReplyBy, c.ReturnBy = time.Time{}, time.Time{}, time.Time{}
				c.Overdue, c.DueSoon = false, false
				c.DispatchBy = at(2026, 11, 22, 17, 0) // now + 24 h: not overdue at once
			},
			data: map[string]any{"from_unit_id": int64(10), "reason": "属市水务局职责", "to": "received"},
		},
		{
			name: "reject return: 首接负责", state: Signed, actor: dispatcher, now: tContact,
			prep: pending,
			cmd:  Command{Action: ActRejectReturn, Note: "属地管理，请街道办理"}, to: Signed,
			want: func(c *Case) { c.ReturnPending = false },
			data: map[string]any{"reason": "属市水务局职责"},
		},
	})
}

func TestExtensions(t *testing.T) {
	newBy := at(2026, 12, 4, 16, 0)
	mon := at(2026, 11, 23, 10, 0)
	pending := func(c *Case) {
		c.ExtensionPending, c.ExtensionTo, c.ExtensionReason = true, newBy, "需协调多部门"
	}
	runScenarios(t, []scenario{
		{
			name: "request", state: Contacted, actor: handler, now: mon,
			cmd: Command{Action: ActRequestExtension, Reason: "需协调多部门", ReplyBy: newBy}, to: Contacted,
			want: pending,
			data: map[string]any{"reply_by": newBy, "reason": "需协调多部门"},
		},
		{
			name: "request one minute later than the deadline", state: Signed, actor: leader, now: mon,
			cmd: Command{Action: ActRequestExtension, Reason: "r", ReplyBy: wantReplyBy.Add(time.Minute)}, to: Signed,
			want: func(c *Case) {
				c.ExtensionPending, c.ExtensionTo, c.ExtensionReason = true, wantReplyBy.Add(time.Minute), "r"
			},
			data: map[string]any{"reply_by": wantReplyBy.Add(time.Minute), "reason": "r"},
		},
		{
			name: "approve moves ReplyBy", state: Handling, actor: dispatcher, now: mon,
			prep: func(c *Case) { pending(c); c.DueSoon = true },
			cmd:  Command{Action: ActApproveExtension}, to: Handling,
			want: func(c *Case) {
				clearExt(c)
				c.ReplyBy = newBy
				c.Extensions = 1
				c.DueSoon = false
			},
			data: map[string]any{"old_reply_by": wantReplyBy, "reply_by": newBy},
		},
		{
			name: "approve after the old deadline clears overdue", state: Contacted, actor: dispatcher, now: at(2026, 12, 2, 9, 0),
			prep: func(c *Case) { pending(c); c.Overdue = true },
			cmd:  Command{Action: ActApproveExtension}, to: Contacted,
			want: func(c *Case) { clearExt(c); c.ReplyBy, c.Extensions, c.Overdue = newBy, 1, false },
			data: map[string]any{"old_reply_by": wantReplyBy, "reply_by": newBy},
		},
		{
			name: "approve too late stays overdue", state: Contacted, actor: dispatcher, now: at(2026, 12, 5, 9, 0),
			prep: pending,
			cmd:  Command{Action: ActApproveExtension}, to: Contacted,
			want: func(c *Case) { clearExt(c); c.ReplyBy, c.Extensions, c.Overdue = newBy, 1, true },
			data: map[string]any{"old_reply_by": wantReplyBy, "reply_by": newBy},
		},
		{
			name: "reject keeps ReplyBy", state: Signed, actor: dispatcher, now: mon,
			prep: func(c *Case) { pending(c); c.DueSoon = true },
			cmd:  Command{Action: ActRejectExtension, Note: "理由不充分"}, to: Signed,
			want: clearExt, // DueSoon stays: the deadline has not moved
			data: map[string]any{"reply_by": newBy},
		},
	})
}

func TestReply(t *testing.T) {
	late := at(2026, 12, 1, 16, 1)
	replied := func(result, text string, now time.Time) func(*Case) {
		return func(c *Case) {
			c.State = Replied
			c.Result, c.ReplyText, c.RepliedAt = result, text, now
		}
	}
	runScenarios(t, []scenario{
		{
			name: "resolved in time", state: Contacted, actor: handler, now: tReply,
			cmd: Command{Action: ActReply, Result: ResultResolved, Note: "已协调停工", Attachments: []int64{9}}, to: Replied,
			want: replied(ResultResolved, "已协调停工", tReply),
			data: map[string]any{"result": "resolved", "on_time": true},
		},
		{
			name: "exactly at ReplyBy is on time", state: Handling, actor: leader, now: wantReplyBy,
			cmd: Command{Action: ActReply, Result: ResultExplained, Note: "已解释"}, to: Replied,
			want: replied(ResultExplained, "已解释", wantReplyBy),
			data: map[string]any{"result": "explained", "on_time": true},
		},
		{
			name: "unresolvable, late", state: Handling, actor: handler, now: late,
			prep: func(c *Case) { c.DueSoon = true; c.Overdue = true },
			cmd:  Command{Action: ActReply, Result: ResultUnresolvable, Note: "无法解决", Reason: "涉及历史遗留问题"}, to: Replied,
			want: func(c *Case) { replied(ResultUnresolvable, "无法解决", late)(c); c.DueSoon = false },
			data: map[string]any{"result": "unresolvable", "reason": "涉及历史遗留问题", "on_time": false},
		},
		{
			name: "reply drops a pending extension", state: Contacted, actor: handler, now: tReply,
			prep: func(c *Case) {
				c.ExtensionPending, c.ExtensionTo, c.ExtensionReason = true, at(2026, 12, 4, 16, 0), "x"
			},
			cmd: Command{Action: ActReply, Result: ResultResolved, Note: "ok"}, to: Replied,
			want: func(c *Case) { replied(ResultResolved, "ok", tReply)(c); clearExt(c) },
			data: map[string]any{"result": "resolved", "on_time": true},
		},
		{
			name: "anonymous citizen need not be contacted", state: Signed, actor: handler, now: tReply,
			prep: func(c *Case) { c.Citizen.Anonymous = true },
			cmd:  Command{Action: ActReply, Result: ResultResolved, Note: "ok"}, to: Replied,
			want: replied(ResultResolved, "ok", tReply),
			data: map[string]any{"result": "resolved", "on_time": true},
		},
		{
			name: "citizen without phone need not be contacted", state: Signed, actor: handler, now: tReply,
			prep: func(c *Case) { c.Citizen.Phone = "" },
			cmd:  Command{Action: ActReply, Result: ResultResolved, Note: "ok"}, to: Replied,
			want: replied(ResultResolved, "ok", tReply),
			data: map[string]any{"result": "resolved", "on_time": true},
		},
	})
}

func TestCallbackCloseSuperviseMergeNote(t *testing.T) {
	runScenarios(t, []scenario{
		{
			name: "callback satisfied closes", state: Replied, actor: agent, now: tCallback,
			cmd: Command{Action: ActCallback, Resolved: ptr(true), Satisfaction: Satisfied}, to: Closed,
			want: func(c *Case) {
				c.State = Closed
				c.Resolved, c.Satisfaction, c.CloseReason = ptr(true), Satisfied, CloseCallback
				c.ClosedAt = tCallback
			},
			data: map[string]any{"resolved": true, "satisfaction": "satisfied"},
		},
		{
			name: "callback unsatisfied without reopen closes", state: Replied, actor: dispatcher, now: tCallback,
			prep: func(c *Case) { c.DueSoon = true },
			cmd:  Command{Action: ActCallback, Resolved: ptr(false), Satisfaction: Unsatisfied}, to: Closed,
			want: func(c *Case) {
				c.State = Closed
				c.Resolved, c.Satisfaction, c.CloseReason = ptr(false), Unsatisfied, CloseCallback
				c.ClosedAt = tCallback
				c.DueSoon = false
			},
			data: map[string]any{"resolved": false, "satisfaction": "unsatisfied"},
		},
		{
			// 重办: back to the same lead unit with fresh deadlines from
			// Wednesday 10:00: sign by 12:00, reply by Friday 2026-12-04 10:00.
			name: "callback unsatisfied reopens", state: Replied, actor: agent, now: tCallback,
			prep: func(c *Case) { c.Overdue, c.SignedLate = true, true },
			cmd:  Command{Action: ActCallback, Resolved: ptr(false), Satisfaction: Unsatisfied, Reopen: true}, to: Dispatched,
			want: func(c *Case) {
				c.State = Dispatched
				c.ReopenCount = 1
				c.Result, c.ReplyText, c.RepliedAt, c.SignedAt, c.ContactedAt = "", "", time.Time{}, time.Time{}, time.Time{}
				c.Overdue, c.SignedLate = false, false
				c.DispatchedAt = tCallback
				c.SignBy = at(2026, 11, 25, 12, 0)
				c.ReplyBy = at(2026, 12, 4, 10, 0)
				c.ReturnBy = at(2026, 11, 26, 10, 0)
			},
			data: map[string]any{"resolved": false, "satisfaction": "unsatisfied", "reopen": true, "reply_by": at(2026, 12, 4, 10, 0)},
		},
		{
			name: "resolved but unsatisfied may reopen", state: Replied, actor: agent, now: tCallback,
			prep: func(c *Case) { c.ReopenCount = reopenMax - 1 },
			cmd:  Command{Action: ActCallback, Resolved: ptr(true), Satisfaction: Unsatisfied, Reopen: true}, to: Dispatched,
			want: func(c *Case) {
				c.State = Dispatched
				c.ReopenCount = reopenMax
				c.Result, c.ReplyText, c.RepliedAt, c.SignedAt, c.ContactedAt = "", "", time.Time{}, time.Time{}, time.Time{}
				c.DispatchedAt = tCallback
				c.SignBy = at(2026, 11, 25, 12, 0)
				c.ReplyBy = at(2026, 12, 4, 10, 0)
				c.ReturnBy = at(2026, 11, 26, 10, 0)
			},
			data: map[string]any{"resolved": true, "satisfaction": "unsatisfied", "reopen": true, "reply_by": at(2026, 12, 4, 10, 0)},
		},
		{
			name: "close without callback", state: Replied, actor: dispatcher, now: tCallback,
			cmd: Command{Action: ActClose, Reason: "市民电话无法接通"}, to: Closed,
			want: func(c *Case) { c.State, c.CloseReason, c.ClosedAt = Closed, CloseNoCallback, tCallback },
			data: map[string]any{"reason": "市民电话无法接通"},
		},
		{
			name: "supervise by the district", state: Handling, actor: supervisor, now: tReply,
			cmd: Command{Action: ActSupervise, Note: "请尽快办理"}, to: Handling,
			want: func(c *Case) { c.Supervised = true },
		},
		{
			name: "supervise a replied case", state: Replied, actor: dispatcher, now: tCallback,
			cmd: Command{Action: ActSupervise, Note: "关注"}, to: Replied,
			want: func(c *Case) { c.Supervised = true },
		},
		{
			name: "merge clears pending requests", state: Signed, actor: agent, now: tContact,
			prep: func(c *Case) {
				c.ReturnPending, c.ReturnReason = true, "r"
				c.ExtensionPending, c.ExtensionTo = true, at(2026, 12, 4, 16, 0)
				c.DueSoon = true
			},
			cmd: Command{Action: ActMerge, ParentID: parentID}, to: Closed,
			want: func(c *Case) {
				c.State, c.MergedInto, c.CloseReason, c.ClosedAt = Closed, parentID, CloseMerged, tContact
				c.ReturnPending, c.ExtensionPending, c.DueSoon = false, false, false
			},
			data: map[string]any{"parent_id": parentID},
		},
		{
			name: "merge a submission", state: Submitted, actor: dispatcher, now: tDispatch,
			cmd: Command{Action: ActMerge, ParentID: parentID}, to: Closed,
			want: func(c *Case) {
				c.State, c.MergedInto, c.CloseReason, c.ClosedAt = Closed, parentID, CloseMerged, tDispatch
			},
			data: map[string]any{"parent_id": parentID},
		},
		{
			name: "note changes nothing but the version", state: Dispatched, actor: gridWorker, now: tSign,
			cmd: Command{Action: ActNote, Note: "现场已拍照"}, to: Dispatched,
		},
	})
}

func TestSystemTimerActions(t *testing.T) {
	runScenarios(t, []scenario{
		{
			name: "due soon", state: Contacted, actor: system, now: at(2026, 11, 30, 16, 0),
			cmd: Command{Action: ActDueSoon, TimerKind: TimerReplySoon}, to: Contacted,
			want: func(c *Case) { c.DueSoon = true },
			data: map[string]any{"timer": "reply_soon"},
		},
		{
			name: "reply overdue escalates to the supervising unit", state: Handling, actor: system, now: wantReplyBy,
			cmd: Command{Action: ActOverdue, TimerKind: TimerReply}, to: Handling,
			want: func(c *Case) { c.Overdue, c.Supervised, c.EscalationLevel = true, true, 1 },
			data: map[string]any{"timer": "reply", "escalated_to": int64(2)},
		},
		{
			name: "second escalation goes one level up", state: Handling, actor: system, now: wantReplyBy,
			prep: func(c *Case) { c.EscalationLevel = 1 },
			cmd:  Command{Action: ActOverdue, TimerKind: TimerReply}, to: Handling,
			want: func(c *Case) { c.Overdue, c.Supervised, c.EscalationLevel = true, true, 2 },
			data: map[string]any{"timer": "reply", "escalated_to": int64(2)},
		},
		{
			name: "sign overdue is recorded, not escalated", state: Dispatched, actor: system, now: wantSignBy,
			cmd: Command{Action: ActOverdue, TimerKind: TimerSign}, to: Dispatched,
			data: map[string]any{"timer": "sign"},
		},
		{
			name: "dispatch overdue", state: Received, actor: system, now: wantDispatchBy,
			cmd: Command{Action: ActOverdue, TimerKind: TimerDispatch}, to: Received,
			want: func(c *Case) { c.Overdue, c.Supervised, c.EscalationLevel = true, true, 1 },
			data: map[string]any{"timer": "dispatch", "escalated_to": int64(0)},
		},
		{
			name: "accept overdue", state: Submitted, actor: system, now: at(2026, 11, 20, 17, 0),
			cmd: Command{Action: ActOverdue, TimerKind: TimerAccept}, to: Submitted,
			want: func(c *Case) { c.Overdue, c.Supervised, c.EscalationLevel = true, true, 1 },
			data: map[string]any{"timer": "accept", "escalated_to": int64(0)},
		},
	})
}

func clearExt(c *Case) {
	c.ExtensionPending, c.ExtensionTo, c.ExtensionReason = false, time.Time{}, ""
}
