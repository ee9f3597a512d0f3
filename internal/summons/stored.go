package summons

import "time"

// Records as the store keeps and lists them.

// LogEntry is one act on a whistle.
type LogEntry struct {
	ID          int64     `json:"id"`
	WhistleID   int64     `json:"whistle_id"`
	UnitID      int64     `json:"unit_id,omitempty"`
	Action      string    `json:"action"`
	ActorUserID int64     `json:"actor_user_id,omitempty"`
	At          time.Time `json:"at"`
	Note        string    `json:"note,omitempty"`
}

// StreetStats are one street's whistles in a period.
type StreetStats struct {
	UnitID   int64 `json:"unit_id"`
	Whistles int64 `json:"whistles"`
	Closed   int64 `json:"closed"`
	Urgent   int64 `json:"urgent"`
	Joint    int64 `json:"joint_enforcement"`
	Ordinary int64 `json:"ordinary"`
}

// DeptStats are one department's reports in a period.
type DeptStats struct {
	UnitID       int64    `json:"unit_id"`
	Summoned     int64    `json:"summoned"`
	Arrived      int64    `json:"arrived"`
	OnTime       int64    `json:"on_time"`
	Late         int64    `json:"late"`
	Missed       int64    `json:"missed"`
	Reported     int64    `json:"reported"`
	AvgArriveMin *float64 `json:"avg_arrive_minutes"` // from the whistle to arrival
	Rated        int64    `json:"rated"`
	AvgRating    *float64 `json:"avg_rating"`
}
