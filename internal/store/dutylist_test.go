package store_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"whistle/internal/dutylist"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
)

func TestDutyLists(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		if _, err := s.PublishedDutyList(ctx); !errs.Is(err, errs.NotFound) {
			t.Fatalf("published list on an empty store: %v", err)
		}
		rules := []dutylist.Rule{
			{ID: 112, Category: "urban.stall", Lead: dutylist.Target{Role: dutylist.RoleStreet}, Co: []dutylist.Target{{Role: dutylist.RoleDistrictDept, Key: "cgzf"}}, Label: "占道经营"},
			{ID: 200, Category: "traffic", Prefix: true, PlaceID: 3, Keywords: []string{"单车"}, Lead: dutylist.Target{Unit: "city-jtw"}, Priority: 2},
		}
		v1 := dutylist.Stored{List: dutylist.List{Name: "2026 版", Rules: rules}, CreatedBy: 1, CreatedAt: base, UpdatedAt: base}
		v2 := dutylist.Stored{List: dutylist.List{Name: "草稿", Rules: rules[:1]}, CreatedBy: 1, CreatedAt: base, UpdatedAt: base}
		write(t, s, func(tx *store.Tx) error {
			if err := tx.InsertDutyList(ctx, &v1); err != nil {
				return err
			}
			return tx.InsertDutyList(ctx, &v2)
		})
		if v1.Version == 0 || v2.Version <= v1.Version || v1.Status != dutylist.Draft {
			t.Fatalf("versions %d, %d status %q", v1.Version, v2.Version, v1.Status)
		}
		got, err := s.DutyListVersion(ctx, v1.Version)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Rules, rules) || got.Name != "2026 版" || !got.CreatedAt.Equal(base.Truncate(time.Millisecond)) {
			t.Fatalf("round trip: %+v", got)
		}
		// publish v1: it is in force and can no longer change
		write(t, s, func(tx *store.Tx) error { return tx.PublishDutyList(ctx, v1.Version, 9, base.Add(time.Hour)) })
		pub, err := s.PublishedDutyList(ctx)
		if err != nil || pub.Version != v1.Version || pub.Status != dutylist.Published || pub.PublishedBy != 9 {
			t.Fatalf("published: %+v %v", pub, err)
		}
		v1.Name = "changed"
		wantCode(t, s.Write(ctx, func(tx *store.Tx) error { return tx.UpdateDutyList(ctx, &v1) }), errs.Conflict)
		wantCode(t, s.Write(ctx, func(tx *store.Tx) error { return tx.PublishDutyList(ctx, v1.Version, 9, base) }), errs.Conflict)
		// the draft changes, then is published and supersedes v1
		v2.Rules = rules
		v2.UpdatedAt = base.Add(2 * time.Hour)
		write(t, s, func(tx *store.Tx) error { return tx.UpdateDutyList(ctx, &v2) })
		write(t, s, func(tx *store.Tx) error { return tx.PublishDutyList(ctx, v2.Version, 9, base.Add(3*time.Hour)) })
		if pub, err := s.PublishedDutyList(ctx); err != nil || pub.Version != v2.Version || len(pub.Rules) != 2 {
			t.Fatalf("published after v2: %+v %v", pub, err)
		}
		all, err := s.DutyLists(ctx)
		if err != nil || len(all) != 2 || all[0].Version != v2.Version {
			t.Fatalf("list: %+v %v", all, err)
		}
		if _, err := s.DutyListVersion(ctx, 999); !errs.Is(err, errs.NotFound) {
			t.Fatalf("unknown version: %v", err)
		}
	})
}

// routedCase returns a case in street 3 / community 4 / grid 5 of district 2.
func routedCase(n int, cat string, at time.Time) *lifecycle.Case {
	c := testCase(n)
	c.Category, c.CreatedAt, c.UpdatedAt = cat, at, at
	c.Location = lifecycle.Location{DistrictID: 2, StreetID: 3, CommunityID: 4, GridID: 5}
	return c
}

func TestRoutingQueries(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		day := 24 * time.Hour
		var cs []*lifecycle.Case
		// closed cases led by units 10 (3×) and 11 (1×), one of 11's too old
		for i, u := range []int64{10, 10, 10, 11, 11} {
			c := routedCase(i+1, "urban.stall", base.Add(time.Duration(i)*time.Hour))
			c.State, c.LeadUnitID, c.ClosedAt = lifecycle.Closed, u, base.Add(time.Duration(i)*time.Hour+day)
			if i == 4 {
				c.ClosedAt = base.Add(-100 * day)
			}
			cs = append(cs, c)
		}
		other := routedCase(6, "urban.litter", base) // another category
		other.State, other.LeadUnitID, other.ClosedAt = lifecycle.Closed, 11, base.Add(day)
		open1 := routedCase(7, "urban.stall", base.Add(2*day))
		open2 := routedCase(8, "urban.litter", base.Add(3*day))
		elsewhere := routedCase(9, "urban.stall", base.Add(3*day))
		elsewhere.Location.DistrictID = 99
		cs = append(cs, other, open1, open2, elsewhere)
		insertCases(t, s, cs...)

		got, err := s.FinalLeadCounts(ctx, "urban.stall", 3, base.Add(-30*day), []int64{10, 11, 12})
		if err != nil || !reflect.DeepEqual(got, map[int64]int{10: 3, 11: 1}) {
			t.Fatalf("FinalLeadCounts = %v, %v", got, err)
		}
		if got, _ := s.FinalLeadCounts(ctx, "urban.stall", 3, base, nil); len(got) != 0 {
			t.Fatalf("no units: %v", got)
		}

		created, err := s.CasesCreated(ctx, base, base.Add(2*day+time.Minute), 100)
		if err != nil || len(created) != 7 || created[0].Number != cs[0].Number {
			t.Fatalf("CasesCreated: %d %v", len(created), err)
		}
		if lim, _ := s.CasesCreated(ctx, base, base.Add(10*day), 2); len(lim) != 2 {
			t.Fatalf("limit: %d", len(lim))
		}

		open, err := s.OpenCasesIn(ctx, []string{"urban.stall", "urban.litter"}, 2, base, 50)
		if got := ids(open); err != nil || len(got) != 2 || !slices.Contains(got, open1.ID) || !slices.Contains(got, open2.ID) {
			t.Fatalf("OpenCasesIn: %v %v", ids(open), err)
		}
		if any, _ := s.OpenCasesIn(ctx, []string{"urban.stall"}, 0, base, 50); len(any) != 2 {
			t.Fatalf("any district: %v", ids(any))
		}
		if none, _ := s.OpenCasesIn(ctx, []string{"urban.stall"}, 2, base.Add(5*day), 50); len(none) != 0 {
			t.Fatalf("since: %v", ids(none))
		}
	})
}

func TestRepeatFlags(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		day := 24 * time.Hour
		mk := func(n int, phone string, grid int64, cat string, at time.Time) *lifecycle.Case {
			c := routedCase(n, cat, at)
			c.Citizen.PhoneHash, c.Location.GridID = phone, grid
			return c
		}
		insertCases(t, s,
			mk(1, "ph:a", 5, "urban.stall", base.Add(-40*day)), // too old
			mk(2, "ph:a", 6, "noise.night", base.Add(-10*day)),
			mk(3, "ph:a", 5, "urban.stall", base.Add(-1*day)),
			mk(4, "ph:b", 5, "urban.stall", base.Add(-2*day)),
			mk(5, "ph:b", 5, "noise.night", base.Add(-2*day)),
			mk(6, "", 0, "urban.stall", base.Add(-3*day)), // community 4, no grid
		)
		since := base.Add(-30 * day)
		caller, place, err := s.RepeatCounts(ctx, "ph:a", 5, 4, 2, "urban.stall", since, base)
		if err != nil || caller != 2 || place != 2 {
			t.Fatalf("grid: caller %d place %d %v, want 2 2", caller, place, err)
		}
		caller, place, err = s.RepeatCounts(ctx, "ph:c", 0, 4, 2, "urban.stall", since, base)
		if err != nil || caller != 0 || place != 3 {
			t.Fatalf("community: caller %d place %d %v, want 0 3", caller, place, err)
		}
		caller, place, err = s.RepeatCounts(ctx, "ph:b", 0, 4, 2, "urban.stall", since, base)
		if err != nil || caller != 2 || place != 3 {
			t.Fatalf("community and caller: caller %d place %d %v, want 2 3", caller, place, err)
		}
		caller, place, err = s.RepeatCounts(ctx, "ph:b", 0, 0, 0, "urban.stall", since, base)
		if err != nil || caller != 2 || place != 0 {
			t.Fatalf("caller only: caller %d place %d %v, want 2 0", caller, place, err)
		}
		caller, place, _ = s.RepeatCounts(ctx, "", 0, 0, 0, "urban.stall", since, base)
		if caller != 0 || place != 0 {
			t.Fatalf("nothing known: %d %d", caller, place)
		}

		// counts are capped
		var many []*lifecycle.Case
		for i := range store.MaxRepeatCount + 5 {
			many = append(many, mk(1000+i, "ph:busy", 9, "water.outage", base.Add(-time.Duration(i+1)*time.Minute)))
		}
		insertCases(t, s, many...)
		if caller, place, _ := s.RepeatCounts(ctx, "ph:busy", 9, 4, 2, "water.outage", since, base); caller != store.MaxRepeatCount || place != store.MaxRepeatCount {
			t.Fatalf("capped counts: %d %d", caller, place)
		}

		// flags and their listing
		a := mk(10, "ph:a", 5, "urban.stall", base)
		b := mk(11, "ph:z", 5, "urban.stall", base.Add(time.Minute))
		b.Location.DistrictID = 7
		insertCases(t, s, a, b)
		write(t, s, func(tx *store.Tx) error {
			for _, f := range []struct {
				id   int64
				flag string
				n    int
				at   time.Time
			}{{a.ID, lifecycle.FlagRepeatCaller, 2, a.CreatedAt}, {a.ID, lifecycle.FlagRepeatPlace, 2, a.CreatedAt}, {b.ID, lifecycle.FlagRepeatPlace, 3, b.CreatedAt}} {
				if err := tx.InsertCaseFlag(ctx, f.id, f.flag, f.n, f.at); err != nil {
					return err
				}
			}
			return nil
		})
		counts, err := s.FlagCounts(ctx, org.Scope{All: true}, base, base.Add(day))
		if err != nil || counts[lifecycle.FlagRepeatCaller] != 1 || counts[lifecycle.FlagRepeatPlace] != 2 {
			t.Fatalf("counts %v %v", counts, err)
		}
		counts, _ = s.FlagCounts(ctx, org.Scope{DistrictID: 7}, time.Time{}, time.Time{})
		if counts[lifecycle.FlagRepeatCaller] != 0 || counts[lifecycle.FlagRepeatPlace] != 1 {
			t.Fatalf("scoped counts %v", counts)
		}
		if counts, _ = s.FlagCounts(ctx, org.Scope{All: true}, base.Add(day), time.Time{}); counts[lifecycle.FlagRepeatPlace] != 0 {
			t.Fatalf("counts after: %v", counts)
		}
		page, next, err := s.FlaggedCases(ctx, org.Scope{All: true}, lifecycle.FlagRepeatPlace, time.Time{}, time.Time{}, "", 1)
		if err != nil || len(page) != 1 || page[0].Case.ID != b.ID || page[0].Count != 3 || next == "" {
			t.Fatalf("page 1: %+v %q %v", page, next, err)
		}
		page, next, _ = s.FlaggedCases(ctx, org.Scope{All: true}, lifecycle.FlagRepeatPlace, time.Time{}, time.Time{}, next, 1)
		if len(page) != 1 || page[0].Case.ID != a.ID || next != "" {
			t.Fatalf("page 2: %+v %q", page, next)
		}
		// a page never splits one case's flags
		page, next, _ = s.FlaggedCases(ctx, org.Scope{All: true}, "", time.Time{}, time.Time{}, "", 1)
		if len(page) != 1 || page[0].Case.ID != b.ID || next == "" {
			t.Fatalf("any flag, page 1: %+v %q", page, next)
		}
		page, next, _ = s.FlaggedCases(ctx, org.Scope{All: true}, "", time.Time{}, time.Time{}, next, 1)
		if len(page) != 2 || page[0].Case.ID != a.ID || page[1].Case.ID != a.ID {
			t.Fatalf("any flag, page 2: %+v %q", page, next)
		}
		if next != "" {
			if page, next, _ = s.FlaggedCases(ctx, org.Scope{All: true}, "", time.Time{}, time.Time{}, next, 1); len(page) != 0 || next != "" {
				t.Fatalf("any flag, page 3: %+v %q", page, next)
			}
		}
		all, _, _ := s.FlaggedCases(ctx, org.Scope{All: true}, "", time.Time{}, time.Time{}, "", 50)
		if len(all) != 3 {
			t.Fatalf("all flags: %+v", all)
		}
		if _, _, err := s.FlaggedCases(ctx, org.Scope{All: true}, "", time.Time{}, time.Time{}, "junk", 5); !errs.Is(err, errs.Invalid) {
			t.Fatalf("bad cursor: %v", err)
		}
		// a flag is recorded once per case
		if err := s.Write(ctx, func(tx *store.Tx) error { return tx.InsertCaseFlag(ctx, a.ID, lifecycle.FlagRepeatPlace, 9, base) }); err == nil {
			t.Fatal("second flag of the same kind accepted")
		}
	})
}
