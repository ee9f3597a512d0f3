package services_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"whistle/internal/assessment"
	"whistle/internal/auth"
	"whistle/internal/calendar"
	"whistle/internal/casework"
	"whistle/internal/core"
	"whistle/internal/demo"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/pgtest"
	"whistle/internal/ranking"
	"whistle/internal/seed"
	"whistle/internal/services"
	"whistle/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// clock is the service's clock, moved by the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func eachStore(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, filepath.Join(t.TempDir(), "w.db")) })
	t.Run("postgres", func(t *testing.T) { fn(t, pgtest.NewDatabase(t)) })
}

// world is a small demo city run by a service on a test clock.
type world struct {
	t          *testing.T
	ctx        context.Context
	svc        *services.Services
	clk        *clock
	loc        *time.Location
	agent      org.Actor
	dispatcher org.Actor
	street     org.Unit // S
	dept       org.Unit // D
	streetH    org.Actor
	deptH      org.Actor
	category   string
	phone      int
	dsn        string
	st         *store.Store
}

// restart closes the store and opens a new store and service on the same
// database and clock, as a node restart would.
func (w *world) restart() {
	w.t.Helper()
	if err := w.st.Close(); err != nil {
		w.t.Fatal(err)
	}
	st, err := store.Open(w.ctx, w.dsn, store.Options{SQLiteSync: "normal"})
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { st.Close() })
	svc, err := services.New(w.ctx, st, core.Config{Now: w.clk.Now, PhoneKey: []byte("assess-test-key"), ReopenLimit: 2})
	if err != nil {
		w.t.Fatal(err)
	}
	w.st, w.svc = st, svc
}

func openWorld(t *testing.T, dsn string, start time.Time) *world {
	t.Helper()
	ctx := t.Context()
	st, err := store.Open(ctx, dsn, store.Options{SQLiteSync: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &clock{t: start}
	svc, err := services.New(ctx, st, core.Config{Now: clk.Now, PhoneKey: []byte("assess-test-key"), ReopenLimit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Demo(ctx, svc, demo.Options{Seed: 5, Requests: 40}, auth.FastHasher(), nil); err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, ctx: ctx, svc: svc, clk: clk, loc: svc.Location(), dsn: dsn, st: st}
	find := func(kind, role string) (org.Unit, org.Actor) {
		for _, u := range svc.UnitsList() {
			if u.Kind != kind {
				continue
			}
			users, err := st.Users(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, us := range users {
				if us.Has(role) {
					a, err := svc.Actor(us)
					if err != nil {
						t.Fatal(err)
					}
					return u, a
				}
			}
		}
		t.Fatalf("no %s user in a %s unit", role, kind)
		return org.Unit{}, org.Actor{}
	}
	_, w.agent = find(org.KindCityCentre, org.RoleAgent)
	_, w.dispatcher = find(org.KindCityCentre, org.RoleDispatcher)
	w.street, w.streetH = find(org.KindStreet, org.RoleHandler)
	w.dept, w.deptH = find(org.KindDepartment, org.RoleHandler)
	for _, c := range svc.Categories() {
		if c.Leaf && c.Active && (c.Urgency == "" || c.Urgency == "general") {
			w.category = c.Code
			break
		}
	}
	if w.category == "" {
		t.Fatal("no general leaf category")
	}
	return w
}

// at sets the clock to day d of March 2026 (or later days) at hh:mm CST.
func (w *world) at(month time.Month, day, hh, mm int) time.Time {
	tm := time.Date(2026, month, day, hh, mm, 0, 0, w.loc)
	w.clk.Set(tm)
	return tm
}

func (w *world) create() *lifecycle.Case {
	w.t.Helper()
	w.phone++
	c, _, err := w.svc.Cases.Create(w.ctx, w.agent, casework.NewCase{Channel: "phone", Type: "complaint", Category: w.category, Urgency: "general",
		Description: "路灯不亮", CitizenPhone: fmt.Sprintf("1390000%04d", w.phone), PlaceID: w.street.PlaceID}, "")
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

func itoa(n int) string { return strconv.Itoa(n) }

func (w *world) act(a org.Actor, id int64, in casework.ActInput) *lifecycle.Case {
	w.t.Helper()
	c, _, err := w.svc.Cases.Act(w.ctx, a, id, in)
	if err != nil {
		w.t.Fatalf("%s on case %d: %v", in.Action, id, err)
	}
	return c
}

var (
	yes = true
	no  = false
)

// flow plays one order: dispatch at day d 09:00 to unit u, sign after
// signMin minutes, contact after contactMin minutes (0 = never), reply and
// callback on day d+2 unless resolved is nil.
type flow struct {
	unit       org.Unit
	h          org.Actor
	signMin    int
	contactMin int
	resolved   *bool
	sat        string
}

func (w *world) play(day int, f flow) *lifecycle.Case {
	w.t.Helper()
	w.at(3, day, 8, 30)
	c := w.create()
	d := w.at(3, day, 9, 0)
	c = w.act(w.dispatcher, c.ID, casework.ActInput{Action: lifecycle.ActDispatch, UnitID: f.unit.ID})
	if want := d.Add(2 * time.Hour); !c.SignBy.Equal(want) {
		w.t.Fatalf("sign_by = %v, want %v (general: sign within 2 h)", c.SignBy, want)
	}
	if f.signMin == 0 {
		return c
	}
	w.clk.Set(d.Add(time.Duration(f.signMin) * time.Minute))
	w.act(f.h, c.ID, casework.ActInput{Action: lifecycle.ActSign})
	if f.contactMin == 0 {
		return c
	}
	w.clk.Set(d.Add(time.Duration(f.contactMin) * time.Minute))
	w.act(f.h, c.ID, casework.ActInput{Action: lifecycle.ActContact, Means: "phone"})
	if f.resolved == nil {
		return c
	}
	w.at(3, day+2, 10, 0)
	w.act(f.h, c.ID, casework.ActInput{Action: lifecycle.ActReply, Result: lifecycle.ResultResolved, Note: "已修复"})
	w.at(3, day+2, 15, 0)
	return w.act(w.agent, c.ID, casework.ActInput{Action: lifecycle.ActCallback, Resolved: f.resolved, Satisfaction: f.sat})
}

func unitScore(t *testing.T, r ranking.Ranking, id int64) assessment.Score {
	t.Helper()
	for _, u := range r.Units {
		if u.UnitID == id {
			return u
		}
	}
	t.Fatalf("unit %d not in ranking", id)
	return assessment.Score{}
}

func f4(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}

func checkScore(t *testing.T, name string, s assessment.Score, want assessment.Counts, resp, res, sat, comp float64) {
	t.Helper()
	got := s.Counts
	got.SummonsPoints, got.SummonsRatings = 0, 0
	want.UnitID = s.UnitID
	if got != want {
		t.Errorf("%s counts = %+v, want %+v", name, got, want)
	}
	if f4(s.Response) != resp || f4(s.Resolution) != res || f4(s.Satisfaction) != sat || f4(s.Composite) != comp {
		t.Errorf("%s rates = %v/%v/%v composite %v, want %v/%v/%v composite %v", name,
			f4(s.Response), f4(s.Resolution), f4(s.Satisfaction), f4(s.Composite), resp, res, sat, comp)
	}
}

// TestAssessMonth builds March 2026 through the real service and checks
// every number of two units, with an exemption, a return, a reopen, an
// overdue order and a topic, then publishes, changes the rules and
// recomputes March under its stored rule set.
func TestAssessMonth(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := t.Context()
		w := openWorld(t, dsn, time.Date(2026, 2, 27, 9, 0, 0, 0, calendar.ChinaStandardTime()))
		S, D := w.street, w.dept
		c1 := w.play(2, flow{S, w.streetH, 60, 120, &yes, lifecycle.Satisfied})           // responded
		c2 := w.play(2, flow{S, w.streetH, 180, 240, &yes, lifecycle.FairlySatisfied})    // signed late
		c3 := w.play(3, flow{S, w.streetH, 60, 25 * 60, &no, lifecycle.Unsatisfied})      // contacted late
		c4 := w.play(3, flow{S, w.streetH, 90, 23 * 60, &yes, lifecycle.FairlySatisfied}) // responded
		c5 := w.play(4, flow{S, w.streetH, 0, 0, nil, ""})                                // never signed, goes overdue
		c6 := w.play(4, flow{S, w.streetH, 30, 60, &yes, lifecycle.Satisfied})            // exempted later
		c8 := w.play(5, flow{D, w.deptH, 30, 60, nil, ""})                                // D, reopened below
		_ = c1

		// c7: dispatched to S, returned, re-dispatched to D, handled by D.
		w.at(3, 6, 8, 0)
		c7 := w.create()
		w.at(3, 6, 9, 0)
		w.act(w.dispatcher, c7.ID, casework.ActInput{Action: lifecycle.ActDispatch, UnitID: S.ID})
		w.at(3, 6, 9, 30)
		w.act(w.streetH, c7.ID, casework.ActInput{Action: lifecycle.ActRequestReturn, Reason: "不属于本街道"})
		d7 := w.at(3, 6, 10, 0)
		w.act(w.dispatcher, c7.ID, casework.ActInput{Action: lifecycle.ActApproveReturn, UnitID: D.ID})
		w.clk.Set(d7.Add(time.Hour))
		w.act(w.deptH, c7.ID, casework.ActInput{Action: lifecycle.ActSign})
		w.clk.Set(d7.Add(2 * time.Hour))
		w.act(w.deptH, c7.ID, casework.ActInput{Action: lifecycle.ActContact})
		w.at(3, 9, 10, 0)
		w.act(w.deptH, c7.ID, casework.ActInput{Action: lifecycle.ActReply, Result: lifecycle.ResultExplained, Note: "已解释"})
		w.at(3, 9, 11, 0)
		w.act(w.agent, c7.ID, casework.ActInput{Action: lifecycle.ActCallback, Resolved: &no, Satisfaction: lifecycle.Satisfied})

		// c8: unresolved and unsatisfied, sent back to D (重办): a second order.
		w.at(3, 7, 10, 0)
		w.act(w.deptH, c8.ID, casework.ActInput{Action: lifecycle.ActReply, Result: lifecycle.ResultResolved, Note: "已处理"})
		w.at(3, 7, 15, 0)
		c8 = w.act(w.agent, c8.ID, casework.ActInput{Action: lifecycle.ActCallback, Resolved: &no, Satisfaction: lifecycle.Unsatisfied, Reopen: true})
		if c8.State != lifecycle.Dispatched || c8.LeadUnitID != D.ID {
			t.Fatalf("reopened c8: state %s lead %d", c8.State, c8.LeadUnitID)
		}
		w.at(3, 7, 15, 30)
		w.act(w.deptH, c8.ID, casework.ActInput{Action: lifecycle.ActSign})
		w.at(3, 7, 16, 0)
		w.act(w.deptH, c8.ID, casework.ActInput{Action: lifecycle.ActContact})
		w.at(3, 9, 10, 0)
		w.act(w.deptH, c8.ID, casework.ActInput{Action: lifecycle.ActReply, Result: lifecycle.ResultResolved, Note: "已处理"})
		w.at(3, 9, 12, 0)
		w.act(w.agent, c8.ID, casework.ActInput{Action: lifecycle.ActCallback, Resolved: &yes, Satisfaction: lifecycle.Satisfied})

		// c5 passes its reply deadline: the scheduler marks it overdue once.
		w.at(3, 20, 9, 0)
		for {
			n, err := w.svc.Cases.FireDue(ctx, "test", 500)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		if got, err := w.svc.Cases.Get(ctx, w.dispatcher, c5.ID); err != nil || !got.Overdue {
			t.Fatalf("c5 overdue = %v, %v", got != nil && got.Overdue, err)
		}

		march, err := w.svc.Ranking.AssessMonthPeriod("2026-03")
		if err != nil {
			t.Fatal(err)
		}
		r, err := w.svc.Ranking.Assess(ctx, w.dispatcher, march, ranking.AssessOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// Before the exemption: S has 6 orders (c7 was returned), 3 in time
		// (c1, c4, c6); 5 callbacks, 4 resolved; satisfaction (1+.8+0+.8+1)/5.
		// Under the default rule set (version 1: at least 10 orders and 5
		// callbacks) S and D have too few cases: rates, but no composite
		// (-1) and no rank.
		wantS0 := assessment.Counts{Orders: 6, Responded: 3, Overdue: 1, Callbacks: 5, Resolved: 4, Satisfied: 2, Fairly: 2}
		checkScore(t, "S (v1)", unitScore(t, r, S.ID), wantS0, 0.5, 0.8, 0.72, -1)
		for _, id := range []int64{S.ID, D.ID} {
			if u := unitScore(t, r, id); u.Rank != 0 || u.Unranked != assessment.UnrankedTooFew {
				t.Errorf("unit %d under the default minimum: rank %d, unranked %q", id, u.Rank, u.Unranked)
			}
		}
		// This scenario checks the arithmetic on a handful of cases, so the
		// centre lowers the minimum to one order and one callback
		// (version 2; the later rule change becomes version 3).
		low := assessment.DefaultRules()
		low.MinOrders, low.MinCallbacks = 1, 1
		if low, err = w.svc.Ranking.SetAssessRules(ctx, w.dispatcher, low); err != nil || low.Version != 2 {
			t.Fatalf("SetAssessRules: version %d, %v", low.Version, err)
		}
		if r, err = w.svc.Ranking.Assess(ctx, w.dispatcher, march, ranking.AssessOptions{}); err != nil {
			t.Fatal(err)
		}
		// 30×.5 + 35×.8 + 35×.72 − 0.5 (c5 overdue) = 67.7.
		checkScore(t, "S", unitScore(t, r, S.ID), wantS0, 0.5, 0.8, 0.72, 67.7)
		_ = c2
		_ = c3

		// Exemptions: c6 approved, c3 rejected; only c6 leaves the score.
		x6, err := w.svc.Ranking.RequestExemption(ctx, w.streetH, ranking.ExemptionInput{CaseID: c6.ID, Reason: assessment.ReasonDuplicate, Evidence: "与上一工单重复"})
		if err != nil {
			t.Fatal(err)
		}
		x3, err := w.svc.Ranking.RequestExemption(ctx, w.streetH, ranking.ExemptionInput{CaseID: c3.ID, Reason: assessment.ReasonUnreasonable, Evidence: "诉求不合理"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Ranking.RequestExemption(ctx, w.streetH, ranking.ExemptionInput{CaseID: c6.ID, Reason: assessment.ReasonDuplicate, Evidence: "again"}); errs.CodeOf(err) != errs.Exists {
			t.Errorf("second request for c6: %v, want exists", err)
		}
		if _, err := w.svc.Ranking.RequestExemption(ctx, w.deptH, ranking.ExemptionInput{CaseID: c1.ID, Reason: assessment.ReasonDuplicate, Evidence: "not ours"}); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("D asking for S's case: %v, want not_found", err)
		}
		if _, err := w.svc.Ranking.DecideExemption(ctx, w.streetH, x6.ID, true, ""); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("a unit deciding: %v, want forbidden", err)
		}
		w.at(3, 21, 9, 0)
		if _, err := w.svc.Ranking.DecideExemption(ctx, w.dispatcher, x6.ID, true, "属实"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Ranking.DecideExemption(ctx, w.dispatcher, x3.ID, false, "理由不足"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Ranking.DecideExemption(ctx, w.dispatcher, x3.ID, true, ""); errs.CodeOf(err) != errs.InvalidTransition {
			t.Errorf("deciding twice: %v, want invalid_transition", err)
		}
		if _, err := w.svc.Ranking.AddAssessItem(ctx, w.dispatcher, assessment.Item{UnitID: S.ID, Period: "2026-03", Kind: ranking.ItemTopic, Note: "每月一题：老旧小区停车"}); err != nil {
			t.Fatal(err)
		}

		r, err = w.svc.Ranking.Assess(ctx, w.dispatcher, march, ranking.AssessOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// S: 5 orders, 2 in time; 4 callbacks, 3 resolved, (1+.8+0+.8)/4;
		// 30×.4 + 35×.75 + 35×.65 = 61, −0.5 overdue, +1 topic = 61.5.
		wantS := assessment.Counts{Orders: 5, Responded: 2, Overdue: 1, Callbacks: 4, Resolved: 3, Satisfied: 1, Fairly: 2, Exempted: 1, Topics: 1}
		checkScore(t, "S", unitScore(t, r, S.ID), wantS, 0.4, 0.75, 0.65, 61.5)
		// D: c7 and c8 twice (reopen) = 3 orders all in time; callbacks c7
		// (unresolved, satisfied), c8 (unresolved, unsatisfied), c8 again
		// (resolved, satisfied): 30 + 35/3 + 35×2/3 = 65.
		checkScore(t, "D", unitScore(t, r, D.ID), assessment.Counts{Orders: 3, Responded: 3, Callbacks: 3, Resolved: 1, Satisfied: 2},
			1, 0.3333, 0.6667, 65)

		// Drill-down to the exact cases.
		for _, tc := range []struct {
			unit    int64
			measure string
			want    []int64
		}{
			{S.ID, assessment.MeasureOrders, []int64{c1.ID, c2.ID, c3.ID, c4.ID, c5.ID}},
			{S.ID, assessment.MeasureResponded, []int64{c1.ID, c4.ID}},
			{S.ID, assessment.MeasureNotResponded, []int64{c2.ID, c3.ID, c5.ID}},
			{S.ID, assessment.MeasureOverdue, []int64{c5.ID}},
			{S.ID, assessment.MeasureResolved, []int64{c1.ID, c2.ID, c4.ID}},
			{S.ID, assessment.MeasureUnsatisfied, []int64{c3.ID}},
			{S.ID, assessment.MeasureFairly, []int64{c2.ID, c4.ID}},
			{S.ID, assessment.MeasureExempted, []int64{c6.ID}},
			{D.ID, assessment.MeasureOrders, []int64{c7.ID, c8.ID}},
			{D.ID, assessment.MeasureUnresolved, []int64{c7.ID, c8.ID}},
		} {
			got, err := w.svc.Ranking.AssessCases(ctx, w.dispatcher, march, tc.unit, tc.measure)
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("unit %d %s = %v, want %v", tc.unit, tc.measure, got, want)
			}
		}
		if _, err := w.svc.Ranking.AssessCases(ctx, w.deptH, march, S.ID, assessment.MeasureOrders); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("D drilling into S: %v, want forbidden", err)
		}

		// Publish March in April, then change the rules.
		if _, err := w.svc.Ranking.PublishMonth(ctx, w.dispatcher, "2026-03"); errs.CodeOf(err) != errs.Invalid {
			t.Errorf("publishing a running month: %v, want invalid", err)
		}
		w.at(4, 2, 9, 0)
		pub, err := w.svc.Ranking.PublishMonth(ctx, w.dispatcher, "2026-03")
		if err != nil {
			t.Fatal(err)
		}
		if pub.Rules.Version != 2 {
			t.Fatalf("published under version %d, want 2", pub.Rules.Version)
		}
		if _, err := w.svc.Ranking.PublishMonth(ctx, w.dispatcher, "2026-03"); errs.CodeOf(err) != errs.Exists {
			t.Errorf("publishing twice: %v, want exists", err)
		}
		v2 := low
		v2.ResponseWeight, v2.ResolutionWeight, v2.SatisfactionWeight, v2.FairlyScore = 40, 30, 30, 0.5
		v2, err = w.svc.Ranking.SetAssessRules(ctx, w.dispatcher, v2)
		if err != nil || v2.Version != 3 {
			t.Fatalf("SetAssessRules: version %d, %v", v2.Version, err)
		}
		frozen, err := w.svc.Ranking.Assess(ctx, w.dispatcher, march, ranking.AssessOptions{})
		if err != nil || !frozen.Frozen || frozen.Rules.Version != 2 {
			t.Fatalf("published March: frozen=%v version=%d err=%v", frozen.Frozen, frozen.Rules.Version, err)
		}
		re, err := w.svc.Ranking.Assess(ctx, w.dispatcher, march, ranking.AssessOptions{Recompute: true})
		if err != nil || re.Frozen || re.Rules.Version != 2 {
			t.Fatalf("recomputed March: frozen=%v version=%d err=%v", re.Frozen, re.Rules.Version, err)
		}
		if !slices.EqualFunc(re.Units, frozen.Units, func(a, b assessment.Score) bool {
			return a.Counts == b.Counts && f4(a.Composite) == f4(b.Composite) && a.Rank == b.Rank && f4(a.Response) == f4(b.Response)
		}) {
			t.Errorf("recomputing March under its stored rules differs from the published results")
		}
		checkScore(t, "S recomputed", unitScore(t, re, S.ID), wantS, 0.4, 0.75, 0.65, 61.5)
		// The same days as a date range (not a published month) use the
		// rules in force: 40×.4 + 30×.75 + 30×(1+.5+0+.5)/4 − 0.5 = 53
		// (items are per month, so no topic).
		rg, err := w.svc.Ranking.AssessRangePeriod("2026-03-01", "2026-03-31")
		if err != nil {
			t.Fatal(err)
		}
		r2, err := w.svc.Ranking.Assess(ctx, w.dispatcher, rg, ranking.AssessOptions{Kind: org.KindStreet})
		if err != nil {
			t.Fatal(err)
		}
		wantS2 := wantS
		wantS2.Topics = 0
		checkScore(t, "S under v2", unitScore(t, r2, S.ID), wantS2, 0.4, 0.75, 0.5, 53)
		for _, u := range r2.Units {
			if u.Kind != org.KindStreet {
				t.Fatalf("kind filter let %s through", u.Kind)
			}
		}

		// Public ranking: published months only, no counts.
		pubR, err := w.svc.Ranking.PublicRanking(ctx, "2026-03")
		if err != nil || len(pubR) == 0 {
			t.Fatalf("public ranking: %d rows, %v", len(pubR), err)
		}
		if _, err := w.svc.Ranking.PublicRanking(ctx, "2026-04"); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("public ranking of an unpublished month: %v, want not_found", err)
		}

		// Exports carry the same numbers.
		var buf bytes.Buffer
		if err := ranking.WriteRankingCSV(&buf, frozen, "zh"); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\uFEFF"))).ReadAll()
		if err != nil || len(recs) != len(frozen.Units)+1 {
			t.Fatalf("csv: %d records, %v", len(recs), err)
		}
		found := false
		for _, rec := range recs[1:] {
			if rec[3] == itoa(int(S.ID)) {
				found = true
				if rec[4] != S.Name || rec[5] != "5" || rec[7] != "0.4000" || rec[20] != "61.50" {
					t.Errorf("csv row of S = %v", rec)
				}
			}
		}
		if !found {
			t.Error("S missing from the CSV")
		}
		buf.Reset()
		if err := ranking.WriteRankingXLSX(&buf, frozen, "en"); err != nil {
			t.Fatal(err)
		}
		x, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if recs[0][0] != "考核期" || recs[0][20] != "综合得分" {
			t.Errorf("csv header %v", recs[0])
		}
		rows, err := x.GetRows(x.GetSheetName(0))
		if err != nil || len(rows) != len(frozen.Units)+1 || rows[0][0] != "Period" || rows[0][20] != "Composite score" {
			t.Fatalf("xlsx: %d rows, %v", len(rows), err)
		}
	})
}
