// Package deliberation holds the rules of community deliberation (议事协商,
// 居民议事会 / 小院议事厅): an agenda item raised from requests, from a
// 每月一题 topic or by residents; its meeting with participants and
// minutes; the recorded decision with its vote counts; and the follow-up
// tasks (agenda tasks of kind "deliberation") whose progress closes it.
// It knows no SQL and no HTTP.
package deliberation

import (
	"time"
)

// States of an agenda item.
const (
	Proposed  = "proposed"  // a residents' proposal awaiting the street's answer
	Accepted  = "accepted"  // on the agenda
	Scheduled = "scheduled" // a meeting is scheduled
	Decided   = "decided"   // the meeting recorded its decision
	Closed    = "closed"    // every follow-up task is done
	Declined  = "declined"  // the street declined the proposal
)

// States lists every state in the order of the workflow.
var States = []string{Proposed, Accepted, Scheduled, Decided, Closed, Declined}

// Sources of an agenda item.
const (
	FromRequests = "requests" // raised from citizens' requests (case ids)
	FromTopic    = "topic"    // raised from a 每月一题 topic
	FromResident = "resident" // proposed by residents on the portal
)

// Participant kinds.
const (
	PartResident = "resident"   // a resident (name is personal data)
	PartProperty = "property"   // the property company (物业)
	PartOwners   = "owners"     // the owners' committee (业委会)
	PartDept     = "department" // a department unit
	PartStaff    = "staff"      // street or community staff
	PartDeputy   = "deputy"     // a people's deputy (人大代表)
)

// ParticipantKinds lists the kinds a participant may have.
var ParticipantKinds = []string{PartResident, PartProperty, PartOwners, PartDept, PartStaff, PartDeputy}

// Participant is one person or organisation at a meeting: a unit by its id
// (departments, staff of a unit) or a name (residents, deputies, a
// property company or owners' committee that is not a unit). A resident's
// name is personal data: masked outside the owner unit's staff.
type Participant struct {
	Kind   string `json:"kind"`
	UnitID int64  `json:"unit_id,omitempty"`
	Name   string `json:"name,omitempty"`
}

// Meeting is the item's meeting: when, where, who, and its minutes.
type Meeting struct {
	At           time.Time     `json:"at"`
	Venue        string        `json:"venue"`
	Participants []Participant `json:"participants,omitempty"`
	Minutes      string        `json:"minutes,omitempty"`
}

// Votes are the counts of a vote.
type Votes struct {
	For     int `json:"for"`
	Against int `json:"against"`
	Abstain int `json:"abstain"`
}

// Cast is the number of votes cast.
func (v Votes) Cast() int { return v.For + v.Against + v.Abstain }

// Decision is the recorded decision on the motion.
type Decision struct {
	Motion  string    `json:"motion"`
	Votes   Votes     `json:"votes"`
	Quorum  int       `json:"quorum,omitempty"` // the votes that must be cast for the vote to count (0: none)
	Adopted bool      `json:"adopted"`
	At      time.Time `json:"at"`
}

// Proposer is the resident who proposed an item on the portal (personal
// data: stored in its own columns, never in the document).
type Proposer struct {
	Name  string `json:"-"`
	Phone string `json:"-"`
}

// Item is one agenda item (议题).
type Item struct {
	ID        int64     `json:"id"`
	Title     string    `json:"title"`
	Summary   string    `json:"summary,omitempty"`
	State     string    `json:"state"`
	Source    string    `json:"source"`
	CaseIDs   []int64   `json:"case_ids,omitempty"`
	TopicID   int64     `json:"topic_id,omitempty"`
	UnitID    int64     `json:"unit_id"`  // the owner: a street office (or community) unit
	PlaceID   int64     `json:"place_id"` // the community or street it is about
	Proposer  Proposer  `json:"-"`
	Meeting   *Meeting  `json:"meeting,omitempty"`
	Decision  *Decision `json:"decision,omitempty"`
	TaskIDs   []int64   `json:"task_ids,omitempty"`
	Reason    string    `json:"reason,omitempty"` // why it was declined
	CreatedBy int64     `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   int64     `json:"version"`
}

// Filter selects items.
type Filter struct {
	UnitIDs []int64 // owned by any of these units (none: any)
	// TaskUnitID adds the items with a follow-up task owned by this unit
	// (to those of UnitIDs; alone, only those).
	TaskUnitID int64
	PlaceIDs   []int64  // about any of these places (none: any)
	States     []string // in any of these states (none: any)
	Limit      int
}
