package lifecycle

import (
	"slices"
	"testing"
	"time"

	"whistle/internal/errs"
	"whistle/internal/org"
)

// walk describes, for each action, a valid command, the actor who may
// take it, and what must be true of the case first.
type walk struct {
	cmd   Command
	actor org.Actor
	prep  func(c *Case) // puts the case in the sub-state the action needs
}

func walks() map[Action]walk {
	pendingReturn := func(c *Case) { c.ReturnPending, c.ReturnReason = true, "不属于本街道辖区" }
	pendingExtension := func(c *Case) {
		c.ExtensionPending, c.ExtensionTo, c.ExtensionReason = true, at(2026, 12, 4, 16, 0), "需协调多部门"
	}
	return map[Action]walk{
		ActAccept:           {cmd: Command{Action: ActAccept}, actor: agent},
		ActAnswer:           {cmd: Command{Action: ActAnswer, Note: "按政策解答", Article: "KB-7"}, actor: agent},
		ActDispatch:         {cmd: Command{Action: ActDispatch, Unit: &street, CoUnits: []org.Unit{enterprise}}, actor: dispatcher},
		ActSign:             {cmd: Command{Action: ActSign}, actor: handler},
		ActContact:          {cmd: Command{Action: ActContact, Means: "phone"}, actor: leader},
		ActProgress:         {cmd: Command{Action: ActProgress, Note: "现场核实"}, actor: handler},
		ActAssist:           {cmd: Command{Action: ActAssist, Note: "已检修管线"}, actor: coUser},
		ActRequestReturn:    {cmd: Command{Action: ActRequestReturn, Reason: "不属于本街道辖区"}, actor: handler},
		ActApproveReturn:    {cmd: Command{Action: ActApproveReturn, Unit: &department}, actor: dispatcher, prep: pendingReturn},
		ActRejectReturn:     {cmd: Command{Action: ActRejectReturn}, actor: dispatcher, prep: pendingReturn},
		ActRequestExtension: {cmd: Command{Action: ActRequestExtension, Reason: "需协调多部门", ReplyBy: at(2026, 12, 4, 16, 0)}, actor: handler},
		ActApproveExtension: {cmd: Command{Action: ActApproveExtension}, actor: dispatcher, prep: pendingExtension},
		ActRejectExtension:  {cmd: Command{Action: ActRejectExtension}, actor: dispatcher, prep: pendingExtension},
		ActReply:            {cmd: Command{Action: ActReply, Result: ResultExplained, Note: "已解释说明"}, actor: handler, prep: func(c *Case) { c.ContactedAt = tContact }},
		ActCallback:         {cmd: Command{Action: ActCallback, Resolved: ptr(true), Satisfaction: FairlySatisfied}, actor: agent},
		ActClose:            {cmd: Command{Action: ActClose, Reason: "市民无法联系"}, actor: dispatcher},
		ActSupervise:        {cmd: Command{Action: ActSupervise, Note: "请加快办理"}, actor: supervisor},
		ActMerge:            {cmd: Command{Action: ActMerge, ParentID: parentID}, actor: agent},
		ActNote:             {cmd: Command{Action: ActNote, Note: "内部备注"}, actor: gridWorker},
		ActDueSoon:          {cmd: Command{Action: ActDueSoon, TimerKind: TimerReplySoon}, actor: system},
		ActOverdue:          {cmd: Command{Action: ActOverdue, TimerKind: TimerSign}, actor: system},
	}
}

// walkCase is a case in s, prepared for the action, with a time just after
// its last event (and before the return window closes where that matters).
func walkCase(t *testing.T, s State, w walk) (*Case, time.Time) {
	t.Helper()
	c, last := caseIn(t, s)
	if w.prep != nil {
		w.prep(c)
	}
	return c, last.Add(10 * time.Minute)
}

func TestTransitionTableIsWellFormed(t *testing.T) {
	all := []Action{ActAccept, ActAnswer, ActDispatch, ActSign, ActContact, ActProgress, ActAssist,
		ActRequestReturn, ActApproveReturn, ActRejectReturn, ActRequestExtension, ActApproveExtension,
		ActRejectExtension, ActReply, ActCallback, ActClose, ActSupervise, ActMerge, ActNote, ActDueSoon, ActOverdue}
	if len(Transitions) != len(all) {
		t.Fatalf("%d transitions, want %d (one per action but create)", len(Transitions), len(all))
	}
	for _, a := range all {
		tr, ok := Lookup(a)
		if !ok {
			t.Errorf("no transition for %s", a)
			continue
		}
		if tr.Action != a || len(tr.From) == 0 || len(tr.Roles) == 0 || tr.Doc == "" {
			t.Errorf("%s: malformed row %+v", a, tr)
		}
		for _, s := range tr.From {
			if !slices.Contains(OpenStates, s) {
				t.Errorf("%s: from %q, which is not an open state", a, s)
			}
		}
		if tr.To != "" && !slices.Contains(States, tr.To) {
			t.Errorf("%s: to unknown state %q", a, tr.To)
		}
		for _, r := range tr.Roles {
			if !org.ValidRole(r) && r != org.RoleSystem && r != org.RoleCitizen {
				t.Errorf("%s: unknown role %q", a, r)
			}
		}
	}
	if _, ok := Lookup(ActCreate); ok {
		t.Error("create must not be a transition (Created handles it)")
	}
	if _, ok := Lookup("fly"); ok {
		t.Error("Lookup found an unknown action")
	}
	// Nothing leaves closed.
	for _, tr := range Transitions {
		if slices.Contains(tr.From, Closed) {
			t.Errorf("%s allowed from closed", tr.Action)
		}
	}
	if _, ok := walks()[ActCreate]; ok {
		t.Error("walks must not list create")
	}
	if len(walks()) != len(all) {
		t.Errorf("walks lists %d actions, want %d", len(walks()), len(all))
	}
}

// TestWalkEveryTransition takes every row from every state it allows, with
// a proper actor, and checks the state reached and the event's header.
func TestWalkEveryTransition(t *testing.T) {
	ws := walks()
	for _, tr := range Transitions {
		w := ws[tr.Action]
		for _, from := range tr.From {
			t.Run(string(tr.Action)+"/from_"+string(from), func(t *testing.T) {
				c, now := walkCase(t, from, w)
				before := deepCopy(c)
				ev, err := Apply(c, w.cmd, w.actor, testEnv(now))
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				want := from
				switch {
				case tr.To != "":
					want = tr.To
				case tr.Action == ActContact && from == Signed:
					want = Contacted
				case tr.Action == ActApproveReturn && w.cmd.Unit != nil:
					want = Dispatched
				}
				if c.State != want {
					t.Errorf("state %s, want %s", c.State, want)
				}
				if c.Version != before.Version+1 || c.EventSeq != before.EventSeq+1 || !c.UpdatedAt.Equal(now) {
					t.Errorf("version %d seq %d updated %s, want %d %d %s",
						c.Version, c.EventSeq, show(c.UpdatedAt), before.Version+1, before.EventSeq+1, show(now))
				}
				if ev.Seq != c.EventSeq || ev.FromState != from || ev.ToState != want || ev.Action != tr.Action || ev.CaseID != caseID || !ev.At.Equal(now) {
					t.Errorf("event %+v", ev)
				}
				if ev.ActorUnitID != w.actor.Unit.ID || ev.ActorUserID != w.actor.User.ID || ev.ActorRole != w.actor.User.Roles[0] {
					t.Errorf("event actor unit %d user %d role %q", ev.ActorUnitID, ev.ActorUserID, ev.ActorRole)
				}
				if ev.Data != nil && len(ev.Data) == 0 {
					t.Error("empty Data map must be nil")
				}
				if want == Closed {
					if !c.ClosedAt.Equal(now) || c.ReturnPending || c.ExtensionPending || c.DueSoon {
						t.Errorf("closed at %s pending %v/%v due soon %v", show(c.ClosedAt), c.ReturnPending, c.ExtensionPending, c.DueSoon)
					}
				} else if !c.ClosedAt.IsZero() {
					t.Errorf("open case has ClosedAt %s", show(c.ClosedAt))
				}
			})
		}
	}
}

// TestRefuseOutsideFromStates: every action from every state it does not
// allow is invalid_transition, with the right actor and a valid command.
func TestRefuseOutsideFromStates(t *testing.T) {
	ws := walks()
	for _, tr := range Transitions {
		w := ws[tr.Action]
		for _, s := range States {
			if slices.Contains(tr.From, s) {
				continue
			}
			t.Run(string(tr.Action)+"/in_"+string(s), func(t *testing.T) {
				c, now := walkCase(t, s, w)
				refuse(t, c, w.actor, w.cmd, now, errs.InvalidTransition)
			})
		}
	}
}

// TestRefuseWrongRole: every role a user may hold but the row does not
// list is forbidden, in a state the row allows; the role check comes first.
func TestRefuseWrongRole(t *testing.T) {
	ws := walks()
	for _, tr := range Transitions {
		w := ws[tr.Action]
		for _, role := range org.AllRoles {
			if slices.Contains(tr.Roles, role) {
				continue
			}
			a := roleActors[role]
			t.Run(string(tr.Action)+"/by_"+role, func(t *testing.T) {
				c, now := walkCase(t, tr.From[0], w)
				refuse(t, c, a, w.cmd, now, errs.Forbidden)
			})
		}
		// A user with no roles at all, and a wrong role in a wrong state.
		t.Run(string(tr.Action)+"/no_roles", func(t *testing.T) {
			c, now := walkCase(t, tr.From[0], w)
			refuse(t, c, actor(99, "无角色", street), w.cmd, now, errs.Forbidden)
		})
		t.Run(string(tr.Action)+"/closed_by_analyst", func(t *testing.T) {
			c, now := walkCase(t, Closed, w)
			refuse(t, c, analyst, w.cmd, now, errs.Forbidden)
		})
	}
}

func TestRoleMatrix(t *testing.T) {
	// Who may take what, spelled out so that a change to the table is seen.
	want := map[Action][]string{
		ActAccept:           {org.RoleAgent, org.RoleDispatcher},
		ActAnswer:           {org.RoleAgent, org.RoleDispatcher},
		ActDispatch:         {org.RoleAgent, org.RoleDispatcher},
		ActSign:             {org.RoleHandler, org.RoleLeader},
		ActContact:          {org.RoleHandler, org.RoleLeader},
		ActProgress:         {org.RoleHandler, org.RoleLeader},
		ActAssist:           {org.RoleHandler, org.RoleLeader},
		ActRequestReturn:    {org.RoleHandler, org.RoleLeader},
		ActApproveReturn:    {org.RoleDispatcher},
		ActRejectReturn:     {org.RoleDispatcher},
		ActRequestExtension: {org.RoleHandler, org.RoleLeader},
		ActApproveExtension: {org.RoleDispatcher},
		ActRejectExtension:  {org.RoleDispatcher},
		ActReply:            {org.RoleHandler, org.RoleLeader},
		ActCallback:         {org.RoleAgent, org.RoleDispatcher, org.RoleCitizen},
		ActClose:            {org.RoleDispatcher},
		ActSupervise:        {org.RoleSupervisor, org.RoleDispatcher},
		ActMerge:            {org.RoleAgent, org.RoleDispatcher},
		ActNote:             {org.RoleAgent, org.RoleDispatcher, org.RoleSupervisor, org.RoleHandler, org.RoleLeader, org.RoleGridWorker},
		ActDueSoon:          {org.RoleSystem},
		ActOverdue:          {org.RoleSystem},
	}
	wantFrom := map[Action][]State{
		ActAccept:           {Submitted},
		ActAnswer:           {Submitted, Received},
		ActDispatch:         {Received},
		ActSign:             {Dispatched},
		ActContact:          {Signed, Contacted, Handling},
		ActProgress:         {Signed, Contacted, Handling},
		ActAssist:           {Dispatched, Signed, Contacted, Handling},
		ActRequestReturn:    {Dispatched, Signed},
		ActApproveReturn:    {Dispatched, Signed, Contacted, Handling},
		ActRejectReturn:     {Dispatched, Signed, Contacted, Handling},
		ActRequestExtension: {Signed, Contacted, Handling},
		ActApproveExtension: {Signed, Contacted, Handling},
		ActRejectExtension:  {Signed, Contacted, Handling},
		ActReply:            {Signed, Contacted, Handling},
		ActCallback:         {Replied},
		ActClose:            {Replied},
		ActSupervise:        OpenStates,
		ActMerge:            {Submitted, Received, Dispatched, Signed, Contacted, Handling},
		ActNote:             OpenStates,
		ActDueSoon:          OpenStates,
		ActOverdue:          OpenStates,
	}
	wantTo := map[Action]State{ActAccept: Received, ActAnswer: Closed, ActDispatch: Dispatched, ActSign: Signed,
		ActProgress: Handling, ActReply: Replied, ActCallback: Closed, ActClose: Closed, ActMerge: Closed}
	for _, tr := range Transitions {
		if !slices.Equal(tr.Roles, want[tr.Action]) {
			t.Errorf("%s roles %v, want %v", tr.Action, tr.Roles, want[tr.Action])
		}
		if !slices.Equal(tr.From, wantFrom[tr.Action]) {
			t.Errorf("%s from %v, want %v", tr.Action, tr.From, wantFrom[tr.Action])
		}
		if tr.To != wantTo[tr.Action] {
			t.Errorf("%s to %q, want %q", tr.Action, tr.To, wantTo[tr.Action])
		}
	}
}

func TestUnknownActionIsInvalid(t *testing.T) {
	c, now := caseIn(t, Received)
	refuse(t, c, dispatcher, Command{Action: "teleport"}, now, errs.Invalid)
	refuse(t, c, dispatcher, Command{}, now, errs.Invalid)
}

func TestActingRoleIsTheAllowedOne(t *testing.T) {
	c, now := caseIn(t, Received)
	multi := actor(7, "多角色", cityCentre, org.RoleAnalyst, org.RoleAdmin, org.RoleDispatcher, org.RoleAgent)
	ev := mustApply(t, c, multi, Command{Action: ActDispatch, Unit: &street}, now)
	if ev.ActorRole != org.RoleDispatcher {
		t.Errorf("acting role %q, want the first allowed role %q", ev.ActorRole, org.RoleDispatcher)
	}
	ev = mustApply(t, c, system, Command{Action: ActOverdue, TimerKind: TimerSign}, now)
	if ev.ActorRole != org.RoleSystem || ev.ActorUserID != 0 || ev.ActorUnitID != 0 || ev.ActorName != "系统" {
		t.Errorf("system event actor %+v", ev)
	}
}
