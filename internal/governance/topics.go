package governance

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"whistle/internal/agenda"
	"whistle/internal/assessment"
	"whistle/internal/errs"
	"whistle/internal/insight"
	"whistle/internal/org"
	"whistle/internal/ranking"
	"whistle/internal/store"
)

// 每月一题 topics: created from a candidate of a stored analysis or by hand,
// with tasks for their owners' inboxes; tracked weekly against a
// comparison; judged by the system at their goal's date.

// TopicSource names the candidate a topic is chosen from.
type TopicSource struct {
	RunID int64 `json:"run_id"`
	Rank  int   `json:"rank"`
}

// TaskInput is a task given with a topic or added to it.
type TaskInput struct {
	UnitID int64     `json:"unit_id"`
	Title  string    `json:"title"`
	Detail string    `json:"detail,omitempty"`
	DueAt  time.Time `json:"due_at"`
}

// TopicInput is what creates a topic. Criteria left empty are taken from
// the candidate when Source is given.
type TopicInput struct {
	Title          string          `json:"title"`
	Summary        string          `json:"summary,omitempty"`
	LeadUnitID     int64           `json:"lead_unit_id"`
	PartnerUnitIDs []int64         `json:"partner_unit_ids,omitempty"`
	Criteria       agenda.Criteria `json:"criteria"`
	Goal           agenda.Goal     `json:"goal"`
	Source         *TopicSource    `json:"source,omitempty"`
	Tasks          []TaskInput     `json:"tasks,omitempty"`
}

// TopicPatch changes a topic; nil fields stay.
type TopicPatch struct {
	Version        int64        `json:"version"`
	Title          *string      `json:"title,omitempty"`
	Summary        *string      `json:"summary,omitempty"`
	PartnerUnitIDs *[]int64     `json:"partner_unit_ids,omitempty"`
	Goal           *agenda.Goal `json:"goal,omitempty"`
}

// TopicView is a topic with its tasks and, when asked, its tracking.
type TopicView struct {
	Topic    *agenda.Topic  `json:"topic"`
	Tasks    []*agenda.Task `json:"tasks"`
	Tracking *TopicTracking `json:"tracking,omitempty"`
}

// CandidateDraft is what a candidate of a stored analysis proposes for a
// new topic: a title, criteria and the evidence to keep.
type CandidateDraft struct {
	RunID    int64           `json:"run_id"`
	Rank     int             `json:"rank"`
	Title    string          `json:"title"`
	Summary  string          `json:"summary"`
	Criteria agenda.Criteria `json:"criteria"`
	UnitIDs  []int64         `json:"unit_ids,omitempty"` // units involved, most first
	Evidence string          `json:"evidence"`
}

// storedCandidate is the part of a stored candidate a topic reads. The run
// document is the Analysis as JSON (insight's fields carry no tags).
type storedCandidate struct {
	Rank     int
	Kind     string
	Category string
	Terms    []string
	Phrases  []string
	WhyZh    string
	Places   []struct{ Level, Place string }
	Units    []struct {
		Key string
		N   int
	}
}

// Candidate reads candidate rank of the stored analysis runID as a draft
// topic (city staff: the analysis is the centre's).
func (s *Service) Candidate(ctx context.Context, a org.Actor, runID int64, rank int) (CandidateDraft, error) {
	if !org.CityStaff(a) {
		return CandidateDraft{}, errs.E(errs.Forbidden)
	}
	return s.candidate(ctx, runID, rank)
}

func (s *Service) candidate(ctx context.Context, runID int64, rank int) (CandidateDraft, error) {
	d := CandidateDraft{RunID: runID, Rank: rank}
	run, ok, err := s.St.InsightRunByID(ctx, runID)
	if err != nil {
		return d, err
	} else if !ok {
		return d, errs.F(errs.NotFound, "source.run_id")
	}
	var doc struct {
		Report struct {
			Candidates []json.RawMessage
		} `json:"report"`
		Candidates []json.RawMessage
	}
	if err := json.Unmarshal([]byte(run.Doc), &doc); err != nil {
		return d, errs.D(errs.Invalid, "stored analysis %d cannot be read", runID)
	}
	cands := doc.Report.Candidates
	if len(cands) == 0 {
		cands = doc.Candidates
	}
	for _, raw := range cands {
		var c storedCandidate
		if json.Unmarshal(raw, &c) != nil || c.Rank != rank {
			continue
		}
		d.Evidence = string(raw)
		if c.Category != "" {
			d.Criteria.Categories = []string{c.Category}
		}
		for _, p := range c.Places {
			if id, err := strconv.ParseInt(p.Place, 10, 64); err == nil && p.Level != insight.City {
				if _, ok := s.Place(id); ok {
					d.Criteria.PlaceIDs = append(d.Criteria.PlaceIDs, id)
				}
			}
		}
		if c.Kind == "topic" {
			words := c.Phrases
			if len(words) == 0 {
				words = c.Terms
			}
			for _, w := range words {
				if utf8.RuneCountInString(w) <= agenda.MaxKeyword && len(d.Criteria.Keywords) < agenda.MaxKeywords {
					d.Criteria.Keywords = append(d.Criteria.Keywords, w)
				}
			}
		}
		for _, u := range c.Units {
			if id, err := strconv.ParseInt(u.Key, 10, 64); err == nil {
				d.UnitIDs = append(d.UnitIDs, id)
			}
		}
		d.Title = s.candidateTitle(c)
		d.Summary = c.WhyZh
		d.Criteria = d.Criteria.Normalize()
		return d, nil
	}
	return d, errs.F(errs.NotFound, "source.rank")
}

func (s *Service) candidateTitle(c storedCandidate) string {
	var parts []string
	if c.Category != "" {
		name := c.Category
		if cat, ok := s.Category(c.Category); ok {
			name = cat.NameZH
		}
		parts = append(parts, name)
	}
	w := c.Phrases
	if len(w) == 0 {
		w = c.Terms
	}
	if len(w) > 3 {
		w = w[:3]
	}
	parts = append(parts, w...)
	t := strings.Join(parts, "·")
	if r := []rune(t); len(r) > agenda.MaxTitle {
		t = string(r[:agenda.MaxTitle])
	}
	return t
}

// checkUnit looks a unit up.
func (s *Service) checkUnit(id int64, field string) *errs.Error {
	if id <= 0 {
		return nil // Validate reports it
	}
	if _, ok := s.Unit(id); !ok {
		return errs.F(errs.UnknownUnit, field)
	}
	return nil
}

// checkTopic validates t against the catalogue.
func (s *Service) checkTopic(t *agenda.Topic) error {
	t.Normalize()
	p := errs.FieldsOf(t.Validate())
	if e := s.checkUnit(t.LeadUnitID, "lead_unit_id"); e != nil {
		p = append(p, e)
	}
	for _, u := range t.PartnerUnitIDs {
		if e := s.checkUnit(u, "partner_unit_ids"); e != nil {
			p = append(p, e)
			break
		}
	}
	for _, c := range t.Criteria.Categories {
		if _, ok := s.Category(c); !ok && !s.categoryPrefix(c) {
			p = append(p, errs.F(errs.UnknownCategory, "criteria.categories"))
			break
		}
	}
	for _, id := range t.Criteria.PlaceIDs {
		if _, ok := s.Place(id); !ok {
			p = append(p, errs.F(errs.UnknownPlace, "criteria.place_ids"))
			break
		}
	}
	if len(p) == 0 {
		return nil
	}
	return errs.All(p...)
}

func (s *Service) categoryPrefix(c string) bool {
	for code := range s.CategoryMap() {
		if strings.HasPrefix(code, c+".") {
			return true
		}
	}
	return false
}

func (s *Service) newTask(a org.Actor, t *agenda.Topic, in TaskInput, i int, now time.Time) (*agenda.Task, []*errs.Error) {
	task := &agenda.Task{TopicID: t.ID, Kind: agenda.KindTopic, State: agenda.TaskOpen, UnitID: in.UnitID,
		Title: in.Title, Detail: in.Detail, DueAt: in.DueAt, CreatedBy: a.User.ID, CreatedAt: now, UpdatedAt: now, Version: 1}
	if len(t.Criteria.Categories) > 0 {
		task.Category = t.Criteria.Categories[0]
	}
	task.PlaceIDs = t.Criteria.PlaceIDs
	p := errs.FieldsOf(task.Validate(now))
	if e := s.checkUnit(in.UnitID, "unit_id"); e != nil {
		p = append(p, e)
	}
	if i >= 0 {
		for _, e := range p {
			e.Field = "tasks." + strconv.Itoa(i) + "." + e.Field
		}
	}
	return task, p
}

// CreateTopic creates a topic and its tasks in one transaction; the tasks
// are open in their units' inboxes at once.
func (s *Service) CreateTopic(ctx context.Context, a org.Actor, in TopicInput) (*TopicView, error) {
	if !agenda.MayManageTopics(a) {
		return nil, errs.E(errs.Forbidden)
	}
	now := s.Now()
	t := &agenda.Topic{Title: in.Title, Summary: in.Summary, State: agenda.Active, LeadUnitID: in.LeadUnitID,
		PartnerUnitIDs: in.PartnerUnitIDs, Criteria: in.Criteria, Goal: in.Goal, Source: "manual",
		StartedAt: now, CreatedBy: a.User.ID, CreatedAt: now, UpdatedAt: now, Version: 1}
	if in.Source != nil {
		d, err := s.candidate(ctx, in.Source.RunID, in.Source.Rank)
		if err != nil {
			return nil, err
		}
		t.Source, t.Evidence = "candidate", d.Evidence
		c := t.Criteria.Normalize()
		if len(c.Categories) == 0 && len(c.Keywords) == 0 && len(c.PlaceIDs) == 0 {
			t.Criteria = d.Criteria
		}
		if strings.TrimSpace(t.Title) == "" {
			t.Title = d.Title
		}
	}
	if len(in.Tasks) > agenda.MaxTasks {
		return nil, errs.F(errs.Invalid, "tasks")
	}
	p := errs.FieldsOf(s.checkTopic(t))
	t.GoalBy = agenda.GoalBy(t.StartedAt, t.Goal.Months)
	var tasks []*agenda.Task
	for i, ti := range in.Tasks {
		task, tp := s.newTask(a, t, ti, i, now)
		p = append(p, tp...)
		tasks = append(tasks, task)
	}
	if len(p) > 0 {
		return nil, errs.All(p...)
	}
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertTopic(ctx, t); err != nil {
			return err
		}
		if err := s.Audit(ctx, tx, a, "topic_create", topicTarget(t.ID), t); err != nil {
			return err
		}
		for _, task := range tasks {
			task.TopicID = t.ID
			if err := tx.InsertTask(ctx, task); err != nil {
				return err
			}
			if err := s.Audit(ctx, tx, a, "topic_task_create", "task:"+strconv.FormatInt(task.ID, 10), task); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &TopicView{Topic: t, Tasks: tasks}, nil
}

func topicTarget(id int64) string { return "topic:" + strconv.FormatInt(id, 10) }

// AddTask adds a task to an active topic.
func (s *Service) AddTask(ctx context.Context, a org.Actor, topicID int64, in TaskInput) (*agenda.Task, error) {
	if !agenda.MayManageTopics(a) {
		return nil, errs.E(errs.Forbidden)
	}
	var task *agenda.Task
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		t, err := tx.Topic(ctx, topicID)
		if err != nil {
			return err
		}
		if t.State != agenda.Active {
			return errs.D(errs.InvalidTransition, "topic is %s", t.State)
		}
		var p []*errs.Error
		task, p = s.newTask(a, t, in, -1, s.Now())
		if len(p) > 0 {
			return errs.All(p...)
		}
		if err := tx.InsertTask(ctx, task); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "topic_task_create", "task:"+strconv.FormatInt(task.ID, 10), task)
	})
	return task, err
}

// UpdateTopic changes an active topic's title, summary, partners or goal;
// patch.Version must be the version read (else errs.Conflict).
func (s *Service) UpdateTopic(ctx context.Context, a org.Actor, id int64, patch TopicPatch) (*agenda.Topic, error) {
	if !agenda.MayManageTopics(a) {
		return nil, errs.E(errs.Forbidden)
	}
	var out *agenda.Topic
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		t, err := tx.Topic(ctx, id)
		if err != nil {
			return err
		}
		if patch.Version != 0 && patch.Version != t.Version {
			return errs.E(errs.Conflict)
		}
		if t.State != agenda.Active {
			return errs.D(errs.InvalidTransition, "topic is %s", t.State)
		}
		prev := t.Version
		if patch.Title != nil {
			t.Title = *patch.Title
		}
		if patch.Summary != nil {
			t.Summary = *patch.Summary
		}
		if patch.PartnerUnitIDs != nil {
			t.PartnerUnitIDs = *patch.PartnerUnitIDs
		}
		if patch.Goal != nil {
			t.Goal = *patch.Goal
		}
		if err := s.checkTopic(t); err != nil {
			return err
		}
		t.GoalBy = agenda.GoalBy(t.StartedAt, t.Goal.Months)
		t.Version, t.UpdatedAt = prev+1, s.Now()
		if err := tx.UpdateTopic(ctx, t, prev); err != nil {
			return err
		}
		out = t
		return s.Audit(ctx, tx, a, "topic_update", topicTarget(t.ID), patch)
	})
	return out, err
}

// CloseTopic closes an active topic without a verdict; its open tasks are
// withdrawn.
func (s *Service) CloseTopic(ctx context.Context, a org.Actor, id int64, note string) (*agenda.Topic, error) {
	if !agenda.MayManageTopics(a) {
		return nil, errs.E(errs.Forbidden)
	}
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > agenda.MaxSummary {
		return nil, errs.F(errs.FieldTooLong, "note")
	}
	var out *agenda.Topic
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		t, err := tx.Topic(ctx, id)
		if err != nil {
			return err
		}
		if t.State != agenda.Active {
			return errs.D(errs.InvalidTransition, "topic is %s", t.State)
		}
		now := s.Now()
		prev := t.Version
		t.State, t.Version, t.UpdatedAt = agenda.Closed, prev+1, now
		if err := tx.UpdateTopic(ctx, t, prev); err != nil {
			return err
		}
		tasks, err := tx.Tasks(ctx, agenda.TaskFilter{TopicID: id, States: []string{agenda.TaskOpen, agenda.TaskProposed}})
		if err != nil {
			return err
		}
		for _, task := range tasks {
			pv := task.Version
			task.State, task.Note, task.Version, task.UpdatedAt = agenda.TaskCanceled, note, pv+1, now
			if err := tx.UpdateTask(ctx, task, pv); err != nil {
				return err
			}
		}
		out = t
		return s.Audit(ctx, tx, a, "topic_close", topicTarget(id), map[string]any{"note": note, "tasks_canceled": len(tasks)})
	})
	return out, err
}

// topicDistricts lists the districts of a topic's places (none: city-wide).
func (s *Service) topicDistricts(t *agenda.Topic) []int64 {
	var out []int64
	for _, p := range t.Criteria.PlaceIDs {
		if ch, ok := s.Chain(p); ok && ch[0] != 0 && !slices.Contains(out, ch[0]) {
			out = append(out, ch[0])
		}
	}
	return out
}

// Topic returns a topic the actor may see, with its tasks and tracking.
func (s *Service) Topic(ctx context.Context, a org.Actor, id int64) (*TopicView, error) {
	if !agenda.MayListTopics(a) {
		return nil, errs.E(errs.Forbidden)
	}
	t, err := s.St.Topic(ctx, id)
	if err != nil {
		return nil, err
	}
	if !agenda.MaySeeTopic(a, t, s.topicDistricts(t)) {
		return nil, errs.E(errs.NotFound)
	}
	tasks, err := s.St.Tasks(ctx, agenda.TaskFilter{TopicID: id})
	if err != nil {
		return nil, err
	}
	tr, err := s.track(ctx, t, insight.DayOf(s.Now())-1)
	if err != nil {
		return nil, err
	}
	return &TopicView{Topic: t, Tasks: tasks, Tracking: tr}, nil
}

// Topics lists the topics the actor may see, newest first; states narrow
// the list.
func (s *Service) Topics(ctx context.Context, a org.Actor, states ...string) ([]*agenda.Topic, error) {
	if !agenda.MayListTopics(a) {
		return nil, errs.E(errs.Forbidden)
	}
	for _, st := range states {
		if !slices.Contains([]string{agenda.Active, agenda.Met, agenda.Missed, agenda.Closed}, st) {
			return nil, errs.F(errs.Invalid, "state")
		}
	}
	all, err := s.St.Topics(ctx, states...)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(t *agenda.Topic) bool { return !agenda.MaySeeTopic(a, t, s.topicDistricts(t)) }), nil
}

// Track returns a topic's tracking up to yesterday.
func (s *Service) Track(ctx context.Context, a org.Actor, id int64) (*TopicTracking, error) {
	v, err := s.Topic(ctx, a, id)
	if err != nil {
		return nil, err
	}
	return v.Tracking, nil
}

// JudgeTopics judges every active topic at now (the system's daily round):
// a goal met (or missed at its date) sets the outcome and the state; a met
// goal credits the lead unit with a 主动治理 item for the month it was met,
// in the same transaction, so a topic is credited exactly once. It returns
// how many topics were judged.
func (s *Service) JudgeTopics(ctx context.Context, now time.Time) (int, error) {
	active, err := s.St.Topics(ctx, agenda.Active)
	if err != nil {
		return 0, err
	}
	sys := org.System()
	n := 0
	for _, t := range active {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		until := min(insight.DayOf(now)-1, insight.DayOf(t.GoalBy)-1)
		tr, err := s.track(ctx, t, until)
		if err != nil {
			return n, err
		}
		met, done := agenda.Verdict(t, tr.Tracking, now)
		if !done {
			continue
		}
		err = s.St.Write(ctx, func(tx *store.Tx) error {
			cur, err := tx.Topic(ctx, t.ID)
			if err != nil {
				return err
			}
			if !cur.Judgeable() {
				return nil
			}
			prev := cur.Version
			cur.Outcome = agenda.OutcomeOf(tr.Tracking, met, now)
			cur.State, cur.Version, cur.UpdatedAt = agenda.Missed, prev+1, now
			if met {
				cur.State = agenda.Met
				month := now.In(s.Cfg.Loc).Format("2006-01")
				credited, note, err := s.creditTopic(ctx, tx, cur, month, now)
				if err != nil {
					return err
				}
				cur.Outcome.Credited, cur.Outcome.Note = credited, note
			}
			if err := tx.UpdateTopic(ctx, cur, prev); err != nil {
				return err
			}
			n++
			return s.Audit(ctx, tx, sys, "topic_judge", topicTarget(cur.ID), cur.Outcome)
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// creditTopic adds the lead unit's 主动治理 item for month, unless the unit
// is not ranked or the month is already published (then the note says why).
func (s *Service) creditTopic(ctx context.Context, tx *store.Tx, t *agenda.Topic, month string, now time.Time) (string, string, error) {
	u, ok := s.Unit(t.LeadUnitID)
	if !ok || !slices.Contains(assessment.RankedKinds, u.Kind) {
		return "", "lead unit is not ranked", nil
	}
	if _, found, err := tx.AssessMonth(ctx, month); err != nil {
		return "", "", err
	} else if found {
		return "", "month " + month + " already published", nil
	}
	it := assessment.Item{UnitID: u.ID, Period: month, Kind: ranking.ItemTopic, CreatedAt: now,
		Note: "每月一题 #" + strconv.FormatInt(t.ID, 10) + " " + t.Title}
	if err := tx.InsertAssessItem(ctx, &it); err != nil {
		return "", "", err
	}
	if err := s.Audit(ctx, tx, org.System(), "assess_item", "unit:"+strconv.FormatInt(u.ID, 10), it); err != nil {
		return "", "", err
	}
	return month, "", nil
}
