// Package community is 共建共治共享 as a community works it (issue #15):
// the volunteer registry (registration on the portal, approval that makes
// or links an account), volunteer tasks with sign-up, check-in and
// check-out by the server's clock, hours confirmed by staff and points;
// the care list (关爱对象) that only the community's own staff see, every
// view audited; and the one ledger (一本台账) that fills every
// department's template from the same records. The rules live in
// volunteering and ledger.
package community

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"whistle/internal/accounts"
	"whistle/internal/auth"
	"whistle/internal/core"
	"whistle/internal/errs"
	"whistle/internal/ledger"
	"whistle/internal/org"
	"whistle/internal/store"
	"whistle/internal/volunteering"
)

// Service is the community service over the shared core.
type Service struct {
	*core.Core
	// Forget ends the cached sessions of a user whose roles changed (set
	// by services.New to the accounts service's).
	Forget  func(userID int64)
	sources map[ledger.Source]Source
}

// New builds the community service with the ledger sources built here
// (volunteer services, care visits, patrols, projects, surveys,
// deliberations: ledger_sources.go); others plug in with RegisterSource.
func New(c *core.Core) *Service {
	s := &Service{Core: c, sources: map[ledger.Source]Source{}}
	s.RegisterSource(ledger.Volunteer, s.volunteerRows)
	s.RegisterSource(ledger.CareVisits, s.careRows)
	s.RegisterSource(ledger.Patrols, s.patrolRows)
	s.RegisterSource(ledger.Projects, s.projectRows) // ledger_sources.go
	s.RegisterSource(ledger.Surveys, s.surveyRows)
	s.RegisterSource(ledger.Deliberations, s.deliberationRows)
	return s
}

// Communities lists the community units (for the portal's registration).
func (s *Service) Communities() []org.Unit {
	var out []org.Unit
	for _, u := range s.UnitsList() {
		if u.Kind == org.KindCommunity {
			out = append(out, u)
		}
	}
	return out
}

// ownCommunity: the actor is a handler or leader of a community unit;
// its unit is where it works. Anyone else is refused as if nothing were
// there (404): the community's records are not even listed to others.
func ownCommunity(a org.Actor) (int64, error) {
	if !org.CommunityStaff(a) {
		return 0, errs.E(errs.NotFound)
	}
	return a.Unit.ID, nil
}

// exchange is the points rule: the setting volunteer:exchange (JSON), or
// the default.
func (s *Service) exchange(ctx context.Context) volunteering.Exchange {
	v, err := s.St.Setting(ctx, "volunteer:exchange")
	if err != nil || v == "" {
		return volunteering.DefaultExchange
	}
	var e volunteering.Exchange
	if json.Unmarshal([]byte(v), &e) != nil || e.Validate() != nil {
		return volunteering.DefaultExchange
	}
	return e
}

// Exchange returns the points rule in force.
func (s *Service) Exchange(ctx context.Context) volunteering.Exchange { return s.exchange(ctx) }

// SetExchange changes the points rule (administrators).
func (s *Service) SetExchange(ctx context.Context, a org.Actor, e volunteering.Exchange) error {
	if err := core.RequireAdmin(a); err != nil {
		return err
	}
	if err := e.Validate(); err != nil {
		return err
	}
	b, _ := json.Marshal(e)
	return s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.PutSetting(ctx, "volunteer:exchange", string(b), s.Now()); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "volunteer_exchange", "setting:volunteer:exchange", e)
	})
}

// ---- the registry ----

// Register records a resident's registration from the portal: pending
// until the community's staff approve it.
func (s *Service) Register(ctx context.Context, r volunteering.Registration) (volunteering.Volunteer, error) {
	if u, ok := s.Unit(r.UnitID); r.UnitID != 0 && (!ok || u.Kind != org.KindCommunity) {
		return volunteering.Volunteer{}, errs.F(errs.UnknownUnit, "unit_id")
	}
	v, err := volunteering.Register(r, s.Now())
	if err != nil {
		return v, err
	}
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertVolunteer(ctx, &v); err != nil {
			return err
		}
		return s.Audit(ctx, tx, core.Citizen(), "volunteer_register", "volunteer:"+strconv.FormatInt(v.ID, 10), map[string]any{"unit_id": v.UnitID})
	})
	return v, err
}

// Volunteers lists the actor's community's registry, the phones masked;
// the view is audited.
func (s *Service) Volunteers(ctx context.Context, a org.Actor) ([]volunteering.Volunteer, error) {
	unit, err := ownCommunity(a)
	if err != nil {
		return nil, err
	}
	vs, err := s.St.Volunteers(ctx, unit, "")
	if err != nil {
		return nil, err
	}
	for i := range vs {
		vs[i].Phone = org.MaskPhone(vs[i].Phone)
	}
	// The names are personal data: the view is recorded.
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		return s.Audit(ctx, tx, a, "volunteer_list_view", "unit:"+strconv.FormatInt(unit, 10), map[string]int{"volunteers": len(vs)})
	})
	return vs, err
}

// Approval is the staff's decision on a registration: a new account
// (Username, Password), or an existing user linked (LinkUsername: a grid
// worker, a lane chief who is staff); Duty makes the record a 小巷管家 or
// 街巷长.
type Approval struct {
	Username     string `json:"username"`
	Password     string `json:"password"`
	LinkUsername string `json:"link_username"`
	Duty         string `json:"duty"`
}

// Approve approves a pending registration of the actor's community: it
// creates the volunteer's account (role volunteer, in the community unit)
// or links an existing user (who gains the volunteer role), in one
// transaction with the record and the audit entry.
func (s *Service) Approve(ctx context.Context, a org.Actor, id int64, ap Approval, h auth.Hasher) (volunteering.Volunteer, error) {
	unit, err := ownCommunity(a)
	if err != nil {
		return volunteering.Volunteer{}, err
	}
	if ap.Duty == "" {
		ap.Duty = volunteering.DutyVolunteer
	}
	if !slices.Contains(volunteering.Duties, ap.Duty) {
		return volunteering.Volunteer{}, errs.F(errs.Invalid, "duty")
	}
	var hash string
	if ap.LinkUsername == "" {
		ap.Username = strings.TrimSpace(ap.Username)
		if ap.Username == "" || core.TooLong(ap.Username, 64) {
			return volunteering.Volunteer{}, errs.F(errs.FieldRequired, "username")
		}
		if hash, err = accounts.HashPassword(ctx, h, "password", ap.Password); err != nil {
			return volunteering.Volunteer{}, err
		}
	}
	var v volunteering.Volunteer
	var linked int64
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		var err error
		if v, err = tx.Volunteer(ctx, id); err != nil || v.UnitID != unit {
			return errs.E(errs.NotFound)
		}
		if v.State != volunteering.Pending {
			return errs.D(errs.Conflict, "already decided")
		}
		if ap.LinkUsername != "" {
			u, _, err := tx.UserByName(ctx, ap.LinkUsername)
			if err != nil || u.Disabled {
				return errs.F(errs.NotFound, "link_username")
			}
			if !u.Has(org.RoleVolunteer) {
				if err := tx.SetUserRoles(ctx, u.ID, append(slices.Clone(u.Roles), org.RoleVolunteer)); err != nil {
					return err
				}
			}
			v.UserID, linked = u.ID, u.ID
		} else {
			u := org.User{Username: ap.Username, DisplayName: v.Name, UnitID: unit, Roles: []string{org.RoleVolunteer}}
			if err := tx.InsertUser(ctx, &u, hash, s.Now()); err != nil {
				return err
			}
			v.UserID = u.ID
		}
		v.State, v.Duty, v.ApprovedBy, v.ApprovedAt = volunteering.Active, ap.Duty, a.User.ID, s.Now()
		if err := tx.UpdateVolunteer(ctx, v); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "volunteer_approve", "volunteer:"+strconv.FormatInt(v.ID, 10), map[string]any{"user_id": v.UserID, "duty": v.Duty, "linked": linked != 0})
	})
	if err == nil && linked != 0 && s.Forget != nil {
		s.Forget(linked)
	}
	v.Phone = org.MaskPhone(v.Phone)
	return v, err
}

// Reject refuses a pending registration.
func (s *Service) Reject(ctx context.Context, a org.Actor, id int64) error {
	unit, err := ownCommunity(a)
	if err != nil {
		return err
	}
	return s.St.Write(ctx, func(tx *store.Tx) error {
		v, err := tx.Volunteer(ctx, id)
		if err != nil || v.UnitID != unit {
			return errs.E(errs.NotFound)
		}
		if v.State != volunteering.Pending {
			return errs.D(errs.Conflict, "already decided")
		}
		v.State, v.ApprovedBy, v.ApprovedAt = volunteering.Rejected, a.User.ID, s.Now()
		if err := tx.UpdateVolunteer(ctx, v); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "volunteer_reject", "volunteer:"+strconv.FormatInt(v.ID, 10), nil)
	})
}

// Leave records that an active volunteer of the actor's community has
// left the registry (at their request, or the community's decision): the
// record keeps its hours and points for the ledger; the account the
// community created for them is disabled and its sessions and tokens end
// (a staff member's linked account only loses the volunteer role). The
// retention job erases the name and phone retention_days later.
func (s *Service) Leave(ctx context.Context, a org.Actor, id int64) error {
	unit, err := ownCommunity(a)
	if err != nil {
		return err
	}
	var user int64
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		user = 0
		v, err := tx.Volunteer(ctx, id)
		if err != nil || v.UnitID != unit {
			return errs.E(errs.NotFound)
		}
		if err := volunteering.MayLeave(v); err != nil {
			return err
		}
		v.State, v.LeftAt = volunteering.Left, s.Now()
		if err := tx.UpdateVolunteer(ctx, v); err != nil {
			return err
		}
		disabled := false
		if v.UserID != 0 {
			u, err := tx.User(ctx, v.UserID)
			if err != nil {
				return err
			}
			if roles := slices.DeleteFunc(slices.Clone(u.Roles), func(r string) bool { return r == org.RoleVolunteer }); len(roles) > 0 {
				err = tx.SetUserRoles(ctx, u.ID, roles)
			} else {
				disabled = true
				if err = tx.SetUserDisabled(ctx, u.ID, true); err == nil {
					if err = tx.DeleteUserSessions(ctx, u.ID); err == nil {
						err = tx.DeleteUserTokens(ctx, u.ID)
					}
				}
			}
			if err != nil {
				return err
			}
			user = u.ID
		}
		return s.Audit(ctx, tx, a, "volunteer_leave", "volunteer:"+strconv.FormatInt(v.ID, 10), map[string]any{"user_id": v.UserID, "account_disabled": disabled})
	})
	if err == nil && user != 0 && s.Forget != nil {
		s.Forget(user)
	}
	return err
}

// ---- tasks ----

// PublishTask publishes a task of the actor's community.
func (s *Service) PublishTask(ctx context.Context, a org.Actor, t volunteering.Task) (volunteering.Task, error) {
	unit, err := ownCommunity(a)
	if err != nil {
		return t, err
	}
	t.ID, t.UnitID, t.CreatedBy, t.CreatedAt, t.Taken = 0, unit, a.User.ID, s.Now(), 0
	if err := volunteering.ValidateTask(t); err != nil {
		return t, err
	}
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertVolunteerTask(ctx, &t); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "volunteer_task", "vtask:"+strconv.FormatInt(t.ID, 10), map[string]any{"kind": t.Kind, "slots": t.Slots})
	})
	return t, err
}

// Tasks lists the tasks not yet over of the actor's community (staff) or
// of the volunteer's community.
func (s *Service) Tasks(ctx context.Context, a org.Actor) ([]volunteering.Task, error) {
	unit, err := ownCommunity(a)
	if err != nil {
		v, verr := s.myRecord(ctx, a)
		if verr != nil {
			return nil, verr
		}
		unit = v.UnitID
	}
	ts, err := s.St.VolunteerTasks(ctx, unit, s.Now(), 200)
	for i := range ts {
		ts[i].StartsAt, ts[i].EndsAt = ts[i].StartsAt.In(s.Cfg.Loc), ts[i].EndsAt.In(s.Cfg.Loc)
	}
	return ts, err
}

// TaskDetail is a task with who signed up (for its community's staff).
type TaskDetail struct {
	Task    volunteering.Task  `json:"task"`
	Signups []store.TaskSignup `json:"signups"`
}

// Task returns a task of the actor's community with its sign-ups.
func (s *Service) Task(ctx context.Context, a org.Actor, id int64) (TaskDetail, error) {
	unit, err := ownCommunity(a)
	if err != nil {
		return TaskDetail{}, err
	}
	t, err := s.St.VolunteerTask(ctx, id)
	if err != nil || t.UnitID != unit {
		return TaskDetail{}, errs.E(errs.NotFound)
	}
	su, err := s.St.TaskSignups(ctx, id)
	t.StartsAt, t.EndsAt = t.StartsAt.In(s.Cfg.Loc), t.EndsAt.In(s.Cfg.Loc)
	for i := range su {
		su[i].CheckIn, su[i].CheckOut = inLoc(su[i].CheckIn, s.Cfg.Loc), inLoc(su[i].CheckOut, s.Cfg.Loc)
	}
	return TaskDetail{Task: t, Signups: su}, err
}

func inLoc(t time.Time, loc *time.Location) time.Time {
	if t.IsZero() {
		return t
	}
	return t.In(loc)
}

// myRecord is the active volunteer record of the actor's account; anyone
// without one is refused as if the volunteer pages held nothing (404).
func (s *Service) myRecord(ctx context.Context, a org.Actor) (volunteering.Volunteer, error) {
	if !a.User.Has(org.RoleVolunteer) {
		return volunteering.Volunteer{}, errs.E(errs.NotFound)
	}
	return s.St.VolunteerOfUser(ctx, a.User.ID)
}

// SignUp signs the actor's volunteer record up for a task of its community.
func (s *Service) SignUp(ctx context.Context, a org.Actor, taskID int64) error {
	v, err := s.myRecord(ctx, a)
	if err != nil {
		return err
	}
	return s.St.Write(ctx, func(tx *store.Tx) error {
		t, err := tx.VolunteerTask(ctx, taskID)
		if err != nil || t.UnitID != v.UnitID {
			return errs.E(errs.NotFound)
		}
		if err := volunteering.MaySignUp(t, s.Now()); err != nil {
			return err
		}
		if err := tx.InsertSignup(ctx, volunteering.Signup{TaskID: t.ID, VolunteerID: v.ID, SignedAt: s.Now()}); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "volunteer_signup", "vtask:"+strconv.FormatInt(t.ID, 10), nil)
	})
}

// CheckIn records the volunteer's arrival at a task (the server's clock).
func (s *Service) CheckIn(ctx context.Context, a org.Actor, taskID int64) error {
	return s.mySignup(ctx, a, taskID, "volunteer_check_in", func(t volunteering.Task, su *volunteering.Signup) error {
		return volunteering.CheckIn(t, su, s.Now())
	})
}

// CheckOut records the volunteer's departure and the minutes worked.
func (s *Service) CheckOut(ctx context.Context, a org.Actor, taskID int64) error {
	return s.mySignup(ctx, a, taskID, "volunteer_check_out", func(_ volunteering.Task, su *volunteering.Signup) error {
		return volunteering.CheckOut(su, s.Now())
	})
}

func (s *Service) mySignup(ctx context.Context, a org.Actor, taskID int64, action string, change func(volunteering.Task, *volunteering.Signup) error) error {
	v, err := s.myRecord(ctx, a)
	if err != nil {
		return err
	}
	return s.St.Write(ctx, func(tx *store.Tx) error {
		t, err := tx.VolunteerTask(ctx, taskID)
		if err != nil || t.UnitID != v.UnitID {
			return errs.E(errs.NotFound)
		}
		su, err := tx.Signup(ctx, taskID, v.ID)
		if err != nil {
			return errs.E(errs.NotFound)
		}
		if err := change(t, &su); err != nil {
			return err
		}
		if err := tx.UpdateSignup(ctx, su); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, action, "vtask:"+strconv.FormatInt(t.ID, 10), map[string]any{"minutes": su.Minutes})
	})
}

// ConfirmHours confirms a volunteer's minutes on a task of the actor's
// community (at most what the clock recorded) and credits the points by
// the exchange in force.
func (s *Service) ConfirmHours(ctx context.Context, a org.Actor, taskID, volunteerID int64, minutes int) (volunteering.Signup, error) {
	unit, err := ownCommunity(a)
	if err != nil {
		return volunteering.Signup{}, err
	}
	ex := s.exchange(ctx)
	var su volunteering.Signup
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		t, err := tx.VolunteerTask(ctx, taskID)
		if err != nil || t.UnitID != unit {
			return errs.E(errs.NotFound)
		}
		if su, err = tx.Signup(ctx, taskID, volunteerID); err != nil {
			return errs.E(errs.NotFound)
		}
		if minutes < 0 {
			minutes = su.Minutes
		}
		if err := volunteering.Confirm(&su, minutes, a.User.ID, s.Now(), ex); err != nil {
			return err
		}
		if err := tx.UpdateSignup(ctx, su); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "volunteer_confirm", "vtask:"+strconv.FormatInt(t.ID, 10), map[string]any{"volunteer_id": volunteerID, "minutes": su.Minutes, "points": su.Points})
	})
	return su, err
}

// MyTask is one of the volunteer's sign-ups with its task.
type MyTask struct {
	Task   volunteering.Task   `json:"task"`
	Signup volunteering.Signup `json:"signup"`
}

// Me is what a volunteer sees of itself: its record, its sign-ups, the
// open tasks of its community, its confirmed hours and points.
type Me struct {
	Volunteer volunteering.Volunteer `json:"volunteer"`
	Mine      []MyTask               `json:"mine"`
	Open      []volunteering.Task    `json:"open"` // tasks not yet over it has not signed up for
	Minutes   int                    `json:"minutes"`
	Points    int                    `json:"points"`
	Exchange  volunteering.Exchange  `json:"exchange"`
}

// Hours is the confirmed time in hours.
func (m Me) Hours() float64 { return volunteering.Hours(m.Minutes) }

// MyPage returns the volunteer's own page.
func (s *Service) MyPage(ctx context.Context, a org.Actor) (Me, error) {
	v, err := s.myRecord(ctx, a)
	if err != nil {
		return Me{}, err
	}
	me := Me{Volunteer: v, Exchange: s.exchange(ctx)}
	sus, err := s.St.VolunteerSignups(ctx, v.ID, 100)
	if err != nil {
		return me, err
	}
	signed := map[int64]bool{}
	for _, su := range sus {
		t, err := s.St.VolunteerTask(ctx, su.TaskID)
		if err != nil {
			return me, err
		}
		t.StartsAt, t.EndsAt = t.StartsAt.In(s.Cfg.Loc), t.EndsAt.In(s.Cfg.Loc)
		su.CheckIn, su.CheckOut = inLoc(su.CheckIn, s.Cfg.Loc), inLoc(su.CheckOut, s.Cfg.Loc)
		signed[t.ID] = true
		me.Mine = append(me.Mine, MyTask{Task: t, Signup: su})
	}
	open, err := s.St.VolunteerTasks(ctx, v.UnitID, s.Now(), 100)
	if err != nil {
		return me, err
	}
	for _, t := range open {
		if !signed[t.ID] {
			t.StartsAt, t.EndsAt = t.StartsAt.In(s.Cfg.Loc), t.EndsAt.In(s.Cfg.Loc)
			me.Open = append(me.Open, t)
		}
	}
	me.Minutes, me.Points, err = s.St.VolunteerBalance(ctx, v.ID)
	me.Volunteer.Phone = org.MaskPhone(v.Phone)
	return me, err
}
