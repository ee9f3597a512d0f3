package web_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"whistle/internal/casework"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

// Reply quality (#16) in the browser: a street's handler types a stock
// reply that does not answer the request, sees low scores with their
// reasons as it types and on the 检查 button, submits anyway; the agent's
// callback queue and the case page show the verdict, and the month's
// figures by unit count the weak reply.
func TestReplyCheckInTheBrowser(t *testing.T) {
	e := newE2E(t)
	ctx := t.Context()
	svc := e.app.Svc
	handler := e.logins[org.RoleHandler]
	unit, ok := svc.Unit(handler.UnitID)
	if !ok || unit.Kind != org.KindStreet {
		t.Fatalf("demo handler %s is not in a street office: %+v", handler.Username, unit)
	}
	agentUser := e.logins[org.RoleAgent]
	agentUnit, _ := svc.Unit(agentUser.UnitID)
	agent := org.Actor{User: agentUser, Unit: agentUnit}
	street := org.Actor{User: handler, Unit: unit}

	// A request the street has signed for and contacted the citizen about.
	lat, lon := e.pointIn(unit.PlaceID)
	c, _, err := svc.Cases.SubmitPublic(ctx, casework.NewCase{Channel: "web", Type: "complaint", Category: "urban.stall",
		Description: "幸福路18号小区南门人行道上有人长期摆摊卖水果，行人只能走机动车道，很危险。请尽快清理摊点。",
		Lat:         &lat, Lon: &lon, CitizenPhone: "13912340000"}, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		a  org.Actor
		in casework.ActInput
	}{
		{agent, casework.ActInput{Action: lifecycle.ActAccept}},
		{agent, casework.ActInput{Action: lifecycle.ActDispatch, UnitID: unit.ID}},
		{street, casework.ActInput{Action: lifecycle.ActSign}},
		{street, casework.ActInput{Action: lifecycle.ActContact, Means: "phone", Note: "已电话联系市民"}},
	} {
		if _, _, err := svc.Cases.Act(ctx, step.a, c.ID, step.in); err != nil {
			t.Fatalf("%s: %v", step.in.Action, err)
		}
	}

	// The handler types a stock reply: the check comes as it types.
	const poor = "您好！您的留言已收悉。"
	e.login(org.RoleHandler)
	e.do(chromedp.Navigate(fmt.Sprintf("%s/cases/%d", e.base, c.ID)), chromedp.WaitVisible(chromedp.ID("case-state")))
	e.eval(`document.getElementById('form-reply').closest('details').open = true`)
	checked := func(text string) chromedp.Action[chromedp.Void] {
		// The fragment answers this very text, and no check is in flight.
		return chromedp.Poll[chromedp.Void](fmt.Sprintf(`(() => { const el = document.querySelector('#reply-check .replyscores');
			return !!el && !document.querySelector('.htmx-request') && +el.dataset.chars === %d })()`, len([]rune(text))),
			chromedp.WithPollingTimeout(0))
	}
	e.do(chromedp.SendKeys(chromedp.ID("note-reply"), poor), checked(poor))
	// And on the button.
	e.do(chromedp.Click(chromedp.ID("reply-check-btn")), checked(poor))
	e.shot("reply-check")
	level := func(sel, dim string) string {
		e.t.Helper()
		v, err := chromedp.Run(e.ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector('%s tr[data-dim=%s]') || {dataset: {}}).dataset.level || ''`, sel, dim)))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, dim := range []string{"relevance", "original"} {
		if l := level("#reply-check", dim); l != "bad" {
			t.Errorf("%s of a stock reply: %q", dim, l)
		}
	}
	e.wantText("#reply-check", "需关注")
	e.wantText("#reply-check", "疑似答非所问")
	e.wantText("#reply-check", "通用套话")

	// A better draft scores better (the form checks what is typed now).
	const better = "您好，关于幸福路18号小区南门人行道摆摊卖水果的问题，我街道已于3月2日会同城管到现场核实，已责令摊贩撤离并清理摊点，将持续巡查。感谢您的监督。"
	e.do(chromedp.SetValue(chromedp.ID("note-reply"), better), chromedp.Click(chromedp.ID("reply-check-btn")), checked(better))
	if l := level("#reply-check", "relevance"); l == "bad" {
		t.Errorf("relevance of a reply about the request: %q", l)
	}
	if w, err := strconv.ParseFloat(e.text("#reply-check [data-rq=overall]"), 64); err != nil || w <= 0.5 {
		t.Errorf("overall of the better reply %v %v", w, err)
	}

	// The handler submits the stock reply anyway.
	e.do(chromedp.SetValue(chromedp.ID("note-reply"), poor))
	e.act("reply", map[string]string{"result": "resolved"}, nil)
	e.wantText("#case-state", "已答复")
	e.wantText("#case-reply-check", "需关注")
	e.logout()

	// The agent's callback queue shows the verdict with its reasons.
	e.login(org.RoleAgent)
	e.do(chromedp.Navigate(e.base+"/callbacks?number="+c.Number), chromedp.WaitVisible(linkTo(c.Number)))
	box := fmt.Sprintf("#cb-check-%d", c.ID)
	e.wantText(box, "需关注")
	e.wantText(box, "疑似答非所问")
	if l := level(box, "original"); l != "bad" {
		t.Errorf("original on the callback screen: %q", l)
	}
	e.shot("callbacks-reply-check")

	// The month's figures by unit count it.
	month := svc.Now().Format("2006-01")
	e.do(chromedp.Navigate(e.base+"/assess?kind=street&month="+month), chromedp.WaitVisible(chromedp.ID("reply-quality")))
	row := fmt.Sprintf("#rq-unit-%d", unit.ID)
	if w := e.text(row + " [data-m=weak]"); w == "0" || w == "" {
		t.Errorf("weak replies of %s this month: %q (row %q)", unit.Name, w, e.text(row))
	}
	if !strings.Contains(e.text("#reply-quality"), unit.Name) {
		t.Error("the unit is not in the month's reply quality")
	}
}
