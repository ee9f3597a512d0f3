package web_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"whistle/internal/demo"
	"whistle/internal/governance/insighttest"
	"whistle/internal/insight"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
)

// TestCandidateBecomesTopicInTheBrowser: on a planted rise, the city
// centre's dispatcher opens the workbench, makes its first candidate a
// 每月一题 (the form prefilled from the candidate; a validation error keeps
// what was typed), gives two units a task each and lands on the topic; the
// first owner's handler reports the task done from the inbox and the topic
// shows it; four weeks later the topic's tracking shows the weekly requests
// before and after the start as the service computes them.
func TestCandidateBecomesTopicInTheBrowser(t *testing.T) {
	e := newE2E(t)
	svc := e.app.Svc
	rise := insight.DayOf(demo.DefaultEnd) - 2
	pl, err := insighttest.Plant(e.ctx, svc, e.app.Store, e.app.Cfg.DSN(), rise)
	if err != nil {
		t.Fatal(err)
	}
	// The node's clock: the morning after the rise, so that the workbench's
	// default period (28 days to yesterday) is the planted one.
	start := (rise + 1).Time().Add(10 * time.Hour)
	cs := newClockSite(t, &site{t: t, app: e.app}, start)
	e.base = cs.base

	// The owners: the street office of the planted street and another
	// street's office; the lead: a department of the planted district.
	var owner1, owner2, lead org.Unit
	for _, u := range svc.UnitsList() {
		ch, _ := svc.Chain(u.PlaceID)
		switch {
		case u.Kind == org.KindStreet && u.PlaceID == pl.Street && owner1.ID == 0:
			owner1 = u
		case u.Kind == org.KindStreet && u.PlaceID != pl.Street && owner2.ID == 0:
			owner2 = u
		case u.Kind == org.KindDepartment && ch[0] == pl.District && lead.ID == 0:
			lead = u
		}
	}
	if owner1.ID == 0 || owner2.ID == 0 || lead.ID == 0 {
		t.Fatalf("units: owners %d %d, lead %d", owner1.ID, owner2.ID, lead.ID)
	}
	du := e.logins[org.RoleDispatcher]
	dunit, _ := svc.Unit(du.UnitID)
	dispatcher := org.Actor{User: du, Unit: dunit}
	if !org.CityDecider(dispatcher) {
		t.Fatalf("%s is not a city decider", du.Username)
	}

	// 1. The workbench ranks the candidates; the first one becomes a topic.
	e.login(org.RoleDispatcher)
	e.do(chromedp.Navigate(e.base+"/insight"), chromedp.WaitVisible(chromedp.ID("insight-candidates")))
	cat, _ := svc.Category(pl.Category)
	if got := e.text("#insight-candidates tbody"); !strings.Contains(got, cat.NameZH) {
		t.Fatalf("the candidates lack the planted category %s:\n%s", cat.NameZH, got)
	}
	first := "#insight-candidates tbody tr:first-child a.make-topic"
	href := value[string](e, fmt.Sprintf("document.querySelector(%q).getAttribute('href')", first))
	e.do(chromedp.Click(chromedp.CSS(first)), chromedp.WaitVisible(chromedp.ID("topic-form")))
	if got := value[string](e, "location.pathname + location.search"); got != href {
		t.Fatalf("the candidate's link led to %s, want %s", got, href)
	}
	run, _ := strconv.ParseInt(strings.TrimPrefix(strings.Split(href, "&")[0], "/topics/new?run="), 10, 64)
	draft, err := cs.svc.Insight.Candidate(e.ctx, dispatcher, run, 1)
	if err != nil {
		t.Fatalf("candidate 1 of run %d: %v", run, err)
	}
	field := func(id string) string { return value[string](e, "document.getElementById('"+id+"').value") }
	if got := field("title"); got != draft.Title || got == "" {
		t.Errorf("title %q, want the candidate's %q", got, draft.Title)
	}
	if got := field("categories"); got != strings.Join(draft.Criteria.Categories, ",") || got == "" {
		t.Errorf("categories %q, want the candidate's %v", got, draft.Criteria.Categories)
	}
	var places []string
	for _, id := range draft.Criteria.PlaceIDs {
		places = append(places, strconv.FormatInt(id, 10))
	}
	if got := field("places"); got != strings.Join(places, ",") || got == "" {
		t.Errorf("places %q, want the candidate's %v", got, places)
	}
	if got := e.text("#topic-form"); !strings.Contains(got, "候选") {
		t.Errorf("the form does not say it comes from a candidate:\n%s", got)
	}
	// The codes and ids are named for the reader.
	e.wantText("#categories-names", cat.NameZH)
	for _, id := range draft.Criteria.PlaceIDs {
		p, _ := svc.Place(id)
		e.wantText("#places-names", p.Name)
	}
	e.shot("topic-new")

	// Two tasks; the lead unit and the reduction left out first: the form
	// comes back with the messages in Chinese and everything typed still there.
	due1 := start.AddDate(0, 0, 14).Format("2006-01-02")
	due2 := start.AddDate(0, 0, 21).Format("2006-01-02")
	title1, title2 := "清理幸福路共享单车堆放点", "增设非机动车停放区"
	e.do(chromedp.SetValue(chromedp.ID("lead_unit_id"), ""), chromedp.SetValue(chromedp.ID("reduction"), ""),
		chromedp.SetValue(chromedp.ID("task_unit_0"), strconv.FormatInt(owner1.ID, 10)),
		chromedp.SendKeys(chromedp.ID("task_title_0"), title1),
		chromedp.SetValue(chromedp.ID("task_due_0"), due1),
		chromedp.SetValue(chromedp.ID("task_unit_1"), strconv.FormatInt(owner2.ID, 10)),
		chromedp.SendKeys(chromedp.ID("task_title_1"), title2),
		chromedp.SetValue(chromedp.ID("task_due_1"), due2))
	kept := map[string]string{"title": draft.Title, "categories": strings.Join(draft.Criteria.Categories, ","),
		"places": strings.Join(places, ","), "task_title_0": title1, "task_title_1": title2, "task_due_0": due1, "task_due_1": due2,
		"task_unit_0": strconv.FormatInt(owner1.ID, 10), "task_unit_1": strconv.FormatInt(owner2.ID, 10), "months": "3", "lead_unit_id": ""}
	refused := func(invalid string) {
		t.Helper()
		e.eval("document.querySelectorAll('.flash,#form-error').forEach(x => x.remove())")
		e.do(chromedp.Click(chromedp.ID("topic-create")), chromedp.WaitVisible(chromedp.ID("form-error")))
		if got := e.text("#form-error"); !strings.Contains(got, "请检查") {
			t.Errorf("validation message %q is not in Chinese", got)
		}
		if got := value[string](e, "(document.querySelector('#"+invalid+" ~ .field-error')||{}).innerText||''"); got == "" {
			t.Errorf("no message at %s:\n%s", invalid, e.text("#topic-form"))
		}
		if got := value[string](e, "document.getElementById('"+invalid+"').getAttribute('aria-invalid')||''"); got != "true" {
			t.Errorf("%s is not marked invalid", invalid)
		}
		for id, want := range kept {
			if got := field(id); got != want {
				t.Errorf("after the error at %s, %s is %q, want %q", invalid, id, got, want)
			}
		}
		if got := e.text("#topic-form"); !strings.Contains(got, "候选") {
			t.Errorf("after the error at %s the form forgot its candidate:\n%s", invalid, got)
		}
	}
	kept["reduction"] = ""
	refused("reduction") // the page's own check
	e.do(chromedp.SetValue(chromedp.ID("reduction"), "30"))
	kept["reduction"] = "30"
	refused("lead_unit_id") // the service's
	e.do(chromedp.SetValue(chromedp.ID("lead_unit_id"), strconv.FormatInt(lead.ID, 10)))
	if msg := e.submitted(chromedp.Click(chromedp.ID("topic-create"))); !strings.Contains(msg, "题目已创建") {
		t.Fatalf("flash %q", msg)
	}
	e.do(chromedp.WaitVisible(chromedp.ID("topic-head")))
	path := value[string](e, "location.pathname")
	topicID, err := strconv.ParseInt(strings.TrimPrefix(path, "/topics/"), 10, 64)
	if err != nil {
		t.Fatalf("landed on %s", path)
	}
	v, err := cs.svc.Insight.Topic(e.ctx, dispatcher, topicID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Topic.Title != draft.Title || v.Topic.LeadUnitID != lead.ID || v.Topic.Source != "candidate" || len(v.Tasks) != 2 {
		t.Fatalf("topic %+v with %d tasks", v.Topic, len(v.Tasks))
	}
	e.wantText("main > h1", draft.Title)
	if n := value[int](e, "document.querySelectorAll('main h1').length"); n != 1 {
		t.Errorf("the topic page has %d headings of the first level", n)
	}
	e.wantText("#topic-criteria", cat.NameZH)
	for _, id := range draft.Criteria.PlaceIDs {
		p, _ := svc.Place(id)
		e.wantText("#topic-criteria", p.Name)
	}
	e.wantText("#topic-goal", "3 个月内下降 30%")
	e.wantText("#topic-lead", lead.Name)
	task1, task2 := v.Tasks[0], v.Tasks[1]
	if task1.UnitID != owner1.ID {
		task1, task2 = task2, task1
	}
	for _, x := range []struct {
		id           int64
		owner, title string
	}{{task1.ID, owner1.Name, title1}, {task2.ID, owner2.Name, title2}} {
		row := fmt.Sprintf("#topic-task-%d", x.id)
		e.wantText(row, x.owner)
		e.wantText(row, x.title)
		e.wantText(row, "待办")
	}
	e.shot("topic-created")
	e.logout()

	// 2. The first owner's handler reports the task done from the inbox.
	e.loginAs("h-" + owner1.Code)
	id1 := strconv.FormatInt(task1.ID, 10)
	e.do(chromedp.Navigate(e.base+"/inbox"), chromedp.WaitVisible(chromedp.ID("task-"+id1)))
	e.wantText("#tasks-h", "专项任务")
	e.wantText("#task-"+id1, title1)
	if n := value[int](e, fmt.Sprintf("document.querySelectorAll('#task-%d').length", task2.ID)); n != 0 {
		t.Errorf("the other unit's task is in %s's inbox", owner1.Name)
	}
	note := "已清理堆放点并设置隔离桩"
	if msg := e.submitted(chromedp.SendKeys(chromedp.ID("task-note-"+id1), note), chromedp.Click(chromedp.CSS("#done-"+id1+" button"))); !strings.Contains(msg, "完成") {
		t.Fatalf("flash %q", msg)
	}
	e.wantText("#task-"+id1, "已完成")
	e.logout()

	e.login(org.RoleDispatcher)
	e.do(chromedp.Navigate(fmt.Sprintf("%s/topics/%d", e.base, topicID)), chromedp.WaitVisible(chromedp.ID("topic-head")))
	e.wantText("#topic-task-"+id1, "已完成")
	e.wantText("#topic-task-"+id1, note)
	e.wantText(fmt.Sprintf("#topic-task-%d", task2.ID), "待办")

	// 3. Four weeks and two days on, with fewer requests since the start,
	// the tracking compares the weeks before and after as the service does.
	topic := v.Topic
	var after []*lifecycle.Case
	for d := insight.DayOf(start); d < insight.DayOf(start)+30; d++ {
		for k := 0; k < int(d)%2; k++ { // one request every other day
			at := d.Time().Add(time.Duration(9+k) * time.Hour)
			ch, _ := svc.Chain(pl.Grid)
			after = append(after, &lifecycle.Case{Number: fmt.Sprintf("A%s%d", strings.ReplaceAll(d.String(), "-", ""), k), Channel: "phone", Type: "complaint",
				Category: pl.Category, Urgency: "general", Title: insighttest.PlantedTitle, Description: insighttest.PlantedTitle + "，又有了。",
				Location: lifecycle.Location{Address: "幸福路90号", DistrictID: ch[0], StreetID: ch[1], CommunityID: ch[2], GridID: ch[3]},
				State:    lifecycle.Closed, LeadUnitID: owner1.ID, CreatedAt: at, UpdatedAt: at, ClosedAt: at.Add(24 * time.Hour), Version: 1})
		}
	}
	if err := e.app.Store.Write(e.ctx, func(tx *store.Tx) error {
		for _, c := range after {
			if err := tx.InsertCase(e.ctx, c); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	cs.set(start.AddDate(0, 0, 30))
	tr, err := cs.svc.Insight.Track(e.ctx, dispatcher, topic.ID)
	if err != nil {
		t.Fatal(err)
	}
	if tr.AfterWeeks != 4 || tr.BeforeWeeks != 12 || tr.AfterMean <= 0 || tr.BeforeMean <= tr.AfterMean {
		t.Fatalf("tracking: %d weeks before (mean %.2f), %d after (mean %.2f)", tr.BeforeWeeks, tr.BeforeMean, tr.AfterWeeks, tr.AfterMean)
	}
	e.do(chromedp.Navigate(fmt.Sprintf("%s/topics/%d", e.base, topicID)), chromedp.WaitVisible(chromedp.ID("tracking")))
	for sel, want := range map[string]string{"#before-mean": fmt.Sprintf("%.1f", tr.BeforeMean), "#after-mean": fmt.Sprintf("%.1f", tr.AfterMean),
		"#change": fmt.Sprintf("%+.0f%%", tr.Change*100)} {
		if got := e.text(sel); got != want {
			t.Errorf("%s shows %q, the service says %q", sel, got, want)
		}
	}
	if n := value[int](e, "document.querySelectorAll('#tracking svg rect.wa').length"); n != 4 {
		t.Errorf("the chart draws %d weeks after the start, want 4", n)
	}
	e.shot("topic-tracking")

	// In English the page reads in English.
	e.do(chromedp.Navigate(e.base+"/lang/en"), chromedp.Navigate(fmt.Sprintf("%s/topics/%d", e.base, topicID)), chromedp.WaitVisible(chromedp.ID("tracking")))
	e.wantText("#tracking", "Tracking")
	e.wantText("#topic-goal", "down 30% within 3 months")
	e.wantText("#topic-task-"+id1, "done")
	e.wantText(fmt.Sprintf("#topic-task-%d", task2.ID), "open")

	// And a form refused in English says so in English, keeping the input.
	e.do(chromedp.Navigate(e.base+"/topics/new"), chromedp.WaitVisible(chromedp.ID("topic-form")),
		chromedp.SendKeys(chromedp.ID("title"), "Bikes on the pavement"))
	e.wantText("label[for=lead_unit_id]", "Lead unit")
	e.eval("document.querySelectorAll('.flash,#form-error').forEach(x => x.remove())")
	e.do(chromedp.Click(chromedp.ID("topic-create")), chromedp.WaitVisible(chromedp.ID("form-error")))
	e.wantText("#form-error", "Please check")
	if got := field("title"); got != "Bikes on the pavement" {
		t.Errorf("the refused English form lost its title: %q", got)
	}
}
