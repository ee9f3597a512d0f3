package web_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"whistle/internal/auth"
	"whistle/internal/core"
	"whistle/internal/demo"
	"whistle/internal/org"
	"whistle/internal/seed"
	"whistle/internal/services"
	"whistle/internal/store"
	"whistle/internal/volunteering"
	"whistle/internal/web"
)

type volClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *volClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *volClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// TestVolunteerHoursReachTheYouthLeagueLedger, in a browser at phone
// width (390 px): a volunteer signs up for a task, checks in and out (the
// server's clock, injected and moved on by the test), the community's
// staff confirm the hours, and the hours appear in the youth league's
// (团委) ledger, read from its XLSX export.
func TestVolunteerHoursReachTheYouthLeagueLedger(t *testing.T) {
	exe := chromiumPath(t)
	ctx := t.Context()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "w.db"), store.Options{SQLiteSync: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	loc := time.FixedZone("CST", 8*3600)
	clk := &volClock{t: time.Date(2026, 11, 20, 8, 0, 0, 0, loc)}
	svc, err := services.New(ctx, st, core.Config{Now: clk.Now, PhoneKey: []byte("volunteer-e2e"), Loc: loc, ReopenLimit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Demo(ctx, svc, demo.Options{Seed: 3, Requests: 60}, auth.FastHasher(), nil); err != nil {
		t.Fatal(err)
	}
	ws, err := web.New(svc, web.Options{Hasher: auth.FastHasher()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ws.Handler())
	t.Cleanup(srv.Close)

	cm := svc.Community.Communities()[0]
	users, err := st.Users(ctx, cm.ID)
	if err != nil {
		t.Fatal(err)
	}
	var staff, vol org.User
	for _, u := range users {
		switch {
		case u.Has(org.RoleHandler) && staff.ID == 0:
			staff = u
		case u.Has(org.RoleVolunteer) && vol.ID == 0:
			vol = u
		}
	}
	staffActor, err := svc.Actor(staff)
	if err != nil {
		t.Fatal(err)
	}
	start := clk.Now().Add(30 * time.Minute)
	task, err := svc.Community.PublishTask(ctx, staffActor, volunteering.Task{Kind: volunteering.TaskEvent, Title: "敬老院义务理发", Place: "社区服务站",
		StartsAt: start, EndsAt: start.Add(3 * time.Hour), Slots: 2})
	if err != nil {
		t.Fatal(err)
	}
	record, err := st.VolunteerOfUser(ctx, vol.ID)
	if err != nil {
		t.Fatal(err)
	}

	actx, cancelA := chromedp.NewExecAllocator(ctx, browserOptions(t, exe)...)
	t.Cleanup(cancelA)
	bctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(cancelB)
	shots := filepath.Join(os.TempDir(), "whistle-screenshots")
	_ = os.MkdirAll(shots, 0o755)
	e := &e2e{t: t, base: srv.URL, ctx: bctx, shots: shots, logins: map[string]org.User{}}
	// The first call starts the browser on the test's context (a step's
	// own deadline would end it).
	if err := chromedp.Do(bctx, chromedp.Navigate(e.base+"/login")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	e.do(e.viewport(390, 844, chromedp.EmulateMobile))
	// submitLogin fills and sends the sign-in form.
	submitLogin := func(username, password string) {
		e.do(chromedp.Navigate(e.base+"/login"),
			chromedp.SendKeys(chromedp.ID("username"), username), chromedp.SendKeys(chromedp.ID("password"), password))
		e.navigating(chromedp.Click(chromedp.CSS("form[action='/login'] button[type=submit]")))
	}
	login := func(u org.User) {
		submitLogin(u.Username, demo.DemoPassword)
		e.do(chromedp.WaitVisible(chromedp.CSS("header .who form[action='/logout']")))
	}
	snap := func(name string) { // for people to look at; never compared
		if buf, err := chromedp.Run(e.ctx, chromedp.CaptureScreenshot()); err == nil {
			_ = os.WriteFile(filepath.Join(shots, name+"-phone.png"), buf, 0o644)
		}
	}
	narrow := func(where string) {
		over, err := chromedp.Run(e.ctx, chromedp.Evaluate[bool]("document.documentElement.scrollWidth > window.innerWidth + 2"))
		if err != nil || over {
			t.Errorf("%s: wider than a 390-pixel phone screen (%v)", where, err)
		}
	}
	id := fmt.Sprint(task.ID)

	// A resident registers on the portal, on a phone; the community's
	// staff approve, which makes the account; the new volunteer signs in.
	e.do(chromedp.Navigate(e.base+"/portal/volunteer"), chromedp.WaitVisible(chromedp.ID("register-form")),
		chromedp.SetValue(chromedp.ID("unit_id"), fmt.Sprint(cm.ID)),
		chromedp.SendKeys(chromedp.ID("name"), "司马晴川"), chromedp.SendKeys(chromedp.ID("phone"), "13655556666"),
		chromedp.Click(chromedp.CSS("input[name=skills][value=care]")),
	)
	e.navigating(chromedp.Click(chromedp.CSS("#register-form button[type=submit]")))
	e.do(chromedp.WaitVisible(chromedp.ID("registered")))
	narrow("the registration")
	pending, err := st.Volunteers(ctx, cm.ID, volunteering.Pending)
	if err != nil {
		t.Fatal(err)
	}
	var reg volunteering.Volunteer
	for _, v := range pending {
		if v.Name == "司马晴川" {
			reg = v
		}
	}
	if reg.ID == 0 || reg.Phone != "13655556666" || len(reg.Skills) != 1 {
		t.Fatalf("the registration as stored: %+v", pending)
	}
	row := fmt.Sprintf("#volunteer-%d", reg.ID)
	login(staff)
	e.do(chromedp.Navigate(e.base+"/volunteers"), chromedp.WaitVisible(chromedp.CSS(row+" summary")))
	e.wantText(row, "136****6666") // the phone masked in the registry
	e.do(chromedp.Click(chromedp.CSS(row+" summary")),
		chromedp.SendKeys(chromedp.ID(fmt.Sprintf("username-%d", reg.ID)), "sima-qc"),
		chromedp.SendKeys(chromedp.ID(fmt.Sprintf("password-%d", reg.ID)), "sima-first-password"),
	)
	e.navigating(chromedp.Click(chromedp.CSS(row + " .approve-form button[type=submit]")))
	e.do(chromedp.WaitVisible(chromedp.CSS("p.flash")))
	e.wantText(row, "在册")
	e.logout()
	submitLogin("sima-qc", "sima-first-password")
	e.do(chromedp.WaitVisible(chromedp.ID("signup-" + id)))
	// The first password was set by the community's staff: the volunteer
	// changes it on the account page, which ends the session.
	e.navigating(chromedp.Click(chromedp.ID("nav-account")))
	e.do(chromedp.SendKeys(chromedp.ID("old_password"), "sima-first-password"),
		chromedp.SendKeys(chromedp.ID("new_password"), "sima-own-password-2026"),
		chromedp.SendKeys(chromedp.ID("new_password2"), "sima-own-password-2026"))
	narrow("the account page")
	e.navigating(chromedp.Click(chromedp.ID("password-submit")))
	e.do(chromedp.WaitVisible(chromedp.ID("username")))
	e.wantText("p.flash", "密码已修改")
	submitLogin("sima-qc", "sima-own-password-2026")
	e.do(chromedp.WaitVisible(chromedp.ID("signup-" + id)))
	e.logout()

	// The volunteer, on a phone.
	login(vol)
	e.do(chromedp.WaitVisible(chromedp.ID("signup-" + id)))
	narrow("the volunteer's page")
	e.navigating(chromedp.Click(chromedp.ID("signup-" + id)))
	e.do(chromedp.WaitVisible(chromedp.ID("checkin-" + id)))
	e.wantText("#state-"+id, "已报名")
	clk.Add(40 * time.Minute) // arrives ten minutes after the start
	e.navigating(chromedp.Click(chromedp.ID("checkin-" + id)))
	e.do(chromedp.WaitVisible(chromedp.ID("checkout-" + id)))
	e.wantText("#state-"+id, "已签到")
	clk.Add(90 * time.Minute)
	e.navigating(chromedp.Click(chromedp.ID("checkout-" + id)))
	e.do(chromedp.WaitVisible(chromedp.ID("minutes-" + id)))
	e.wantText("#minutes-"+id, "90")
	e.wantText("#state-"+id, "待确认")
	narrow("after checking out")
	snap("volunteer")
	e.logout()

	// The community's staff confirm the hours.
	login(staff)
	e.do(chromedp.Navigate(e.base+"/volunteers/tasks/"+id), chromedp.WaitVisible(chromedp.ID(fmt.Sprintf("confirm-%d", record.ID))))
	narrow("the task's sign-ups")
	e.navigating(chromedp.Click(chromedp.ID(fmt.Sprintf("confirm-%d", record.ID))))
	e.do(chromedp.WaitVisible(chromedp.CSS("p.flash")))
	e.wantText(fmt.Sprintf("#signup-%d", record.ID), "15")

	// The youth league's ledger, on the page and as XLSX.
	period := clk.Now().Format("2006-01")
	e.do(chromedp.Navigate(e.base+"/ledgers?template=youth-volunteer&period="+period), chromedp.WaitVisible(chromedp.ID("ledger-xlsx")))
	e.wantText("#ledger-title", "团委")
	e.wantText("#ledger", "敬老院义务理发")
	e.wantText("#ledger-count", "14")
	narrow("the ledger")
	snap("ledger")
	b64, err := chromedp.Run(e.ctx, chromedp.Evaluate[string](`fetch(document.getElementById('ledger-xlsx').href).then(r => r.arrayBuffer()).then(b => {
		let s = ''; for (const x of new Uint8Array(b)) s += String.fromCharCode(x); return btoa(s) })`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	// The same ledger printed as PDF (headless Chromium, as the topics report).
	head, err := chromedp.Run(e.ctx, chromedp.Evaluate[string](`fetch(document.getElementById('ledger-pdf').href).then(r => r.text()).then(s => s.slice(0, 5))`, chromedp.EvalAwaitPromise))
	if err != nil || head != "%PDF-" {
		t.Errorf("the ledger's PDF starts %q (%v)", head, err)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the export is not an XLSX: %v", err)
	}
	rows, err := x.GetRows("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 3 || !strings.Contains(rows[0][0], "团委") || rows[1][4] != "时长（小时）" {
		t.Fatalf("the ledger's head: %v", rows)
	}
	found := false
	for _, r := range rows[2:] {
		if len(r) >= 6 && r[1] == "敬老院义务理发" && r[2] == "活动" && r[4] == "1.5" && r[5] == "15" && r[3] == org.MaskName(record.Name) {
			found = true
		}
	}
	if !found {
		t.Errorf("the youth league's XLSX lacks the 1.5 hours: %v", rows)
	}

	// People leave the lists. The staff take a person off the care list —
	// the name, phone, address and visit notes are erased at once — and
	// mark the volunteer registered above as left: the account no longer
	// signs in.
	care, err := svc.Community.CareList(ctx, staffActor)
	if err != nil || len(care) == 0 {
		t.Fatalf("the demo community's care list: %d %v", len(care), err)
	}
	gone := care[0]
	e.do(chromedp.Navigate(fmt.Sprintf("%s/care/%d", e.base, gone.ID)), chromedp.WaitVisible(chromedp.CSS("#care-remove summary")),
		chromedp.Click(chromedp.CSS("#care-remove summary")), chromedp.SetValue(chromedp.ID("reason"), volunteering.RemovedMovedAway))
	narrow("the care list's removal form")
	e.navigating(chromedp.Click(chromedp.CSS("#care-remove button[type=submit]")))
	e.do(chromedp.WaitVisible(chromedp.CSS("p.flash")))
	e.wantText("p.flash", "个人信息已删除")
	if shown, err := chromedp.Run(e.ctx, chromedp.Evaluate[bool](fmt.Sprintf("document.body.innerText.includes(%q)", gone.Name))); err != nil || shown {
		t.Errorf("the care list still shows %s (%v)", gone.Name, err)
	}
	if x, err := st.CareSubject(ctx, gone.ID); err != nil || x.Name != "" || x.Phone != "" || x.Address != "" || x.RemovedReason != volunteering.RemovedMovedAway {
		t.Errorf("stored after removal: %+v %v", x, err)
	}
	e.do(chromedp.Navigate(e.base+"/volunteers"), chromedp.WaitVisible(chromedp.CSS(row+" details.leave summary")),
		chromedp.Click(chromedp.CSS(row+" details.leave summary")))
	e.navigating(chromedp.Click(chromedp.CSS(row + " details.leave button[type=submit]")))
	e.do(chromedp.WaitVisible(chromedp.CSS("p.flash")))
	e.wantText(row, "已退出")
	e.logout()
	submitLogin("sima-qc", "sima-own-password-2026")
	e.do(chromedp.WaitVisible(chromedp.ID("username")))
	if in, err := chromedp.Run(e.ctx, chromedp.Evaluate[bool]("document.querySelector(\"header .who form[action='/logout']\") !== null")); err != nil || in {
		t.Errorf("the departed volunteer signed in (%v)", err)
	}
}
