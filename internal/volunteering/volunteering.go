// Package volunteering holds the rules of volunteers (志愿者) and of the
// care list (关爱对象) of a community (issue #15): volunteer records and
// their duties (志愿者, 小巷管家, 街巷长 on the same record), tasks with
// slots, check-in and check-out, hours and points (积分) by a configurable
// exchange, and care subjects with consent, visit plans and overdue visits.
//
// It is pure: the community service checks, stores and audits.
package volunteering

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"whistle/internal/errs"
	"whistle/internal/grid"
)

// Volunteer states.
const (
	Pending  = "pending"  // registered on the portal, awaiting the community
	Active   = "active"   // approved: holds an account
	Rejected = "rejected" // refused by the community
	Left     = "left"     // left the registry: the account no longer signs in
)

// Duties a volunteer record carries: an ordinary volunteer, or the grid's
// 小巷管家 and 街巷长 (grid.Duties) — the same people, on the same records.
const (
	DutyVolunteer   = "volunteer"
	DutyLaneSteward = grid.DutyLaneSteward // 小巷管家
	DutyLaneChief   = grid.DutyLaneChief   // 街巷长
)

// Duties lists the duties of a volunteer record.
var Duties = []string{DutyVolunteer, DutyLaneSteward, DutyLaneChief}

// Skills a volunteer may offer.
var Skills = []string{"patrol", "care", "medical", "repair", "teaching", "driving", "translation", "other"}

// Volunteer is one person in a community's registry. UserID links the
// account that signs in (0 while pending); a lane chief who is staff links
// the existing user.
type Volunteer struct {
	ID         int64     `json:"id"`
	UnitID     int64     `json:"unit_id"` // the community unit
	Name       string    `json:"name"`
	Phone      string    `json:"phone"`
	Skills     []string  `json:"skills"`
	Duty       string    `json:"duty"`
	State      string    `json:"state"`
	UserID     int64     `json:"user_id,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	ApprovedBy int64     `json:"approved_by,omitempty"`
	ApprovedAt time.Time `json:"approved_at,omitzero"`
	LeftAt     time.Time `json:"left_at,omitzero"` // when the volunteer left (state Left)
}

// MayLeave reports whether v may leave the registry: only an active
// volunteer leaves (a pending registration is refused instead).
func MayLeave(v Volunteer) error {
	if v.State != Active {
		return errs.D(errs.Conflict, "not active")
	}
	return nil
}

// Erased reports whether a record's personal data is gone (after it left
// or was refused and the retention period passed).
func Erased(v Volunteer) bool { return v.Name == "" && v.Phone == "" }

// phoneOK: a mainland mobile (11 digits starting with 1) or a landline of
// 7 to 12 digits.
func phoneOK(p string) bool {
	if len(p) < 7 || len(p) > 12 {
		return false
	}
	for _, r := range p {
		if r < '0' || r > '9' {
			return false
		}
	}
	return len(p) != 11 || p[0] == '1'
}

// Registration is what a resident types on the portal.
type Registration struct {
	UnitID int64    `json:"unit_id"`
	Name   string   `json:"name"`
	Phone  string   `json:"phone"`
	Skills []string `json:"skills"`
}

// Register checks a registration and returns the pending record.
func Register(r Registration, now time.Time) (Volunteer, error) {
	r.Name, r.Phone = strings.TrimSpace(r.Name), strings.TrimSpace(r.Phone)
	switch {
	case r.UnitID == 0:
		return Volunteer{}, errs.F(errs.FieldRequired, "unit_id")
	case r.Name == "":
		return Volunteer{}, errs.F(errs.FieldRequired, "name")
	case utf8.RuneCountInString(r.Name) > 40:
		return Volunteer{}, errs.F(errs.FieldTooLong, "name")
	case r.Phone == "":
		return Volunteer{}, errs.F(errs.FieldRequired, "phone")
	case !phoneOK(r.Phone):
		return Volunteer{}, errs.F(errs.InvalidPhone, "phone")
	}
	var skills []string
	for _, s := range r.Skills {
		if s == "" {
			continue
		}
		if !slices.Contains(Skills, s) {
			return Volunteer{}, errs.F(errs.Invalid, "skills")
		}
		if !slices.Contains(skills, s) {
			skills = append(skills, s)
		}
	}
	return Volunteer{UnitID: r.UnitID, Name: r.Name, Phone: r.Phone, Skills: skills, Duty: DutyVolunteer, State: Pending, CreatedAt: now}, nil
}

// Task kinds.
const (
	TaskPatrol    = "patrol"     // 巡逻
	TaskCareVisit = "care_visit" // 探访
	TaskEvent     = "event"      // 活动
	TaskEmergency = "emergency"  // 应急
)

// TaskKinds lists the task kinds.
var TaskKinds = []string{TaskPatrol, TaskCareVisit, TaskEvent, TaskEmergency}

// Task is a piece of volunteer work a community publishes.
type Task struct {
	ID        int64     `json:"id"`
	UnitID    int64     `json:"unit_id"`
	Kind      string    `json:"kind"`
	Title     string    `json:"title"`
	Place     string    `json:"place"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	Slots     int       `json:"slots"`
	CreatedBy int64     `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	Taken     int       `json:"taken"` // sign-ups so far (read)
}

// MaxSlots bounds a task's slots.
const MaxSlots = 500

// ValidateTask checks a task before it is published.
func ValidateTask(t Task) error {
	switch {
	case !slices.Contains(TaskKinds, t.Kind):
		return errs.F(errs.Invalid, "kind")
	case strings.TrimSpace(t.Title) == "":
		return errs.F(errs.FieldRequired, "title")
	case utf8.RuneCountInString(t.Title) > 100:
		return errs.F(errs.FieldTooLong, "title")
	case strings.TrimSpace(t.Place) == "":
		return errs.F(errs.FieldRequired, "place")
	case utf8.RuneCountInString(t.Place) > 100:
		return errs.F(errs.FieldTooLong, "place")
	case t.StartsAt.IsZero():
		return errs.F(errs.FieldRequired, "starts_at")
	case !t.EndsAt.After(t.StartsAt):
		return errs.F(errs.Invalid, "ends_at")
	case t.EndsAt.Sub(t.StartsAt) > 24*time.Hour:
		return errs.D(errs.Invalid, "a task lasts at most 24 hours")
	case t.Slots < 1 || t.Slots > MaxSlots:
		return errs.F(errs.Invalid, "slots")
	}
	return nil
}

// Signup is one volunteer on one task: signed up, checked in and out (by
// the server's clock), the minutes worked and the staff's confirmation
// with the points it earned.
type Signup struct {
	TaskID      int64     `json:"task_id"`
	VolunteerID int64     `json:"volunteer_id"`
	SignedAt    time.Time `json:"signed_at"`
	CheckIn     time.Time `json:"check_in,omitzero"`
	CheckOut    time.Time `json:"check_out,omitzero"`
	Minutes     int       `json:"minutes"`
	ConfirmedBy int64     `json:"confirmed_by,omitempty"`
	ConfirmedAt time.Time `json:"confirmed_at,omitzero"`
	Points      int       `json:"points"`
}

// Signup states, derived from the times.
const (
	SignedUp  = "signed_up"
	CheckedIn = "checked_in"
	Done      = "done"      // checked out, hours await confirmation
	Confirmed = "confirmed" // hours confirmed, points credited
)

// State is where a sign-up stands.
func (s Signup) State() string {
	switch {
	case !s.ConfirmedAt.IsZero():
		return Confirmed
	case !s.CheckOut.IsZero():
		return Done
	case !s.CheckIn.IsZero():
		return CheckedIn
	}
	return SignedUp
}

// CheckInWindow is how early before its start a task may be checked in.
const CheckInWindow = 2 * time.Hour

// MaySignUp tells whether a volunteer may still sign up for t at now.
func MaySignUp(t Task, now time.Time) error {
	switch {
	case !now.Before(t.EndsAt):
		return errs.D(errs.Conflict, "the task is over")
	case t.Taken >= t.Slots:
		return errs.D(errs.Conflict, "no slot left")
	}
	return nil
}

// CheckIn records arrival at now: once, from CheckInWindow before the
// start until the end.
func CheckIn(t Task, s *Signup, now time.Time) error {
	switch {
	case !s.CheckIn.IsZero():
		return errs.D(errs.Conflict, "already checked in")
	case now.Before(t.StartsAt.Add(-CheckInWindow)):
		return errs.D(errs.Conflict, "too early to check in")
	case !now.Before(t.EndsAt):
		return errs.D(errs.Conflict, "the task is over")
	}
	s.CheckIn = now
	return nil
}

// CheckOut records departure at now and the minutes worked.
func CheckOut(s *Signup, now time.Time) error {
	switch {
	case s.CheckIn.IsZero():
		return errs.D(errs.Conflict, "not checked in")
	case !s.CheckOut.IsZero():
		return errs.D(errs.Conflict, "already checked out")
	}
	s.CheckOut = now
	s.Minutes = Minutes(s.CheckIn, now)
	return nil
}

// MaxMinutes caps one sign-up's minutes (a forgotten check-out does not
// earn a week).
const MaxMinutes = 12 * 60

// Minutes is the whole minutes between in and out, capped at MaxMinutes,
// never negative.
func Minutes(in, out time.Time) int {
	if in.IsZero() || !out.After(in) {
		return 0
	}
	return min(int(out.Sub(in)/time.Minute), MaxMinutes)
}

// Exchange is the points rule (积分兑换): points per full hour, counted in
// steps of StepMinutes (a part step earns nothing), and nothing below
// MinMinutes.
type Exchange struct {
	PointsPerHour int `json:"points_per_hour"`
	StepMinutes   int `json:"step_minutes"`
	MinMinutes    int `json:"min_minutes"`
}

// DefaultExchange: 10 points an hour, by half hours, from 30 minutes.
var DefaultExchange = Exchange{PointsPerHour: 10, StepMinutes: 30, MinMinutes: 30}

// Validate checks an exchange an administrator sets.
func (e Exchange) Validate() error {
	switch {
	case e.PointsPerHour < 0 || e.PointsPerHour > 1000:
		return errs.F(errs.Invalid, "points_per_hour")
	case e.StepMinutes < 1 || e.StepMinutes > 60 || 60%e.StepMinutes != 0:
		return errs.F(errs.Invalid, "step_minutes")
	case e.MinMinutes < 0 || e.MinMinutes > 240:
		return errs.F(errs.Invalid, "min_minutes")
	}
	return nil
}

// Points is what minutes earn.
func (e Exchange) Points(minutes int) int {
	if minutes <= 0 || minutes < e.MinMinutes || e.StepMinutes <= 0 {
		return 0
	}
	steps := minutes / e.StepMinutes
	return steps * e.PointsPerHour * e.StepMinutes / 60
}

// Confirm confirms the minutes of a checked-out sign-up (staff may lower
// them, never raise them above what the clock recorded) and credits the
// points.
func Confirm(s *Signup, minutes int, by int64, now time.Time, e Exchange) error {
	switch {
	case s.CheckOut.IsZero():
		return errs.D(errs.Conflict, "not checked out")
	case !s.ConfirmedAt.IsZero():
		return errs.D(errs.Conflict, "already confirmed")
	case minutes < 0 || minutes > s.Minutes:
		return errs.F(errs.Invalid, "minutes")
	}
	s.Minutes, s.ConfirmedBy, s.ConfirmedAt, s.Points = minutes, by, now, e.Points(minutes)
	return nil
}

// Hours renders minutes as hours with one decimal (rounded half up).
func Hours(minutes int) float64 { return float64((minutes*10+30)/60) / 10 }

// Left is how many slots are still free.
func (t Task) Left() int { return max(0, t.Slots-t.Taken) }
