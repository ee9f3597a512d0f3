// Package deliberations is 议事协商 (issue #15) as streets and communities
// work it: agenda items raised from requests or a 每月一题 topic, or
// proposed by residents on the portal and accepted or declined; meetings
// with participants; minutes and a decision with its vote; follow-up tasks
// that reach their owner units' inboxes as agenda tasks; and the public
// view of decisions and their progress. Every action is one call, one
// transaction, versioned; the rules are internal/deliberation's.
package deliberations

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"whistle/internal/agenda"
	"whistle/internal/casework"
	"whistle/internal/core"
	"whistle/internal/deliberation"
	"whistle/internal/errs"
	"whistle/internal/governance"
	"whistle/internal/org"
	"whistle/internal/store"
)

// Service runs deliberations.
type Service struct {
	*core.Core
	cases *casework.Service
	gov   *governance.Service
}

// New builds the service over the core; cases decide which requests an
// actor may raise an item from, gov which topics.
func New(c *core.Core, cases *casework.Service, gov *governance.Service) *Service {
	return &Service{Core: c, cases: cases, gov: gov}
}

// RaiseInput raises an item from requests (CaseIDs) or a topic (TopicID).
type RaiseInput struct {
	Title   string  `json:"title"`
	Summary string  `json:"summary,omitempty"`
	PlaceID int64   `json:"place_id"`
	CaseIDs []int64 `json:"case_ids,omitempty"`
	TopicID int64   `json:"topic_id,omitempty"`
}

// ProposeInput is a residents' proposal from the portal.
type ProposeInput struct {
	PlaceID int64  `json:"place_id"`
	Title   string `json:"title"`
	Summary string `json:"summary,omitempty"`
	Name    string `json:"name,omitempty"`
	Phone   string `json:"phone"`
}

// MeetingInput schedules (or moves) the meeting.
type MeetingInput struct {
	Version      int64                      `json:"version"`
	At           time.Time                  `json:"at"`
	Venue        string                     `json:"venue"`
	Participants []deliberation.Participant `json:"participants,omitempty"`
}

// DecisionInput records the meeting's minutes and decision.
type DecisionInput struct {
	Version int64              `json:"version"`
	Minutes string             `json:"minutes"`
	Motion  string             `json:"motion"`
	Votes   deliberation.Votes `json:"votes"`
	Quorum  int                `json:"quorum,omitempty"`
}

// TaskInput is one follow-up task.
type TaskInput struct {
	UnitID int64     `json:"unit_id"`
	Title  string    `json:"title"`
	Detail string    `json:"detail,omitempty"`
	DueAt  time.Time `json:"due_at"`
}

// TaskView is a follow-up task with its owner's name.
type TaskView struct {
	*agenda.Task
	UnitName string `json:"unit_name"`
}

// View is an item as an actor sees it: residents' names masked unless
// revealed, the proposer's contact masked.
type View struct {
	Item          *deliberation.Item `json:"item"`
	UnitName      string             `json:"unit_name"`
	PlaceName     string             `json:"place_name"`
	ProposerName  string             `json:"proposer_name,omitempty"`
	ProposerPhone string             `json:"proposer_phone,omitempty"`
	Revealed      bool               `json:"revealed,omitempty"`
	Tasks         []TaskView         `json:"tasks"`
	Done          int                `json:"tasks_done"`
	Total         int                `json:"tasks_total"`
	MayManage     bool               `json:"may_manage"`
	MayReveal     bool               `json:"may_reveal"`
	MayClose      bool               `json:"may_close"`
}

// Summary is an item in a list.
type Summary struct {
	ID        int64     `json:"id"`
	Title     string    `json:"title"`
	State     string    `json:"state"`
	Source    string    `json:"source"`
	UnitName  string    `json:"unit_name"`
	PlaceName string    `json:"place_name"`
	MeetingAt time.Time `json:"meeting_at,omitzero"`
	Adopted   *bool     `json:"adopted,omitempty"`
	Done      int       `json:"tasks_done"`
	Total     int       `json:"tasks_total"`
}

func (s *Service) unitName(id int64) string {
	if u, ok := s.Unit(id); ok {
		return u.Name
	}
	return ""
}

func (s *Service) placeName(id int64) string {
	if p, ok := s.Place(id); ok {
		return p.Name
	}
	return ""
}

func (s *Service) unitDistrict(id int64) int64 {
	u, ok := s.Unit(id)
	if !ok {
		return 0
	}
	ch, _ := s.Chain(u.PlaceID)
	return ch[0]
}

// maySee: the owner unit, the centre (the city; a district centre in its
// district), a unit owning one of the item's tasks or sitting at its
// meeting. Proposals not yet accepted are the owner's and the centre's.
func (s *Service) maySee(ctx context.Context, q store.Queries, a org.Actor, it *deliberation.Item) (bool, error) {
	if a.Unit.ID != 0 && a.Unit.ID == it.UnitID {
		return true, nil
	}
	if district, all, ok := org.CentreDistrict(a); ok {
		if all || s.unitDistrict(it.UnitID) == district {
			return true, nil
		}
	}
	if a.Unit.ID == 0 || !a.User.Has(org.RoleHandler, org.RoleLeader) || it.State == deliberation.Proposed || it.State == deliberation.Declined {
		return false, nil
	}
	if it.Meeting != nil {
		for _, p := range it.Meeting.Participants {
			if p.UnitID == a.Unit.ID {
				return true, nil
			}
		}
	}
	ts, err := q.DeliberationTasks(ctx, it.ID)
	if err != nil {
		return false, err
	}
	for _, t := range ts {
		if t.UnitID == a.Unit.ID {
			return true, nil
		}
	}
	return false, nil
}

// load reads an item the actor may see (errs.NotFound otherwise).
func (s *Service) load(ctx context.Context, q store.Queries, a org.Actor, id int64) (*deliberation.Item, error) {
	it, err := q.Deliberation(ctx, id)
	if err != nil {
		return nil, err
	}
	ok, err := s.maySee(ctx, q, a, it)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.E(errs.NotFound)
	}
	return it, nil
}

// checkPlace: the place exists and lies in the owner unit's area.
func (s *Service) checkPlace(unit org.Unit, placeID int64) *errs.Error {
	p, ok := s.Place(placeID)
	if !ok {
		return errs.F(errs.UnknownPlace, "place_id")
	}
	ch, _ := s.Chain(placeID)
	if !deliberation.InArea(ch, p.Level, unit.PlaceID) {
		return errs.F(errs.OutsideArea, "place_id")
	}
	return nil
}

// Raise puts an item on the agenda of the actor's unit: from requests the
// actor can see (one not visible is not found) or from a topic it can see.
func (s *Service) Raise(ctx context.Context, a org.Actor, in RaiseInput) (*View, error) {
	if !deliberation.MayRaise(a) {
		return nil, errs.E(errs.Forbidden)
	}
	now := s.Now()
	it := &deliberation.Item{Title: strings.TrimSpace(in.Title), Summary: strings.TrimSpace(in.Summary), State: deliberation.Accepted,
		UnitID: a.Unit.ID, PlaceID: in.PlaceID, CreatedBy: a.User.ID, CreatedAt: now, UpdatedAt: now, Version: 1}
	switch {
	case len(in.CaseIDs) > 0 && in.TopicID != 0:
		return nil, errs.D(errs.Invalid, "either requests or a topic")
	case len(in.CaseIDs) > 0:
		it.Source = deliberation.FromRequests
		for _, id := range in.CaseIDs {
			if !slices.Contains(it.CaseIDs, id) {
				it.CaseIDs = append(it.CaseIDs, id)
			}
		}
	default:
		it.Source, it.TopicID = deliberation.FromTopic, in.TopicID
	}
	if err := deliberation.ValidateItem(it); err != nil {
		return nil, err
	}
	if e := s.checkPlace(a.Unit, it.PlaceID); e != nil {
		return nil, e
	}
	for _, id := range it.CaseIDs {
		if err := s.cases.InScope(ctx, a, id); err != nil {
			if errs.Is(err, errs.NotFound) {
				return nil, &errs.Error{Code: errs.NotFound, Field: "case_ids", Detail: fmt.Sprintf("request %d", id)}
			}
			return nil, err
		}
	}
	if it.TopicID != 0 {
		if _, err := s.gov.Topic(ctx, a, it.TopicID); err != nil {
			if errs.Is(err, errs.NotFound) || errs.Is(err, errs.Forbidden) {
				return nil, errs.F(errs.NotFound, "topic_id")
			}
			return nil, err
		}
	}
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertDeliberation(ctx, it, ""); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "deliberation_raise", target(it.ID), map[string]any{"source": it.Source, "case_ids": it.CaseIDs, "topic_id": it.TopicID, "place_id": it.PlaceID})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, a, it.ID)
}

// auditActions are the audit log's codes of the transitions.
var auditActions = map[string]string{
	deliberation.ActAccept:   "deliberation_accept",
	deliberation.ActDecline:  "deliberation_decline",
	deliberation.ActSchedule: "deliberation_schedule",
	deliberation.ActDecide:   "deliberation_decide",
	deliberation.ActTasks:    "deliberation_tasks",
	deliberation.ActClose:    "deliberation_close",
}

func target(id int64) string { return fmt.Sprintf("deliberation:%d", id) }

// OwnerFor is the unit that owns deliberations about a place: a community
// unit of that community where there is one, else the street office of its
// street.
func (s *Service) OwnerFor(placeID int64) (org.Unit, bool) {
	p, ok := s.Place(placeID)
	if !ok || (p.Level != org.LevelStreet && p.Level != org.LevelCommunity) {
		return org.Unit{}, false
	}
	ch, _ := s.Chain(placeID)
	var street org.Unit
	for _, u := range s.UnitsList() {
		if u.Kind == deliberation.KindCommunity && ch[2] != 0 && u.PlaceID == ch[2] {
			return u, true
		}
		if u.Kind == org.KindStreet && u.PlaceID == ch[1] && (street.ID == 0 || u.ID < street.ID) {
			street = u
		}
	}
	return street, street.ID != 0
}

// Propose records a residents' proposal for a community (or street): it
// waits for the owner unit to accept or decline it. The caller (the portal)
// rate-limits per address. It returns the item's id only.
func (s *Service) Propose(ctx context.Context, in ProposeInput) (int64, error) {
	it := &deliberation.Item{Title: strings.TrimSpace(in.Title), Summary: strings.TrimSpace(in.Summary), State: deliberation.Proposed,
		Source: deliberation.FromResident, PlaceID: in.PlaceID, Proposer: deliberation.Proposer{Name: strings.TrimSpace(in.Name)}}
	var problems []*errs.Error
	hash, raw := "", strings.TrimSpace(in.Phone)
	it.Proposer.Phone = raw
	if err := deliberation.ValidateItem(it); err != nil {
		problems = append(problems, errs.FieldsOf(err)...)
	}
	if raw != "" {
		p, err := core.NormalizePhone(raw)
		if err != nil {
			problems = append(problems, errs.F(errs.InvalidPhone, "phone"))
		} else {
			it.Proposer.Phone, hash = p, s.PhoneHash(p)
		}
	}
	if len(problems) == 0 {
		owner, ok := s.OwnerFor(in.PlaceID)
		if !ok {
			problems = append(problems, errs.F(errs.UnknownPlace, "place_id"))
		}
		it.UnitID = owner.ID
	}
	if len(problems) > 0 {
		return 0, errs.All(problems...)
	}
	now := s.Now()
	it.CreatedAt, it.UpdatedAt, it.Version = now, now, 1
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertDeliberation(ctx, it, hash); err != nil {
			return err
		}
		return s.Audit(ctx, tx, org.Actor{User: org.User{Roles: []string{org.RoleCitizen}}}, "deliberation_propose", target(it.ID), map[string]any{"place_id": it.PlaceID, "unit_id": it.UnitID})
	})
	return it.ID, err
}

// move is one transition: load the item in a transaction, check scope,
// the manager, the version and the state, let change edit it, save it
// with its version bumped and audit it.
func (s *Service) move(ctx context.Context, a org.Actor, id, version int64, action string, change func(tx *store.Tx, it *deliberation.Item, now time.Time) (map[string]any, error)) (*View, error) {
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		it, err := s.load(ctx, tx.Queries, a, id)
		if err != nil {
			return err
		}
		if !deliberation.MayManage(a, it) {
			return errs.E(errs.Forbidden)
		}
		if version != 0 && version != it.Version {
			return errs.E(errs.Conflict)
		}
		next, err := deliberation.Next(it.State, action)
		if err != nil {
			return err
		}
		now := s.Now()
		detail, err := change(tx, it, now)
		if err != nil {
			return err
		}
		prev := it.Version
		it.State, it.Version, it.UpdatedAt = next, prev+1, now
		if err := tx.UpdateDeliberation(ctx, it, prev); err != nil {
			return err
		}
		if detail == nil {
			detail = map[string]any{}
		}
		detail["state"] = next
		return s.Audit(ctx, tx, a, auditActions[action], target(id), detail)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, a, id)
}

// Accept puts a residents' proposal on the agenda.
func (s *Service) Accept(ctx context.Context, a org.Actor, id, version int64) (*View, error) {
	return s.move(ctx, a, id, version, deliberation.ActAccept, func(*store.Tx, *deliberation.Item, time.Time) (map[string]any, error) { return nil, nil })
}

// Decline turns down a proposal (or withdraws an item not yet scheduled),
// with a reason.
func (s *Service) Decline(ctx context.Context, a org.Actor, id, version int64, reason string) (*View, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, errs.F(errs.FieldRequired, "reason")
	}
	if len([]rune(reason)) > deliberation.MaxReason {
		return nil, errs.F(errs.FieldTooLong, "reason")
	}
	return s.move(ctx, a, id, version, deliberation.ActDecline, func(_ *store.Tx, it *deliberation.Item, _ time.Time) (map[string]any, error) {
		it.Reason = reason
		return map[string]any{"reason": reason}, nil
	})
}

// Schedule sets (or moves) the meeting: time, venue and participants.
func (s *Service) Schedule(ctx context.Context, a org.Actor, id int64, in MeetingInput) (*View, error) {
	m := deliberation.Meeting{At: in.At, Venue: strings.TrimSpace(in.Venue)}
	for _, p := range in.Participants {
		p.Name = strings.TrimSpace(p.Name)
		m.Participants = append(m.Participants, p)
	}
	if err := deliberation.ValidateMeeting(m); err != nil {
		return nil, err
	}
	for i, p := range m.Participants {
		if p.UnitID != 0 {
			if _, ok := s.Unit(p.UnitID); !ok {
				return nil, errs.F(errs.UnknownUnit, fmt.Sprintf("participants.%d.unit_id", i))
			}
		}
	}
	return s.move(ctx, a, id, in.Version, deliberation.ActSchedule, func(_ *store.Tx, it *deliberation.Item, _ time.Time) (map[string]any, error) {
		it.Meeting = &m
		return map[string]any{"at": m.At, "venue": m.Venue, "participants": len(m.Participants)}, nil
	})
}

// Decide records the minutes and the decision; whether the motion was
// adopted follows from the votes (deliberation.Adopted).
func (s *Service) Decide(ctx context.Context, a org.Actor, id int64, in DecisionInput) (*View, error) {
	d := deliberation.Decision{Motion: strings.TrimSpace(in.Motion), Votes: in.Votes, Quorum: in.Quorum}
	minutes := strings.TrimSpace(in.Minutes)
	if err := deliberation.ValidateDecision(d, minutes); err != nil {
		return nil, err
	}
	d.Adopted = deliberation.Adopted(d.Votes, d.Quorum)
	return s.move(ctx, a, id, in.Version, deliberation.ActDecide, func(_ *store.Tx, it *deliberation.Item, now time.Time) (map[string]any, error) {
		d.At = now
		m := *it.Meeting
		m.Minutes = minutes
		it.Meeting, it.Decision = &m, &d
		return map[string]any{"motion": d.Motion, "votes": d.Votes, "quorum": d.Quorum, "adopted": d.Adopted}, nil
	})
}

// AddTasks hands out follow-up tasks of a decision: agenda tasks of kind
// deliberation, open in their owner units' inboxes.
func (s *Service) AddTasks(ctx context.Context, a org.Actor, id, version int64, in []TaskInput) (*View, error) {
	if len(in) == 0 {
		return nil, errs.F(errs.FieldRequired, "tasks")
	}
	now := s.Now()
	var problems []*errs.Error
	for i, t := range in {
		if err := deliberation.ValidateTask(i, t.UnitID, strings.TrimSpace(t.Title), t.DueAt, now); err != nil {
			problems = append(problems, errs.FieldsOf(err)...)
		} else if _, ok := s.Unit(t.UnitID); !ok {
			problems = append(problems, errs.F(errs.UnknownUnit, fmt.Sprintf("tasks.%d.unit_id", i)))
		}
		if len([]rune(t.Detail)) > s.Cfg.MaxNote {
			problems = append(problems, errs.F(errs.FieldTooLong, fmt.Sprintf("tasks.%d.detail", i)))
		}
	}
	if len(problems) > 0 {
		return nil, errs.All(problems...)
	}
	return s.move(ctx, a, id, version, deliberation.ActTasks, func(tx *store.Tx, it *deliberation.Item, now time.Time) (map[string]any, error) {
		var ids []int64
		for _, in := range in {
			// Without a detail, the owner's inbox says which item it follows.
			detail := strings.TrimSpace(in.Detail)
			if detail == "" {
				detail = it.Title
				if it.Decision != nil {
					detail += " · " + it.Decision.Motion
				}
			}
			t := &agenda.Task{Kind: agenda.KindDeliberation, DeliberationID: it.ID, State: agenda.TaskOpen, UnitID: in.UnitID,
				Title: strings.TrimSpace(in.Title), Detail: detail, PlaceIDs: []int64{it.PlaceID}, DueAt: in.DueAt,
				CreatedBy: a.User.ID, CreatedAt: now, UpdatedAt: now, Version: 1}
			if err := tx.InsertTask(ctx, t); err != nil {
				return nil, err
			}
			if err := tx.LinkDeliberationTask(ctx, it.ID, t.ID); err != nil {
				return nil, err
			}
			ids = append(ids, t.ID)
		}
		it.TaskIDs = append(it.TaskIDs, ids...)
		return map[string]any{"task_ids": ids}, nil
	})
}

// Close closes a decided item once every follow-up task is done.
func (s *Service) Close(ctx context.Context, a org.Actor, id, version int64) (*View, error) {
	return s.move(ctx, a, id, version, deliberation.ActClose, func(tx *store.Tx, it *deliberation.Item, _ time.Time) (map[string]any, error) {
		ts, err := tx.DeliberationTasks(ctx, it.ID)
		if err != nil {
			return nil, err
		}
		done := countDone(ts)
		if !deliberation.MayClose(done, len(ts)) {
			return nil, errs.D(errs.InvalidTransition, "%d of %d tasks done", done, len(ts))
		}
		return map[string]any{"tasks": len(ts)}, nil
	})
}

func countDone(ts []*agenda.Task) int {
	n := 0
	for _, t := range ts {
		if t.State == agenda.TaskDone {
			n++
		}
	}
	return n
}

// Get returns an item the actor may see, personal data masked.
func (s *Service) Get(ctx context.Context, a org.Actor, id int64) (*View, error) {
	it, err := s.load(ctx, s.St.Queries, a, id)
	if err != nil {
		return nil, err
	}
	return s.view(ctx, a, it, false)
}

// Reveal returns the item with the residents' names and the proposer's
// contact in clear: the owner unit's staff only, recorded in the audit log.
func (s *Service) Reveal(ctx context.Context, a org.Actor, id int64) (*View, error) {
	it, err := s.load(ctx, s.St.Queries, a, id)
	if err != nil {
		return nil, err
	}
	if !deliberation.MayReveal(a, it) {
		return nil, errs.E(errs.Forbidden)
	}
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		return s.Audit(ctx, tx, a, "deliberation_reveal", target(id), map[string]any{"fields": []string{"participants", "proposer"}})
	})
	if err != nil {
		return nil, err
	}
	return s.view(ctx, a, it, true)
}

func (s *Service) view(ctx context.Context, a org.Actor, it *deliberation.Item, reveal bool) (*View, error) {
	ts, err := s.St.DeliberationTasks(ctx, it.ID)
	if err != nil {
		return nil, err
	}
	v := &View{UnitName: s.unitName(it.UnitID), PlaceName: s.placeName(it.PlaceID), Total: len(ts), Done: countDone(ts),
		MayManage: deliberation.MayManage(a, it), MayReveal: deliberation.MayReveal(a, it), Revealed: reveal}
	v.MayClose = v.MayManage && it.State == deliberation.Decided && deliberation.MayClose(v.Done, v.Total)
	for _, t := range ts {
		v.Tasks = append(v.Tasks, TaskView{Task: t, UnitName: s.unitName(t.UnitID)})
	}
	c := *it
	c.Proposer = deliberation.Proposer{}
	if reveal {
		v.ProposerName, v.ProposerPhone = it.Proposer.Name, it.Proposer.Phone
	} else {
		v.ProposerName, v.ProposerPhone = org.MaskName(it.Proposer.Name), org.MaskPhone(it.Proposer.Phone)
		if it.Meeting != nil {
			m := *it.Meeting
			m.Participants = deliberation.MaskedParticipants(m.Participants, org.MaskName)
			c.Meeting = &m
		}
	}
	v.Item = &c
	return v, nil
}

// List returns the items the actor's unit owns or owes a follow-up task —
// or, for the centre, those of the city (a district centre: its district) —
// newest first; states narrow the list.
func (s *Service) List(ctx context.Context, a org.Actor, states ...string) ([]Summary, error) {
	for _, st := range states {
		if !slices.Contains(deliberation.States, st) {
			return nil, errs.F(errs.Invalid, "state")
		}
	}
	f := deliberation.Filter{States: states, Limit: 500}
	district, all, centre := org.CentreDistrict(a)
	switch {
	case centre && all:
	case centre:
		for _, u := range s.UnitsList() {
			if deliberation.OwnerKind(u.Kind) && s.unitDistrict(u.ID) == district {
				f.UnitIDs = append(f.UnitIDs, u.ID)
			}
		}
		if len(f.UnitIDs) == 0 {
			return nil, nil
		}
	case a.Unit.ID != 0:
		f.UnitIDs = []int64{a.Unit.ID}
		if a.User.Has(org.RoleHandler, org.RoleLeader) {
			f.TaskUnitID = a.Unit.ID // and the items it owes a follow-up task
		}
	default:
		return nil, nil
	}
	items, err := s.St.Deliberations(ctx, f)
	if err != nil {
		return nil, err
	}
	return s.summaries(ctx, items)
}

func (s *Service) summaries(ctx context.Context, items []*deliberation.Item) ([]Summary, error) {
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	pr, err := s.St.DeliberationProgress(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Summary, 0, len(items))
	for _, it := range items {
		sm := Summary{ID: it.ID, Title: it.Title, State: it.State, Source: it.Source, UnitName: s.unitName(it.UnitID),
			PlaceName: s.placeName(it.PlaceID), Done: pr[it.ID][0], Total: pr[it.ID][1]}
		if it.Meeting != nil {
			sm.MeetingAt = it.Meeting.At
		}
		if it.Decision != nil {
			ad := it.Decision.Adopted
			sm.Adopted = &ad
		}
		out = append(out, sm)
	}
	return out, nil
}

// Places lists the streets and communities in the area of the actor's unit
// (where it may raise items), in id order.
func (s *Service) Places(a org.Actor) []org.Place {
	if !deliberation.MayRaise(a) {
		return nil
	}
	var out []org.Place
	for _, p := range s.PlaceMap() {
		ch, _ := s.Chain(p.ID)
		if deliberation.InArea(ch, p.Level, a.Unit.PlaceID) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(x, y org.Place) int { return int(x.ID - y.ID) })
	return out
}
