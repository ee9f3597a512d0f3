package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"whistle/internal/agenda"
	"whistle/internal/errs"
)

// Topics (每月一题) and their tasks, and 未诉先办 proactive tasks. The row
// holds what is filtered on; the document holds the rest.

const topicCols = "id, title, state, lead_unit_id, started_at, goal_by, created_by, created_at, updated_at, version, doc"

// InsertTopic stores a new topic and sets t.ID.
func (q Queries) InsertTopic(ctx context.Context, t *agenda.Topic) error {
	doc, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return q.row(ctx, "INSERT INTO topics(title, state, lead_unit_id, started_at, goal_by, created_by, created_at, updated_at, version, doc) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id",
		t.Title, t.State, t.LeadUnitID, ms(t.StartedAt), ms(t.GoalBy), t.CreatedBy, ms(t.CreatedAt), ms(t.UpdatedAt), t.Version, string(doc)).Scan(&t.ID)
}

// UpdateTopic saves t, whose Version the caller has bumped from prevVersion;
// a concurrent change makes it fail with errs.Conflict.
func (q Queries) UpdateTopic(ctx context.Context, t *agenda.Topic, prevVersion int64) error {
	doc, err := json.Marshal(t)
	if err != nil {
		return err
	}
	res, err := q.exec(ctx, "UPDATE topics SET title = ?, state = ?, lead_unit_id = ?, started_at = ?, goal_by = ?, updated_at = ?, version = ?, doc = ? WHERE id = ? AND version = ?",
		t.Title, t.State, t.LeadUnitID, ms(t.StartedAt), ms(t.GoalBy), ms(t.UpdatedAt), t.Version, string(doc), t.ID, prevVersion)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E(errs.Conflict)
	}
	return nil
}

func scanTopic(sc interface{ Scan(...any) error }) (*agenda.Topic, error) {
	var t agenda.Topic
	var id, lead, started, goalBy, by, created, updated, version int64
	var title, state, doc string
	if err := sc.Scan(&id, &title, &state, &lead, &started, &goalBy, &by, &created, &updated, &version, &doc); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(doc), &t); err != nil {
		return nil, err
	}
	t.ID, t.Title, t.State, t.LeadUnitID, t.CreatedBy, t.Version = id, title, state, lead, by, version
	t.StartedAt, t.GoalBy, t.CreatedAt, t.UpdatedAt = fromMS(started), fromMS(goalBy), fromMS(created), fromMS(updated)
	return &t, nil
}

// Topic returns one topic (errs.NotFound when there is none).
func (q Queries) Topic(ctx context.Context, id int64) (*agenda.Topic, error) {
	t, err := scanTopic(q.row(ctx, "SELECT "+topicCols+" FROM topics WHERE id = ?"+q.forUpdate(), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound)
	}
	return t, err
}

// Topics lists topics in the given states (all when none), newest first.
func (q Queries) Topics(ctx context.Context, states ...string) ([]*agenda.Topic, error) {
	where, args := "", []any{}
	if len(states) > 0 {
		where = " WHERE state IN (" + strings.TrimSuffix(strings.Repeat("?,", len(states)), ",") + ")"
		for _, s := range states {
			args = append(args, s)
		}
	}
	rows, err := q.query(ctx, "SELECT "+topicCols+" FROM topics"+where+" ORDER BY started_at DESC, id DESC", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*agenda.Topic
	for rows.Next() {
		t, err := scanTopic(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

const taskCols = "id, topic_id, kind, state, unit_id, due_at, created_by, created_at, updated_at, version, doc"

// InsertTask stores a new task and sets t.ID.
func (q Queries) InsertTask(ctx context.Context, t *agenda.Task) error {
	doc, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return q.row(ctx, "INSERT INTO topic_tasks(topic_id, kind, state, unit_id, due_at, created_by, created_at, updated_at, version, doc) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id",
		t.TopicID, t.Kind, t.State, t.UnitID, ms(t.DueAt), t.CreatedBy, ms(t.CreatedAt), ms(t.UpdatedAt), t.Version, string(doc)).Scan(&t.ID)
}

// UpdateTask saves t, whose Version the caller has bumped from prevVersion;
// a concurrent change makes it fail with errs.Conflict.
func (q Queries) UpdateTask(ctx context.Context, t *agenda.Task, prevVersion int64) error {
	doc, err := json.Marshal(t)
	if err != nil {
		return err
	}
	res, err := q.exec(ctx, "UPDATE topic_tasks SET topic_id = ?, kind = ?, state = ?, unit_id = ?, due_at = ?, updated_at = ?, version = ?, doc = ? WHERE id = ? AND version = ?",
		t.TopicID, t.Kind, t.State, t.UnitID, ms(t.DueAt), ms(t.UpdatedAt), t.Version, string(doc), t.ID, prevVersion)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E(errs.Conflict)
	}
	return nil
}

func scanTask(sc interface{ Scan(...any) error }) (*agenda.Task, error) {
	var t agenda.Task
	var id, topic, unit, due, by, created, updated, version int64
	var kind, state, doc string
	if err := sc.Scan(&id, &topic, &kind, &state, &unit, &due, &by, &created, &updated, &version, &doc); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(doc), &t); err != nil {
		return nil, err
	}
	t.ID, t.TopicID, t.Kind, t.State, t.UnitID, t.CreatedBy, t.Version = id, topic, kind, state, unit, by, version
	t.DueAt, t.CreatedAt, t.UpdatedAt = fromMS(due), fromMS(created), fromMS(updated)
	return &t, nil
}

// Task returns one task (errs.NotFound when there is none).
func (q Queries) Task(ctx context.Context, id int64) (*agenda.Task, error) {
	t, err := scanTask(q.row(ctx, "SELECT "+taskCols+" FROM topic_tasks WHERE id = ?"+q.forUpdate(), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound)
	}
	return t, err
}

// Tasks lists the tasks f selects, nearest due date first.
func (q Queries) Tasks(ctx context.Context, f agenda.TaskFilter) ([]*agenda.Task, error) {
	var where []string
	var args []any
	if f.UnitID != 0 {
		where, args = append(where, "unit_id = ?"), append(args, f.UnitID)
	}
	if f.TopicID != 0 {
		where, args = append(where, "topic_id = ?"), append(args, f.TopicID)
	}
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, f.Kind)
	}
	if len(f.States) > 0 {
		where = append(where, "state IN ("+strings.TrimSuffix(strings.Repeat("?,", len(f.States)), ",")+")")
		for _, s := range f.States {
			args = append(args, s)
		}
	}
	qs := "SELECT " + taskCols + " FROM topic_tasks"
	if len(where) > 0 {
		qs += " WHERE " + strings.Join(where, " AND ")
	}
	qs += " ORDER BY due_at, id"
	if f.Limit > 0 {
		qs += " LIMIT ?"
		args = append(args, f.Limit)
	}
	rows, err := q.query(ctx, qs, args...)
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
