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
	// The arithmetic cases run with a minimum of one order and one
	// callback, so that small counts are ranked; the minimums have their
	// own cases below.
	low := def
	low.MinOrders, low.MinCallbacks = 1, 1
	noSummons := low
	noSummons.SummonsWeight = 0
	none := def
	none.MinOrders, none.MinCallbacks = 0, 0
	respOnly := none
	respOnly.ResolutionWeight, respOnly.SatisfactionWeight = 0, 0
	for _, tc := range []struct {
		name                 string
		c                    Counts
		r                    Rules
		resp, res, sat, comp *float64
		bonus, ded           float64
		unranked             string
	}{
		{"nothing: not ranked", Counts{}, def, nil, nil, nil, nil, 0, 0, UnrankedTooFew},
		{"all perfect", Counts{Orders: 10, Responded: 10, Callbacks: 8, Resolved: 8, Satisfied: 8}, def, p(1), p(1), p(1), p(100), 0, 0, ""},
		// 30×.5 + 35×.75 + 35×(2+.8)/4 = 15 + 26.25 + 24.5 = 65.75
		{"mixed", Counts{Orders: 4, Responded: 2, Callbacks: 4, Resolved: 3, Satisfied: 2, Fairly: 1}, low, p(0.5), p(0.75), p(0.7), p(65.75), 0, 0, ""},
		// fairly counts 0.5 under these rules: 30×.5 + 35×.75 + 35×(2.5/4) = 15 + 26.25 + 21.875 = 63.125 → 63.13
		{"fairly 0.5", Counts{Orders: 4, Responded: 2, Callbacks: 4, Resolved: 3, Satisfied: 2, Fairly: 1}, Rules{ResponseWeight: 30, ResolutionWeight: 35, SatisfactionWeight: 35, FairlyScore: 0.5, ContactMinutes: 60},
			p(0.5), p(0.75), p(0.625), p(63.13), 0, 0, ""},
		// A rate without a denominator never counts as full marks, and the
		// others are not rescaled to stand in for it: no composite at all,
		// whatever the minimums (they used to be 66.67 and 90).
		{"orders only", Counts{Orders: 3, Responded: 2}, none, p(0.6667), nil, nil, nil, 0, 0, UnrankedTooFew},
		{"callbacks only", Counts{Callbacks: 1, Resolved: 1, Fairly: 1}, none, nil, p(1), p(0.8), nil, 0, 0, UnrankedTooFew},
		// The reported case: one order answered in time, no callback — not
		// 100 points and first place.
		{"one order, no callback", Counts{Orders: 1, Responded: 1}, def, p(1), nil, nil, nil, 0, 0, UnrankedTooFew},
		{"many orders, no callback", Counts{Orders: 200, Responded: 200}, def, p(1), nil, nil, nil, 0, 0, UnrankedTooFew},
		// A rate with weight 0 needs no denominator.
		{"response weight only", Counts{Orders: 3, Responded: 2}, respOnly, p(0.6667), nil, nil, p(66.67), 0, 0, ""},
		// The default minimums: 10 orders and 5 callbacks, both inclusive.
		{"9 orders: too few", Counts{Orders: 9, Responded: 9, Callbacks: 9, Resolved: 9, Satisfied: 9, Overdue: 1, Topics: 2}, def, p(1), p(1), p(1), nil, 0, 0, UnrankedTooFew},
		{"4 callbacks: too few", Counts{Orders: 50, Responded: 50, Callbacks: 4, Resolved: 4, Satisfied: 4}, def, p(1), p(1), p(1), nil, 0, 0, UnrankedTooFew},
		// 30×.9 + 35×.8 + 35×(4+.8)/5 = 27 + 28 + 33.6 = 88.6
		{"10 orders and 5 callbacks: ranked", Counts{Orders: 10, Responded: 9, Callbacks: 5, Resolved: 4, Satisfied: 4, Fairly: 1}, def, p(0.9), p(0.8), p(0.96), p(88.6), 0, 0, ""},
		// bonus capped at 5, deductions 0.5 each capped at 10
		{"bonus and deductions", Counts{Orders: 40, Responded: 40, Overdue: 30, Callbacks: 5, Resolved: 5, Satisfied: 5, Topics: 7}, def, p(1), p(1), p(1), p(95), 5, 10, ""},
		{"deduction under the cap", Counts{Orders: 2, Responded: 2, Overdue: 1, Callbacks: 1, Resolved: 1, Satisfied: 1}, low, p(1), p(1), p(1), p(99.5), 0, 0.5, ""},
		// summons: 2/3 × 100 + 1/3 × 70 = 90
		{"summons weigh a third", Counts{Orders: 1, Responded: 1, Callbacks: 1, Resolved: 1, Satisfied: 1, SummonsRatings: 2, SummonsPoints: 140}, low, p(1), p(1), p(1), p(90), 0, 0, ""},
		{"summons weight zero", Counts{Orders: 1, Responded: 1, Callbacks: 1, Resolved: 1, Satisfied: 1, SummonsRatings: 2, SummonsPoints: 140}, noSummons, p(1), p(1), p(1), p(100), 0, 0, ""},
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
			if s.Unranked != tc.unranked || (s.Unranked != "") != (s.Base == nil) {
				t.Errorf("unranked %q (base %v), want %q", s.Unranked, f(s.Base), tc.unranked)
			}
		})
	}
}

// Units with too few cases are listed after the ranked ones and get no
// rank, however good their rates.
func TestTooFewAreNotRanked(t *testing.T) {
	r := DefaultRules()
	ss := []Score{
		Compute(Counts{UnitID: 1, Orders: 1, Responded: 1}, r, "street"),
		Compute(Counts{UnitID: 2, Orders: 20, Responded: 10, Callbacks: 10, Resolved: 5, Satisfied: 5}, r, "street"),
		Compute(Counts{UnitID: 3, Orders: 3, Responded: 3, Callbacks: 3, Resolved: 3, Satisfied: 3}, r, "street"),
	}
	Rank(ss)
	if ss[0].UnitID != 2 || ss[0].Rank != 1 || ss[1].Rank != 0 || ss[2].Rank != 0 || ss[1].Unranked != UnrankedTooFew {
		t.Fatalf("order %d/%d, %d/%d, %d/%d", ss[0].UnitID, ss[0].Rank, ss[1].UnitID, ss[1].Rank, ss[2].UnitID, ss[2].Rank)
	}
}

func TestRankable(t *testing.T) {
	def := DefaultRules()
	zero := def
	zero.MinOrders, zero.MinCallbacks = 0, 0
	for _, tc := range []struct {
		r    Rules
		c    Counts
		want bool
	}{
		{def, Counts{Orders: 10, Callbacks: 5}, true},
		{def, Counts{Orders: 9, Callbacks: 50}, false},
		{def, Counts{Orders: 50, Callbacks: 4}, false},
		{zero, Counts{Orders: 1, Callbacks: 1}, true},
		{zero, Counts{Orders: 1}, false},
		{zero, Counts{Callbacks: 1}, false},
		{zero, Counts{}, false},
	} {
		if got := tc.r.Rankable(tc.c); got != tc.want {
			t.Errorf("min %d/%d, counts %d/%d: %v, want %v", tc.r.MinOrders, tc.r.MinCallbacks, tc.c.Orders, tc.c.Callbacks, got, tc.want)
		}
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
		"negative min":    func(r *Rules) { r.MinOrders = -1 },
		"huge min":        func(r *Rules) { r.MinCallbacks = 1e6 },
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
