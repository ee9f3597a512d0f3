// Package casework is the closed loop as the people who work it see it:
// taking requests (agents, the citizens' portal, grid workers), one-submit
// create-and-dispatch, every lifecycle action, the case views and the
// citizen's timeline. Each method is one user action that validates its
// input, applies the lifecycle rules to cases loaded within the actor's
// scope, and writes the new state, its event and its timers in one
// transaction.
package casework

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"whistle/internal/audit"
	"whistle/internal/auth"
	"whistle/internal/core"
	"whistle/internal/dispatch"
	"whistle/internal/errs"
	"whistle/internal/knowledge"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/replyquality"
	"whistle/internal/store"
	"whistle/internal/timelimit"
)

// Service runs the closed loop.
type Service struct {
	*core.Core
	dispatch *dispatch.Service
	// phoneSearches counts each user's searches by phone (SearchByPhone),
	// shared by the API and the pages.
	phoneSearches *auth.Limiter
	// replies is the reply check's learned corpus (replycheck.go).
	replies replyCorpus
}

// New builds the case-work service over the core and the dispatch aids it
// consults at intake (duty list, repeats, knowledge articles, classifier).
func New(c *core.Core, d *dispatch.Service) *Service {
	return &Service{Core: c, dispatch: d, phoneSearches: newPhoneLimiter()}
}

// NormalizePhone checks and normalises a Chinese phone number (see core).
func NormalizePhone(p string) (string, error) { return core.NormalizePhone(p) }

// NewCase is the input to Create.
type NewCase struct {
	Channel      string   `json:"channel"`
	Type         string   `json:"type"`
	Category     string   `json:"category"`
	Urgency      string   `json:"urgency,omitempty"`
	Title        string   `json:"title,omitempty"`
	Description  string   `json:"description"`
	Address      string   `json:"address,omitempty"`
	Lat          *float64 `json:"lat,omitempty"`
	Lon          *float64 `json:"lon,omitempty"`
	PlaceID      int64    `json:"place_id,omitempty"` // a street, community or grid chosen by the agent
	CitizenName  string   `json:"citizen_name,omitempty"`
	CitizenPhone string   `json:"citizen_phone,omitempty"`
	Confidential bool     `json:"confidential,omitempty"`
	Anonymous    bool     `json:"anonymous,omitempty"`
	Attachments  []int64  `json:"attachments,omitempty"`
	RelatedTo    []int64  `json:"related_to,omitempty"`
}

// Build validates in and makes the case it describes, without storing it
// (grid findings store it with their own first steps). Every field is
// checked; the error names the first problem and carries all of them
// (errs.All), in the order the fields are checked.
func (s *Service) Build(in NewCase) (lifecycle.Case, error) {
	c, problems, err := s.build(in)
	if err != nil {
		return c, err
	}
	return c, errs.All(problems...)
}

// build makes the case in describes and lists its problems, one per field;
// err is an error that is not about a field (an outage).
func (s *Service) build(in NewCase) (c lifecycle.Case, problems []*errs.Error, err error) {
	bad := func(e *errs.Error) { problems = append(problems, e) }
	if !slices.Contains(lifecycle.Channels, in.Channel) {
		bad(errs.F(errs.InvalidChannel, "channel"))
	}
	if !timelimit.ValidType(in.Type) {
		bad(errs.F(errs.InvalidType, "type"))
	}
	urg := in.Urgency
	if in.Category == "" {
		bad(errs.F(errs.FieldRequired, "category"))
	} else if cat, ok := s.Category(in.Category); !ok || !cat.Leaf || !cat.Active {
		bad(errs.F(errs.UnknownCategory, "category"))
	} else if urg == "" {
		urg = cat.Urgency
	}
	if urg == "" {
		urg = timelimit.UrgencyGeneral
	}
	if !timelimit.ValidUrgency(urg) {
		bad(errs.F(errs.InvalidUrgency, "urgency"))
	}
	desc := lifecycle.Trim(in.Description)
	if desc == "" {
		bad(errs.F(errs.FieldRequired, "description"))
	}
	if core.TooLong(desc, s.Cfg.MaxDescription) {
		bad(&errs.Error{Code: errs.FieldTooLong, Field: "description", Detail: fmt.Sprintf("max %d characters", s.Cfg.MaxDescription)})
	}
	title := lifecycle.Trim(in.Title)
	if title == "" {
		r := []rune(desc)
		title = string(r[:min(len(r), 30)])
	}
	if core.TooLong(title, s.Cfg.MaxTitle) {
		bad(&errs.Error{Code: errs.FieldTooLong, Field: "title", Detail: fmt.Sprintf("max %d characters", s.Cfg.MaxTitle)})
	}
	if core.TooLong(in.Address, 200) {
		bad(&errs.Error{Code: errs.FieldTooLong, Field: "address", Detail: "max 200 characters"})
	}
	if core.TooLong(in.CitizenName, 50) {
		bad(&errs.Error{Code: errs.FieldTooLong, Field: "citizen_name", Detail: "max 50 characters"})
	}
	c = lifecycle.Case{Channel: in.Channel, Type: in.Type, Category: in.Category, Urgency: urg, Title: title, Description: desc}
	c.Citizen = lifecycle.Citizen{Name: lifecycle.Trim(in.CitizenName), Confidential: in.Confidential, Anonymous: in.Anonymous}
	if strings.TrimSpace(in.CitizenPhone) != "" {
		if p, err := NormalizePhone(in.CitizenPhone); err != nil {
			bad(errs.F(errs.InvalidPhone, "citizen_phone"))
		} else {
			c.Citizen.Phone, c.Citizen.PhoneHash = p, s.PhoneHash(p)
		}
	} else if !in.Anonymous {
		bad(errs.F(errs.FieldRequired, "citizen_phone"))
	}
	c.Location.Address = lifecycle.Trim(in.Address)
	if (in.Lat == nil) != (in.Lon == nil) {
		bad(errs.F(errs.InvalidLocation, "lat"))
	} else if in.Lat != nil {
		lat, lon := *in.Lat, *in.Lon
		if lat < -90 || lat > 90 || lon < -180 || lon > 180 || lat != lat || lon != lon {
			bad(errs.F(errs.InvalidLocation, "lat"))
		} else {
			c.Location.Lat, c.Location.Lon = &lat, &lon
			ch, placed, err := s.PlacePoint(lat, lon)
			var e *errs.Error
			switch {
			case errors.As(err, &e) && e.Field != "":
				bad(e)
			case err != nil:
				return c, problems, err
			case placed:
				c.Location.DistrictID, c.Location.StreetID, c.Location.CommunityID, c.Location.GridID = ch[0], ch[1], ch[2], ch[3]
			}
		}
	}
	if in.PlaceID != 0 {
		ch, ok := s.Chain(in.PlaceID)
		if !ok {
			bad(errs.F(errs.UnknownPlace, "place_id"))
		} else if c.Location.DistrictID == 0 {
			c.Location.DistrictID, c.Location.StreetID, c.Location.CommunityID, c.Location.GridID = ch[0], ch[1], ch[2], ch[3]
		}
		if c.Location.Lat == nil {
			// Placed by name only: an approximate point, so that maps
			// and the duplicate check see the request.
			if l, ok := s.ApproxLocation(in.PlaceID, in.Address); ok {
				l.Address = c.Location.Address
				c.Location = l
			}
		}
	}
	return c, problems, nil
}

var errRaced = errors.New("idempotency key raced")

// stepError is a follow-up step of a new case that the rules refused; the
// whole write was rolled back.
type stepError struct{ err error }

func (e *stepError) Error() string { return e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

// Create validates and stores a new request. With an idempotency key, a
// retry returns the case the first call created (replayed = true) and a
// reuse of the key for another body fails with idempotency_mismatch.
func (s *Service) Create(ctx context.Context, a org.Actor, in NewCase, idemKey string) (c *lifecycle.Case, replayed bool, err error) {
	return s.create(ctx, a, in, idemKey, nil)
}

// followUp decides, before the write and off the single writer, the
// actions that are taken on a new case in the same transaction that
// creates it (acceptance and dispatch of a confident online submission, an
// agent's dispatch with the call), and who takes them.
type followUp func(ctx context.Context, c *lifecycle.Case) (org.Actor, []ActInput, error)

func (s *Service) create(ctx context.Context, a org.Actor, in NewCase, idemKey string, follow followUp) (c *lifecycle.Case, replayed bool, err error) {
	if !a.User.Has(org.RoleAgent, org.RoleDispatcher, org.RoleGridWorker, "citizen") && !a.IsSystem() {
		return nil, false, errs.E(errs.Forbidden)
	}
	if len(idemKey) > 200 {
		return nil, false, errs.F(errs.FieldTooLong, "Idempotency-Key")
	}
	nc, err := s.Build(in)
	if err != nil {
		return nil, false, err
	}
	if len(in.RelatedTo) > core.MaxLinks || len(in.Attachments) > core.MaxLinks {
		return nil, false, &errs.Error{Code: errs.Invalid, Field: "related_to", Detail: fmt.Sprintf("at most %d related cases and %d attachments", core.MaxLinks, core.MaxLinks)}
	}
	for _, id := range in.RelatedTo {
		if id <= 0 {
			return nil, false, errs.F(errs.NotFound, "related_to")
		}
	}
	principal := fmt.Sprintf("user:%d", a.User.ID)
	if a.User.ID == 0 {
		principal = "public:" + nc.Citizen.PhoneHash
	}
	if err := s.dispatch.SuggestUnit(ctx, &nc); err != nil {
		return nil, false, err
	}
	var followBy org.Actor
	var followSteps []step
	if follow != nil {
		by, ins, err := follow(ctx, &nc)
		if err != nil {
			return nil, false, err
		}
		for _, fi := range ins {
			st, err := s.prepare(ctx, fi)
			if err != nil {
				return nil, false, err
			}
			followSteps = append(followSteps, st)
		}
		followBy = by
	}
	body, err := s.idemBody(ctx, in) // photos by content, not by id
	if err != nil {
		return nil, false, err
	}
	sum := sha256.Sum256(body)
	reqHash := hex.EncodeToString(sum[:])
	// The case and its first event are made and encoded here, on the
	// caller's goroutine; the single writer only numbers and stores them.
	env := s.Env()
	made := nc
	firstEv := lifecycle.Created(&made, a, env)
	firstEv.Attachments = in.Attachments
	newDoc, err := store.EncodeNewCase(&made)
	if err != nil {
		return nil, false, err
	}
	newDoc = s.St.SealNewCase(newDoc)
	evDoc, err := store.EncodeEvent(&firstEv)
	if err != nil {
		return nil, false, err
	}
	if idemKey != "" {
		// A retried request is answered from the read side, without a
		// turn of the single writer. A key recorded after this look (the
		// same request sent twice at once) makes the write fail with
		// errRaced, and the second attempt looks again in its transaction.
		if out, found, err := s.replay(ctx, s.St.Queries, principal, idemKey, reqHash); found || err != nil {
			return lifecycle.ViewFor(a, out), found, err
		}
	}
	for attempt := 0; attempt < 2; attempt++ {
		var out *lifecycle.Case
		replayed = false
		err = s.St.Write(ctx, func(tx *store.Tx) error {
			if idemKey != "" && attempt > 0 {
				var err error
				out, replayed, err = s.replay(ctx, tx.Queries, principal, idemKey, reqHash)
				if replayed || err != nil {
					return err
				}
			}
			c := made
			// Repeat counts (重复诉求) are read in the write's own
			// transaction: on SQLite the single writer's connection keeps
			// its page cache warm across commits, where a read connection
			// starts cold after every commit (the counts on the read pool
			// were about a tenth of intake's CPU), and the requests of one
			// group commit count each other. The document gets them spliced
			// in (InsertNumberedCase).
			if err := s.dispatch.MarkRepeats(ctx, tx.Queries, &c, env.Now); err != nil {
				return err
			}
			ev := firstEv
			if err := tx.InsertNumberedCase(ctx, &c, newDoc, env.Now.In(s.Cfg.Loc).Format("20060102")); err != nil {
				return err
			}
			if err := dispatch.SaveRepeatFlags(ctx, tx, &c); err != nil {
				return err
			}
			ev.CaseID = c.ID
			if err := tx.AppendEncodedEvent(ctx, &ev, evDoc); err != nil {
				return err
			}
			for _, st := range followSteps {
				if _, err := s.applyTx(ctx, tx, &c, st, followBy, org.ScopeOf(followBy), env); err != nil {
					return &stepError{err}
				}
			}
			if err := tx.InsertTimers(ctx, c.ID, lifecycle.Timers(&c)); err != nil {
				return err
			}
			if len(in.Attachments) > 0 {
				if err := tx.AttachToCase(ctx, c.ID, a.User.ID, in.Attachments); err != nil {
					return err
				}
			}
			for _, rel := range in.RelatedTo {
				if _, err := tx.Case(ctx, rel, org.ScopeOf(a)); err != nil {
					return &errs.Error{Code: errs.NotFound, Field: "related_to", Detail: fmt.Sprint(rel)}
				}
				if err := tx.LinkCases(ctx, c.ID, rel, "related"); err != nil {
					return err
				}
			}
			if idemKey != "" {
				ok, err := tx.PutIdempotent(ctx, principal, idemKey, reqHash, c.ID, env.Now)
				if err != nil {
					return err
				}
				if !ok {
					return errRaced
				}
			}
			out = &c
			return nil
		})
		if errors.Is(err, errRaced) {
			continue // another request with the same key won: read its result
		}
		if err != nil {
			return nil, false, err
		}
		return lifecycle.ViewFor(a, out), replayed, nil
	}
	return nil, false, errs.E(errs.Conflict)
}

// replay finds the case an idempotency key already made: found is false
// when the key is new; the same key with another request is refused.
func (s *Service) replay(ctx context.Context, q store.Queries, principal, key, reqHash string) (c *lifecycle.Case, found bool, err error) {
	id, h, found, err := q.Idempotent(ctx, principal, key)
	if err != nil || !found {
		return nil, false, err
	}
	if subtle.ConstantTimeCompare([]byte(h), []byte(reqHash)) != 1 {
		return nil, false, errs.E(errs.IdempotencyMismatch)
	}
	c, err = q.Case(ctx, id, org.Scope{All: true})
	return c, err == nil, err
}

// ActInput is the input to Act: an action and its arguments as they come
// from a client (units by id).
type ActInput struct {
	Action       lifecycle.Action `json:"-"`
	Note         string           `json:"note,omitempty"`
	UnitID       int64            `json:"unit_id,omitempty"`
	CoUnitIDs    []int64          `json:"co_unit_ids,omitempty"`
	Result       string           `json:"result,omitempty"`
	Reason       string           `json:"reason,omitempty"`
	ReplyBy      time.Time        `json:"reply_by,omitzero"`
	Resolved     *bool            `json:"resolved,omitempty"`
	Satisfaction string           `json:"satisfaction,omitempty"`
	Reopen       bool             `json:"reopen,omitempty"`
	Means        string           `json:"means,omitempty"`
	ParentID     int64            `json:"parent_id,omitempty"`
	Article      string           `json:"article,omitempty"`
	Attachments  []int64          `json:"attachments,omitempty"`
}

func (s *Service) command(in ActInput) (lifecycle.Command, error) {
	if len(in.Attachments) > core.MaxLinks || len(in.CoUnitIDs) > core.MaxLinks {
		return lifecycle.Command{}, &errs.Error{Code: errs.Invalid, Field: "attachments", Detail: fmt.Sprintf("at most %d attachments and %d co-handlers", core.MaxLinks, core.MaxLinks)}
	}
	cmd := lifecycle.Command{Action: in.Action, Note: lifecycle.Trim(in.Note), Result: in.Result, Reason: lifecycle.Trim(in.Reason),
		ReplyBy: in.ReplyBy.Truncate(time.Millisecond), Resolved: in.Resolved, Satisfaction: in.Satisfaction, Reopen: in.Reopen,
		Means: in.Means, ParentID: in.ParentID, Article: in.Article, Attachments: in.Attachments}
	if core.TooLong(cmd.Note, s.Cfg.MaxNote) {
		return cmd, &errs.Error{Code: errs.FieldTooLong, Field: "note", Detail: fmt.Sprintf("max %d characters", s.Cfg.MaxNote)}
	}
	if core.TooLong(cmd.Reason, 500) {
		return cmd, &errs.Error{Code: errs.FieldTooLong, Field: "reason", Detail: "max 500 characters"}
	}
	if in.UnitID != 0 {
		u, ok := s.Unit(in.UnitID)
		if !ok {
			return cmd, errs.F(errs.UnknownUnit, "unit_id")
		}
		cmd.Unit = &u
	}
	for _, id := range in.CoUnitIDs {
		u, ok := s.Unit(id)
		if !ok {
			return cmd, errs.F(errs.UnknownUnit, "co_unit_ids")
		}
		cmd.CoUnits = append(cmd.CoUnits, u)
	}
	return cmd, nil
}

// Act applies an action to a case the actor can see. Cases outside the
// actor's scope are not found.
func (s *Service) Act(ctx context.Context, a org.Actor, id int64, in ActInput) (*lifecycle.Case, *lifecycle.Event, error) {
	c, ev, err := s.act(ctx, a, org.ScopeOf(a), id, in)
	return lifecycle.ViewFor(a, c), ev, err
}

func (s *Service) act(ctx context.Context, a org.Actor, scope org.Scope, id int64, in ActInput) (*lifecycle.Case, *lifecycle.Event, error) {
	// Scope before fields: a case outside the scope is not found, whatever
	// the input, so a refusal never tells that the case exists.
	seen, err := s.St.Case(ctx, id, scope)
	if err != nil {
		return nil, nil, err
	}
	st, err := s.prepare(ctx, in)
	if err != nil {
		return nil, nil, err
	}
	if err := s.prepareReplyCheck(ctx, a, seen, &st); err != nil {
		return nil, nil, err
	}
	var outC *lifecycle.Case
	var outE *lifecycle.Event
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		c, err := tx.Case(ctx, id, scope)
		if err != nil {
			return err
		}
		ev, err := s.applyTx(ctx, tx, c, st, a, scope, s.Env())
		if err != nil {
			return err
		}
		if err := tx.SetTimers(ctx, c.ID, lifecycle.Timers(c)); err != nil {
			return err
		}
		outC, outE = c, &ev
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return outC, outE, nil
}

// step is an action checked and resolved before the write: its command
// and, for a direct answer, the knowledge article it cites.
type step struct {
	cmd   lifecycle.Command
	art   *knowledge.Article
	reply *store.ReplyCheck // a reply's verdict, scored before the write (replycheck.go)
}

// prepare checks an action's input outside the write.
func (s *Service) prepare(ctx context.Context, in ActInput) (step, error) {
	if _, ok := lifecycle.Lookup(in.Action); !ok || in.Action == lifecycle.ActDueSoon || in.Action == lifecycle.ActOverdue {
		return step{}, errs.D(errs.Invalid, "unknown action %q", in.Action)
	}
	art, ref, err := s.dispatch.AnswerArticle(ctx, in.Action, in.Article)
	if err != nil {
		return step{}, err
	}
	in.Article = ref
	cmd, err := s.command(in)
	if err != nil {
		return step{}, err
	}
	return step{cmd: cmd, art: art}, nil
}

// applyTx applies one step to c inside a write: the rules, then the case,
// its attachments, its event and a merge's link are saved. The caller sets
// the timers once its steps are done.
func (s *Service) applyTx(ctx context.Context, tx *store.Tx, c *lifecycle.Case, st step, a org.Actor, scope org.Scope, env lifecycle.Env) (lifecycle.Event, error) {
	cmd := st.cmd
	if cmd.Action == lifecycle.ActMerge && cmd.ParentID != 0 && cmd.ParentID != c.ID {
		p, err := tx.Case(ctx, cmd.ParentID, scope)
		if err != nil {
			return lifecycle.Event{}, &errs.Error{Code: errs.NotFound, Field: "parent_id"}
		}
		if !p.State.Open() || p.MergedInto != 0 {
			return lifecycle.Event{}, errs.E(errs.MergeClosed)
		}
	}
	prev := *c
	ev, err := lifecycle.Apply(c, cmd, a, env)
	if err != nil {
		return ev, err
	}
	if st.art != nil {
		ev.Data["article_version"], ev.Data["article_title"] = st.art.Version, st.art.Title
	}
	if err := keepReplyCheck(ctx, tx, c, st, &ev); err != nil {
		return ev, err
	}
	if err := tx.UpdateCase(ctx, c, &prev); err != nil {
		return ev, err
	}
	if len(cmd.Attachments) > 0 {
		if err := tx.AttachToCase(ctx, c.ID, a.User.ID, cmd.Attachments); err != nil {
			return ev, err
		}
	}
	if err := tx.AppendEvent(ctx, &ev); err != nil {
		return ev, err
	}
	if cmd.Action == lifecycle.ActMerge {
		if err := tx.LinkCases(ctx, c.ID, cmd.ParentID, "duplicate"); err != nil {
			return ev, err
		}
	}
	return ev, nil
}

// Get returns a case the actor can see.
// The case is the actor's view of it (lifecycle.ViewFor): personal data
// hidden, withheld or masked.
func (s *Service) Get(ctx context.Context, a org.Actor, id int64) (*lifecycle.Case, error) {
	c, err := s.load(ctx, a, id)
	if err != nil {
		return nil, err
	}
	return lifecycle.ViewFor(a, c), nil
}

// InScope tells whether the actor can see a case: nil, or not found. The
// front ends call it before they read a request's body, so a case outside
// the scope answers not found whatever was sent.
func (s *Service) InScope(ctx context.Context, a org.Actor, id int64) error {
	_, err := s.load(ctx, a, id)
	return err
}

// load returns a case the actor can see, as stored (for the service's own
// checks; never handed to a front end).
func (s *Service) load(ctx context.Context, a org.Actor, id int64) (*lifecycle.Case, error) {
	return s.St.Case(ctx, id, org.ScopeOf(a))
}

// GetByNumber returns a case by number if the actor can see it.
func (s *Service) GetByNumber(ctx context.Context, a org.Actor, number string) (*lifecycle.Case, error) {
	c, err := s.St.CaseByNumber(ctx, number, org.ScopeOf(a))
	if err != nil {
		return nil, err
	}
	return lifecycle.ViewFor(a, c), nil
}

// Timeline returns a visible case's events.
func (s *Service) Timeline(ctx context.Context, a org.Actor, id int64) ([]lifecycle.Event, error) {
	if _, err := s.Get(ctx, a, id); err != nil {
		return nil, err
	}
	evs, err := s.St.Events(ctx, id)
	for i := range evs {
		evs[i].At = evs[i].At.In(s.Cfg.Loc)
	}
	return evs, err
}

// Links returns a visible case's related and duplicate cases.
func (s *Service) Links(ctx context.Context, a org.Actor, id int64) ([]lifecycle.Link, error) {
	if _, err := s.Get(ctx, a, id); err != nil {
		return nil, err
	}
	return s.St.Links(ctx, id)
}

// List lists cases in the actor's scope. For people, looking cases up by
// phone is SearchByPhone's alone (roles, rate, audit, confidentiality): a
// phone filter from anyone but the system actor is a bug.
func (s *Service) List(ctx context.Context, a org.Actor, f lifecycle.CaseFilter) (lifecycle.ListPage, error) {
	if f.PhoneHash != "" && !a.IsSystem() {
		return lifecycle.ListPage{}, errs.Wrap(errors.New("casework.List: a phone filter outside SearchByPhone"))
	}
	p, err := s.St.Cases(ctx, org.ScopeOf(a), f)
	p.Cases = lifecycle.ViewsFor(a, p.Cases)
	return p, err
}

// Reveal returns a case's citizen in clear for a role that needs it, and
// records the view in the audit log. Confidential citizens are revealed to
// centre roles only.
func (s *Service) Reveal(ctx context.Context, a org.Actor, id int64, purpose string) (lifecycle.Citizen, error) {
	c, err := s.load(ctx, a, id)
	if err != nil {
		return lifecycle.Citizen{}, err
	}
	if !lifecycle.MayReveal(a, c) {
		return lifecycle.Citizen{}, errs.E(errs.Forbidden)
	}
	detail, _ := json.Marshal(map[string]string{"purpose": purpose, "number": c.Number})
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		return tx.Audit(ctx, audit.Entry{At: s.Now(), UserID: a.User.ID, Action: "reveal_citizen", Target: fmt.Sprintf("case:%d", id), Detail: string(detail)})
	})
	if err != nil {
		return lifecycle.Citizen{}, err
	}
	return c.Citizen, nil
}

// Lookup finds a case for a citizen by number and phone. A wrong phone is
// indistinguishable from a wrong number.
func (s *Service) Lookup(ctx context.Context, number, phone string) (*lifecycle.Case, []lifecycle.Event, error) {
	p, err := NormalizePhone(phone)
	if err != nil {
		return nil, nil, errs.E(errs.NotFound)
	}
	c, err := s.St.CaseByNumber(ctx, number, org.Scope{All: true})
	if err != nil {
		return nil, nil, err
	}
	if c.Citizen.PhoneHash == "" || subtle.ConstantTimeCompare([]byte(c.Citizen.PhoneHash), []byte(s.PhoneHash(p))) != 1 {
		return nil, nil, errs.E(errs.NotFound)
	}
	evs, err := s.St.Events(ctx, c.ID)
	if err != nil {
		return nil, nil, err
	}
	// A merged request follows its parent (and the parent's parent): the
	// citizen gets the answer of the case that was finally handled.
	for hops, parentID := 0, c.MergedInto; parentID != 0 && hops < 10; hops++ {
		p, err := s.St.Case(ctx, parentID, org.Scope{All: true})
		if err != nil {
			break
		}
		c.State, c.Result, c.ReplyText = p.State, p.Result, p.ReplyText
		pevs, err := s.St.Events(ctx, p.ID)
		if err != nil {
			return nil, nil, err
		}
		last := evs[len(evs)-1].At
		for _, e := range pevs {
			if e.At.After(last) && (e.Action == lifecycle.ActReply || e.Action == lifecycle.ActDispatch || e.Action == lifecycle.ActSign || e.Action == lifecycle.ActCallback || e.Action == lifecycle.ActClose) {
				evs = append(evs, e)
			}
		}
		parentID = p.MergedInto
	}
	return c, evs, nil
}

// FireDue fires the timers that are due: each in its own transaction that
// locks the case, claims the timer (so that with several nodes each fires
// exactly once), applies the system action and re-arms the case's timers.
// A timer that fails is logged, left due and reported in the error; the
// timers behind it fire all the same.
func (s *Service) FireDue(ctx context.Context, node string, limit int) (int, error) {
	if limit <= 0 {
		limit = 500
	}
	due, err := s.St.DueTimers(ctx, s.Now(), limit)
	if err != nil {
		return 0, err
	}
	return s.FireEach(ctx, len(due), func(i int) string { return fmt.Sprintf("timer %d of case %d", due[i].ID, due[i].CaseID) }, func(i int) (bool, error) {
		t := due[i]
		did := false
		err := s.St.Write(ctx, func(tx *store.Tx) error {
			did = false
			c, err := tx.Case(ctx, t.CaseID, org.Scope{All: true})
			if err != nil {
				return err
			}
			env := s.Env()
			ok, err := tx.ClaimTimer(ctx, t.ID, node, env.Now)
			if err != nil || !ok {
				return err
			}
			did = true
			cmd, live := lifecycle.Fire(c, t.Timer)
			if !live {
				return nil
			}
			prev := *c
			ev, err := lifecycle.Apply(c, cmd, org.System(), env)
			if err != nil {
				return nil // the case moved on; the timer is spent
			}
			if err := tx.UpdateCase(ctx, c, &prev); err != nil {
				return err
			}
			if err := tx.AppendEvent(ctx, &ev); err != nil {
				return err
			}
			return tx.SetTimers(ctx, c.ID, lifecycle.Timers(c))
		})
		return did, err
	})
}

// View is one case as an actor may see it, with everything a case page
// shows: the case (scoped, personal data by lifecycle.ViewFor), its events,
// its related and duplicate cases, and what the actor may do with the
// citizen's personal data.
type View struct {
	Case       *lifecycle.Case      `json:"case"`
	Events     []lifecycle.Event    `json:"events"`
	Links      []lifecycle.Link     `json:"links"`
	Visibility lifecycle.Visibility `json:"-"`
	MayReveal  bool                 `json:"may_reveal"`
	// Actions are what the actor may do with the case now, by
	// lifecycle.Allowed (the rule Act applies).
	Actions []lifecycle.Action `json:"actions"`
	// AnonymisedAt is when the retention period anonymised the case (zero:
	// it was not).
	AnonymisedAt time.Time `json:"anonymised_at,omitzero"`
	// ReplyCheck is the verdict on the case's latest reply (答复质量; nil:
	// none was checked).
	ReplyCheck *replyquality.Check `json:"reply_check,omitempty"`
}

// CaseView returns the actor's view of a case (out of scope: not found).
func (s *Service) CaseView(ctx context.Context, a org.Actor, id int64) (View, error) {
	c, err := s.load(ctx, a, id)
	if err != nil {
		return View{}, err
	}
	evs, err := s.St.Events(ctx, id)
	if err != nil {
		return View{}, err
	}
	for i := range evs {
		evs[i].At = evs[i].At.In(s.Cfg.Loc)
	}
	links, err := s.St.Links(ctx, id)
	if err != nil {
		return View{}, err
	}
	anon, err := s.St.AnonymisedAt(ctx, id)
	if err != nil {
		return View{}, err
	}
	if !anon.IsZero() {
		anon = anon.In(s.Cfg.Loc)
	}
	rc, checked, err := s.St.ReplyCheckOf(ctx, id)
	if err != nil {
		return View{}, err
	}
	v := View{Case: lifecycle.ViewFor(a, c), Events: evs, Links: links, AnonymisedAt: anon,
		Visibility: lifecycle.CitizenVisibility(a, c), MayReveal: lifecycle.MayReveal(a, c),
		Actions: lifecycle.Allowed(c, a, s.Env())}
	if checked {
		v.ReplyCheck = &rc.Check
	}
	return v, nil
}
