package lifecycle

import (
	"slices"

	"whistle/internal/errs"
	"whistle/internal/org"
)

// Precondition is the part of Apply's rules that depends on the case, the
// actor and the time, not on the command's arguments: the action exists, the
// actor holds one of its roles, the case is in one of its states, and the
// action's own guards (lead or co-handling unit, pending requests, the return
// window, contact before reply). Apply checks it first; Allowed asks it for
// every action, so a page offers exactly what Apply would take.
func Precondition(c *Case, act Action, a org.Actor, env Env) error {
	t, ok := Lookup(act)
	if !ok {
		return errs.D(errs.Invalid, "unknown action %q", act)
	}
	if !a.IsSystem() && !a.User.Has(t.Roles...) {
		return errs.E(errs.Forbidden)
	}
	if !slices.Contains(t.From, c.State) {
		return errs.D(errs.InvalidTransition, "%s not allowed in state %s", act, c.State)
	}
	switch act {
	case ActSign, ActContact, ActProgress:
		return requireLead(c, a)
	case ActAssist:
		if !c.IsCoUnit(a.Unit.ID) {
			return errs.E(errs.NotCoUnit)
		}
	case ActRequestReturn:
		if err := requireLead(c, a); err != nil {
			return err
		}
		if c.ReturnPending {
			return errs.E(errs.ReturnPending)
		}
		if !c.ReturnBy.IsZero() && env.Now.After(c.ReturnBy) {
			return errs.E(errs.ReturnWindowClosed)
		}
	case ActApproveReturn, ActRejectReturn:
		if !c.ReturnPending {
			return errs.E(errs.NoReturnPending)
		}
	case ActRequestExtension:
		if err := requireLead(c, a); err != nil {
			return err
		}
		if c.ExtensionPending {
			return errs.E(errs.ExtensionPending)
		}
	case ActApproveExtension, ActRejectExtension:
		if !c.ExtensionPending {
			return errs.E(errs.NoExtensionPending)
		}
	case ActReply:
		if err := requireLead(c, a); err != nil {
			return err
		}
		if c.ReturnPending {
			return errs.E(errs.ReturnPending)
		}
		if c.ContactedAt.IsZero() && !(c.Citizen.Anonymous || c.Citizen.Phone == "") {
			return errs.D(errs.InvalidTransition, "contact the citizen before replying")
		}
	}
	return nil
}

// Allowed lists, in the table's order, the actions a may take on c now: those
// whose Precondition holds. Arguments (a note, a reason, a unit) are the
// form's business and never hide an action. The scheduler's timer actions are
// listed only for the system actor. c must be the stored case, not a masked
// view (whether the citizen can be contacted depends on the phone).
func Allowed(c *Case, a org.Actor, env Env) []Action {
	var out []Action
	for _, t := range Transitions {
		if (t.Action == ActDueSoon || t.Action == ActOverdue) && !a.IsSystem() {
			continue
		}
		if Precondition(c, t.Action, a, env) == nil {
			out = append(out, t.Action)
		}
	}
	return out
}
