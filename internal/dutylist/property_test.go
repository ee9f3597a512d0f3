package dutylist

import (
	"slices"
	"strings"
	"testing"

	"whistle/internal/org"
)

// The property rule (物业): a category the duty list leads to RoleProperty
// goes to the compound's property company when the request is inside a
// compound, and is decided by the other rules outside any compound.
func TestPropertyRule(t *testing.T) {
	us := append(slices.Clone(units),
		org.Unit{ID: 60, Code: "wy-cuihu", Name: "翠湖物业", Kind: org.KindProperty, SupervisorID: 10},
		org.Unit{ID: 61, Code: "yw-cuihu", Name: "翠湖业委会", Kind: org.KindOwnersCommittee},
	)
	dir := NewDirectory(us)
	prop := Target{Role: RoleProperty}
	l := List{Version: 7, Rules: []Rule{
		{ID: 1, Lead: Target{Role: RoleDistrictCentre}, Label: "兜底"},
		{ID: 10, Category: "urban", Prefix: true, Lead: street, Label: "市容环境"},
		{ID: 20, Category: "urban", Prefix: true, PlaceID: 1000, Lead: cgzf, Label: "网格专项"},
		{ID: 600, Category: "property", Prefix: true, Lead: prop, Label: "物业服务"},
		{ID: 601, Category: "property", Prefix: true, Lead: street, Label: "物业（无物业小区）"},
		{ID: 602, Category: "urban.garbage", Lead: prop, Label: "小区垃圾"},
		{ID: 603, Category: "property.elevator", Lead: Target{Unit: "da-scjg"}, Label: "电梯安全"},
		{ID: 604, Category: "urban.dog", Lead: Target{Role: RoleProperty}, Keywords: []string{"小区内"}, Label: "小区内犬只"},
	}}
	inside := func(in Input) Input {
		in.CompoundID, in.CompoundName, in.PropertyUnitID = 9, "翠湖家园", 60
		return in
	}
	for _, tc := range []struct {
		name     string
		in       Input
		lead     int64
		rule     int
		reason   string
		skipped  []int
		ambiguos bool
	}{
		{name: "property category inside a compound", in: inside(Input{Category: "property.repair", DistrictID: 1, StreetID: 10, CommunityID: 100}), lead: 60, rule: 600, reason: "（翠湖家园）"},
		{name: "property category outside any compound", in: Input{Category: "property.repair", DistrictID: 1, StreetID: 10}, lead: 10, rule: 601},
		{name: "compound beats a grid-specific rule", in: inside(Input{Category: "urban.garbage", DistrictID: 1, StreetID: 10, CommunityID: 100, GridID: 1000}), lead: 60, rule: 602},
		{name: "a category not marked stays with the street", in: inside(Input{Category: "urban.stall", DistrictID: 1, StreetID: 10}), lead: 10, rule: 10},
		{name: "a more specific category beats the compound", in: inside(Input{Category: "property.elevator", DistrictID: 1, StreetID: 10}), lead: 42, rule: 603},
		{name: "keyword condition still applies inside", in: inside(Input{Category: "urban.dog", DistrictID: 1, StreetID: 10, Text: "小区内遛狗不拴绳"}), lead: 60, rule: 604},
		{name: "keyword missing inside", in: inside(Input{Category: "urban.dog", DistrictID: 1, StreetID: 10, Text: "路边遛狗"}), lead: 10, rule: 10},
		{name: "unit that is not a property company never resolves", in: Input{Category: "property.repair", DistrictID: 1, StreetID: 10, CompoundID: 9, PropertyUnitID: 61}, lead: 10, rule: 601, skipped: []int{600}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(l, dir, tc.in)
			if !d.Matched || d.LeadUnitID != tc.lead || d.RuleID != tc.rule || d.Ambiguous != tc.ambiguos {
				t.Fatalf("decision %+v, want lead %d by rule %d", d, tc.lead, tc.rule)
			}
			if !strings.Contains(d.Reason, tc.reason) {
				t.Fatalf("reason %q lacks %q", d.Reason, tc.reason)
			}
			if !slices.Equal(d.Skipped, tc.skipped) {
				t.Fatalf("skipped %v, want %v", d.Skipped, tc.skipped)
			}
		})
	}
	if ps := Validate(l.Rules, us, nil, nil); len(ps) != 0 {
		t.Fatalf("valid list refused: %v", ps)
	}
	if ps := Validate([]Rule{{ID: 1, Lead: Target{Role: RoleProperty, Key: "x"}}}, us, nil, nil); len(ps) != 1 {
		t.Fatalf("property target with a key: %v", ps)
	}
}
