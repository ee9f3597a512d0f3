package governance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"whistle/internal/agenda"
	"whistle/internal/auth"
	"whistle/internal/casework"
	"whistle/internal/core"
	"whistle/internal/demo"
	"whistle/internal/errs"
	"whistle/internal/governance"
	"whistle/internal/insight"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/seed"
	"whistle/internal/services"
	"whistle/internal/store"
)

// city is a small demo city on a test clock, with a city dispatcher, a
// district centre's dispatcher (district D) and a street handler.
type city struct {
	t          testing.TB
	ctx        context.Context
	svc        *services.Services
	st         *store.Store
	clk        *clock
	loc        *time.Location
	agent      org.Actor
	dispatcher org.Actor
	districtD  org.Actor // a district centre's dispatcher
	handler    org.Actor
	streetIn   org.Place // a street of district D
	streetOut  org.Place // a street of another district
	category   string
	phones     []string
	names      []string
	n          int
}

func openCity(t *testing.T, dsn string, start time.Time) *city { return openCityB(t, dsn, start) }

func openCityB(t testing.TB, dsn string, start time.Time) *city {
	t.Helper()
	ctx := t.Context()
	st, err := store.Open(ctx, dsn, store.Options{SQLiteSync: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &clock{t: start}
	svc, err := services.New(ctx, st, core.Config{Now: clk.Now, PhoneKey: []byte("dashboard-test-key"), ReopenLimit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Demo(ctx, svc, demo.Options{Seed: 5, Requests: 40}, auth.FastHasher(), nil); err != nil {
		t.Fatal(err)
	}
	closeSeededTopics(t, ctx, st)
	c := &city{t: t, ctx: ctx, svc: svc, st: st, clk: clk, loc: svc.Location()}
	find := func(kind, role string) org.Actor {
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
					return a
				}
			}
		}
		t.Fatalf("no %s user in a %s unit", role, kind)
		return org.Actor{}
	}
	c.agent = find(org.KindCityCentre, org.RoleAgent)
	c.dispatcher = find(org.KindCityCentre, org.RoleDispatcher)
	c.handler = find(org.KindStreet, org.RoleHandler)
	// Two streets in two districts; a district centre's dispatcher for the first.
	for _, p := range svc.PlaceMap() {
		if p.Level != org.LevelStreet {
			continue
		}
		ch, _ := svc.Chain(p.ID)
		switch {
		case c.streetIn.ID == 0:
			c.streetIn = p
		case c.streetOut.ID == 0:
			if in, _ := svc.Chain(c.streetIn.ID); in[0] != ch[0] {
				c.streetOut = p
			}
		}
	}
	if c.streetOut.ID == 0 {
		t.Fatal("the demo city has one district")
	}
	inD, _ := svc.Chain(c.streetIn.ID)
	for _, u := range svc.UnitsList() {
		if u.Kind == org.KindDistrictCentre && u.PlaceID == inD[0] {
			a, err := svc.Actor(org.User{ID: 9999, Username: "dc", Roles: []string{org.RoleDispatcher}, UnitID: u.ID})
			if err != nil {
				t.Fatal(err)
			}
			c.districtD = a
		}
	}
	if c.districtD.DistrictID != inD[0] {
		t.Fatalf("no district centre for district %d", inD[0])
	}
	for _, cat := range svc.Categories() {
		if cat.Leaf && cat.Active && (cat.Urgency == "" || cat.Urgency == "general") {
			c.category = cat.Code
			break
		}
	}
	return c
}

// create files a request at tm in street.
func (c *city) create(tm time.Time, street org.Place) *lifecycle.Case {
	c.t.Helper()
	c.clk.Set(tm)
	c.n++
	phone, name := fmt.Sprintf("1377700%04d", c.n), fmt.Sprintf("测试市民%c", '甲'+rune(c.n))
	c.phones, c.names = append(c.phones, phone), append(c.names, name)
	k, _, err := c.svc.Cases.Create(c.ctx, c.agent, casework.NewCase{Channel: "phone", Type: "complaint", Category: c.category, Urgency: "general",
		Description: "楼下噪音扰民 " + name, CitizenPhone: phone, CitizenName: name, PlaceID: street.ID}, "")
	if err != nil {
		c.t.Fatal(err)
	}
	return k
}

func hoursOf(hs []int64) map[int]int64 {
	out := map[int]int64{}
	for h, n := range hs {
		if n != 0 {
			out[h] = n
		}
	}
	return out
}

func eqHours(t *testing.T, name string, got []int64, want map[int]int64) {
	t.Helper()
	if len(got) != 24 {
		t.Fatalf("%s has %d hours, want 24", name, len(got))
	}
	g := hoursOf(got)
	if fmt.Sprint(g) != fmt.Sprint(want) {
		t.Errorf("%s = %v, want %v", name, g, want)
	}
}

// TestDashboard files requests at known times in two districts, puts
// rollup rows, a stored analysis and a topic, and checks every number of
// the dashboard for the city and for a district centre, that a street
// handler is refused, and that nothing personal is in it.
func TestDashboard(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		loc := time.FixedZone("CST", 8*3600)
		c := openCity(t, dsn, time.Date(2026, 3, 1, 9, 0, 0, 0, loc))
		ctx := c.ctx
		day := func(d, hh, mm int) time.Time { return time.Date(2026, 3, d, hh, mm, 0, 0, loc) }
		// Ten days after the demo's history: yesterday (11th) and today
		// (12th) hold only the requests filed here.
		c.create(day(11, 8, 10), c.streetIn)
		c.create(day(11, 8, 40), c.streetIn)
		c.create(day(11, 15, 20), c.streetOut) // after the time of day now: not in "yesterday so far"
		c.create(day(12, 8, 5), c.streetIn)
		c.create(day(12, 9, 15), c.streetIn)
		c.create(day(12, 9, 50), c.streetOut)
		last := c.create(day(12, 10, 0), c.streetIn)
		now := day(12, 10, 30)
		c.clk.Set(now)
		today := insight.DayOf(now)
		inD, _ := c.svc.Chain(c.streetIn.ID)
		outD, _ := c.svc.Chain(c.streetOut.ID)

		// Rollup rows (maintained by the rollups once merged; put here directly).
		rows := []store.DailyRow{
			{Day: int64(today - 1), Category: c.category, DistrictID: inD[0], StreetID: inD[1], N: 10, Rated: 8, Resolved: 6, Unsatisfied: 2},
			{Day: int64(today - 30), Category: c.category, DistrictID: outD[0], StreetID: outD[1], N: 5, Rated: 4, Resolved: 4, Unsatisfied: 0},
			{Day: int64(today - 31), Category: c.category, DistrictID: inD[0], StreetID: inD[1], N: 99, Rated: 99, Resolved: 0, Unsatisfied: 99}, // before the window
			{Day: int64(today), Category: c.category, DistrictID: inD[0], StreetID: inD[1], N: 77, Rated: 77, Resolved: 0, Unsatisfied: 77},      // today: not a whole day
		}
		// A stored analysis with a hotspot on a grid of district D.
		var grid org.Place
		for _, p := range c.svc.PlaceMap() {
			if ch, _ := c.svc.Chain(p.ID); p.Level == org.LevelGrid && ch[0] == inD[0] {
				if pd, err := c.svc.PlaceDetail(ctx, p.ID); err == nil && pd.Boundary != "" {
					grid = pd
					break
				}
			}
		}
		if grid.ID == 0 {
			t.Fatal("no grid with an outline in district D")
		}
		an := governance.Analysis{Filter: governance.DefaultFilter(now), Report: &insight.Report{Hotspots: []insight.Hotspot{
			{Category: c.category, Grids: []string{strconv.FormatInt(grid.ID, 10)}, Count: 17, Expected: 4.5, MaxZ: 3.2,
				Examples: []string{"例子 " + c.names[0]}},
		}}}
		doc, _ := json.Marshal(an)
		topic := &agenda.Topic{Title: "噪音扰民专项治理", State: agenda.Active, LeadUnitID: c.handler.Unit.ID, StartedAt: day(1, 0, 0), CreatedAt: now, UpdatedAt: now, Version: 1}
		if err := c.st.Write(ctx, func(tx *store.Tx) error {
			if err := tx.InsertDailyRows(ctx, rows); err != nil {
				return err
			}
			if err := tx.PutInsightRun(ctx, &store.InsightRun{Params: an.Filter.Key(), From: int64(an.Filter.From), To: int64(an.Filter.To), CreatedAt: now, Doc: string(doc)}); err != nil {
				return err
			}
			if err := tx.InsertTopic(ctx, topic); err != nil {
				return err
			}
			for _, st := range []string{agenda.TaskOpen, agenda.TaskDone, agenda.TaskRejected} {
				if err := tx.InsertTask(ctx, &agenda.Task{TopicID: topic.ID, Kind: agenda.KindTopic, State: st, UnitID: c.handler.Unit.ID, Title: "排查", DueAt: day(20, 0, 0), CreatedAt: now, UpdatedAt: now, Version: 1}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}

		d, err := c.svc.Insight.Dashboard(ctx, c.dispatcher)
		if err != nil {
			t.Fatal(err)
		}
		if d.Today != 4 || d.YesterdaySoFar != 2 || d.DistrictID != 0 {
			t.Errorf("city: today %d, yesterday so far %d, district %d; want 4, 2, 0", d.Today, d.YesterdaySoFar, d.DistrictID)
		}
		eqHours(t, "city today", d.TodayHours, map[int]int64{8: 1, 9: 2, 10: 1})
		eqHours(t, "city yesterday", d.YesterdayHours, map[int]int64{8: 2, 15: 1})
		byState, err := c.st.CountByState(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var open int64
		for s, n := range byState {
			if lifecycle.State(s).Open() {
				open += n
			}
		}
		overdue, err := c.st.CountOverdue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if d.Open != open || d.Overdue != overdue || d.Open < 7 {
			t.Errorf("city: open %d overdue %d, want %d and %d (at least the 7 filed here open)", d.Open, d.Overdue, open, overdue)
		}
		// Yesterday: the 10 planted rollup requests and the 3 filed here (2 in district D).
		if len(d.Days) != 30 || d.Days[0].N != 5 || d.Days[29].N != 10+3 || d.Days[29].Date != "2026-03-11" || d.Days[0].Date != "2026-02-10" {
			t.Errorf("city days: %d days, first %+v, last %+v", len(d.Days), d.Days[0], d.Days[len(d.Days)-1])
		}
		r := d.Rates
		if r.Rated != 12 || r.Resolved != 10 || r.Unsatisfied != 2 || *r.Resolution != 0.8333 || *r.Satisfaction != 0.8333 || r.From != "2026-02-10" || r.To != "2026-03-11" {
			t.Errorf("city rates: %+v (resolution %v satisfaction %v)", r, *r.Resolution, *r.Satisfaction)
		}
		if r.Response != nil || r.ResponseMonth != "" {
			t.Errorf("no month is published, yet response %v of %q", *r.Response, r.ResponseMonth)
		}
		if len(d.Hotspots.Clusters) != 1 || len(d.Hotspots.Clusters[0].Grids) != 1 {
			t.Fatalf("hotspots: %+v", d.Hotspots)
		}
		h := d.Hotspots.Clusters[0]
		if g := h.Grids[0]; g.ID != grid.ID || g.Name != grid.Name || g.Lat == 0 || g.Lon == 0 || len(g.Ring) < 3 || h.Count != 17 || h.CategoryName == "" {
			t.Errorf("hotspot: %+v grid %+v", h, g)
		}
		if len(d.Topics) != 1 || d.Topics[0].Title != topic.Title || d.Topics[0].LeadUnit != c.handler.Unit.Name || d.Topics[0].Tasks != 2 || d.Topics[0].TasksDone != 1 {
			t.Errorf("topics: %+v", d.Topics)
		}
		if len(d.Ticker) != 7 || d.Ticker[0].Number != last.Number || d.Ticker[0].Time != "10:00" || d.Ticker[0].Street != c.streetIn.Name || d.Ticker[0].CategoryName == "" {
			t.Errorf("ticker: %+v, want 7 entries, the first %s at 10:00 in %s", d.Ticker, last.Number, c.streetIn.Name)
		}

		// The district centre sees its district only.
		dd, err := c.svc.Insight.Dashboard(ctx, c.districtD)
		if err != nil {
			t.Fatal(err)
		}
		loads, _, err := c.st.UnitLoads(ctx, org.ScopeOf(c.districtD), now, now)
		if err != nil {
			t.Fatal(err)
		}
		var dOpen, dOver int64
		for _, l := range loads {
			dOpen, dOver = dOpen+int64(l.Open), dOver+int64(l.Overdue)
		}
		if dd.DistrictID != inD[0] || dd.Today != 3 || dd.YesterdaySoFar != 2 || dd.Open != dOpen || dd.Overdue != dOver || dd.Open >= d.Open {
			t.Errorf("district: %+v; want today 3, yesterday so far 2, open %d overdue %d", dd, dOpen, dOver)
		}
		eqHours(t, "district today", dd.TodayHours, map[int]int64{8: 1, 9: 1, 10: 1})
		eqHours(t, "district yesterday", dd.YesterdayHours, map[int]int64{8: 2})
		if dd.Rates.Rated != 8 || dd.Days[0].N != 0 || dd.Days[29].N != 10+2 || *dd.Rates.Resolution != 0.75 || *dd.Rates.Satisfaction != 0.75 {
			t.Errorf("district rates: %+v", dd.Rates)
		}
		if len(dd.Ticker) != 5 || len(dd.Hotspots.Clusters) != 1 {
			t.Errorf("district ticker %d entries, hotspots %d; want 5 and 1", len(dd.Ticker), len(dd.Hotspots.Clusters))
		}

		// Nothing personal, nor the requests' texts.
		for _, v := range []*governance.Dashboard{d, dd} {
			b, _ := json.Marshal(v)
			for _, s := range append(append([]string{"噪音扰民 ", "例子"}, c.phones...), c.names...) {
				if strings.Contains(string(b), s) {
					t.Errorf("the dashboard shows %q: %s", s, b)
				}
			}
		}

		// A unit's handler is refused.
		if _, err := c.svc.Insight.Dashboard(ctx, c.handler); !errs.Is(err, errs.Forbidden) {
			t.Errorf("a street handler got %v, want forbidden", err)
		}
	})
}
