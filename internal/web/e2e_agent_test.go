package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

// The agent screen brings the smart-dispatch suggestions (#4) to one call:
// the address read against the gazetteer, the classifier's top three, the
// duty list's unit with its reason, and likely duplicates with a merge.
func TestAgentScreenSuggests(t *testing.T) {
	e := newE2E(t)
	ctx := t.Context()
	if _, err := e.app.Svc.Dispatch.TrainClassifier(ctx); err != nil {
		t.Fatalf("train: %v", err)
	}
	// A closed demo request gives an address the gazetteer knows and a
	// text of a known category.
	closed := lifecycle.Closed
	pg, err := e.app.Svc.Cases.List(ctx, org.System(), lifecycle.CaseFilter{States: []lifecycle.State{closed}, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var model *lifecycle.Case
	for _, c := range pg.Cases {
		if c.Location.Address == "" || c.Location.StreetID == 0 || c.Type != "complaint" {
			continue
		}
		res, err := e.app.Svc.Geocode(ctx, c.Location.Address, 1)
		if err != nil || res.Match == nil {
			continue
		}
		if sug, err := e.app.Svc.Dispatch.Suggest(ctx, c.Title+" "+c.Description, 1); err != nil || len(sug) == 0 || sug[0].Code != c.Category {
			continue
		}
		model = c
		break
	}
	if model == nil {
		t.Fatal("no closed demo complaint with a known address and a recognisable text")
	}
	street, _ := e.app.Svc.Place(model.Location.StreetID)
	cat, _ := e.app.Svc.Category(model.Category)

	call := func(phone string) {
		e.do(chromedp.Navigate(e.base+"/agent"), chromedp.WaitVisible(chromedp.ID("citizen_phone")),
			chromedp.SendKeys(chromedp.ID("citizen_phone"), phone),
			chromedp.SendKeys(chromedp.ID("address"), model.Location.Address),
			chromedp.SendKeys(chromedp.ID("description"), model.Description))
		// The panel updates as the agent types (debounced): wait for the
		// answer to the whole address and description before reading it.
		e.do(chromedp.WaitVisible(chromedp.CSS("#classes [data-pick-category]")), chromedp.WaitVisible(chromedp.ID("address-match")))
		e.settle("suggest")
	}
	e.login(org.RoleAgent)
	call("13700001111")
	e.wantText("#resolved-place", street.Name)
	e.wantText("#classes", cat.NameZH)
	// Taking the first suggestion fills the category and asks the duty list.
	e.do(chromedp.Click(chromedp.CSS("#classes [data-pick-category]")))
	e.settle("suggest")
	e.do(chromedp.WaitVisible(chromedp.ID("route-reason")))
	if v, err := chromedp.Run(e.ctx, chromedp.Value(chromedp.ID("category"))); err != nil || v != model.Category {
		t.Fatalf("category after taking the suggestion: %q (%v), want %s", v, err, model.Category)
	}
	reason := e.text("#route-reason")
	if !strings.Contains(reason, "规则") {
		t.Fatalf("duty-list reason %q", reason)
	}
	unit := e.text("#suggested-unit")
	e.shot("agent-suggestions")
	e.do(chromedp.Click(chromedp.CSS("#suggest button[value=dispatch]")), chromedp.WaitVisible(chromedp.CSS("p.flash")))
	e.wantText("p.flash", "已派至")
	first, err := e.app.Svc.Cases.List(ctx, org.System(), lifecycle.CaseFilter{PhoneHash: e.app.Svc.PhoneHash("13700001111"), Limit: 1})
	if err != nil || len(first.Cases) != 1 || first.Cases[0].State != lifecycle.Dispatched || !strings.Contains(unit, unitName(e, first.Cases[0].LeadUnitID)) {
		t.Fatalf("first call's case: %+v (%v); panel said %q", first.Cases, err, unit)
	}

	// The same problem from another caller: the first request is offered
	// as a duplicate, and merging sends this one along with it.
	call("13700002222")
	e.do(chromedp.Click(chromedp.CSS("#classes [data-pick-category]")))
	e.settle("suggest")
	e.do(chromedp.WaitVisible(chromedp.ID("duplicates")))
	e.wantText("#duplicates", first.Cases[0].Number)
	e.do(chromedp.Click(chromedp.CSS("#duplicates input[name=merge_parent]:not([value=''])")),
		chromedp.Click(chromedp.CSS("#suggest button[value=receive]")), chromedp.WaitVisible(chromedp.CSS("p.flash")))
	e.wantText("p.flash", "并入")
	second, err := e.app.Svc.Cases.List(ctx, org.System(), lifecycle.CaseFilter{PhoneHash: e.app.Svc.PhoneHash("13700002222"), Limit: 1})
	if err != nil || len(second.Cases) != 1 || second.Cases[0].MergedInto != first.Cases[0].ID || second.Cases[0].State != lifecycle.Closed {
		t.Fatalf("second call's case: %+v (%v)", second.Cases, err)
	}
	// Its page says it repeats a place's problem and which rule routed it.
	e.do(chromedp.Navigate(e.base+"/cases/"+fmt.Sprint(second.Cases[0].ID)), chromedp.WaitVisible(chromedp.ID("repeat")))
	e.wantText("#repeat", "同地点同类")
	e.wantText("#duty-rule", "规则")
}

func unitName(e *e2e, id int64) string {
	u, _ := e.app.Svc.Unit(id)
	return u.Name
}
