// Package seed loads the demo city (package demo) into a store: the place
// tree, units, users, the taxonomy, and a year of requests whose histories
// were played through the real lifecycle rules.
package seed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"whistle/internal/auth"
	"whistle/internal/demo"
	"whistle/internal/dutylist"
	"whistle/internal/governance"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/services"
	"whistle/internal/store"
)

// Result tells what Demo did.
type Result struct {
	Loaded   bool // false when the store already held a city
	Cases    int
	Events   int
	Duration time.Duration
	Logins   []demo.User
}

// Demo seeds the demo city into an empty store; on a store that already has
// places it loads nothing and only returns the demo logins.
func Demo(ctx context.Context, svc *services.Services, opts demo.Options, h auth.Hasher, log *slog.Logger) (Result, error) {
	start := time.Now()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st := svc.St
	if opts.Loc == nil {
		opts.Loc = svc.Location()
	}
	if opts.End.IsZero() {
		opts.End = svc.Now()
	}
	existing, err := st.Places(ctx, false)
	if err != nil {
		return Result{}, err
	}
	if len(existing) > 0 {
		done, err := st.Setting(ctx, "demo:complete")
		if err != nil {
			return Result{}, err
		}
		if done == "" {
			return Result{}, errors.New("this data directory holds a city that is not a complete demo (an interrupted demo load, or a store set up by 'whistle serve'); start the demo with a new --data directory")
		}
		// Reusing the store: only the logins are needed, and users do not
		// depend on the number of requests, so skip generating the history.
		small := opts
		small.Requests = 1
		return Result{Logins: demo.Logins(demo.Generate(small))}, nil
	}
	ds := demo.Generate(opts)
	res := Result{Logins: demo.Logins(ds)}
	// Every demo user has the same published password: hash it once.
	hash, err := h.Hash(ds.Users[0].Password)
	if err != nil {
		return res, err
	}
	cs, evs, err := demo.Play(ds, svc.Env())
	if err != nil {
		return res, err
	}
	daySeq := map[string]int64{}
	for i := range cs {
		c := &cs[i]
		day := c.CreatedAt.In(opts.Loc).Format("20060102")
		daySeq[day]++
		c.Number = fmt.Sprintf("%s%05d", day, daySeq[day])
		c.Citizen.PhoneHash = svc.PhoneHash(c.Citizen.Phone)
	}
	now := svc.Now()
	err = st.Write(ctx, func(tx *store.Tx) error {
		for i := range ds.Places {
			if err := tx.InsertPlace(ctx, &ds.Places[i]); err != nil {
				return fmt.Errorf("place %s: %w", ds.Places[i].Code, err)
			}
		}
		for i := range ds.Units {
			if err := tx.InsertUnit(ctx, &ds.Units[i]); err != nil {
				return fmt.Errorf("unit %s: %w", ds.Units[i].Code, err)
			}
		}
		for i := range ds.Users {
			if err := tx.InsertUser(ctx, &ds.Users[i].User, hash, now); err != nil {
				return fmt.Errorf("user %s: %w", ds.Users[i].Username, err)
			}
		}
		for _, c := range ds.Categories {
			if err := tx.UpsertCategory(ctx, c); err != nil {
				return err
			}
		}
		// Day counters go up before any case is stored, so that even an
		// interrupted load never lets a new request take a seeded number.
		for day, n := range daySeq {
			if err := tx.SetDaySeq(ctx, day, n); err != nil {
				return err
			}
		}
		return tx.ResetSequences(ctx)
	})
	if err != nil {
		return res, err
	}
	if err := svc.Reload(ctx); err != nil {
		return res, err
	}
	log.Info("demo city stored", "places", len(ds.Places), "units", len(ds.Units), "users", len(ds.Users), "categories", len(ds.Categories))

	const batch = 2000
	for lo := 0; lo < len(cs); lo += batch {
		hi := min(lo+batch, len(cs))
		err := st.Write(ctx, func(tx *store.Tx) error {
			for i := lo; i < hi; i++ {
				c := &cs[i]
				if err := tx.InsertCase(ctx, c); err != nil {
					return fmt.Errorf("case %d: %w", c.ID, err)
				}
				for j := range evs[i] {
					e := &evs[i][j]
					e.CaseID = c.ID
					if err := tx.AppendEvent(ctx, e); err != nil {
						return fmt.Errorf("case %d event %d: %w", c.ID, e.Seq, err)
					}
				}
				if c.State.Open() {
					if err := tx.SetTimers(ctx, c.ID, lifecycle.Timers(c)); err != nil {
						return err
					}
					// The played history already holds the due/overdue events up to End.
					if err := tx.MarkTimersFired(ctx, c.ID, opts.End, "demo"); err != nil {
						return err
					}
				}
				if c.MergedInto != 0 {
					if err := tx.LinkCases(ctx, c.ID, c.MergedInto, "duplicate"); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return res, err
		}
		res.Cases = hi
		for i := lo; i < hi; i++ {
			res.Events += len(evs[i])
		}
	}
	if err := st.Write(ctx, func(tx *store.Tx) error { return tx.ResetSequences(ctx) }); err != nil {
		return res, err
	}
	if err := dutyAndKnowledge(ctx, svc); err != nil {
		return res, err
	}
	if err := property(ctx, svc, ds, opts.End); err != nil { // 物业 (property.go)
		return res, fmt.Errorf("property: %w", err)
	}
	if err := volunteers(ctx, svc, ds, opts.End); err != nil {
		return res, fmt.Errorf("volunteers: %w", err)
	}
	if opts.Activity {
		if err := extras(ctx, svc, ds, cs, opts.End, log); err != nil {
			return res, err
		}
	}
	// The rollups of the history as day blocks, so that the first analysis
	// and dashboard read blocks rather than every rollup row.
	days, err := st.CompactDays(ctx, 0)
	if err != nil {
		return res, fmt.Errorf("compacting rollup days: %w", err)
	}
	log.Info("rollup days compacted", "days", days)
	if err := storyTopics(ctx, svc, ds); err != nil {
		return res, fmt.Errorf("topics: %w", err)
	}
	if err := consultDemo(ctx, svc); err != nil {
		return res, fmt.Errorf("surveys and projects: %w", err)
	}
	if err := demoDeliberations(ctx, svc, opts); err != nil {
		return res, fmt.Errorf("deliberations: %w", err)
	}
	if _, err := replyChecks(ctx, svc, opts.End); err != nil { // 答复质量 (replychecks.go)
		return res, fmt.Errorf("reply checks: %w", err)
	}
	if opts.Activity {
		// The workbench and the big screen open on the last four weeks'
		// analysis: run it once now, so the demo opens on it.
		if _, err := svc.Insight.LatestAnalysis(ctx, org.System(), governance.DefaultFilter(svc.Now())); err != nil {
			return res, fmt.Errorf("analysis: %w", err)
		}
	}
	// Only a load that got this far is a complete demo.
	err = st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.ResetSequences(ctx); err != nil {
			return err
		}
		return tx.PutSetting(ctx, "demo:complete", fmt.Sprintf("%d cases", len(cs)), svc.Now())
	})
	if err != nil {
		return res, err
	}
	res.Loaded, res.Duration = true, time.Since(start)
	return res, nil
}

// storyTopics stores the 每月一题 topics of the demo's stories (the spring
// topic) with their tasks. Like the cases, they are written directly: they
// happened before the demo's end, and the audit trail starts with the demo.
// It runs once, inside a load that is not yet complete.
func storyTopics(ctx context.Context, svc *services.Services, ds *demo.Dataset) error {
	return svc.St.Write(ctx, func(tx *store.Tx) error {
		for _, s := range ds.Stories {
			if s.Topic == nil {
				continue
			}
			t := *s.Topic
			if err := tx.InsertTopic(ctx, &t); err != nil {
				return err
			}
			for _, k := range s.Tasks {
				k.TopicID = t.ID
				if err := tx.InsertTask(ctx, &k); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// dutyAndKnowledge publishes the demo duty list and adds the demo
// knowledge articles, then reloads the service's caches.
func dutyAndKnowledge(ctx context.Context, svc *services.Services) error {
	now := svc.Now()
	err := svc.St.Write(ctx, func(tx *store.Tx) error {
		l := dutylist.Stored{List: dutylist.List{Name: "演示职责清单", Rules: demo.DutyRules()}, CreatedAt: now, UpdatedAt: now}
		if err := tx.InsertDutyList(ctx, &l); err != nil {
			return err
		}
		if err := tx.PublishDutyList(ctx, l.Version, 0, now); err != nil {
			return err
		}
		for _, a := range demo.Articles() {
			a.CreatedAt, a.UpdatedAt = now, now
			if err := tx.InsertArticle(ctx, &a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return svc.Reload(ctx)
}

// RoleNames gives Chinese names for printing logins.
var RoleNames = map[string]string{
	org.RoleAgent: "话务员", org.RoleDispatcher: "派单/审核", org.RoleSupervisor: "区级督办", org.RoleHandler: "承办人",
	org.RoleLeader: "单位负责人", org.RoleGridWorker: "网格员", org.RoleAnalyst: "分析员", org.RoleAdmin: "管理员",
}
