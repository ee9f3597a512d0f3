package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"whistle/internal/errs"
)

// ExportSchedule is a scheduled open-data export (migration 0024): the
// previous period's open data, as files under <data>/opendata/<Dir>.
type ExportSchedule struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Period     string    `json:"period"` // "monthly" or "weekly"
	Day        int       `json:"day"`    // monthly: 1..28; weekly: 1 Monday .. 7 Sunday
	Formats    []string  `json:"formats"`
	Categories []string  `json:"categories"` // codes or prefixes; empty = all
	Dir        string    `json:"dir"`
	Enabled    bool      `json:"enabled"`
	NextRun    time.Time `json:"next_run"`
	LastRun    time.Time `json:"last_run,omitzero"`
	LastError  string    `json:"last_error,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// ExportFile is one published open-data file.
type ExportFile struct {
	ID         int64     `json:"id"`
	ScheduleID int64     `json:"schedule_id"`
	Period     string    `json:"period"` // "2026-03" or "2026-W10"
	From, To   time.Time `json:"-"`
	Format     string    `json:"format"`
	Path       string    `json:"path"` // relative to <data>/opendata
	Rows       int64     `json:"rows"`
	Bytes      int64     `json:"bytes"`
	SHA256     string    `json:"sha256"`
	CreatedAt  time.Time `json:"created_at"`
}

const exportScheduleCols = "id, name, period, day, formats, categories, dir, enabled, next_run, last_run, last_error, created_at, updated_at"

func scanExportSchedule(sc interface{ Scan(...any) error }) (ExportSchedule, error) {
	var s ExportSchedule
	var formats, cats string
	var enabled int
	var next, last, created, updated int64
	if err := sc.Scan(&s.ID, &s.Name, &s.Period, &s.Day, &formats, &cats, &s.Dir, &enabled, &next, &last, &s.LastError, &created, &updated); err != nil {
		return s, err
	}
	s.Formats, s.Categories, s.Enabled = splitList(formats), splitList(cats), enabled != 0
	s.NextRun, s.LastRun, s.CreatedAt, s.UpdatedAt = fromMS(next), fromMS(last), fromMS(created), fromMS(updated)
	return s, nil
}

// InsertExportSchedule stores a new schedule and sets its ID.
func (q Queries) InsertExportSchedule(ctx context.Context, s *ExportSchedule) error {
	return q.row(ctx, "INSERT INTO export_schedules(name, period, day, formats, categories, dir, enabled, next_run, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id",
		s.Name, s.Period, s.Day, strings.Join(s.Formats, ","), strings.Join(s.Categories, ","), s.Dir, b2i(s.Enabled), ms(s.NextRun), ms(s.CreatedAt), ms(s.UpdatedAt)).Scan(&s.ID)
}

// UpdateExportSchedule replaces a schedule's settings and next run.
func (q Queries) UpdateExportSchedule(ctx context.Context, s ExportSchedule) error {
	return affected1(q.exec(ctx, "UPDATE export_schedules SET name = ?, period = ?, day = ?, formats = ?, categories = ?, dir = ?, enabled = ?, next_run = ?, updated_at = ? WHERE id = ?",
		s.Name, s.Period, s.Day, strings.Join(s.Formats, ","), strings.Join(s.Categories, ","), s.Dir, b2i(s.Enabled), ms(s.NextRun), ms(s.UpdatedAt), s.ID))
}

// DeleteExportSchedule deletes a schedule (its published files stay).
func (q Queries) DeleteExportSchedule(ctx context.Context, id int64) error {
	return affected1(q.exec(ctx, "DELETE FROM export_schedules WHERE id = ?", id))
}

// ExportScheduleByID reads one schedule (404 when there is none).
func (q Queries) ExportScheduleByID(ctx context.Context, id int64) (ExportSchedule, error) {
	s, err := scanExportSchedule(q.row(ctx, "SELECT "+exportScheduleCols+" FROM export_schedules WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, errs.E(errs.NotFound)
	}
	return s, err
}

// ExportSchedules lists every schedule, by id.
func (q Queries) ExportSchedules(ctx context.Context) ([]ExportSchedule, error) {
	return q.exportSchedules(ctx, "SELECT "+exportScheduleCols+" FROM export_schedules ORDER BY id")
}

// DueExportSchedules lists the enabled schedules due at now, oldest due
// first, at most limit.
func (q Queries) DueExportSchedules(ctx context.Context, now time.Time, limit int) ([]ExportSchedule, error) {
	return q.exportSchedules(ctx, "SELECT "+exportScheduleCols+" FROM export_schedules WHERE enabled = 1 AND next_run <= ? ORDER BY next_run, id LIMIT ?", ms(now), limit)
}

func (q Queries) exportSchedules(ctx context.Context, query string, args ...any) ([]ExportSchedule, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ExportSchedule
	for rows.Next() {
		s, err := scanExportSchedule(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// ClaimExportRun claims the run of schedule id that was due at seen (the
// next_run the caller read): it moves next_run on to next and stamps
// last_run, only if next_run still equals seen and the schedule is
// enabled. It reports whether this caller got the run; of several callers
// (nodes) that read the same due schedule exactly one does.
func (q Queries) ClaimExportRun(ctx context.Context, id int64, seen, next, now time.Time) (bool, error) {
	res, err := q.exec(ctx, "UPDATE export_schedules SET next_run = ?, last_run = ? WHERE id = ? AND next_run = ? AND enabled = 1", ms(next), ms(now), id, ms(seen))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// SetExportRunError records the outcome of a schedule's last run ("" when
// it went well).
func (q Queries) SetExportRunError(ctx context.Context, id int64, msg string) error {
	_, err := q.exec(ctx, "UPDATE export_schedules SET last_error = ? WHERE id = ?", msg, id)
	return err
}

const exportFileCols = "id, schedule_id, period, period_from, period_to, format, path, row_count, bytes, sha256, created_at"

// InsertExportFile records a published file and sets its ID; a path
// already recorded is errs.Exists.
func (q Queries) InsertExportFile(ctx context.Context, f *ExportFile) error {
	err := q.row(ctx, "INSERT INTO export_files(schedule_id, period, period_from, period_to, format, path, row_count, bytes, sha256, created_at) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id",
		f.ScheduleID, f.Period, ms(f.From), ms(f.To), f.Format, f.Path, f.Rows, f.Bytes, f.SHA256, ms(f.CreatedAt)).Scan(&f.ID)
	return uniq(err, "path")
}

// ExportFiles lists published files, newest first, at most limit.
func (q Queries) ExportFiles(ctx context.Context, limit int) ([]ExportFile, error) {
	rows, err := q.query(ctx, "SELECT "+exportFileCols+" FROM export_files ORDER BY created_at DESC, id DESC LIMIT ?", limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ExportFile
	for rows.Next() {
		f, err := scanExportFile(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// ExportFileByPath reads the record of a published file (404 when none).
func (q Queries) ExportFileByPath(ctx context.Context, path string) (ExportFile, error) {
	f, err := scanExportFile(q.row(ctx, "SELECT "+exportFileCols+" FROM export_files WHERE path = ?", path))
	if errors.Is(err, sql.ErrNoRows) {
		return f, errs.E(errs.NotFound)
	}
	return f, err
}

func scanExportFile(sc interface{ Scan(...any) error }) (ExportFile, error) {
	var f ExportFile
	var from, to, created int64
	err := sc.Scan(&f.ID, &f.ScheduleID, &f.Period, &from, &to, &f.Format, &f.Path, &f.Rows, &f.Bytes, &f.SHA256, &created)
	f.From, f.To, f.CreatedAt = fromMS(from), fromMS(to), fromMS(created)
	return f, err
}
