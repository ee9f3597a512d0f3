package agenda

import (
	"math"
	"strings"
	"testing"
	"time"

	"whistle/internal/errs"
	"whistle/internal/org"
)

func fields(err error) []string {
	var out []string
	for _, e := range errs.FieldsOf(err) {
		out = append(out, string(e.Code)+":"+e.Field)
	}
	return out
}

func TestTopicValidate(t *testing.T) {
	ok := func() Topic {
		return Topic{Title: " 供暖不热 ", LeadUnitID: 3, PartnerUnitIDs: []int64{4},
			Criteria: Criteria{Categories: []string{"heating"}}, Goal: Goal{Reduction: 0.3, Months: 3}}
	}
	for _, c := range []struct {
		name string
		edit func(*Topic)
		want string // "" valid, else "code:field" expected among the problems
	}{
		{"valid", func(*Topic) {}, ""},
		{"keywords only", func(t *Topic) { t.Criteria = Criteria{Keywords: []string{"暖气"}} }, ""},
		{"title missing", func(t *Topic) { t.Title = "  " }, "field_required:title"},
		{"title too long", func(t *Topic) { t.Title = strings.Repeat("题", MaxTitle+1) }, "field_too_long:title"},
		{"title at limit", func(t *Topic) { t.Title = strings.Repeat("题", MaxTitle) }, ""},
		{"control char", func(t *Topic) { t.Title = "a\x00b" }, "invalid:title"},
		{"no lead", func(t *Topic) { t.LeadUnitID = 0 }, "field_required:lead_unit_id"},
		{"lead as partner", func(t *Topic) { t.PartnerUnitIDs = []int64{3} }, "invalid:partner_unit_ids"},
		{"places only", func(t *Topic) { t.Criteria = Criteria{PlaceIDs: []int64{9}} }, "field_required:criteria"},
		{"empty keywords only", func(t *Topic) { t.Criteria = Criteria{Keywords: []string{" ", ""}} }, "field_required:criteria"},
		{"keyword too long", func(t *Topic) { t.Criteria.Keywords = []string{strings.Repeat("字", MaxKeyword+1)} }, "field_too_long:criteria.keywords"},
		{"reduction zero", func(t *Topic) { t.Goal.Reduction = 0 }, "invalid:goal.reduction"},
		{"reduction one", func(t *Topic) { t.Goal.Reduction = 1 }, ""},
		{"reduction over one", func(t *Topic) { t.Goal.Reduction = 1.01 }, "invalid:goal.reduction"},
		{"reduction NaN", func(t *Topic) { t.Goal.Reduction = math.NaN() }, "invalid:goal.reduction"},
		{"months zero", func(t *Topic) { t.Goal.Months = 0 }, "invalid:goal.months"},
		{"months 12", func(t *Topic) { t.Goal.Months = 12 }, ""},
		{"months 13", func(t *Topic) { t.Goal.Months = 13 }, "invalid:goal.months"},
		{"comparison last year", func(t *Topic) { t.Goal.Comparison = "last_year" }, ""},
		{"comparison unknown", func(t *Topic) { t.Goal.Comparison = "yesterday" }, "invalid:goal.comparison"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tp := ok()
			c.edit(&tp)
			tp.Normalize()
			err := tp.Validate()
			if c.want == "" {
				if err != nil {
					t.Fatalf("want valid, got %v %v", err, fields(err))
				}
				if tp.Goal.Comparison == "" || strings.TrimSpace(tp.Title) != tp.Title {
					t.Fatalf("not normalised: %+v", tp)
				}
				return
			}
			if err == nil || !strings.Contains(strings.Join(fields(err), " "), c.want) {
				t.Fatalf("want %s, got %v", c.want, fields(err))
			}
			if errs.Status(errs.CodeOf(err)) != 422 {
				t.Fatalf("status %d", errs.Status(errs.CodeOf(err)))
			}
		})
	}
}

func TestTaskValidate(t *testing.T) {
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		task Task
		want string
	}{
		{"valid", Task{UnitID: 2, Title: "排查", DueAt: start.AddDate(0, 0, 7)}, ""},
		{"no unit", Task{Title: "排查", DueAt: start.AddDate(0, 0, 7)}, "field_required:unit_id"},
		{"no title", Task{UnitID: 2, DueAt: start.AddDate(0, 0, 7)}, "field_required:title"},
		{"no due", Task{UnitID: 2, Title: "排查"}, "field_required:due_at"},
		{"due at start", Task{UnitID: 2, Title: "排查", DueAt: start}, "deadline_in_past:due_at"},
		{"due before", Task{UnitID: 2, Title: "排查", DueAt: start.Add(-time.Hour)}, "deadline_in_past:due_at"},
		{"detail too long", Task{UnitID: 2, Title: "排查", Detail: strings.Repeat("x", MaxSummary+1), DueAt: start.AddDate(0, 0, 1)}, "field_too_long:detail"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.task.Validate(start)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !strings.Contains(strings.Join(fields(err), " "), c.want) {
				t.Fatalf("want %s, got %v", c.want, fields(err))
			}
		})
	}
}

func TestWhoMay(t *testing.T) {
	cityCentre := org.Unit{ID: 1, Kind: org.KindCityCentre}
	distCentre := org.Unit{ID: 2, Kind: org.KindDistrictCentre}
	dept := org.Unit{ID: 7, Kind: "department"}
	actor := func(u org.Unit, district int64, roles ...string) org.Actor {
		return org.Actor{User: org.User{ID: 1, UnitID: u.ID, Roles: roles}, Unit: u, DistrictID: district}
	}
	topic := &Topic{LeadUnitID: 7, PartnerUnitIDs: []int64{8}}
	for _, c := range []struct {
		name              string
		a                 org.Actor
		districts         []int64
		manage, list, see bool
	}{
		{"city dispatcher", actor(cityCentre, 0, org.RoleDispatcher), []int64{5}, true, true, true},
		{"admin", actor(cityCentre, 0, org.RoleAdmin), nil, true, true, true},
		{"analyst reads only", actor(cityCentre, 0, org.RoleAnalyst), []int64{5}, false, true, true},
		{"city agent reads only", actor(cityCentre, 0, org.RoleAgent), nil, false, true, true},
		{"district dispatcher own district", actor(distCentre, 5, org.RoleDispatcher), []int64{5, 6}, false, true, true},
		{"district dispatcher other district", actor(distCentre, 5, org.RoleDispatcher), []int64{6}, false, true, false},
		{"district dispatcher city-wide topic", actor(distCentre, 5, org.RoleDispatcher), nil, false, true, true},
		{"lead unit handler", actor(dept, 0, org.RoleHandler), []int64{6}, false, true, true},
		{"partner unit leader", actor(org.Unit{ID: 8, Kind: "department"}, 0, org.RoleLeader), nil, false, true, true},
		{"other unit handler", actor(org.Unit{ID: 9, Kind: "department"}, 0, org.RoleHandler), nil, false, true, false},
		{"grid worker", actor(dept, 0, org.RoleGridWorker), nil, false, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := MayManageTopics(c.a); got != c.manage {
				t.Errorf("manage %v", got)
			}
			if got := MayListTopics(c.a); got != c.list {
				t.Errorf("list %v", got)
			}
			if got := MaySeeTopic(c.a, topic, c.districts); got != c.see {
				t.Errorf("see %v", got)
			}
		})
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9*math.Max(1, math.Abs(b)) }

func TestBinomCDF(t *testing.T) {
	for _, c := range []struct {
		k, n int64
		p    float64
		want float64
	}{
		{0, 10, 0.5, 1.0 / 1024},
		{5, 10, 0.5, 638.0 / 1024},
		{10, 10, 0.5, 1},
		{-1, 10, 0.5, 0},
		{1, 3, 0.2, 0.512 + 3*0.2*0.64},
		{3, 4, 0.9, 1 - 0.6561},
		{2, 5, 0, 1},
		{2, 5, 1, 0},
	} {
		if got := BinomCDF(c.k, c.n, c.p); !near(got, c.want) {
			t.Errorf("BinomCDF(%d,%d,%g) = %.12g, want %.12g", c.k, c.n, c.p, got, c.want)
		}
	}
	// Large n: symmetric at the median, and the normal approximation far out.
	if got := BinomCDF(5000, 10001, 0.5); !near(got, 0.5) {
		t.Errorf("median of Bin(10001,.5): %g", got)
	}
}

func TestTrack(t *testing.T) {
	tr := Track(TrackInput{
		Before:     []float64{10, 12, 8, 10},
		After:      []float64{5, 4, 6, 5},
		CompBefore: []float64{20, 20, 20, 20},
		CompAfter:  []float64{18, 18, 18, 18},
	})
	if tr.BeforeMean != 10 || tr.AfterMean != 5 || !near(tr.Change, -0.5) {
		t.Fatalf("means %+v", tr)
	}
	if !near(tr.CompChange, -0.1) || !near(tr.DiD, -4) || !near(tr.DiDRel, 0.5/0.9-1) {
		t.Fatalf("did %+v", tr)
	}
	// 20 after, 40 before in equal weeks: P(Bin(60, .5) ≤ 20).
	if want := BinomCDF(20, 60, 0.5); !near(tr.P, want) || tr.P > 0.01 || tr.Baseline != CompareBefore || !near(tr.GoalChange, -0.5) {
		t.Fatalf("p %+v want %g", tr, want)
	}
	// Against last year's same weeks.
	ly := Track(TrackInput{Before: []float64{10, 10}, After: []float64{8, 8}, Baseline: CompareLastYear, LastYear: []float64{16, 16}})
	if ly.Baseline != CompareLastYear || ly.BaselineMean != 16 || !near(ly.GoalChange, -0.5) || !near(ly.P, BinomCDF(16, 48, 0.5)) {
		t.Fatalf("last year %+v", ly)
	}
	// Unequal weeks: 3 weeks after vs 6 before: p0 = 1/3.
	uq := Track(TrackInput{Before: []float64{6, 6, 6, 6, 6, 6}, After: []float64{2, 2, 2}})
	if !near(uq.P, BinomCDF(6, 42, 1.0/3)) {
		t.Fatalf("unequal %+v", uq)
	}
	// Nothing at all: no change, no evidence.
	if z := Track(TrackInput{}); z.P != 1 || z.Change != 0 || z.DiD != 0 {
		t.Fatalf("empty %+v", z)
	}
}

func TestVerdict(t *testing.T) {
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	topic := &Topic{State: Active, StartedAt: start, GoalBy: GoalBy(start, 3), Goal: Goal{Reduction: 0.3, Months: 3}}
	before := []float64{20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20}
	weeks := func(n int, v float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = v
		}
		return out
	}
	early := start.AddDate(0, 1, 0)
	late := topic.GoalBy.Add(time.Hour)
	for _, c := range []struct {
		name      string
		after     []float64
		now       time.Time
		met, done bool
	}{
		{"down 50% early, 4 weeks", weeks(4, 10), early, true, true},
		{"down 50% but only 3 weeks", weeks(3, 10), early, false, false},
		{"down 25% early: still open", weeks(4, 15), early, false, false},
		{"down 25% at the date: missed", weeks(13, 15), late, false, true},
		{"down 35% at the date: met", weeks(13, 13), late, true, true},
		{"up at the date: missed", weeks(13, 25), late, false, true},
		{"exactly 30% at the date: met", weeks(13, 14), late, true, true},
		{"no weeks at the date: missed", nil, late, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr := Track(TrackInput{Before: before, After: c.after})
			met, done := Verdict(topic, tr, c.now)
			if met != c.met || done != c.done {
				t.Fatalf("got met=%v done=%v (change %.3f p %.4g)", met, done, tr.GoalChange, tr.P)
			}
		})
	}
	// Down 30 % on tiny counts is not significant: missed at the date.
	tr := Track(TrackInput{Before: []float64{1, 1, 1, 1}, After: []float64{0, 1, 1, 0, 1}})
	if met, done := Verdict(topic, tr, late); met || !done {
		t.Fatalf("tiny counts: met=%v done=%v p=%g", met, done, tr.P)
	}
}
