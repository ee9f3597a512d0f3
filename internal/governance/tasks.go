package governance

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"whistle/internal/agenda"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/store"
)

// Tasks in their owners' inboxes: topic tasks and approved proactive tasks
// alike are owned by a unit, whose handlers and leaders report them done.

// RecentDone is how long a done task stays in the owner's inbox.
const RecentDone = 14 * 24 * time.Hour

// Inbox lists the tasks of the actor's unit: the open ones, nearest due
// first, then those done in the last RecentDone, newest first.
func (s *Service) Inbox(ctx context.Context, a org.Actor) ([]*agenda.Task, error) {
	if a.Unit.ID == 0 {
		return nil, nil
	}
	open, err := s.St.Tasks(ctx, agenda.TaskFilter{UnitID: a.Unit.ID, States: []string{agenda.TaskOpen}, Limit: 500})
	if err != nil {
		return nil, err
	}
	done, err := s.St.Tasks(ctx, agenda.TaskFilter{UnitID: a.Unit.ID, States: []string{agenda.TaskDone}})
	if err != nil {
		return nil, err
	}
	since := s.Now().Add(-RecentDone)
	var recent []*agenda.Task
	for _, t := range done {
		if !t.DoneAt.Before(since) {
			recent = append(recent, t)
		}
	}
	slices.SortStableFunc(recent, func(x, y *agenda.Task) int { return y.DoneAt.Compare(x.DoneAt) })
	return append(open, recent...), nil
}

// mayDoTask: the handlers and leaders of the owner unit.
func mayDoTask(a org.Actor, t *agenda.Task) bool {
	return a.Unit.ID == t.UnitID && a.User.Has(org.RoleHandler, org.RoleLeader)
}

// maySeeTask: the owner unit (once the task is no longer a proposal), the
// centre (the city; a district centre for units of its district), and, for
// a topic's task, the topic's lead unit.
func (s *Service) maySeeTask(ctx context.Context, a org.Actor, t *agenda.Task) (bool, error) {
	if a.Unit.ID == t.UnitID && a.Unit.ID != 0 && t.State != agenda.TaskProposed {
		return true, nil
	}
	if district, all, ok := org.CentreDistrict(a); ok {
		if all {
			return true, nil
		}
		if u, ok := s.Unit(t.UnitID); ok && s.unitDistrict(u) == district {
			return true, nil
		}
	}
	if t.TopicID != 0 && a.Unit.ID != 0 {
		tp, err := s.St.Topic(ctx, t.TopicID)
		if err != nil {
			if errs.Is(err, errs.NotFound) {
				return false, nil
			}
			return false, err
		}
		return tp.LeadUnitID == a.Unit.ID, nil
	}
	return false, nil
}

// TaskOf returns one task the actor may see (errs.NotFound otherwise).
func (s *Service) TaskOf(ctx context.Context, a org.Actor, id int64) (*agenda.Task, error) {
	t, err := s.St.Task(ctx, id)
	if err != nil {
		return nil, err
	}
	ok, err := s.maySeeTask(ctx, a, t)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.E(errs.NotFound)
	}
	return t, nil
}

// CompleteTask reports an open task done, with a note saying what was done:
// only a handler or leader of the owner unit.
func (s *Service) CompleteTask(ctx context.Context, a org.Actor, id int64, note string) (*agenda.Task, error) {
	note = strings.TrimSpace(note)
	if note == "" {
		return nil, errs.F(errs.FieldRequired, "note")
	}
	if utf8.RuneCountInString(note) > s.Cfg.MaxNote {
		return nil, errs.F(errs.FieldTooLong, "note")
	}
	var out *agenda.Task
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		t, err := tx.Task(ctx, id)
		if err != nil {
			return err
		}
		if ok, err := s.maySeeTask(ctx, a, t); err != nil {
			return err
		} else if !ok {
			return errs.E(errs.NotFound)
		}
		if !mayDoTask(a, t) {
			return errs.E(errs.Forbidden)
		}
		if t.State != agenda.TaskOpen {
			return errs.E(errs.InvalidTransition)
		}
		now := s.Now()
		prev := t.Version
		t.State, t.Note, t.DoneAt, t.UpdatedAt, t.Version = agenda.TaskDone, note, now, now, prev+1
		if err := tx.UpdateTask(ctx, t, prev); err != nil {
			return err
		}
		out = t
		return s.Audit(ctx, tx, a, "task_done", fmt.Sprintf("task:%d", t.ID), map[string]any{"note": note, "kind": t.Kind, "unit_id": t.UnitID})
	})
	return out, err
}
