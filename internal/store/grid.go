package store

import (
	"context"
	"database/sql"
	"time"

	"whistle/internal/errs"
	"whistle/internal/grid"
)

// AssignGrid stores an assignment; the same one twice is errs.Exists.
func (q Queries) AssignGrid(ctx context.Context, g grid.Assignment) error {
	_, err := q.exec(ctx, "INSERT INTO grid_assignments(grid_id, user_id, duty, assigned_by, assigned_at) VALUES (?,?,?,?,?)",
		g.GridID, g.UserID, g.Duty, g.AssignedBy, ms(g.AssignedAt))
	if isUnique(err) {
		return errs.D(errs.Exists, "already assigned")
	}
	return err
}

// GridAssignments lists the assignments of a grid (gridID) or of a user (userID).
func (q Queries) GridAssignments(ctx context.Context, gridID, userID int64) ([]grid.Assignment, error) {
	query, arg := "SELECT grid_id, user_id, duty, assigned_by, assigned_at FROM grid_assignments WHERE grid_id = ? ORDER BY user_id, duty", gridID
	if gridID == 0 {
		query, arg = "SELECT grid_id, user_id, duty, assigned_by, assigned_at FROM grid_assignments WHERE user_id = ? ORDER BY grid_id, duty", userID
	}
	out := []grid.Assignment{}
	err := q.scanRows(ctx, query, []any{arg}, func(r *sql.Rows) error {
		var g grid.Assignment
		var at int64
		if err := r.Scan(&g.GridID, &g.UserID, &g.Duty, &g.AssignedBy, &at); err != nil {
			return err
		}
		g.AssignedAt = fromMS(at)
		out = append(out, g)
		return nil
	})
	return out, err
}

const patrolCols = "id, grid_id, user_id, state, started_at, ended_at, points, manual_points, meters, findings, note"

func scanPatrol(sc interface{ Scan(...any) error }) (grid.Patrol, error) {
	var p grid.Patrol
	var st, en int64
	err := sc.Scan(&p.ID, &p.GridID, &p.UserID, &p.State, &st, &en, &p.Points, &p.Manual, &p.Meters, &p.Findings, &p.Note)
	p.StartedAt, p.EndedAt = fromMS(st), fromMS(en)
	return p, err
}

// InsertPatrol starts a patrol and sets p.ID.
func (q Queries) InsertPatrol(ctx context.Context, p *grid.Patrol) error {
	return q.row(ctx, "INSERT INTO patrols(grid_id, user_id, state, started_at, note) VALUES (?,?,?,?,?) RETURNING id",
		p.GridID, p.UserID, p.State, ms(p.StartedAt), p.Note).Scan(&p.ID)
}

// Patrol loads a patrol (locked in a PostgreSQL write).
func (q Queries) Patrol(ctx context.Context, id int64) (grid.Patrol, error) {
	p, err := scanPatrol(q.row(ctx, "SELECT "+patrolCols+" FROM patrols WHERE id = ?"+q.forUpdate(), id))
	return p, notFound(err)
}

// ActivePatrols counts a user's patrols still under way.
func (q Queries) ActivePatrols(ctx context.Context, userID int64) (int64, error) {
	var n int64
	err := q.row(ctx, "SELECT COUNT(*) FROM patrols WHERE user_id = ? AND state = ?", userID, grid.Patrolling).Scan(&n)
	return n, err
}

// Patrols lists patrols started in [from, to), newest first; userID or
// gridIDs narrow it (zero/empty = all).
func (q Queries) Patrols(ctx context.Context, userID int64, from, to time.Time, limit int) ([]grid.Patrol, error) {
	query := "SELECT " + patrolCols + " FROM patrols WHERE started_at >= ? AND started_at < ?"
	args := []any{ms(from), ms(to)}
	if userID != 0 {
		query, args = query+" AND user_id = ?", append(args, userID)
	}
	query += " ORDER BY id DESC LIMIT ?"
	args = append(args, limit)
	out := []grid.Patrol{}
	err := q.scanRows(ctx, query, args, func(r *sql.Rows) error {
		p, err := scanPatrol(r)
		if err == nil {
			out = append(out, p)
		}
		return err
	})
	return out, err
}

// AddPatrolPoints appends positions to a patrol and extends its length
// along its GPS positions (pins set by hand are kept, but are no track).
func (q Queries) AddPatrolPoints(ctx context.Context, p *grid.Patrol, pts []grid.Point) error {
	var lastLat, lastLon float64
	if err := q.row(ctx, "SELECT last_lat, last_lon FROM patrols WHERE id = ?", p.ID).Scan(&lastLat, &lastLon); err != nil {
		return err
	}
	track := grid.Track(pts)
	if p.Tracked() && len(track) > 0 {
		track = append([]grid.Point{{Lat: lastLat, Lon: lastLon}}, track...)
	}
	for i, pt := range pts {
		manual := 0
		if pt.Manual {
			manual = 1
			p.Manual++
		}
		if _, err := q.exec(ctx, "INSERT INTO patrol_points(patrol_id, seq, at, lat, lon, manual) VALUES (?,?,?,?,?,?)", p.ID, p.Points+i+1, ms(pt.At), pt.Lat, pt.Lon, manual); err != nil {
			return err
		}
	}
	p.Points += len(pts)
	p.Meters += grid.Meters(track)
	if len(track) > 0 {
		lastLat, lastLon = track[len(track)-1].Lat, track[len(track)-1].Lon
	}
	_, err := q.exec(ctx, "UPDATE patrols SET points = ?, manual_points = ?, meters = ?, last_lat = ?, last_lon = ? WHERE id = ?", p.Points, p.Manual, p.Meters, lastLat, lastLon, p.ID)
	return err
}

// PatrolPoints returns a patrol's positions in order.
func (q Queries) PatrolPoints(ctx context.Context, id int64) ([]grid.Point, error) {
	out := []grid.Point{}
	err := q.scanRows(ctx, "SELECT at, lat, lon, manual FROM patrol_points WHERE patrol_id = ? ORDER BY seq", []any{id}, func(r *sql.Rows) error {
		var pt grid.Point
		var at, manual int64
		if err := r.Scan(&at, &pt.Lat, &pt.Lon, &manual); err != nil {
			return err
		}
		pt.At, pt.Manual = fromMS(at), manual != 0
		out = append(out, pt)
		return nil
	})
	return out, err
}

// EndPatrol ends a patrol under way.
func (q Queries) EndPatrol(ctx context.Context, id int64, at time.Time) error {
	return affected1(q.exec(ctx, "UPDATE patrols SET state = ?, ended_at = ? WHERE id = ? AND state = ?", grid.Ended, ms(at), id, grid.Patrolling))
}

// InsertFinding stores a finding and counts it on its patrol.
func (q Queries) InsertFinding(ctx context.Context, f *grid.Finding) error {
	if err := q.row(ctx, "INSERT INTO findings(patrol_id, grid_id, user_id, item, outcome, case_id, created_at) VALUES (?,?,?,?,?,?,?) RETURNING id",
		f.PatrolID, f.GridID, f.UserID, f.Item, f.Outcome, f.CaseID, ms(f.CreatedAt)).Scan(&f.ID); err != nil {
		return err
	}
	_, err := q.exec(ctx, "UPDATE patrols SET findings = findings + 1 WHERE id = ?", f.PatrolID)
	return err
}

// Findings lists a patrol's findings.
func (q Queries) Findings(ctx context.Context, patrolID int64) ([]grid.Finding, error) {
	out := []grid.Finding{}
	err := q.scanRows(ctx, "SELECT id, patrol_id, grid_id, user_id, item, outcome, case_id, created_at FROM findings WHERE patrol_id = ? ORDER BY id", []any{patrolID}, func(r *sql.Rows) error {
		var f grid.Finding
		var at int64
		if err := r.Scan(&f.ID, &f.PatrolID, &f.GridID, &f.UserID, &f.Item, &f.Outcome, &f.CaseID, &at); err != nil {
			return err
		}
		f.CreatedAt = fromMS(at)
		out = append(out, f)
		return nil
	})
	return out, err
}

// GridActivity counts patrols started and findings made in [from, to) per grid.
func (q Queries) GridActivity(ctx context.Context, from, to time.Time) (map[int64]*grid.Activity, error) {
	out := map[int64]*grid.Activity{}
	get := func(id int64) *grid.Activity {
		a := out[id]
		if a == nil {
			a = &grid.Activity{GridID: id}
			out[id] = a
		}
		return a
	}
	// A patrol counts when it has a GPS track; one with pins set by hand
	// only is counted apart, and one without any position not at all.
	err := q.scanRows(ctx, "SELECT grid_id, SUM(CASE WHEN points > manual_points THEN 1 ELSE 0 END), SUM(CASE WHEN points > 0 AND points = manual_points THEN 1 ELSE 0 END) "+
		"FROM patrols WHERE started_at >= ? AND started_at < ? AND points > 0 GROUP BY grid_id", []any{ms(from), ms(to)}, func(r *sql.Rows) error {
		var g, n, pinned int64
		if err := r.Scan(&g, &n, &pinned); err != nil {
			return err
		}
		a := get(g)
		a.Patrols, a.Pinned = n, pinned
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = q.scanRows(ctx, "SELECT f.grid_id, COUNT(*), SUM(CASE WHEN c.closed_at > 0 THEN 1 ELSE 0 END), AVG(CASE WHEN c.closed_at > 0 THEN (c.closed_at - f.created_at) / 3600000.0 END) "+
		"FROM findings f JOIN cases c ON c.id = f.case_id WHERE f.created_at >= ? AND f.created_at < ? GROUP BY f.grid_id", []any{ms(from), ms(to)}, func(r *sql.Rows) error {
		var g, n, closed int64
		var avg sql.NullFloat64
		if err := r.Scan(&g, &n, &closed, &avg); err != nil {
			return err
		}
		a := get(g)
		a.Findings, a.Closed = n, closed
		if avg.Valid {
			v := float64(int64(avg.Float64*100+0.5)) / 100
			a.AvgCloseHours = &v
		}
		return nil
	})
	return out, err
}

// Finding returns one finding.
func (q Queries) Finding(ctx context.Context, id int64) (grid.Finding, error) {
	var f grid.Finding
	var at int64
	err := q.row(ctx, "SELECT id, patrol_id, grid_id, user_id, item, outcome, case_id, created_at FROM findings WHERE id = ?", id).
		Scan(&f.ID, &f.PatrolID, &f.GridID, &f.UserID, &f.Item, &f.Outcome, &f.CaseID, &at)
	f.CreatedAt = fromMS(at)
	return f, notFound(err)
}
