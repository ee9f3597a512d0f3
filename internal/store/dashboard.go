package store

import (
	"context"
	"strings"
	"time"
)

// Reads for the dashboard and the big screen (issue #12). Each reads only
// the rows it counts through an index: today's cases through cases_created
// (or cases_district for a district), the open ones through the partial
// indexes on is_open = 1, so the cost follows today's intake and the open
// orders, not the size of the history.

// IntakeByHour counts the cases created in [from, to) by whole hours since
// from (index 0 = the first hour), within a district (0 = the city).
func (q Queries) IntakeByHour(ctx context.Context, from, to time.Time, districtID int64) ([]int64, error) {
	hours := int((to.Sub(from) + time.Hour - 1) / time.Hour)
	if hours <= 0 {
		return nil, nil
	}
	out := make([]int64, hours)
	w, args := "created_at >= ? AND created_at < ?", []any{ms(from), ms(to)}
	if districtID != 0 {
		w, args = "district_id = ? AND "+w, append([]any{districtID}, args...)
	}
	// The hour is computed in SQL from the indexed column alone (a
	// covering read); integer division truncates alike in both dialects.
	rows, err := q.query(ctx, "SELECT (created_at - ?) / 3600000 AS h, COUNT(*) FROM cases WHERE "+w+" GROUP BY 1",
		append([]any{ms(from)}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var h, n int64
		if err := rows.Scan(&h, &n); err != nil {
			return nil, err
		}
		if h >= 0 && int(h) < hours {
			out[h] += n
		}
	}
	return out, rows.Err()
}

// CountCreated counts the cases created in [from, to) within a district
// (0 = the city).
func (q Queries) CountCreated(ctx context.Context, from, to time.Time, districtID int64) (int64, error) {
	w, args := "created_at >= ? AND created_at < ?", []any{ms(from), ms(to)}
	if districtID != 0 {
		w, args = "district_id = ? AND "+w, append([]any{districtID}, args...)
	}
	var n int64
	err := q.row(ctx, "SELECT COUNT(*) FROM cases WHERE "+w, args...).Scan(&n)
	return n, err
}

// OpenCounts counts the open cases and the open overdue ones within a
// district (0 = the city), through the partial indexes on open cases.
func (q Queries) OpenCounts(ctx context.Context, districtID int64) (open, overdue int64, err error) {
	// Two counts, each from an index alone (0025): summing the overdue
	// flag would read every open case's row.
	w, args := "is_open = 1", []any{}
	if districtID != 0 {
		w, args = "district_id = ? AND is_open = 1", []any{districtID, districtID}
	}
	err = q.row(ctx, "SELECT (SELECT COUNT(*) FROM cases WHERE "+w+"), (SELECT COUNT(*) FROM cases WHERE "+w+" AND overdue = 1)", args...).Scan(&open, &overdue)
	return open, overdue, err
}

// Intake is one case on the screen's ticker: what it is about and where,
// never who.
type Intake struct {
	ID        int64
	Number    string
	Category  string
	StreetID  int64
	CreatedAt time.Time
}

// LatestIntake returns the newest cases created at or after since, newest
// first, at most limit, within a district (0 = the city). It reads only
// columns: no document, no personal data.
func (q Queries) LatestIntake(ctx context.Context, since time.Time, districtID int64, limit int) ([]Intake, error) {
	w, args := "created_at >= ?", []any{ms(since)}
	if districtID != 0 {
		w, args = "district_id = ? AND "+w, append([]any{districtID}, args...)
	}
	rows, err := q.query(ctx, "SELECT id, number, category, street_id, created_at FROM cases WHERE "+w+" ORDER BY created_at DESC, id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Intake
	for rows.Next() {
		var it Intake
		var at int64
		if err := rows.Scan(&it.ID, &it.Number, &it.Category, &it.StreetID, &at); err != nil {
			return nil, err
		}
		it.CreatedAt = fromMS(at)
		out = append(out, it)
	}
	return out, rows.Err()
}

// TopicTaskCounts counts the tasks of the topics by state: topic id →
// state → n.
func (q Queries) TopicTaskCounts(ctx context.Context, topicIDs []int64) (map[int64]map[string]int64, error) {
	out := map[int64]map[string]int64{}
	if len(topicIDs) == 0 {
		return out, nil
	}
	args := make([]any, len(topicIDs))
	for i, id := range topicIDs {
		args[i] = id
	}
	rows, err := q.query(ctx, "SELECT topic_id, state, COUNT(*) FROM topic_tasks WHERE topic_id IN ("+
		strings.TrimSuffix(strings.Repeat("?,", len(args)), ",")+") GROUP BY topic_id, state", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, n int64
		var st string
		if err := rows.Scan(&id, &st, &n); err != nil {
			return nil, err
		}
		if out[id] == nil {
			out[id] = map[string]int64{}
		}
		out[id][st] = n
	}
	return out, rows.Err()
}
