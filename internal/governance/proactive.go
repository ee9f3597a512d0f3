package governance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"whistle/internal/agenda"
	"whistle/internal/errs"
	"whistle/internal/insight"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
)

// 未诉先办: proactive tasks proposed from last year's history (insight.Proactive
// over the daily rollups), reviewed by the city centre, then open in the
// owner unit's inbox.

// LeadWorkdays is how many working days before the season's start a
// proactive task is due.
const LeadWorkdays = 10

// HistoryDays is how far back from the first day ahead the rollups are
// read: a year and two weeks, enough for the seasonal test (a year) and
// for last year's weeks ahead (at most MaxProposalWeeks, inside the year).
const HistoryDays = 364 + 14

// MaxProposalWeeks bounds the weeks ahead one proposal run covers.
const MaxProposalWeeks = 26

// ProactiveEvidence is what a proactive task was proposed from, kept as the
// task's Evidence (JSON).
type ProactiveEvidence struct {
	Key          string `json:"key"` // category|place|season year: one task per key
	CategoryName string `json:"category_name"`
	PlaceName    string `json:"place_name"`
	insight.Proposal
	UnitNames map[string]string `json:"unit_names,omitempty"`
}

// EvidenceOf decodes a proactive task's evidence (zero when there is none).
func EvidenceOf(t *agenda.Task) ProactiveEvidence {
	var e ProactiveEvidence
	if t != nil && t.Evidence != "" {
		_ = json.Unmarshal([]byte(t.Evidence), &e)
	}
	return e
}

// MayRunProactive reports who proposes and reviews proactive tasks — the city's
// deciders and the city centre's dispatchers and supervisors (and the
// system). Analysts and district centres read the proposals only.
func MayRunProactive(a org.Actor) bool {
	return a.IsSystem() || org.CityDecider(a) ||
		(a.Unit.Kind == org.KindCityCentre && a.User.Has(org.RoleDispatcher, org.RoleSupervisor))
}

// cellsOf turns rollup rows into the analysis's cells (ids as strings, ""
// for an unknown place level).
func cellsOf(rows []store.DailyRow) []insight.Cell {
	names := map[int64]string{0: ""} // one string per id, not one per row
	id := func(v int64) string {
		s, ok := names[v]
		if !ok {
			s = strconv.FormatInt(v, 10)
			names[v] = s
		}
		return s
	}
	out := make([]insight.Cell, len(rows))
	for i, r := range rows {
		out[i] = insight.Cell{Day: insight.Day(r.Day), Category: r.Category, District: id(r.DistrictID), Street: id(r.StreetID),
			Community: id(r.CommunityID), Grid: id(r.GridID), Unit: id(r.UnitID), N: int(r.N), Reopened: int(r.Reopened),
			Rated: int(r.Rated), Unsatis: int(r.Unsatisfied)}
	}
	return out
}

// ProposeProactive proposes proactive tasks for the weeks from..to: the
// places that had the most requests of a seasonal category in the same
// weeks last year (insight.Proactive over the last HistoryDays of rollups).
// Each becomes a task in state proposed, owned by the unit that handled
// most of those requests (else the street's office), due LeadWorkdays
// working days before the season starts (not before the next working
// day). A proposal whose category, place and season already have a task
// (proposed, open, done or rejected) is not made again. It returns the new
// proposals.
func (s *Service) ProposeProactive(ctx context.Context, a org.Actor, from, to insight.Day) ([]*agenda.Task, error) {
	if !MayRunProactive(a) {
		return nil, errs.E(errs.Forbidden)
	}
	if to < from {
		return nil, errs.F(errs.Invalid, "to")
	}
	if to-from+1 > 7*MaxProposalWeeks {
		return nil, errs.D(errs.Invalid, "at most %d weeks ahead", MaxProposalWeeks)
	}
	t0 := time.Now()
	rows, err := s.St.Analysis.DailyRows(ctx, store.DailyFilter{From: int64(from - HistoryDays), To: int64(from - 1)})
	if err != nil {
		return nil, err
	}
	t1 := time.Now()
	cells := cellsOf(rows)
	rows = nil
	t2 := time.Now()
	props, err := insight.Proactive(cells, from, to, insight.SeasonOptions{})
	s.Log.Info("proactive proposals", "rows", len(cells), "read", t1.Sub(t0), "cells", t2.Sub(t1), "analysis", time.Since(t2))
	if errors.Is(err, insight.ErrShortHistory) {
		return nil, errs.D(errs.Invalid, "the rollups hold less than a year of history before %s", from)
	} else if err != nil {
		return nil, err
	}
	now := s.Now()
	var out []*agenda.Task
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		out = out[:0]
		existing, err := tx.Tasks(ctx, agenda.TaskFilter{Kind: agenda.KindProactive})
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, t := range existing {
			if t.State != agenda.TaskCanceled {
				seen[EvidenceOf(t).Key] = true
			}
		}
		for _, p := range props {
			t, ok := s.proposalTask(p, now)
			if !ok || seen[EvidenceOf(t).Key] {
				continue
			}
			seen[EvidenceOf(t).Key] = true
			t.CreatedBy = a.User.ID
			if err := tx.InsertTask(ctx, t); err != nil {
				return err
			}
			out = append(out, t)
		}
		return s.Audit(ctx, tx, a, "proactive_propose", "proactive", map[string]any{"from": from.String(), "to": to.String(), "found": len(props), "proposed": len(out)})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// proposalTask builds the task of one proposal; ok is false when its place
// is not in the catalogue.
func (s *Service) proposalTask(p insight.Proposal, now time.Time) (*agenda.Task, bool) {
	placeID, err := strconv.ParseInt(p.Place, 10, 64)
	if err != nil {
		return nil, false
	}
	place, ok := s.Place(placeID)
	if !ok {
		return nil, false
	}
	catName := p.Category
	if c, ok := s.Category(p.Category); ok && c.NameZH != "" {
		catName = c.NameZH
	}
	ev := ProactiveEvidence{Key: fmt.Sprintf("%s|%d|%d", p.Category, placeID, p.SeasonStart.Time().Year()),
		CategoryName: catName, PlaceName: place.Name, Proposal: p, UnitNames: map[string]string{}}
	var unit org.Unit
	for _, u := range p.Units {
		id, _ := strconv.ParseInt(u.Key, 10, 64)
		if un, ok := s.Unit(id); ok {
			ev.UnitNames[u.Key] = un.Name
			if unit.ID == 0 && !un.IsCentre() {
				unit = un
			}
		}
	}
	if unit.ID == 0 {
		street, _ := strconv.ParseInt(p.Street, 10, 64)
		district, _ := strconv.ParseInt(p.District, 10, 64)
		if unit, ok = s.HandlingUnitFor(lifecycle.Location{DistrictID: district, StreetID: street}); !ok {
			return nil, false
		}
	}
	b, _ := json.Marshal(ev)
	t := &agenda.Task{Kind: agenda.KindProactive, State: agenda.TaskProposed, UnitID: unit.ID,
		Title: proactiveTitle(catName, place.Name, p), Detail: proactiveDetail(ev), Category: p.Category,
		PlaceIDs: []int64{placeID}, Evidence: string(b), DueAt: s.leadDue(p.SeasonStart, now),
		CreatedAt: now, UpdatedAt: now, Version: 1}
	return t, true
}

// proactiveTitle is e.g. 「入冬前供暖设施排查 · 某某街道」: the season's word
// from the month it starts, the category, the place.
func proactiveTitle(cat, place string, p insight.Proposal) string {
	if !p.Seasonal {
		return fmt.Sprintf("%s问题预防排查 · %s", cat, place)
	}
	word := ""
	switch p.SeasonStart.Time().Month() {
	case time.October, time.November, time.December, time.January:
		word = "入冬前"
	case time.February, time.March, time.April:
		word = "入春前"
	case time.May, time.June, time.July:
		word = "入夏前"
	default:
		word = "入秋前"
	}
	return fmt.Sprintf("%s%s排查 · %s", word, cat, place)
}

// proactiveDetail states the evidence in a sentence (zh).
func proactiveDetail(e ProactiveEvidence) string {
	var weeks []string
	for _, n := range e.Weekly {
		weeks = append(weeks, strconv.Itoa(n))
	}
	var units []string
	for _, u := range e.Units {
		name := e.UnitNames[u.Key]
		if name == "" {
			name = u.Key
		}
		units = append(units, fmt.Sprintf("%s %d 件", name, u.N))
	}
	d := fmt.Sprintf("去年同期（%s 至 %s）%s共有%s诉求 %d 件（按周：%s），每周 %.1f 件，为平时（每周 %.1f 件）的 %.1f 倍。",
		e.LastFrom, e.LastTo, e.PlaceName, e.CategoryName, e.LastYear, strings.Join(weeks, "、"), e.InRate, e.OutRate, e.Lift)
	if e.OutRate == 0 {
		d = fmt.Sprintf("去年同期（%s 至 %s）%s共有%s诉求 %d 件（按周：%s），平时没有。",
			e.LastFrom, e.LastTo, e.PlaceName, e.CategoryName, e.LastYear, strings.Join(weeks, "、"))
	}
	if len(units) > 0 {
		d += "承办单位：" + strings.Join(units, "，") + "。"
	}
	if e.Seasonal {
		d += fmt.Sprintf("季节期约自 %s 起，建议提前 %d 个工作日完成排查。", e.SeasonStart, LeadWorkdays)
	}
	return d
}

// leadDue is 18:00 of the working day LeadWorkdays working days before
// the season's start, or of the next working day when that has passed.
func (s *Service) leadDue(start insight.Day, now time.Time) time.Time {
	cal, loc := s.Calendar(), s.Location()
	y, m, d := start.Time().Date()
	day := time.Date(y, m, d, 18, 0, 0, 0, loc)
	for n := 0; n < LeadWorkdays; {
		day = day.AddDate(0, 0, -1)
		if cal.IsWorkday(day) {
			n++
		}
	}
	if day.Before(now) {
		y, m, d := now.In(loc).Date()
		day = time.Date(y, m, d, 18, 0, 0, 0, loc)
		if !cal.IsWorkday(day) || day.Before(now) {
			ny, nm, nd := cal.NextWorkdayStart(now).Date()
			day = time.Date(ny, nm, nd, 18, 0, 0, 0, loc)
		}
	}
	return day
}

// Proposals lists the proactive tasks, every state, nearest due first: the
// city's staff (analysts too) see them all; a district centre those owned
// by units of its district.
func (s *Service) Proposals(ctx context.Context, a org.Actor) ([]*agenda.Task, error) {
	district, all, ok := org.CentreDistrict(a)
	if !ok {
		return nil, errs.E(errs.Forbidden)
	}
	ts, err := s.St.Tasks(ctx, agenda.TaskFilter{Kind: agenda.KindProactive, Limit: 2000})
	if err != nil || all {
		return ts, err
	}
	out := ts[:0]
	for _, t := range ts {
		if u, ok := s.Unit(t.UnitID); ok && s.unitDistrict(u) == district {
			out = append(out, t)
		}
	}
	return out, nil
}

func (s *Service) unitDistrict(u org.Unit) int64 {
	ch, _ := s.Chain(u.PlaceID)
	return ch[0]
}

// ReviewOverrides change a proposal when it is approved: another owner
// unit, another due date (zero: keep).
type ReviewOverrides struct {
	UnitID int64
	Due    time.Time
}

// ReviewProactive approves a proposal (it becomes open, in the owner's
// inbox) or rejects it (a note with the reason is required).
func (s *Service) ReviewProactive(ctx context.Context, a org.Actor, id int64, approve bool, note string, o ReviewOverrides) (*agenda.Task, error) {
	if !MayRunProactive(a) {
		return nil, errs.E(errs.Forbidden)
	}
	note = strings.TrimSpace(note)
	if !approve && note == "" {
		return nil, errs.F(errs.FieldRequired, "note")
	}
	if utf8.RuneCountInString(note) > s.Cfg.MaxNote {
		return nil, errs.F(errs.FieldTooLong, "note")
	}
	if o.UnitID != 0 {
		if u, ok := s.Unit(o.UnitID); !ok || u.IsCentre() {
			return nil, errs.F(errs.UnknownUnit, "unit_id")
		}
	}
	now := s.Now()
	if !o.Due.IsZero() {
		y, m, d := now.In(s.Location()).Date()
		if o.Due.Before(time.Date(y, m, d, 0, 0, 0, 0, s.Location())) {
			return nil, errs.F(errs.DeadlineInPast, "due")
		}
	}
	var out *agenda.Task
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		t, err := tx.Task(ctx, id)
		if err != nil {
			return err
		}
		if t.Kind != agenda.KindProactive {
			return errs.E(errs.NotFound)
		}
		if t.State != agenda.TaskProposed {
			return errs.E(errs.InvalidTransition)
		}
		prev := t.Version
		detail := map[string]any{"approve": approve, "note": note, "unit_id": t.UnitID}
		if approve {
			t.State = agenda.TaskOpen
			if o.UnitID != 0 {
				t.UnitID = o.UnitID
				detail["unit_id"] = o.UnitID
			}
			if !o.Due.IsZero() {
				t.DueAt = o.Due
				detail["due"] = o.Due
			}
		} else {
			t.State = agenda.TaskRejected
		}
		t.Note, t.UpdatedAt, t.Version = note, now, prev+1
		if err := tx.UpdateTask(ctx, t, prev); err != nil {
			return err
		}
		action := "proactive_reject"
		if approve {
			action = "proactive_approve"
		}
		out = t
		return s.Audit(ctx, tx, a, action, fmt.Sprintf("task:%d", t.ID), detail)
	})
	return out, err
}
