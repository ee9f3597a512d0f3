package dutylist

import (
	"slices"
	"strings"
	"testing"

	"whistle/internal/org"
)

// A small city: district 1 with streets 10 and 11 (community 100 in street
// 10, grid 1000 in community 100); district 2 with street 20.
var units = []org.Unit{
	{ID: 1, Code: "jc12345", Name: "市中心", Kind: org.KindCityCentre},
	{ID: 2, Code: "dc-a", Name: "A区分中心", Kind: org.KindDistrictCentre, PlaceID: 1},
	{ID: 3, Code: "dc-b", Name: "B区分中心", Kind: org.KindDistrictCentre, PlaceID: 2},
	{ID: 10, Code: "st-a1", Name: "一街道", Kind: org.KindStreet, PlaceID: 10},
	{ID: 11, Code: "st-a2", Name: "二街道", Kind: org.KindStreet, PlaceID: 11},
	{ID: 20, Code: "st-b1", Name: "三街道", Kind: org.KindStreet, PlaceID: 20},
	{ID: 30, Code: "city-gaj", Name: "市公安局", Kind: org.KindDepartment},
	{ID: 31, Code: "city-jtw", Name: "市交通委", Kind: org.KindDepartment},
	{ID: 40, Code: "da-cgzf", Name: "A区城管执法局", Kind: org.KindDepartment, PlaceID: 1},
	{ID: 41, Code: "db-cgzf", Name: "B区城管执法局", Kind: org.KindDepartment, PlaceID: 2},
	{ID: 42, Code: "da-scjg", Name: "A区市场监管局", Kind: org.KindDepartment, PlaceID: 1},
	{ID: 50, Code: "ent-water", Name: "自来水集团", Kind: org.KindEnterprise},
}

var (
	street = Target{Role: RoleStreet}
	cgzf   = Target{Role: RoleDistrictDept, Key: "cgzf"}
)

var list = List{Version: 3, Rules: []Rule{
	{ID: 1, Category: "", Lead: Target{Role: RoleDistrictCentre}, Label: "兜底"},
	{ID: 10, Category: "urban", Prefix: true, Lead: street, Label: "市容环境"},
	{ID: 112, Category: "urban.stall", Lead: street, Co: []Target{cgzf}, Label: "占道经营"},
	{ID: 113, Category: "urban.stall", PlaceID: 11, Lead: cgzf, Label: "占道经营（二街道）"},
	{ID: 114, Category: "urban.stall", PlaceID: 11, Keywords: []string{"早市", "夜市"}, Lead: Target{Unit: "da-scjg"}, Label: "早夜市"},
	{ID: 200, Category: "traffic.bike", Lead: Target{Unit: "city-jtw"}},
	{ID: 201, Category: "traffic.bike", Lead: Target{Unit: "city-gaj"}},
	{ID: 202, Category: "traffic.bike", Lead: Target{Unit: "city-jtw"}, Co: []Target{street}},
	{ID: 300, Category: "water.outage", Lead: Target{Unit: "ent-water"}, Priority: 1},
	{ID: 301, Category: "water.outage", Lead: street},
	{ID: 400, Category: "noise.night", Lead: street, Co: []Target{cgzf, street}},
	{ID: 401, Category: "noise.night", Keywords: []string{"施工"}, Lead: cgzf, Co: []Target{street}},
	{ID: 500, Category: "police", Prefix: true, Lead: Target{Unit: "city-gaj"}},
	{ID: 501, Category: "police", Prefix: true, PlaceID: 2, Lead: Target{Unit: "city-jtw"}},
}}

func at(street int64) Input {
	switch street {
	case 10:
		return Input{DistrictID: 1, StreetID: 10, CommunityID: 100, GridID: 1000}
	case 11:
		return Input{DistrictID: 1, StreetID: 11}
	case 20:
		return Input{DistrictID: 2, StreetID: 20}
	}
	return Input{}
}

func TestDecide(t *testing.T) {
	dir := NewDirectory(units)
	in := func(cat string, street int64, text string) Input {
		i := at(street)
		i.Category, i.Text = cat, text
		return i
	}
	tests := []struct {
		name      string
		in        Input
		rule      int
		lead      int64
		co        []int64
		ambiguous bool
		competing []int // rule ids, winner first
		reason    string
	}{
		{"exact beats prefix", in("urban.stall", 10, "门口摆摊"), 112, 10, []int64{40}, false, nil, "规则 112: 占道经营 → 一街道, A区城管执法局协办"},
		{"prefix beats any", in("urban.litter", 10, "垃圾"), 10, 10, nil, false, nil, "规则 10: 市容环境 → 一街道"},
		{"catch-all when nothing else", in("health.clinic", 20, "看病"), 1, 3, nil, false, nil, "规则 1: 兜底 → B区分中心"},
		{"place beats no place", in("urban.stall", 11, "门口摆摊"), 113, 40, nil, false, nil, ""},
		{"keyword+place+exact beats place+exact", in("urban.stall", 11, "小区门口早市占道"), 114, 42, nil, false, nil, "规则 114: 早夜市（含“早市”） → A区市场监管局"},
		{"keyword outside its place does not apply", in("urban.stall", 10, "小区门口早市占道"), 112, 10, []int64{40}, false, nil, ""},
		{"role resolves in the case's district", in("urban.stall", 20, "摆摊"), 112, 20, []int64{41}, false, nil, ""},
		{"tie → lowest rule number, ambiguous", in("traffic.bike", 10, "共享单车乱停"), 200, 31, nil, true, []int{200, 201}, ""},
		{"priority breaks a tie, not ambiguous", in("water.outage", 10, "停水"), 300, 50, nil, false, nil, ""},
		{"keyword rule beats plain on same category", in("noise.night", 10, "夜间施工噪音"), 401, 40, []int64{10}, false, nil, ""},
		{"co-handler equal to lead and repeats dropped", in("noise.night", 10, "楼上噪音"), 400, 10, []int64{40}, false, nil, ""},
		{"deeper prefix place rule", in("police.dog", 20, "遛狗不拴绳"), 501, 31, nil, false, nil, ""},
		{"prefix rule elsewhere", in("police.dog", 10, "遛狗不拴绳"), 500, 30, nil, false, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(list, dir, tc.in)
			if !d.Matched || d.RuleID != tc.rule || d.LeadUnitID != tc.lead || !slices.Equal(d.CoUnitIDs, tc.co) {
				t.Fatalf("got rule %d lead %d co %v (%s), want rule %d lead %d co %v", d.RuleID, d.LeadUnitID, d.CoUnitIDs, d.Reason, tc.rule, tc.lead, tc.co)
			}
			if d.Version != 3 {
				t.Fatalf("version %d", d.Version)
			}
			if d.Ambiguous != tc.ambiguous {
				t.Fatalf("ambiguous %v, want %v (%+v)", d.Ambiguous, tc.ambiguous, d.Competing)
			}
			var comp []int
			for _, c := range d.Competing {
				comp = append(comp, c.RuleID)
			}
			if !slices.Equal(comp, tc.competing) {
				t.Fatalf("competing %v, want %v", comp, tc.competing)
			}
			if tc.reason != "" && d.Reason != tc.reason {
				t.Fatalf("reason %q, want %q", d.Reason, tc.reason)
			}
			if !strings.HasPrefix(d.Reason, "规则 ") {
				t.Fatalf("reason %q has no rule number", d.Reason)
			}
		})
	}
}

func TestDecideUnmatchedAndSkipped(t *testing.T) {
	dir := NewDirectory(units)
	l := List{Version: 1, Rules: []Rule{{ID: 7, Category: "urban.stall", Lead: street}}}
	d := Decide(l, dir, Input{Category: "urban.stall", DistrictID: 1}) // street unknown
	if d.Matched || !slices.Equal(d.Skipped, []int{7}) || d.LeadUnitID != 0 {
		t.Fatalf("got %+v, want unmatched with rule 7 skipped", d)
	}
	d = Decide(l, dir, Input{Category: "urban.litter", StreetID: 10, DistrictID: 1})
	if d.Matched || d.Reason == "" {
		t.Fatalf("got %+v, want unmatched with a reason", d)
	}
}

func TestChoose(t *testing.T) {
	dir := NewDirectory(units)
	d := Decide(list, dir, Input{Category: "traffic.bike", DistrictID: 1, StreetID: 10})
	if !d.Choose(30, "history") || d.RuleID != 201 || d.LeadUnitID != 30 || d.TieBreak != "history" || !d.Ambiguous {
		t.Fatalf("after Choose: %+v", d)
	}
	if d.Choose(50, "x") {
		t.Fatal("chose a unit that was not competing")
	}
}

func TestValidate(t *testing.T) {
	isCat := func(c string) bool { return c == "urban" || c == "urban.stall" }
	isPlace := func(p int64) bool { return p == 10 }
	rules := []Rule{
		{ID: 1, Category: "urban.stall", Lead: street},
		{ID: 1, Category: "urban", Prefix: true, Lead: street},
		{ID: 0, Lead: street},
		{ID: 2, Category: "nope", Lead: street},
		{ID: 3, PlaceID: 99, Lead: street},
		{ID: 4, Lead: Target{Unit: "no-such"}},
		{ID: 5, Lead: Target{Role: RoleDistrictDept}},
		{ID: 6, Lead: street, Co: []Target{{Role: "mayor"}}},
		{ID: 7, Lead: street, Keywords: []string{" "}},
	}
	got := map[[2]any]bool{}
	for _, p := range Validate(rules, units, isCat, isPlace) {
		got[[2]any{p.RuleID, p.Field}] = true
	}
	want := [][2]any{{1, "id"}, {0, "id"}, {2, "category"}, {3, "place_id"}, {4, "lead"}, {5, "lead"}, {6, "co"}, {7, "keywords"}}
	if len(got) != len(want) {
		t.Fatalf("problems %v, want %v", got, want)
	}
	for _, w := range want {
		if !got[w] {
			t.Fatalf("missing problem %v in %v", w, got)
		}
	}
	if p := Validate(list.Rules, units, nil, nil); len(p) != 0 {
		t.Fatalf("test list has problems: %v", p)
	}
}

func TestDiff(t *testing.T) {
	dir := NewDirectory(units)
	draft := List{Version: 4, Rules: append(slices.Clone(list.Rules), Rule{ID: 115, Category: "urban.stall", Keywords: []string{"夜市"}, Lead: Target{Unit: "da-scjg"}})}
	reqs := []struct {
		num    string
		in     Input
		actual int64
	}{
		{"1", Input{Category: "urban.stall", DistrictID: 1, StreetID: 10, Text: "夜市占道"}, 42},
		{"2", Input{Category: "urban.stall", DistrictID: 1, StreetID: 10, Text: "夜市噪音"}, 10},
		{"3", Input{Category: "urban.stall", DistrictID: 1, StreetID: 10, Text: "摆摊"}, 10},
		{"4", Input{Category: "urban.stall", DistrictID: 1, StreetID: 11, Text: "夜市"}, 0}, // rule 114 (place) still wins
		{"5", Input{Category: "urban.stall", DistrictID: 1, StreetID: 10, Text: "夜市"}, 0},
	}
	var rs []Routed
	for _, r := range reqs {
		rs = append(rs, Routed{Number: r.num, Actual: r.actual, Old: Decide(list, dir, r.in), New: Decide(draft, dir, r.in)})
	}
	got := Diff(4, 3, rs, dir, 2)
	if got.Cases != 5 || got.Changed != 3 || got.Dispatched != 3 || got.AgreeOld != 2 || got.AgreeNew != 2 || got.Unmatched != 0 {
		t.Fatalf("summary %+v", got)
	}
	if len(got.Transitions) != 1 {
		t.Fatalf("transitions %+v", got.Transitions)
	}
	tr := got.Transitions[0]
	if tr.From != 10 || tr.To != 42 || tr.Count != 3 || !slices.Equal(tr.Samples, []string{"1", "2"}) || tr.FromName != "一街道" {
		t.Fatalf("transition %+v", tr)
	}
}
