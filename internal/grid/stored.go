package grid

import "time"

// Records as the store keeps and lists them.

// Assignment is a person looking after a grid with a duty.
type Assignment struct {
	GridID     int64     `json:"grid_id"`
	UserID     int64     `json:"user_id"`
	Duty       string    `json:"duty"`
	AssignedBy int64     `json:"assigned_by"`
	AssignedAt time.Time `json:"assigned_at"`
}

// Activity is one grid's patrols and findings in a period.
type Activity struct {
	GridID        int64    `json:"grid_id"`
	Patrols       int64    `json:"patrols"`          // patrols with a GPS track
	Pinned        int64    `json:"pinned,omitempty"` // patrols with positions pinned by hand only
	Findings      int64    `json:"findings"`
	Closed        int64    `json:"closed"`                    // findings whose case is closed
	AvgCloseHours *float64 `json:"avg_close_hours,omitempty"` // from finding to closure
}
