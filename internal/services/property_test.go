package services_test

import (
	"testing"
	"time"

	"whistle/internal/assessment"
	"whistle/internal/auth"
	"whistle/internal/calendar"
	"whistle/internal/casework"
	"whistle/internal/compound"
	"whistle/internal/dispatch"
	"whistle/internal/dutylist"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/property"
	"whistle/internal/ranking"
)

// TestPropertyLoop: a request inside a managed compound, in a category the
// duty list marks as property-serviceable, is suggested to the compound's
// property company, dispatched (its street copied), signed, contacted,
// replied and called back (closed) by the same lifecycle as any unit, and
// is counted in the property group of the month's exam paper; a request
// outside the compound still goes to the street, and the property
// company's staff get 404 on it. Residents rate the company once a quarter.
func TestPropertyLoop(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := t.Context()
		w := openWorld(t, dsn, time.Date(2026, 2, 27, 9, 0, 0, 0, calendar.ChinaStandardTime()))
		svc := w.svc
		var admin org.Actor
		for _, u := range svc.UnitsList() {
			if u.Kind != org.KindCityCentre {
				continue
			}
			us, err := w.st.Users(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range us {
				if x.Has(org.RoleAdmin) && admin.User.ID == 0 {
					admin, _ = svc.Actor(x)
				}
			}
		}
		if admin.User.ID == 0 {
			t.Fatal("no administrator")
		}
		var community org.Place
		for _, p := range svc.Children(w.street.PlaceID) {
			if p.Level == org.LevelCommunity {
				community = p
				break
			}
		}
		if community.ID == 0 {
			t.Fatal("no community in the street")
		}
		prop, err := svc.Admin.CreateUnit(ctx, admin, org.Unit{Code: "wy-test", Name: "测试物业公司", Kind: org.KindProperty, PlaceID: w.street.PlaceID, SupervisorID: w.street.ID})
		if err != nil {
			t.Fatal(err)
		}
		oc, err := svc.Admin.CreateUnit(ctx, admin, org.Unit{Code: "yw-test", Name: "测试业委会", Kind: org.KindOwnersCommittee, PlaceID: community.ID})
		if err != nil {
			t.Fatal(err)
		}
		pu, err := svc.Admin.CreateUser(ctx, admin, org.User{Username: "wy-test-h", DisplayName: "物业客服", UnitID: prop.ID, Roles: []string{org.RoleHandler}}, "pw-Property-1", auth.FastHasher())
		if err != nil {
			t.Fatal(err)
		}
		propH, err := svc.Actor(pu)
		if err != nil {
			t.Fatal(err)
		}

		// the compound: the street handler may not keep it, the dispatcher may
		in := compound.Compound{Name: "试点家园", Address: "试点路1号", Aliases: []string{"试点小区"}, CommunityID: community.ID,
			PropertyUnitID: prop.ID, CommitteeUnitID: oc.ID, Active: true}
		if _, err := svc.Property.SaveCompound(ctx, w.streetH, in); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("street handler saved a compound: %v", err)
		}
		bad := in
		bad.PropertyUnitID = w.street.ID
		if _, err := svc.Property.SaveCompound(ctx, w.dispatcher, bad); !errs.Is(err, errs.UnknownUnit) {
			t.Fatalf("a street as property company: %v", err)
		}
		cv, err := svc.Property.SaveCompound(ctx, w.dispatcher, in)
		if err != nil || cv.ID == 0 || cv.PropertyName != "测试物业公司" || cv.CommitteeName != "测试业委会" {
			t.Fatalf("save: %+v %v", cv, err)
		}

		// the duty list marks the category as property-serviceable
		cur, err := svc.Dispatch.DutyLists(ctx, w.dispatcher)
		if err != nil {
			t.Fatal(err)
		}
		var rules []dutylist.Rule
		for _, l := range cur {
			if l.Status == dutylist.Published {
				rules = l.Rules
				break
			}
		}
		rules = append(rules, dutylist.Rule{ID: 9901, Category: w.category, Lead: dutylist.Target{Role: dutylist.RoleProperty}, Label: "物业服务"})
		dl, err := svc.Dispatch.CreateDutyList(ctx, w.dispatcher, dispatch.DutyListInput{Name: "含物业", Rules: rules})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Dispatch.PublishDutyList(ctx, w.dispatcher, dl.Version); err != nil {
			t.Fatal(err)
		}
		// a looser minimum so that one order ranks
		r := assessment.DefaultRules()
		r.MinOrders, r.MinCallbacks = 1, 1
		if _, err := svc.Ranking.SetAssessRules(ctx, w.dispatcher, r); err != nil {
			t.Fatal(err)
		}

		newCase := func(addr, phone string) *lifecycle.Case {
			c, _, err := svc.Cases.Create(ctx, w.agent, casework.NewCase{Channel: "phone", Type: "complaint", Category: w.category, Urgency: "general",
				Description: "楼道灯不亮", Address: addr, CitizenPhone: phone, PlaceID: community.ID}, "")
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		w.at(3, 2, 8, 30)
		c := newCase("试点小区3号楼2单元", "13900007001")
		if c.Suggestion == nil || c.Suggestion.LeadUnitID != prop.ID || c.Suggestion.RuleID != 9901 {
			t.Fatalf("suggestion %+v, want the property company by rule 9901", c.Suggestion)
		}
		out := newCase("试点路外侧菜市场", "13900007002")
		if out.Suggestion == nil || out.Suggestion.LeadUnitID == prop.ID || out.Suggestion.RuleID == 9901 {
			t.Fatalf("outside the compound: %+v, want the list's other rules", out.Suggestion)
		}
		// the agent screen's suggestion agrees
		if d, err := svc.Dispatch.RouteSuggestionAt(ctx, w.category, community.ID, "灯", lifecycle.Location{Address: "试点家园1号楼"}); err != nil || d.LeadUnitID != prop.ID {
			t.Fatalf("RouteSuggestionAt: %+v %v", d, err)
		}

		d := w.at(3, 2, 9, 0)
		c = w.act(w.dispatcher, c.ID, casework.ActInput{Action: lifecycle.ActDispatch, UnitID: c.Suggestion.LeadUnitID})
		if c.LeadUnitID != prop.ID || c.SupervisingUnitID != w.street.ID || !c.SignBy.Equal(d.Add(2*time.Hour)) {
			t.Fatalf("dispatched: lead %d supervising %d sign by %v", c.LeadUnitID, c.SupervisingUnitID, c.SignBy)
		}
		w.act(w.dispatcher, out.ID, casework.ActInput{Action: lifecycle.ActDispatch, UnitID: w.street.ID})
		// scope: the property company sees its case and nothing else (404)
		if _, err := svc.Cases.Get(ctx, propH, out.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("property staff on a case not theirs: %v", err)
		}
		if got, err := svc.Cases.Get(ctx, propH, c.ID); err != nil || got.ID != c.ID {
			t.Fatalf("property staff on their case: %v", err)
		}
		if _, _, err := svc.Cases.Act(ctx, propH, out.ID, casework.ActInput{Action: lifecycle.ActSign}); !errs.Is(err, errs.NotFound) {
			t.Fatalf("property staff signed a case not theirs: %v", err)
		}
		w.clk.Set(d.Add(30 * time.Minute))
		w.act(propH, c.ID, casework.ActInput{Action: lifecycle.ActSign})
		w.clk.Set(d.Add(60 * time.Minute))
		w.act(propH, c.ID, casework.ActInput{Action: lifecycle.ActContact, Means: "phone"})
		w.at(3, 3, 10, 0)
		w.act(propH, c.ID, casework.ActInput{Action: lifecycle.ActReply, Result: lifecycle.ResultResolved, Note: "已更换灯泡"})
		w.at(3, 3, 15, 0)
		c = w.act(w.agent, c.ID, casework.ActInput{Action: lifecycle.ActCallback, Resolved: &yes, Satisfaction: lifecycle.Satisfied})
		if c.State != lifecycle.Closed {
			t.Fatalf("state after callback %s", c.State)
		}

		// residents rate the company: once per phone per quarter
		if _, err := svc.Property.Rate(ctx, property.RateInput{CompoundID: cv.ID, Score: 4, Comment: "响应快", Phone: "139 0000 7001"}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Property.Rate(ctx, property.RateInput{CompoundID: cv.ID, Score: 1, Phone: "13900007001"}); !errs.Is(err, errs.Exists) {
			t.Fatalf("second rating in the quarter: %v", err)
		}
		if _, err := svc.Property.Rate(ctx, property.RateInput{CompoundID: cv.ID, Score: 9, Phone: "12"}); !errs.Is(err, errs.InvalidPhone) {
			t.Fatalf("bad rating: %v", err)
		}
		if _, err := svc.Property.Rate(ctx, property.RateInput{CompoundID: cv.ID, Score: 2, Phone: "13900007002"}); err != nil {
			t.Fatal(err)
		}

		w.at(4, 2, 9, 0)
		march, err := svc.Ranking.AssessMonthPeriod("2026-03")
		if err != nil {
			t.Fatal(err)
		}
		rk, err := svc.Ranking.Assess(ctx, w.dispatcher, march, ranking.AssessOptions{Kind: org.KindProperty})
		if err != nil {
			t.Fatal(err)
		}
		s := unitScore(t, rk, prop.ID)
		if s.Kind != org.KindProperty || s.Orders != 1 || s.Responded != 1 || s.Callbacks != 1 || s.Resolved != 1 || s.Satisfied != 1 || s.Rank < 1 || s.Composite == nil {
			t.Fatalf("property score %+v", s)
		}
		for _, u := range rk.Units {
			if u.Kind != org.KindProperty {
				t.Fatalf("unit %s of kind %s in the property group", u.UnitName, u.Kind)
			}
		}
		b, err := svc.Property.Board(ctx, w.dispatcher, march)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, row := range b.Rows {
			if row.Score.UnitID == prop.ID {
				found = true
				if row.Ratings.Count != 2 || row.Ratings.Mean == nil || *row.Ratings.Mean != 3 || len(row.Compounds) != 1 || row.Committees[0] != "测试业委会" {
					t.Fatalf("board row %+v", row)
				}
			}
		}
		if !found {
			t.Fatal("the company is not on the property board")
		}
		// a property company's staff see their own row only; a street handler nothing
		if b, err := svc.Property.Board(ctx, propH, march); err != nil || len(b.Rows) != 1 {
			t.Fatalf("own board: %+v %v", b.Rows, err)
		}
		if _, err := svc.Property.Board(ctx, w.streetH, march); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("street handler on the property board: %v", err)
		}
		// publishing the month freezes the property group with the others
		if _, err := svc.Ranking.PublishMonth(ctx, w.dispatcher, "2026-03"); err != nil {
			t.Fatal(err)
		}
		pub, err := svc.Ranking.PublicRanking(ctx, "2026-03")
		if err != nil {
			t.Fatal(err)
		}
		seen := false
		for _, x := range pub {
			if x.Kind == org.KindProperty && x.Unit == "测试物业公司" && x.Rank >= 1 {
				seen = true
			}
		}
		if !seen {
			t.Fatalf("the company is not in the public ranking's property group: %+v", pub)
		}
	})
}
