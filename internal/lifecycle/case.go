// Package lifecycle holds the rules of a request's life (接诉即办): its
// states, the guarded transitions between them, who may take each one, and
// the event each one writes. It knows nothing of HTTP or SQL: the cases
// service loads a Case, calls Apply, and stores the Case and the Event in
// one transaction.
package lifecycle

import (
	"slices"
	"time"

	"whistle/internal/dutylist"
)

// State is where a case is in its life.
type State string

// States.
const (
	Submitted  State = "submitted"  // online submission awaiting acceptance (受理)
	Received   State = "received"   // 受理: taken in by the centre
	Dispatched State = "dispatched" // 派单: sent to a lead unit
	Signed     State = "signed"     // 签收
	Contacted  State = "contacted"  // 联系: citizen contacted
	Handling   State = "handling"   // 办理: work in progress
	Replied    State = "replied"    // 答复: result reported, awaiting callback
	Closed     State = "closed"     // 结案
)

// States lists every state in lifecycle order.
var States = []State{Submitted, Received, Dispatched, Signed, Contacted, Handling, Replied, Closed}

// OpenStates are the states in which a case still needs work.
var OpenStates = []State{Submitted, Received, Dispatched, Signed, Contacted, Handling, Replied}

// Open reports whether s is not closed.
func (s State) Open() bool { return s != Closed }

// WithUnit reports whether a lead unit holds the case in state s.
func (s State) WithUnit() bool {
	return s == Dispatched || s == Signed || s == Contacted || s == Handling
}

// Channels through which requests arrive (一号通).
var Channels = []string{"phone", "web", "app", "miniprogram", "email", "open311", "grid", "whistle"}

// OnlineChannels are accepted by an agent before they count as received.
var OnlineChannels = []string{"web", "app", "miniprogram", "email", "open311"}

// Types of request.
var Types = []string{"consultation", "help", "complaint", "report", "suggestion", "praise"}

// Urgencies are the time-limit classes.
var Urgencies = []string{"emergency", "utilities", "general", "complex"}

// Reply results.
const (
	ResultResolved     = "resolved"     // 已解决
	ResultExplained    = "explained"    // 已解释说明
	ResultUnresolvable = "unresolvable" // 无法解决 (with the reason)
)

// Results lists the allowed reply results.
var Results = []string{ResultResolved, ResultExplained, ResultUnresolvable}

// Satisfaction levels in a callback.
const (
	Satisfied       = "satisfied"        // 满意
	FairlySatisfied = "fairly_satisfied" // 基本满意
	Unsatisfied     = "unsatisfied"      // 不满意
)

// Satisfactions lists the allowed satisfaction answers.
var Satisfactions = []string{Satisfied, FairlySatisfied, Unsatisfied}

// Close reasons.
const (
	CloseCallback   = "callback"    // closed after the citizen's callback
	CloseAnswered   = "answered"    // answered directly by the agent
	CloseMerged     = "merged"      // merged into another case
	CloseNoCallback = "no_callback" // closed by the centre without a callback (unreachable, anonymous)
)

// Citizen is the person behind a request. Phone and Name are personal data.
type Citizen struct {
	Name         string `json:"name,omitempty"`
	Phone        string `json:"phone,omitempty"`
	PhoneHash    string `json:"-"`
	Confidential bool   `json:"confidential"` // 保密: not to be disclosed to the handling unit
	Anonymous    bool   `json:"anonymous"`
}

// Location is where the request is about, with the resolved places.
type Location struct {
	Address     string   `json:"address,omitempty"`
	Lat         *float64 `json:"lat,omitempty"`
	Lon         *float64 `json:"lon,omitempty"`
	DistrictID  int64    `json:"district_id,omitempty"`
	StreetID    int64    `json:"street_id,omitempty"`
	CommunityID int64    `json:"community_id,omitempty"`
	GridID      int64    `json:"grid_id,omitempty"`
	// Approximate: Lat/Lon is a representative point of the place (or of
	// the compound or landmark the address names), not where the caller is.
	Approximate bool `json:"approximate,omitempty"`
}

// Case is one citizen request (工单) and its current state.
type Case struct {
	ID          int64    `json:"id"`
	Number      string   `json:"number"`
	Channel     string   `json:"channel"`
	Type        string   `json:"type"`
	Category    string   `json:"category"`
	Urgency     string   `json:"urgency"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Location    Location `json:"location"`
	Citizen     Citizen  `json:"citizen"`
	State       State    `json:"state"`

	LeadUnitID        int64   `json:"lead_unit_id,omitempty"`
	CoUnitIDs         []int64 `json:"co_unit_ids,omitempty"`
	SupervisingUnitID int64   `json:"supervising_unit_id,omitempty"` // copied (抄送) and supervises
	PolicyRule        string  `json:"policy_rule,omitempty"`

	ReturnPending    bool      `json:"return_pending"`
	ReturnReason     string    `json:"return_reason,omitempty"`
	ExtensionPending bool      `json:"extension_pending"`
	ExtensionTo      time.Time `json:"extension_to,omitzero"`
	ExtensionReason  string    `json:"extension_reason,omitempty"`
	Supervised       bool      `json:"supervised"`
	EscalationLevel  int       `json:"escalation_level"`
	DueSoon          bool      `json:"due_soon"`
	Overdue          bool      `json:"overdue"`
	SignedLate       bool      `json:"signed_late"`
	ReopenCount      int       `json:"reopen_count"`
	Extensions       int       `json:"extensions"`
	Returns          int       `json:"returns"`
	MergedInto       int64     `json:"merged_into,omitempty"`

	Suggestion *Suggestion `json:"suggestion,omitempty"` // the duty list's dispatch suggestion at intake
	Repeat     *Repeat     `json:"repeat,omitempty"`     // 重复诉求: earlier requests from the same caller / place

	Result       string `json:"result,omitempty"`
	ReplyText    string `json:"reply_text,omitempty"`
	Resolved     *bool  `json:"resolved,omitempty"`
	Satisfaction string `json:"satisfaction,omitempty"`
	CloseReason  string `json:"close_reason,omitempty"`
	Article      string `json:"article,omitempty"` // knowledge article used in a direct answer

	AcceptBy   time.Time `json:"accept_by,omitzero"`
	DispatchBy time.Time `json:"dispatch_by,omitzero"`
	SignBy     time.Time `json:"sign_by,omitzero"`
	ReplyBy    time.Time `json:"reply_by,omitzero"`
	ReturnBy   time.Time `json:"return_by,omitzero"`

	CreatedAt    time.Time `json:"created_at"`
	ReceivedAt   time.Time `json:"received_at,omitzero"`
	DispatchedAt time.Time `json:"dispatched_at,omitzero"`
	SignedAt     time.Time `json:"signed_at,omitzero"`
	ContactedAt  time.Time `json:"contacted_at,omitzero"`
	RepliedAt    time.Time `json:"replied_at,omitzero"`
	ClosedAt     time.Time `json:"closed_at,omitzero"`
	UpdatedAt    time.Time `json:"updated_at"`

	CreatedBy int64 `json:"created_by,omitempty"`
	Version   int64 `json:"version"` // bumped by every event; optimistic concurrency
	EventSeq  int   `json:"-"`       // seq of the last event
}

// Suggestion is the dispatch suggestion of the duty list (职责清单) in force
// when the case was registered: the version, the rule and its reason.
type Suggestion struct {
	Version    int64   `json:"version"`
	RuleID     int     `json:"rule_id,omitempty"`
	LeadUnitID int64   `json:"lead_unit_id,omitempty"`
	CoUnitIDs  []int64 `json:"co_unit_ids,omitempty"`
	Reason     string  `json:"reason"`
	Ambiguous  bool    `json:"ambiguous,omitempty"`
	TieBreak   string  `json:"tie_break,omitempty"`
	// Reason and TieBreak as codes with arguments, for pages in other
	// languages (absent on cases suggested before they were recorded).
	Why    *dutylist.Why `json:"why,omitempty"`
	TieWhy *dutylist.Why `json:"tie_break_why,omitempty"`
}

// Repeat counts the earlier requests within the repeat window (30 days by
// default) from the same phone (Caller) and at the same grid or community
// in the same category (Place).
type Repeat struct {
	Caller int `json:"repeat_caller,omitempty"`
	Place  int `json:"repeat_place,omitempty"`
}

// IsCoUnit reports whether unit is one of the case's co-handling units.
func (c *Case) IsCoUnit(unit int64) bool { return slices.Contains(c.CoUnitIDs, unit) }

// Event is one append-only record of a transition or an act on a case.
type Event struct {
	ID          int64          `json:"id"`
	CaseID      int64          `json:"case_id"`
	Seq         int            `json:"seq"`
	Action      Action         `json:"action"`
	FromState   State          `json:"from_state,omitempty"`
	ToState     State          `json:"to_state,omitempty"`
	ActorUserID int64          `json:"actor_user_id,omitempty"`
	ActorUnitID int64          `json:"actor_unit_id,omitempty"`
	ActorName   string         `json:"actor_name,omitempty"`
	ActorRole   string         `json:"actor_role,omitempty"`
	At          time.Time      `json:"at"`
	Note        string         `json:"note,omitempty"`
	Data        map[string]any `json:"data,omitempty"`
	Attachments []int64        `json:"attachments,omitempty"`
}

// Timer is a deadline the scheduler must act on once.
type Timer struct {
	CaseID int64
	Kind   string // accept, dispatch, sign, reply, reply_soon
	DueAt  time.Time
}

// Timer kinds.
const (
	TimerAccept    = "accept"
	TimerDispatch  = "dispatch"
	TimerSign      = "sign"
	TimerReply     = "reply"
	TimerReplySoon = "reply_soon"
)
