// Package patrols is grid management (网格化) as grid workers and street
// chiefs work it: grid assignments, patrols with positions, findings that
// become cases, and coverage. The rules live in package grid.
package patrols

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"whistle/internal/casework"
	"whistle/internal/core"
	"whistle/internal/errs"
	"whistle/internal/grid"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
)

// Service is the patrols service over the shared core.
type Service struct {
	*core.Core
	cases *casework.Service // findings become cases
}

// New builds the patrols service; findings become cases through casework.
func New(c *core.Core, cases *casework.Service) *Service { return &Service{Core: c, cases: cases} }

// AssignGrid puts a person on a grid with a duty: admin, or a leader of the
// grid's street office.
func (s *Service) AssignGrid(ctx context.Context, a org.Actor, gridID, userID int64, duty string) (grid.Assignment, error) {
	_, street, err := s.GridPlace(gridID)
	if err != nil {
		return grid.Assignment{}, err
	}
	if !a.User.Has(org.RoleAdmin) && !(a.User.Has(org.RoleLeader) && a.Unit.ID == street.ID) {
		return grid.Assignment{}, errs.E(errs.Forbidden)
	}
	if !slices.Contains(grid.Duties, duty) {
		return grid.Assignment{}, errs.F(errs.Invalid, "duty")
	}
	u, err := s.St.User(ctx, userID)
	if err != nil || u.Disabled {
		return grid.Assignment{}, errs.F(errs.NotFound, "user_id")
	}
	g := grid.Assignment{GridID: gridID, UserID: userID, Duty: duty, AssignedBy: a.User.ID, AssignedAt: s.Now()}
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.AssignGrid(ctx, g); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "grid_assign", "grid:"+strconv.FormatInt(gridID, 10), g)
	})
	return g, err
}

// GridAssignments lists who looks after a grid: the grid's street office,
// the centre of its district (or the city's), and the people on the grid.
func (s *Service) GridAssignments(ctx context.Context, a org.Actor, gridID int64) ([]grid.Assignment, error) {
	_, street, err := s.GridPlace(gridID)
	if err != nil {
		return nil, err
	}
	as, err := s.St.GridAssignments(ctx, gridID, 0)
	if err != nil {
		return nil, err
	}
	for i := range as {
		as[i].In(s.Cfg.Loc)
	}
	if a.Unit.ID == street.ID || org.CentreStaffIn(a, s.gridDistrict(gridID)) ||
		(a.User.Has(org.RoleGridWorker) && slices.Contains(a.User.GridIDs, gridID)) ||
		slices.ContainsFunc(as, func(g grid.Assignment) bool { return g.UserID == a.User.ID }) {
		return as, nil
	}
	return nil, errs.E(errs.NotFound)
}

// gridDistrict is the district a place (a grid) lies in.
func (s *Service) gridDistrict(placeID int64) int64 {
	ch, _ := s.Chain(placeID)
	return ch[0]
}

// mayPatrol: a grid worker of the grid, or a person assigned to it.
func (s *Service) mayPatrol(ctx context.Context, a org.Actor, gridID int64) (bool, error) {
	if a.User.Has(org.RoleGridWorker) && slices.Contains(a.User.GridIDs, gridID) {
		return true, nil
	}
	as, err := s.St.GridAssignments(ctx, 0, a.User.ID)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(as, func(g grid.Assignment) bool { return g.GridID == gridID }), nil
}

// StartPatrol starts a patrol of a grid; one at a time per person.
func (s *Service) StartPatrol(ctx context.Context, a org.Actor, gridID int64, note string) (grid.Patrol, error) {
	if _, _, err := s.GridPlace(gridID); err != nil {
		return grid.Patrol{}, err
	}
	ok, err := s.mayPatrol(ctx, a, gridID)
	if err != nil {
		return grid.Patrol{}, err
	}
	if !ok {
		return grid.Patrol{}, errs.E(errs.Forbidden)
	}
	if core.TooLong(note, s.Cfg.MaxNote) {
		return grid.Patrol{}, errs.F(errs.FieldTooLong, "note")
	}
	p := grid.Patrol{GridID: gridID, UserID: a.User.ID, State: grid.Patrolling, StartedAt: s.Now(), Note: strings.TrimSpace(note)}
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		n, err := tx.ActivePatrols(ctx, a.User.ID)
		if err != nil {
			return err
		}
		if n > 0 {
			return errs.D(errs.InvalidTransition, "end the patrol under way first")
		}
		return tx.InsertPatrol(ctx, &p)
	})
	return p, err
}

// ownPatrol loads the actor's patrol under way, in a write.
func ownPatrol(ctx context.Context, tx *store.Tx, a org.Actor, id int64) (grid.Patrol, error) {
	p, err := tx.Patrol(ctx, id)
	if err != nil {
		return p, err
	}
	if p.UserID != a.User.ID {
		return p, errs.E(errs.NotFound)
	}
	if p.State != grid.Patrolling {
		return p, errs.D(errs.InvalidTransition, "the patrol has ended")
	}
	return p, nil
}

// CheckOwn answers errs.NotFound unless patrol id is the actor's own: the
// front ends ask before they read a body, so a patrol outside the caller's
// reach is 404 whatever was sent (and the services ask again).
func (s *Service) CheckOwn(ctx context.Context, a org.Actor, id int64) error {
	p, err := s.St.Patrol(ctx, id)
	if err != nil {
		return err
	}
	if p.UserID != a.User.ID {
		return errs.E(errs.NotFound)
	}
	return nil
}

// AddPositions records positions of the actor's patrol (at most 1,000 per
// call, in time order, not before the start nor in the future).
func (s *Service) AddPositions(ctx context.Context, a org.Actor, id int64, pts []grid.Point) (grid.Patrol, error) {
	if err := s.CheckOwn(ctx, a, id); err != nil {
		return grid.Patrol{}, err
	}
	if len(pts) == 0 {
		return grid.Patrol{}, errs.F(errs.FieldRequired, "points")
	}
	if len(pts) > 1000 {
		return grid.Patrol{}, errs.F(errs.TooLarge, "points")
	}
	now := s.Now()
	for i, pt := range pts {
		if err := pt.Validate(); err != nil {
			return grid.Patrol{}, err
		}
		if pt.At.After(now.Add(time.Minute)) || (i > 0 && pt.At.Before(pts[i-1].At)) {
			return grid.Patrol{}, errs.F(errs.Invalid, "points.at")
		}
	}
	var p grid.Patrol
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		var err error
		if p, err = ownPatrol(ctx, tx, a, id); err != nil {
			return err
		}
		if pts[0].At.Before(p.StartedAt) {
			return errs.F(errs.Invalid, "points.at")
		}
		return tx.AddPatrolPoints(ctx, &p, pts)
	})
	p.In(s.Cfg.Loc)
	return p, err
}

// EndPatrol ends the actor's patrol.
func (s *Service) EndPatrol(ctx context.Context, a org.Actor, id int64) (grid.Patrol, error) {
	var p grid.Patrol
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		var err error
		if p, err = ownPatrol(ctx, tx, a, id); err != nil {
			return err
		}
		p.State, p.EndedAt = grid.Ended, s.Now()
		return tx.EndPatrol(ctx, id, p.EndedAt)
	})
	p.In(s.Cfg.Loc)
	return p, err
}

// Patrol returns a patrol with its track and findings: its walker, the
// grid's street office, the centre of the grid's district, or the city's.
func (s *Service) Patrol(ctx context.Context, a org.Actor, id int64) (grid.Patrol, []grid.Point, []grid.Finding, error) {
	p, err := s.St.Patrol(ctx, id)
	if err != nil {
		return p, nil, nil, err
	}
	_, street, _ := s.GridPlace(p.GridID)
	if p.UserID != a.User.ID && !org.CentreStaffIn(a, s.gridDistrict(p.GridID)) && (street.ID == 0 || a.Unit.ID != street.ID) {
		return p, nil, nil, errs.E(errs.NotFound)
	}
	pts, err := s.St.PatrolPoints(ctx, id)
	if err != nil {
		return p, nil, nil, err
	}
	fs, err := s.St.Findings(ctx, id)
	p.In(s.Cfg.Loc)
	grid.PointsIn(pts, s.Cfg.Loc)
	for i := range fs {
		fs[i].In(s.Cfg.Loc)
	}
	return p, pts, fs, err
}

// ReportFinding files a finding of the actor's patrol (of a grid the actor
// may patrol; its point, if given, in the grid's street). In one transaction
// it becomes a case on channel "grid" (created by the patrolling person)
// and, by outcome: closed at once with the evidence (solved on the spot),
// dispatched to the grid's street office, or left received for the centre
// to dispatch like any order.
func (s *Service) ReportFinding(ctx context.Context, a org.Actor, patrolID int64, in grid.FindingInput) (grid.Finding, *lifecycle.Case, error) {
	if err := s.CheckOwn(ctx, a, patrolID); err != nil {
		return grid.Finding{}, nil, err
	}
	if err := in.Validate(); err != nil {
		return grid.Finding{}, nil, err
	}
	if core.TooLong(in.Evidence, s.Cfg.MaxNote) {
		return grid.Finding{}, nil, errs.F(errs.FieldTooLong, "evidence")
	}
	var f grid.Finding
	var out *lifecycle.Case
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		p, err := ownPatrol(ctx, tx, a, patrolID)
		if err != nil {
			return err
		}
		_, street, err := s.GridPlace(p.GridID)
		if err != nil {
			return err
		}
		nc, err := s.cases.Build(casework.NewCase{Channel: "grid", Type: "report", Category: in.Category, Description: in.Description,
			Address: in.Address, Lat: in.Lat, Lon: in.Lon, PlaceID: p.GridID, Anonymous: true, Attachments: in.Attachments})
		if err != nil {
			return err
		}
		// A finding is where the patrol is: a point that resolves outside
		// the patrolled grid's street is refused (GPS drift across a grid
		// line within the street is not).
		if nc.Location.Lat != nil && nc.Location.StreetID != 0 && nc.Location.StreetID != street.PlaceID {
			return errs.F(errs.OutsideArea, "lat")
		}
		if len(in.Attachments) > core.MaxLinks {
			return errs.F(errs.TooLarge, "attachments")
		}
		env := s.Env()
		c := nc
		if c.Number, err = tx.NextNumber(ctx, env.Now.In(s.Cfg.Loc).Format("20060102")); err != nil {
			return err
		}
		ev := lifecycle.Created(&c, a, env)
		ev.Data["finding_item"] = in.Item
		if err := tx.InsertCase(ctx, &c); err != nil {
			return err
		}
		ev.CaseID, ev.Attachments = c.ID, in.Attachments
		if err := tx.AppendEvent(ctx, &ev); err != nil {
			return err
		}
		if len(in.Attachments) > 0 {
			if err := tx.AttachToCase(ctx, c.ID, a.User.ID, in.Attachments); err != nil {
				return err
			}
		}
		var cmd *lifecycle.Command
		switch in.Outcome {
		case grid.SolvedOnSite:
			cmd = &lifecycle.Command{Action: lifecycle.ActAnswer, Note: "现场解决: " + strings.TrimSpace(in.Evidence), Attachments: in.Attachments}
		case grid.ToStreet:
			cmd = &lifecycle.Command{Action: lifecycle.ActDispatch, Unit: &street, Note: "网格巡查发现，街道办理"}
		}
		if cmd != nil {
			// The patrolling person acts for the system here: the rules'
			// role check is for the centre's desk, not for this path.
			sys := a
			sys.User.Roles = append(slices.Clone(a.User.Roles), org.RoleSystem)
			prev := c
			ev2, err := lifecycle.Apply(&c, *cmd, sys, env)
			if err != nil {
				return err
			}
			if err := tx.UpdateCase(ctx, &c, &prev); err != nil {
				return err
			}
			if err := tx.AppendEvent(ctx, &ev2); err != nil {
				return err
			}
		}
		if err := tx.SetTimers(ctx, c.ID, lifecycle.Timers(&c)); err != nil {
			return err
		}
		f = grid.Finding{PatrolID: p.ID, GridID: p.GridID, UserID: a.User.ID, Item: in.Item, Outcome: in.Outcome, CaseID: c.ID, CreatedAt: env.Now}
		if err := tx.InsertFinding(ctx, &f); err != nil {
			return err
		}
		out = &c
		return nil
	})
	if err != nil {
		return grid.Finding{}, nil, err
	}
	return f, out, nil
}

// StreetCoverage is one street's patrol coverage.
type StreetCoverage struct {
	StreetPlaceID int64            `json:"street_place_id"`
	Street        string           `json:"street"`
	Grids         int              `json:"grids"`
	Patrolled     int              `json:"patrolled"` // grids with a patrol started in the period
	Patrols       int64            `json:"patrols"`
	Findings      int64            `json:"findings"`
	GridActivity  []*grid.Activity `json:"grid_activity"`
}

// Coverage reports patrols, findings and closure times per street and grid
// for [from, to) (default: this week). City centre staff see every
// street, a district centre's staff the streets of their district, a street
// office its own.
func (s *Service) Coverage(ctx context.Context, a org.Actor, from, to time.Time) ([]StreetCoverage, error) {
	only, district := int64(0), int64(0)
	switch d, all, ok := org.CentreDistrict(a); {
	case ok:
		if !all {
			district = d
		}
	case a.User.Has(org.RoleHandler, org.RoleLeader) && a.Unit.Kind == org.KindStreet:
		only = a.Unit.PlaceID
	default:
		return nil, errs.E(errs.Forbidden)
	}
	if from.IsZero() {
		from, to = grid.Week(s.Now())
	}
	act, err := s.St.GridActivity(ctx, from, to)
	if err != nil {
		return nil, err
	}
	all := s.PlaceMap()
	byStreet := map[int64]*StreetCoverage{}
	var order []int64
	places := make([]org.Place, 0, len(all))
	for _, p := range all {
		places = append(places, p)
	}
	slices.SortFunc(places, func(x, y org.Place) int { return int(x.ID - y.ID) })
	for _, p := range places {
		if p.Level != org.LevelGrid {
			continue
		}
		ch, _ := s.Chain(p.ID)
		if ch[1] == 0 || (only != 0 && ch[1] != only) || (district != 0 && ch[0] != district) {
			continue
		}
		sc := byStreet[ch[1]]
		if sc == nil {
			sc = &StreetCoverage{StreetPlaceID: ch[1], Street: all[ch[1]].Name, GridActivity: []*grid.Activity{}}
			byStreet[ch[1]] = sc
			order = append(order, ch[1])
		}
		sc.Grids++
		if ga := act[p.ID]; ga != nil {
			if ga.Patrols > 0 {
				sc.Patrolled++
			}
			sc.Patrols += ga.Patrols
			sc.Findings += ga.Findings
			sc.GridActivity = append(sc.GridActivity, ga)
		}
	}
	slices.Sort(order)
	out := make([]StreetCoverage, 0, len(order))
	for _, id := range order {
		out = append(out, *byStreet[id])
	}
	return out, nil
}

// MyGrids returns the grids the actor patrols: a grid worker's own grids
// and every grid the actor is assigned to, in that order.
func (s *Service) MyGrids(ctx context.Context, a org.Actor) ([]org.Place, error) {
	ids := slices.Clone(a.User.GridIDs)
	if !a.User.Has(org.RoleGridWorker) {
		ids = nil
	}
	as, err := s.St.GridAssignments(ctx, 0, a.User.ID)
	if err != nil {
		return nil, err
	}
	for _, g := range as {
		if !slices.Contains(ids, g.GridID) {
			ids = append(ids, g.GridID)
		}
	}
	var out []org.Place
	for _, id := range ids {
		if p, ok := s.Place(id); ok {
			out = append(out, p)
		}
	}
	return out, nil
}

// RecentPatrols returns the actor's own patrols of the last days, newest
// first.
func (s *Service) RecentPatrols(ctx context.Context, a org.Actor, days, limit int) ([]grid.Patrol, error) {
	now := s.Now()
	ps, err := s.St.Patrols(ctx, a.User.ID, now.AddDate(0, 0, -days), now.Add(time.Minute), limit)
	for i := range ps {
		ps[i].In(s.Cfg.Loc)
	}
	return ps, err
}

// FindingMark is a finding of the coverage map: where its case is.
type FindingMark struct {
	CaseID   int64
	Number   string
	Item     string
	Outcome  string
	Lat, Lon float64
}

// FindingMarks returns the findings reported in [from, to) in the given
// grids within the actor's reach (the city, the district of a district
// centre, a street office's own street) whose cases the actor can see and
// that have a position, at most limit of them.
func (s *Service) FindingMarks(ctx context.Context, a org.Actor, from, to time.Time, grids map[int64]bool, limit int) ([]FindingMark, error) {
	street := a.User.Has(org.RoleHandler, org.RoleLeader) && a.Unit.Kind == org.KindStreet
	if !org.CentreStaff(a) && !street {
		return nil, errs.E(errs.Forbidden)
	}
	reach := func(gridID int64) bool {
		ch, _ := s.Chain(gridID)
		return org.CentreStaffIn(a, ch[0]) || (street && a.Unit.PlaceID != 0 && ch[1] == a.Unit.PlaceID)
	}
	marks := []FindingMark{}
	if len(grids) == 0 {
		return marks, nil
	}
	ps, err := s.St.Patrols(ctx, 0, from.AddDate(0, 0, -1), to, 5000)
	if err != nil {
		return nil, err
	}
	scope := org.ScopeOf(a)
	for _, pa := range ps {
		if !grids[pa.GridID] || !reach(pa.GridID) {
			continue
		}
		fs, err := s.St.Findings(ctx, pa.ID)
		if err != nil {
			return nil, err
		}
		for _, f := range fs {
			if f.CreatedAt.Before(from) || !f.CreatedAt.Before(to) || len(marks) >= limit {
				continue
			}
			c, err := s.St.Case(ctx, f.CaseID, scope)
			if err != nil || c.Location.Lat == nil || c.Location.Lon == nil {
				continue
			}
			marks = append(marks, FindingMark{CaseID: c.ID, Number: c.Number, Item: f.Item, Outcome: f.Outcome, Lat: *c.Location.Lat, Lon: *c.Location.Lon})
		}
	}
	return marks, nil
}
