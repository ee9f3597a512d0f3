// Package summons holds the rules of 街乡吹哨、部门报到: a street blows the
// whistle (吹哨) for a problem it cannot solve alone, summoning departments;
// each summoned department must report on site (报到) by a deadline, act,
// and report what it did; none may leave before the street closes the
// whistle (事不完，人不撤). The street then rates every department, and the
// ratings weigh in the department's monthly assessment.
//
// It is pure: the cases service loads a Whistle, calls these functions, and
// stores the result with its log entry and timers in one transaction.
package summons

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"whistle/internal/errs"
	"whistle/internal/lifecycle"
)

// Kinds of whistle, each with its own report-by limit.
const (
	KindUrgent   = "urgent"            // 紧急
	KindJoint    = "joint_enforcement" // 联合执法
	KindOrdinary = "ordinary"          // 一般
)

// Kinds lists the whistle kinds.
var Kinds = []string{KindUrgent, KindJoint, KindOrdinary}

// Sources of a whistle.
const (
	SourceCases   = "cases"   // raised from one or more requests
	SourceFinding = "finding" // raised from a grid patrol finding
	SourceOwn     = "own"     // raised by the street on its own
)

// Sources lists the whistle sources.
var Sources = []string{SourceCases, SourceFinding, SourceOwn}

// Whistle states.
const (
	Open   = "open"
	Closed = "closed"
)

// Report states of one summoned department.
const (
	Summoned     = "summoned"     // told, not yet acknowledged
	Acknowledged = "acknowledged" // 已响应
	Arrived      = "arrived"      // 已报到 on site
	Reported     = "reported"     // 已反馈 what it did (still on site until the street closes)
	Left         = "left"         // left after the whistle closed
)

// Rating scales.
const (
	ScaleStars  = "stars"  // 1–5
	ScalePoints = "points" // 0–100
)

// Config holds the report-by limits per kind, in minutes.
type Config struct {
	ReportMinutes map[string]int `json:"report_minutes"`
}

// DefaultConfig: every kind reports within 30 minutes.
func DefaultConfig() Config {
	return Config{ReportMinutes: map[string]int{KindUrgent: 30, KindJoint: 30, KindOrdinary: 30}}
}

// Validate checks c.
func (c Config) Validate() error {
	for k, m := range c.ReportMinutes {
		if !slices.Contains(Kinds, k) {
			return fmt.Errorf("unknown kind %q", k)
		}
		if m < 1 || m > 7*24*60 {
			return fmt.Errorf("%s: report within 1 to 10080 minutes", k)
		}
	}
	return nil
}

// Within returns the report-by limit of kind.
func (c Config) Within(kind string) time.Duration {
	m, ok := c.ReportMinutes[kind]
	if !ok {
		m = DefaultConfig().ReportMinutes[kind]
	}
	return time.Duration(m) * time.Minute
}

// Report is one summoned department's part.
type Report struct {
	UnitID       int64     `json:"unit_id"`
	UnitName     string    `json:"unit_name,omitempty"`
	State        string    `json:"state"`
	ReportBy     time.Time `json:"report_by"`
	AckedAt      time.Time `json:"acked_at,omitzero"`
	ArrivedAt    time.Time `json:"arrived_at,omitzero"`
	ArrivedPlace string    `json:"arrived_place,omitempty"`
	ActedAt      time.Time `json:"acted_at,omitzero"`
	ReportedAt   time.Time `json:"reported_at,omitzero"`
	Report       string    `json:"report,omitempty"`
	LeftAt       time.Time `json:"left_at,omitzero"`
	Late         bool      `json:"late"`   // arrived after the report-by time
	Missed       bool      `json:"missed"` // not on site when the report-by time passed (flagged by the timer)
	Rated        bool      `json:"rated"`
	Rating       float64   `json:"rating"` // 0–100
	RatingNote   string    `json:"rating_note,omitempty"`
}

// Whistle is one 吹哨.
type Whistle struct {
	ID           int64     `json:"id"`
	StreetUnitID int64     `json:"street_unit_id"`
	RaisedBy     int64     `json:"raised_by"`
	Source       string    `json:"source"`
	CaseIDs      []int64   `json:"case_ids,omitempty"`
	FindingID    int64     `json:"finding_id,omitempty"`
	PlaceID      int64     `json:"place_id,omitempty"`
	Address      string    `json:"address"`
	Need         string    `json:"need"`
	Kind         string    `json:"kind"`
	State        string    `json:"state"`
	RaisedAt     time.Time `json:"raised_at"`
	ReportBy     time.Time `json:"report_by"`
	ClosedAt     time.Time `json:"closed_at,omitzero"`
	ClosedBy     int64     `json:"closed_by,omitempty"`
	Summary      string    `json:"summary,omitempty"`
	Version      int64     `json:"version"`
	Reports      []Report  `json:"reports"`
}

// Report returns the part of unit, if summoned.
func (w *Whistle) Report(unit int64) (*Report, bool) {
	for i := range w.Reports {
		if w.Reports[i].UnitID == unit {
			return &w.Reports[i], true
		}
	}
	return nil, false
}

// Raise describes a new whistle.
type Raise struct {
	Source    string    `json:"source"`
	CaseIDs   []int64   `json:"case_ids,omitempty"`
	FindingID int64     `json:"finding_id,omitempty"`
	PlaceID   int64     `json:"place_id,omitempty"`
	Address   string    `json:"address"`
	Need      string    `json:"need"`
	Kind      string    `json:"kind"`
	UnitIDs   []int64   `json:"unit_ids"`
	ReportBy  time.Time `json:"report_by,omitzero"` // explicit; zero = by kind
}

func blank(s string) bool { return lifecycle.Blank(s) }

// New builds a whistle from r raised by street at now; the units are
// already known to be departments or enterprises.
func New(r Raise, street, by int64, now time.Time, cfg Config) (Whistle, error) {
	if !slices.Contains(Sources, r.Source) {
		return Whistle{}, errs.F(errs.Invalid, "source")
	}
	if r.Source == SourceCases && len(r.CaseIDs) == 0 {
		return Whistle{}, errs.F(errs.FieldRequired, "case_ids")
	}
	if r.Source == SourceFinding && r.FindingID == 0 {
		return Whistle{}, errs.F(errs.FieldRequired, "finding_id")
	}
	if r.Kind == "" {
		r.Kind = KindOrdinary
	}
	if !slices.Contains(Kinds, r.Kind) {
		return Whistle{}, errs.F(errs.Invalid, "kind")
	}
	if blank(r.Need) {
		return Whistle{}, errs.F(errs.FieldRequired, "need")
	}
	if blank(r.Address) && r.PlaceID == 0 {
		return Whistle{}, errs.F(errs.FieldRequired, "address")
	}
	if len(r.UnitIDs) == 0 {
		return Whistle{}, errs.F(errs.FieldRequired, "unit_ids")
	}
	if len(r.UnitIDs) > 30 || len(r.CaseIDs) > 50 {
		return Whistle{}, errs.F(errs.TooLarge, "unit_ids")
	}
	by2 := r.ReportBy
	if by2.IsZero() {
		by2 = now.Add(cfg.Within(r.Kind))
	} else if !by2.After(now) {
		return Whistle{}, errs.F(errs.DeadlineInPast, "report_by")
	}
	w := Whistle{StreetUnitID: street, RaisedBy: by, Source: r.Source, CaseIDs: r.CaseIDs, FindingID: r.FindingID,
		PlaceID: r.PlaceID, Address: lifecycle.Trim(r.Address), Need: lifecycle.Trim(r.Need), Kind: r.Kind,
		State: Open, RaisedAt: now, ReportBy: by2, Version: 1}
	for _, u := range r.UnitIDs {
		if u == street {
			return Whistle{}, errs.F(errs.SameUnit, "unit_ids")
		}
		if _, dup := w.Report(u); dup {
			continue
		}
		w.Reports = append(w.Reports, Report{UnitID: u, State: Summoned, ReportBy: by2})
	}
	return w, nil
}

// Actions of a summoned department and of the street.
const (
	ActAck    = "ack"    // department: seen, on its way
	ActArrive = "arrive" // department: on site (报到), with the place
	ActAct    = "act"    // department: what it is doing
	ActReport = "report" // department: what it did
	ActLeave  = "leave"  // department: leaves — only once the street has closed
	ActClose  = "close"  // street: closes and rates every department
	ActMissed = "missed" // system: report-by time passed without arrival
)

// Input carries an action's arguments.
type Input struct {
	Note    string   `json:"note,omitempty"`
	Place   string   `json:"place,omitempty"`
	Ratings []Rating `json:"ratings,omitempty"`
}

// Rating is the street's rating of one department.
type Rating struct {
	UnitID int64   `json:"unit_id"`
	Score  float64 `json:"score"`
	Scale  string  `json:"scale"` // stars (1–5) or points (0–100)
	Note   string  `json:"note,omitempty"`
}

// Points converts a rating to 0–100.
func (r Rating) Points() (float64, error) {
	switch r.Scale {
	case ScaleStars:
		if r.Score < 1 || r.Score > 5 || r.Score != float64(int(r.Score)) {
			return 0, errors.New("stars are 1 to 5")
		}
		return r.Score * 20, nil
	case ScalePoints, "":
		if r.Score < 0 || r.Score > 100 || r.Score != r.Score {
			return 0, errors.New("points are 0 to 100")
		}
		return r.Score, nil
	}
	return 0, errors.New("scale is stars or points")
}

// DeptAct applies a department's action for unit at now.
func DeptAct(w *Whistle, unit int64, action string, in Input, now time.Time) error {
	rp, ok := w.Report(unit)
	if !ok {
		return errs.E(errs.NotFound)
	}
	if action == ActLeave {
		if w.State != Closed {
			return errs.D(errs.InvalidTransition, "事不完，人不撤: a department stays until the street closes the whistle")
		}
		if rp.State == Left {
			return errs.D(errs.InvalidTransition, "already left")
		}
		rp.State, rp.LeftAt = Left, now
		w.Version++
		return nil
	}
	if w.State != Open {
		return errs.D(errs.InvalidTransition, "the whistle is closed")
	}
	switch action {
	case ActAck:
		if rp.State != Summoned {
			return errs.D(errs.InvalidTransition, "already acknowledged")
		}
		rp.State, rp.AckedAt = Acknowledged, now
	case ActArrive:
		if rp.State != Summoned && rp.State != Acknowledged {
			return errs.D(errs.InvalidTransition, "already on site")
		}
		if blank(in.Place) {
			return errs.F(errs.FieldRequired, "place")
		}
		if rp.AckedAt.IsZero() {
			rp.AckedAt = now
		}
		rp.State, rp.ArrivedAt, rp.ArrivedPlace = Arrived, now, lifecycle.Trim(in.Place)
		rp.Late = now.After(rp.ReportBy)
	case ActAct:
		if rp.State != Arrived && rp.State != Reported {
			return errs.D(errs.InvalidTransition, "report on site first")
		}
		if blank(in.Note) {
			return errs.F(errs.FieldRequired, "note")
		}
		rp.ActedAt = now
	case ActReport:
		if rp.State != Arrived && rp.State != Reported {
			return errs.D(errs.InvalidTransition, "report on site first")
		}
		if blank(in.Note) {
			return errs.F(errs.FieldRequired, "note")
		}
		rp.State, rp.ReportedAt, rp.Report = Reported, now, lifecycle.Trim(in.Note)
	default:
		return errs.D(errs.Invalid, "unknown action %q", action)
	}
	w.Version++
	return nil
}

// Close closes an open whistle with a summary and a rating of every
// summoned department.
func Close(w *Whistle, by int64, in Input, now time.Time) error {
	if w.State != Open {
		return errs.D(errs.InvalidTransition, "the whistle is closed")
	}
	if blank(in.Note) {
		return errs.F(errs.FieldRequired, "note")
	}
	seen := map[int64]bool{}
	for _, r := range in.Ratings {
		rp, ok := w.Report(r.UnitID)
		if !ok || seen[r.UnitID] {
			return &errs.Error{Code: errs.Invalid, Field: "ratings", Detail: fmt.Sprintf("unit %d", r.UnitID)}
		}
		p, err := r.Points()
		if err != nil {
			return &errs.Error{Code: errs.Invalid, Field: "ratings", Detail: err.Error()}
		}
		seen[r.UnitID] = true
		rp.Rated, rp.Rating, rp.RatingNote = true, p, lifecycle.Trim(r.Note)
	}
	if len(seen) != len(w.Reports) {
		return &errs.Error{Code: errs.FieldRequired, Field: "ratings", Detail: "rate every summoned department"}
	}
	w.State, w.ClosedAt, w.ClosedBy, w.Summary = Closed, now, by, lifecycle.Trim(in.Note)
	w.Version++
	return nil
}

// Missed flags unit's part when its report-by time has passed without it
// on site. It reports whether anything changed (a timer that no longer
// matters is spent silently).
func Missed(w *Whistle, unit int64, due time.Time) bool {
	rp, ok := w.Report(unit)
	if !ok || w.State != Open || !rp.ReportBy.Equal(due) || !rp.ArrivedAt.IsZero() || rp.Missed {
		return false
	}
	rp.Missed = true
	w.Version++
	return true
}
