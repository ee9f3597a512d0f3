package seed

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"whistle/internal/assessment"
	"whistle/internal/demo"
	"whistle/internal/grid"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/services"
	"whistle/internal/store"
	"whistle/internal/summons"
)

// extras loads what happened around the requests: patrols with their
// findings, whistles played through the summons rules,
// exemption requests and decisions, and the last full months' published
// rankings.
func extras(ctx context.Context, svc *services.Services, ds *demo.Dataset, cs []lifecycle.Case, end time.Time, log *slog.Logger) error {
	users := map[string]*org.User{}
	for i := range ds.Users {
		users[ds.Users[i].Username] = &ds.Users[i].User
	}
	err := svc.St.Write(ctx, func(tx *store.Tx) error {
		if err := patrols(ctx, tx, ds, users); err != nil {
			return fmt.Errorf("patrols: %w", err)
		}
		if err := whistles(ctx, tx, ds, users); err != nil {
			return fmt.Errorf("whistles: %w", err)
		}
		if err := exemptions(ctx, tx, ds, cs, end); err != nil {
			return err
		}
		// The report-by timers that passed before the end were played
		// above (as the scheduler would have): mark them fired.
		due, err := tx.DueWhistleTimers(ctx, end, 1<<20)
		if err != nil {
			return err
		}
		for _, t := range due {
			if _, err := tx.ClaimWhistleTimer(ctx, t.ID, "demo", t.DueAt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	log.Info("demo activity stored", "patrols", len(ds.Patrols), "whistles", len(ds.Whistles))
	t0 := time.Now()

	// The last two full months are published, through the ranking service.
	u, _, err := svc.St.UserByName(ctx, "admin")
	if err != nil {
		return err
	}
	a, err := svc.Actor(u)
	if err != nil {
		return err
	}
	for _, back := range []int{2, 1} {
		m := time.Date(end.Year(), end.Month()-time.Month(back), 1, 0, 0, 0, 0, end.Location()).Format("2006-01")
		if _, err := svc.Ranking.PublishMonth(ctx, a, m); err != nil {
			// Only a demo whose end lies ahead of the clock has months
			// that have not ended yet.
			log.Warn("demo ranking not published", "month", m, "err", err)
		}
	}
	log.Info("demo rankings published", "took", time.Since(t0).Round(time.Millisecond))
	// The classifier is not trained here: the server's retraining loop
	// trains the first version in the background as soon as it starts
	// (on a large demo that takes minutes), measured on held-out texts.
	return nil
}

func patrols(ctx context.Context, tx *store.Tx, ds *demo.Dataset, users map[string]*org.User) error {
	// Grid workers patrol the grids of their user record (org.User.GridIDs);
	// assignments (街巷长, 小巷管家) are left to the people who make them.
	for _, dp := range ds.Patrols {
		u := users[dp.User]
		p := grid.Patrol{GridID: dp.GridID, UserID: u.ID, State: grid.Patrolling, StartedAt: dp.Start, Note: dp.Note}
		if err := tx.InsertPatrol(ctx, &p); err != nil {
			return err
		}
		if err := tx.AddPatrolPoints(ctx, &p, dp.Points); err != nil {
			return err
		}
		for _, f := range dp.Findings {
			gf := grid.Finding{PatrolID: p.ID, GridID: p.GridID, UserID: u.ID, Item: f.Item, Outcome: grid.ToCentre, CaseID: int64(f.Request + 1), CreatedAt: f.At}
			if err := tx.InsertFinding(ctx, &gf); err != nil {
				return err
			}
		}
		if err := tx.EndPatrol(ctx, p.ID, dp.End); err != nil {
			return err
		}
	}
	return nil
}

// whistles plays every whistle through the summons rules: the raise, the
// departments' acts, the report-by timers that passed with a department
// not on site, and the street's close.
func whistles(ctx context.Context, tx *store.Tx, ds *demo.Dataset, users map[string]*org.User) error {
	cfg := summons.DefaultConfig()
	for _, dw := range ds.Whistles {
		by := users[dw.Street]
		w, err := summons.New(dw.Raise, by.UnitID, by.ID, dw.At, cfg)
		if err != nil {
			return err
		}
		if err := tx.InsertWhistle(ctx, &w); err != nil {
			return err
		}
		if err := tx.AppendWhistleLog(ctx, &summons.LogEntry{WhistleID: w.ID, UnitID: by.UnitID, Action: "raise", ActorUserID: by.ID, At: w.RaisedAt, Note: w.Need}); err != nil {
			return err
		}
		for _, act := range dw.Acts {
			prev := w.Version
			for _, r := range w.Reports {
				if r.ReportBy.Before(act.At) && summons.Missed(&w, r.UnitID, r.ReportBy) {
					if err := tx.AppendWhistleLog(ctx, &summons.LogEntry{WhistleID: w.ID, UnitID: r.UnitID, Action: summons.ActMissed, At: r.ReportBy}); err != nil {
						return err
					}
				}
			}
			u := users[act.User]
			unit, note := u.UnitID, act.In.Note
			if act.Action == summons.ActClose {
				err, unit = summons.Close(&w, u.ID, act.In, act.At), 0
			} else {
				err = summons.DeptAct(&w, u.UnitID, act.Action, act.In, act.At)
			}
			if err != nil {
				return fmt.Errorf("whistle %d %s by %s: %w", w.ID, act.Action, act.User, err)
			}
			if act.Action == summons.ActArrive {
				note = act.In.Place
			}
			if err := tx.UpdateWhistle(ctx, &w, prev); err != nil {
				return err
			}
			if err := tx.AppendWhistleLog(ctx, &summons.LogEntry{WhistleID: w.ID, UnitID: unit, Action: act.Action, ActorUserID: u.ID, At: act.At, Note: note}); err != nil {
				return err
			}
		}
	}
	return nil
}

var exemptionEvidence = map[string][]string{
	assessment.ReasonUnreasonable: {"诉求人要求免除全部物业费，超出政策规定，已多次解释。", "诉求人要求立即拆除合法建筑，于法无据。"},
	assessment.ReasonOutsideDuty:  {"诉求事项属于民事纠纷，不属于政府职责范围，已引导通过法律途径解决。", "涉事设施属于私人产权，不属于公共管理范畴。"},
	assessment.ReasonMalicious:    {"该诉求人近一个月就同一事项来电二十余次，已多次答复。", "诉求人反复来电，诉求内容与事实不符。"},
	assessment.ReasonDuplicate:    {"与同一诉求人此前工单反映同一问题，已在原工单中办结。"},
}

// exemptions files requests to leave hard cases out of the lead unit's
// score (免考核) for the last two months, and decides most of them: some
// approved, some rejected, the newest still pending.
func exemptions(ctx context.Context, tx *store.Tx, ds *demo.Dataset, cs []lifecycle.Case, end time.Time) error {
	from := time.Date(end.Year(), end.Month()-2, 1, 0, 0, 0, 0, end.Location())
	handler, decider := map[int64]int64{}, int64(0)
	for _, u := range ds.Users {
		if u.Has(org.RoleHandler) {
			handler[u.UnitID] = u.ID
		}
		if u.Username == "dispatcher01" {
			decider = u.ID
		}
	}
	n := 0
	for i := range cs {
		c := &cs[i]
		if c.CreatedAt.Before(from) || c.LeadUnitID == 0 || c.RepliedAt.IsZero() || handler[c.LeadUnitID] == 0 {
			continue
		}
		hard := c.Overdue || c.Satisfaction == lifecycle.Unsatisfied
		if !hard || c.ID%5 != 0 {
			continue
		}
		at := c.RepliedAt.Add(time.Duration(2+c.ID%40) * time.Hour)
		if !at.Before(end) {
			continue
		}
		n++
		reason := assessment.Reasons[int(c.ID/5)%len(assessment.Reasons)]
		evs := exemptionEvidence[reason]
		x := assessment.Exemption{CaseID: c.ID, UnitID: c.LeadUnitID, Reason: reason, Evidence: evs[int(c.ID)%len(evs)],
			RequestedBy: handler[c.LeadUnitID], RequestedAt: at}
		if err := tx.InsertExemption(ctx, &x); err != nil {
			return err
		}
		decided := at.Add(time.Duration(20+c.ID%50) * time.Hour)
		if !decided.Before(end) {
			continue // still pending
		}
		x.DecidedBy, x.DecidedAt = decider, decided
		if n%5 < 2 {
			x.State = assessment.ExemptApproved
			x.DecisionNote = "经核实，符合免考核情形，同意。"
		} else {
			x.State = assessment.ExemptRejected
			x.DecisionNote = pick(n, []string{"证据不足，不予免考核。", "该诉求属于承办单位职责范围，应认真办理，不予免考核。", "诉求合理，应继续办理，不同意免考核。"})
		}
		if err := tx.DecideExemption(ctx, x); err != nil {
			return err
		}
	}
	return nil
}

func pick[T any](n int, s []T) T { return s[n%len(s)] }
