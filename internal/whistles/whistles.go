// Package whistles is 街乡吹哨、部门报到 as the streets and departments work
// it: a street raises a whistle, the summoned departments acknowledge,
// arrive, act and report before their report-by deadlines, the street
// closes and rates them. The rules live in package summons.
package whistles

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"whistle/internal/assessment"
	"whistle/internal/core"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
	"whistle/internal/summons"
)

// Service is the whistles service over the shared core.
type Service struct {
	*core.Core
}

// New builds the whistles service.
func New(c *core.Core) *Service { return &Service{Core: c} }

const summonsConfigKey = "summons:config"

// SummonsConfig returns the report-by limits in force.
func (s *Service) SummonsConfig(ctx context.Context) (summons.Config, error) {
	v, err := s.St.Setting(ctx, summonsConfigKey)
	if err != nil || v == "" {
		return summons.DefaultConfig(), err
	}
	var c summons.Config
	if err := json.Unmarshal([]byte(v), &c); err != nil {
		return summons.DefaultConfig(), err
	}
	return c, nil
}

// SetSummonsConfig replaces the report-by limits (city centre or admin).
func (s *Service) SetSummonsConfig(ctx context.Context, a org.Actor, c summons.Config) error {
	if !org.CityDecider(a) {
		return errs.E(errs.Forbidden)
	}
	if err := c.Validate(); err != nil {
		return &errs.Error{Code: errs.Invalid, Field: "report_within", Detail: err.Error()}
	}
	b, _ := json.Marshal(c)
	return s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.PutSetting(ctx, summonsConfigKey, string(b), s.Now()); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "summons_config", "summons", c)
	})
}

func (s *Service) streetActor(a org.Actor) bool {
	return a.User.Has(org.RoleHandler, org.RoleLeader) && a.Unit.Kind == org.KindStreet
}

// RaiseWhistle blows the whistle (吹哨) for the actor's street: the
// summoned departments see it at once in their whistle inbox, each with a
// report-by timer.
func (s *Service) RaiseWhistle(ctx context.Context, a org.Actor, in summons.Raise) (*summons.Whistle, error) {
	if !s.streetActor(a) {
		return nil, errs.E(errs.Forbidden)
	}
	cfg, err := s.SummonsConfig(ctx)
	if err != nil {
		return nil, err
	}
	for _, id := range in.UnitIDs {
		u, ok := s.Unit(id)
		if !ok || (u.Kind != org.KindDepartment && u.Kind != org.KindEnterprise) {
			return nil, &errs.Error{Code: errs.UnknownUnit, Field: "unit_ids", Detail: strconv.FormatInt(id, 10)}
		}
	}
	if in.PlaceID != 0 {
		if _, ok := s.Place(in.PlaceID); !ok {
			return nil, errs.F(errs.UnknownPlace, "place_id")
		}
		// A street whistles for its own area: the place is the street or
		// lies in it.
		if ch, _ := s.Chain(in.PlaceID); a.Unit.PlaceID == 0 || ch[1] != a.Unit.PlaceID {
			return nil, errs.F(errs.OutsideArea, "place_id")
		}
	}
	for _, f := range []struct {
		name string
		v    string
		max  int
	}{{"need", in.Need, s.Cfg.MaxNote}, {"address", in.Address, 200}} {
		if core.TooLong(f.v, f.max) {
			return nil, errs.F(errs.FieldTooLong, f.name)
		}
	}
	var findingCase int64
	if in.Source == summons.SourceFinding && in.FindingID != 0 {
		// A finding of one of the street's grids; its case comes along.
		f, err := s.St.Finding(ctx, in.FindingID)
		if err != nil {
			return nil, &errs.Error{Code: errs.NotFound, Field: "finding_id"}
		}
		if _, street, err := s.GridPlace(f.GridID); err != nil || street.ID != a.Unit.ID {
			return nil, &errs.Error{Code: errs.NotFound, Field: "finding_id"}
		}
		findingCase = f.CaseID
		if !slices.Contains(in.CaseIDs, f.CaseID) {
			in.CaseIDs = append(slices.Clone(in.CaseIDs), f.CaseID)
		}
	}
	w, err := summons.New(in, a.Unit.ID, a.User.ID, s.Now(), cfg)
	if err != nil {
		return nil, err
	}
	for _, id := range w.CaseIDs {
		if id == findingCase {
			continue
		}
		c, err := s.St.Case(ctx, id, org.Scope{All: true})
		if err != nil || !inStreetArea(a.Unit, c) {
			return nil, &errs.Error{Code: errs.NotFound, Field: "case_ids", Detail: strconv.FormatInt(id, 10)}
		}
	}
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertWhistle(ctx, &w); err != nil {
			return err
		}
		return tx.AppendWhistleLog(ctx, &summons.LogEntry{WhistleID: w.ID, UnitID: a.Unit.ID, Action: "raise", ActorUserID: a.User.ID, At: w.RaisedAt, Note: w.Need})
	})
	if err != nil {
		return nil, err
	}
	s.nameReports(&w)
	return &w, nil
}

// inStreetArea reports whether a street may link a case to its whistle: the
// case is about a place in the street's area (whoever leads it), or the
// street leads, co-handles or supervises it.
func inStreetArea(street org.Unit, c *lifecycle.Case) bool {
	if street.PlaceID != 0 && c.Location.StreetID == street.PlaceID {
		return true
	}
	return c.LeadUnitID == street.ID || c.IsCoUnit(street.ID) || (c.SupervisingUnitID != 0 && c.SupervisingUnitID == street.ID)
}

// nameReports names the summoned units and shows the whistle's times in
// the city's zone.
func (s *Service) nameReports(w *summons.Whistle) {
	w.In(s.Cfg.Loc)
	for i := range w.Reports {
		if u, ok := s.Unit(w.Reports[i].UnitID); ok {
			w.Reports[i].UnitName = u.Name
		}
	}
}

// unitDistrict is the district a unit belongs to (0 for city level).
func (s *Service) unitDistrict(id int64) int64 {
	u, ok := s.Unit(id)
	if !ok {
		return 0
	}
	ch, _ := s.Chain(u.PlaceID)
	return ch[0]
}

// mayView: city centre staff, the centre of the raising street's district,
// the street that raised it, a summoned unit.
func (s *Service) mayView(a org.Actor, w *summons.Whistle) bool {
	if org.CentreStaffIn(a, s.unitDistrict(w.StreetUnitID)) {
		return true
	}
	if !a.User.Has(org.RoleHandler, org.RoleLeader) {
		return false
	}
	_, summoned := w.Report(a.Unit.ID)
	return a.Unit.ID == w.StreetUnitID || summoned
}

// Whistle returns a visible whistle and its log.
func (s *Service) Whistle(ctx context.Context, a org.Actor, id int64) (*summons.Whistle, []summons.LogEntry, error) {
	w, err := s.St.Whistle(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if !s.mayView(a, w) {
		return nil, nil, errs.E(errs.NotFound)
	}
	log, err := s.St.WhistleLog(ctx, id)
	s.nameReports(w)
	summons.LogIn(log, s.Cfg.Loc)
	return w, log, err
}

// Whistles lists whistles: as=street (raised by the actor's street), as=dept
// (the actor's unit is summoned; the inbox), or all for city centre staff
// and those raised in their district for a district centre's staff.
func (s *Service) Whistles(ctx context.Context, a org.Actor, as, state string) ([]summons.Whistle, error) {
	f := store.WhistleFilter{State: state}
	if state != "" && state != summons.Open && state != summons.Closed {
		return nil, errs.F(errs.Invalid, "state")
	}
	switch as {
	case "street":
		if !s.streetActor(a) {
			return nil, errs.E(errs.Forbidden)
		}
		f.StreetUnitID = a.Unit.ID
	case "dept":
		if !a.User.Has(org.RoleHandler, org.RoleLeader) {
			return nil, errs.E(errs.Forbidden)
		}
		f.UnitID = a.Unit.ID
	case "":
		if !org.CentreStaff(a) {
			return nil, errs.E(errs.Forbidden)
		}
	default:
		return nil, errs.F(errs.Invalid, "as")
	}
	ws, err := s.St.Whistles(ctx, f)
	if err != nil {
		return nil, err
	}
	for i := range ws {
		ws[i].In(s.Cfg.Loc)
	}
	if as != "" {
		return ws, nil
	}
	return slices.DeleteFunc(ws, func(w summons.Whistle) bool { return !org.CentreStaffIn(a, s.unitDistrict(w.StreetUnitID)) }), nil
}

// WhistleAct applies a summoned department's action (ack, arrive, act,
// report, leave) or the street's close.
func (s *Service) WhistleAct(ctx context.Context, a org.Actor, id int64, action string, in summons.Input) (*summons.Whistle, error) {
	if !a.User.Has(org.RoleHandler, org.RoleLeader) {
		return nil, errs.E(errs.Forbidden)
	}
	if core.TooLong(in.Note, s.Cfg.MaxNote) || core.TooLong(in.Place, 200) {
		return nil, errs.F(errs.FieldTooLong, "note")
	}
	var out *summons.Whistle
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		w, err := tx.Whistle(ctx, id)
		if err != nil {
			return err
		}
		if !s.mayView(a, w) {
			return errs.E(errs.NotFound)
		}
		prev := w.Version
		now := s.Now()
		unit := a.Unit.ID
		if action == summons.ActClose {
			if a.Unit.ID != w.StreetUnitID {
				return errs.E(errs.Forbidden)
			}
			err = summons.Close(w, a.User.ID, in, now)
			unit = 0
		} else {
			if _, summoned := w.Report(a.Unit.ID); !summoned {
				return errs.E(errs.Forbidden)
			}
			err = summons.DeptAct(w, a.Unit.ID, action, in, now)
		}
		if err != nil {
			return err
		}
		if err := tx.UpdateWhistle(ctx, w, prev); err != nil {
			return err
		}
		note := in.Note
		if action == summons.ActArrive {
			note = in.Place
		}
		if err := tx.AppendWhistleLog(ctx, &summons.LogEntry{WhistleID: w.ID, UnitID: unit, Action: action, ActorUserID: a.User.ID, At: now, Note: note}); err != nil {
			return err
		}
		if action == summons.ActClose {
			if err := s.Audit(ctx, tx, a, "whistle_close", "whistle:"+strconv.FormatInt(w.ID, 10), in.Ratings); err != nil {
				return err
			}
		}
		out = w
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.nameReports(out)
	return out, nil
}

// FireSummons flags departments not on site when their report-by time has
// passed, each exactly once (the claim and the flag are one transaction;
// nothing lives in memory, so a restart resumes).
func (s *Service) FireSummons(ctx context.Context, node string, limit int) (int, error) {
	due, err := s.St.DueWhistleTimers(ctx, s.Now(), limit)
	if err != nil {
		return 0, err
	}
	return s.FireEach(ctx, len(due), func(i int) string { return fmt.Sprintf("timer %d of whistle %d", due[i].ID, due[i].WhistleID) }, func(i int) (bool, error) {
		t := due[i]
		did := false
		err := s.St.Write(ctx, func(tx *store.Tx) error {
			did = false
			w, err := tx.Whistle(ctx, t.WhistleID)
			if err != nil {
				return err
			}
			now := s.Now()
			ok, err := tx.ClaimWhistleTimer(ctx, t.ID, node, now)
			if err != nil || !ok {
				return err
			}
			did = true
			prev := w.Version
			if !summons.Missed(w, t.UnitID, t.DueAt) {
				return nil // arrived in time, or closed: the timer is spent
			}
			if err := tx.UpdateWhistle(ctx, w, prev); err != nil {
				return err
			}
			return tx.AppendWhistleLog(ctx, &summons.LogEntry{WhistleID: w.ID, UnitID: t.UnitID, Action: summons.ActMissed, At: now, Note: node})
		})
		return did, err
	})
}

// SummonsStats are whistles per street and report times per department.
type SummonsStats struct {
	Period      assessment.Period     `json:"period"`
	Streets     []summons.StreetStats `json:"streets"`
	Departments []summons.DeptStats   `json:"departments"`
}

// SummonsStats counts the whistles raised in p: city centre staff every
// street and department, a district centre's staff the streets and
// departments of their district.
func (s *Service) SummonsStats(ctx context.Context, a org.Actor, p assessment.Period) (SummonsStats, error) {
	if !org.CentreStaff(a) {
		return SummonsStats{}, errs.E(errs.Forbidden)
	}
	st, dp, err := s.St.SummonsStats(ctx, p.From, p.To)
	if err != nil {
		return SummonsStats{}, err
	}
	if !org.CityStaff(a) {
		st = slices.DeleteFunc(st, func(x summons.StreetStats) bool { return !org.CentreStaffIn(a, s.unitDistrict(x.UnitID)) })
		dp = slices.DeleteFunc(dp, func(x summons.DeptStats) bool { return !org.CentreStaffIn(a, s.unitDistrict(x.UnitID)) })
	}
	return SummonsStats{Period: p, Streets: st, Departments: dp}, nil
}
