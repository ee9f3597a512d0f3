package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

// A request about a managed compound goes to its property company and
// comes back through callback and ranking (物业, issue #15): an agent takes
// a call at an address inside a demo compound, the duty list suggests the
// compound's property company, whose handler signs, contacts and replies
// in its inbox (and gets 404 on a case not theirs); the agent's callback
// closes it; the ranking page's property group and the property board show
// the company; a resident rates it on the portal, once a quarter.
func TestPropertyCompoundLoop(t *testing.T) {
	e := newE2E(t)
	ctx := t.Context()
	cs, err := e.app.Svc.Property.Compounds(ctx, org.System())
	if err != nil || len(cs) < 4 {
		t.Fatalf("demo compounds: %d, %v", len(cs), err)
	}
	cp := cs[0]
	prop, ok := e.app.Svc.Unit(cp.PropertyUnitID)
	if !ok || prop.Kind != org.KindProperty {
		t.Fatalf("compound %s: property unit %d", cp.Name, cp.PropertyUnitID)
	}
	phone := "13766605151"
	address := cp.StreetName + cp.Name + "7号楼3单元"

	// 1. The agent takes the call; the panel suggests the property company.
	e.login(org.RoleAgent)
	e.do(chromedp.Navigate(e.base+"/agent"), chromedp.WaitVisible(chromedp.ID("citizen_phone")),
		chromedp.SendKeys(chromedp.ID("citizen_phone"), phone),
		chromedp.SendKeys(chromedp.ID("address"), address),
		chromedp.SendKeys(chromedp.ID("description"), "小区楼道灯坏了一个多月，物业一直没来修"),
		chromedp.SetValue(chromedp.ID("category"), "property.service"))
	e.eval(`document.getElementById('category').dispatchEvent(new Event('change', {bubbles: true}))`)
	e.settle("suggest")
	e.do(chromedp.WaitVisible(chromedp.ID("route-reason")))
	e.wantText("#suggested-unit", prop.Name)
	e.wantText("#route-reason", "物业")
	e.shot("property-agent")
	e.do(chromedp.Click(chromedp.CSS("#suggest button[value=dispatch]")), chromedp.WaitVisible(chromedp.CSS("p.flash")))
	e.wantText("p.flash", "已派至")
	pg, err := e.app.Svc.Cases.List(ctx, org.System(), lifecycle.CaseFilter{PhoneHash: e.app.Svc.PhoneHash(phone), Limit: 1})
	if err != nil || len(pg.Cases) != 1 {
		t.Fatalf("the call's case: %v", err)
	}
	c := pg.Cases[0]
	if c.LeadUnitID != prop.ID || c.State != lifecycle.Dispatched || c.SupervisingUnitID != prop.SupervisorID {
		t.Fatalf("dispatched to %d (supervised by %d) in state %s, want %d supervised by its street %d", c.LeadUnitID, c.SupervisingUnitID, c.State, prop.ID, prop.SupervisorID)
	}
	e.logout()

	// 2. The property company's handler signs, contacts and replies.
	e.loginAs("h-" + prop.Code)
	e.do(chromedp.Navigate(e.base+"/inbox"), chromedp.WaitVisible(linkTo(c.Number)))
	e.openCase(c.Number)
	e.act("sign", nil, nil)
	e.wantText("#case-state", "已签收")
	e.act("contact", map[string]string{"means": "phone", "note": "已电话联系业主"}, nil)
	e.act("reply", map[string]string{"result": "resolved", "note": "已更换楼道灯具并巡检全楼"}, nil)
	e.wantText("#case-state", "已答复")
	e.shot("property-case")
	// A case not dispatched to the company is 404 to its staff.
	others, err := e.app.Svc.Cases.List(ctx, org.System(), lifecycle.CaseFilter{States: []lifecycle.State{lifecycle.Closed}, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	other := int64(0)
	for _, x := range others.Cases {
		if x.LeadUnitID != prop.ID && x.SupervisingUnitID != prop.ID && !x.IsCoUnit(prop.ID) {
			other = x.ID
			break
		}
	}
	if other == 0 {
		t.Fatal("no case of another unit")
	}
	resp, err := chromedp.RunResponse(e.ctx, chromedp.Navigate(fmt.Sprintf("%s/cases/%d", e.base, other)))
	if err != nil || resp.Status != 404 {
		t.Fatalf("property staff on another unit's case: %v %v, want 404", resp, err)
	}
	e.do(chromedp.Navigate(e.base+"/inbox"), chromedp.WaitVisible(chromedp.CSS("header .who form[action='/logout']")))
	e.logout()

	// 3. The agent's callback closes it.
	e.login(org.RoleAgent)
	e.do(chromedp.Navigate(e.base+"/callbacks"), chromedp.WaitVisible(chromedp.ID("cb-number")))
	e.navigating(chromedp.SendKeys(chromedp.ID("cb-number"), c.Number), chromedp.Submit(chromedp.ID("cb-number")))
	e.do(chromedp.WaitVisible(linkTo(c.Number)))
	form := fmt.Sprintf("#cb-%d", c.ID)
	e.do(chromedp.Click(chromedp.CSS(form+" input[name=resolved][value=yes]")),
		chromedp.Click(chromedp.CSS(form+" input[name=satisfaction][value=satisfied]")),
		chromedp.Click(chromedp.CSS(form+" button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("p.flash")))
	if got, err := e.app.Svc.Cases.Get(ctx, org.System(), c.ID); err != nil || got.State != lifecycle.Closed || got.Satisfaction != lifecycle.Satisfied {
		t.Fatalf("after the callback: %+v %v", got, err)
	}

	// 4. The ranking's property group shows the company, counted.
	month := e.app.Svc.Now().Format("2006-01")
	e.do(chromedp.Navigate(e.base+"/assess?month="+month+"&kind=property"), chromedp.WaitVisible(chromedp.ID("ranking")))
	e.wantText("#kind-tabs", "物业服务企业排名")
	e.wantText("#ranking", prop.Name)
	e.shot("property-ranking")
	e.do(chromedp.Navigate(e.base+"/property?month="+month), chromedp.WaitVisible(chromedp.ID(fmt.Sprintf("prop-%d", prop.ID))))
	row := e.text(fmt.Sprintf("#prop-%d", prop.ID))
	if !strings.Contains(row, prop.Name) || !strings.Contains(row, cp.Name) {
		t.Fatalf("property board row %q", row)
	}
	e.logout()

	// 5. A resident rates the company on the portal, once a quarter.
	rateIt := func() {
		e.do(chromedp.Navigate(e.base+"/portal/property"), chromedp.WaitVisible(chromedp.ID("property-rate-form")),
			chromedp.SetValue(chromedp.ID("compound_id"), fmt.Sprint(cp.ID)),
			chromedp.Click(chromedp.CSS("#property-rate-form input[name=score][value='4']")),
			chromedp.SendKeys(chromedp.ID("comment"), "维修及时"),
			chromedp.SendKeys(chromedp.ID("phone"), phone),
			chromedp.Click(chromedp.ID("property-rate-submit")),
			chromedp.WaitVisible(chromedp.CSS("#rated, #form-error")))
	}
	rateIt()
	e.wantText("#rated", "感谢")
	e.shot("property-rate")
	rateIt()
	e.wantText("#form-error", "本季度您已评价过")
}
