package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"whistle/internal/deliberation"
	"whistle/internal/deliberations"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/pgtest"
)

// The 议事协商 routes: a street raises an item from its request, another
// street gets 404; a residents' proposal through the public API is
// accepted, scheduled and decided with versions checked; the public view
// carries the decision and no personal data.
func TestAPIDeliberation(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { apiDeliberation(t, apiOpen(t, "")) })
	t.Run("postgres", func(t *testing.T) { apiDeliberation(t, apiOpen(t, pgtest.NewDatabase(t))) })
}

func apiDeliberation(t *testing.T, e *apiEnv) {
	svc := e.app.Svc
	a := e.actor(svc, e.handlerA)
	p, err := svc.Cases.List(e.ctx, a, lifecycle.CaseFilter{LeadUnitID: e.streetA.ID, Limit: 1})
	if err != nil || len(p.Cases) == 0 {
		t.Fatalf("streetA leads no request: %v", err)
	}
	// A community of streetA without a community unit of its own: a
	// residents' proposal there goes to the street (one with its own unit
	// goes to that unit).
	community := e.gridA.Loc.CommunityID
	hasUnit := map[int64]bool{}
	for _, u := range svc.UnitsList() {
		if u.Kind == org.KindCommunity {
			hasUnit[u.PlaceID] = true
		}
	}
	if hasUnit[community] {
		for _, pl := range svc.Children(e.streetA.PlaceID) {
			if pl.Level == org.LevelCommunity && !hasUnit[pl.ID] {
				community = pl.ID
				break
			}
		}
	}
	var v deliberations.View
	apiWant(t, e.apiDo(e.handlerA, "POST", "/api/v1/deliberations", map[string]any{"title": "楼道堆物清理", "place_id": community, "case_ids": []int64{p.Cases[0].ID}}), 201, &v)
	id := v.Item.ID
	item := fmt.Sprintf("/api/v1/deliberations/%d", id)
	apiRefused(t, e.apiDo(e.handlerB, "GET", item, nil), 404, errs.NotFound)
	apiRefused(t, e.apiDo(e.deptHandler, "GET", item, nil), 404, errs.NotFound)
	apiRefused(t, e.apiDo(e.handlerB, "POST", item+"/schedule", map[string]any{"at": time.Now().Add(time.Hour), "venue": "v"}), 404, errs.NotFound)
	apiRefused(t, e.apiDo(e.deptHandler, "POST", "/api/v1/deliberations", map[string]any{"title": "x", "place_id": community, "case_ids": []int64{p.Cases[0].ID}}), 403, errs.Forbidden)
	apiWant(t, e.apiDo(e.dispatcher, "GET", item, nil), 200, &v)
	var list struct{ Deliberations []deliberations.Summary }
	apiWant(t, e.apiDo(e.handlerB, "GET", "/api/v1/deliberations", nil), 200, &list)
	for _, s := range list.Deliberations {
		if s.ID == id {
			t.Error("another street lists the item")
		}
	}

	// A residents' proposal, rate-limited and public once accepted.
	apiRefused(t, e.apiDo("", "POST", "/api/v1/public/deliberations", map[string]any{"place_id": community, "title": "加装电梯", "phone": "123"}), 422, errs.InvalidPhone)
	var prop struct{ ID int64 }
	apiWant(t, e.apiDo("", "POST", "/api/v1/public/deliberations", map[string]any{"place_id": community, "title": "加装电梯", "name": "王五", "phone": "13912345678"}), 201, &prop)
	pub := fmt.Sprintf("/api/v1/public/deliberations/%d", prop.ID)
	apiRefused(t, e.apiDo("", "GET", pub, nil), 404, errs.NotFound)
	step := func(s string) string { return fmt.Sprintf("/api/v1/deliberations/%d/%s", prop.ID, s) }
	apiRefused(t, e.apiDo(e.handlerA, "POST", step("accept"), map[string]any{"version": 9}), 409, errs.Conflict)
	apiWant(t, e.apiDo(e.handlerA, "POST", step("accept"), map[string]any{"version": 1}), 200, &v)
	apiRefused(t, e.apiDo(e.handlerA, "POST", step("decide"), map[string]any{"version": v.Item.Version, "minutes": "m", "motion": "m", "votes": map[string]int{"for": 3}}), 409, errs.InvalidTransition)
	apiWant(t, e.apiDo(e.handlerA, "POST", step("schedule"), map[string]any{"version": v.Item.Version, "at": time.Now().Add(24 * time.Hour), "venue": "小院议事厅",
		"participants": []map[string]any{{"kind": "resident", "name": "王五"}, {"kind": "owners", "name": "业委会"}}}), 200, &v)
	if v.Item.Meeting.Participants[0].Name != "王*" || v.ProposerPhone == "13912345678" {
		t.Errorf("masked view: %+v %q", v.Item.Meeting.Participants, v.ProposerPhone)
	}
	apiWant(t, e.apiDo(e.handlerA, "POST", step("decide"), map[string]any{"version": v.Item.Version, "minutes": "王五介绍了需求", "motion": "启动加装电梯意见征集",
		"votes": map[string]int{"for": 4, "against": 4}}), 200, &v)
	if v.Item.State != deliberation.Decided || v.Item.Decision.Adopted {
		t.Errorf("a tie was adopted: %+v", v.Item.Decision)
	}
	r := e.apiDo("", "GET", pub, nil)
	var pi deliberations.PublicItem
	apiWant(t, r, 200, &pi)
	if pi.Decision == nil || pi.Decision.Votes.For != 4 || pi.Participants != 2 {
		t.Errorf("public item %+v", pi)
	}
	for _, pii := range []string{"王五", "王*", "13912345678", "介绍了需求"} {
		if strings.Contains(string(r.Body), pii) {
			t.Errorf("the public item shows %q: %s", pii, r.Body)
		}
	}
	var pl struct{ Deliberations []deliberations.PublicItem }
	apiWant(t, e.apiDo("", "GET", fmt.Sprintf("/api/v1/public/deliberations?place=%d", community), nil), 200, &pl)
	if len(pl.Deliberations) < 2 {
		t.Errorf("public list of the community: %d", len(pl.Deliberations))
	}
	apiRefused(t, e.apiDo("", "GET", "/api/v1/public/deliberations?place=x", nil), 422, errs.Invalid)

	// Proposals count against the address's submissions (60 an hour):
	// one was taken above, and the 60th is the last.
	for i := 2; ; i++ {
		r := e.apiDo("", "POST", "/api/v1/public/deliberations", map[string]any{"place_id": community, "title": fmt.Sprintf("提议 %d", i), "phone": "13912345678"})
		if r.Status == 429 {
			apiRefused(t, r, 429, errs.RateLimited)
			if i != 61 {
				t.Errorf("refused at proposal %d, want 61", i)
			}
			break
		}
		apiWant(t, r, 201, nil)
		if i > 61 {
			t.Fatal("proposals are not rate-limited")
		}
	}
}
