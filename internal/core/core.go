// Package core is the small core every application service shares: the
// catalogue snapshot (places with their spatial index and gazetteer, units,
// categories), the clock, the working-day calendar and time-limit policy,
// phone hashing, the audit writer, and the one view of a case an actor may
// see (scoped, personal data masked). The application packages (casework,
// dispatch, ranking, whistles, patrols, admin, accounts) embed a *Core.
package core

import (
	"context"
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
	// Upload quotas in bytes per 24 hours (issue #11): per staff user and
	// per client address (anonymous portal); default 200 MB and 60 MB.
	UploadQuotaUser int64
	UploadQuotaIP   int64
	OrphanGrace     time.Duration // unlinked attachments are deleted after this; default 24 h
	PhoneKey        []byte        // key for phone hashes
	Logger          *slog.Logger
	Now             func() time.Time // for tests; default time.Now
	// Routing, duplicates and repeats (issue #4); zero = defaults.
	TieBreakDays  int           // history window for routing ties; default 90
	Duplicates    dedup.Config  // radius (100 m), text and score thresholds
	DuplicateDays int           // open requests created this many days back are compared; default 30
	RepeatWindow  time.Duration // repeat caller / place window; default 30 days
}

// Core is what every application service shares. It is safe for
// concurrent use; the catalogue and the policy are swapped atomically.
type Core struct {
	St  *store.Store // the storage seam; application packages only
	Cfg Config
	Log *slog.Logger

	cal     *calendar.Calendar
	policy  atomic.Pointer[timelimit.Policy]
	cat     atomic.Pointer[catalog]
	phones  auth.PhoneHasher
	gen     atomic.Uint64 // catalogue generation, one more on every reload
	mu      sync.Mutex    // serialises catalogue reloads
	reloads []func(context.Context) error
}

// New builds the service, loading the organisation catalogue, the stored
// time-limit policy and any stored calendar years.
func New(ctx context.Context, st *store.Store, cfg Config) (*Core, error) {
	if cfg.Loc == nil {
		cfg.Loc = calendar.ChinaStandardTime()
	}
	if cfg.ReturnWindow.IsZero() {
		cfg.ReturnWindow = timelimit.Hours(24)
	}
	if cfg.ReopenLimit < 0 {
		return nil, errors.New("core: ReopenLimit must be ≥ 0")
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
	if cfg.UploadQuotaUser == 0 {
		cfg.UploadQuotaUser = 200 << 20
	}
	if cfg.UploadQuotaIP == 0 {
		cfg.UploadQuotaIP = 60 << 20
	}
	if cfg.OrphanGrace <= 0 {
		cfg.OrphanGrace = 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if len(cfg.PhoneKey) == 0 {
		return nil, errors.New("core: a phone hash key is required")
	}
	s := &Core{St: st, Cfg: cfg, cal: calendar.Default(cfg.Loc), phones: auth.NewPhoneHasher(cfg.PhoneKey), Log: cfg.Logger}
	p := timelimit.DefaultPolicy()
	s.policy.Store(&p)
	if err := s.Reload(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Calendar returns the working-day calendar.
func (s *Core) Calendar() *calendar.Calendar { return s.cal }

// Policy returns the time-limit policy in force.
func (s *Core) Policy() timelimit.Policy { return *s.policy.Load() }

// Location returns the configured time zone.
func (s *Core) Location() *time.Location { return s.Cfg.Loc }

// Config returns the service configuration.
func (s *Core) Config() Config { return s.Cfg }

// Now returns the service clock, at the store's millisecond precision.
func (s *Core) Now() time.Time { return s.Cfg.Now().Truncate(time.Millisecond).In(s.Cfg.Loc) }

// Reload re-reads the organisation catalogue, the policy and the calendar
// years from the store.
func (s *Core) Reload(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := loadCatalog(ctx, s.St, s.cat.Load())
	if err != nil {
		return err
	}
	s.cat.Store(c)
	s.gen.Add(1)
	for _, f := range s.reloads {
		if err := f(ctx); err != nil {
			return err
		}
	}
	if v, err := s.St.Setting(ctx, "policy"); err != nil {
		return err
	} else if v != "" {
		var p timelimit.Policy
		if err := json.Unmarshal([]byte(v), &p); err != nil {
			return fmt.Errorf("core: stored policy: %w", err)
		}
		s.policy.Store(&p)
	}
	years, err := s.St.Settings(ctx, "calendar:")
	if err != nil {
		return err
	}
	for _, v := range years {
		var y calendar.Year
		if err := json.Unmarshal([]byte(v), &y); err == nil {
			if err := s.cal.LoadYear(y); err != nil {
				s.Log.Warn("stored calendar year rejected", "year", y.Year, "err", err)
			}
		}
	}
	return nil
}

func (s *Core) env() lifecycle.Env {
	return lifecycle.Env{Now: s.Now(), Cal: s.cal, Policy: *s.policy.Load(), ReturnWindow: s.Cfg.ReturnWindow, ReopenLimit: s.Cfg.ReopenLimit}
}

// Env returns the rules' environment at the current time (for loaders).
func (s *Core) Env() lifecycle.Env { return s.env() }

// Actor builds the acting identity of a user.
func (s *Core) Actor(u org.User) (org.Actor, error) {
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
func (s *Core) Unit(id int64) (org.Unit, bool) {
	u, ok := s.cat.Load().units[id]
	return u, ok
}

// UnitsList returns every unit.
func (s *Core) UnitsList() []org.Unit {
	cat := s.cat.Load()
	out := make([]org.Unit, 0, len(cat.units))
	for _, u := range cat.units {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b org.Unit) int { return int(a.ID - b.ID) })
	return out
}

// Category returns a category by code.
func (s *Core) Category(code string) (org.Category, bool) {
	c, ok := s.cat.Load().categories[code]
	return c, ok
}

// Place returns a place by id (without its boundary).
func (s *Core) Place(id int64) (org.Place, bool) {
	p, ok := s.cat.Load().places[id]
	return p, ok
}

// Locate resolves a coordinate to its district/street/community/grid.
func (s *Core) Locate(lat, lon float64) (lifecycle.Location, error) {
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
func (s *Core) PhoneHash(phone string) string { return s.phones.Hash(phone) }

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

// TooLong reports whether s has more than n characters.
func TooLong(s string, n int) bool { return utf8.RuneCountInString(s) > n }

// MaxLinks bounds related cases, attachments and co-handlers per request,
// so that one request cannot hold the single writer for long.
const MaxLinks = 20

// OnReload registers f to run on every Reload, after the catalogue (the
// duty list in force and the knowledge index are reloaded this way). It is
// called while services are built, before the first Reload they trigger.
func (s *Core) OnReload(f func(context.Context) error) {
	s.mu.Lock()
	s.reloads = append(s.reloads, f)
	s.mu.Unlock()
}

// Chain returns the district, street, community and grid ids above and
// including a place.
func (s *Core) Chain(placeID int64) ([4]int64, bool) { return s.cat.Load().chain(placeID) }

// Categories returns every category of the catalogue, in no order.
func (s *Core) CategoryMap() map[string]org.Category { return s.cat.Load().categories }

// PlaceMap returns every place of the catalogue (without boundaries).
func (s *Core) PlaceMap() map[int64]org.Place { return s.cat.Load().places }

// Generation changes whenever the catalogue is reloaded, so that caches
// built from it know when to rebuild.
func (s *Core) Generation() uint64 { return s.gen.Load() }

// UsePolicy makes p the time-limit policy in force (after it was stored).
func (s *Core) UsePolicy(p timelimit.Policy) { s.policy.Store(&p) }

// Ping checks that the store answers (readiness).
func (s *Core) Ping(ctx context.Context) error { return s.St.Ping(ctx) }
