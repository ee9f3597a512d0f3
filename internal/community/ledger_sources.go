package community

import (
	"context"
	"time"

	"whistle/internal/ledger"
)

// The ledger rows of the participation records (issue #15): community
// projects and surveys, read from the store for the communities' places
// (and their grids) — the same records the participation pages show.

func scopePlaces(sc Scope) []int64 {
	return append(append([]int64(nil), sc.Places...), sc.Grids...)
}

func (s *Service) projectRows(ctx context.Context, sc Scope, from, to time.Time) ([]ledger.Row, error) {
	ps, err := s.St.ProjectsForLedger(ctx, scopePlaces(sc), from, to)
	if err != nil {
		return nil, err
	}
	out := make([]ledger.Row, 0, len(ps))
	for _, p := range ps {
		budget := p.ApprovedFen
		if budget == 0 {
			budget = p.BudgetFen
		}
		out = append(out, ledger.Row{"project": p.Title, "state": "project_" + p.State,
			"budget": float64(budget) / 100, "spent": float64(p.SpentFen) / 100,
			"month": p.ProposedAt.In(s.Cfg.Loc).Format("2006-01")})
	}
	return out, nil
}

func (s *Service) surveyRows(ctx context.Context, sc Scope, from, to time.Time) ([]ledger.Row, error) {
	ss, err := s.St.SurveysForLedger(ctx, scopePlaces(sc), from, to)
	if err != nil {
		return nil, err
	}
	out := make([]ledger.Row, 0, len(ss))
	for _, sv := range ss {
		out = append(out, ledger.Row{"date": sv.OpensAt.In(s.Cfg.Loc).Format("2006-01-02"), "survey": sv.Title,
			"answers": sv.AnswersInPeriod, "month": sv.OpensAt.In(s.Cfg.Loc).Format("2006-01")})
	}
	return out, nil
}

// deliberationRows: one row per item with a meeting in the period (its
// decision, or 未决 while undecided), from the items at the communities'
// places (DeliberationsForLedger matches each item's own place).
func (s *Service) deliberationRows(ctx context.Context, sc Scope, from, to time.Time) ([]ledger.Row, error) {
	ds, err := s.St.DeliberationsForLedger(ctx, scopePlaces(sc), from, to)
	if err != nil {
		return nil, err
	}
	out := make([]ledger.Row, 0, len(ds))
	for _, d := range ds {
		if d.MeetingAt.IsZero() {
			continue
		}
		decision := "undecided"
		switch {
		case d.Motion != "" && d.Adopted:
			decision = "adopted"
		case d.Motion != "":
			decision = "not_adopted"
		}
		out = append(out, ledger.Row{"date": d.MeetingAt.In(s.Cfg.Loc).Format("2006-01-02"), "topic": d.Title,
			"decision": decision, "tasks": d.TasksTotal, "month": d.MeetingAt.In(s.Cfg.Loc).Format("2006-01")})
	}
	return out, nil
}
