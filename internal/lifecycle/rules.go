package lifecycle

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"whistle/internal/calendar"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/timelimit"
)

// Action is something done to a case.
type Action string

// Actions. Those marked system are taken only by the scheduler.
const (
	ActCreate           Action = "create"
	ActAccept           Action = "accept"
	ActAnswer           Action = "answer"
	ActDispatch         Action = "dispatch"
	ActSign             Action = "sign"
	ActContact          Action = "contact"
	ActProgress         Action = "progress"
	ActAssist           Action = "assist" // a co-handling unit reports its part
	ActRequestReturn    Action = "request_return"
	ActApproveReturn    Action = "approve_return"
	ActRejectReturn     Action = "reject_return"
	ActRequestExtension Action = "request_extension"
	ActApproveExtension Action = "approve_extension"
	ActRejectExtension  Action = "reject_extension"
	ActReply            Action = "reply"
	ActCallback         Action = "callback"
	ActClose            Action = "close"
	ActSupervise        Action = "supervise"
	ActMerge            Action = "merge"
	ActNote             Action = "note"
	ActDueSoon          Action = "due_soon" // system
	ActOverdue          Action = "overdue"  // system
)

// Transition is one row of the lifecycle table: from which states an action
// may be taken, who may take it, and where it leads ("" = state unchanged).
type Transition struct {
	Action Action
	From   []State
	Roles  []string
	To     State
	Doc    string
}

var withUnit = []State{Dispatched, Signed, Contacted, Handling}
var centre = []string{org.RoleAgent, org.RoleDispatcher}
var unitRoles = []string{org.RoleHandler, org.RoleLeader}

// Transitions is the lifecycle as a table; Apply enforces it.
var Transitions = []Transition{
	{ActAccept, []State{Submitted}, centre, Received, "受理 an online submission"},
	{ActAnswer, []State{Submitted, Received}, centre, Closed, "直接答复: the agent answers and closes"},
	{ActDispatch, []State{Received}, centre, Dispatched, "派单 to a lead unit with optional co-handlers"},
	{ActSign, []State{Dispatched}, unitRoles, Signed, "签收 by the lead unit"},
	{ActContact, []State{Signed, Contacted, Handling}, unitRoles, "", "联系 the citizen (first contact moves to contacted)"},
	{ActProgress, []State{Signed, Contacted, Handling}, unitRoles, Handling, "办理: progress report"},
	{ActAssist, withUnit, unitRoles, "", "协办: a co-handling unit reports its part"},
	{ActRequestReturn, []State{Dispatched, Signed}, unitRoles, "", "退单 request, within the return window"},
	// The centre decides in any state the unit may have moved on to while the
	// request was pending (contact and progress are not blocked by it).
	{ActApproveReturn, withUnit, []string{org.RoleDispatcher}, "", "centre approves: re-dispatch or back to received"},
	{ActRejectReturn, withUnit, []string{org.RoleDispatcher}, "", "centre rejects: 首接负责, the unit keeps it"},
	{ActRequestExtension, []State{Signed, Contacted, Handling}, unitRoles, "", "延期 request with a new reply deadline"},
	{ActApproveExtension, []State{Signed, Contacted, Handling}, []string{org.RoleDispatcher}, "", "centre approves: reply deadline moves"},
	{ActRejectExtension, []State{Signed, Contacted, Handling}, []string{org.RoleDispatcher}, "", "centre rejects: deadline stays"},
	{ActReply, []State{Signed, Contacted, Handling}, unitRoles, Replied, "答复 with a result"},
	{ActCallback, []State{Replied}, []string{org.RoleAgent, org.RoleDispatcher, org.RoleCitizen}, Closed, "回访: closes, or reopens (重办) when unsatisfied; the citizen may rate on the portal"},
	{ActClose, []State{Replied}, []string{org.RoleDispatcher}, Closed, "结案 without a callback (citizen unreachable or anonymous)"},
	{ActSupervise, OpenStates, []string{org.RoleSupervisor, org.RoleDispatcher}, "", "督办 mark"},
	{ActMerge, []State{Submitted, Received, Dispatched, Signed, Contacted, Handling}, centre, Closed, "merge a duplicate into its parent"},
	{ActNote, OpenStates, []string{org.RoleAgent, org.RoleDispatcher, org.RoleSupervisor, org.RoleHandler, org.RoleLeader, org.RoleGridWorker}, "", "internal note"},
	{ActDueSoon, OpenStates, []string{org.RoleSystem}, "", "deadline near"},
	{ActOverdue, OpenStates, []string{org.RoleSystem}, "", "deadline passed: escalate to the supervising level"},
}

// Lookup returns the transition row for action.
func Lookup(a Action) (Transition, bool) {
	for _, t := range Transitions {
		if t.Action == a {
			return t, true
		}
	}
	return Transition{}, false
}

// Env is what the rules need besides the case: the clock, the calendar, the
// time-limit policy and the configured windows.
type Env struct {
	Now          time.Time
	Cal          *calendar.Calendar
	Policy       timelimit.Policy
	ReturnWindow timelimit.Span // how long after dispatch a unit may ask to return
	ReopenLimit  int            // how often an unsatisfied case may go back
}

// Means of contacting a citizen (the contact step).
const (
	MeansPhone = "phone"
	MeansVisit = "visit"
	MeansSMS   = "sms"
)

// ContactMeans lists the means a contact may name.
var ContactMeans = []string{MeansPhone, MeansVisit, MeansSMS}

// MaxExtensionDays is how far an extension may move a reply deadline: at
// most this many calendar days after the current deadline (or after now,
// for a deadline already passed).
const MaxExtensionDays = 90

// Command is an action with its arguments. Units are resolved by the caller.
type Command struct {
	Action       Action
	Note         string
	Unit         *org.Unit  // dispatch, approve_return (new lead unit; nil = back to received)
	CoUnits      []org.Unit // dispatch
	Result       string     // reply
	Reason       string     // request_return, request_extension, reply (unresolvable), close
	ReplyBy      time.Time  // request_extension
	Resolved     *bool      // callback
	Satisfaction string     // callback
	Reopen       bool       // callback: send an unsatisfied case back
	Means        string     // contact: one of ContactMeans (empty: not said)
	ParentID     int64      // merge
	Article      string     // answer
	TimerKind    string     // due_soon, overdue
	Attachments  []int64
}

// Apply checks cmd against the rules, changes c, and returns the event to
// append. On error c is unchanged.
func Apply(c *Case, cmd Command, a org.Actor, env Env) (Event, error) {
	if err := Precondition(c, cmd.Action, a, env); err != nil {
		return Event{}, err
	}
	t, _ := Lookup(cmd.Action)
	n := *c
	n.CoUnitIDs = slices.Clone(c.CoUnitIDs)
	ev := Event{
		CaseID: c.ID, Action: cmd.Action, FromState: c.State, At: env.Now, Note: cmd.Note,
		ActorUserID: a.User.ID, ActorUnitID: a.Unit.ID, ActorName: a.User.DisplayName,
		ActorRole: actingRole(a, t.Roles), Attachments: cmd.Attachments, Data: map[string]any{},
	}
	if t.To != "" {
		n.State = t.To
	}
	if err := apply(&n, cmd, a, env, &ev); err != nil {
		return Event{}, err
	}
	if n.State == Closed && n.ClosedAt.IsZero() {
		n.ClosedAt = env.Now
	}
	if !n.State.Open() {
		n.DueSoon, n.ReturnPending, n.ExtensionPending = false, false, false
	}
	ev.ToState = n.State
	n.Version++
	n.EventSeq++
	ev.Seq = n.EventSeq
	n.UpdatedAt = env.Now
	if len(ev.Data) == 0 {
		ev.Data = nil
	}
	*c = n
	return ev, nil
}

func actingRole(a org.Actor, allowed []string) string {
	for _, r := range a.User.Roles {
		if slices.Contains(allowed, r) {
			return r
		}
	}
	if len(a.User.Roles) > 0 {
		return a.User.Roles[0]
	}
	return ""
}

func requireLead(c *Case, a org.Actor) error {
	if c.LeadUnitID == 0 || a.Unit.ID != c.LeadUnitID {
		return errs.E(errs.NotLeadUnit)
	}
	return nil
}

func blank(s string) bool { return Blank(s) }

func apply(c *Case, cmd Command, a org.Actor, env Env, ev *Event) error {
	now := env.Now
	switch cmd.Action {
	case ActAccept:
		received(c, env)
	case ActAnswer:
		if blank(cmd.Note) {
			return errs.F(errs.FieldRequired, "note")
		}
		c.CloseReason = CloseAnswered
		c.ReplyText = cmd.Note
		c.Result = ResultExplained
		c.Article = cmd.Article
		if c.ReceivedAt.IsZero() {
			c.ReceivedAt = now
		}
		if cmd.Article != "" {
			ev.Data["article"] = cmd.Article
		}
	case ActDispatch:
		if cmd.Unit == nil {
			return errs.F(errs.FieldRequired, "unit_id")
		}
		if cmd.Unit.IsCentre() && cmd.Unit.Kind == org.KindCityCentre {
			return errs.D(errs.UnknownUnit, "cannot dispatch to the city centre")
		}
		dispatch(c, *cmd.Unit, cmd.CoUnits, env, ev)
	case ActSign:
		c.SignedAt = now
		if !c.SignBy.IsZero() && now.After(c.SignBy) {
			c.SignedLate = true
			ev.Data["late"] = true
		}
	case ActContact:
		if cmd.Means != "" && !slices.Contains(ContactMeans, cmd.Means) {
			return &errs.Error{Code: errs.Invalid, Field: "means", Detail: strings.Join(ContactMeans, ", ")}
		}
		if c.State == Signed {
			c.State = Contacted
		}
		if c.ContactedAt.IsZero() {
			c.ContactedAt = now
		}
		if cmd.Means != "" {
			ev.Data["means"] = cmd.Means
		}
	case ActProgress:
		if blank(cmd.Note) {
			return errs.F(errs.FieldRequired, "note")
		}
	case ActAssist:
		if blank(cmd.Note) {
			return errs.F(errs.FieldRequired, "note")
		}
	case ActRequestReturn:
		if blank(cmd.Reason) {
			return errs.F(errs.FieldRequired, "reason")
		}
		c.ReturnPending = true
		c.ReturnReason = cmd.Reason
		ev.Data["reason"] = cmd.Reason
	case ActApproveReturn:
		from := c.LeadUnitID
		c.ReturnPending = false
		c.Returns++
		// An extension asked for by the unit that gave the case back is moot.
		c.ExtensionPending, c.ExtensionTo, c.ExtensionReason = false, time.Time{}, ""
		ev.Data["from_unit_id"] = from
		ev.Data["reason"] = c.ReturnReason
		if cmd.Unit == nil {
			c.State = Received
			c.LeadUnitID, c.CoUnitIDs, c.SupervisingUnitID = 0, nil, 0
			c.SignBy, c.ReplyBy, c.ReturnBy, c.SignedAt, c.ContactedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}
			c.DueSoon, c.Overdue = false, false
			l, _ := env.Policy.For(c.Urgency, c.Type, c.Category)
			c.DispatchBy = l.Dispatch.From(env.Cal, now) // the centre gets a fresh dispatch window
			ev.Data["to"] = "received"
			break
		}
		if cmd.Unit.ID == from {
			return errs.E(errs.SameUnit)
		}
		if cmd.Unit.Kind == org.KindCityCentre {
			return errs.D(errs.UnknownUnit, "cannot dispatch to the city centre")
		}
		c.State = Dispatched
		dispatch(c, *cmd.Unit, cmd.CoUnits, env, ev)
	case ActRejectReturn:
		c.ReturnPending = false
		ev.Data["reason"] = c.ReturnReason
	case ActRequestExtension:
		if blank(cmd.Reason) {
			return errs.F(errs.FieldRequired, "reason")
		}
		if cmd.ReplyBy.IsZero() {
			return errs.F(errs.FieldRequired, "reply_by")
		}
		if !cmd.ReplyBy.After(now) {
			return errs.F(errs.DeadlineInPast, "reply_by")
		}
		if !cmd.ReplyBy.After(c.ReplyBy) {
			return errs.F(errs.DeadlineNotLater, "reply_by")
		}
		if base := latest(c.ReplyBy, now); cmd.ReplyBy.After(base.AddDate(0, 0, MaxExtensionDays)) {
			return &errs.Error{Code: errs.ExtensionTooLong, Field: "reply_by", Detail: fmt.Sprintf("at most %d days after %s", MaxExtensionDays, base.Format(time.RFC3339))}
		}
		c.ExtensionPending = true
		c.ExtensionTo = cmd.ReplyBy
		c.ExtensionReason = cmd.Reason
		ev.Data["reply_by"] = cmd.ReplyBy
		ev.Data["reason"] = cmd.Reason
	case ActApproveExtension:
		ev.Data["old_reply_by"] = c.ReplyBy
		ev.Data["reply_by"] = c.ExtensionTo
		c.ReplyBy = c.ExtensionTo
		c.Extensions++
		c.ExtensionPending, c.ExtensionTo, c.ExtensionReason = false, time.Time{}, ""
		c.Overdue = now.After(c.ReplyBy)
		c.DueSoon = false
	case ActRejectExtension:
		ev.Data["reply_by"] = c.ExtensionTo
		c.ExtensionPending, c.ExtensionTo, c.ExtensionReason = false, time.Time{}, ""
	case ActReply:
		if !slices.Contains(Results, cmd.Result) {
			return errs.F(errs.Invalid, "result")
		}
		if blank(cmd.Note) {
			return errs.F(errs.FieldRequired, "note")
		}
		if cmd.Result == ResultUnresolvable && blank(cmd.Reason) {
			return errs.F(errs.FieldRequired, "reason")
		}
		c.Result, c.ReplyText, c.RepliedAt = cmd.Result, cmd.Note, now
		c.ExtensionPending, c.ExtensionTo, c.ExtensionReason = false, time.Time{}, ""
		c.DueSoon = false
		ev.Data["result"] = cmd.Result
		if cmd.Reason != "" {
			ev.Data["reason"] = cmd.Reason
		}
		ev.Data["on_time"] = c.ReplyBy.IsZero() || !now.After(c.ReplyBy)
	case ActCallback:
		if cmd.Resolved == nil {
			return errs.F(errs.FieldRequired, "resolved")
		}
		if !slices.Contains(Satisfactions, cmd.Satisfaction) {
			return errs.F(errs.Invalid, "satisfaction")
		}
		ev.Data["resolved"] = *cmd.Resolved
		ev.Data["satisfaction"] = cmd.Satisfaction
		r := *cmd.Resolved
		if cmd.Reopen {
			if cmd.Satisfaction != Unsatisfied && r {
				return errs.D(errs.Invalid, "only an unresolved or unsatisfied case can be reopened")
			}
			if c.ReopenCount >= env.ReopenLimit {
				return errs.E(errs.ReopenLimit)
			}
			c.ReopenCount++
			ev.Data["reopen"] = true
			c.Result, c.ReplyText, c.RepliedAt, c.SignedAt, c.ContactedAt = "", "", time.Time{}, time.Time{}, time.Time{}
			c.Resolved, c.Satisfaction = nil, ""
			c.Overdue, c.SignedLate, c.DueSoon = false, false, false
			dispatchDeadlines(c, env)
			// The table says closed; a reopen (重办) goes back to the same lead unit.
			c.State = Dispatched
			ev.Data["reply_by"] = c.ReplyBy
			return nil
		}
		c.Resolved, c.Satisfaction, c.CloseReason = &r, cmd.Satisfaction, CloseCallback
	case ActClose:
		if blank(cmd.Reason) {
			return errs.F(errs.FieldRequired, "reason")
		}
		c.CloseReason = CloseNoCallback
		ev.Data["reason"] = cmd.Reason
	case ActSupervise:
		if blank(cmd.Note) {
			return errs.F(errs.FieldRequired, "note")
		}
		c.Supervised = true
	case ActMerge:
		if cmd.ParentID == 0 {
			return errs.F(errs.FieldRequired, "parent_id")
		}
		if cmd.ParentID == c.ID {
			return errs.E(errs.MergeSelf)
		}
		c.MergedInto, c.CloseReason = cmd.ParentID, CloseMerged
		ev.Data["parent_id"] = cmd.ParentID
	case ActNote:
		if blank(cmd.Note) {
			return errs.F(errs.FieldRequired, "note")
		}
	case ActDueSoon:
		c.DueSoon = true
		ev.Data["timer"] = cmd.TimerKind
	case ActOverdue:
		ev.Data["timer"] = cmd.TimerKind
		if cmd.TimerKind == TimerReply || cmd.TimerKind == TimerDispatch || cmd.TimerKind == TimerAccept {
			c.Overdue = true
			c.Supervised = true
			c.EscalationLevel++
			ev.Data["escalated_to"] = c.SupervisingUnitID
		}
	}
	return nil
}

// received marks a case as taken in by the centre and sets its dispatch deadline.
func received(c *Case, env Env) {
	c.ReceivedAt = env.Now
	c.Overdue = false // a missed accept deadline does not carry over
	l, rule := env.Policy.For(c.Urgency, c.Type, c.Category)
	c.PolicyRule = rule
	c.DispatchBy = l.Dispatch.From(env.Cal, env.Now)
}

func dispatch(c *Case, u org.Unit, co []org.Unit, env Env, ev *Event) {
	c.LeadUnitID = u.ID
	c.SupervisingUnitID = u.SupervisorID
	c.CoUnitIDs = c.CoUnitIDs[:0]
	for _, x := range co {
		if x.ID != u.ID && !slices.Contains(c.CoUnitIDs, x.ID) {
			c.CoUnitIDs = append(c.CoUnitIDs, x.ID)
		}
	}
	if len(c.CoUnitIDs) == 0 {
		c.CoUnitIDs = nil
	}
	c.SignedAt, c.ContactedAt, c.SignedLate = time.Time{}, time.Time{}, false
	c.Overdue, c.DueSoon = false, false
	dispatchDeadlines(c, env)
	ev.Data["unit_id"] = u.ID
	if len(c.CoUnitIDs) > 0 {
		ev.Data["co_unit_ids"] = c.CoUnitIDs
	}
	if c.SupervisingUnitID != 0 {
		ev.Data["copied_unit_id"] = c.SupervisingUnitID
	}
	ev.Data["sign_by"] = c.SignBy
	ev.Data["reply_by"] = c.ReplyBy
}

func dispatchDeadlines(c *Case, env Env) {
	l, rule := env.Policy.For(c.Urgency, c.Type, c.Category)
	c.PolicyRule = rule
	c.DispatchedAt = env.Now
	d := l.Compute(env.Cal, c.ReceivedAt, env.Now)
	c.SignBy, c.ReplyBy = d.SignBy, d.ReplyBy
	c.ReturnBy = time.Time{}
	if env.ReturnWindow.Minutes > 0 || env.ReturnWindow.WorkDays > 0 {
		c.ReturnBy = env.ReturnWindow.From(env.Cal, env.Now)
		if c.ReturnBy.After(c.ReplyBy) {
			c.ReturnBy = c.ReplyBy
		}
	}
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Created prepares a new case: state, timestamps and the first deadlines.
// Online submissions start as submitted (accepted within the Accept limit);
// everything else is received at once.
func Created(c *Case, a org.Actor, env Env) Event {
	c.CreatedAt, c.UpdatedAt = env.Now, env.Now
	c.CreatedBy = a.User.ID
	if slices.Contains(OnlineChannels, c.Channel) {
		c.State = Submitted
		l, rule := env.Policy.For(c.Urgency, c.Type, c.Category)
		c.PolicyRule = rule
		c.AcceptBy = l.Accept.From(env.Cal, env.Now)
	} else {
		c.State = Received
		received(c, env)
	}
	c.Version, c.EventSeq = 1, 1
	return Event{
		Seq: 1, Action: ActCreate, ToState: c.State, At: env.Now,
		ActorUserID: a.User.ID, ActorUnitID: a.Unit.ID, ActorName: a.User.DisplayName,
		ActorRole: actingRole(a, a.User.Roles), Data: map[string]any{"channel": c.Channel},
	}
}

// Timers returns the deadlines the scheduler must watch for c in its
// current state. The store keeps exactly these unfired timers for the case.
func Timers(c *Case) []Timer {
	var ts []Timer
	add := func(kind string, at time.Time) {
		if !at.IsZero() {
			ts = append(ts, Timer{CaseID: c.ID, Kind: kind, DueAt: at})
		}
	}
	switch c.State {
	case Submitted:
		add(TimerAccept, c.AcceptBy)
	case Received:
		add(TimerDispatch, c.DispatchBy)
	case Dispatched, Signed, Contacted, Handling:
		if c.State == Dispatched {
			add(TimerSign, c.SignBy)
		}
		if !c.ReplyBy.IsZero() {
			// Milliseconds: the store keeps timers at that precision and Fire compares exactly.
			add(TimerReplySoon, timelimit.DueSoonAt(c.DispatchedAt, c.ReplyBy).Truncate(time.Millisecond))
			add(TimerReply, c.ReplyBy)
		}
	}
	return ts
}

// Fire turns a due timer into the system command to apply, if the timer
// still matters for the case (the deadline may have moved since).
func Fire(c *Case, t Timer) (Command, bool) {
	for _, cur := range Timers(c) {
		if cur.Kind == t.Kind && cur.DueAt.Equal(t.DueAt) {
			if t.Kind == TimerReplySoon {
				return Command{Action: ActDueSoon, TimerKind: t.Kind}, true
			}
			return Command{Action: ActOverdue, TimerKind: t.Kind}, true
		}
	}
	return Command{}, false
}
