package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"whistle/internal/errs"
	"whistle/internal/summons"
)

// TimerReportBy is the kind of a whistle's report-by timer.
const TimerReportBy = "report_by"

const whistleCols = "id, street_unit_id, raised_by, source, case_ids, finding_id, place_id, address, need, kind, state, raised_at, report_by, closed_at, closed_by, summary, version"

// InsertWhistle stores a new whistle, its summoned departments and their
// report-by timers, and sets w.ID.
func (q Queries) InsertWhistle(ctx context.Context, w *summons.Whistle) error {
	err := q.row(ctx, "INSERT INTO whistles(street_unit_id, raised_by, source, case_ids, finding_id, place_id, address, need, kind, state, raised_at, report_by, version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
		w.StreetUnitID, w.RaisedBy, w.Source, joinIDs(w.CaseIDs), w.FindingID, w.PlaceID, w.Address, w.Need, w.Kind, w.State, ms(w.RaisedAt), ms(w.ReportBy), w.Version).Scan(&w.ID)
	if err != nil {
		return err
	}
	for _, r := range w.Reports {
		if _, err := q.exec(ctx, "INSERT INTO whistle_reports(whistle_id, unit_id, state, report_by) VALUES (?,?,?,?)", w.ID, r.UnitID, r.State, ms(r.ReportBy)); err != nil {
			return err
		}
		if _, err := q.exec(ctx, "INSERT INTO whistle_timers(whistle_id, unit_id, kind, due_at) VALUES (?,?,?,?)", w.ID, r.UnitID, TimerReportBy, ms(r.ReportBy)); err != nil {
			return err
		}
	}
	return q.outboxWhistleSummoned(ctx, w) // issue #13: in the same transaction
}

func scanWhistle(sc interface{ Scan(...any) error }) (*summons.Whistle, error) {
	w := &summons.Whistle{}
	var caseIDs string
	var raised, by, closed int64
	err := sc.Scan(&w.ID, &w.StreetUnitID, &w.RaisedBy, &w.Source, &caseIDs, &w.FindingID, &w.PlaceID, &w.Address, &w.Need, &w.Kind, &w.State,
		&raised, &by, &closed, &w.ClosedBy, &w.Summary, &w.Version)
	if err != nil {
		return nil, err
	}
	w.RaisedAt, w.ReportBy, w.ClosedAt = fromMS(raised), fromMS(by), fromMS(closed)
	for _, s := range splitList(caseIDs) {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			w.CaseIDs = append(w.CaseIDs, id)
		}
	}
	return w, nil
}

// Whistle loads a whistle with its departments (locked in a PostgreSQL write).
func (q Queries) Whistle(ctx context.Context, id int64) (*summons.Whistle, error) {
	w, err := scanWhistle(q.row(ctx, "SELECT "+whistleCols+" FROM whistles WHERE id = ?"+q.forUpdate(), id))
	if err != nil {
		return nil, notFound(err)
	}
	err = q.scanRows(ctx, "SELECT unit_id, state, report_by, acked_at, arrived_at, arrived_place, acted_at, reported_at, report, left_at, late, missed, rated, rating, rating_note FROM whistle_reports WHERE whistle_id = ? ORDER BY unit_id",
		[]any{id}, func(r *sql.Rows) error {
			var p summons.Report
			var by, ack, arr, act, rep, left int64
			var late, missed, rated int
			if err := r.Scan(&p.UnitID, &p.State, &by, &ack, &arr, &p.ArrivedPlace, &act, &rep, &p.Report, &left, &late, &missed, &rated, &p.Rating, &p.RatingNote); err != nil {
				return err
			}
			p.ReportBy, p.AckedAt, p.ArrivedAt, p.ActedAt, p.ReportedAt, p.LeftAt = fromMS(by), fromMS(ack), fromMS(arr), fromMS(act), fromMS(rep), fromMS(left)
			p.Late, p.Missed, p.Rated = late == 1, missed == 1, rated == 1
			w.Reports = append(w.Reports, p)
			return nil
		})
	return w, err
}

// UpdateWhistle saves w, whose version the rules bumped from prevVersion;
// a concurrent change fails with errs.Conflict.
func (q Queries) UpdateWhistle(ctx context.Context, w *summons.Whistle, prevVersion int64) error {
	res, err := q.exec(ctx, "UPDATE whistles SET state = ?, closed_at = ?, closed_by = ?, summary = ?, version = ? WHERE id = ? AND version = ?",
		w.State, ms(w.ClosedAt), w.ClosedBy, w.Summary, w.Version, w.ID, prevVersion)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E(errs.Conflict)
	}
	for _, p := range w.Reports {
		ratedAt := int64(0)
		if p.Rated {
			ratedAt = ms(w.ClosedAt)
		}
		if _, err := q.exec(ctx, "UPDATE whistle_reports SET state = ?, acked_at = ?, arrived_at = ?, arrived_place = ?, acted_at = ?, reported_at = ?, report = ?, left_at = ?, late = ?, missed = ?, rated = ?, rating = ?, rating_note = ?, rated_at = ? WHERE whistle_id = ? AND unit_id = ?",
			p.State, ms(p.AckedAt), ms(p.ArrivedAt), p.ArrivedPlace, ms(p.ActedAt), ms(p.ReportedAt), p.Report, ms(p.LeftAt), b2i(p.Late), b2i(p.Missed), b2i(p.Rated), p.Rating, p.RatingNote, ratedAt, w.ID, p.UnitID); err != nil {
			return err
		}
	}
	return nil
}

// AppendWhistleLog appends to a whistle's log.
func (q Queries) AppendWhistleLog(ctx context.Context, e *summons.LogEntry) error {
	if err := q.row(ctx, "INSERT INTO whistle_log(whistle_id, unit_id, action, actor_user_id, at, note) VALUES (?,?,?,?,?,?) RETURNING id",
		e.WhistleID, e.UnitID, e.Action, e.ActorUserID, ms(e.At), e.Note).Scan(&e.ID); err != nil {
		return err
	}
	return q.outboxWhistleLog(ctx, e) // issue #13: in the same transaction
}

// WhistleLog returns a whistle's log in order.
func (q Queries) WhistleLog(ctx context.Context, id int64) ([]summons.LogEntry, error) {
	out := []summons.LogEntry{}
	err := q.scanRows(ctx, "SELECT id, whistle_id, unit_id, action, actor_user_id, at, note FROM whistle_log WHERE whistle_id = ? ORDER BY id", []any{id}, func(r *sql.Rows) error {
		var e summons.LogEntry
		var at int64
		if err := r.Scan(&e.ID, &e.WhistleID, &e.UnitID, &e.Action, &e.ActorUserID, &at, &e.Note); err != nil {
			return err
		}
		e.At = fromMS(at)
		out = append(out, e)
		return nil
	})
	return out, err
}

// WhistleFilter selects whistles; zero fields match anything.
type WhistleFilter struct {
	StreetUnitID int64  // raised by this street
	UnitID       int64  // this department is summoned
	State        string // open or closed
	Limit        int
}

// Whistles lists whistles, newest first (without their departments).
func (q Queries) Whistles(ctx context.Context, f WhistleFilter) ([]summons.Whistle, error) {
	var where []string
	var args []any
	if f.StreetUnitID != 0 {
		where, args = append(where, "street_unit_id = ?"), append(args, f.StreetUnitID)
	}
	if f.UnitID != 0 {
		where, args = append(where, "id IN (SELECT whistle_id FROM whistle_reports WHERE unit_id = ?)"), append(args, f.UnitID)
	}
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, f.State)
	}
	query := "SELECT " + whistleCols + " FROM whistles"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 200
	}
	query += " ORDER BY id DESC LIMIT ?"
	args = append(args, f.Limit)
	out := []summons.Whistle{}
	err := q.scanRows(ctx, query, args, func(r *sql.Rows) error {
		w, err := scanWhistle(r)
		if err == nil {
			out = append(out, *w)
		}
		return err
	})
	return out, err
}

// DueWhistleTimer is a report-by deadline whose time has come.
type DueWhistleTimer struct {
	ID, WhistleID, UnitID int64
	Kind                  string
	DueAt                 time.Time
}

// DueWhistleTimers lists unfired whistle timers due at or before now.
func (q Queries) DueWhistleTimers(ctx context.Context, now time.Time, limit int) ([]DueWhistleTimer, error) {
	var out []DueWhistleTimer
	err := q.scanRows(ctx, "SELECT id, whistle_id, unit_id, kind, due_at FROM whistle_timers WHERE fired_at IS NULL AND due_at <= ? ORDER BY due_at, id LIMIT ?",
		[]any{ms(now), limit}, func(r *sql.Rows) error {
			var t DueWhistleTimer
			var due int64
			if err := r.Scan(&t.ID, &t.WhistleID, &t.UnitID, &t.Kind, &due); err != nil {
				return err
			}
			t.DueAt = fromMS(due)
			out = append(out, t)
			return nil
		})
	return out, err
}

// ClaimWhistleTimer marks a whistle timer fired by node; false if it was
// fired already (by another node or an earlier run).
func (q Queries) ClaimWhistleTimer(ctx context.Context, id int64, node string, now time.Time) (bool, error) {
	res, err := q.exec(ctx, "UPDATE whistle_timers SET fired_at = ?, fired_by = ? WHERE id = ? AND fired_at IS NULL", ms(now), node, id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// SummonsRatings sums, per department, the ratings given by streets in
// [from, to) (by closing time), on the 0–100 scale.
func (q Queries) SummonsRatings(ctx context.Context, from, to time.Time) (map[int64][2]float64, error) {
	out := map[int64][2]float64{}
	err := q.scanRows(ctx, "SELECT unit_id, COUNT(*), SUM(rating) FROM whistle_reports WHERE rated = 1 AND rated_at >= ? AND rated_at < ? GROUP BY unit_id",
		[]any{ms(from), ms(to)}, func(r *sql.Rows) error {
			var u, n int64
			var sum float64
			if err := r.Scan(&u, &n, &sum); err != nil {
				return err
			}
			out[u] = [2]float64{float64(n), sum}
			return nil
		})
	return out, err
}

// SummonsStats counts whistles per street and reports per department for
// whistles raised in [from, to).
func (q Queries) SummonsStats(ctx context.Context, from, to time.Time) ([]summons.StreetStats, []summons.DeptStats, error) {
	streets := []summons.StreetStats{}
	err := q.scanRows(ctx, "SELECT street_unit_id, COUNT(*), SUM(CASE WHEN state = 'closed' THEN 1 ELSE 0 END), SUM(CASE WHEN kind = 'urgent' THEN 1 ELSE 0 END), SUM(CASE WHEN kind = 'joint_enforcement' THEN 1 ELSE 0 END), SUM(CASE WHEN kind = 'ordinary' THEN 1 ELSE 0 END) FROM whistles WHERE raised_at >= ? AND raised_at < ? GROUP BY street_unit_id ORDER BY street_unit_id",
		[]any{ms(from), ms(to)}, func(r *sql.Rows) error {
			var s summons.StreetStats
			if err := r.Scan(&s.UnitID, &s.Whistles, &s.Closed, &s.Urgent, &s.Joint, &s.Ordinary); err != nil {
				return err
			}
			streets = append(streets, s)
			return nil
		})
	if err != nil {
		return nil, nil, err
	}
	depts := []summons.DeptStats{}
	err = q.scanRows(ctx, "SELECT r.unit_id, COUNT(*), SUM(CASE WHEN r.arrived_at > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN r.arrived_at > 0 AND r.late = 0 THEN 1 ELSE 0 END), SUM(r.late), SUM(r.missed), "+
		"SUM(CASE WHEN r.reported_at > 0 THEN 1 ELSE 0 END), AVG(CASE WHEN r.arrived_at > 0 THEN (r.arrived_at - w.raised_at) / 60000.0 END), SUM(r.rated), AVG(CASE WHEN r.rated = 1 THEN r.rating END) "+
		"FROM whistle_reports r JOIN whistles w ON w.id = r.whistle_id WHERE w.raised_at >= ? AND w.raised_at < ? GROUP BY r.unit_id ORDER BY r.unit_id",
		[]any{ms(from), ms(to)}, func(r *sql.Rows) error {
			var d summons.DeptStats
			var avgMin, avgRating sql.NullFloat64
			if err := r.Scan(&d.UnitID, &d.Summoned, &d.Arrived, &d.OnTime, &d.Late, &d.Missed, &d.Reported, &avgMin, &d.Rated, &avgRating); err != nil {
				return err
			}
			if avgMin.Valid {
				v := float64(int64(avgMin.Float64*100+0.5)) / 100
				d.AvgArriveMin = &v
			}
			if avgRating.Valid {
				v := float64(int64(avgRating.Float64*100+0.5)) / 100
				d.AvgRating = &v
			}
			depts = append(depts, d)
			return nil
		})
	return streets, depts, err
}
