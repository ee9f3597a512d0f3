package lifecycle

import "time"

// Records as the store keeps and lists them.

// CaseFilter selects cases in a list. Zero fields do not filter.
type CaseFilter struct {
	States        []State
	Open          *bool
	LeadUnitID    int64
	CoUnitID      int64 // cases the unit co-handles (协办)
	DistrictID    int64
	StreetID      int64
	CommunityID   int64
	GridID        int64
	Category      string // exact code or prefix ("urban" matches "urban.stall")
	Type          string
	Channel       string
	Overdue       *bool
	Supervised    *bool
	ReturnPending *bool
	ExtPending    *bool
	PhoneHash     string
	CreatedFrom   time.Time
	CreatedTo     time.Time
	// Sort is "created" (newest first, the default) or "due" (nearest deadline first).
	Sort string
	// Cursor continues a previous page (opaque, from ListPage.Next).
	Cursor string
	Limit  int
}

// ListPage is one page of cases.
type ListPage struct {
	Cases []*Case `json:"cases"`
	Next  string  `json:"next,omitempty"`
}

// Link is a relation from one case to another.
type Link struct {
	OtherID int64  `json:"case_id"`
	Kind    string `json:"kind"`
}

// Attachment is a stored file (a photo, a PDF).
type Attachment struct {
	ID          int64     `json:"id"`
	CaseID      int64     `json:"case_id,omitempty"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	Storage     string    `json:"-"` // "db" or "disk:<path>"
	CreatedBy   int64     `json:"created_by,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// FlaggedCase is a case with its repeat flag.
type FlaggedCase struct {
	Flag  string `json:"flag"`
	Count int    `json:"count"`
	Case  *Case  `json:"case"`
}

// UnitLoad is one unit's open and overdue orders (as lead unit).
type UnitLoad struct {
	UnitID  int64 `json:"unit_id"`
	Open    int   `json:"open"`
	Overdue int   `json:"overdue"`
}

// Repeat flags (重复诉求) recorded on a case at intake.
const (
	FlagRepeatCaller = "repeat_caller"
	FlagRepeatPlace  = "repeat_place"
)
