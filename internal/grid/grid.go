// Package grid holds the rules of 网格化 management: who looks after a grid
// (网格员 grid workers, 街巷长 street/lane chiefs, 小巷管家 lane stewards),
// patrols (巡查) with their track, and findings against the "十无" checklist,
// each of which becomes a case on channel "grid": solved on the spot, handed
// to the street, or sent to the centre to be dispatched like any order.
//
// It is pure: the cases service checks, stores and turns findings into cases.
package grid

import (
	"math"
	"slices"
	"time"

	"whistle/internal/errs"
	"whistle/internal/lifecycle"
)

// Duties of the people assigned to a grid.
const (
	DutyGridWorker  = "grid_worker"  // 网格员
	DutyLaneChief   = "lane_chief"   // 街巷长
	DutyLaneSteward = "lane_steward" // 小巷管家
)

// Duties lists the grid duties.
var Duties = []string{DutyGridWorker, DutyLaneChief, DutyLaneSteward}

// Items is the "十无" street checklist a finding is filed against.
var Items = []string{
	"illegal_building", // 无违法建设
	"illegal_parking",  // 无乱停乱放
	"road_occupation",  // 无占道经营
	"overhead_wires",   // 无架空线乱象
	"damaged_facade",   // 无破损立面
	"illegal_signs",    // 无违规广告牌匾
	"damaged_road",     // 无破损道路
	"illegal_business", // 无违规经营
	"piled_materials",  // 无乱堆乱放
}

// Outcomes of a finding.
const (
	SolvedOnSite = "solved_on_site" // closed at once, with evidence
	ToStreet     = "street"         // dispatched to the grid's street office
	ToCentre     = "dispatch"       // received by the centre, dispatched like any order
)

// Outcomes lists the finding outcomes.
var Outcomes = []string{SolvedOnSite, ToStreet, ToCentre}

// Patrol states.
const (
	Patrolling = "patrolling"
	Ended      = "ended"
)

// Point is one recorded position of a patrol: the phone's fix, or — when
// the phone gives none — a pin the walker set by hand on the map (Manual).
// Only fixes make the patrolled track.
type Point struct {
	At     time.Time `json:"at"`
	Lat    float64   `json:"lat"`
	Lon    float64   `json:"lon"`
	Manual bool      `json:"manual,omitempty"`
}

// Track returns the GPS positions of pts, in order: the patrolled track.
func Track(pts []Point) []Point {
	out := make([]Point, 0, len(pts))
	for _, p := range pts {
		if !p.Manual {
			out = append(out, p)
		}
	}
	return out
}

// Validate checks a point.
func (p Point) Validate() error {
	if p.Lat < -90 || p.Lat > 90 || p.Lon < -180 || p.Lon > 180 || math.IsNaN(p.Lat) || math.IsNaN(p.Lon) {
		return errs.F(errs.InvalidLocation, "points")
	}
	if p.At.IsZero() {
		return errs.F(errs.FieldRequired, "points.at")
	}
	return nil
}

// Patrol is one walk of a grid.
type Patrol struct {
	ID        int64     `json:"id"`
	GridID    int64     `json:"grid_id"`
	UserID    int64     `json:"user_id"`
	State     string    `json:"state"`
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
	Points    int       `json:"points"`                  // every position recorded, pins included
	Manual    int       `json:"manual_points,omitempty"` // positions pinned by hand
	Meters    float64   `json:"meters"`                  // along the GPS track
	Findings  int       `json:"findings"`
	Note      string    `json:"note,omitempty"`
}

// Tracked reports whether the patrol has a GPS track: only then was the
// grid walked, as far as coverage goes.
func (p Patrol) Tracked() bool { return p.Points > p.Manual }

// FindingInput is what a patrol reports.
type FindingInput struct {
	Item        string   `json:"item"`     // one of Items
	Category    string   `json:"category"` // the case taxonomy leaf
	Description string   `json:"description"`
	Lat         *float64 `json:"lat,omitempty"`
	Lon         *float64 `json:"lon,omitempty"`
	Address     string   `json:"address,omitempty"`
	Attachments []int64  `json:"attachments,omitempty"` // photos
	Outcome     string   `json:"outcome"`
	Evidence    string   `json:"evidence,omitempty"` // solved on the spot: what was done
}

// Validate checks a finding's own fields.
func (f FindingInput) Validate() error {
	if !slices.Contains(Items, f.Item) {
		return errs.F(errs.Invalid, "item")
	}
	if !slices.Contains(Outcomes, f.Outcome) {
		return errs.F(errs.Invalid, "outcome")
	}
	if lifecycle.Blank(f.Description) {
		return errs.F(errs.FieldRequired, "description")
	}
	if f.Outcome == SolvedOnSite && (lifecycle.Blank(f.Evidence) || len(f.Attachments) == 0) {
		return errs.D(errs.FieldRequired, "solved on the spot needs evidence text and a photo")
	}
	return nil
}

// Finding is a reported problem and the case it became.
type Finding struct {
	ID        int64     `json:"id"`
	PatrolID  int64     `json:"patrol_id"`
	GridID    int64     `json:"grid_id"`
	UserID    int64     `json:"user_id"`
	Item      string    `json:"item"`
	Outcome   string    `json:"outcome"`
	CaseID    int64     `json:"case_id"`
	CreatedAt time.Time `json:"created_at"`
}

// Meters is the length of a track in metres (haversine).
func Meters(pts []Point) float64 {
	const r = 6371000.0
	var sum float64
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		la1, la2 := a.Lat*math.Pi/180, b.Lat*math.Pi/180
		dla, dlo := la2-la1, (b.Lon-a.Lon)*math.Pi/180
		h := math.Sin(dla/2)*math.Sin(dla/2) + math.Cos(la1)*math.Cos(la2)*math.Sin(dlo/2)*math.Sin(dlo/2)
		sum += 2 * r * math.Asin(math.Min(1, math.Sqrt(h)))
	}
	return math.Round(sum*10) / 10
}

// Week returns the ISO week (Monday 00:00 to the next Monday) holding t, in t's zone.
func Week(t time.Time) (time.Time, time.Time) {
	d := (int(t.Weekday()) + 6) % 7
	from := time.Date(t.Year(), t.Month(), t.Day()-d, 0, 0, 0, 0, t.Location())
	return from, from.AddDate(0, 0, 7)
}
