package demo

import (
	"slices"
	"testing"

	"whistle/internal/compound"
	"whistle/internal/dutylist"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

// The demo's compounds have property companies (and some owners'
// committees); the requests moved into them are found there by the
// compound rules, routed by the duty list to the compound's company, and
// were handled by it through the lifecycle.
func TestDemoProperty(t *testing.T) {
	ds, cases, _ := five(t)
	if n := len(ds.Compounds); n < 4 || n > 6 {
		t.Fatalf("%d compounds, want 4–6", n)
	}
	committees := 0
	for _, c := range ds.Compounds {
		if u := ds.Units[c.PropertyUnitID-1]; u.Kind != org.KindProperty {
			t.Fatalf("compound %s: property unit %s is a %s", c.Name, u.Name, u.Kind)
		}
		if c.CommitteeUnitID != 0 {
			committees++
			if u := ds.Units[c.CommitteeUnitID-1]; u.Kind != org.KindOwnersCommittee {
				t.Fatalf("compound %s: committee %s is a %s", c.Name, u.Name, u.Kind)
			}
		}
		if p := ds.Places[c.CommunityID-1]; p.Level != org.LevelCommunity {
			t.Fatalf("compound %s in a %s", c.Name, p.Level)
		}
		kinds := func(id int64) string { return ds.Units[id-1].Kind }
		isComm := func(id int64) bool { return ds.Places[id-1].Level == org.LevelCommunity }
		if ps := compound.Check(c, kinds, isComm); len(ps) != 0 {
			t.Fatalf("compound %s: %v", c.Name, ps)
		}
	}
	if committees < 1 || committees > 2 {
		t.Fatalf("%d owners' committees, want 1–2", committees)
	}
	ix := compound.NewIndex(ds.Compounds)
	dir := dutylist.NewDirectory(ds.Units)
	rules := dutylist.List{Version: 1, Rules: DutyRules()}
	byUnit := map[int64]int{}
	for _, c := range cases {
		if c.LeadUnitID == 0 || ds.Units[c.LeadUnitID-1].Kind != org.KindProperty {
			continue
		}
		byUnit[c.LeadUnitID]++
		l := c.Location
		m, ok, err := ix.Find(l.Lon, l.Lat, false, l.Address, l.CommunityID)
		if err != nil || !ok || m.By != compound.ByBoundary {
			t.Fatalf("case %s at %s is in no compound: %v", c.Number, l.Address, err)
		}
		in := dutylist.Input{Category: c.Category, DistrictID: l.DistrictID, StreetID: l.StreetID, CommunityID: l.CommunityID, GridID: l.GridID,
			CompoundID: m.Compound.ID, CompoundName: m.Compound.Name, PropertyUnitID: m.Compound.PropertyUnitID}
		// (an agent now and then files a sibling category: the lead stays)
		if d := dutylist.Decide(rules, dir, in); slices.Contains(PropertyCategories, c.Category) && d.LeadUnitID != c.LeadUnitID {
			t.Fatalf("case %s led by %d, the duty list says %d (%s)", c.Number, c.LeadUnitID, d.LeadUnitID, d.Reason)
		}
	}
	if len(byUnit) < 3 {
		t.Fatalf("property companies with orders: %v", byUnit)
	}
	closed := 0
	for _, c := range cases {
		if c.LeadUnitID != 0 && ds.Units[c.LeadUnitID-1].Kind == org.KindProperty && c.State == lifecycle.Closed && c.Satisfaction != "" {
			closed++
		}
	}
	if closed < 10 {
		t.Fatalf("%d property orders called back", closed)
	}
}
