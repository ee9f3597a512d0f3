// Package admin is what administrators keep: the place tree and its
// boundaries, units, users and roles, the category taxonomy, the time-limit
// policy and the holiday calendar, each change written to the audit log.
package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"whistle/internal/accounts"
	"whistle/internal/audit"
	"whistle/internal/auth"
	"whistle/internal/calendar"
	"whistle/internal/core"
	"whistle/internal/errs"
	"whistle/internal/geo"
	"whistle/internal/org"
	"whistle/internal/store"
	"whistle/internal/timelimit"
)

// Service is administration over the shared core.
type Service struct {
	*core.Core
	// Forget drops a user's cached sessions on this node (the accounts
	// service's token cache), so that disabling a user or changing their
	// roles takes effect at once here; nil = nothing cached.
	Forget func(userID int64)
}

// New builds the administration service.
func New(c *core.Core) *Service { return &Service{Core: c} }

// CreatePlace adds a place (admin), validating level order and boundary.
func (s *Service) CreatePlace(ctx context.Context, a org.Actor, p org.Place) (org.Place, error) {
	if err := core.RequireAdmin(a); err != nil {
		return p, err
	}
	if strings.TrimSpace(p.Name) == "" {
		return p, errs.F(errs.FieldRequired, "name")
	}
	if strings.TrimSpace(p.Code) == "" {
		return p, errs.F(errs.FieldRequired, "code")
	}
	if err := names(field{"name", p.Name, maxName}, field{"code", p.Code, maxCode}); err != nil {
		return p, err
	}
	li := slices.Index(org.Levels, p.Level)
	if li < 0 {
		return p, errs.F(errs.Invalid, "level")
	}
	if p.ParentID != 0 {
		parent, ok := s.Place(p.ParentID)
		if !ok {
			return p, errs.F(errs.UnknownPlace, "parent_id")
		}
		if slices.Index(org.Levels, parent.Level) != li-1 {
			return p, &errs.Error{Code: errs.Invalid, Field: "level", Detail: "a " + p.Level + " must sit under a " + org.Levels[max(li-1, 0)]}
		}
	} else if p.Level != org.LevelCity {
		return p, errs.F(errs.FieldRequired, "parent_id")
	}
	if p.Boundary != "" {
		if _, err := geo.Parse(p.Boundary); err != nil {
			return p, &errs.Error{Code: errs.Invalid, Field: "boundary", Detail: err.Error()}
		}
	}
	p.ID = 0
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertPlace(ctx, &p); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "create_place", fmt.Sprintf("place:%d", p.ID), map[string]string{"code": p.Code, "name": p.Name})
	})
	if err != nil {
		return p, err
	}
	return p, s.Reload(ctx)
}

// SetPlaceBoundary replaces a place's GeoJSON boundary (admin).
func (s *Service) SetPlaceBoundary(ctx context.Context, a org.Actor, id int64, boundary string) error {
	if err := core.RequireAdmin(a); err != nil {
		return err
	}
	if _, ok := s.Place(id); !ok {
		return errs.E(errs.NotFound)
	}
	if _, err := geo.Parse(boundary); err != nil {
		return &errs.Error{Code: errs.Invalid, Field: "boundary", Detail: err.Error()}
	}
	// The same checks as an import: closed rings, no self-intersection.
	if probs := geo.CheckGeometry(boundary); len(probs) > 0 {
		p := probs[0]
		return &errs.Error{Code: errs.Invalid, Field: "boundary", Detail: fmt.Sprintf("%s: %s (%d problems)", p.Code, p.Message, len(probs))}
	}
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.UpdatePlaceBoundary(ctx, id, boundary); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "set_boundary", fmt.Sprintf("place:%d", id), nil)
	})
	if err != nil {
		return err
	}
	return s.Reload(ctx)
}

// Names of places, units, users and categories are short; a longer one is
// a mistake (and would slow every catalogue reload: the gazetteer reads
// every place name).
const (
	maxName = 100
	maxCode = 64
)

type field struct {
	name, value string
	max         int
}

func names(fs ...field) error {
	for _, f := range fs {
		if core.TooLong(f.value, f.max) {
			return &errs.Error{Code: errs.FieldTooLong, Field: f.name, Detail: fmt.Sprintf("max %d characters", f.max)}
		}
	}
	return nil
}

var unitKinds = []string{org.KindCityCentre, org.KindDistrictCentre, org.KindStreet, org.KindDepartment, org.KindEnterprise, org.KindProperty, org.KindOwnersCommittee, org.KindCommunity}

// CreateUnit adds a unit (admin).
func (s *Service) CreateUnit(ctx context.Context, a org.Actor, u org.Unit) (org.Unit, error) {
	if err := core.RequireAdmin(a); err != nil {
		return u, err
	}
	switch {
	case strings.TrimSpace(u.Name) == "":
		return u, errs.F(errs.FieldRequired, "name")
	case strings.TrimSpace(u.Code) == "":
		return u, errs.F(errs.FieldRequired, "code")
	case !slices.Contains(unitKinds, u.Kind):
		return u, errs.F(errs.Invalid, "kind")
	}
	if err := names(field{"name", u.Name, maxName}, field{"code", u.Code, maxCode}); err != nil {
		return u, err
	}
	if _, ok := s.Place(u.PlaceID); !ok {
		return u, errs.F(errs.UnknownPlace, "place_id")
	}
	if _, ok := s.Unit(u.SupervisorID); u.SupervisorID != 0 && !ok {
		return u, errs.F(errs.UnknownUnit, "supervisor_id")
	}
	u.ID = 0
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertUnit(ctx, &u); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "create_unit", fmt.Sprintf("unit:%d", u.ID), map[string]string{"code": u.Code, "name": u.Name})
	})
	if err != nil {
		return u, err
	}
	return u, s.Reload(ctx)
}

// CreateUser adds a user with a password (admin).
func (s *Service) CreateUser(ctx context.Context, a org.Actor, u org.User, password string, h auth.Hasher) (org.User, error) {
	if err := core.RequireAdmin(a); err != nil {
		return u, err
	}
	if strings.TrimSpace(u.Username) == "" || core.TooLong(u.Username, 64) {
		return u, errs.F(errs.FieldRequired, "username")
	}
	if strings.TrimSpace(u.DisplayName) == "" {
		return u, errs.F(errs.FieldRequired, "display_name")
	}
	if err := names(field{"display_name", u.DisplayName, maxName}); err != nil {
		return u, err
	}
	if _, ok := s.Unit(u.UnitID); !ok {
		return u, errs.F(errs.UnknownUnit, "unit_id")
	}
	if len(u.Roles) == 0 {
		return u, errs.F(errs.FieldRequired, "roles")
	}
	for _, r := range u.Roles {
		if !org.ValidRole(r) {
			return u, &errs.Error{Code: errs.Invalid, Field: "roles", Detail: r}
		}
	}
	hash, err := accounts.HashPassword(ctx, h, "password", password)
	if err != nil {
		return u, err
	}
	u.ID = 0
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertUser(ctx, &u, hash, s.Now()); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "create_user", fmt.Sprintf("user:%d", u.ID), map[string]any{"username": u.Username, "roles": u.Roles})
	})
	return u, err
}

// PutCategory adds or changes a category (admin). Parents must exist.
func (s *Service) PutCategory(ctx context.Context, a org.Actor, c org.Category) (org.Category, error) {
	if err := core.RequireAdmin(a); err != nil {
		return c, err
	}
	if c.Code == "" || strings.ContainsAny(c.Code, " /") || strings.HasPrefix(c.Code, ".") || strings.HasSuffix(c.Code, ".") {
		return c, errs.F(errs.Invalid, "code")
	}
	if strings.TrimSpace(c.NameZH) == "" {
		return c, errs.F(errs.FieldRequired, "name_zh")
	}
	if err := names(field{"code", c.Code, maxCode}, field{"name_zh", c.NameZH, maxName}, field{"name_en", c.NameEN, maxName}); err != nil {
		return c, err
	}
	if c.Urgency != "" && !timelimit.ValidUrgency(c.Urgency) {
		return c, errs.F(errs.InvalidUrgency, "urgency")
	}
	c.Parent = org.ParentCode(c.Code)
	if c.Parent != "" {
		if _, ok := s.Category(c.Parent); !ok {
			return c, errs.F(errs.UnknownCategory, "code")
		}
	}
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		if c.Parent != "" { // a parent is no longer a leaf
			p, _ := s.Category(c.Parent)
			if p.Leaf {
				p.Leaf = false
				if err := tx.UpsertCategory(ctx, p); err != nil {
					return err
				}
			}
		}
		if err := tx.UpsertCategory(ctx, c); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "put_category", "category:"+c.Code, c)
	})
	if err != nil {
		return c, err
	}
	return c, s.Reload(ctx)
}

// SetPolicy replaces the time-limit policy (admin). It applies to deadlines
// computed from now on; running deadlines keep their values.
func (s *Service) SetPolicy(ctx context.Context, a org.Actor, p timelimit.Policy) error {
	if err := core.RequireAdmin(a); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return &errs.Error{Code: errs.Invalid, Field: "policy", Detail: err.Error()}
	}
	p.Version = s.Policy().Version + 1
	b, _ := json.Marshal(p)
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.PutSetting(ctx, "policy", string(b), s.Now()); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "set_policy", "policy", map[string]int{"version": p.Version})
	})
	if err != nil {
		return err
	}
	s.UsePolicy(p)
	return nil
}

// LoadCalendarYear stores and loads a year of holidays and make-up days (admin).
func (s *Service) LoadCalendarYear(ctx context.Context, a org.Actor, y calendar.Year) error {
	if err := core.RequireAdmin(a); err != nil {
		return err
	}
	probe := calendar.New(s.Cfg.Loc)
	if err := probe.LoadYear(y); err != nil {
		return &errs.Error{Code: errs.Invalid, Field: "calendar", Detail: err.Error()}
	}
	b, _ := json.Marshal(y)
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.PutSetting(ctx, fmt.Sprintf("calendar:%d", y.Year), string(b), s.Now()); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "load_calendar", fmt.Sprintf("calendar:%d", y.Year), map[string]int{"off": len(y.Off), "work": len(y.Work)})
	})
	if err != nil {
		return err
	}
	return s.Calendar().LoadYear(y)
}

// AuditLog returns a page of the audit log, newest first, before an entry
// id (0 = from the newest); administrators only.
func (s *Service) AuditLog(ctx context.Context, a org.Actor, before int64, limit int) ([]audit.Entry, error) {
	if err := core.RequireAdmin(a); err != nil {
		return nil, err
	}
	es, err := s.St.AuditLog(ctx, before, limit)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(es))
	for _, e := range es {
		ids = append(ids, e.UserID)
	}
	names := s.DisplayNames(ctx, ids...)
	for i := range es {
		es[i].UserName = names[es[i].UserID]
	}
	return es, nil
}

// Users lists the users of a unit: administrators any unit (0 = all),
// everyone else their own unit only.
func (s *Service) Users(ctx context.Context, a org.Actor, unitID int64) ([]org.User, error) {
	if !a.User.Has(org.RoleAdmin) {
		unitID = a.Unit.ID
	}
	return s.St.Users(ctx, unitID)
}

// DisableUser disables a user (admin): they can no longer log in, and all
// their sessions and API tokens end — at once on this node, within the
// token cache's lifetime on others. Nobody disables themself, nor the last
// enabled administrator.
func (s *Service) DisableUser(ctx context.Context, a org.Actor, userID int64) (org.User, error) {
	return s.changeUser(ctx, a, userID, "disable_user", nil, func(u *org.User) error {
		if u.ID == a.User.ID {
			return &errs.Error{Code: errs.Forbidden, Field: "user_id", Detail: "you cannot disable yourself"}
		}
		u.Disabled = true
		return nil
	})
}

// EnableUser enables a disabled user again (admin). Their old sessions and
// tokens stay revoked.
func (s *Service) EnableUser(ctx context.Context, a org.Actor, userID int64) (org.User, error) {
	return s.changeUser(ctx, a, userID, "enable_user", nil, func(u *org.User) error {
		u.Disabled = false
		return nil
	})
}

// SetRoles replaces a user's roles (admin). The last enabled administrator
// keeps the admin role.
func (s *Service) SetRoles(ctx context.Context, a org.Actor, userID int64, roles []string) (org.User, error) {
	if len(roles) == 0 {
		return org.User{}, errs.F(errs.FieldRequired, "roles")
	}
	var clean []string
	for _, r := range roles {
		if !org.ValidRole(r) {
			return org.User{}, &errs.Error{Code: errs.Invalid, Field: "roles", Detail: r}
		}
		if !slices.Contains(clean, r) {
			clean = append(clean, r)
		}
	}
	return s.changeUser(ctx, a, userID, "set_roles", map[string]any{"roles": clean}, func(u *org.User) error {
		u.Roles = clean
		return nil
	})
}

// changeUser applies change to a user in one audited write, refusing any
// change that leaves no enabled administrator.
func (s *Service) changeUser(ctx context.Context, a org.Actor, userID int64, action string, detail any, change func(*org.User) error) (org.User, error) {
	if err := core.RequireAdmin(a); err != nil {
		return org.User{}, err
	}
	var u org.User
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		var err error
		if u, err = tx.User(ctx, userID); err != nil {
			return err
		}
		before := u
		u.Roles = slices.Clone(u.Roles)
		if err := change(&u); err != nil {
			return err
		}
		if before.Has(org.RoleAdmin) && !before.Disabled && (u.Disabled || !u.Has(org.RoleAdmin)) {
			all, err := tx.Users(ctx, 0)
			if err != nil {
				return err
			}
			admins := 0
			for _, o := range all {
				if o.ID != u.ID && o.Has(org.RoleAdmin) && !o.Disabled {
					admins++
				}
			}
			if admins == 0 {
				return &errs.Error{Code: errs.Conflict, Field: "user_id", Detail: "the last administrator stays"}
			}
		}
		if u.Disabled != before.Disabled {
			if err := tx.SetUserDisabled(ctx, u.ID, u.Disabled); err != nil {
				return err
			}
			if u.Disabled {
				if err := tx.DeleteUserTokens(ctx, u.ID); err != nil {
					return err
				}
			}
		}
		if !slices.Equal(u.Roles, before.Roles) {
			if err := tx.SetUserRoles(ctx, u.ID, u.Roles); err != nil {
				return err
			}
		}
		return s.Audit(ctx, tx, a, action, fmt.Sprintf("user:%d", u.ID), detail)
	})
	if err != nil {
		return org.User{}, err
	}
	if s.Forget != nil {
		s.Forget(u.ID)
	}
	return u, nil
}

// DisplayNames returns the display names of users by id ("#id" for an
// unknown one), for pages that show who did what.
func (s *Service) DisplayNames(ctx context.Context, ids ...int64) map[int64]string {
	out := make(map[int64]string, len(ids))
	for _, id := range ids {
		if _, ok := out[id]; ok {
			continue
		}
		if u, err := s.St.User(ctx, id); err == nil {
			out[id] = u.DisplayName
		} else {
			out[id] = "#" + strconv.FormatInt(id, 10)
		}
	}
	return out
}
