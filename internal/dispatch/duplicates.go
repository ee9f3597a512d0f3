package dispatch

import (
	"context"
	"strings"
	"time"

	"whistle/internal/core"
	"whistle/internal/dedup"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
)

// maxDuplicateCandidates bounds how many open requests one check scores.
const maxDuplicateCandidates = 5000

// DuplicateConfig is the duplicate check's configuration (Config.Duplicates
// with defaults filled).
func (s *Service) DuplicateConfig() dedup.Config { return s.Cfg.Duplicates.WithDefaults() }

func (s *Service) duplicateDays() int {
	if s.Cfg.DuplicateDays > 0 {
		return s.Cfg.DuplicateDays
	}
	return DefaultDuplicateDays
}

// mayCheckDuplicates: the centre's agents and dispatchers, supervisors and
// administrators.
func mayCheckDuplicates(a org.Actor) bool {
	return a.User.Has(org.RoleAgent, org.RoleDispatcher, org.RoleSupervisor, org.RoleAdmin)
}

// DraftRequest is a request not yet saved, checked for duplicates.
type DraftRequest struct {
	Category    string   `json:"category"`
	Title       string   `json:"title,omitempty"`
	Description string   `json:"description"`
	Lat         *float64 `json:"lat,omitempty"`
	Lon         *float64 `json:"lon,omitempty"`
	PlaceID     int64    `json:"place_id,omitempty"`
	Address     string   `json:"address,omitempty"` // with a place and no point: finds its approximate point, as intake does
}

// Duplicates lists the likely duplicates of a case the actor can see:
// open requests within the radius, in the same or a sibling category,
// created in the last DuplicateDays days, with similar text; best first.
// cfg overrides the configured radius and thresholds where non-zero.
func (s *Service) Duplicates(ctx context.Context, a org.Actor, id int64, cfg dedup.Config) ([]dedup.Match, error) {
	if !mayCheckDuplicates(a) {
		return nil, errs.E(errs.Forbidden)
	}
	c, err := s.St.Case(ctx, id, org.ScopeOf(a))
	if err != nil {
		return nil, err
	}
	req := dedup.Request{ID: c.ID, Number: c.Number, Category: c.Category, Lat: c.Location.Lat, Lon: c.Location.Lon,
		Text: c.Title + "\n" + c.Description, CommunityID: c.Location.CommunityID}
	return s.duplicates(ctx, a, req, c.Location.DistrictID, cfg)
}

// CheckDuplicates lists the likely duplicates of a request being
// registered (not saved yet).
func (s *Service) CheckDuplicates(ctx context.Context, a org.Actor, in DraftRequest, cfg dedup.Config) ([]dedup.Match, error) {
	if !mayCheckDuplicates(a) {
		return nil, errs.E(errs.Forbidden)
	}
	if _, ok := s.Category(in.Category); !ok {
		return nil, errs.F(errs.UnknownCategory, "category")
	}
	text := strings.TrimSpace(in.Title + "\n" + in.Description)
	if text == "" {
		return nil, errs.F(errs.FieldRequired, "description")
	}
	if core.TooLong(text, s.Cfg.MaxDescription+s.Cfg.MaxTitle+1) {
		return nil, errs.F(errs.FieldTooLong, "description")
	}
	req := dedup.Request{Category: in.Category, Text: text}
	var district int64
	if (in.Lat == nil) != (in.Lon == nil) {
		return nil, errs.F(errs.InvalidLocation, "lat")
	}
	if in.Lat != nil {
		loc, err := s.Locate(*in.Lat, *in.Lon)
		if err != nil {
			return nil, err
		}
		req.Lat, req.Lon = in.Lat, in.Lon
		district, req.CommunityID = loc.DistrictID, loc.CommunityID
	}
	if in.PlaceID != 0 {
		ch, ok := s.Chain(in.PlaceID)
		if !ok {
			return nil, errs.F(errs.UnknownPlace, "place_id")
		}
		if district == 0 {
			district, req.CommunityID = ch[0], ch[2]
		}
		if req.Lat == nil {
			// Placed by name only: the same approximate point intake gives
			// the case (core.ApproxLocation), so that a call about a compound
			// meets the cases already placed there.
			if loc, ok := s.ApproxLocation(in.PlaceID, in.Address); ok {
				req.Lat, req.Lon = loc.Lat, loc.Lon
			}
		}
	}
	if req.Lat == nil && req.CommunityID == 0 {
		return nil, &errs.Error{Code: errs.FieldRequired, Field: "lat", Detail: "coordinates or a community/grid place_id are needed"}
	}
	return s.duplicates(ctx, a, req, district, cfg)
}

func (s *Service) duplicates(ctx context.Context, a org.Actor, req dedup.Request, district int64, over dedup.Config) ([]dedup.Match, error) {
	cfg := s.DuplicateConfig()
	if over.RadiusM > 0 {
		cfg.RadiusM = over.RadiusM
	}
	if over.MinText > 0 {
		cfg.MinText = over.MinText
	}
	if over.MinScore > 0 {
		cfg.MinScore = over.MinScore
	}
	if over.Limit > 0 {
		cfg.Limit = over.Limit
	}
	since := s.Now().Add(-time.Duration(s.duplicateDays()) * 24 * time.Hour)
	// Candidates come from the request's district (by index); a duplicate
	// across a district border within the radius is not found.
	cs, err := s.St.OpenCasesIn(ctx, s.siblings(req.Category), district, since, maxDuplicateCandidates)
	if err != nil {
		return nil, err
	}
	sc := org.ScopeOf(a)
	cands := make([]dedup.Request, 0, len(cs))
	for _, c := range cs {
		if !visible(sc, c) {
			continue
		}
		cands = append(cands, dedup.Request{ID: c.ID, Number: c.Number, Category: c.Category, Lat: c.Location.Lat, Lon: c.Location.Lon,
			Text: c.Title + "\n" + c.Description, CommunityID: c.Location.CommunityID})
	}
	ms := dedup.Score(req, cands, cfg)
	byID := map[int64]*lifecycle.Case{}
	for _, c := range cs {
		byID[c.ID] = c
	}
	for i := range ms {
		ms[i].Title = byID[ms[i].ID].Title
	}
	if ms == nil {
		ms = []dedup.Match{}
	}
	return ms, nil
}

// visible applies a scope to a loaded case, as store.scopeSQL does in SQL.
func visible(sc org.Scope, c *lifecycle.Case) bool {
	switch {
	case sc.None:
		return false
	case sc.All:
		return true
	}
	if sc.DistrictID != 0 && c.Location.DistrictID == sc.DistrictID {
		return true
	}
	if sc.UnitID != 0 && (c.LeadUnitID == sc.UnitID || c.SupervisingUnitID == sc.UnitID || c.IsCoUnit(sc.UnitID)) {
		return true
	}
	if sc.UserID != 0 && c.CreatedBy == sc.UserID {
		return true
	}
	for _, g := range sc.GridIDs {
		if c.Location.GridID == g {
			return true
		}
	}
	return false
}

func (s *Service) repeatWindow() time.Duration {
	if s.Cfg.RepeatWindow > 0 {
		return s.Cfg.RepeatWindow
	}
	return DefaultRepeatWindow
}

// markRepeats counts, in the creating transaction before the case is
// inserted, the earlier requests within the repeat window from the same
// phone and at the same grid (or community) in the same category, and sets
// c.Repeat (nil when neither). In the transaction, the SQLite writer's
// per-batch prepared statements serve the counts, which costs less CPU than
// preparing them on the read pool for every request.
// MarkRepeats counts the caller's and the place's earlier requests of the
// repeat window and records them on a new case.
func (s *Service) MarkRepeats(ctx context.Context, q store.Queries, c *lifecycle.Case, now time.Time) error {
	l := c.Location
	caller, place, err := q.RepeatCounts(ctx, c.Citizen.PhoneHash, l.GridID, l.CommunityID, l.DistrictID, c.Category, now.Add(-s.repeatWindow()), now.Add(time.Millisecond))
	if err != nil {
		return err
	}
	if caller > 0 || place > 0 {
		c.Repeat = &lifecycle.Repeat{Caller: caller, Place: place}
	}
	return nil
}

// SaveRepeatFlags records c's repeat flags after it was inserted.
func SaveRepeatFlags(ctx context.Context, tx *store.Tx, c *lifecycle.Case) error {
	if c.Repeat == nil {
		return nil
	}
	if c.Repeat.Caller > 0 {
		if err := tx.InsertCaseFlag(ctx, c.ID, lifecycle.FlagRepeatCaller, c.Repeat.Caller, c.CreatedAt); err != nil {
			return err
		}
	}
	if c.Repeat.Place > 0 {
		return tx.InsertCaseFlag(ctx, c.ID, lifecycle.FlagRepeatPlace, c.Repeat.Place, c.CreatedAt)
	}
	return nil
}

// RepeatPage is a page of flagged cases with the counts per flag.
type RepeatPage struct {
	Counts map[string]int64        `json:"counts"`
	Cases  []lifecycle.FlaggedCase `json:"cases"`
	Next   string                  `json:"next,omitempty"`
}

// Repeats lists the repeat-flagged cases in the actor's scope (flag "" =
// both) created in [from, to), with the counts per flag.
func (s *Service) Repeats(ctx context.Context, a org.Actor, flag string, from, to time.Time, cursor string, limit int) (RepeatPage, error) {
	if flag != "" && flag != lifecycle.FlagRepeatCaller && flag != lifecycle.FlagRepeatPlace {
		return RepeatPage{}, errs.F(errs.Invalid, "flag")
	}
	sc := org.ScopeOf(a)
	counts, err := s.St.FlagCounts(ctx, sc, from, to)
	if err != nil {
		return RepeatPage{}, err
	}
	cs, next, err := s.St.FlaggedCases(ctx, sc, flag, from, to, cursor, limit)
	if err != nil {
		return RepeatPage{}, err
	}
	if cs == nil {
		cs = []lifecycle.FlaggedCase{}
	}
	for i := range cs {
		cs[i].Case = lifecycle.ViewFor(a, cs[i].Case)
	}
	return RepeatPage{Counts: counts, Cases: cs, Next: next}, nil
}
