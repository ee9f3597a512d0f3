// Package publish is the scheduled publication of open data (issue #13,
// docs/OPENDATA.md "Scheduled publication"): administrators keep schedules
// (monthly on day N, or weekly on a weekday; formats; categories; a
// directory), and a worker on any node writes each due schedule's previous
// period as files under <data>/opendata/<dir>, with the rows and rules of
// the open-data export (retention.OpenData: no personal data, no free
// text, approximate points), and records every file (period, rows,
// SHA-256) for the administrators' list and the public index.
package publish

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"whistle/internal/core"
	"whistle/internal/csvsafe"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/retention"
	"whistle/internal/store"
)

// Periods of a schedule.
const (
	Monthly = "monthly"
	Weekly  = "weekly"
)

// Formats a schedule may publish.
var Formats = []string{"csv", "xlsx", "jsonl"}

// MaxXLSXRows is a worksheet's limit below its header row; a period with
// more rows is published in the other formats and the run records the
// error.
const MaxXLSXRows = 1_048_575

// RunHour is the local hour at which a due schedule becomes due on its day.
const RunHour = 1

// Service keeps the schedules and runs them.
type Service struct {
	*core.Core
	// Dir is the publication directory (<data>/opendata); "" = schedules
	// can be kept but runs fail (no directory to publish in).
	Dir string
}

// New returns the publication service over the core.
func New(c *core.Core) *Service { return &Service{Core: c} }

// ScheduleInput is what an administrator sets of a schedule.
type ScheduleInput struct {
	Name       string   `json:"name"`
	Period     string   `json:"period"`
	Day        int      `json:"day"`
	Formats    []string `json:"formats"`
	Categories []string `json:"categories"`
	Dir        string   `json:"dir"`
	Enabled    bool     `json:"enabled"`
}

var dirName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)
var categoryCode = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)*$`)

func (in *ScheduleInput) check() error {
	var problems []*errs.Error
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		problems = append(problems, errs.F(errs.FieldRequired, "name"))
	} else if core.TooLong(in.Name, 100) {
		problems = append(problems, &errs.Error{Code: errs.Invalid, Field: "name", Detail: "at most 100 characters"})
	}
	switch {
	case in.Period == Monthly && (in.Day < 1 || in.Day > 28):
		problems = append(problems, &errs.Error{Code: errs.Invalid, Field: "day", Detail: "1..28 for a monthly schedule"})
	case in.Period == Weekly && (in.Day < 1 || in.Day > 7):
		problems = append(problems, &errs.Error{Code: errs.Invalid, Field: "day", Detail: "1 (Monday)..7 (Sunday) for a weekly schedule"})
	case in.Period != Monthly && in.Period != Weekly:
		problems = append(problems, &errs.Error{Code: errs.Invalid, Field: "period", Detail: "monthly or weekly"})
	}
	var fs []string
	for _, f := range in.Formats {
		f = strings.TrimSpace(f)
		if !slices.Contains(Formats, f) {
			problems = append(problems, &errs.Error{Code: errs.Invalid, Field: "formats", Detail: "csv, xlsx, jsonl"})
			break
		}
		if !slices.Contains(fs, f) {
			fs = append(fs, f)
		}
	}
	if len(fs) == 0 && len(in.Formats) == 0 {
		problems = append(problems, errs.F(errs.FieldRequired, "formats"))
	}
	in.Formats = fs
	var cs []string
	for _, c := range in.Categories {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if !categoryCode.MatchString(c) {
			problems = append(problems, &errs.Error{Code: errs.Invalid, Field: "categories", Detail: "category codes or prefixes"})
			break
		}
		cs = append(cs, c)
	}
	in.Categories = cs
	if !dirName.MatchString(in.Dir) {
		problems = append(problems, &errs.Error{Code: errs.Invalid, Field: "dir", Detail: "lower-case letters, digits, - and _, at most 40"})
	}
	return errs.All(problems...)
}

// NextRun is the first time a schedule of period and day is due after t:
// RunHour o'clock (local) on day `day` of a month, or on weekday `day`
// (1 Monday .. 7 Sunday).
func NextRun(period string, day int, t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	if period == Weekly {
		d := time.Date(t.Year(), t.Month(), t.Day(), RunHour, 0, 0, 0, loc)
		wd := int(d.Weekday())
		if wd == 0 {
			wd = 7
		}
		d = d.AddDate(0, 0, (day-wd+7)%7)
		for !d.After(t) {
			d = d.AddDate(0, 0, 7)
		}
		return d
	}
	d := time.Date(t.Year(), t.Month(), day, RunHour, 0, 0, 0, loc)
	for !d.After(t) {
		d = time.Date(d.Year(), d.Month()+1, day, RunHour, 0, 0, 0, loc)
	}
	return d
}

// PeriodBefore is the period a run due at `due` publishes: the calendar
// month (monthly) or ISO week (weekly, Monday to Monday) before the one
// `due` falls in, as a label ("2026-03", "2026-W10") and bounds.
func PeriodBefore(period string, due time.Time, loc *time.Location) (string, time.Time, time.Time) {
	due = due.In(loc)
	if period == Weekly {
		day := time.Date(due.Year(), due.Month(), due.Day(), 0, 0, 0, 0, loc)
		wd := int(day.Weekday())
		if wd == 0 {
			wd = 7
		}
		to := day.AddDate(0, 0, 1-wd)
		from := to.AddDate(0, 0, -7)
		y, w := from.ISOWeek()
		return fmt.Sprintf("%04d-W%02d", y, w), from, to
	}
	to := time.Date(due.Year(), due.Month(), 1, 0, 0, 0, 0, loc)
	from := to.AddDate(0, -1, 0)
	return from.Format("2006-01"), from, to
}

// Schedules lists every schedule (administrators only).
func (s *Service) Schedules(ctx context.Context, a org.Actor) ([]store.ExportSchedule, error) {
	if err := core.RequireAdmin(a); err != nil {
		return nil, err
	}
	xs, err := s.St.ExportSchedules(ctx)
	for i := range xs {
		xs[i] = s.local(xs[i])
	}
	return xs, err
}

// local shows a schedule's times in the city's time zone.
func (s *Service) local(sc store.ExportSchedule) store.ExportSchedule {
	loc := s.Location()
	sc.NextRun, sc.CreatedAt, sc.UpdatedAt = sc.NextRun.In(loc), sc.CreatedAt.In(loc), sc.UpdatedAt.In(loc)
	if !sc.LastRun.IsZero() {
		sc.LastRun = sc.LastRun.In(loc)
	}
	return sc
}

// SaveSchedule creates (id 0) or replaces a schedule; its next run is
// computed from now. Administrators only; audited.
func (s *Service) SaveSchedule(ctx context.Context, a org.Actor, id int64, in ScheduleInput) (store.ExportSchedule, error) {
	if err := core.RequireAdmin(a); err != nil {
		return store.ExportSchedule{}, err
	}
	if err := in.check(); err != nil {
		return store.ExportSchedule{}, err
	}
	now := s.Now()
	sc := store.ExportSchedule{ID: id, Name: in.Name, Period: in.Period, Day: in.Day, Formats: in.Formats, Categories: in.Categories,
		Dir: in.Dir, Enabled: in.Enabled, NextRun: NextRun(in.Period, in.Day, now, s.Location()), CreatedAt: now, UpdatedAt: now}
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		if id == 0 {
			if err := tx.InsertExportSchedule(ctx, &sc); err != nil {
				return err
			}
		} else if err := tx.UpdateExportSchedule(ctx, sc); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "export_schedule_save", "export_schedule:"+strconv.FormatInt(sc.ID, 10), in)
	})
	if err != nil {
		return store.ExportSchedule{}, err
	}
	sc, err = s.St.ExportScheduleByID(ctx, sc.ID)
	return s.local(sc), err
}

// DeleteSchedule deletes a schedule; its published files stay.
// Administrators only; audited.
func (s *Service) DeleteSchedule(ctx context.Context, a org.Actor, id int64) error {
	if err := core.RequireAdmin(a); err != nil {
		return err
	}
	return s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteExportSchedule(ctx, id); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "export_schedule_delete", "export_schedule:"+strconv.FormatInt(id, 10), nil)
	})
}

// MaxListedFiles is how many published files the index lists.
const MaxListedFiles = 1000

// Files lists the published files, newest first (public: they hold open
// data only).
func (s *Service) Files(ctx context.Context) ([]store.ExportFile, error) {
	xs, err := s.St.ExportFiles(ctx, MaxListedFiles)
	for i := range xs {
		xs[i].CreatedAt = xs[i].CreatedAt.In(s.Location())
	}
	return xs, err
}

// OpenFile opens a published file by its recorded path (404 for a path
// that was not published by a schedule).
func (s *Service) OpenFile(ctx context.Context, path string) (store.ExportFile, *os.File, error) {
	rec, err := s.St.ExportFileByPath(ctx, path)
	if err != nil {
		return rec, nil, err
	}
	if s.Dir == "" || !filepath.IsLocal(rec.Path) {
		return rec, nil, errs.E(errs.NotFound)
	}
	f, err := os.Open(filepath.Join(s.Dir, filepath.FromSlash(rec.Path)))
	if errors.Is(err, os.ErrNotExist) {
		return rec, nil, errs.E(errs.NotFound)
	}
	return rec, f, err
}

// RunDue runs the schedules due now: each one is claimed in the database
// first (its next run moved on with a compare-and-set), so that with
// several nodes polling each run happens on exactly one. It returns how
// many runs this call made. A run's failure is recorded on its schedule
// (last_error) and does not stop the others.
func (s *Service) RunDue(ctx context.Context) (int, error) {
	now := s.Now()
	due, err := s.St.DueExportSchedules(ctx, now, 20)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, sc := range due {
		next := NextRun(sc.Period, sc.Day, now, s.Location())
		var got bool
		err := s.St.Write(ctx, func(tx *store.Tx) error {
			var err error
			got, err = tx.ClaimExportRun(ctx, sc.ID, sc.NextRun, next, now)
			return err
		})
		if err != nil {
			return n, err
		}
		if !got {
			continue // another node has it
		}
		n++
		msg := ""
		if err := s.run(ctx, sc, sc.NextRun); err != nil {
			msg = err.Error()
			s.Log.Warn("open-data publication failed", "schedule", sc.ID, "err", err)
		}
		if err := s.St.Write(ctx, func(tx *store.Tx) error { return tx.SetExportRunError(ctx, sc.ID, msg) }); err != nil {
			return n, err
		}
	}
	return n, nil
}

// run publishes the period before due in each of the schedule's formats.
func (s *Service) run(ctx context.Context, sc store.ExportSchedule, due time.Time) error {
	if s.Dir == "" {
		return errors.New("publish: no publication directory")
	}
	label, from, to := PeriodBefore(sc.Period, due, s.Location())
	var failed []string
	for _, format := range sc.Formats {
		if err := s.publish(ctx, sc, label, from, to, format); err != nil {
			failed = append(failed, format+": "+err.Error())
		}
	}
	if len(failed) > 0 {
		return errors.New(strings.Join(failed, "; "))
	}
	return nil
}

// FileName is the name of a period's file in a format.
func FileName(label, format string) string { return "whistle-opendata-" + label + "." + format }

func (s *Service) publish(ctx context.Context, sc store.ExportSchedule, label string, from, to time.Time, format string) error {
	rel := sc.Dir + "/" + FileName(label, format)
	if _, err := s.St.ExportFileByPath(ctx, rel); err == nil {
		return nil // published before (a re-run after an edit of the schedule)
	} else if !errs.Is(err, errs.NotFound) {
		return err
	}
	dir := filepath.Join(s.Dir, sc.Dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".publish-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename there is nothing left to remove
	h := sha256.New()
	cw := &counter{w: io.MultiWriter(tmp, h)}
	rows, err := s.write(ctx, cw, sc.Categories, from, to, format)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	final := filepath.Join(dir, FileName(label, format))
	if err := os.Rename(tmp.Name(), final); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	f := store.ExportFile{ScheduleID: sc.ID, Period: label, From: from, To: to, Format: format, Path: rel,
		Rows: int64(rows), Bytes: cw.n, SHA256: hex.EncodeToString(h.Sum(nil)), CreatedAt: s.Now()}
	return s.St.Write(ctx, func(tx *store.Tx) error { return tx.InsertExportFile(ctx, &f) })
}

// inCategories: a row counts for a schedule limited to categories when its
// category is one of them or below one (a withheld category never is).
func inCategories(cats []string, code string) bool {
	if len(cats) == 0 {
		return true
	}
	for _, c := range cats {
		if code != "" && (code == c || strings.HasPrefix(code, c+".")) {
			return true
		}
	}
	return false
}

// write writes the open-data rows created in [from, to) in the format.
func (s *Service) write(ctx context.Context, w io.Writer, cats []string, from, to time.Time, format string) (int, error) {
	od := retention.NewOpenData(s.Core)
	n := 0
	each := func(emit func(retention.OpenCase) error) error {
		return od.Range(ctx, from, to, func(c retention.OpenCase) error {
			if !inCategories(cats, c.Category) {
				return nil
			}
			n++
			return emit(c)
		})
	}
	switch format {
	case "csv":
		cw, err := csvsafe.NewWriter(w)
		if err != nil {
			return 0, err
		}
		if err := cw.Write(retention.OpenColumns); err != nil {
			return 0, err
		}
		err = each(func(c retention.OpenCase) error { return cw.Write(openRecord(c)) })
		if err != nil {
			return n, err
		}
		return n, cw.Flush()
	case "jsonl":
		return n, each(func(c retention.OpenCase) error {
			b, err := json.Marshal(c)
			if err != nil {
				return err
			}
			_, err = w.Write(append(b, '\n'))
			return err
		})
	case "xlsx":
		x := excelize.NewFile()
		defer x.Close()
		sw, err := x.NewStreamWriter("Sheet1")
		if err != nil {
			return 0, err
		}
		head := make([]any, len(retention.OpenColumns))
		for i, c := range retention.OpenColumns {
			head[i] = c
		}
		if err := sw.SetRow("A1", head); err != nil {
			return 0, err
		}
		err = each(func(c retention.OpenCase) error {
			if n > MaxXLSXRows {
				return fmt.Errorf("more than %d rows for XLSX", MaxXLSXRows)
			}
			rec := openRecord(c)
			cells := make([]any, len(rec))
			for i, v := range rec {
				cells[i] = v
			}
			cell, err := excelize.CoordinatesToCellName(1, n+1)
			if err != nil {
				return err
			}
			return sw.SetRow(cell, cells)
		})
		if err != nil {
			return n, err
		}
		if err := sw.Flush(); err != nil {
			return n, err
		}
		_, err = x.WriteTo(w)
		return n, err
	}
	return 0, fmt.Errorf("publish: unknown format %q", format)
}

// openRecord is an open-data row as the CSV export writes it.
func openRecord(c retention.OpenCase) []string {
	f := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', 3, 64)
	}
	b := func(p *bool) string {
		if p == nil {
			return ""
		}
		return strconv.FormatBool(*p)
	}
	return []string{c.Number, c.Channel, c.Type, c.Category, c.CategoryName, c.District, c.Street,
		f(c.Lat), f(c.Lon), c.CreatedDate, c.ClosedDate, c.State, b(c.OnTime), b(c.Satisfied), strconv.FormatBool(c.DetailWithheld)}
}

type counter struct {
	w io.Writer
	n int64
}

func (c *counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
