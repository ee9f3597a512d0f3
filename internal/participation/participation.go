// Package participation is 问需于民 and 项目制 as the people work them
// (issue #15): streets and communities ask residents with surveys (民意征集),
// residents answer on the portal (one answer per phone, kept only as a
// keyed hash); the city centre runs the annual practical-matters list
// (民生实事): residents propose and vote, the centre shortlists and adopts,
// and each adopted item becomes a community project (项目制), which its
// street approves and funds, its people report on, and residents evaluate.
// The rules live in package consult; every method is one user action with
// its scope check.
package participation

import (
	"slices"
	"strconv"

	"whistle/internal/consult"
	"whistle/internal/core"
	"whistle/internal/errs"
	"whistle/internal/org"
)

// Service is the participation service over the shared core.
type Service struct {
	*core.Core
}

// New builds the participation service.
func New(c *core.Core) *Service { return &Service{Core: c} }

// unitStaff: a handler or leader of a unit that is not a centre and has an
// area (a street, a community).
func unitStaff(a org.Actor) bool {
	return a.User.Has(org.RoleHandler, org.RoleLeader) && !a.Unit.IsCentre() && a.Unit.PlaceID != 0
}

// within reports whether place lies in the area of the place area (or is it).
func (s *Service) within(place, area int64) bool {
	if place == 0 || area == 0 {
		return false
	}
	if place == area {
		return true
	}
	ch, ok := s.Chain(place)
	return ok && slices.Contains(ch[:], area)
}

// unitDistrict is the district a unit's area lies in (0 for city level).
func (s *Service) unitDistrict(id int64) int64 {
	u, ok := s.Unit(id)
	if !ok {
		return 0
	}
	ch, _ := s.Chain(u.PlaceID)
	return ch[0]
}

// mayView: the owning unit's staff, and the centre of its district (city
// centre staff everywhere). Anyone else gets 404.
func (s *Service) mayView(a org.Actor, unitIDs ...int64) bool {
	for _, id := range unitIDs {
		if id != 0 && (a.Unit.ID == id && a.User.Has(org.RoleHandler, org.RoleLeader) || org.CentreStaffIn(a, s.unitDistrict(id))) {
			return true
		}
	}
	return false
}

// checkPlaces checks that every place exists and lies in the unit's area.
func (s *Service) checkPlaces(u org.Unit, ids []int64, name string) error {
	for _, id := range ids {
		if _, ok := s.Place(id); !ok {
			return &errs.Error{Code: errs.UnknownPlace, Field: name, Detail: strconv.FormatInt(id, 10)}
		}
		if !s.within(id, u.PlaceID) {
			return &errs.Error{Code: errs.OutsideArea, Field: name, Detail: strconv.FormatInt(id, 10)}
		}
	}
	return nil
}

// streetOf is the street office whose area holds place.
func (s *Service) streetOf(place int64) (org.Unit, bool) {
	ch, ok := s.Chain(place)
	if !ok || ch[1] == 0 {
		return org.Unit{}, false
	}
	for _, u := range s.UnitsList() {
		if u.Kind == org.KindStreet && u.PlaceID == ch[1] {
			return u, true
		}
	}
	return org.Unit{}, false
}

// phoneKey normalises a resident's phone and returns its keyed hash.
func (s *Service) phoneKey(phone string) (string, error) {
	p, err := core.NormalizePhone(phone)
	if err != nil {
		return "", err
	}
	return s.PhoneHash(p), nil
}

// audience reports whether a place lies in a survey's audience.
func (s *Service) audience(sv *consult.Survey, place int64) bool {
	for _, p := range sv.PlaceIDs {
		if s.within(place, p) || s.within(p, place) {
			return true
		}
	}
	return false
}

func notFound(field string) error { return &errs.Error{Code: errs.NotFound, Field: field} }
