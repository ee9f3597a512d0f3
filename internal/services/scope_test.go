package services_test

import (
	"slices"
	"testing"
	"time"

	"whistle/internal/assessment"
	"whistle/internal/calendar"
	"whistle/internal/dispatch"
	"whistle/internal/errs"
	"whistle/internal/grid"
	"whistle/internal/org"
	"whistle/internal/summons"
)

// TestDistrictCentreScope: a district centre's staff see and act in their
// own district only — patrols, whistles, coverage, the ranking drill-down,
// exemptions and knowledge articles — while the city centre's staff see
// every district; city-wide articles are the city centre's.
func TestDistrictCentreScope(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := t.Context()
		w := openWorld(t, dsn, time.Date(2026, 3, 11, 9, 0, 0, 0, calendar.ChinaStandardTime()))
		district := func(u org.Unit) int64 { ch, _ := w.svc.Chain(u.PlaceID); return ch[0] }
		actor := func(unit int64, role string) org.Actor {
			users, err := w.st.Users(ctx, unit)
			if err != nil {
				t.Fatal(err)
			}
			for _, us := range users {
				if us.Has(role) {
					a, err := w.svc.Actor(us)
					if err != nil {
						t.Fatal(err)
					}
					return a
				}
			}
			return org.Actor{}
		}
		// The street S of the world is in district A; B is another district.
		A := district(w.street)
		var supA, supB org.Actor
		var cityDept org.Unit
		for _, u := range w.svc.UnitsList() {
			switch {
			case u.Kind == org.KindDistrictCentre && district(u) == A:
				supA = actor(u.ID, org.RoleSupervisor)
			case u.Kind == org.KindDistrictCentre && supB.User.ID == 0:
				supB = actor(u.ID, org.RoleSupervisor)
			case u.Kind == org.KindDepartment && district(u) == 0 && cityDept.ID == 0:
				cityDept = u
			}
		}
		if A == 0 || supA.User.ID == 0 || supB.User.ID == 0 || supB.DistrictID == A || cityDept.ID == 0 {
			t.Fatalf("demo city: district %d, supervisors %d/%d, city department %d", A, supA.User.ID, supB.User.ID, cityDept.ID)
		}
		city := w.dispatcher
		visible := func(err error) bool { return err == nil }
		check := func(what string, a org.Actor, want bool, err error) {
			t.Helper()
			if visible(err) != want {
				t.Errorf("%s by %s: %v (want visible %v)", what, a.User.Username, err, want)
			}
		}

		// Patrols: a grid worker of S patrols one of its grids.
		leader := actor(w.street.ID, org.RoleLeader)
		var gw org.Actor
		users, _ := w.st.Users(ctx, w.street.ID)
		for _, us := range users {
			if us.Has(org.RoleGridWorker) && len(us.GridIDs) > 0 {
				gw, _ = w.svc.Actor(us)
				break
			}
		}
		if gw.User.ID == 0 || leader.User.ID == 0 {
			t.Fatal("no grid worker or leader in the street")
		}
		g := gw.User.GridIDs[0]
		p, err := w.svc.Patrols.StartPatrol(ctx, gw, g, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Patrols.AssignGrid(ctx, leader, g, leader.User.ID, grid.DutyLaneChief); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			a    org.Actor
			want bool
		}{{city, true}, {supA, true}, {leader, true}, {supB, false}, {w.deptH, false}} {
			_, _, _, err := w.svc.Patrols.Patrol(ctx, c.a, p.ID)
			check("patrol", c.a, c.want, err)
			_, err = w.svc.Patrols.GridAssignments(ctx, c.a, g)
			check("grid assignments", c.a, c.want, err)
		}

		// Coverage: the district's streets only.
		streets := func(a org.Actor) []int64 {
			cov, err := w.svc.Patrols.Coverage(ctx, a, time.Time{}, time.Time{})
			if err != nil {
				t.Fatalf("coverage by %s: %v", a.User.Username, err)
			}
			var ids []int64
			for _, s := range cov {
				ids = append(ids, s.StreetPlaceID)
			}
			return ids
		}
		inDistrict := func(ids []int64, d int64) bool {
			for _, id := range ids {
				if ch, _ := w.svc.Chain(id); ch[0] != d {
					return false
				}
			}
			return len(ids) > 0
		}
		all, ofA, ofB := streets(city), streets(supA), streets(supB)
		if !slices.Contains(all, w.street.PlaceID) || !slices.Contains(ofA, w.street.PlaceID) || slices.Contains(ofB, w.street.PlaceID) ||
			!inDistrict(ofA, A) || !inDistrict(ofB, supB.DistrictID) || len(all) <= len(ofA) {
			t.Errorf("coverage streets: city %v, A %v, B %v", all, ofA, ofB)
		}
		marks, err := w.svc.Patrols.FindingMarks(ctx, supB, time.Time{}, w.svc.Now().Add(time.Hour), map[int64]bool{g: true}, 10)
		if err != nil || len(marks) != 0 {
			t.Errorf("finding marks of another district: %v %v", marks, err)
		}

		// Whistles: raised by S in district A.
		w.at(3, 11, 10, 0)
		wh, err := w.svc.Whistles.RaiseWhistle(ctx, w.streetH, summons.Raise{Source: summons.SourceOwn, Address: "幸福路12号", Need: "联合执法", UnitIDs: []int64{w.dept.ID}})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			a    org.Actor
			want bool
		}{{city, true}, {supA, true}, {supB, false}} {
			_, _, err := w.svc.Whistles.Whistle(ctx, c.a, wh.ID)
			check("whistle", c.a, c.want, err)
			list, err := w.svc.Whistles.Whistles(ctx, c.a, "", "")
			if err != nil {
				t.Fatal(err)
			}
			listed := slices.ContainsFunc(list, func(x summons.Whistle) bool { return x.ID == wh.ID })
			if listed != c.want {
				t.Errorf("whistle listed for %s: %v, want %v", c.a.User.Username, listed, c.want)
			}
			st, err := w.svc.Whistles.SummonsStats(ctx, c.a, assessment.Period{From: w.svc.Now().Add(-time.Hour), To: w.svc.Now().Add(time.Hour), Label: "x"})
			if err != nil {
				t.Fatal(err)
			}
			counted := slices.ContainsFunc(st.Streets, func(x summons.StreetStats) bool { return x.UnitID == w.street.ID })
			if counted != c.want {
				t.Errorf("street counted in whistle statistics for %s: %v, want %v", c.a.User.Username, counted, c.want)
			}
		}
		if _, err := w.svc.Whistles.WhistleAct(ctx, supB, wh.ID, summons.ActClose, summons.Input{}); errs.CodeOf(err) != errs.Forbidden && errs.CodeOf(err) != errs.NotFound {
			t.Errorf("another district's supervisor closing: %v", err)
		}

		// The ranking's drill-down: a district's units only, no city departments.
		month, err := w.svc.Ranking.AssessMonthPeriod("2026-03")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			a    org.Actor
			unit org.Unit
			want bool
		}{{city, w.street, true}, {city, cityDept, true}, {supA, w.street, true}, {supB, w.street, false}, {supA, cityDept, false}} {
			_, err := w.svc.Ranking.AssessCases(ctx, c.a, month, c.unit.ID, assessment.MeasureExempted)
			check("drill-down into "+c.unit.Name, c.a, c.want, err)
		}

		// Knowledge: the city's articles are the city centre's.
		cityArt, err := w.svc.Dispatch.CreateArticle(ctx, city, dispatch.ArticleInput{Title: "全市停水通知", Body: "全市范围内的停水安排"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Dispatch.UpdateArticle(ctx, supA, cityArt.ID, dispatch.ArticleInput{Title: "改", Body: "改", Version: cityArt.Version}); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("district supervisor editing a city-wide article: %v", err)
		}
		if err := w.svc.Dispatch.DeleteArticle(ctx, supA, cityArt.ID); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("district supervisor deleting a city-wide article: %v", err)
		}
		if _, err := w.svc.Dispatch.CreateArticle(ctx, supA, dispatch.ArticleInput{Title: "全市", Body: "全市", OwnerUnitID: cityDept.ID}); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("district supervisor writing for a city department: %v", err)
		}
		mine, err := w.svc.Dispatch.CreateArticle(ctx, supA, dispatch.ArticleInput{Title: "本区停水通知", Body: "本区的停水安排"})
		if err != nil || mine.OwnerUnitID != supA.Unit.ID {
			t.Fatalf("district supervisor's own article: %+v %v", mine, err)
		}
		if _, err := w.svc.Dispatch.UpdateArticle(ctx, supA, mine.ID, dispatch.ArticleInput{Title: "本区停水通知", Body: "改期", Version: mine.Version}); err != nil {
			t.Errorf("district supervisor editing its district's article: %v", err)
		}
		if _, err := w.svc.Dispatch.UpdateArticle(ctx, supA, mine.ID, dispatch.ArticleInput{Title: "x", Body: "x", OwnerUnitID: cityDept.ID, Version: mine.Version + 1}); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("district supervisor moving its article to the city: %v", err)
		}
		if err := w.svc.Dispatch.DeleteArticle(ctx, supB, mine.ID); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("another district's supervisor deleting: %v", err)
		}
		if err := w.svc.Dispatch.DeleteArticle(ctx, city, mine.ID); err != nil {
			t.Errorf("city dispatcher deleting a district's article: %v", err)
		}
		if err := w.svc.Dispatch.DeleteArticle(ctx, city, cityArt.ID); err != nil {
			t.Errorf("city dispatcher deleting a city-wide article: %v", err)
		}
	})
}
