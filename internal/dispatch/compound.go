package dispatch

import (
	"context"
	"errors"
	"time"

	"whistle/internal/compound"
	"whistle/internal/dutylist"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
)

// Managed compounds (小区) in routing (物业, issue #15): a request inside a
// compound — its point in the compound's boundary, or its address naming
// one of the compound's aliases — carries the compound and its property
// company into the duty list, whose RoleProperty rules send the
// property-serviceable categories to that company (dutylist.Decide).

type compoundIndex struct {
	at int64 // when it was read (Unix ns)
	ix *compound.Index
}

// compoundMaxAge is how long this node trusts its cached compounds:
// another node may change them.
const compoundMaxAge = time.Minute

// reloadCompounds re-reads the compounds (an empty store has none).
func (s *Service) reloadCompounds(ctx context.Context) error {
	cs, err := s.St.Compounds(ctx)
	if err != nil {
		return err
	}
	s.rt.cmp.Store(&compoundIndex{at: s.Now().UnixNano(), ix: compound.NewIndex(cs)})
	return nil
}

// ReloadCompounds re-reads the compounds after a change on this node.
func (s *Service) ReloadCompounds(ctx context.Context) error { return s.reloadCompounds(ctx) }

// Compounds returns the index of the active compounds.
func (s *Service) Compounds(ctx context.Context) (*compound.Index, error) {
	c := s.rt.cmp.Load()
	if c == nil || s.Now().Sub(time.Unix(0, c.at)) > compoundMaxAge {
		if err := s.reloadCompounds(ctx); err != nil {
			return nil, err
		}
		c = s.rt.cmp.Load()
	}
	return c.ix, nil
}

// CompoundOf finds the managed compound a request at l is about (ok false:
// none, or an address naming several equally well).
func (s *Service) CompoundOf(ctx context.Context, l lifecycle.Location) (compound.Match, bool, error) {
	ix, err := s.Compounds(ctx)
	if err != nil || ix.Len() == 0 {
		return compound.Match{}, false, err
	}
	m, ok, err := ix.Find(l.Lon, l.Lat, l.Approximate, l.Address, l.CommunityID)
	if errors.Is(err, compound.ErrAmbiguous) {
		return compound.Match{}, false, nil
	}
	return m, ok, err
}

// withCompound adds the compound of l (if any) to a routing input.
func (s *Service) withCompound(ctx context.Context, in *dutylist.Input, l lifecycle.Location) error {
	m, ok, err := s.CompoundOf(ctx, l)
	if err != nil || !ok {
		return err
	}
	in.CompoundID, in.CompoundName, in.PropertyUnitID = m.Compound.ID, m.Compound.Name, m.Compound.PropertyUnitID
	return nil
}

// RouteCase routes a stored or new case: RouteSuggestion with its
// deepest place and, when it lies in a managed compound, the compound's
// property company.
func (s *Service) RouteCase(ctx context.Context, c *lifecycle.Case) (dutylist.Decision, error) {
	l := c.Location
	place := l.GridID
	for _, p := range []int64{l.CommunityID, l.StreetID, l.DistrictID} {
		if place == 0 {
			place = p
		}
	}
	return s.RouteSuggestionAt(ctx, c.Category, place, c.Title+" "+c.Description, l)
}

// RouteSuggestionAt is RouteSuggestion for a request at a location (its
// point and address, as typed so far): a location inside a managed
// compound lets the duty list's property rules apply.
func (s *Service) RouteSuggestionAt(ctx context.Context, categoryCode string, placeID int64, text string, l lifecycle.Location) (dutylist.Decision, error) {
	if _, ok := s.Category(categoryCode); !ok {
		return dutylist.Decision{}, errs.F(errs.UnknownCategory, "category")
	}
	in := dutylist.Input{Category: categoryCode, Text: text}
	if placeID != 0 {
		ch, ok := s.Chain(placeID)
		if !ok {
			return dutylist.Decision{}, errs.F(errs.UnknownPlace, "place_id")
		}
		in.DistrictID, in.StreetID, in.CommunityID, in.GridID = ch[0], ch[1], ch[2], ch[3]
	}
	if l.CommunityID == 0 {
		l.CommunityID = in.CommunityID
	}
	if err := s.withCompound(ctx, &in, l); err != nil {
		return dutylist.Decision{}, err
	}
	return s.route(ctx, in)
}
