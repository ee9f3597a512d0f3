// Package property is property services (物业) as the centre and residents
// work them (issue #15): managed compounds (小区) with their property
// company and owners' committee (administrators and the city centre keep
// them; dispatch routes requests inside them to the property company by
// the duty list's RoleProperty rules), residents' ratings of their property
// company on the portal (1–5, one per phone per compound per quarter, the
// phone kept only as the keyed hash), and the property companies' page:
// the monthly exam paper's property group beside the residents' ratings.
// The rules live in package compound; the three rates in assessment.
package property

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"

	"whistle/internal/assessment"
	"whistle/internal/compound"
	"whistle/internal/core"
	"whistle/internal/dispatch"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/ranking"
	"whistle/internal/store"
)

// Service is property services over the shared core.
type Service struct {
	*core.Core
	dispatch *dispatch.Service
	ranking  *ranking.Service
}

// New builds the property service.
func New(c *core.Core, d *dispatch.Service, r *ranking.Service) *Service {
	return &Service{Core: c, dispatch: d, ranking: r}
}

// MayManage: administrators and the city centre's dispatchers keep the
// compounds and assign their property companies.
func MayManage(a org.Actor) bool { return org.CityDecider(a) }

// mayRead: centre staff (city or district) read the compounds.
func mayRead(a org.Actor) bool { return MayManage(a) || org.CentreStaff(a) }

// View is a compound with the names of its places and units.
type View struct {
	compound.Compound
	CommunityName string `json:"community_name"`
	StreetName    string `json:"street_name,omitempty"`
	PropertyName  string `json:"property_name"`
	CommitteeName string `json:"committee_name,omitempty"`
}

func (s *Service) view(c compound.Compound) View {
	v := View{Compound: c}
	if p, ok := s.Place(c.CommunityID); ok {
		v.CommunityName = p.Name
		if st, ok := s.Place(p.ParentID); ok {
			v.StreetName = st.Name
		}
	}
	if u, ok := s.Unit(c.PropertyUnitID); ok {
		v.PropertyName = u.Name
	}
	if u, ok := s.Unit(c.CommitteeUnitID); ok {
		v.CommitteeName = u.Name
	}
	return v
}

// Compounds lists every compound (centre staff).
func (s *Service) Compounds(ctx context.Context, a org.Actor) ([]View, error) {
	if !mayRead(a) {
		return nil, errs.E(errs.Forbidden)
	}
	cs, err := s.St.Compounds(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]View, 0, len(cs))
	for _, c := range cs {
		out = append(out, s.view(c))
	}
	return out, nil
}

// Compound returns one compound (centre staff).
func (s *Service) Compound(ctx context.Context, a org.Actor, id int64) (View, error) {
	if !mayRead(a) {
		return View{}, errs.E(errs.Forbidden)
	}
	c, err := s.St.Compound(ctx, id)
	if err != nil {
		return View{}, err
	}
	return s.view(c), nil
}

// Units lists the property companies and owners' committees, for forms.
func (s *Service) Units(kind string) []org.Unit {
	var out []org.Unit
	for _, u := range s.UnitsList() {
		if u.Kind == kind {
			out = append(out, u)
		}
	}
	return out
}

func (s *Service) check(c compound.Compound) error {
	ps := compound.Check(c,
		func(id int64) string { u, _ := s.Unit(id); return u.Kind },
		func(id int64) bool { p, ok := s.Place(id); return ok && p.Level == org.LevelCommunity })
	if len(ps) == 0 {
		return nil
	}
	var es []*errs.Error
	for _, p := range ps {
		code := errs.Invalid
		switch p.Field {
		case "name":
			if p.Detail == "required" {
				code = errs.FieldRequired
			} else {
				code = errs.FieldTooLong
			}
		case "community_id":
			code = errs.UnknownPlace
		case "property_unit_id", "committee_unit_id":
			code = errs.UnknownUnit
		}
		es = append(es, &errs.Error{Code: code, Field: p.Field, Detail: p.Detail})
	}
	return errs.All(es...)
}

// SaveCompound creates (ID 0) or changes a compound, audited; routing uses
// it from the next request on.
func (s *Service) SaveCompound(ctx context.Context, a org.Actor, c compound.Compound) (View, error) {
	if !MayManage(a) {
		return View{}, errs.E(errs.Forbidden)
	}
	c.Name, c.Address = strings.TrimSpace(c.Name), strings.TrimSpace(c.Address)
	var al []string
	for _, x := range c.Aliases {
		if x = strings.TrimSpace(x); x != "" && !slices.Contains(al, x) {
			al = append(al, x)
		}
	}
	c.Aliases, c.Boundary = al, strings.TrimSpace(c.Boundary)
	if err := s.check(c); err != nil {
		return View{}, err
	}
	c.UpdatedAt = s.Now()
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		action := "compound_update"
		if c.ID == 0 {
			action = "compound_create"
			if err := tx.InsertCompound(ctx, &c); err != nil {
				return err
			}
		} else if err := tx.UpdateCompound(ctx, c); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, action, "compound:"+itoa(c.ID), map[string]any{"name": c.Name, "property_unit_id": c.PropertyUnitID,
			"committee_unit_id": c.CommitteeUnitID, "community_id": c.CommunityID, "aliases": len(c.Aliases), "boundary": c.Boundary != "", "active": c.Active})
	})
	if err != nil {
		return View{}, err
	}
	return s.view(c), s.dispatch.ReloadCompounds(ctx)
}

// PublicCompound is what the portal shows of a compound.
type PublicCompound struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	CommunityName string `json:"community_name"`
	PropertyName  string `json:"property_name"`
}

// PublicCompounds lists the active compounds for residents, by community
// and name.
func (s *Service) PublicCompounds(ctx context.Context) ([]PublicCompound, error) {
	cs, err := s.St.Compounds(ctx)
	if err != nil {
		return nil, err
	}
	var out []PublicCompound
	for _, c := range cs {
		if !c.Active {
			continue
		}
		v := s.view(c)
		out = append(out, PublicCompound{ID: c.ID, Name: c.Name, CommunityName: v.CommunityName, PropertyName: v.PropertyName})
	}
	slices.SortFunc(out, func(a, b PublicCompound) int {
		if c := cmp.Compare(a.CommunityName, b.CommunityName); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return out, nil
}

// RateInput is a resident's rating from the portal.
type RateInput struct {
	CompoundID int64  `json:"compound_id"`
	Score      int    `json:"score"`
	Comment    string `json:"comment"`
	Phone      string `json:"phone"`
}

// Rate records a resident's rating of the property company of a compound:
// the phone is normalised and kept only as its keyed hash; a second rating
// of the compound by the same phone in the same quarter (Asia/Shanghai) is
// errs.Exists. No personal data is written to the audit log.
func (s *Service) Rate(ctx context.Context, in RateInput) (compound.Rating, error) {
	var es []*errs.Error
	phone, err := core.NormalizePhone(in.Phone)
	if err != nil {
		es = append(es, errs.F(errs.InvalidPhone, "phone"))
	}
	for _, p := range compound.CheckRating(in.Score, in.Comment) {
		code := errs.Invalid
		if p.Field == "comment" {
			code = errs.FieldTooLong
		}
		es = append(es, &errs.Error{Code: code, Field: p.Field, Detail: p.Detail})
	}
	c, err := s.St.Compound(ctx, in.CompoundID)
	if errs.Is(err, errs.NotFound) || (err == nil && !c.Active) {
		es = append(es, errs.F(errs.NotFound, "compound_id"))
	} else if err != nil {
		return compound.Rating{}, err
	}
	if len(es) > 0 {
		return compound.Rating{}, errs.All(es...)
	}
	now := s.Now()
	r := compound.Rating{CompoundID: c.ID, UnitID: c.PropertyUnitID, CommunityID: c.CommunityID, Score: in.Score,
		Comment: strings.TrimSpace(in.Comment), PhoneHash: s.PhoneHash(phone), Quarter: compound.Quarter(now, s.Cfg.Loc), CreatedAt: now}
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertPropertyRating(ctx, &r); err != nil {
			return err
		}
		return s.Audit(ctx, tx, core.Citizen(), "property_rate", "compound:"+itoa(c.ID), map[string]any{"unit_id": r.UnitID, "score": r.Score, "quarter": r.Quarter})
	})
	if err != nil {
		return compound.Rating{}, err
	}
	r.PhoneHash = ""
	return r, nil
}

// mayReadUnit: centre staff any property company's ratings; a property
// company's handlers and leaders their own.
func mayReadUnit(a org.Actor, unitID int64) bool {
	if org.CentreStaff(a) {
		return true
	}
	return a.Unit.ID == unitID && a.Unit.Kind == org.KindProperty && a.User.Has(org.RoleHandler, org.RoleLeader)
}

// Ratings returns a property company's latest ratings (without phones).
func (s *Service) Ratings(ctx context.Context, a org.Actor, unitID int64, limit int) ([]compound.Rating, error) {
	if u, ok := s.Unit(unitID); !ok || u.Kind != org.KindProperty || !mayReadUnit(a, unitID) {
		return nil, errs.E(errs.NotFound)
	}
	return s.St.PropertyRatings(ctx, unitID, min(max(limit, 1), 200))
}

// Row is one property company on the property page: its place in the
// exam paper's property group and its residents' ratings.
type Row struct {
	Score      assessment.Score       `json:"score"`
	Compounds  []string               `json:"compounds"`
	Ratings    compound.RatingSummary `json:"ratings"`
	Committees []string               `json:"committees,omitempty"`
}

// Board is the property page of a month.
type Board struct {
	Period  assessment.Period `json:"period"`
	Frozen  bool              `json:"frozen"`
	Rows    []Row             `json:"rows"`
	Quarter string            `json:"quarter"`
}

// Board returns the month's property group of the exam paper (ranked as
// ranking.Assess ranks it, the same versioned rules) with each company's
// compounds and the residents' ratings given in the month. Centre staff
// see every company; a property company's staff their own row.
func (s *Service) Board(ctx context.Context, a org.Actor, p assessment.Period) (Board, error) {
	if !org.CentreStaff(a) && !(a.Unit.Kind == org.KindProperty && a.User.Has(org.RoleHandler, org.RoleLeader)) {
		return Board{}, errs.E(errs.Forbidden)
	}
	rk, err := s.ranking.Assess(ctx, a, p, ranking.AssessOptions{Kind: org.KindProperty})
	if err != nil {
		return Board{}, err
	}
	sums, err := s.St.PropertyRatingSummaries(ctx, p.From, p.To)
	if err != nil {
		return Board{}, err
	}
	cs, err := s.St.Compounds(ctx)
	if err != nil {
		return Board{}, err
	}
	b := Board{Period: p, Frozen: rk.Frozen, Quarter: compound.Quarter(p.From, s.Cfg.Loc)}
	for _, sc := range rk.Units {
		if !org.CentreStaff(a) && sc.UnitID != a.Unit.ID {
			continue
		}
		row := Row{Score: sc, Ratings: compound.RatingSummary{UnitID: sc.UnitID}}
		if x := sums[sc.UnitID]; x != nil {
			row.Ratings = *x
		}
		for _, c := range cs {
			if c.PropertyUnitID == sc.UnitID && c.Active {
				row.Compounds = append(row.Compounds, c.Name)
				if u, ok := s.Unit(c.CommitteeUnitID); ok {
					row.Committees = append(row.Committees, u.Name)
				}
			}
		}
		b.Rows = append(b.Rows, row)
	}
	return b, nil
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
