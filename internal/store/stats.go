package store

import (
	"context"
	"time"

	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

// UnitLoads counts open and overdue cases per lead unit within scope (cases
// still at the centre count under unit 0), and cases created in [from, to).
// Open cases are read through the partial inbox index, so the cost follows
// the number of open cases, not the size of the history.
func (q Queries) UnitLoads(ctx context.Context, sc org.Scope, from, to time.Time) ([]lifecycle.UnitLoad, int, error) {
	where, args := scopeSQL(sc)
	rows, err := q.query(ctx, "SELECT c.lead_unit_id, COUNT(*), SUM(c.overdue) FROM cases c WHERE c.is_open = 1"+where+
		" GROUP BY c.lead_unit_id ORDER BY COUNT(*) DESC, c.lead_unit_id", args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []lifecycle.UnitLoad
	for rows.Next() {
		var l lifecycle.UnitLoad
		if err := rows.Scan(&l.UnitID, &l.Open, &l.Overdue); err != nil {
			return nil, 0, err
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	var intake int
	err = q.row(ctx, "SELECT COUNT(*) FROM cases c WHERE c.created_at >= ? AND c.created_at < ?"+where,
		append([]any{ms(from), ms(to)}, args...)...).Scan(&intake)
	return out, intake, err
}

// MonthCounts are the public figures of requests created in a period.
type MonthCounts struct {
	Received int
	Closed   int
	ByType   map[string]int
}

// MonthFigures counts the requests created in [from, to) by type, and how
// many of them are closed.
func (q Queries) MonthFigures(ctx context.Context, from, to time.Time) (MonthCounts, error) {
	out := MonthCounts{ByType: map[string]int{}}
	rows, err := q.query(ctx, "SELECT type, COUNT(*), SUM(1 - is_open) FROM cases WHERE created_at >= ? AND created_at < ? GROUP BY type", ms(from), ms(to))
	if err != nil {
		return out, err
	}
	defer rows.Close()
	for rows.Next() {
		var typ string
		var n, closed int
		if err := rows.Scan(&typ, &n, &closed); err != nil {
			return out, err
		}
		out.ByType[typ] = n
		out.Received += n
		out.Closed += closed
	}
	return out, rows.Err()
}
