package deliberation

import (
	"strings"
	"testing"
	"time"

	"whistle/internal/errs"
)

func TestAdopted(t *testing.T) {
	for _, c := range []struct {
		name    string
		v       Votes
		quorum  int
		adopted bool
	}{
		{"majority", Votes{For: 6, Against: 3, Abstain: 1}, 0, true},
		{"exactly half is not more than half", Votes{For: 5, Against: 3, Abstain: 2}, 0, false},
		{"abstentions count as cast", Votes{For: 4, Against: 1, Abstain: 4}, 0, false},
		{"one vote for", Votes{For: 1}, 0, true},
		{"no votes", Votes{}, 0, false},
		{"all against", Votes{Against: 7}, 0, false},
		{"quorum met", Votes{For: 6, Against: 4}, 10, true},
		{"quorum missed", Votes{For: 6, Against: 3}, 10, false},
		{"quorum met by abstentions", Votes{For: 6, Against: 2, Abstain: 2}, 10, true},
		{"tie", Votes{For: 4, Against: 4}, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Adopted(c.v, c.quorum); got != c.adopted {
				t.Errorf("Adopted(%+v, %d) = %v, want %v", c.v, c.quorum, got, c.adopted)
			}
		})
	}
}

func TestNext(t *testing.T) {
	for _, c := range []struct {
		state, action, want string
		code                errs.Code
	}{
		{Proposed, ActAccept, Accepted, ""},
		{Proposed, ActDecline, Declined, ""},
		{Accepted, ActDecline, Declined, ""},
		{Accepted, ActSchedule, Scheduled, ""},
		{Scheduled, ActSchedule, Scheduled, ""},
		{Scheduled, ActDecide, Decided, ""},
		{Decided, ActTasks, Decided, ""},
		{Decided, ActClose, Closed, ""},
		{Accepted, ActAccept, "", errs.InvalidTransition},
		{Proposed, ActSchedule, "", errs.InvalidTransition},
		{Accepted, ActDecide, "", errs.InvalidTransition},
		{Scheduled, ActDecline, "", errs.InvalidTransition},
		{Decided, ActDecide, "", errs.InvalidTransition},
		{Scheduled, ActTasks, "", errs.InvalidTransition},
		{Closed, ActTasks, "", errs.InvalidTransition},
		{Declined, ActAccept, "", errs.InvalidTransition},
		{Closed, ActClose, "", errs.InvalidTransition},
		{Accepted, "vote", "", errs.Invalid},
	} {
		got, err := Next(c.state, c.action)
		if c.code != "" {
			if !errs.Is(err, c.code) {
				t.Errorf("%s from %s: err %v, want %s", c.action, c.state, err, c.code)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s from %s = %q, %v; want %q", c.action, c.state, got, err, c.want)
		}
	}
}

func TestPublicAndClose(t *testing.T) {
	for _, c := range []struct {
		state  string
		public bool
	}{{Proposed, false}, {Accepted, true}, {Scheduled, true}, {Decided, true}, {Closed, true}, {Declined, false}} {
		if Public(c.state) != c.public {
			t.Errorf("Public(%s) = %v", c.state, !c.public)
		}
	}
	for _, c := range []struct {
		done, total int
		ok          bool
	}{{0, 0, true}, {2, 2, true}, {1, 2, false}, {0, 3, false}} {
		if MayClose(c.done, c.total) != c.ok {
			t.Errorf("MayClose(%d, %d) = %v", c.done, c.total, !c.ok)
		}
	}
}

// fields lists the fields a validation error names.
func fields(err error) string {
	var fs []string
	for _, e := range errs.FieldsOf(err) {
		fs = append(fs, e.Field+":"+string(e.Code))
	}
	return strings.Join(fs, " ")
}

func TestValidateItem(t *testing.T) {
	long := strings.Repeat("议", MaxTitle+1)
	for _, c := range []struct {
		name string
		it   Item
		want string
	}{
		{"from requests", Item{Title: "停车难", Source: FromRequests, CaseIDs: []int64{1}, PlaceID: 3}, ""},
		{"from a topic", Item{Title: "停车难", Source: FromTopic, TopicID: 9, PlaceID: 3}, ""},
		{"by a resident", Item{Title: "加装电梯", Source: FromResident, Proposer: Proposer{Phone: "13800000000"}, PlaceID: 3}, ""},
		{"no requests", Item{Title: "停车难", Source: FromRequests, PlaceID: 3}, "case_ids:field_required"},
		{"no topic", Item{Title: "x", Source: FromTopic, PlaceID: 3}, "topic_id:field_required"},
		{"no phone", Item{Title: "x", Source: FromResident, PlaceID: 3}, "phone:field_required"},
		{"unknown source", Item{Title: "x", Source: "radio", PlaceID: 3}, "source:invalid"},
		{"no title, no place", Item{Source: FromTopic, TopicID: 1}, "title:field_required place_id:field_required"},
		{"title too long", Item{Title: long, Source: FromTopic, TopicID: 1, PlaceID: 3}, "title:field_too_long"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := fields(ValidateItem(&c.it)); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestValidateMeeting(t *testing.T) {
	at := time.Date(2026, 12, 10, 14, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		m    Meeting
		want string
	}{
		{"complete", Meeting{At: at, Venue: "社区议事厅", Participants: []Participant{{Kind: PartResident, Name: "张三"}, {Kind: PartDept, UnitID: 4}, {Kind: PartProperty, Name: "某物业"}}}, ""},
		{"no time, no venue", Meeting{}, "at:field_required venue:field_required"},
		{"unknown kind", Meeting{At: at, Venue: "v", Participants: []Participant{{Kind: "mayor", Name: "x"}}}, "participants.0.kind:invalid"},
		{"department without unit", Meeting{At: at, Venue: "v", Participants: []Participant{{Kind: PartDept, Name: "城管"}}}, "participants.0.unit_id:field_required"},
		{"resident without name", Meeting{At: at, Venue: "v", Participants: []Participant{{Kind: PartStaff, UnitID: 2}, {Kind: PartResident}}}, "participants.1.name:field_required"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := fields(ValidateMeeting(c.m)); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestValidateDecision(t *testing.T) {
	for _, c := range []struct {
		name    string
		d       Decision
		minutes string
		want    string
	}{
		{"complete", Decision{Motion: "划定临时停车位", Votes: Votes{For: 9, Against: 2, Abstain: 1}}, "纪要", ""},
		{"no motion, no minutes", Decision{Votes: Votes{For: 1}}, "", "motion:field_required minutes:field_required"},
		{"negative count", Decision{Motion: "m", Votes: Votes{For: 3, Against: -1}}, "纪要", "votes.against:invalid"},
		{"negative quorum", Decision{Motion: "m", Votes: Votes{For: 3}, Quorum: -2}, "纪要", "quorum:invalid"},
		{"no votes", Decision{Motion: "m"}, "纪要", "votes:invalid"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := fields(ValidateDecision(c.d, c.minutes)); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestValidateTask(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name  string
		unit  int64
		title string
		due   time.Time
		want  string
	}{
		{"complete", 5, "施划车位", now.Add(48 * time.Hour), ""},
		{"nothing", 0, "", time.Time{}, "tasks.1.unit_id:field_required tasks.1.title:field_required tasks.1.due_at:field_required"},
		{"due in the past", 5, "x", now.Add(-time.Hour), "tasks.1.due_at:deadline_in_past"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := fields(ValidateTask(1, c.unit, c.title, c.due, now)); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestMaskedParticipants(t *testing.T) {
	ps := []Participant{{Kind: PartResident, Name: "张三丰"}, {Kind: PartDeputy, Name: "李代表"}, {Kind: PartDept, UnitID: 3}}
	got := MaskedParticipants(ps, func(s string) string { return string([]rune(s)[:1]) + "**" })
	if got[0].Name != "张**" || got[1].Name != "李代表" || ps[0].Name != "张三丰" {
		t.Errorf("masked %+v (from %+v)", got, ps)
	}
	if n := CountByKind(ps); n[PartResident] != 1 || n[PartDept] != 1 || len(n) != 3 {
		t.Errorf("counts %v", n)
	}
}
