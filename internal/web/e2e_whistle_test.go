package web_test

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"whistle/internal/org"
	"whistle/internal/summons"
)

// open opens a <details> holding a form and clears earlier messages.
func (e *e2e) openForm(sel string) {
	e.t.Helper()
	ok := value[bool](e, fmt.Sprintf(`(() => { const f = document.querySelector(%q); if (!f) return false;
		const d = f.closest('details'); if (d) d.open = true; return true })()`, sel))
	if !ok {
		body := value[string](e, "document.querySelector('main').innerText.slice(0, 1200)")
		e.t.Fatalf("%s is not offered on this page:\n%s", sel, body)
	}
}

// TestWhistleInTheBrowser blows a whistle from a street to two
// departments, lets both report on site, and closes it with ratings.
func TestWhistleInTheBrowser(t *testing.T) {
	e := newE2E(t)
	svc := e.app.Svc
	street := e.logins[org.RoleHandler]
	var depts []org.Unit
	for _, u := range svc.UnitsList() {
		if u.Kind == org.KindDepartment && len(depts) < 2 {
			depts = append(depts, u)
		}
	}
	if len(depts) < 2 {
		t.Fatal("the demo city has fewer than two departments")
	}

	// 1. The street raises it; without departments the field is named.
	e.login(org.RoleHandler)
	e.do(chromedp.Navigate(e.base+"/whistles"), chromedp.WaitVisible(chromedp.ID("raise-form")))
	need := "幸福路与同心大道交叉口地下管线破裂积水，需水务、交通部门到场联合处置"
	e.do(chromedp.SendKeys(chromedp.ID("address"), "幸福路与同心大道交叉口"),
		chromedp.SetValue(chromedp.ID("kind"), summons.KindUrgent),
		chromedp.SendKeys(chromedp.ID("need"), need),
		chromedp.Click(chromedp.CSS("#raise-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#unit-picker .field-error")))
	if v := value[string](e, "document.getElementById('need').value"); v != need {
		t.Fatalf("the need typed was not kept: %q", v)
	}
	e.shot("whistle-raise")
	// Typing filters the departments; a ticked one stays in view.
	e.do(chromedp.SendKeys(chromedp.ID("unit-filter"), depts[1].Name), chromedp.Click(chromedp.ID(fmt.Sprintf("summon-%d", depts[1].ID))))
	if value[bool](e, fmt.Sprintf("!document.getElementById('summon-%d').closest('label').hidden", depts[0].ID)) {
		t.Error("the filter does not hide the other departments")
	}
	e.eval("const f = document.getElementById('unit-filter'); f.value = ''; f.dispatchEvent(new Event('input'))")
	e.do(chromedp.Click(chromedp.ID(fmt.Sprintf("summon-%d", depts[0].ID))))
	msg := e.submitted(chromedp.Click(chromedp.CSS("#raise-form button[type=submit]")))
	if !strings.Contains(msg, "2") {
		t.Fatalf("flash %q", msg)
	}
	e.wantText("#whistle-state", "进行中")
	e.wantText("#whistle-need", need)
	loc := value[string](e, "location.pathname")
	id, err := strconv.ParseInt(strings.TrimPrefix(loc, "/whistles/"), 10, 64)
	if err != nil {
		t.Fatalf("whistle page at %s", loc)
	}
	for _, d := range depts {
		e.wantText(fmt.Sprintf("#report-%d", d.ID), "待响应")
	}
	e.logout()

	// 2. Each department sees it with a countdown, acknowledges, reports on
	// site and says what it did.
	for i, d := range depts {
		e.loginAs("h-" + d.Code)
		e.do(chromedp.Navigate(e.base+"/whistles"), chromedp.WaitVisible(chromedp.ID(fmt.Sprintf("whistle-%d", id))))
		if n := value[int](e, fmt.Sprintf("document.querySelectorAll('#whistle-%d [data-due]').length", id)); n != 1 {
			t.Fatalf("%s: no report-by countdown on the list", d.Name)
		}
		if i == 0 {
			e.shot("whistles-dept")
		}
		e.do(chromedp.Click(chromedp.CSS(fmt.Sprintf("a[href='/whistles/%d']", id))), chromedp.WaitVisible(chromedp.ID("dept-actions")))
		e.submitted(chromedp.Click(chromedp.CSS("#wform-ack button")))
		e.wantText(fmt.Sprintf("#report-%d", d.ID), "已响应")
		e.openForm("#wform-arrive")
		e.submitted(chromedp.SendKeys(chromedp.CSS("#wform-arrive #place"), "交叉口东北角"), chromedp.Click(chromedp.CSS("#wform-arrive button")))
		e.wantText(fmt.Sprintf("#report-%d", d.ID), "已报到")
		e.wantText(fmt.Sprintf("#report-%d td[data-f=arrived]", d.ID), "交叉口东北角")
		e.openForm("#wform-report")
		e.submitted(chromedp.SendKeys(chromedp.ID("report-note"), d.Name+"已完成抢修"), chromedp.Click(chromedp.CSS("#wform-report button")))
		e.wantText(fmt.Sprintf("#report-%d", d.ID), "已反馈")
		e.wantText(fmt.Sprintf("#report-%d td[data-f=report]", d.ID), d.Name+"已完成抢修")
		e.logout()
	}

	// 3. The street closes it and rates each department.
	e.login(org.RoleHandler)
	e.do(chromedp.Navigate(fmt.Sprintf("%s/whistles/%d", e.base, id)), chromedp.WaitVisible(chromedp.ID("close")))
	e.openForm("#wform-close")
	e.do(chromedp.SetValue(chromedp.ID(fmt.Sprintf("rating-%d", depts[0].ID)), "5"),
		chromedp.SendKeys(chromedp.ID(fmt.Sprintf("rating_note-%d", depts[0].ID)), "到场迅速"),
		chromedp.SetValue(chromedp.ID(fmt.Sprintf("rating-%d", depts[1].ID)), "4"))
	e.shot("whistle-close")
	e.submitted(chromedp.SendKeys(chromedp.ID("close-note"), "管线修复，积水已排除"), chromedp.Click(chromedp.CSS("#wform-close button[type=submit]")))
	e.wantText("#whistle-state", "已结束")
	e.wantText(fmt.Sprintf("#report-%d td[data-f=rating]", depts[0].ID), "★★★★★ 非常满意")
	e.wantText(fmt.Sprintf("#report-%d td[data-f=rating]", depts[0].ID), "到场迅速")
	e.wantText(fmt.Sprintf("#report-%d td[data-f=rating]", depts[1].ID), "★★★★ 满意")
	tl := e.text("#whistle-timeline")
	for _, want := range []string{"吹哨", "响应", "到场报到", "反馈处置结果", "结束并评价"} {
		if !strings.Contains(tl, want) {
			t.Errorf("timeline lacks %q:\n%s", want, tl)
		}
	}
	e.shot("whistle")
	w, _, err := svc.Whistles.Whistle(t.Context(), e.adminActor(), id)
	if err != nil {
		t.Fatal(err)
	}
	if w.State != summons.Closed || w.StreetUnitID != street.UnitID || len(w.Reports) != 2 {
		t.Fatalf("stored whistle: %+v", w)
	}
	for i, want := range []float64{100, 80} {
		rp, _ := w.Report(depts[i].ID)
		if !rp.Rated || rp.Rating != want || rp.State != summons.Reported {
			t.Errorf("%s: stored report %+v, want rating %v", depts[i].Name, rp, want)
		}
	}
	e.logout()

	// 4. The centre's statistics count it.
	e.login(org.RoleAnalyst)
	e.do(chromedp.Navigate(e.base+"/whistles/stats?"+url.Values{"month": {w.RaisedAt.Format("2006-01")}}.Encode()), chromedp.WaitVisible(chromedp.ID("stats-depts")))
	streetUnit, _ := svc.Unit(street.UnitID)
	e.wantText("#stats-streets", streetUnit.Name)
	e.wantText("#stats-depts", depts[0].Name)
	e.shot("whistle-stats")

	// The departments' ranking shows the street's ratings separately.
	e.do(chromedp.Navigate(e.base+"/assess?"+url.Values{"kind": {"department"}, "month": {w.RaisedAt.Format("2006-01")}}.Encode()), chromedp.WaitVisible(chromedp.ID("ranking")))
	e.wantText(fmt.Sprintf("#unit-%d td[data-m=summons]", depts[0].ID), "100.00")
	e.wantText(fmt.Sprintf("#unit-%d td[data-m=summons]", depts[1].ID), "80.00")
}
