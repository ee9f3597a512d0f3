package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"whistle/internal/casework"
	"whistle/internal/org"
)

// TestCallerHistoryInTheBrowser: the agent screen shows the caller's
// earlier requests once the number is complete, and when the number is
// made incomplete again (the refused search answers 422 with the panel) the
// panel goes back to its help text instead of keeping the previous
// caller's requests beside another number.
func TestCallerHistoryInTheBrowser(t *testing.T) {
	e := newE2E(t)
	ctx := t.Context()
	u := e.logins[org.RoleAgent]
	unit, _ := e.app.Svc.Unit(u.UnitID)
	agent := org.Actor{User: u, Unit: unit}
	var street org.Unit
	for _, x := range e.app.Svc.UnitsList() {
		if x.Kind == org.KindStreet {
			street = x
			break
		}
	}
	const phone = "13599990001"
	c, _, err := e.app.Svc.Cases.Create(ctx, agent, casework.NewCase{Channel: "phone", Type: "complaint", Category: "urban.stall",
		Description: "小区门口有人占道摆摊，影响通行。", CitizenName: "王小明", CitizenPhone: phone, PlaceID: street.PlaceID}, "")
	if err != nil {
		t.Fatal(err)
	}
	e.login(org.RoleAgent)
	e.do(chromedp.Navigate(e.base+"/agent"), chromedp.WaitVisible(chromedp.ID("citizen_phone")),
		chromedp.SendKeys(chromedp.ID("citizen_phone"), phone), chromedp.WaitVisible(linkTo(c.Number)))
	e.settle("history")
	e.do(chromedp.SendKeys(chromedp.ID("citizen_phone"), kb.Backspace))
	e.settle("history")
	if got := e.text("#history"); got == "" || e.has(linkTo(c.Number)) {
		t.Fatalf("after the number was made incomplete the panel shows %q", got)
	}
	e.wantText("#history", "输入来电号码后显示")
}

// has reports whether the page has an element matching the XPath now.
func (e *e2e) has(xpath string) bool {
	e.t.Helper()
	n, err := chromedp.Run(e.ctx, chromedp.Evaluate[int]("document.evaluate(\""+xpath+"\", document, null, XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null).snapshotLength"))
	if err != nil {
		e.t.Fatal(err)
	}
	return n > 0
}
