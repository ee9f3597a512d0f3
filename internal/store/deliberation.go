package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"whistle/internal/agenda"
	"whistle/internal/deliberation"
	"whistle/internal/errs"
)

// 议事协商 (issue #15): agenda items, their meetings and decisions (in the
// document), the proposer's personal data in its own sealed columns, and
// the links to their follow-up tasks (agenda tasks of kind deliberation).

const deliberationCols = "id, unit_id, place_id, state, source, topic_id, meeting_at, proposer_name, proposer_phone, created_by, created_at, updated_at, version, doc"

// sealParticipants seals (or, open, opens) the residents' names of a
// meeting in place: they are personal data like a case's citizen.
func (q Queries) sealParticipants(it *deliberation.Item, open bool) error {
	if it.Meeting == nil {
		return nil
	}
	ps := make([]deliberation.Participant, len(it.Meeting.Participants))
	for i, p := range it.Meeting.Participants {
		if p.Kind == deliberation.PartResident && p.Name != "" {
			if open {
				n, err := q.open(p.Name)
				if err != nil {
					return err
				}
				p.Name = n
			} else {
				p.Name = q.seal(p.Name)
			}
		}
		ps[i] = p
	}
	m := *it.Meeting
	m.Participants = ps
	it.Meeting = &m
	return nil
}

func (q Queries) deliberationDoc(it *deliberation.Item) (string, error) {
	c := *it
	if err := q.sealParticipants(&c, false); err != nil {
		return "", err
	}
	b, err := json.Marshal(&c)
	return string(b), err
}

func meetingAt(it *deliberation.Item) int64 {
	if it.Meeting == nil {
		return 0
	}
	return ms(it.Meeting.At)
}

// InsertDeliberation stores a new item and sets it.ID. phoneHash is the
// keyed hash of the proposer's phone ("" when there is none).
func (q Queries) InsertDeliberation(ctx context.Context, it *deliberation.Item, phoneHash string) error {
	doc, err := q.deliberationDoc(it)
	if err != nil {
		return err
	}
	return q.row(ctx, "INSERT INTO deliberations(unit_id, place_id, state, source, topic_id, meeting_at, proposer_name, proposer_phone, phone_hash, seal_key, created_by, created_at, updated_at, version, doc) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
		it.UnitID, it.PlaceID, it.State, it.Source, it.TopicID, meetingAt(it), q.seal(it.Proposer.Name), q.seal(it.Proposer.Phone), phoneHash, q.sealKey(),
		it.CreatedBy, ms(it.CreatedAt), ms(it.UpdatedAt), it.Version, doc).Scan(&it.ID)
}

// UpdateDeliberation saves it, whose Version the caller has bumped from
// prevVersion; a concurrent change makes it fail with errs.Conflict. The
// proposer's columns never change.
func (q Queries) UpdateDeliberation(ctx context.Context, it *deliberation.Item, prevVersion int64) error {
	doc, err := q.deliberationDoc(it)
	if err != nil {
		return err
	}
	res, err := q.exec(ctx, "UPDATE deliberations SET unit_id = ?, place_id = ?, state = ?, topic_id = ?, meeting_at = ?, seal_key = ?, updated_at = ?, version = ?, doc = ? WHERE id = ? AND version = ?",
		it.UnitID, it.PlaceID, it.State, it.TopicID, meetingAt(it), q.sealKey(), ms(it.UpdatedAt), it.Version, doc, it.ID, prevVersion)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E(errs.Conflict)
	}
	return nil
}

func (q Queries) scanDeliberation(sc interface{ Scan(...any) error }) (*deliberation.Item, error) {
	var it deliberation.Item
	var id, unit, place, topic, meeting, by, created, updated, version int64
	var state, source, name, phone, doc string
	if err := sc.Scan(&id, &unit, &place, &state, &source, &topic, &meeting, &name, &phone, &by, &created, &updated, &version, &doc); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(doc), &it); err != nil {
		return nil, err
	}
	var err error
	if it.Proposer.Name, err = q.open(name); err != nil {
		return nil, err
	}
	if it.Proposer.Phone, err = q.open(phone); err != nil {
		return nil, err
	}
	if err := q.sealParticipants(&it, true); err != nil {
		return nil, err
	}
	it.ID, it.UnitID, it.PlaceID, it.State, it.Source, it.TopicID, it.CreatedBy, it.Version = id, unit, place, state, source, topic, by, version
	it.CreatedAt, it.UpdatedAt = fromMS(created), fromMS(updated)
	return &it, nil
}

// Deliberation returns one item (errs.NotFound when there is none); in a
// write transaction on PostgreSQL the row is locked.
func (q Queries) Deliberation(ctx context.Context, id int64) (*deliberation.Item, error) {
	it, err := q.scanDeliberation(q.row(ctx, "SELECT "+deliberationCols+" FROM deliberations WHERE id = ?"+q.forUpdate(), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound)
	}
	return it, err
}

func inList(col string, n int) string {
	return col + " IN (" + strings.TrimSuffix(strings.Repeat("?,", n), ",") + ")"
}

// Deliberations lists the items f selects, newest first.
func (q Queries) Deliberations(ctx context.Context, f deliberation.Filter) ([]*deliberation.Item, error) {
	var where []string
	var args []any
	var owners []string
	if len(f.UnitIDs) > 0 {
		owners = append(owners, inList("unit_id", len(f.UnitIDs)))
		for _, v := range f.UnitIDs {
			args = append(args, v)
		}
	}
	if f.TaskUnitID != 0 {
		owners = append(owners, "id IN (SELECT x.deliberation_id FROM deliberation_tasks x JOIN topic_tasks t ON t.id = x.task_id WHERE t.unit_id = ?)")
		args = append(args, f.TaskUnitID)
	}
	if len(owners) > 0 {
		where = append(where, "("+strings.Join(owners, " OR ")+")")
	}
	if len(f.PlaceIDs) > 0 {
		where = append(where, inList("place_id", len(f.PlaceIDs)))
		for _, v := range f.PlaceIDs {
			args = append(args, v)
		}
	}
	if len(f.States) > 0 {
		where = append(where, inList("state", len(f.States)))
		for _, v := range f.States {
			args = append(args, v)
		}
	}
	qs := "SELECT " + deliberationCols + " FROM deliberations"
	if len(where) > 0 {
		qs += " WHERE " + strings.Join(where, " AND ")
	}
	qs += " ORDER BY id DESC"
	if f.Limit > 0 {
		qs += " LIMIT ?"
		args = append(args, f.Limit)
	}
	return q.deliberations(ctx, qs, args...)
}

// deliberations runs a query of deliberationCols and scans its items.
func (q Queries) deliberations(ctx context.Context, query string, args ...any) ([]*deliberation.Item, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*deliberation.Item
	for rows.Next() {
		it, err := q.scanDeliberation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// LinkDeliberationTask records that task is a follow-up task of the item.
func (q Queries) LinkDeliberationTask(ctx context.Context, deliberationID, taskID int64) error {
	_, err := q.exec(ctx, "INSERT INTO deliberation_tasks(deliberation_id, task_id) VALUES (?, ?)", deliberationID, taskID)
	return err
}

// DeliberationTasks returns the follow-up tasks of an item, nearest due first.
func (q Queries) DeliberationTasks(ctx context.Context, deliberationID int64) ([]*agenda.Task, error) {
	rows, err := q.query(ctx, "SELECT t.id, t.topic_id, t.kind, t.state, t.unit_id, t.due_at, t.created_by, t.created_at, t.updated_at, t.version, t.doc FROM deliberation_tasks d JOIN topic_tasks t ON t.id = d.task_id WHERE d.deliberation_id = ? ORDER BY t.due_at, t.id", deliberationID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*agenda.Task
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// DeliberationProgress counts the follow-up tasks of each of the items:
// done and total (items without tasks are absent).
func (q Queries) DeliberationProgress(ctx context.Context, ids []int64) (map[int64][2]int, error) {
	out := map[int64][2]int{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, v := range ids {
		args[i] = v
	}
	rows, err := q.query(ctx, "SELECT d.deliberation_id, SUM(CASE WHEN t.state = 'done' THEN 1 ELSE 0 END), COUNT(*) FROM deliberation_tasks d JOIN topic_tasks t ON t.id = d.task_id WHERE "+inList("d.deliberation_id", len(ids))+" GROUP BY d.deliberation_id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, done, total int64
		if err := rows.Scan(&id, &done, &total); err != nil {
			return nil, err
		}
		out[id] = [2]int{int(done), int(total)}
	}
	return out, rows.Err()
}

// DeliberationLedgerRow is one deliberation as a ledger (一本台账) lists
// it: no personal data.
type DeliberationLedgerRow struct {
	ID           int64
	Title        string
	UnitID       int64
	PlaceID      int64
	State        string
	Source       string
	MeetingAt    time.Time
	Venue        string
	Participants int
	Motion       string // "" when nothing was decided yet
	Adopted      bool
	For          int
	Against      int
	Abstain      int
	TasksDone    int
	TasksTotal   int
}

// DeliberationsForLedger returns the items about any of placeIDs (the
// item's own place: pass the communities and streets wanted) whose meeting
// was held or is scheduled in [from, to), in meeting order, as plain rows.
func (q Queries) DeliberationsForLedger(ctx context.Context, placeIDs []int64, from, to time.Time) ([]DeliberationLedgerRow, error) {
	if len(placeIDs) == 0 {
		return nil, nil
	}
	args := []any{}
	for _, v := range placeIDs {
		args = append(args, v)
	}
	args = append(args, ms(from), ms(to))
	rows, err := q.query(ctx, "SELECT d.id, d.unit_id, d.place_id, d.state, d.source, d.meeting_at, d.doc,"+
		" (SELECT COUNT(*) FROM deliberation_tasks x JOIN topic_tasks t ON t.id = x.task_id WHERE x.deliberation_id = d.id AND t.state = 'done'),"+
		" (SELECT COUNT(*) FROM deliberation_tasks x WHERE x.deliberation_id = d.id)"+
		" FROM deliberations d WHERE "+inList("d.place_id", len(placeIDs))+" AND d.meeting_at >= ? AND d.meeting_at < ? AND d.meeting_at > 0"+
		" ORDER BY d.meeting_at, d.id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DeliberationLedgerRow
	for rows.Next() {
		var r DeliberationLedgerRow
		var meeting, done, total int64
		var doc string
		if err := rows.Scan(&r.ID, &r.UnitID, &r.PlaceID, &r.State, &r.Source, &meeting, &doc, &done, &total); err != nil {
			return nil, err
		}
		var it deliberation.Item
		if err := json.Unmarshal([]byte(doc), &it); err != nil {
			return nil, err
		}
		r.Title, r.MeetingAt, r.TasksDone, r.TasksTotal = it.Title, fromMS(meeting), int(done), int(total)
		if it.Meeting != nil {
			r.Venue, r.Participants = it.Meeting.Venue, len(it.Meeting.Participants)
		}
		if d := it.Decision; d != nil {
			r.Motion, r.Adopted, r.For, r.Against, r.Abstain = d.Motion, d.Adopted, d.Votes.For, d.Votes.Against, d.Votes.Abstain
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// DeliberationsEndedAfter returns, in the order of (updated_at, id), up to
// limit items that ended (closed or declined) before `to` and come after
// the position (updatedAt, id): the retention job's next batch. An ended
// item never changes again, so the position only moves forward.
func (q Queries) DeliberationsEndedAfter(ctx context.Context, updatedAt time.Time, id int64, to time.Time, limit int) ([]*deliberation.Item, error) {
	return q.deliberations(ctx, "SELECT "+deliberationCols+" FROM deliberations WHERE state IN (?, ?) AND updated_at < ? AND (updated_at > ? OR (updated_at = ? AND id > ?)) ORDER BY updated_at, id LIMIT ?",
		deliberation.Closed, deliberation.Declined, ms(to), ms(updatedAt), ms(updatedAt), id, limit)
}

// AnonymiseDeliberation writes an ended item's redacted document (it, whose
// proposer and residents' names the caller has erased) and erases the
// proposer's columns and phone hash. State, times and counts stay; the
// version is bumped so a stale copy cannot restore the data.
func (q Queries) AnonymiseDeliberation(ctx context.Context, it *deliberation.Item) error {
	doc, err := q.deliberationDoc(it)
	if err != nil {
		return err
	}
	it.Version++
	return affected1(q.exec(ctx, "UPDATE deliberations SET proposer_name = '', proposer_phone = '', phone_hash = '', seal_key = ?, version = ?, doc = ? WHERE id = ?",
		q.sealKey(), it.Version, doc, it.ID))
}
