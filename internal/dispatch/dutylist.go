package dispatch

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"whistle/internal/audit"
	"whistle/internal/core"
	"whistle/internal/dutylist"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
)

// Defaults of the routing, duplicate and repeat settings in Config.
const (
	DefaultTieBreakDays  = 90
	DefaultRepeatWindow  = 30 * 24 * time.Hour
	DefaultDuplicateDays = 30
	maxDryRunCases       = 100000
	maxRules             = 5000
)

func (s *Service) tieBreakDays() int {
	if s.Cfg.TieBreakDays > 0 {
		return s.Cfg.TieBreakDays
	}
	return DefaultTieBreakDays
}

// dutyMaxAge is how long this node trusts its cached duty list: another
// node may publish a new version.
const dutyMaxAge = time.Minute

// reloadDuty caches the duty list in force (none is fine).
func (s *Service) reloadDuty(ctx context.Context) error {
	l, err := s.St.PublishedDutyList(ctx)
	if errs.Is(err, errs.NotFound) {
		l, err = nil, nil
	}
	if err != nil {
		return err
	}
	s.rt.duty.Store(l)
	s.rt.dutyAt.Store(s.Now().UnixNano())
	return nil
}

// dutyList returns the duty list in force (nil = none), re-read from the
// store when the cached one is older than dutyMaxAge.
func (s *Service) dutyList(ctx context.Context) (*dutylist.Stored, error) {
	if s.Now().Sub(time.Unix(0, s.rt.dutyAt.Load())) > dutyMaxAge {
		if err := s.reloadDuty(ctx); err != nil {
			return nil, err
		}
	}
	return s.rt.duty.Load(), nil
}

// routingState is the service's cached routing and knowledge state.
type routingState struct {
	duty   atomic.Pointer[dutylist.Stored] // the duty list in force (nil = none)
	dutyAt atomic.Int64                    // when it was read (Unix ns)
	kb     atomic.Pointer[kbIndex]         // knowledge index
	dir    atomic.Pointer[unitDirectory]   // units for resolving targets
	cmp    atomic.Pointer[compoundIndex]   // managed compounds (compound.go)
}

type unitDirectory struct {
	gen uint64 // the catalogue generation it was built from
	dir *dutylist.Directory
}

// directory returns the unit directory of the current catalogue, rebuilt
// when the catalogue was reloaded.
func (s *Service) directory() *dutylist.Directory {
	gen := s.Generation()
	if d := s.rt.dir.Load(); d != nil && d.gen == gen {
		return d.dir
	}
	d := &unitDirectory{gen: gen, dir: dutylist.NewDirectory(s.UnitsList())}
	s.rt.dir.Store(d)
	return d.dir
}

// mayReadDuty: centre staff and administrators read duty lists.
func mayReadDuty(a org.Actor) bool {
	return a.User.Has(org.RoleAdmin) || (a.Unit.IsCentre() && a.User.Has(org.RoleAgent, org.RoleDispatcher, org.RoleSupervisor, org.RoleAnalyst))
}

// mayEditDuty: administrators and the city centre's dispatchers write and
// publish duty lists.
func mayEditDuty(a org.Actor) bool {
	return a.User.Has(org.RoleAdmin) || (a.Unit.Kind == org.KindCityCentre && a.User.Has(org.RoleDispatcher))
}

// RouteSuggestion routes a request by category, the deepest known place
// (district, street, community or grid; 0 = unknown) and its text under the
// duty list in force. When equally specific rules name different lead
// units, the tie is broken by history: among the competing units, the one
// that led the most closed cases of this category in this street over the
// last TieBreakDays days (from the store, by index); with no history, or a
// tie in history too, the lowest rule number stays and the decision remains
// ambiguous for a person (or a later model) to settle.
func (s *Service) RouteSuggestion(ctx context.Context, categoryCode string, placeID int64, text string) (dutylist.Decision, error) {
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
	return s.route(ctx, in)
}

func (s *Service) route(ctx context.Context, in dutylist.Input) (dutylist.Decision, error) {
	l, err := s.dutyList(ctx)
	if err != nil {
		return dutylist.Decision{}, err
	}
	if l == nil {
		return dutylist.Decision{Reason: "尚未发布职责清单，请人工派单", Why: dutylist.Why{Code: dutylist.WhyNoList}}, nil
	}
	d := dutylist.Decide(l.List, s.directory(), in)
	if d.Ambiguous && in.StreetID != 0 {
		if err := s.breakTie(ctx, &d, in); err != nil {
			return d, err
		}
	}
	return d, nil
}

func (s *Service) breakTie(ctx context.Context, d *dutylist.Decision, in dutylist.Input) error {
	var units []int64
	for _, c := range d.Competing {
		units = append(units, c.LeadUnitID)
	}
	days := s.tieBreakDays()
	counts, err := s.St.FinalLeadCounts(ctx, in.Category, in.StreetID, s.Now().Add(-time.Duration(days)*24*time.Hour), units)
	if err != nil {
		return err
	}
	best, bestN, tied := int64(0), 0, false
	for _, u := range units {
		switch n := counts[u]; {
		case n > bestN:
			best, bestN, tied = u, n, false
		case n == bestN && n > 0:
			tied = true
		}
	}
	if bestN == 0 || tied {
		return nil
	}
	var parts []string
	why := &dutylist.Why{Code: dutylist.WhyTieBreak, Days: days}
	for _, u := range units {
		name := fmt.Sprint(u)
		if x, ok := s.Unit(u); ok {
			name = x.Name
		}
		parts = append(parts, fmt.Sprintf("%s %d 件", name, counts[u]))
		why.Counts = append(why.Counts, dutylist.UnitCount{UnitID: u, Count: counts[u]})
	}
	if d.Choose(best, fmt.Sprintf("按历史办结量：近 %d 天本街道同类诉求 %s", days, strings.Join(parts, "，"))) {
		d.TieWhy = why
	}
	return nil
}

// suggest fills a new case's dispatch suggestion (nil when no list is in force).
// SuggestUnit records on a new case the duty list's suggestion for it (lead
// unit, co-handlers and the numbered reason), when a duty list is in force.
func (s *Service) SuggestUnit(ctx context.Context, c *lifecycle.Case) error {
	if l, err := s.dutyList(ctx); err != nil || l == nil {
		return err
	}
	l := c.Location
	in := dutylist.Input{Category: c.Category, DistrictID: l.DistrictID, StreetID: l.StreetID, CommunityID: l.CommunityID, GridID: l.GridID, Text: c.Title + "\n" + c.Description}
	if err := s.withCompound(ctx, &in, l); err != nil {
		return err
	}
	d, err := s.route(ctx, in)
	if err != nil {
		return err
	}
	c.Suggestion = &lifecycle.Suggestion{Version: d.Version, RuleID: d.RuleID, LeadUnitID: d.LeadUnitID, CoUnitIDs: d.CoUnitIDs,
		Reason: d.Reason, Ambiguous: d.Ambiguous, TieBreak: d.TieBreak, Why: &d.Why, TieWhy: d.TieWhy}
	return nil
}

// DutyListInput is a draft's content.
type DutyListInput struct {
	Name  string          `json:"name"`
	Rules []dutylist.Rule `json:"rules"`
}

func (s *Service) checkRules(in DutyListInput) error {
	if strings.TrimSpace(in.Name) == "" {
		return errs.F(errs.FieldRequired, "name")
	}
	if core.TooLong(in.Name, 100) {
		return &errs.Error{Code: errs.FieldTooLong, Field: "name", Detail: "max 100 characters"}
	}
	if len(in.Rules) > maxRules {
		return &errs.Error{Code: errs.InvalidRules, Field: "rules", Detail: fmt.Sprintf("at most %d rules", maxRules)}
	}
	cats, places := s.CategoryMap(), s.PlaceMap()
	probs := dutylist.Validate(in.Rules, s.UnitsList(),
		func(c string) bool { _, ok := cats[c]; return ok },
		func(p int64) bool { _, ok := places[p]; return ok })
	if len(probs) > 0 {
		var parts []string
		for i, p := range probs {
			if i == 10 {
				parts = append(parts, fmt.Sprintf("… %d more", len(probs)-10))
				break
			}
			parts = append(parts, fmt.Sprintf("rule %d %s: %s", p.RuleID, p.Field, p.Detail))
		}
		return &errs.Error{Code: errs.InvalidRules, Field: "rules", Detail: strings.Join(parts, "; ")}
	}
	return nil
}

func (s *Service) auditDuty(ctx context.Context, tx *store.Tx, a org.Actor, action string, l *dutylist.Stored) error {
	detail, _ := json.Marshal(map[string]any{"name": l.Name, "rules": len(l.Rules)})
	return tx.Audit(ctx, audit.Entry{At: s.Now(), UserID: a.User.ID, Action: action, Target: fmt.Sprintf("duty_list:%d", l.Version), Detail: string(detail)})
}

// DutyLists returns every version, newest first.
func (s *Service) DutyLists(ctx context.Context, a org.Actor) ([]dutylist.Stored, error) {
	if !mayReadDuty(a) {
		return nil, errs.E(errs.Forbidden)
	}
	return s.St.DutyLists(ctx)
}

// DutyList returns one version.
func (s *Service) DutyList(ctx context.Context, a org.Actor, version int64) (*dutylist.Stored, error) {
	if !mayReadDuty(a) {
		return nil, errs.E(errs.Forbidden)
	}
	return s.St.DutyListVersion(ctx, version)
}

// CreateDutyList stores a new draft (audited).
func (s *Service) CreateDutyList(ctx context.Context, a org.Actor, in DutyListInput) (*dutylist.Stored, error) {
	if !mayEditDuty(a) {
		return nil, errs.E(errs.Forbidden)
	}
	if err := s.checkRules(in); err != nil {
		return nil, err
	}
	now := s.Now()
	l := &dutylist.Stored{List: dutylist.List{Name: strings.TrimSpace(in.Name), Rules: in.Rules}, CreatedBy: a.User.ID, CreatedAt: now, UpdatedAt: now}
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertDutyList(ctx, l); err != nil {
			return err
		}
		return s.auditDuty(ctx, tx, a, "duty_list_create", l)
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// UpdateDutyList replaces a draft's content (audited); published versions
// never change.
func (s *Service) UpdateDutyList(ctx context.Context, a org.Actor, version int64, in DutyListInput) (*dutylist.Stored, error) {
	if !mayEditDuty(a) {
		return nil, errs.E(errs.Forbidden)
	}
	if err := s.checkRules(in); err != nil {
		return nil, err
	}
	var out *dutylist.Stored
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		l, err := tx.DutyListVersion(ctx, version)
		if err != nil {
			return err
		}
		l.Name, l.Rules, l.UpdatedAt = strings.TrimSpace(in.Name), in.Rules, s.Now()
		if err := tx.UpdateDutyList(ctx, l); err != nil {
			return err
		}
		out = l
		return s.auditDuty(ctx, tx, a, "duty_list_update", l)
	})
	return out, err
}

// PublishDutyList puts a draft in force (audited): new requests are
// suggested a dispatch under it from now on.
func (s *Service) PublishDutyList(ctx context.Context, a org.Actor, version int64) (*dutylist.Stored, error) {
	if !mayEditDuty(a) {
		return nil, errs.E(errs.Forbidden)
	}
	var out *dutylist.Stored
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		l, err := tx.DutyListVersion(ctx, version)
		if err != nil {
			return err
		}
		// the organisation may have changed since the draft was written
		if err := s.checkRules(DutyListInput{Name: l.Name, Rules: l.Rules}); err != nil {
			return err
		}
		now := s.Now()
		if err := tx.PublishDutyList(ctx, version, a.User.ID, now); err != nil {
			return err
		}
		l.Status, l.PublishedBy, l.PublishedAt, l.UpdatedAt = dutylist.Published, a.User.ID, now, now
		out = l
		return s.auditDuty(ctx, tx, a, "duty_list_publish", l)
	})
	if err != nil {
		return nil, err
	}
	return out, s.reloadDuty(ctx)
}

// DryRun re-routes the requests created in [from, to) under a version
// (usually a draft) and compares with the list in force: counts per old →
// new lead unit with sample case numbers, and how often each list agrees
// with the unit the request was finally dispatched to. Rules only: the
// history tie-breaker is not applied, so ambiguous requests are counted.
func (s *Service) DryRun(ctx context.Context, a org.Actor, version int64, from, to time.Time) (dutylist.DryRun, error) {
	if !mayReadDuty(a) {
		return dutylist.DryRun{}, errs.E(errs.Forbidden)
	}
	if !to.After(from) {
		return dutylist.DryRun{}, &errs.Error{Code: errs.Invalid, Field: "to", Detail: "to must be after from"}
	}
	draft, err := s.St.DutyListVersion(ctx, version)
	if err != nil {
		return dutylist.DryRun{}, err
	}
	var old dutylist.List
	pub, err := s.dutyList(ctx)
	if err != nil {
		return dutylist.DryRun{}, err
	}
	if pub != nil {
		old = pub.List
	}
	cs, err := s.St.CasesCreated(ctx, from, to, maxDryRunCases+1)
	if err != nil {
		return dutylist.DryRun{}, err
	}
	if len(cs) > maxDryRunCases {
		return dutylist.DryRun{}, &errs.Error{Code: errs.Invalid, Field: "from", Detail: fmt.Sprintf("more than %d requests in the range; shorten it", maxDryRunCases)}
	}
	dir := s.directory()
	rs := make([]dutylist.Routed, 0, len(cs))
	for _, c := range cs {
		if ctx.Err() != nil {
			return dutylist.DryRun{}, ctx.Err()
		}
		l := c.Location
		in := dutylist.Input{Category: c.Category, DistrictID: l.DistrictID, StreetID: l.StreetID, CommunityID: l.CommunityID, GridID: l.GridID, Text: c.Title + "\n" + c.Description}
		if err := s.withCompound(ctx, &in, l); err != nil {
			return dutylist.DryRun{}, err
		}
		rs = append(rs, dutylist.Routed{CaseID: c.ID, Number: c.Number, Actual: c.LeadUnitID, Old: dutylist.Decide(old, dir, in), New: dutylist.Decide(draft.List, dir, in)})
	}
	return dutylist.Diff(draft.Version, old.Version, rs, dir, 5), nil
}

// siblings returns the leaf categories sharing code's parent (code itself
// included); a top-level code has only itself.
func (s *Service) siblings(code string) []string {
	out := []string{code}
	parent := org.ParentCode(code)
	if parent == "" {
		return out
	}
	for c, cat := range s.CategoryMap() {
		if c != code && cat.Parent == parent && cat.Leaf {
			out = append(out, c)
		}
	}
	slices.Sort(out[1:])
	return out
}
