package volunteering

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"whistle/internal/errs"
)

// Care types of the care list (关爱对象).
const (
	CareElderlyAlone = "elderly_alone" // 独居老人
	CareDisabled     = "disabled"      // 残疾人
	CareLeftBehind   = "left_behind"   // 留守儿童
)

// CareTypes lists the care types.
var CareTypes = []string{CareElderlyAlone, CareDisabled, CareLeftBehind}

// Consent: who agreed to be on the list (the person or a guardian), how
// (written, verbal with a witness, by a guardian's signature) and when.
const (
	ConsentSelf     = "self"
	ConsentGuardian = "guardian"

	ConsentWritten = "written"
	ConsentVerbal  = "verbal"
)

// Consent is the recorded agreement.
type Consent struct {
	By         string    `json:"by"`     // self or guardian
	Method     string    `json:"method"` // written or verbal
	At         time.Time `json:"at"`
	RecordedBy int64     `json:"recorded_by"`
}

// Subject is one person on a community's care list, with the visit plan
// (every EveryDays days). The most sensitive record of the system: only
// the community's own staff see it (the community service enforces it).
type Subject struct {
	ID        int64     `json:"id"`
	UnitID    int64     `json:"unit_id"`
	Name      string    `json:"name"`
	Phone     string    `json:"phone"`
	Address   string    `json:"address"`
	CareType  string    `json:"care_type"`
	Consent   Consent   `json:"consent"`
	EveryDays int       `json:"every_days"`
	CreatedAt time.Time `json:"created_at"`
	LastVisit time.Time `json:"last_visit,omitzero"` // read
	Visits    int       `json:"visits"`              // read
	// RemovedAt is when the person left the list (zero: on it), for
	// RemovedReason; the name, phone, address and visit notes are gone.
	RemovedAt     time.Time `json:"removed_at,omitzero"`
	RemovedReason string    `json:"removed_reason,omitempty"`
}

// Why a person leaves the care list. Whatever the reason, what identifies
// the person is erased at once: the list exists only with their consent.
const (
	RemovedConsentWithdrawn = "consent_withdrawn" // 本人或监护人撤回同意
	RemovedMovedAway        = "moved_away"        // 迁出本社区
	RemovedDeceased         = "deceased"          // 去世
	RemovedNotNeeded        = "not_needed"        // 不再需要关爱
)

// RemovalReasons lists the reasons, in the order the form shows them.
var RemovalReasons = []string{RemovedConsentWithdrawn, RemovedMovedAway, RemovedDeceased, RemovedNotNeeded}

// ValidateRemoval checks that s may leave the list for reason.
func ValidateRemoval(s Subject, reason string) error {
	switch {
	case !s.RemovedAt.IsZero():
		return errs.D(errs.Conflict, "already removed")
	case !slices.Contains(RemovalReasons, reason):
		return errs.F(errs.Invalid, "reason")
	}
	return nil
}

// Visit is one visit made to a subject, by a staff member or grid worker
// (UserID) or a volunteer (VolunteerID, also UserID of its account).
type Visit struct {
	ID          int64     `json:"id"`
	SubjectID   int64     `json:"subject_id"`
	UnitID      int64     `json:"unit_id"`
	UserID      int64     `json:"user_id"`
	VolunteerID int64     `json:"volunteer_id,omitempty"`
	At          time.Time `json:"at"`
	Note        string    `json:"note"`
}

// ValidateSubject checks a subject before it is stored: no one goes on the
// list without a recorded consent.
func ValidateSubject(s Subject) error {
	switch {
	case strings.TrimSpace(s.Name) == "":
		return errs.F(errs.FieldRequired, "name")
	case utf8.RuneCountInString(s.Name) > 40:
		return errs.F(errs.FieldTooLong, "name")
	case s.Phone != "" && !phoneOK(s.Phone):
		return errs.F(errs.InvalidPhone, "phone")
	case strings.TrimSpace(s.Address) == "":
		return errs.F(errs.FieldRequired, "address")
	case utf8.RuneCountInString(s.Address) > 200:
		return errs.F(errs.FieldTooLong, "address")
	case !slices.Contains(CareTypes, s.CareType):
		return errs.F(errs.Invalid, "care_type")
	case s.Consent.By != ConsentSelf && s.Consent.By != ConsentGuardian:
		return errs.F(errs.FieldRequired, "consent_by")
	case s.Consent.Method != ConsentWritten && s.Consent.Method != ConsentVerbal:
		return errs.F(errs.FieldRequired, "consent_method")
	case s.Consent.At.IsZero():
		return errs.F(errs.FieldRequired, "consent_at")
	case s.Consent.At.After(s.CreatedAt):
		return errs.F(errs.Invalid, "consent_at")
	case s.EveryDays < 1 || s.EveryDays > 366:
		return errs.F(errs.Invalid, "every_days")
	}
	return nil
}

// NextVisit is when the next visit is due: EveryDays after the last visit,
// or after the subject was put on the list when never visited.
func NextVisit(s Subject) time.Time {
	from := s.LastVisit
	if from.IsZero() {
		from = s.CreatedAt
	}
	return from.AddDate(0, 0, s.EveryDays)
}

// OverdueDays is how many days (a part day counting as one) the next
// visit is late at now (0: not overdue).
func OverdueDays(s Subject, now time.Time) int {
	due := NextVisit(s)
	if !now.After(due) {
		return 0
	}
	return int((now.Sub(due) + 24*time.Hour - 1) / (24 * time.Hour)) // a part day counts as one
}

// Overdue lists the subjects whose visit is overdue at now, most overdue
// first.
func Overdue(ss []Subject, now time.Time) []Subject {
	var out []Subject
	for _, s := range ss {
		if OverdueDays(s, now) > 0 {
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out, func(a, b Subject) int { return OverdueDays(b, now) - OverdueDays(a, now) })
	return out
}

// ValidateVisit checks a visit.
func ValidateVisit(v Visit, now time.Time) error {
	switch {
	case v.At.IsZero():
		return errs.F(errs.FieldRequired, "at")
	case v.At.After(now):
		return errs.F(errs.Invalid, "at")
	case utf8.RuneCountInString(v.Note) > 2000:
		return errs.F(errs.FieldTooLong, "note")
	}
	return nil
}
