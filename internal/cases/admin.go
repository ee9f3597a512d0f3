package cases

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"whistle/internal/auth"
	"whistle/internal/calendar"
	"whistle/internal/errs"
	"whistle/internal/geo"
	"whistle/internal/org"
	"whistle/internal/store"
	"whistle/internal/timelimit"
)

func requireAdmin(a org.Actor) error {
	if !a.User.Has(org.RoleAdmin) {
		return errs.E(errs.Forbidden)
	}
	return nil
}

func (s *Service) audit(tx *store.Tx, ctx context.Context, a org.Actor, action, target string, detail any) error {
	b, _ := json.Marshal(detail)
	return tx.Audit(ctx, store.AuditEntry{At: s.Now(), UserID: a.User.ID, Action: action, Target: target, Detail: string(b)})
}

// CreatePlace adds a place (admin), validating level order and boundary.
func (s *Service) CreatePlace(ctx context.Context, a org.Actor, p org.Place) (org.Place, error) {
	if err := requireAdmin(a); err != nil {
		return p, err
	}
	if strings.TrimSpace(p.Name) == "" {
		return p, errs.F(errs.FieldRequired, "name")
	}
	if strings.TrimSpace(p.Code) == "" {
		return p, errs.F(errs.FieldRequired, "code")
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
	err := s.st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertPlace(ctx, &p); err != nil {
			return err
		}
		return s.audit(tx, ctx, a, "create_place", fmt.Sprintf("place:%d", p.ID), map[string]string{"code": p.Code, "name": p.Name})
	})
	if err != nil {
		return p, err
	}
	return p, s.Reload(ctx)
}

// SetPlaceBoundary replaces a place's GeoJSON boundary (admin).
func (s *Service) SetPlaceBoundary(ctx context.Context, a org.Actor, id int64, boundary string) error {
	if err := requireAdmin(a); err != nil {
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
	err := s.st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.UpdatePlaceBoundary(ctx, id, boundary); err != nil {
			return err
		}
		return s.audit(tx, ctx, a, "set_boundary", fmt.Sprintf("place:%d", id), nil)
	})
	if err != nil {
		return err
	}
	return s.Reload(ctx)
}

var unitKinds = []string{org.KindCityCentre, org.KindDistrictCentre, org.KindStreet, org.KindDepartment, org.KindEnterprise}

// CreateUnit adds a unit (admin).
func (s *Service) CreateUnit(ctx context.Context, a org.Actor, u org.Unit) (org.Unit, error) {
	if err := requireAdmin(a); err != nil {
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
	if _, ok := s.Place(u.PlaceID); !ok {
		return u, errs.F(errs.UnknownPlace, "place_id")
	}
	if _, ok := s.Unit(u.SupervisorID); u.SupervisorID != 0 && !ok {
		return u, errs.F(errs.UnknownUnit, "supervisor_id")
	}
	u.ID = 0
	err := s.st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertUnit(ctx, &u); err != nil {
			return err
		}
		return s.audit(tx, ctx, a, "create_unit", fmt.Sprintf("unit:%d", u.ID), map[string]string{"code": u.Code, "name": u.Name})
	})
	if err != nil {
		return u, err
	}
	return u, s.Reload(ctx)
}

// CreateUser adds a user with a password (admin).
func (s *Service) CreateUser(ctx context.Context, a org.Actor, u org.User, password string, h auth.Hasher) (org.User, error) {
	if err := requireAdmin(a); err != nil {
		return u, err
	}
	if strings.TrimSpace(u.Username) == "" || tooLong(u.Username, 64) {
		return u, errs.F(errs.FieldRequired, "username")
	}
	if strings.TrimSpace(u.DisplayName) == "" {
		return u, errs.F(errs.FieldRequired, "display_name")
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
	hash, err := h.Hash(password)
	if err != nil {
		return u, &errs.Error{Code: errs.Invalid, Field: "password", Detail: err.Error()}
	}
	u.ID = 0
	err = s.st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertUser(ctx, &u, hash, s.Now()); err != nil {
			return err
		}
		return s.audit(tx, ctx, a, "create_user", fmt.Sprintf("user:%d", u.ID), map[string]any{"username": u.Username, "roles": u.Roles})
	})
	return u, err
}

// PutCategory adds or changes a category (admin). Parents must exist.
func (s *Service) PutCategory(ctx context.Context, a org.Actor, c org.Category) (org.Category, error) {
	if err := requireAdmin(a); err != nil {
		return c, err
	}
	if c.Code == "" || strings.ContainsAny(c.Code, " /") || strings.HasPrefix(c.Code, ".") || strings.HasSuffix(c.Code, ".") {
		return c, errs.F(errs.Invalid, "code")
	}
	if strings.TrimSpace(c.NameZH) == "" {
		return c, errs.F(errs.FieldRequired, "name_zh")
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
	err := s.st.Write(ctx, func(tx *store.Tx) error {
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
		return s.audit(tx, ctx, a, "put_category", "category:"+c.Code, c)
	})
	if err != nil {
		return c, err
	}
	return c, s.Reload(ctx)
}

// Categories lists the taxonomy.
func (s *Service) Categories() []org.Category {
	cat := s.cat.Load()
	out := make([]org.Category, 0, len(cat.categories))
	for _, c := range cat.categories {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b org.Category) int { return strings.Compare(a.Code, b.Code) })
	return out
}

// SetPolicy replaces the time-limit policy (admin). It applies to deadlines
// computed from now on; running deadlines keep their values.
func (s *Service) SetPolicy(ctx context.Context, a org.Actor, p timelimit.Policy) error {
	if err := requireAdmin(a); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return &errs.Error{Code: errs.Invalid, Field: "policy", Detail: err.Error()}
	}
	p.Version = s.Policy().Version + 1
	b, _ := json.Marshal(p)
	err := s.st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.PutSetting(ctx, "policy", string(b), s.Now()); err != nil {
			return err
		}
		return s.audit(tx, ctx, a, "set_policy", "policy", map[string]int{"version": p.Version})
	})
	if err != nil {
		return err
	}
	s.policy.Store(&p)
	return nil
}

// LoadCalendarYear stores and loads a year of holidays and make-up days (admin).
func (s *Service) LoadCalendarYear(ctx context.Context, a org.Actor, y calendar.Year) error {
	if err := requireAdmin(a); err != nil {
		return err
	}
	probe := calendar.New(s.cfg.Loc)
	if err := probe.LoadYear(y); err != nil {
		return &errs.Error{Code: errs.Invalid, Field: "calendar", Detail: err.Error()}
	}
	b, _ := json.Marshal(y)
	err := s.st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.PutSetting(ctx, fmt.Sprintf("calendar:%d", y.Year), string(b), s.Now()); err != nil {
			return err
		}
		return s.audit(tx, ctx, a, "load_calendar", fmt.Sprintf("calendar:%d", y.Year), map[string]int{"off": len(y.Off), "work": len(y.Work)})
	})
	if err != nil {
		return err
	}
	return s.cal.LoadYear(y)
}

// ChangePassword sets a new password for the actor after checking the old
// one, and ends all of the user's sessions (API tokens stay).
func (s *Service) ChangePassword(ctx context.Context, a org.Actor, old, new string, h auth.Hasher) error {
	_, hash, err := s.st.UserByName(ctx, a.User.Username)
	if err != nil {
		return err
	}
	if !auth.Verify(hash, old) {
		return errs.F(errs.BadCredentials, "old_password")
	}
	nh, err := h.Hash(new)
	if err != nil {
		return &errs.Error{Code: errs.Invalid, Field: "new_password", Detail: err.Error()}
	}
	err = s.st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.SetPassword(ctx, a.User.ID, nh); err != nil {
			return err
		}
		// Every session of the user ends: a stolen one must not outlive the change.
		if err := tx.DeleteUserSessions(ctx, a.User.ID); err != nil {
			return err
		}
		return s.audit(tx, ctx, a, "change_password", fmt.Sprintf("user:%d", a.User.ID), nil)
	})
	if err == nil {
		s.tokens.Range(func(k, v any) bool {
			if v.(cachedActor).actor.User.ID == a.User.ID {
				s.tokens.Delete(k)
			}
			return true
		})
	}
	return err
}

// Session lengths.
const (
	SessionTTL  = 12 * time.Hour
	APITokenTTL = 365 * 24 * time.Hour
)

// Login checks a password and opens a session; it returns the bearer token.
func (s *Service) Login(ctx context.Context, lim *auth.Limiter, username, password, client string) (string, org.User, error) {
	key := strings.ToLower(username) + "|" + client
	now := s.Now()
	if !lim.Allowed(key, now) {
		return "", org.User{}, errs.E(errs.RateLimited)
	}
	u, hash, err := s.st.UserByName(ctx, username)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return "", org.User{}, err
	}
	known := err == nil && !u.Disabled
	if !known {
		// Hash anyway, at the same cost: the time taken must not tell
		// which usernames exist.
		hash = dummyHash()
	}
	verify := s.verify
	if verify == nil {
		verify = auth.Verify
	}
	if ok := verify(hash, password); !known || !ok {
		lim.Fail(key, now)
		return "", org.User{}, errs.E(errs.BadCredentials)
	}
	lim.Succeed(key)
	tok, th := auth.NewToken()
	err = s.st.Write(ctx, func(tx *store.Tx) error {
		return tx.InsertToken(ctx, th, u.ID, "session", "", now, now.Add(SessionTTL))
	})
	return tok, u, err
}

// dummyHash is verified against for unknown and disabled users, made once
// with the production hasher's parameters.
var dummyHash = sync.OnceValue(func() string {
	h, _ := auth.DefaultHasher().Hash("no such user, no such password")
	return h
})

// CreateAPIToken issues a long-lived token for a system user (admin).
func (s *Service) CreateAPIToken(ctx context.Context, a org.Actor, userID int64, name string) (string, error) {
	if err := requireAdmin(a); err != nil {
		return "", err
	}
	if _, err := s.st.User(ctx, userID); err != nil {
		return "", errs.F(errs.NotFound, "user_id")
	}
	tok, th := auth.NewToken()
	now := s.Now()
	err := s.st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertToken(ctx, th, userID, "api", name, now, now.Add(APITokenTTL)); err != nil {
			return err
		}
		return s.audit(tx, ctx, a, "create_token", fmt.Sprintf("user:%d", userID), map[string]string{"name": name})
	})
	return tok, err
}

// tokenCacheTTL bounds how long a verified token is trusted without asking
// the database again: a session revoked on another node stops working
// within this time (on this node, at once).
const tokenCacheTTL = 20 * time.Second

type cachedActor struct {
	actor org.Actor
	until time.Time
}

// Authenticate resolves a bearer token to its actor. Verified tokens are
// cached briefly: looking them up was a sizeable share of every request.
func (s *Service) Authenticate(ctx context.Context, token string) (org.Actor, error) {
	if token == "" {
		return org.Actor{}, errs.E(errs.Unauthenticated)
	}
	h := auth.HashToken(token)
	now := time.Now()
	if v, ok := s.tokens.Load(h); ok {
		if c := v.(cachedActor); now.Before(c.until) {
			return c.actor, nil
		}
		s.tokens.Delete(h)
	}
	u, _, err := s.st.TokenUser(ctx, h, s.Now())
	if errs.Is(err, errs.NotFound) || (err == nil && u.Disabled) {
		return org.Actor{}, errs.E(errs.Unauthenticated)
	}
	if err != nil { // the database is away: not the user's fault, keep the session
		return org.Actor{}, &errs.Error{Code: errs.Unavailable, Err: err}
	}
	a, err := s.Actor(u)
	if err != nil {
		return a, err
	}
	if s.tokenCount.Add(1)%4096 == 0 { // keep the cache bounded
		s.tokens.Range(func(k, v any) bool {
			if now.After(v.(cachedActor).until) {
				s.tokens.Delete(k)
			}
			return true
		})
	}
	s.tokens.Store(h, cachedActor{actor: a, until: now.Add(tokenCacheTTL)})
	return a, nil
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, token string) error {
	h := auth.HashToken(token)
	s.tokens.Delete(h)
	return s.st.Write(ctx, func(tx *store.Tx) error { return tx.DeleteToken(ctx, h) })
}
