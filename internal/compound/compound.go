// Package compound is the managed residential compound (小区) as pure rules:
// a compound has a name, an address, a boundary polygon and/or a list of
// address aliases, the community it sits in, its property service company
// (物业服务企业) and optionally its owners' committee (业主委员会). Match
// finds the compound a request is about — by point in polygon (package geo)
// or, without a point inside any boundary, by the longest alias the address
// contains — and the property ratings residents give (1–5, one per phone
// per quarter) are checked here. No SQL, no HTTP.
package compound

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"whistle/internal/geo"
)

// Compound is one managed compound.
type Compound struct {
	ID              int64     `json:"id"`
	Name            string    `json:"name"`
	Address         string    `json:"address,omitempty"`
	Aliases         []string  `json:"aliases,omitempty"`  // other address strings that name it (楼号 not needed: a contained alias matches)
	Boundary        string    `json:"boundary,omitempty"` // GeoJSON Polygon or MultiPolygon (may be empty)
	CommunityID     int64     `json:"community_id"`
	PropertyUnitID  int64     `json:"property_unit_id"`            // 物业服务企业
	CommitteeUnitID int64     `json:"committee_unit_id,omitempty"` // 业主委员会 (0 = none)
	Active          bool      `json:"active"`
	UpdatedAt       time.Time `json:"updated_at,omitzero"`
}

// Problem is one thing wrong with a compound.
type Problem struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

func (p Problem) Error() string { return p.Field + ": " + p.Detail }

// Limits of the fields.
const (
	MaxName    = 100
	MaxAddress = 200
	MaxAliases = 50
	MinAlias   = 2 // runes: shorter aliases would match too much
)

// Check validates c against the organisation: a name, a community, a
// property company of kind property, an owners' committee (if any) of kind
// owners_committee, a boundary that parses and aliases of sensible length.
// kindOf returns a unit's kind ("" = unknown); isCommunity reports whether a
// place is a community.
func Check(c Compound, kindOf func(int64) string, isCommunity func(int64) bool) []Problem {
	var out []Problem
	add := func(f, d string) { out = append(out, Problem{f, d}) }
	switch n := []rune(strings.TrimSpace(c.Name)); {
	case len(n) == 0:
		add("name", "required")
	case len(n) > MaxName:
		add("name", fmt.Sprintf("at most %d characters", MaxName))
	}
	if len([]rune(c.Address)) > MaxAddress {
		add("address", fmt.Sprintf("at most %d characters", MaxAddress))
	}
	if c.CommunityID == 0 || (isCommunity != nil && !isCommunity(c.CommunityID)) {
		add("community_id", "a community is required")
	}
	if c.PropertyUnitID == 0 || kindOf(c.PropertyUnitID) != KindProperty {
		add("property_unit_id", "a property service company unit is required")
	}
	if c.CommitteeUnitID != 0 && kindOf(c.CommitteeUnitID) != KindOwnersCommittee {
		add("committee_unit_id", "not an owners' committee unit")
	}
	if len(c.Aliases) > MaxAliases {
		add("aliases", fmt.Sprintf("at most %d aliases", MaxAliases))
	}
	for _, a := range c.Aliases {
		if n := len([]rune(Normalize(a))); n < MinAlias || n > MaxName {
			add("aliases", fmt.Sprintf("alias %q: between %d and %d characters", a, MinAlias, MaxName))
		}
	}
	if strings.TrimSpace(c.Boundary) != "" {
		if _, err := geo.Parse(c.Boundary); err != nil {
			add("boundary", err.Error())
		}
	}
	if strings.TrimSpace(c.Boundary) == "" && len(c.Aliases) == 0 && Normalize(c.Name) == "" {
		add("boundary", "a boundary or an alias is required")
	}
	return out
}

// Unit kinds a compound refers to (the same strings as org.KindProperty and
// org.KindOwnersCommittee; repeated so that the rule reads alone).
const (
	KindProperty        = "property"
	KindOwnersCommittee = "owners_committee"
)

// Normalize prepares an address or alias for matching: spaces and
// punctuation removed, full-width digits and letters folded, lower case.
func Normalize(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '０' && r <= '９':
			r = r - '０' + '0'
		case r >= 'Ａ' && r <= 'Ｚ':
			r = r - 'Ａ' + 'a'
		case r >= 'ａ' && r <= 'ｚ':
			r = r - 'ａ' + 'a'
		}
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// How a request was matched to a compound.
const (
	ByBoundary = "boundary" // the point lies inside the compound's polygon
	ByAlias    = "alias"    // the address contains one of its names
)

// Match is the compound a request is about.
type Match struct {
	Compound Compound `json:"compound"`
	By       string   `json:"by"`              // ByBoundary or ByAlias
	Alias    string   `json:"alias,omitempty"` // the name found in the address
}

// Index finds compounds by point and by address. It is immutable after
// NewIndex and safe for concurrent use.
type Index struct {
	byID    map[int64]Compound
	shapes  *geo.Index
	aliases []alias // longest first
}

type alias struct {
	norm string
	text string
	id   int64
}

// NewIndex indexes the active compounds; a boundary that does not parse is
// left out (Check refuses it before it is stored).
func NewIndex(cs []Compound) *Index {
	ix := &Index{byID: map[int64]Compound{}}
	var items []geo.Item
	for _, c := range cs {
		if !c.Active {
			continue
		}
		ix.byID[c.ID] = c
		if strings.TrimSpace(c.Boundary) != "" {
			if sh, err := geo.Parse(c.Boundary); err == nil {
				items = append(items, geo.Item{ID: c.ID, Shape: sh})
			}
		}
		for _, a := range append([]string{c.Name}, c.Aliases...) {
			if n := Normalize(a); len([]rune(n)) >= MinAlias {
				ix.aliases = append(ix.aliases, alias{norm: n, text: a, id: c.ID})
			}
		}
	}
	ix.shapes = geo.NewIndex(items)
	slices.SortStableFunc(ix.aliases, func(a, b alias) int {
		if c := cmp.Compare(len(b.norm), len(a.norm)); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	return ix
}

// Len returns the number of indexed (active) compounds.
func (ix *Index) Len() int { return len(ix.byID) }

// Get returns an indexed compound.
func (ix *Index) Get(id int64) (Compound, bool) { c, ok := ix.byID[id]; return c, ok }

// ErrAmbiguous: the address names two compounds equally well.
var ErrAmbiguous = errors.New("compound: the address matches several compounds")

// Find returns the compound of a request: the one whose boundary contains
// the point (lon, lat) when a point is given and some boundary holds it
// (the geo index's border rule: lowest id on a shared border); otherwise
// the one with the longest alias the address contains. Two compounds with
// equally long aliases in the address are ambiguous — unless only one of
// them lies in communityID (the request's community, 0 = unknown). An
// approximate point (a representative point of a place) is not trusted
// over the address: pass approx = true to try the address first.
func (ix *Index) Find(lon, lat *float64, approx bool, address string, communityID int64) (Match, bool, error) {
	byPoint := func() (Match, bool) {
		if lon == nil || lat == nil {
			return Match{}, false
		}
		if id, ok := ix.shapes.Lookup(*lon, *lat); ok {
			return Match{Compound: ix.byID[id], By: ByBoundary}, true
		}
		return Match{}, false
	}
	if !approx {
		if m, ok := byPoint(); ok {
			return m, true, nil
		}
	}
	m, ok, err := ix.byAddress(address, communityID)
	if ok || err != nil {
		return m, ok, err
	}
	if approx {
		if m, ok := byPoint(); ok {
			return m, true, nil
		}
	}
	return Match{}, false, nil
}

func (ix *Index) byAddress(address string, communityID int64) (Match, bool, error) {
	addr := Normalize(address)
	if addr == "" {
		return Match{}, false, nil
	}
	var hits []alias
	for _, a := range ix.aliases {
		if len(hits) > 0 && len(a.norm) < len(hits[0].norm) {
			break
		}
		if strings.Contains(addr, a.norm) && !slices.ContainsFunc(hits, func(h alias) bool { return h.id == a.id }) {
			hits = append(hits, a)
		}
	}
	switch {
	case len(hits) == 0:
		return Match{}, false, nil
	case len(hits) > 1 && communityID != 0:
		in := slices.DeleteFunc(slices.Clone(hits), func(h alias) bool { return ix.byID[h.id].CommunityID != communityID })
		if len(in) == 1 {
			hits = in
		}
	}
	if len(hits) > 1 {
		return Match{}, false, ErrAmbiguous
	}
	return Match{Compound: ix.byID[hits[0].id], By: ByAlias, Alias: hits[0].text}, true, nil
}

// Rating is a resident's rating of the property company of a compound.
type Rating struct {
	ID          int64     `json:"id"`
	CompoundID  int64     `json:"compound_id"`
	UnitID      int64     `json:"unit_id"` // the property company rated (the compound's at the time)
	Score       int       `json:"score"`   // 1–5
	Comment     string    `json:"comment,omitempty"`
	PhoneHash   string    `json:"-"`
	Quarter     string    `json:"quarter"` // YYYY-Qn in the city's time zone
	CreatedAt   time.Time `json:"created_at"`
	CommunityID int64     `json:"community_id,omitempty"`
}

// MaxComment is the longest comment a rating keeps.
const MaxComment = 500

// Quarter is the calendar quarter holding t in loc, as YYYY-Qn.
func Quarter(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	return fmt.Sprintf("%04d-Q%d", t.Year(), (int(t.Month())-1)/3+1)
}

// CheckRating validates a rating's score and comment.
func CheckRating(score int, comment string) []Problem {
	var out []Problem
	if score < 1 || score > 5 {
		out = append(out, Problem{"score", "between 1 and 5"})
	}
	if len([]rune(comment)) > MaxComment {
		out = append(out, Problem{"comment", fmt.Sprintf("at most %d characters", MaxComment)})
	}
	return out
}

// RatingSummary is a property company's ratings over a period.
type RatingSummary struct {
	UnitID int64    `json:"unit_id"`
	Count  int64    `json:"count"`
	Sum    int64    `json:"sum"`
	Mean   *float64 `json:"mean"` // nil without ratings; rounded to 2 decimals
	ByStar [5]int64 `json:"by_star"`
}

// Summarize fills Mean from Count and Sum.
func (r *RatingSummary) Summarize() {
	if r.Count == 0 {
		r.Mean = nil
		return
	}
	v := float64(r.Sum) / float64(r.Count)
	v = float64(int64(v*100+0.5)) / 100
	r.Mean = &v
}
