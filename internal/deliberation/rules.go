package deliberation

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"whistle/internal/errs"
)

// Actions that move an item.
const (
	ActAccept   = "accept"   // proposed → accepted
	ActDecline  = "decline"  // proposed or accepted → declined
	ActSchedule = "schedule" // accepted → scheduled (scheduled → scheduled moves the meeting)
	ActDecide   = "decide"   // scheduled → decided (minutes and the vote)
	ActTasks    = "tasks"    // decided → decided (follow-up tasks added)
	ActClose    = "close"    // decided → closed, once every task is done
)

// transitions: action → the states it may start from, and where it leads.
var transitions = map[string]struct {
	from []string
	to   string
}{
	ActAccept:   {[]string{Proposed}, Accepted},
	ActDecline:  {[]string{Proposed, Accepted}, Declined},
	ActSchedule: {[]string{Accepted, Scheduled}, Scheduled},
	ActDecide:   {[]string{Scheduled}, Decided},
	ActTasks:    {[]string{Decided}, Decided},
	ActClose:    {[]string{Decided}, Closed},
}

// Next returns the state action leads to from state, or
// errs.InvalidTransition (its detail names the states it may start from).
func Next(state, action string) (string, error) {
	t, ok := transitions[action]
	if !ok {
		return "", errs.D(errs.Invalid, "unknown action %q", action)
	}
	if !slices.Contains(t.from, state) {
		return "", errs.D(errs.InvalidTransition, "%s only from %s", action, strings.Join(t.from, ", "))
	}
	return t.to, nil
}

// Public reports whether an item in this state is shown on the portal: once
// the street put it on the agenda, and not when it was declined.
func Public(state string) bool {
	switch state {
	case Accepted, Scheduled, Decided, Closed:
		return true
	}
	return false
}

// Adopted is the rule of the vote: the motion is adopted when more than
// half of the votes cast are for it, and, when a quorum is set, at least
// that many votes were cast.
func Adopted(v Votes, quorum int) bool {
	cast := v.Cast()
	if cast == 0 {
		return false
	}
	if quorum > 0 && cast < quorum {
		return false
	}
	return 2*v.For > cast
}

// QuorumMet reports whether the votes cast reach the quorum (always, when
// none is set).
func QuorumMet(v Votes, quorum int) bool { return quorum <= 0 || v.Cast() >= quorum }

// MayClose reports whether an item with these tasks may be closed: every
// follow-up task is done (an item without tasks may be closed at once).
func MayClose(done, total int) bool { return done == total }

// Limits of the texts.
const (
	MaxTitle   = 100
	MaxSummary = 2000
	MaxVenue   = 200
	MaxMinutes = 20000
	MaxMotion  = 1000
	MaxName    = 50
	MaxReason  = 1000
	MaxVoters  = 100000 // more votes than any community meeting casts
	MaxParts   = 200
	MaxCases   = 50
)

func tooLong(s string, n int) bool { return utf8.RuneCountInString(s) > n }

// text checks a required text field of at most max runes.
func text(field, v string, max int, required bool) *errs.Error {
	switch {
	case required && strings.TrimSpace(v) == "":
		return errs.F(errs.FieldRequired, field)
	case tooLong(v, max):
		return &errs.Error{Code: errs.FieldTooLong, Field: field, Detail: fmt.Sprintf("max %d characters", max)}
	}
	return nil
}

func collect(ps ...*errs.Error) error {
	var out []*errs.Error
	for _, p := range ps {
		if p != nil {
			out = append(out, p)
		}
	}
	return errs.All(out...)
}

// ValidateItem checks a new item's texts and its source.
func ValidateItem(it *Item) error {
	var src *errs.Error
	switch it.Source {
	case FromRequests:
		if len(it.CaseIDs) == 0 {
			src = errs.F(errs.FieldRequired, "case_ids")
		} else if len(it.CaseIDs) > MaxCases {
			src = errs.D(errs.Invalid, "at most %d requests", MaxCases)
			src.Field = "case_ids"
		}
	case FromTopic:
		if it.TopicID <= 0 {
			src = errs.F(errs.FieldRequired, "topic_id")
		}
	case FromResident:
		if strings.TrimSpace(it.Proposer.Phone) == "" {
			src = errs.F(errs.FieldRequired, "phone")
		}
	default:
		src = errs.F(errs.Invalid, "source")
	}
	var place *errs.Error
	if it.PlaceID <= 0 {
		place = errs.F(errs.FieldRequired, "place_id")
	}
	return collect(text("title", it.Title, MaxTitle, true), text("summary", it.Summary, MaxSummary, false),
		text("name", it.Proposer.Name, MaxName, false), src, place)
}

// ValidateMeeting checks a meeting: a time, a venue, and participants of
// known kinds (a unit id for a department, a name for a resident).
func ValidateMeeting(m Meeting) error {
	var ps []*errs.Error
	if m.At.IsZero() {
		ps = append(ps, errs.F(errs.FieldRequired, "at"))
	}
	ps = append(ps, text("venue", m.Venue, MaxVenue, true), text("minutes", m.Minutes, MaxMinutes, false))
	if len(m.Participants) > MaxParts {
		e := errs.D(errs.Invalid, "at most %d participants", MaxParts)
		e.Field = "participants"
		ps = append(ps, e)
	}
	for i, p := range m.Participants {
		f := fmt.Sprintf("participants.%d", i)
		switch {
		case !slices.Contains(ParticipantKinds, p.Kind):
			ps = append(ps, errs.F(errs.Invalid, f+".kind"))
		case p.Kind == PartDept && p.UnitID <= 0:
			ps = append(ps, errs.F(errs.FieldRequired, f+".unit_id"))
		case p.UnitID <= 0 && strings.TrimSpace(p.Name) == "":
			ps = append(ps, errs.F(errs.FieldRequired, f+".name"))
		case tooLong(p.Name, MaxName):
			ps = append(ps, errs.F(errs.FieldTooLong, f+".name"))
		}
	}
	return collect(ps...)
}

// ValidateDecision checks a decision: a motion, counts that are not
// negative and at least one vote cast, and a quorum that is not negative.
func ValidateDecision(d Decision, minutes string) error {
	var ps []*errs.Error
	ps = append(ps, text("motion", d.Motion, MaxMotion, true), text("minutes", minutes, MaxMinutes, true))
	for _, c := range []struct {
		f string
		n int
	}{{"votes.for", d.Votes.For}, {"votes.against", d.Votes.Against}, {"votes.abstain", d.Votes.Abstain}, {"quorum", d.Quorum}} {
		if c.n < 0 || c.n > MaxVoters {
			ps = append(ps, errs.F(errs.Invalid, c.f))
		}
	}
	if len(ps) == 2 && ps[0] == nil && ps[1] == nil && d.Votes.Cast() == 0 {
		e := errs.D(errs.Invalid, "no votes cast")
		e.Field = "votes"
		ps = append(ps, e)
	}
	return collect(ps...)
}

// ValidateTask checks a follow-up task: an owner unit, a title and a due
// date not before now.
func ValidateTask(i int, unitID int64, title string, due, now time.Time) error {
	f := fmt.Sprintf("tasks.%d.", i)
	var ps []*errs.Error
	if unitID <= 0 {
		ps = append(ps, errs.F(errs.FieldRequired, f+"unit_id"))
	}
	ps = append(ps, text(f+"title", title, MaxTitle, true))
	if due.IsZero() {
		ps = append(ps, errs.F(errs.FieldRequired, f+"due_at"))
	} else if due.Before(now) {
		ps = append(ps, errs.F(errs.DeadlineInPast, f+"due_at"))
	}
	return collect(ps...)
}

// MaskedParticipants returns the participants with residents' names
// masked (as every reader outside the owner unit sees them).
func MaskedParticipants(ps []Participant, mask func(string) string) []Participant {
	out := make([]Participant, len(ps))
	for i, p := range ps {
		if p.Kind == PartResident {
			p.Name = mask(p.Name)
		}
		out[i] = p
	}
	return out
}

// Summary of a decision for the public: the counts by participant kind
// (never names).
func CountByKind(ps []Participant) map[string]int {
	out := map[string]int{}
	for _, p := range ps {
		out[p.Kind]++
	}
	return out
}
