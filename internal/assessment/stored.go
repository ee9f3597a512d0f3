package assessment

import "time"

// Records as the store keeps and lists them.

// PublishedMonth is a month frozen with its rule-set version and results.
type PublishedMonth struct {
	Period       string    `json:"period"`
	RulesVersion int       `json:"rules_version"`
	Results      string    `json:"-"`
	PublishedBy  int64     `json:"published_by"`
	PublishedAt  time.Time `json:"published_at"`
}

// Exemption is a request to leave a case out of a unit's score (免考核).
type Exemption struct {
	ID           int64     `json:"id"`
	CaseID       int64     `json:"case_id"`
	UnitID       int64     `json:"unit_id"`
	Reason       string    `json:"reason"`
	Evidence     string    `json:"evidence"`
	Attachments  []int64   `json:"attachments,omitempty"`
	State        string    `json:"state"`
	RequestedBy  int64     `json:"requested_by"`
	RequestedAt  time.Time `json:"requested_at"`
	DecidedBy    int64     `json:"decided_by,omitempty"`
	DecidedAt    time.Time `json:"decided_at,omitzero"`
	DecisionNote string    `json:"decision_note,omitempty"`
}

// ExemptionFilter selects exemptions; zero fields match anything.
type ExemptionFilter struct {
	State  string
	UnitID int64
	CaseID int64
	Limit  int
}

// Item is an extra item credited to a unit for a month (a 主动治理 topic).
type Item struct {
	ID        int64     `json:"id"`
	UnitID    int64     `json:"unit_id"`
	Period    string    `json:"period"`
	Kind      string    `json:"kind"`
	Note      string    `json:"note"`
	CreatedBy int64     `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}
