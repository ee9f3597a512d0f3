package store

import (
	"context"
	"database/sql"
	"time"

	"whistle/internal/volunteering"
)

// ---- the care list (关爱对象, issue #15) ----
//
// Only the community service reads these tables, for the community's own
// staff; no export does.

const careCols = "c.id, c.unit_id, c.name, c.phone, c.address, c.care_type, c.consent_by, c.consent_method, c.consent_at, c.consent_recorded_by, c.every_days, c.created_at, c.removed_at, c.removed_reason, " +
	"(SELECT COALESCE(MAX(v.visited_at), 0) FROM care_visits v WHERE v.subject_id = c.id), (SELECT COUNT(*) FROM care_visits v WHERE v.subject_id = c.id)"

// A person's name, phone and address and a visit's note are sealed at
// rest like a citizen's (sealing.go).
func (q Queries) scanCare(sc interface{ Scan(...any) error }) (volunteering.Subject, error) {
	var s volunteering.Subject
	var cat, at, removed, last int64
	err := sc.Scan(&s.ID, &s.UnitID, &s.Name, &s.Phone, &s.Address, &s.CareType, &s.Consent.By, &s.Consent.Method, &cat, &s.Consent.RecordedBy, &s.EveryDays, &at, &removed, &s.RemovedReason, &last, &s.Visits)
	s.Consent.At, s.CreatedAt, s.LastVisit, s.RemovedAt = fromMS(cat), fromMS(at), fromMS(last), fromMS(removed)
	if err == nil {
		err = q.openAll(&s.Name, &s.Phone, &s.Address)
	}
	return s, err
}

// InsertCareSubject stores a person on the care list and sets s.ID.
func (q Queries) InsertCareSubject(ctx context.Context, s *volunteering.Subject) error {
	return q.row(ctx, "INSERT INTO care_subjects(unit_id, name, phone, address, care_type, consent_by, consent_method, consent_at, consent_recorded_by, every_days, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
		s.UnitID, q.seal(s.Name), q.seal(s.Phone), q.seal(s.Address), s.CareType, s.Consent.By, s.Consent.Method, ms(s.Consent.At), s.Consent.RecordedBy, s.EveryDays, ms(s.CreatedAt)).Scan(&s.ID)
}

// CareSubject loads one person on the care list with the last visit.
func (q Queries) CareSubject(ctx context.Context, id int64) (volunteering.Subject, error) {
	s, err := q.scanCare(q.row(ctx, "SELECT "+careCols+" FROM care_subjects c WHERE c.id = ?", id))
	return s, notFound(err)
}

// CareSubjects lists a unit's care list (the people still on it), by id.
func (q Queries) CareSubjects(ctx context.Context, unitID int64) ([]volunteering.Subject, error) {
	out := []volunteering.Subject{}
	err := q.scanRows(ctx, "SELECT "+careCols+" FROM care_subjects c WHERE c.unit_id = ? AND c.removed_at = 0 ORDER BY c.id", []any{unitID}, func(r *sql.Rows) error {
		s, err := q.scanCare(r)
		out = append(out, s)
		return err
	})
	return out, err
}

// RemoveCareSubject takes a person off the list at `at` for reason: the
// row stays (unit, care type, consent's kind and method, times) for the
// ledger's counts, while the name, phone and address and the notes of
// every visit are erased. It returns how many visit notes it erased;
// errs.NotFound when the person is not on the list (any more).
func (q Queries) RemoveCareSubject(ctx context.Context, id int64, reason string, at time.Time) (int, error) {
	res, err := q.exec(ctx, "UPDATE care_subjects SET name = '', phone = '', address = '', removed_at = ?, removed_reason = ? WHERE id = ? AND removed_at = 0",
		ms(at), reason, id)
	if err := volAffected(res, err); err != nil {
		return 0, err
	}
	res, err = q.exec(ctx, "UPDATE care_visits SET note = '' WHERE subject_id = ? AND note <> ''", id)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// InsertCareVisit stores a visit and sets v.ID.
func (q Queries) InsertCareVisit(ctx context.Context, v *volunteering.Visit) error {
	return q.row(ctx, "INSERT INTO care_visits(subject_id, unit_id, user_id, volunteer_id, visited_at, note) VALUES (?,?,?,?,?,?) RETURNING id",
		v.SubjectID, v.UnitID, v.UserID, v.VolunteerID, ms(v.At), q.seal(v.Note)).Scan(&v.ID)
}

// CareVisits lists a subject's visits, newest first.
func (q Queries) CareVisits(ctx context.Context, subjectID int64, limit int) ([]volunteering.Visit, error) {
	out := []volunteering.Visit{}
	err := q.scanRows(ctx, "SELECT id, subject_id, unit_id, user_id, volunteer_id, visited_at, note FROM care_visits WHERE subject_id = ? ORDER BY visited_at DESC, id DESC LIMIT ?",
		[]any{subjectID, limit}, func(r *sql.Rows) error {
			var v volunteering.Visit
			var at int64
			err := r.Scan(&v.ID, &v.SubjectID, &v.UnitID, &v.UserID, &v.VolunteerID, &at, &v.Note)
			v.At = fromMS(at)
			if err == nil {
				err = q.openAll(&v.Note)
			}
			out = append(out, v)
			return err
		})
	return out, err
}

// CareVisitCount is one visit as the ledgers count it: no name, no phone,
// no address, no note.
type CareVisitCount struct {
	SubjectID   int64
	UnitID      int64
	CareType    string
	At          time.Time
	ByVolunteer bool
}

// CareVisitsForLedger lists the visits of units in [from, to), by time,
// without anything that names the person visited.
func (q Queries) CareVisitsForLedger(ctx context.Context, unitIDs []int64, from, to time.Time) ([]CareVisitCount, error) {
	out := []CareVisitCount{}
	if len(unitIDs) == 0 {
		return out, nil
	}
	args := []any{ms(from), ms(to)}
	for _, id := range unitIDs {
		args = append(args, id)
	}
	err := q.scanRows(ctx, "SELECT v.subject_id, v.unit_id, c.care_type, v.visited_at, v.volunteer_id FROM care_visits v JOIN care_subjects c ON c.id = v.subject_id "+
		"WHERE v.visited_at >= ? AND v.visited_at < ? AND v.unit_id IN ("+marks(len(unitIDs))+") ORDER BY v.visited_at, v.id", args, func(r *sql.Rows) error {
		var c CareVisitCount
		var at, vol int64
		err := r.Scan(&c.SubjectID, &c.UnitID, &c.CareType, &at, &vol)
		c.At, c.ByVolunteer = fromMS(at), vol != 0
		out = append(out, c)
		return err
	})
	return out, err
}
