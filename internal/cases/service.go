// Package cases is the application service of the closed loop: it validates
// input, applies the lifecycle rules to cases loaded from the store, and
// writes the new state, its event and its timers in one transaction.
package cases

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"whistle/internal/auth"
	"whistle/internal/calendar"
	"whistle/internal/dedup"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
	"whistle/internal/timelimit"
)

// Config holds the service's limits and windows.
type Config struct {
	Loc            *time.Location
	ReturnWindow   timelimit.Span // after dispatch; default 24 h
	ReopenLimit    int            // how often an unsatisfied case may be reopened; 0 = never
	MaxTitle       int            // runes; default 100
	MaxDescription int            // runes; default 4000
	MaxNote        int            // runes; default 2000
	MaxAttachment  int64          // bytes; default 10 MiB
	AttachmentDir  string         // "" = attachments stored in the database
	PhoneKey       []byte         // key for phone hashes
	Logger         *slog.Logger
	Now            func() time.Time // for tests; default time.Now
	// Routing, duplicates and repeats (issue #4); zero = defaults.
	TieBreakDays  int           // history window for routing ties; default 90
	Duplicates    dedup.Config  // radius (100 m), text and score thresholds
	DuplicateDays int           // open requests created this many days back are compared; default 30
	RepeatWindow  time.Duration // repeat caller / place window; default 30 days
}

// Service runs the closed loop.
type Service struct {
	st         *store.Store
	cfg        Config
	cal        *calendar.Calendar
	policy     atomic.Pointer[timelimit.Policy]
	cat        atomic.Pointer[catalog]
	phones     auth.PhoneHasher
	log        *slog.Logger
	mu         sync.Mutex   // serialises catalog reloads
	tokens     sync.Map     // token hash → cachedActor
	tokenCount atomic.Int64 // insertions, to prune the cache now and then
	rt         routingState // duty list in force, unit directory, knowledge index (issue #4)

	clf classifierState // the text classifier in use (classify.go)

	verify func(encoded, password string) bool // password check; nil = auth.Verify (tests count calls)
}

// New builds the service, loading the organisation catalogue, the stored
// time-limit policy and any stored calendar years.
func New(ctx context.Context, st *store.Store, cfg Config) (*Service, error) {
	if cfg.Loc == nil {
		cfg.Loc = calendar.ChinaStandardTime()
	}
	if cfg.ReturnWindow.IsZero() {
		cfg.ReturnWindow = timelimit.Hours(24)
	}
	if cfg.ReopenLimit < 0 {
		return nil, errors.New("cases: ReopenLimit must be ≥ 0")
	}
	if cfg.MaxTitle == 0 {
		cfg.MaxTitle = 100
	}
	if cfg.MaxDescription == 0 {
		cfg.MaxDescription = 4000
	}
	if cfg.MaxNote == 0 {
		cfg.MaxNote = 2000
	}
	if cfg.MaxAttachment == 0 {
		cfg.MaxAttachment = 10 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if len(cfg.PhoneKey) == 0 {
		return nil, errors.New("cases: a phone hash key is required")
	}
	s := &Service{st: st, cfg: cfg, cal: calendar.Default(cfg.Loc), phones: auth.NewPhoneHasher(cfg.PhoneKey), log: cfg.Logger}
	p := timelimit.DefaultPolicy()
	s.policy.Store(&p)
	if err := s.Reload(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Store returns the underlying store.
func (s *Service) Store() *store.Store { return s.st }

// Calendar returns the working-day calendar.
func (s *Service) Calendar() *calendar.Calendar { return s.cal }

// Policy returns the time-limit policy in force.
func (s *Service) Policy() timelimit.Policy { return *s.policy.Load() }

// Location returns the configured time zone.
func (s *Service) Location() *time.Location { return s.cfg.Loc }

// Config returns the service configuration.
func (s *Service) Config() Config { return s.cfg }

// Now returns the service clock, at the store's millisecond precision.
func (s *Service) Now() time.Time { return s.cfg.Now().Truncate(time.Millisecond).In(s.cfg.Loc) }

// Reload re-reads the organisation catalogue, the policy and the calendar
// years from the store.
func (s *Service) Reload(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := loadCatalog(ctx, s.st, s.cat.Load())
	if err != nil {
		return err
	}
	s.cat.Store(c)
	if err := s.reloadDuty(ctx); err != nil {
		return err
	}
	if err := s.reloadKnowledge(ctx); err != nil {
		return err
	}
	if v, err := s.st.Setting(ctx, "policy"); err != nil {
		return err
	} else if v != "" {
		var p timelimit.Policy
		if err := json.Unmarshal([]byte(v), &p); err != nil {
			return fmt.Errorf("cases: stored policy: %w", err)
		}
		s.policy.Store(&p)
	}
	years, err := s.st.Settings(ctx, "calendar:")
	if err != nil {
		return err
	}
	for _, v := range years {
		var y calendar.Year
		if err := json.Unmarshal([]byte(v), &y); err == nil {
			if err := s.cal.LoadYear(y); err != nil {
				s.log.Warn("stored calendar year rejected", "year", y.Year, "err", err)
			}
		}
	}
	return nil
}

func (s *Service) env() lifecycle.Env {
	return lifecycle.Env{Now: s.Now(), Cal: s.cal, Policy: *s.policy.Load(), ReturnWindow: s.cfg.ReturnWindow, ReopenLimit: s.cfg.ReopenLimit}
}

// Env returns the rules' environment at the current time (for loaders).
func (s *Service) Env() lifecycle.Env { return s.env() }

// Actor builds the acting identity of a user.
func (s *Service) Actor(u org.User) (org.Actor, error) {
	cat := s.cat.Load()
	unit, ok := cat.units[u.UnitID]
	if !ok {
		return org.Actor{}, errs.D(errs.UnknownUnit, "user %d has no unit", u.ID)
	}
	return org.Actor{User: u, Unit: unit, DistrictID: cat.districtOf(unit)}, nil
}

// Citizen is the actor used for submissions through the public portal.
func Citizen() org.Actor {
	return org.Actor{User: org.User{Username: "citizen", DisplayName: "市民", Roles: []string{org.RoleCitizen}}}
}

// Unit returns a unit by id.
func (s *Service) Unit(id int64) (org.Unit, bool) {
	u, ok := s.cat.Load().units[id]
	return u, ok
}

// UnitsList returns every unit.
func (s *Service) UnitsList() []org.Unit {
	cat := s.cat.Load()
	out := make([]org.Unit, 0, len(cat.units))
	for _, u := range cat.units {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b org.Unit) int { return int(a.ID - b.ID) })
	return out
}

// Category returns a category by code.
func (s *Service) Category(code string) (org.Category, bool) {
	c, ok := s.cat.Load().categories[code]
	return c, ok
}

// Place returns a place by id (without its boundary).
func (s *Service) Place(id int64) (org.Place, bool) {
	p, ok := s.cat.Load().places[id]
	return p, ok
}

// Locate resolves a coordinate to its district/street/community/grid.
func (s *Service) Locate(lat, lon float64) (lifecycle.Location, error) {
	if lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		return lifecycle.Location{}, errs.F(errs.InvalidLocation, "lat")
	}
	cat := s.cat.Load()
	id := cat.locate(lon, lat)
	if id == 0 {
		return lifecycle.Location{}, errs.E(errs.OutsideCity)
	}
	ch, _ := cat.chain(id)
	return lifecycle.Location{Lat: &lat, Lon: &lon, DistrictID: ch[0], StreetID: ch[1], CommunityID: ch[2], GridID: ch[3]}, nil
}

// PhoneHash returns the keyed hash of a normalised phone number.
func (s *Service) PhoneHash(phone string) string { return s.phones.Hash(phone) }

var (
	mobileRE   = regexp.MustCompile(`^1[3-9]\d{9}$`)
	landlineRE = regexp.MustCompile(`^0\d{2,3}\d{7,8}$`)
	serviceRE  = regexp.MustCompile(`^(95|96|400|800)\d{3,8}$`)
)

// NormalizePhone strips spaces, dashes and the +86/0086 prefix and checks
// the result is a Chinese mobile, landline or service number.
func NormalizePhone(p string) (string, error) {
	r := strings.NewReplacer(" ", "", "-", "", "(", "", ")", "", "\u3000", "")
	p = r.Replace(strings.TrimSpace(p))
	// full-width digits → ASCII
	var b strings.Builder
	for _, ch := range p {
		if ch >= '０' && ch <= '９' {
			ch = '0' + (ch - '０')
		}
		b.WriteRune(ch)
	}
	p = b.String()
	p = strings.TrimPrefix(p, "+86")
	if strings.HasPrefix(p, "0086") {
		p = p[4:]
	}
	if mobileRE.MatchString(p) || landlineRE.MatchString(p) || serviceRE.MatchString(p) {
		return p, nil
	}
	return "", errs.F(errs.InvalidPhone, "phone")
}

func tooLong(s string, n int) bool { return utf8.RuneCountInString(s) > n }

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

// build validates in and makes the case it describes.
func (s *Service) build(in NewCase) (lifecycle.Case, error) {
	var c lifecycle.Case
	if !slices.Contains(lifecycle.Channels, in.Channel) {
		return c, errs.F(errs.InvalidChannel, "channel")
	}
	if !timelimit.ValidType(in.Type) {
		return c, errs.F(errs.InvalidType, "type")
	}
	if in.Category == "" {
		return c, errs.F(errs.FieldRequired, "category")
	}
	cat, ok := s.Category(in.Category)
	if !ok || !cat.Leaf || !cat.Active {
		return c, errs.F(errs.UnknownCategory, "category")
	}
	urg := in.Urgency
	if urg == "" {
		urg = cat.Urgency
	}
	if urg == "" {
		urg = timelimit.UrgencyGeneral
	}
	if !timelimit.ValidUrgency(urg) {
		return c, errs.F(errs.InvalidUrgency, "urgency")
	}
	desc := strings.TrimSpace(in.Description)
	if desc == "" {
		return c, errs.F(errs.FieldRequired, "description")
	}
	if tooLong(desc, s.cfg.MaxDescription) {
		return c, &errs.Error{Code: errs.FieldTooLong, Field: "description", Detail: fmt.Sprintf("max %d characters", s.cfg.MaxDescription)}
	}
	title := strings.TrimSpace(in.Title)
	if title == "" {
		r := []rune(desc)
		title = string(r[:min(len(r), 30)])
	}
	if tooLong(title, s.cfg.MaxTitle) {
		return c, &errs.Error{Code: errs.FieldTooLong, Field: "title", Detail: fmt.Sprintf("max %d characters", s.cfg.MaxTitle)}
	}
	if tooLong(in.Address, 200) {
		return c, &errs.Error{Code: errs.FieldTooLong, Field: "address", Detail: "max 200 characters"}
	}
	if tooLong(in.CitizenName, 50) {
		return c, &errs.Error{Code: errs.FieldTooLong, Field: "citizen_name", Detail: "max 50 characters"}
	}
	c = lifecycle.Case{Channel: in.Channel, Type: in.Type, Category: in.Category, Urgency: urg, Title: title, Description: desc}
	c.Citizen = lifecycle.Citizen{Name: strings.TrimSpace(in.CitizenName), Confidential: in.Confidential, Anonymous: in.Anonymous}
	if strings.TrimSpace(in.CitizenPhone) != "" {
		p, err := NormalizePhone(in.CitizenPhone)
		if err != nil {
			return c, errs.F(errs.InvalidPhone, "citizen_phone")
		}
		c.Citizen.Phone, c.Citizen.PhoneHash = p, s.phones.Hash(p)
	} else if !in.Anonymous {
		return c, errs.F(errs.FieldRequired, "citizen_phone")
	}
	c.Location.Address = strings.TrimSpace(in.Address)
	if (in.Lat == nil) != (in.Lon == nil) {
		return c, errs.F(errs.InvalidLocation, "lat")
	}
	cat2 := s.cat.Load()
	if in.Lat != nil {
		lat, lon := *in.Lat, *in.Lon
		if lat < -90 || lat > 90 || lon < -180 || lon > 180 || lat != lat || lon != lon {
			return c, errs.F(errs.InvalidLocation, "lat")
		}
		c.Location.Lat, c.Location.Lon = &lat, &lon
		if cat2.hasBoundaries() {
			id := cat2.locate(lon, lat)
			if id == 0 {
				return c, errs.F(errs.OutsideCity, "lat")
			}
			ch, _ := cat2.chain(id)
			c.Location.DistrictID, c.Location.StreetID, c.Location.CommunityID, c.Location.GridID = ch[0], ch[1], ch[2], ch[3]
		}
	}
	if in.PlaceID != 0 {
		ch, ok := cat2.chain(in.PlaceID)
		if !ok {
			return c, errs.F(errs.UnknownPlace, "place_id")
		}
		if c.Location.DistrictID == 0 {
			c.Location.DistrictID, c.Location.StreetID, c.Location.CommunityID, c.Location.GridID = ch[0], ch[1], ch[2], ch[3]
		}
	}
	return c, nil
}

var errRaced = errors.New("idempotency key raced")

// Create validates and stores a new request. With an idempotency key, a
// retry returns the case the first call created (replayed = true) and a
// reuse of the key for another body fails with idempotency_mismatch.
func (s *Service) Create(ctx context.Context, a org.Actor, in NewCase, idemKey string) (c *lifecycle.Case, replayed bool, err error) {
	if !a.User.Has(org.RoleAgent, org.RoleDispatcher, org.RoleGridWorker, "citizen") && !a.IsSystem() {
		return nil, false, errs.E(errs.Forbidden)
	}
	if len(idemKey) > 200 {
		return nil, false, errs.F(errs.FieldTooLong, "Idempotency-Key")
	}
	nc, err := s.build(in)
	if err != nil {
		return nil, false, err
	}
	if len(in.RelatedTo) > maxLinks || len(in.Attachments) > maxLinks {
		return nil, false, &errs.Error{Code: errs.Invalid, Field: "related_to", Detail: fmt.Sprintf("at most %d related cases and %d attachments", maxLinks, maxLinks)}
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
	if err := s.suggest(ctx, &nc); err != nil {
		return nil, false, err
	}
	// Repeat counts (重复诉求) are read before the write, on the read pool,
	// so that they do not hold the single writer: two requests from one
	// caller in the same instant may not count each other.
	if err := s.markRepeats(ctx, s.st.Queries, &nc, s.Now()); err != nil {
		return nil, false, err
	}
	body, _ := json.Marshal(in)
	sum := sha256.Sum256(body)
	reqHash := hex.EncodeToString(sum[:])
	// The case and its first event are made and encoded here, on the
	// caller's goroutine; the single writer only numbers and stores them.
	env := s.env()
	made := nc
	firstEv := lifecycle.Created(&made, a, env)
	firstEv.Attachments = in.Attachments
	newDoc, err := store.EncodeNewCase(&made)
	if err != nil {
		return nil, false, err
	}
	evDoc, err := store.EncodeEvent(&firstEv)
	if err != nil {
		return nil, false, err
	}
	for attempt := 0; attempt < 2; attempt++ {
		var out *lifecycle.Case
		replayed = false
		err = s.st.Write(ctx, func(tx *store.Tx) error {
			if idemKey != "" {
				id, h, found, err := tx.Idempotent(ctx, principal, idemKey)
				if err != nil {
					return err
				}
				if found {
					if subtle.ConstantTimeCompare([]byte(h), []byte(reqHash)) != 1 {
						return errs.E(errs.IdempotencyMismatch)
					}
					out, err = tx.Case(ctx, id, org.Scope{All: true})
					replayed = true
					return err
				}
			}
			c := made
			num, err := tx.NextNumber(ctx, env.Now.In(s.cfg.Loc).Format("20060102"))
			if err != nil {
				return err
			}
			c.Number = num
			ev := firstEv
			if err := tx.InsertNewCase(ctx, &c, newDoc); err != nil {
				return err
			}
			if err := saveRepeatFlags(ctx, tx, &c); err != nil {
				return err
			}
			ev.CaseID = c.ID
			if err := tx.AppendEncodedEvent(ctx, &ev, evDoc); err != nil {
				return err
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
		return out, replayed, nil
	}
	return nil, false, errs.E(errs.Conflict)
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

// maxLinks bounds related cases, attachments and co-handlers per request,
// so that one request cannot hold the single writer for long.
const maxLinks = 20

func (s *Service) command(in ActInput) (lifecycle.Command, error) {
	if len(in.Attachments) > maxLinks || len(in.CoUnitIDs) > maxLinks {
		return lifecycle.Command{}, &errs.Error{Code: errs.Invalid, Field: "attachments", Detail: fmt.Sprintf("at most %d attachments and %d co-handlers", maxLinks, maxLinks)}
	}
	cmd := lifecycle.Command{Action: in.Action, Note: strings.TrimSpace(in.Note), Result: in.Result, Reason: strings.TrimSpace(in.Reason),
		ReplyBy: in.ReplyBy.Truncate(time.Millisecond), Resolved: in.Resolved, Satisfaction: in.Satisfaction, Reopen: in.Reopen,
		Means: in.Means, ParentID: in.ParentID, Article: in.Article, Attachments: in.Attachments}
	if tooLong(cmd.Note, s.cfg.MaxNote) {
		return cmd, &errs.Error{Code: errs.FieldTooLong, Field: "note", Detail: fmt.Sprintf("max %d characters", s.cfg.MaxNote)}
	}
	if tooLong(cmd.Reason, 500) {
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
	return s.act(ctx, a, org.ScopeOf(a), id, in)
}

func (s *Service) act(ctx context.Context, a org.Actor, scope org.Scope, id int64, in ActInput) (*lifecycle.Case, *lifecycle.Event, error) {
	if _, ok := lifecycle.Lookup(in.Action); !ok || in.Action == lifecycle.ActDueSoon || in.Action == lifecycle.ActOverdue {
		return nil, nil, errs.D(errs.Invalid, "unknown action %q", in.Action)
	}
	art, err := s.answerArticle(ctx, &in)
	if err != nil {
		return nil, nil, err
	}
	cmd, err := s.command(in)
	if err != nil {
		return nil, nil, err
	}
	var outC *lifecycle.Case
	var outE *lifecycle.Event
	err = s.st.Write(ctx, func(tx *store.Tx) error {
		c, err := tx.Case(ctx, id, scope)
		if err != nil {
			return err
		}
		if cmd.Action == lifecycle.ActMerge && cmd.ParentID != 0 && cmd.ParentID != c.ID {
			p, err := tx.Case(ctx, cmd.ParentID, scope)
			if err != nil {
				return &errs.Error{Code: errs.NotFound, Field: "parent_id"}
			}
			if !p.State.Open() || p.MergedInto != 0 {
				return errs.E(errs.MergeClosed)
			}
		}
		prev := *c
		env := s.env()
		ev, err := lifecycle.Apply(c, cmd, a, env)
		if err != nil {
			return err
		}
		if art != nil {
			ev.Data["article_version"], ev.Data["article_title"] = art.Version, art.Title
		}
		if err := tx.UpdateCase(ctx, c, &prev); err != nil {
			return err
		}
		if len(cmd.Attachments) > 0 {
			if err := tx.AttachToCase(ctx, c.ID, a.User.ID, cmd.Attachments); err != nil {
				return err
			}
		}
		if err := tx.AppendEvent(ctx, &ev); err != nil {
			return err
		}
		if err := tx.SetTimers(ctx, c.ID, lifecycle.Timers(c)); err != nil {
			return err
		}
		if cmd.Action == lifecycle.ActMerge {
			if err := tx.LinkCases(ctx, c.ID, cmd.ParentID, "duplicate"); err != nil {
				return err
			}
		}
		outC, outE = c, &ev
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return outC, outE, nil
}

// Get returns a case the actor can see.
func (s *Service) Get(ctx context.Context, a org.Actor, id int64) (*lifecycle.Case, error) {
	return s.st.Case(ctx, id, org.ScopeOf(a))
}

// GetByNumber returns a case by number if the actor can see it.
func (s *Service) GetByNumber(ctx context.Context, a org.Actor, number string) (*lifecycle.Case, error) {
	return s.st.CaseByNumber(ctx, number, org.ScopeOf(a))
}

// Timeline returns a visible case's events.
func (s *Service) Timeline(ctx context.Context, a org.Actor, id int64) ([]lifecycle.Event, error) {
	if _, err := s.Get(ctx, a, id); err != nil {
		return nil, err
	}
	evs, err := s.st.Events(ctx, id)
	for i := range evs {
		evs[i].At = evs[i].At.In(s.cfg.Loc)
	}
	return evs, err
}

// Links returns a visible case's related and duplicate cases.
func (s *Service) Links(ctx context.Context, a org.Actor, id int64) ([]store.Link, error) {
	if _, err := s.Get(ctx, a, id); err != nil {
		return nil, err
	}
	return s.st.Links(ctx, id)
}

// List lists cases in the actor's scope.
func (s *Service) List(ctx context.Context, a org.Actor, f store.CaseFilter) (store.ListPage, error) {
	return s.st.Cases(ctx, org.ScopeOf(a), f)
}

// Reveal returns a case's citizen in clear for a role that needs it, and
// records the view in the audit log. Confidential citizens are revealed to
// centre roles only.
func (s *Service) Reveal(ctx context.Context, a org.Actor, id int64, purpose string) (lifecycle.Citizen, error) {
	c, err := s.Get(ctx, a, id)
	if err != nil {
		return lifecycle.Citizen{}, err
	}
	if !org.MayRevealPII(a) || (c.Citizen.Confidential && !a.Unit.IsCentre()) {
		return lifecycle.Citizen{}, errs.E(errs.Forbidden)
	}
	detail, _ := json.Marshal(map[string]string{"purpose": purpose, "number": c.Number})
	err = s.st.Write(ctx, func(tx *store.Tx) error {
		return tx.Audit(ctx, store.AuditEntry{At: s.Now(), UserID: a.User.ID, Action: "reveal_citizen", Target: fmt.Sprintf("case:%d", id), Detail: string(detail)})
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
	c, err := s.st.CaseByNumber(ctx, number, org.Scope{All: true})
	if err != nil {
		return nil, nil, err
	}
	if c.Citizen.PhoneHash == "" || subtle.ConstantTimeCompare([]byte(c.Citizen.PhoneHash), []byte(s.phones.Hash(p))) != 1 {
		return nil, nil, errs.E(errs.NotFound)
	}
	evs, err := s.st.Events(ctx, c.ID)
	if err != nil {
		return nil, nil, err
	}
	// A merged request follows its parent (and the parent's parent): the
	// citizen gets the answer of the case that was finally handled.
	for hops, parentID := 0, c.MergedInto; parentID != 0 && hops < 10; hops++ {
		p, err := s.st.Case(ctx, parentID, org.Scope{All: true})
		if err != nil {
			break
		}
		c.State, c.Result, c.ReplyText = p.State, p.Result, p.ReplyText
		pevs, err := s.st.Events(ctx, p.ID)
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
func (s *Service) FireDue(ctx context.Context, node string, limit int) (int, error) {
	if limit <= 0 {
		limit = 500
	}
	due, err := s.st.DueTimers(ctx, s.Now(), limit)
	if err != nil {
		return 0, err
	}
	fired := 0
	for _, t := range due {
		if ctx.Err() != nil {
			break
		}
		var did bool
		err := s.st.Write(ctx, func(tx *store.Tx) error {
			did = false
			c, err := tx.Case(ctx, t.CaseID, org.Scope{All: true})
			if err != nil {
				return err
			}
			env := s.env()
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
		if err != nil {
			return fired, err
		}
		if did {
			fired++
		}
	}
	return fired, nil
}
