package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"whistle/internal/errs"
	"whistle/internal/volunteering"
)

// ---- volunteers (issue #15) ----

const volunteerCols = "id, unit_id, name, phone, skills, duty, state, user_id, created_at, approved_by, approved_at, left_at"

// A volunteer's name and phone are sealed at rest like a citizen's
// (sealing.go).
func (q Queries) scanVolunteer(sc interface{ Scan(...any) error }) (volunteering.Volunteer, error) {
	var v volunteering.Volunteer
	var skills string
	var at, appr, left int64
	err := sc.Scan(&v.ID, &v.UnitID, &v.Name, &v.Phone, &skills, &v.Duty, &v.State, &v.UserID, &at, &v.ApprovedBy, &appr, &left)
	if skills != "" {
		v.Skills = strings.Split(skills, ",")
	}
	v.CreatedAt, v.ApprovedAt, v.LeftAt = fromMS(at), fromMS(appr), fromMS(left)
	if err == nil {
		err = q.openAll(&v.Name, &v.Phone)
	}
	return v, err
}

// openAll opens sealed values in place.
func (q Queries) openAll(fs ...*string) error {
	for _, f := range fs {
		var err error
		if *f, err = q.open(*f); err != nil {
			return err
		}
	}
	return nil
}

// InsertVolunteer stores a volunteer record and sets v.ID.
func (q Queries) InsertVolunteer(ctx context.Context, v *volunteering.Volunteer) error {
	return q.row(ctx, "INSERT INTO volunteers(unit_id, name, phone, skills, duty, state, user_id, created_at, approved_by, approved_at) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id",
		v.UnitID, q.seal(v.Name), q.seal(v.Phone), strings.Join(v.Skills, ","), v.Duty, v.State, v.UserID, ms(v.CreatedAt), v.ApprovedBy, ms(v.ApprovedAt)).Scan(&v.ID)
}

// Volunteer loads a volunteer record (locked in a PostgreSQL write).
func (q Queries) Volunteer(ctx context.Context, id int64) (volunteering.Volunteer, error) {
	v, err := q.scanVolunteer(q.row(ctx, "SELECT "+volunteerCols+" FROM volunteers WHERE id = ?"+q.forUpdate(), id))
	return v, notFound(err)
}

// VolunteerOfUser loads the active volunteer record an account is linked to.
func (q Queries) VolunteerOfUser(ctx context.Context, userID int64) (volunteering.Volunteer, error) {
	v, err := q.scanVolunteer(q.row(ctx, "SELECT "+volunteerCols+" FROM volunteers WHERE user_id = ? AND state = ? ORDER BY id LIMIT 1", userID, volunteering.Active))
	return v, notFound(err)
}

// Volunteers lists a unit's volunteer records, of one state ("" = all), by id.
func (q Queries) Volunteers(ctx context.Context, unitID int64, state string) ([]volunteering.Volunteer, error) {
	query, args := "SELECT "+volunteerCols+" FROM volunteers WHERE unit_id = ?", []any{unitID}
	if state != "" {
		query += " AND state = ?"
		args = append(args, state)
	}
	out := []volunteering.Volunteer{}
	err := q.scanRows(ctx, query+" ORDER BY id", args, func(r *sql.Rows) error {
		v, err := q.scanVolunteer(r)
		out = append(out, v)
		return err
	})
	return out, err
}

// UpdateVolunteer saves a record's state, duty, account, approval and
// leaving time.
func (q Queries) UpdateVolunteer(ctx context.Context, v volunteering.Volunteer) error {
	res, err := q.exec(ctx, "UPDATE volunteers SET state = ?, duty = ?, user_id = ?, approved_by = ?, approved_at = ?, left_at = ? WHERE id = ?",
		v.State, v.Duty, v.UserID, v.ApprovedBy, ms(v.ApprovedAt), ms(v.LeftAt), v.ID)
	return volAffected(res, err)
}

// VolunteersToErase returns up to limit records that left before cutoff
// (state left, by left_at) or were refused before it (state rejected, by
// approved_at, the time of the decision) and still hold a name or phone,
// oldest first.
func (q Queries) VolunteersToErase(ctx context.Context, cutoff time.Time, limit int) ([]volunteering.Volunteer, error) {
	out := []volunteering.Volunteer{}
	err := q.scanRows(ctx, "SELECT "+volunteerCols+" FROM volunteers WHERE ((state = ? AND left_at < ?) OR (state = ? AND approved_at < ?)) AND (name <> '' OR phone <> '') ORDER BY id LIMIT ?",
		[]any{volunteering.Left, ms(cutoff), volunteering.Rejected, ms(cutoff), limit}, func(r *sql.Rows) error {
			v, err := q.scanVolunteer(r)
			out = append(out, v)
			return err
		})
	return out, err
}

// EraseVolunteer erases a record's name and phone (the hours, points,
// skills and dates stay for the ledger).
func (q Queries) EraseVolunteer(ctx context.Context, id int64) error {
	res, err := q.exec(ctx, "UPDATE volunteers SET name = '', phone = '' WHERE id = ?", id)
	return volAffected(res, err)
}

func volAffected(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return errs.E(errs.NotFound)
	}
	return nil
}

// ---- tasks ----

const vtaskCols = "t.id, t.unit_id, t.kind, t.title, t.place, t.starts_at, t.ends_at, t.slots, t.created_by, t.created_at, (SELECT COUNT(*) FROM volunteer_signups s WHERE s.task_id = t.id)"

func scanVTask(sc interface{ Scan(...any) error }) (volunteering.Task, error) {
	var t volunteering.Task
	var st, en, at int64
	err := sc.Scan(&t.ID, &t.UnitID, &t.Kind, &t.Title, &t.Place, &st, &en, &t.Slots, &t.CreatedBy, &at, &t.Taken)
	t.StartsAt, t.EndsAt, t.CreatedAt = fromMS(st), fromMS(en), fromMS(at)
	return t, err
}

// InsertVolunteerTask stores a task and sets t.ID.
func (q Queries) InsertVolunteerTask(ctx context.Context, t *volunteering.Task) error {
	return q.row(ctx, "INSERT INTO volunteer_tasks(unit_id, kind, title, place, starts_at, ends_at, slots, created_by, created_at) VALUES (?,?,?,?,?,?,?,?,?) RETURNING id",
		t.UnitID, t.Kind, t.Title, t.Place, ms(t.StartsAt), ms(t.EndsAt), t.Slots, t.CreatedBy, ms(t.CreatedAt)).Scan(&t.ID)
}

// VolunteerTask loads a task with its sign-up count; in a PostgreSQL write
// the task row is locked, so sign-ups for its last slot are serialised.
func (q Queries) VolunteerTask(ctx context.Context, id int64) (volunteering.Task, error) {
	if q.dialect == Postgres && q.inTx {
		if _, err := q.exec(ctx, "SELECT id FROM volunteer_tasks WHERE id = ? FOR UPDATE", id); err != nil {
			return volunteering.Task{}, err
		}
	}
	t, err := scanVTask(q.row(ctx, "SELECT "+vtaskCols+" FROM volunteer_tasks t WHERE t.id = ?", id))
	return t, notFound(err)
}

// VolunteerTasks lists a unit's tasks ending after from, by start.
func (q Queries) VolunteerTasks(ctx context.Context, unitID int64, from time.Time, limit int) ([]volunteering.Task, error) {
	out := []volunteering.Task{}
	err := q.scanRows(ctx, "SELECT "+vtaskCols+" FROM volunteer_tasks t WHERE t.unit_id = ? AND t.ends_at > ? ORDER BY t.starts_at, t.id LIMIT ?",
		[]any{unitID, ms(from), limit}, func(r *sql.Rows) error {
			t, err := scanVTask(r)
			out = append(out, t)
			return err
		})
	return out, err
}

// ---- sign-ups ----

const signupCols = "task_id, volunteer_id, signed_at, check_in, check_out, minutes, confirmed_by, confirmed_at, points"

func scanSignup(sc interface{ Scan(...any) error }, extra ...any) (volunteering.Signup, error) {
	var s volunteering.Signup
	var at, in, out, conf int64
	err := sc.Scan(append([]any{&s.TaskID, &s.VolunteerID, &at, &in, &out, &s.Minutes, &s.ConfirmedBy, &conf, &s.Points}, extra...)...)
	s.SignedAt, s.CheckIn, s.CheckOut, s.ConfirmedAt = fromMS(at), fromMS(in), fromMS(out), fromMS(conf)
	return s, err
}

// InsertSignup stores a sign-up; the same volunteer twice is errs.Exists.
func (q Queries) InsertSignup(ctx context.Context, s volunteering.Signup) error {
	_, err := q.exec(ctx, "INSERT INTO volunteer_signups("+signupCols+") VALUES (?,?,?,?,?,?,?,?,?)",
		s.TaskID, s.VolunteerID, ms(s.SignedAt), ms(s.CheckIn), ms(s.CheckOut), s.Minutes, s.ConfirmedBy, ms(s.ConfirmedAt), s.Points)
	if isUnique(err) {
		return errs.D(errs.Exists, "already signed up")
	}
	return err
}

// Signup loads one sign-up (locked in a PostgreSQL write).
func (q Queries) Signup(ctx context.Context, taskID, volunteerID int64) (volunteering.Signup, error) {
	s, err := scanSignup(q.row(ctx, "SELECT "+signupCols+" FROM volunteer_signups WHERE task_id = ? AND volunteer_id = ?"+q.forUpdate(), taskID, volunteerID))
	return s, notFound(err)
}

// UpdateSignup saves a sign-up's times, minutes and confirmation.
func (q Queries) UpdateSignup(ctx context.Context, s volunteering.Signup) error {
	res, err := q.exec(ctx, "UPDATE volunteer_signups SET check_in = ?, check_out = ?, minutes = ?, confirmed_by = ?, confirmed_at = ?, points = ? WHERE task_id = ? AND volunteer_id = ?",
		ms(s.CheckIn), ms(s.CheckOut), s.Minutes, s.ConfirmedBy, ms(s.ConfirmedAt), s.Points, s.TaskID, s.VolunteerID)
	return volAffected(res, err)
}

// TaskSignup is a sign-up with the volunteer's name (for the task's staff).
type TaskSignup struct {
	volunteering.Signup
	Name string `json:"name"`
}

// TaskSignups lists a task's sign-ups in order of signing.
func (q Queries) TaskSignups(ctx context.Context, taskID int64) ([]TaskSignup, error) {
	out := []TaskSignup{}
	err := q.scanRows(ctx, "SELECT s.task_id, s.volunteer_id, s.signed_at, s.check_in, s.check_out, s.minutes, s.confirmed_by, s.confirmed_at, s.points, v.name "+
		"FROM volunteer_signups s JOIN volunteers v ON v.id = s.volunteer_id WHERE s.task_id = ? ORDER BY s.signed_at, s.volunteer_id", []any{taskID}, func(r *sql.Rows) error {
		var ts TaskSignup
		var err error
		ts.Signup, err = scanSignup(r, &ts.Name)
		if err == nil {
			err = q.openAll(&ts.Name)
		}
		out = append(out, ts)
		return err
	})
	return out, err
}

// VolunteerSignups lists a volunteer's sign-ups, newest task first.
func (q Queries) VolunteerSignups(ctx context.Context, volunteerID int64, limit int) ([]volunteering.Signup, error) {
	out := []volunteering.Signup{}
	err := q.scanRows(ctx, "SELECT s.task_id, s.volunteer_id, s.signed_at, s.check_in, s.check_out, s.minutes, s.confirmed_by, s.confirmed_at, s.points "+
		"FROM volunteer_signups s JOIN volunteer_tasks t ON t.id = s.task_id WHERE s.volunteer_id = ? ORDER BY t.starts_at DESC, t.id DESC LIMIT ?",
		[]any{volunteerID, limit}, func(r *sql.Rows) error {
			s, err := scanSignup(r)
			out = append(out, s)
			return err
		})
	return out, err
}

// VolunteerBalance is a volunteer's confirmed minutes and points.
func (q Queries) VolunteerBalance(ctx context.Context, volunteerID int64) (minutes, points int, err error) {
	err = q.row(ctx, "SELECT COALESCE(SUM(minutes), 0), COALESCE(SUM(points), 0) FROM volunteer_signups WHERE volunteer_id = ? AND confirmed_at > 0", volunteerID).Scan(&minutes, &points)
	return minutes, points, err
}

// VolunteerService is one confirmed service for the ledgers.
type VolunteerService struct {
	volunteering.Signup
	UnitID    int64
	TaskKind  string
	TaskTitle string
	Name      string
}

// VolunteerServicesForLedger lists the confirmed services of units whose
// check-in falls in [from, to), by check-in.
func (q Queries) VolunteerServicesForLedger(ctx context.Context, unitIDs []int64, from, to time.Time) ([]VolunteerService, error) {
	out := []VolunteerService{}
	if len(unitIDs) == 0 {
		return out, nil
	}
	args := []any{ms(from), ms(to)}
	for _, id := range unitIDs {
		args = append(args, id)
	}
	err := q.scanRows(ctx, "SELECT s.task_id, s.volunteer_id, s.signed_at, s.check_in, s.check_out, s.minutes, s.confirmed_by, s.confirmed_at, s.points, t.unit_id, t.kind, t.title, v.name "+
		"FROM volunteer_signups s JOIN volunteer_tasks t ON t.id = s.task_id JOIN volunteers v ON v.id = s.volunteer_id "+
		"WHERE s.confirmed_at > 0 AND s.check_in >= ? AND s.check_in < ? AND t.unit_id IN ("+marks(len(unitIDs))+") ORDER BY s.check_in, s.task_id, s.volunteer_id",
		args, func(r *sql.Rows) error {
			var vs VolunteerService
			var err error
			vs.Signup, err = scanSignup(r, &vs.UnitID, &vs.TaskKind, &vs.TaskTitle, &vs.Name)
			if err == nil {
				err = q.openAll(&vs.Name)
			}
			out = append(out, vs)
			return err
		})
	return out, err
}
