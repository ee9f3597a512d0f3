package cases

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"whistle/internal/errs"
	"whistle/internal/grid"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
)

// gridPlace returns a grid place and the street office unit above it.
func (s *Service) gridPlace(gridID int64) (org.Place, org.Unit, error) {
	p, ok := s.Place(gridID)
	if !ok || p.Level != org.LevelGrid {
		return p, org.Unit{}, errs.F(errs.UnknownPlace, "grid_id")
	}
	ch, _ := s.cat.Load().chain(gridID)
	for _, u := range s.UnitsList() {
		if u.Kind == org.KindStreet && u.PlaceID == ch[1] {
			return p, u, nil
		}
	}
	return p, org.Unit{}, errs.D(errs.UnknownUnit, "no street office for grid %d", gridID)
}

// AssignGrid puts a person on a grid with a duty: admin, or a leader of the
// grid's street office.
func (s *Service) AssignGrid(ctx context.Context, a org.Actor, gridID, userID int64, duty string) (store.GridAssignment, error) {
	_, street, err := s.gridPlace(gridID)
	if err != nil {
		return store.GridAssignment{}, err
	}
	if !a.User.Has(org.RoleAdmin) && !(a.User.Has(org.RoleLeader) && a.Unit.ID == street.ID) {
		return store.GridAssignment{}, errs.E(errs.Forbidden)
	}
	if !slices.Contains(grid.Duties, duty) {
		return store.GridAssignment{}, errs.F(errs.Invalid, "duty")
	}
	u, err := s.st.User(ctx, userID)
	if err != nil || u.Disabled {
		return store.GridAssignment{}, errs.F(errs.NotFound, "user_id")
	}
	g := store.GridAssignment{GridID: gridID, UserID: userID, Duty: duty, AssignedBy: a.User.ID, AssignedAt: s.Now()}
	err = s.st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.AssignGrid(ctx, g); err != nil {
			return err
		}
		return s.audit(tx, ctx, a, "grid_assign", "grid:"+strconv.FormatInt(gridID, 10), g)
	})
	return g, err
}

// GridAssignments lists who looks after a grid.
func (s *Service) GridAssignments(ctx context.Context, a org.Actor, gridID int64) ([]store.GridAssignment, error) {
	if _, _, err := s.gridPlace(gridID); err != nil {
		return nil, err
	}
	return s.st.GridAssignments(ctx, gridID, 0)
}

// mayPatrol: a grid worker of the grid, or a person assigned to it.
func (s *Service) mayPatrol(ctx context.Context, a org.Actor, gridID int64) (bool, error) {
	if a.User.Has(org.RoleGridWorker) && slices.Contains(a.User.GridIDs, gridID) {
		return true, nil
	}
	as, err := s.st.GridAssignments(ctx, 0, a.User.ID)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(as, func(g store.GridAssignment) bool { return g.GridID == gridID }), nil
}

// StartPatrol starts a patrol of a grid; one at a time per person.
func (s *Service) StartPatrol(ctx context.Context, a org.Actor, gridID int64, note string) (grid.Patrol, error) {
	if _, _, err := s.gridPlace(gridID); err != nil {
		return grid.Patrol{}, err
	}
	ok, err := s.mayPatrol(ctx, a, gridID)
	if err != nil {
		return grid.Patrol{}, err
	}
	if !ok {
		return grid.Patrol{}, errs.E(errs.Forbidden)
	}
	if tooLong(note, s.cfg.MaxNote) {
		return grid.Patrol{}, errs.F(errs.FieldTooLong, "note")
	}
	p := grid.Patrol{GridID: gridID, UserID: a.User.ID, State: grid.Patrolling, StartedAt: s.Now(), Note: strings.TrimSpace(note)}
	err = s.st.Write(ctx, func(tx *store.Tx) error {
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

// AddPositions records positions of the actor's patrol (at most 1,000 per
// call, in time order, not before the start nor in the future).
func (s *Service) AddPositions(ctx context.Context, a org.Actor, id int64, pts []grid.Point) (grid.Patrol, error) {
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
	err := s.st.Write(ctx, func(tx *store.Tx) error {
		var err error
		if p, err = ownPatrol(ctx, tx, a, id); err != nil {
			return err
		}
		if pts[0].At.Before(p.StartedAt) {
			return errs.F(errs.Invalid, "points.at")
		}
		return tx.AddPatrolPoints(ctx, &p, pts)
	})
	return p, err
}

// EndPatrol ends the actor's patrol.
func (s *Service) EndPatrol(ctx context.Context, a org.Actor, id int64) (grid.Patrol, error) {
	var p grid.Patrol
	err := s.st.Write(ctx, func(tx *store.Tx) error {
		var err error
		if p, err = ownPatrol(ctx, tx, a, id); err != nil {
			return err
		}
		p.State, p.EndedAt = grid.Ended, s.Now()
		return tx.EndPatrol(ctx, id, p.EndedAt)
	})
	return p, err
}

// Patrol returns a patrol with its track and findings: its walker, the
// grid's street office, or centre staff.
func (s *Service) Patrol(ctx context.Context, a org.Actor, id int64) (grid.Patrol, []grid.Point, []grid.Finding, error) {
	p, err := s.st.Patrol(ctx, id)
	if err != nil {
		return p, nil, nil, err
	}
	_, street, _ := s.gridPlace(p.GridID)
	if p.UserID != a.User.ID && !centreStaff(a) && a.Unit.ID != street.ID {
		return p, nil, nil, errs.E(errs.NotFound)
	}
	pts, err := s.st.PatrolPoints(ctx, id)
	if err != nil {
		return p, nil, nil, err
	}
	fs, err := s.st.Findings(ctx, id)
	return p, pts, fs, err
}

// ReportFinding files a finding of the actor's patrol. In one transaction
// it becomes a case on channel "grid" (created by the patrolling person)
// and, by outcome: closed at once with the evidence (solved on the spot),
// dispatched to the grid's street office, or left received for the centre
// to dispatch like any order.
func (s *Service) ReportFinding(ctx context.Context, a org.Actor, patrolID int64, in grid.FindingInput) (grid.Finding, *lifecycle.Case, error) {
	if err := in.Validate(); err != nil {
		return grid.Finding{}, nil, err
	}
	if tooLong(in.Evidence, s.cfg.MaxNote) {
		return grid.Finding{}, nil, errs.F(errs.FieldTooLong, "evidence")
	}
	var f grid.Finding
	var out *lifecycle.Case
	err := s.st.Write(ctx, func(tx *store.Tx) error {
		p, err := ownPatrol(ctx, tx, a, patrolID)
		if err != nil {
			return err
		}
		_, street, err := s.gridPlace(p.GridID)
		if err != nil {
			return err
		}
		nc, err := s.build(NewCase{Channel: "grid", Type: "report", Category: in.Category, Description: in.Description,
			Address: in.Address, Lat: in.Lat, Lon: in.Lon, PlaceID: p.GridID, Anonymous: true, Attachments: in.Attachments})
		if err != nil {
			return err
		}
		if len(in.Attachments) > maxLinks {
			return errs.F(errs.TooLarge, "attachments")
		}
		env := s.env()
		c := nc
		if c.Number, err = tx.NextNumber(ctx, env.Now.In(s.cfg.Loc).Format("20060102")); err != nil {
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
	StreetPlaceID int64                 `json:"street_place_id"`
	Street        string                `json:"street"`
	Grids         int                   `json:"grids"`
	Patrolled     int                   `json:"patrolled"` // grids with a patrol started in the period
	Patrols       int64                 `json:"patrols"`
	Findings      int64                 `json:"findings"`
	GridActivity  []*store.GridActivity `json:"grid_activity"`
}

// Coverage reports patrols, findings and closure times per street and grid
// for [from, to) (default: this week). Centre staff see every street, a
// street office its own.
func (s *Service) Coverage(ctx context.Context, a org.Actor, from, to time.Time) ([]StreetCoverage, error) {
	only := int64(0)
	switch {
	case centreStaff(a):
	case a.User.Has(org.RoleHandler, org.RoleLeader) && a.Unit.Kind == org.KindStreet:
		only = a.Unit.PlaceID
	default:
		return nil, errs.E(errs.Forbidden)
	}
	if from.IsZero() {
		from, to = grid.Week(s.Now())
	}
	act, err := s.st.GridActivity(ctx, from, to)
	if err != nil {
		return nil, err
	}
	cat := s.cat.Load()
	byStreet := map[int64]*StreetCoverage{}
	var order []int64
	places := make([]org.Place, 0, len(cat.places))
	for _, p := range cat.places {
		places = append(places, p)
	}
	slices.SortFunc(places, func(x, y org.Place) int { return int(x.ID - y.ID) })
	for _, p := range places {
		if p.Level != org.LevelGrid {
			continue
		}
		ch, _ := cat.chain(p.ID)
		if ch[1] == 0 || (only != 0 && ch[1] != only) {
			continue
		}
		sc := byStreet[ch[1]]
		if sc == nil {
			sc = &StreetCoverage{StreetPlaceID: ch[1], Street: cat.places[ch[1]].Name, GridActivity: []*store.GridActivity{}}
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
