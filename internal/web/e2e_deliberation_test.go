package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

// TestDeliberationInTheBrowser: a street officer raises an agenda item
// from one of the street's requests, schedules the meeting (a resident, a
// department, the owners' committee), records the minutes and the vote,
// and hands out two follow-up tasks — to a department and to the street
// itself; each owner finds its task in /inbox and completes it there; the
// officer sees 2/2 and closes the item; and the portal page, at phone
// width, shows the decision, the vote counts and 2/2 tasks done, with no
// resident's name.
func TestDeliberationInTheBrowser(t *testing.T) {
	e := newE2E(t)
	svc := e.app.Svc
	ctx := t.Context()
	var street, dept org.Unit
	var caseID, community int64
	for _, u := range svc.UnitsList() {
		switch {
		case u.Kind == org.KindDepartment && dept.ID == 0:
			dept = u
		case u.Kind == org.KindStreet && street.ID == 0:
			users, err := e.app.Store.Users(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, us := range users {
				if us.Username != "h-"+u.Code {
					continue
				}
				a, err := svc.Actor(us)
				if err != nil {
					t.Fatal(err)
				}
				p, err := svc.Cases.List(ctx, a, lifecycle.CaseFilter{LeadUnitID: u.ID, Limit: 1})
				if err != nil || len(p.Cases) == 0 {
					continue
				}
				for _, pl := range svc.Children(u.PlaceID) {
					if pl.Level == org.LevelCommunity {
						street, caseID, community = u, p.Cases[0].ID, pl.ID
						break
					}
				}
			}
		}
	}
	if street.ID == 0 || dept.ID == 0 {
		t.Fatalf("demo city: street %v department %v", street.ID, dept.ID)
	}

	// 1. The street officer raises the item from the request.
	e.loginAs("h-" + street.Code)
	e.do(chromedp.Navigate(e.base+"/deliberations"), chromedp.WaitVisible(chromedp.ID("raise-form")))
	msg := e.submitted(chromedp.SendKeys(chromedp.ID("title"), "小区夜间停车难"),
		chromedp.SendKeys(chromedp.ID("summary"), "晚间车辆占用消防通道"),
		chromedp.SetValue(chromedp.ID("place_id"), fmt.Sprint(community)),
		chromedp.Click(chromedp.ID(fmt.Sprintf("case-%d", caseID))),
		chromedp.Click(chromedp.ID("raise")))
	if !strings.Contains(msg, "议题已创建") {
		t.Fatalf("flash %q", msg)
	}
	e.wantText("#delib-state", "已列入议题")
	loc, err := chromedp.Run(e.ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	itemURL := loc[:strings.Index(loc, "?")]
	id := itemURL[strings.LastIndex(itemURL, "/")+1:]

	// 2. The meeting: a resident, the department, the owners' committee.
	meeting := time.Now().In(svc.Location()).Add(48 * time.Hour)
	msg = e.submitted(chromedp.SetValue(chromedp.ID("at"), meeting.Format("2006-01-02T15:04")),
		chromedp.SendKeys(chromedp.ID("venue"), "社区议事厅"),
		chromedp.SetValue(chromedp.ID("p_kind_0"), "resident"), chromedp.SendKeys(chromedp.ID("p_name_0"), "张三丰"),
		chromedp.SetValue(chromedp.ID("p_kind_1"), "department"), chromedp.SetValue(chromedp.ID("p_unit_1"), fmt.Sprint(dept.ID)),
		chromedp.SetValue(chromedp.ID("p_kind_2"), "owners"), chromedp.SendKeys(chromedp.ID("p_name_2"), "业主委员会"),
		chromedp.Click(chromedp.ID("schedule")))
	if !strings.Contains(msg, "会议已安排") {
		t.Fatalf("flash %q", msg)
	}
	e.wantText("#delib-state", "已安排会议")
	e.wantText("#participants", "张**")
	e.wantText("#participants", dept.Name)
	if strings.Contains(e.text("#participants"), "张三丰") {
		t.Error("the resident's name is shown before it is revealed")
	}

	// 3. Minutes and the vote.
	msg = e.submitted(chromedp.SendKeys(chromedp.ID("minutes-in"), "居民代表发言，物业提出施划临时车位。"),
		chromedp.SendKeys(chromedp.ID("motion-in"), "施划夜间临时停车位"),
		chromedp.SetValue(chromedp.ID("votes-for"), "9"), chromedp.SetValue(chromedp.ID("votes-against"), "2"),
		chromedp.SetValue(chromedp.ID("votes-abstain"), "1"), chromedp.SetValue(chromedp.ID("quorum"), "10"),
		chromedp.Click(chromedp.ID("decide")))
	if !strings.Contains(msg, "表决结果已记录") {
		t.Fatalf("flash %q", msg)
	}
	e.wantText("#adopted", "通过")
	e.wantText("#votes", "赞成 9")
	e.wantText("#minutes", "施划临时车位")

	// 4. Two follow-up tasks: the department's and the street's own.
	due := time.Now().In(svc.Location()).Add(10 * 24 * time.Hour)
	msg = e.submitted(chromedp.SetValue(chromedp.ID("task_unit_0"), fmt.Sprint(dept.ID)), chromedp.SendKeys(chromedp.ID("task_title_0"), "施划消防通道禁停标线"),
		chromedp.SetValue(chromedp.ID("task_due_0"), due.Format("2006-01-02")),
		chromedp.SetValue(chromedp.ID("task_unit_1"), fmt.Sprint(street.ID)), chromedp.SendKeys(chromedp.ID("task_title_1"), "组织物业施划临时车位"),
		chromedp.SetValue(chromedp.ID("task_due_1"), due.Add(24*time.Hour).Format("2006-01-02")),
		chromedp.Click(chromedp.ID("add-tasks")))
	if !strings.Contains(msg, "落实任务已分派") {
		t.Fatalf("flash %q", msg)
	}
	e.wantText("#tasks-progress", "0/2")
	taskIDs := value[[]string](e, "Array.from(document.querySelectorAll('#delib-tasks tbody tr')).map(r => r.id.replace('delib-task-', ''))")
	if len(taskIDs) != 2 {
		t.Fatalf("tasks %v", taskIDs)
	}
	e.shot("deliberation-staff")

	// The owner unit's officer may reveal the resident's name (audited).
	e.navigating(chromedp.Click(chromedp.CSS("#reveal-form button")))
	e.wantText("#participants", "张三丰")
	e.logout()

	// 5. Each owner completes its task from the inbox.
	for i, owner := range []org.Unit{dept, street} {
		tid := taskIDs[i]
		e.loginAs("h-" + owner.Code)
		e.do(chromedp.Navigate(e.base+"/inbox"), chromedp.WaitVisible(chromedp.ID("task-"+tid)))
		msg := e.submitted(chromedp.SendKeys(chromedp.ID("task-note-"+tid), "已完成"), chromedp.Click(chromedp.CSS(fmt.Sprintf("#done-%s button", tid))))
		if !strings.Contains(msg, "完成") {
			t.Fatalf("flash %q", msg)
		}
		e.wantText("#task-"+tid, "已完成")
		if i == 0 {
			e.logout()
		}
	}

	// 6. The officer sees 2/2 and closes the item.
	e.do(chromedp.Navigate(itemURL), chromedp.WaitVisible(chromedp.ID("close-form")))
	e.wantText("#tasks-progress", "2/2")
	if msg := e.submitted(chromedp.Click(chromedp.CSS("#close-form button"))); !strings.Contains(msg, "议题已办结") {
		t.Fatalf("flash %q", msg)
	}
	e.wantText("#delib-state", "已办结")
	e.logout()

	// 7. The portal at phone width: the decision, the votes, 2/2 done.
	e.do(e.viewport(390, 844, chromedp.EmulateMobile))
	e.do(chromedp.Navigate(fmt.Sprintf("%s/portal/deliberations?place=%d", e.base, community)), chromedp.WaitVisible(chromedp.ID("public-delib-"+id)))
	e.wantText("#public-delib-"+id, "已完成 2/2 项")
	e.navigating(chromedp.Click(chromedp.CSS("#public-delib-" + id + " h2 a")))
	e.do(chromedp.WaitVisible(chromedp.ID("public-decision")))
	e.wantText("#public-motion", "施划夜间临时停车位")
	e.wantText("#public-adopted", "通过")
	e.wantText("#public-votes", "赞成 9")
	e.wantText("#public-votes", "反对 2")
	e.wantText("#public-votes", "弃权 1")
	e.wantText("#public-progress", "已完成 2/2 项")
	e.wantText("#public-state", "已办结")
	body := e.text("main")
	for _, pii := range []string{"张三丰", "张**", "居民代表发言"} {
		if strings.Contains(body, pii) {
			t.Errorf("the portal shows %q", pii)
		}
	}
	if over := value[bool](e, "document.documentElement.scrollWidth > window.innerWidth + 2"); over {
		t.Error("the portal page is wider than a 390-pixel phone")
	}
	e.shot("deliberation-portal")
}
