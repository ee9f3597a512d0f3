// Package agenda holds the rules of 每月一题 and 未诉先办 as the centre runs
// them: topics chosen from the analysis (or by hand) with matching criteria,
// a lead unit and partners, a goal, and tasks with owners and due dates;
// proactive tasks proposed from last year's history and reviewed by the
// centre. It knows no SQL and no HTTP.
package agenda

import "time"

// Topic states.
const (
	Active = "active" // being worked on
	Met    = "met"    // the goal was met by its date
	Missed = "missed" // the goal's date passed without meeting it
	Closed = "closed" // closed by the centre without a verdict
)

// Task kinds and states.
const (
	KindTopic     = "topic"     // a task of a topic
	KindProactive = "proactive" // 未诉先办: issued before complaints arrive
	// KindDeliberation: a follow-up task of a community deliberation's
	// decision (议事协商, internal/deliberation); DeliberationID names it.
	KindDeliberation = "deliberation"

	TaskProposed = "proposed" // a proactive proposal awaiting the centre's review
	TaskOpen     = "open"     // in the owner's inbox
	TaskDone     = "done"     // reported done by the owner
	TaskRejected = "rejected" // a proposal the centre turned down
	TaskCanceled = "canceled" // withdrawn by the centre
)

// Criteria say which requests belong to a topic: any of the categories
// (codes; a prefix matches its children), inside any of the places (any
// level; none means the whole city), and, when keywords are given, whose
// text holds at least one of them.
type Criteria struct {
	Categories []string `json:"categories,omitempty"`
	PlaceIDs   []int64  `json:"place_ids,omitempty"`
	Keywords   []string `json:"keywords,omitempty"`
}

// Goal is what the topic promises: the matching requests per week down by
// Reduction (0.3 = 30 %) within Months of the start, measured against the
// Comparison ("last_year": the same weeks a year earlier; "before": the
// weeks before the start).
type Goal struct {
	Reduction  float64 `json:"reduction"`
	Months     int     `json:"months"`
	Comparison string  `json:"comparison,omitempty"`
}

// Topic is one 每月一题 topic.
type Topic struct {
	ID             int64     `json:"id"`
	Title          string    `json:"title"`
	Summary        string    `json:"summary,omitempty"`
	State          string    `json:"state"`
	LeadUnitID     int64     `json:"lead_unit_id"`
	PartnerUnitIDs []int64   `json:"partner_unit_ids,omitempty"`
	Criteria       Criteria  `json:"criteria"`
	Goal           Goal      `json:"goal"`
	Source         string    `json:"source,omitempty"`   // "candidate" or "manual"
	Evidence       string    `json:"evidence,omitempty"` // the candidate's evidence when chosen (JSON)
	StartedAt      time.Time `json:"started_at"`
	GoalBy         time.Time `json:"goal_by,omitzero"`
	Outcome        *Outcome  `json:"outcome,omitempty"` // set when the goal is judged
	CreatedBy      int64     `json:"created_by"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	Version        int64     `json:"version"`
}

// Outcome is the verdict on a topic's goal.
type Outcome struct {
	JudgedAt time.Time `json:"judged_at"`
	Met      bool      `json:"met"`
	Change   float64   `json:"change"`             // relative change of weekly requests against the comparison (-0.35 = down 35 %)
	Before   float64   `json:"before"`             // weekly requests in the comparison
	After    float64   `json:"after"`              // weekly requests since the start
	P        float64   `json:"p"`                  // one-sided p-value of the fall
	Credited string    `json:"credited,omitempty"` // the assessment month (YYYY-MM) the lead unit was credited for
	Note     string    `json:"note,omitempty"`
}

// Task is a task with an owner unit and a due date: a topic's task or a
// proactive one.
type Task struct {
	ID        int64     `json:"id"`
	TopicID   int64     `json:"topic_id,omitempty"`
	Kind      string    `json:"kind"`
	State     string    `json:"state"`
	UnitID    int64     `json:"unit_id"`
	Title     string    `json:"title"`
	Detail    string    `json:"detail,omitempty"`
	Category  string    `json:"category,omitempty"`
	PlaceIDs  []int64   `json:"place_ids,omitempty"`
	Evidence  string    `json:"evidence,omitempty"` // why it was proposed (e.g. last year's requests in these weeks)
	DueAt     time.Time `json:"due_at"`
	Note      string    `json:"note,omitempty"` // the owner's report when done, or the centre's reason
	DoneAt    time.Time `json:"done_at,omitzero"`
	CreatedBy int64     `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   int64     `json:"version"`
	// DeliberationID is the deliberation of a KindDeliberation task.
	DeliberationID int64 `json:"deliberation_id,omitempty"`
}

// TaskFilter selects tasks.
type TaskFilter struct {
	UnitID  int64
	TopicID int64
	Kind    string
	States  []string
	Limit   int
}
