package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"whistle/internal/consult"
	"whistle/internal/org"
)

// TestSurveyAnsweredOnAPhone: a resident opens the portal's surveys on a
// 390-pixel phone, answers one, lands on its live results with the chart
// and sees the answer counted; a second answer from the same phone is
// refused.
func TestSurveyAnsweredOnAPhone(t *testing.T) {
	e := newE2E(t)
	svc := e.app.Svc
	ctx := t.Context()
	street, err := svc.Actor(e.logins[org.RoleHandler])
	if err != nil {
		t.Fatal(err)
	}
	now := svc.Now()
	sv, err := svc.Consult.CreateSurvey(ctx, street, consult.Survey{Title: "社区停车意见征集", Intro: "请留下您的意见",
		Questions: []consult.Question{
			{Kind: consult.Single, Text: "是否支持错时停车", Options: []string{"支持", "反对", "无所谓"}, Required: true},
			{Kind: consult.Multi, Text: "最关心的问题", Options: []string{"车位数量", "收费", "安全"}},
			{Kind: consult.Scale, Text: "停车难程度", Required: true},
			{Kind: consult.Text, Text: "其他建议"},
		}, PlaceIDs: []int64{street.Unit.PlaceID}, OpensAt: now, ClosesAt: now.Add(7 * 24 * time.Hour)})
	if err == nil {
		_, err = svc.Consult.PublishSurvey(ctx, street, sv.ID)
	}
	if err != nil {
		t.Fatal(err)
	}

	e.do(e.viewport(390, 844, chromedp.EmulateMobile))
	e.do(chromedp.Navigate(e.base+"/portal/surveys"), chromedp.WaitVisible(chromedp.ID(fmt.Sprintf("survey-%d", sv.ID))))
	e.do(chromedp.Click(chromedp.CSS(fmt.Sprintf("#survey-%d h2 a", sv.ID))), chromedp.WaitVisible(chromedp.ID("answer-form")))
	if over := value[bool](e, "document.documentElement.scrollWidth > window.innerWidth + 2"); over {
		t.Error("the survey form is wider than the phone")
	}
	// Without the required scale the form comes back with the choice kept.
	e.do(chromedp.Click(chromedp.ID("q0-0")), chromedp.Click(chromedp.CSS("#answer-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#question-2 .field-error")))
	if !value[bool](e, "document.getElementById('q0-0').checked") {
		t.Error("the choice made was not kept")
	}
	e.do(chromedp.Click(chromedp.ID("q1-0")), chromedp.Click(chromedp.ID("q1-2")), chromedp.Click(chromedp.ID("q2-4")),
		chromedp.SendKeys(chromedp.ID("q3"), "希望增加停车位"),
		chromedp.SendKeys(chromedp.ID("phone"), "13912345678"))
	msg := e.submitted(chromedp.Click(chromedp.CSS("#answer-form button[type=submit]")))
	if !strings.Contains(msg, "感谢") {
		t.Errorf("flash %q", msg)
	}
	e.wantText("#answers-total", "1")
	e.wantText("#count-0-0", "1")
	e.wantText("#count-0-1", "0")
	e.wantText("#count-1-2", "1")
	e.wantText("#mean-2", "4.00")
	e.wantText("#groups-3", "希望增加停车位")
	// The charts are drawn (ECharts puts a canvas into the element).
	e.do(chromedp.WaitVisible(chromedp.CSS("#chart-0 canvas")), chromedp.WaitVisible(chromedp.CSS("#chart-2 canvas")))
	e.shot("survey-results")

	// The same phone cannot answer twice.
	e.do(chromedp.Navigate(fmt.Sprintf("%s/portal/surveys/%d", e.base, sv.ID)), chromedp.WaitVisible(chromedp.ID("answer-form")),
		chromedp.Click(chromedp.ID("q0-1")), chromedp.Click(chromedp.ID("q2-1")), chromedp.SendKeys(chromedp.ID("phone"), "139 1234 5678"),
		chromedp.Click(chromedp.CSS("#answer-form button[type=submit]")), chromedp.WaitVisible(chromedp.ID("already")))
	res, err := svc.Consult.PublicResults(ctx, sv.ID)
	if err != nil || res.Answers != 1 {
		t.Fatalf("answers stored: %+v %v", res, err)
	}
}

// TestSurveyCreatedAndPublishedByStaff: a street's handler drafts a survey
// on the staff page, publishes it, and it appears on the portal.
func TestSurveyCreatedAndPublishedByStaff(t *testing.T) {
	e := newE2E(t)
	e.login(org.RoleHandler)
	e.do(chromedp.Navigate(e.base+"/surveys"), chromedp.WaitVisible(chromedp.ID("surveys-table")))
	e.openForm("#survey-form")
	loc := e.app.Svc.Location()
	today := time.Now().In(loc)
	e.eval("const s = document.getElementById('place_ids'); s.options[0].selected = true")
	e.do(chromedp.SendKeys(chromedp.ID("title"), "口袋公园选址意见"),
		chromedp.SetValue(chromedp.ID("opens_on"), today.Format("2006-01-02")),
		chromedp.SetValue(chromedp.ID("closes_on"), today.AddDate(0, 0, 10).Format("2006-01-02")),
		chromedp.SetValue(chromedp.ID("q0_kind"), consult.Single),
		chromedp.SendKeys(chromedp.ID("q0_text"), "您支持哪个选址"),
		chromedp.Click(chromedp.ID("q0_required")),
		// one option only: refused with the field named
		chromedp.SendKeys(chromedp.ID("q0_options"), "东门空地"),
		chromedp.Click(chromedp.CSS("#survey-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#slot-0 .field-error")))
	if v := value[string](e, "document.getElementById('q0_text').value"); v != "您支持哪个选址" {
		t.Fatalf("the question typed was not kept: %q", v)
	}
	e.eval("const s = document.getElementById('place_ids'); s.options[0].selected = true")
	e.do(chromedp.SetValue(chromedp.ID("q0_options"), "东门空地\n西侧绿地"),
		chromedp.SetValue(chromedp.ID("q1_kind"), consult.Text),
		chromedp.SendKeys(chromedp.ID("q1_text"), "其他建议"))
	e.eval("document.querySelectorAll('.flash,#form-error').forEach(x => x.remove())")
	e.do(chromedp.Click(chromedp.CSS("#survey-form button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("p.flash, #form-error")))
	if errs := value[string](e, "Array.from(document.querySelectorAll('.field-error')).map(x => x.closest('fieldset, form').id + ': ' + x.innerText).join('; ')"); errs != "" {
		t.Fatalf("the form was refused: %s", errs)
	}
	msg := e.text("p.flash")
	if !strings.Contains(msg, "草稿") {
		t.Errorf("flash %q", msg)
	}
	e.wantText("#survey-state", "草稿")
	e.wantText("#result-0", "您支持哪个选址")
	e.wantText("#result-1", "其他建议")
	path := value[string](e, "location.pathname")
	msg = e.submitted(chromedp.Click(chromedp.ID("publish")))
	if !strings.Contains(msg, "发布") {
		t.Errorf("flash %q", msg)
	}
	e.wantText("#survey-state", "已发布")
	e.shot("survey-staff")
	id := strings.TrimPrefix(path, "/surveys/")
	e.logout()
	e.do(chromedp.Navigate(e.base+"/portal/surveys"), chromedp.WaitVisible(chromedp.ID("survey-"+id)))
	e.wantText("#survey-"+id, "口袋公园选址意见")
	e.do(chromedp.Navigate(e.base+"/portal/surveys/"+id+"/print"), chromedp.WaitVisible(chromedp.ID("poster-url")), chromedp.WaitVisible(chromedp.CSS("#qr svg path")))
	e.shot("survey-poster")
	e.wantText("#poster-url", "/portal/surveys/"+id)
}
