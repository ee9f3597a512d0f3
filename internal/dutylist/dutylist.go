// Package dutylist is the duty list (职责清单) and dispatch catalogue (派单目录):
// versioned rule sets that map a request's category × place × words in its
// text to a lead unit and co-handling units, with the numbered rule given as
// the reason. It is pure: no SQL, no HTTP. The dispatch service loads a list
// from the store, builds a Directory from the organisation catalogue and
// calls Decide.
package dutylist

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"whistle/internal/org"
)

// Statuses of a duty list version.
const (
	Draft     = "draft"
	Published = "published" // the one in force is the latest published version
)

// Roles a target may name instead of a concrete unit.
const (
	RoleStreet         = "street"          // the street office (街道/乡镇) of the case's street
	RoleDistrictDept   = "district_dept"   // the department of the case's district with routing key Key
	RoleDistrictCentre = "district_centre" // the 12345 branch centre of the case's district (兜底)
	// RoleProperty is the property service company (物业服务企业) of the
	// managed compound (小区) the request is about. A rule whose lead is
	// RoleProperty marks its categories as property-serviceable: it
	// matches only a request inside a compound, and then as the most
	// specific place there is (a compound is smaller than a grid); outside
	// any compound the other rules decide as before.
	RoleProperty = "property"
)

// Target names a unit: a concrete one by code, or a role resolved against
// the case's place.
type Target struct {
	Unit string `json:"unit,omitempty"` // unit code, e.g. "city-gaj"
	Role string `json:"role,omitempty"` // RoleStreet, RoleDistrictDept, RoleDistrictCentre
	Key  string `json:"key,omitempty"`  // department key for RoleDistrictDept ("cgzf" matches code "d…-cgzf")
}

func (t Target) valid() bool {
	switch {
	case t.Unit != "":
		return t.Role == "" && t.Key == ""
	case t.Role == RoleStreet || t.Role == RoleDistrictCentre || t.Role == RoleProperty:
		return t.Key == ""
	case t.Role == RoleDistrictDept:
		return t.Key != ""
	}
	return false
}

// Rule is one numbered line of the catalogue.
type Rule struct {
	ID       int      `json:"id"`                 // rule number, unique in its list, shown in the reason
	Category string   `json:"category,omitempty"` // category code; "" = any
	Prefix   bool     `json:"prefix,omitempty"`   // Category matches itself and its descendants
	PlaceID  int64    `json:"place_id,omitempty"` // a district, street, community or grid; 0 = anywhere
	Keywords []string `json:"keywords,omitempty"` // any one of them in the text; none = no text condition
	Lead     Target   `json:"lead"`
	Co       []Target `json:"co,omitempty"`
	Priority int      `json:"priority,omitempty"` // breaks ties between equally specific rules (higher wins)
	Label    string   `json:"label,omitempty"`    // what the rule is about, e.g. "占道经营"
}

// List is a version of the catalogue.
type List struct {
	Version int64  `json:"version"`
	Name    string `json:"name"`
	Status  string `json:"status"`
	Rules   []Rule `json:"rules"`
}

// Problem is one thing wrong with a list.
type Problem struct {
	RuleID int    `json:"rule_id"`
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// Validate checks a list against the organisation: rule numbers unique and
// positive, categories known, places known, unit codes known, targets
// well formed. isCategory and isPlace may be nil (not checked).
func Validate(rules []Rule, units []org.Unit, isCategory func(string) bool, isPlace func(int64) bool) []Problem {
	var out []Problem
	codes := map[string]bool{}
	for _, u := range units {
		codes[u.Code] = true
	}
	seen := map[int]bool{}
	target := func(id int, field string, t Target) {
		if !t.valid() {
			out = append(out, Problem{id, field, "a target names either a unit code, or role street/district_centre/property, or role district_dept with a key"})
		} else if t.Unit != "" && !codes[t.Unit] {
			out = append(out, Problem{id, field, fmt.Sprintf("unknown unit code %q", t.Unit)})
		}
	}
	for _, r := range rules {
		if r.ID <= 0 {
			out = append(out, Problem{r.ID, "id", "rule numbers are positive"})
		} else if seen[r.ID] {
			out = append(out, Problem{r.ID, "id", "duplicate rule number"})
		}
		seen[r.ID] = true
		if r.Category != "" && isCategory != nil && !isCategory(r.Category) {
			out = append(out, Problem{r.ID, "category", fmt.Sprintf("unknown category %q", r.Category)})
		}
		if r.PlaceID != 0 && isPlace != nil && !isPlace(r.PlaceID) {
			out = append(out, Problem{r.ID, "place_id", fmt.Sprintf("unknown place %d", r.PlaceID)})
		}
		for _, k := range r.Keywords {
			if strings.TrimSpace(k) == "" {
				out = append(out, Problem{r.ID, "keywords", "empty keyword"})
			}
		}
		target(r.ID, "lead", r.Lead)
		for _, c := range r.Co {
			target(r.ID, "co", c)
		}
	}
	return out
}

// Input is what a request offers to routing.
type Input struct {
	Category    string
	DistrictID  int64
	StreetID    int64
	CommunityID int64
	GridID      int64
	Text        string
	// The managed compound (小区) the request is about (0 = none) and its
	// property service company, as the compound index found them.
	CompoundID     int64
	CompoundName   string
	PropertyUnitID int64
}

// Directory resolves targets: the units of the organisation.
type Directory struct {
	byCode map[string]org.Unit
	byID   map[int64]org.Unit
	units  []org.Unit
}

// NewDirectory indexes units.
func NewDirectory(units []org.Unit) *Directory {
	d := &Directory{byCode: map[string]org.Unit{}, byID: map[int64]org.Unit{}, units: units}
	for _, u := range units {
		d.byCode[u.Code] = u
		d.byID[u.ID] = u
	}
	return d
}

// Unit returns a unit by id.
func (d *Directory) Unit(id int64) (org.Unit, bool) { u, ok := d.byID[id]; return u, ok }

// Resolve turns a target into a unit for a request at in's places.
func (d *Directory) Resolve(t Target, in Input) (org.Unit, bool) {
	switch {
	case t.Unit != "":
		u, ok := d.byCode[t.Unit]
		return u, ok
	case t.Role == RoleStreet && in.StreetID != 0:
		return d.find(func(u org.Unit) bool { return u.Kind == org.KindStreet && u.PlaceID == in.StreetID })
	case t.Role == RoleDistrictCentre && in.DistrictID != 0:
		return d.find(func(u org.Unit) bool { return u.Kind == org.KindDistrictCentre && u.PlaceID == in.DistrictID })
	case t.Role == RoleProperty && in.PropertyUnitID != 0:
		return d.find(func(u org.Unit) bool { return u.ID == in.PropertyUnitID && u.Kind == org.KindProperty })
	case t.Role == RoleDistrictDept && in.DistrictID != 0:
		return d.find(func(u org.Unit) bool {
			return u.Kind == org.KindDepartment && u.PlaceID == in.DistrictID && strings.HasSuffix(u.Code, "-"+t.Key)
		})
	}
	return org.Unit{}, false
}

func (d *Directory) find(f func(org.Unit) bool) (org.Unit, bool) {
	for _, u := range d.units {
		if f(u) {
			return u, true
		}
	}
	return org.Unit{}, false
}

// Specificity says how closely a rule fits a request. Compared in order:
// category (exact leaf beats a longer prefix beats a shorter prefix beats
// any), then place (grid > community > street > district > anywhere), then
// keywords (a matched keyword beats none).
type Specificity struct {
	Category int `json:"category"` // 0 any, n = prefix of n segments, 100 = exact
	Place    int `json:"place"`    // 0 anywhere, 1 district … 4 grid, 5 compound (a RoleProperty lead)
	Keyword  int `json:"keyword"`  // 1 when a keyword matched
}

// Compare orders specificities (more specific is greater).
func (s Specificity) Compare(o Specificity) int {
	if c := cmp.Compare(s.Category, o.Category); c != 0 {
		return c
	}
	if c := cmp.Compare(s.Place, o.Place); c != 0 {
		return c
	}
	return cmp.Compare(s.Keyword, o.Keyword)
}

// PlaceCompound is the place specificity of a rule led by the compound's
// property company: more specific than a grid.
const PlaceCompound = 5

// match reports whether r applies to in and how specifically.
func match(r Rule, in Input) (Specificity, string, bool) {
	var sp Specificity
	switch {
	case r.Category == "":
	case r.Category == in.Category:
		sp.Category = 100
		if r.Prefix {
			sp.Category = strings.Count(r.Category, ".") + 1
		}
	case r.Prefix && strings.HasPrefix(in.Category, r.Category+"."):
		sp.Category = strings.Count(r.Category, ".") + 1
	default:
		return sp, "", false
	}
	if r.PlaceID != 0 {
		switch r.PlaceID {
		case in.GridID:
			sp.Place = 4
		case in.CommunityID:
			sp.Place = 3
		case in.StreetID:
			sp.Place = 2
		case in.DistrictID:
			sp.Place = 1
		default:
			return sp, "", false
		}
	}
	if r.Lead.Role == RoleProperty {
		if in.PropertyUnitID == 0 {
			return sp, "", false
		}
		sp.Place = PlaceCompound
	}
	var kw string
	if len(r.Keywords) > 0 {
		for _, k := range r.Keywords {
			if k != "" && strings.Contains(in.Text, k) {
				kw = k
				break
			}
		}
		if kw == "" {
			return sp, "", false
		}
		sp.Keyword = 1
	}
	return sp, kw, true
}

// Codes of Why: what a reason says, for pages to put into the reader's
// language (Reason keeps the Chinese words on record).
const (
	WhyRule     = "rule"      // a rule matched: Rule, Label or Category (+Prefix), Keyword, Lead, Co
	WhyNoMatch  = "no_match"  // no rule matched: dispatch by hand
	WhyNoList   = "no_list"   // no duty list is published: dispatch by hand
	WhyTieBreak = "tie_break" // an ambiguity broken by history: Days, Counts
)

// Why is a routing reason as a code with its arguments. Label and Keyword
// are the rule's own text (data); units are ids, categories codes.
type Why struct {
	Code     string      `json:"code"`
	Rule     int         `json:"rule,omitempty"`
	Label    string      `json:"label,omitempty"`
	Category string      `json:"category,omitempty"` // "" (and no label): any category
	Prefix   bool        `json:"prefix,omitempty"`
	Keyword  string      `json:"keyword,omitempty"`
	Lead     int64       `json:"lead_unit_id,omitempty"`
	Co       []int64     `json:"co_unit_ids,omitempty"`
	Days     int         `json:"days,omitempty"`
	Counts   []UnitCount `json:"counts,omitempty"`
}

// UnitCount is a unit's number of cases (a tie broken by history).
type UnitCount struct {
	UnitID int64 `json:"unit_id"`
	Count  int   `json:"count"`
}

// Candidate is a matching rule with its resolved units.
type Candidate struct {
	RuleID      int         `json:"rule_id"`
	LeadUnitID  int64       `json:"lead_unit_id"`
	LeadName    string      `json:"lead_name"`
	CoUnitIDs   []int64     `json:"co_unit_ids,omitempty"`
	Priority    int         `json:"priority"`
	Specificity Specificity `json:"specificity"`
	Keyword     string      `json:"keyword,omitempty"`
	Reason      string      `json:"reason"`
	Why         Why         `json:"why"`
}

// Decision is routing's answer for one request.
type Decision struct {
	Version    int64       `json:"version"`
	Matched    bool        `json:"matched"`
	RuleID     int         `json:"rule_id,omitempty"`
	LeadUnitID int64       `json:"lead_unit_id,omitempty"`
	CoUnitIDs  []int64     `json:"co_unit_ids,omitempty"`
	Reason     string      `json:"reason"`
	Ambiguous  bool        `json:"ambiguous"`
	Competing  []Candidate `json:"competing,omitempty"` // the equally specific, equally prior rules naming other lead units
	TieBreak   string      `json:"tie_break,omitempty"` // how an ambiguity was broken, if it was
	Why        Why         `json:"why"`                 // Reason as a code with arguments
	TieWhy     *Why        `json:"tie_break_why,omitempty"`
	Skipped    []int       `json:"skipped,omitempty"` // matching rules whose lead unit does not exist for this place
}

// Decide routes in under the list. The most specific matching rule wins;
// among equally specific ones the higher priority, then the lowest rule
// number. When another equally specific rule of the same priority names a
// different lead unit the decision is ambiguous and lists them in Competing
// (the winner by rule number stays the default answer).
func Decide(l List, dir *Directory, in Input) Decision {
	d := Decision{Version: l.Version}
	var cands []Candidate
	for _, r := range l.Rules {
		sp, kw, ok := match(r, in)
		if !ok {
			continue
		}
		lead, ok := dir.Resolve(r.Lead, in)
		if !ok {
			d.Skipped = append(d.Skipped, r.ID)
			continue
		}
		c := Candidate{RuleID: r.ID, LeadUnitID: lead.ID, LeadName: lead.Name, Priority: r.Priority, Specificity: sp, Keyword: kw}
		var coNames []string
		for _, t := range r.Co {
			if u, ok := dir.Resolve(t, in); ok && u.ID != lead.ID && !slices.Contains(c.CoUnitIDs, u.ID) {
				c.CoUnitIDs = append(c.CoUnitIDs, u.ID)
				coNames = append(coNames, u.Name+"协办")
			}
		}
		c.Reason = reason(r, lead.Name, coNames, kw)
		if r.Lead.Role == RoleProperty && in.CompoundName != "" {
			c.Reason += "（" + in.CompoundName + "）"
		}
		c.Why = Why{Code: WhyRule, Rule: r.ID, Label: r.Label, Category: r.Category, Prefix: r.Prefix, Keyword: kw, Lead: lead.ID, Co: c.CoUnitIDs}
		cands = append(cands, c)
	}
	if len(cands) == 0 {
		d.Reason = "无匹配规则，请人工派单"
		d.Why = Why{Code: WhyNoMatch}
		return d
	}
	slices.SortStableFunc(cands, func(a, b Candidate) int {
		if c := b.Specificity.Compare(a.Specificity); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Priority, a.Priority); c != 0 {
			return c
		}
		return cmp.Compare(a.RuleID, b.RuleID)
	})
	w := cands[0]
	d.Matched, d.RuleID, d.LeadUnitID, d.CoUnitIDs, d.Reason, d.Why = true, w.RuleID, w.LeadUnitID, w.CoUnitIDs, w.Reason, w.Why
	for _, c := range cands[1:] {
		if c.Specificity.Compare(w.Specificity) != 0 || c.Priority != w.Priority {
			break
		}
		if c.LeadUnitID != w.LeadUnitID && !slices.ContainsFunc(d.Competing, func(x Candidate) bool { return x.LeadUnitID == c.LeadUnitID }) {
			d.Competing = append(d.Competing, c)
		}
	}
	if len(d.Competing) > 0 {
		d.Ambiguous = true
		d.Competing = append([]Candidate{w}, d.Competing...)
	}
	return d
}

// Choose makes the candidate with lead unit id the decision (after a tie
// was broken), keeping the ambiguity on record.
func (d *Decision) Choose(unitID int64, how string) bool {
	for _, c := range d.Competing {
		if c.LeadUnitID == unitID {
			d.RuleID, d.LeadUnitID, d.CoUnitIDs, d.Reason, d.Why, d.TieBreak = c.RuleID, c.LeadUnitID, c.CoUnitIDs, c.Reason, c.Why, how
			return true
		}
	}
	return false
}

func reason(r Rule, lead string, co []string, kw string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "规则 %d: ", r.ID)
	if r.Label != "" {
		b.WriteString(r.Label)
	} else if r.Category != "" {
		b.WriteString(r.Category)
		if r.Prefix {
			b.WriteString(".*")
		}
	} else {
		b.WriteString("任意分类")
	}
	if kw != "" {
		fmt.Fprintf(&b, "（含“%s”）", kw)
	}
	b.WriteString(" → ")
	b.WriteString(lead)
	for _, c := range co {
		b.WriteString(", ")
		b.WriteString(c)
	}
	return b.String()
}

// Routed is one past request routed under two lists (for a dry run).
type Routed struct {
	CaseID  int64
	Number  string
	Actual  int64 // the lead unit it was finally dispatched to (0 = never dispatched)
	Old     Decision
	New     Decision
	Summary string // title, for samples
}

// Transition is a count of requests whose lead unit would change from From to To.
type Transition struct {
	From     int64    `json:"from_unit_id"`
	FromName string   `json:"from_unit"`
	To       int64    `json:"to_unit_id"`
	ToName   string   `json:"to_unit"`
	Count    int      `json:"count"`
	Samples  []string `json:"samples"` // case numbers
}

// DryRun is what a draft list would change over past requests.
type DryRun struct {
	Draft          int64        `json:"draft_version"`
	Against        int64        `json:"against_version"` // the published list compared with (0 = none)
	Cases          int          `json:"cases"`
	Changed        int          `json:"changed"`
	Unmatched      int          `json:"unmatched"` // requests the draft has no rule for
	Ambiguous      int          `json:"ambiguous"`
	Dispatched     int          `json:"dispatched"`      // requests with a final lead unit
	AgreeOld       int          `json:"agree_published"` // published list's lead = final lead unit
	AgreeNew       int          `json:"agree_draft"`     // draft's lead = final lead unit
	Transitions    []Transition `json:"transitions"`
	SamplesPerPair int          `json:"samples_per_pair"`
}

// Diff summarises routed requests: counts per old → new lead unit (most
// frequent first) with up to samples case numbers each.
func Diff(draft, against int64, rs []Routed, dir *Directory, samples int) DryRun {
	out := DryRun{Draft: draft, Against: against, Cases: len(rs), SamplesPerPair: samples, Transitions: []Transition{}}
	idx := map[[2]int64]int{}
	name := func(id int64) string {
		if u, ok := dir.Unit(id); ok {
			return u.Name
		}
		if id == 0 {
			return "（无）"
		}
		return fmt.Sprint(id)
	}
	for _, r := range rs {
		if !r.New.Matched {
			out.Unmatched++
		}
		if r.New.Ambiguous {
			out.Ambiguous++
		}
		if r.Actual != 0 {
			out.Dispatched++
			if r.Old.LeadUnitID == r.Actual {
				out.AgreeOld++
			}
			if r.New.LeadUnitID == r.Actual {
				out.AgreeNew++
			}
		}
		if r.Old.LeadUnitID == r.New.LeadUnitID {
			continue
		}
		out.Changed++
		k := [2]int64{r.Old.LeadUnitID, r.New.LeadUnitID}
		i, ok := idx[k]
		if !ok {
			i = len(out.Transitions)
			idx[k] = i
			out.Transitions = append(out.Transitions, Transition{From: k[0], FromName: name(k[0]), To: k[1], ToName: name(k[1]), Samples: []string{}})
		}
		t := &out.Transitions[i]
		t.Count++
		if len(t.Samples) < samples {
			t.Samples = append(t.Samples, r.Number)
		}
	}
	slices.SortStableFunc(out.Transitions, func(a, b Transition) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		if c := cmp.Compare(a.From, b.From); c != 0 {
			return c
		}
		return cmp.Compare(a.To, b.To)
	})
	return out
}
