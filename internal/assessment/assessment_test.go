package assessment

import (
	"testing"
	"time"
)

func p(v float64) *float64 { return &v }

func eq(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func TestCompute(t *testing.T) {
	def := DefaultRules()
	noSummons := def
	noSummons.SummonsWeight = 0
	for _, tc := range []struct {
		name                 string
		c                    Counts
		r                    Rules
		resp, res, sat, comp *float64
		bonus, ded           float64
	}{
		{"nothing: not ranked", Counts{}, def, nil, nil, nil, nil, 0, 0},
		{"all perfect", Counts{Orders: 10, Responded: 10, Callbacks: 8, Resolved: 8, Satisfied: 8}, def, p(1), p(1), p(1), p(100), 0, 0},
		// 30×.5 + 35×.75 + 35×(2+.8)/4 = 15 + 26.25 + 24.5 = 65.75
		{"mixed", Counts{Orders: 4, Responded: 2, Callbacks: 4, Resolved: 3, Satisfied: 2, Fairly: 1}, def, p(0.5), p(0.75), p(0.7), p(65.75), 0, 0},
		// fairly counts 0.5 under these rules: 30×.5 + 35×.75 + 35×(2.5/4) = 15 + 26.25 + 21.875 = 63.125 → 63.13
		{"fairly 0.5", Counts{Orders: 4, Responded: 2, Callbacks: 4, Resolved: 3, Satisfied: 2, Fairly: 1}, Rules{ResponseWeight: 30, ResolutionWeight: 35, SatisfactionWeight: 35, FairlyScore: 0.5, ContactMinutes: 60},
			p(0.5), p(0.75), p(0.625), p(63.13), 0, 0},
		// only orders: the response weight alone, rescaled to 100
		{"orders only", Counts{Orders: 3, Responded: 2}, def, p(0.6667), nil, nil, p(66.67), 0, 0},
		// only callbacks: (35×1 + 35×.8)/70 × 100 = 90
		{"callbacks only", Counts{Callbacks: 1, Resolved: 1, Fairly: 1}, def, nil, p(1), p(0.8), p(90), 0, 0},
		// bonus capped at 5, deductions 0.5 each capped at 10
		{"bonus and deductions", Counts{Orders: 40, Responded: 40, Overdue: 30, Callbacks: 1, Resolved: 1, Satisfied: 1, Topics: 7}, def, p(1), p(1), p(1), p(95), 5, 10},
		{"deduction under the cap", Counts{Orders: 2, Responded: 2, Overdue: 1, Callbacks: 1, Resolved: 1, Satisfied: 1}, def, p(1), p(1), p(1), p(99.5), 0, 0.5},
		// summons: 2/3 × 100 + 1/3 × 70 = 90
		{"summons weigh a third", Counts{Orders: 1, Responded: 1, Callbacks: 1, Resolved: 1, Satisfied: 1, SummonsRatings: 2, SummonsPoints: 140}, def, p(1), p(1), p(1), p(90), 0, 0},
		{"summons weight zero", Counts{Orders: 1, Responded: 1, Callbacks: 1, Resolved: 1, Satisfied: 1, SummonsRatings: 2, SummonsPoints: 140}, noSummons, p(1), p(1), p(1), p(100), 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Compute(tc.c, tc.r, "street")
			if !eq(s.Response, tc.resp) || !eq(s.Resolution, tc.res) || !eq(s.Satisfaction, tc.sat) || !eq(s.Composite, tc.comp) {
				t.Errorf("got %v/%v/%v → %v, want %v/%v/%v → %v", f(s.Response), f(s.Resolution), f(s.Satisfaction), f(s.Composite),
					f(tc.resp), f(tc.res), f(tc.sat), f(tc.comp))
			}
			if s.Bonus != tc.bonus || s.Deduction != tc.ded {
				t.Errorf("bonus %v deduction %v, want %v %v", s.Bonus, s.Deduction, tc.bonus, tc.ded)
			}
		})
	}
}

func f(p *float64) any {
	if p == nil {
		return "nil"
	}
	return *p
}

func TestRankAndCompare(t *testing.T) {
	ss := []Score{
		{Counts: Counts{UnitID: 1}, Kind: "street", Composite: p(90)},
		{Counts: Counts{UnitID: 2}, Kind: "street", Composite: p(95)},
		{Counts: Counts{UnitID: 3}, Kind: "street"},
		{Counts: Counts{UnitID: 4}, Kind: "street", Composite: p(90)},
		{Counts: Counts{UnitID: 5}, Kind: "department", Composite: p(80)},
	}
	Rank(ss)
	want := []struct {
		id   int64
		rank int
	}{{5, 1}, {2, 1}, {1, 2}, {4, 2}, {3, 0}}
	for i, w := range want {
		if ss[i].UnitID != w.id || ss[i].Rank != w.rank {
			t.Fatalf("position %d = unit %d rank %d, want unit %d rank %d", i, ss[i].UnitID, ss[i].Rank, w.id, w.rank)
		}
	}
	prev := []Score{{Counts: Counts{UnitID: 2}, Composite: p(97.5), Rank: 1}, {Counts: Counts{UnitID: 3}, Composite: p(50), Rank: 3}}
	Compare(ss, prev)
	if ss[1].Change == nil || *ss[1].Change != -2.5 || ss[1].PrevRank != 1 {
		t.Errorf("unit 2 change %v prev rank %d", f(ss[1].Change), ss[1].PrevRank)
	}
	if ss[4].Change != nil || ss[4].PrevComp == nil {
		t.Errorf("unranked unit 3: change %v prev %v", f(ss[4].Change), f(ss[4].PrevComp))
	}
	if ss[0].PrevComp != nil {
		t.Error("unit 5 had no previous score")
	}
}

func TestRulesValidate(t *testing.T) {
	if err := DefaultRules().Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*Rules){
		"negative weight": func(r *Rules) { r.ResponseWeight = -1 },
		"zero weights":    func(r *Rules) { r.ResponseWeight, r.ResolutionWeight, r.SatisfactionWeight = 0, 0, 0 },
		"fairly above 1":  func(r *Rules) { r.FairlyScore = 1.2 },
		"no contact":      func(r *Rules) { r.ContactMinutes = 0 },
		"summons > 1":     func(r *Rules) { r.SummonsWeight = 2 },
		"huge bonus":      func(r *Rules) { r.MaxBonus = 1e9 },
	} {
		r := DefaultRules()
		mod(&r)
		if r.Validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestPeriods(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	m, err := Month("2026-02", loc)
	if err != nil || !m.From.Equal(time.Date(2026, 2, 1, 0, 0, 0, 0, loc)) || !m.To.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, loc)) || !m.IsMonth() {
		t.Fatalf("Month = %+v, %v", m, err)
	}
	if pr := m.Previous(); pr.Label != "2026-01" || !pr.To.Equal(m.From) {
		t.Errorf("Previous = %+v", pr)
	}
	for _, bad := range []string{"2026-2", "2026-13", "26-01", "2026-01-01", ""} {
		if _, err := Month(bad, loc); err == nil {
			t.Errorf("Month(%q) accepted", bad)
		}
	}
	r, err := Range("2026-03-01", "2026-03-31", loc)
	if err != nil || r.IsMonth() || !r.To.Equal(time.Date(2026, 4, 1, 0, 0, 0, 0, loc)) {
		t.Fatalf("Range = %+v, %v", r, err)
	}
	for _, bad := range [][2]string{{"2026-03-02", "2026-03-01"}, {"2025-01-01", "2026-03-01"}, {"x", "2026-01-01"}} {
		if _, err := Range(bad[0], bad[1], loc); err == nil {
			t.Errorf("Range(%v) accepted", bad)
		}
	}
}
