package web_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"whistle/internal/org"
	"whistle/internal/timelimit"
)

// policyValues is the policy form as the page fills it from pol.
func policyValues(pol timelimit.Policy) url.Values {
	v := url.Values{}
	v.Set("rules", strconv.Itoa(len(pol.Rules)))
	span := func(s timelimit.Span) string {
		if s.IsZero() {
			return ""
		}
		return s.String()
	}
	set := func(prefix string, l timelimit.Limits) {
		v.Set(prefix+"accept", span(l.Accept))
		v.Set(prefix+"dispatch", span(l.Dispatch))
		v.Set(prefix+"sign", span(l.Sign))
		v.Set(prefix+"reply", span(l.Reply))
	}
	for i, r := range pol.Rules {
		p := "rule" + strconv.Itoa(i) + "."
		v.Set(p+"name", r.Name)
		v.Set(p+"urgency", r.Urgency)
		v.Set(p+"type", r.Type)
		v.Set(p+"category_prefix", r.CategoryPrefix)
		set(p, r.Limits)
	}
	set("default.", pol.Default)
	return v
}

// TestAdminPolicyAndCalendarForms: the policy and the holiday calendar are
// edited in forms with choices, bad input names the field, and a preview
// shows the deadlines (policy) or the working days per month (calendar)
// without saving anything.
func TestAdminPolicyAndCalendarForms(t *testing.T) {
	s := newSite(t)
	admin := s.client(org.RoleAdmin)

	// The forms offer choices, not codes.
	res, _ := admin.Get(s.base + "/admin?tab=policy")
	page := body(t, res)
	for _, want := range []string{`<select name="rule0.urgency"`, `<option value="emergency" selected>`, `name="default.reply" size="6" aria-label="答复" value="7wd"`} {
		if !strings.Contains(page, want) {
			t.Errorf("policy form lacks %q", want)
		}
	}
	res, _ = admin.Get(s.base + "/admin?tab=categories")
	if page := body(t, res); !strings.Contains(page, `<select id="c-urg" name="urgency"`) {
		t.Error("the category form asks for the urgency as typed text")
	}

	pol := s.app.Svc.Policy()
	version := pol.Version
	// A bad span: the field says so, nothing is saved.
	v := policyValues(pol)
	v.Set("rule0.reply", "2 hours")
	v.Set("do", "save")
	res, _ = admin.PostForm(s.base+"/admin/policy", v)
	page = body(t, res)
	if res.StatusCode != 422 || !strings.Contains(page, `name="rule0.reply" size="6" aria-label="答复" value="2 hours" aria-invalid="true"`) || !strings.Contains(page, "时限写法无效") {
		i := strings.Index(page, `name="rule0.reply"`)
		t.Fatalf("bad span: status %d: %s", res.StatusCode, page[max(0, i-100):min(len(page), i+400)])
	}
	if s.app.Svc.Policy().Version != version {
		t.Fatal("a refused policy was saved")
	}
	// Preview: emergency replies within 3h from now (changed from 2h); not saved.
	v = policyValues(pol)
	v.Set("rule0.reply", "3h")
	v.Set("do", "preview")
	res, _ = admin.PostForm(s.base+"/admin/policy", v)
	page = body(t, res)
	if res.StatusCode != 200 || !strings.Contains(page, `id="policy-preview"`) {
		t.Fatalf("preview: status %d", res.StatusCode)
	}
	// The preview counts from the minute it shows.
	help := "各紧急程度的期限： "
	i := strings.Index(page, help)
	if i < 0 {
		t.Fatal("the preview does not say from when")
	}
	shown := page[i+len(help):]
	shown = shown[:strings.Index(shown, "</p>")]
	now, err := time.ParseInLocation("2006年1月2日 15:04", shown, s.app.Svc.Location())
	if err != nil {
		t.Fatal(err)
	}
	l, _ := pol.For(timelimit.UrgencyEmergency, timelimit.TypeComplaint, "")
	l.Reply = timelimit.Hours(3)
	d := l.Compute(s.app.Svc.Calendar(), now, now)
	prev := page[strings.Index(page, `id="policy-preview"`):]
	row := prev[strings.Index(prev, "<tbody>"):]
	row = row[:strings.Index(row, "</tr>")]
	if want := d.ReplyBy.In(s.app.Svc.Location()).Format("2006年1月2日 15:04"); !strings.Contains(row, "紧急") || !strings.Contains(row, want) {
		t.Errorf("preview row for emergency %q lacks the reply deadline %s", row, want)
	}
	if s.app.Svc.Policy().Version != version {
		t.Fatal("a preview saved the policy")
	}
	// Save: through the one write path.
	v.Set("do", "save")
	res, _ = admin.PostForm(s.base+"/admin/policy", v)
	if page := body(t, res); res.StatusCode != 200 || !strings.Contains(page, "已保存") {
		t.Fatalf("save policy: %d", res.StatusCode)
	}
	if got := s.app.Svc.Policy(); got.Version != version+1 || got.Rules[0].Limits.Reply != timelimit.Hours(3) {
		t.Fatalf("saved policy %+v", got.Rules[0])
	}

	// Calendar: a bad date names the field.
	res, _ = admin.PostForm(s.base+"/admin/calendar", url.Values{"year": {"2027"}, "source": {"国办发明电〔2026〕1号"}, "off": {"2027-01-01\n2027-13-01"}, "work": {""}, "do": {"save"}})
	page = body(t, res)
	if res.StatusCode != 422 || !strings.Contains(page, `id="cal-off"`) || !strings.Contains(page, "日期 2027-13-01 无效") {
		t.Fatalf("bad date: status %d", res.StatusCode)
	}
	res, _ = admin.PostForm(s.base+"/admin/calendar", url.Values{"year": {"2027"}, "source": {"x"}, "off": {"2026-12-31"}, "do": {"save"}})
	if page := body(t, res); res.StatusCode != 422 || !strings.Contains(page, "不在 2027 年") {
		t.Fatalf("date of another year: status %d", res.StatusCode)
	}
	if s.app.Svc.Calendar().Covers(2027) {
		t.Fatal("a refused notice changed the calendar")
	}
	// Preview: January 2027 has 21 weekdays; New Year's Day off makes 20,
	// a make-up Saturday (2027-01-09) 21 again.
	cal := url.Values{"year": {"2027"}, "source": {"test notice"}, "off": {"2027-01-01"}, "work": {"2027-01-09"}, "do": {"preview"}}
	res, _ = admin.PostForm(s.base+"/admin/calendar", cal)
	page = body(t, res)
	if res.StatusCode != 200 || !strings.Contains(page, `id="calendar-months"`) || !strings.Contains(page, "<tr><td>1</td><td>21</td></tr>") || !strings.Contains(page, "<tr><td>2</td><td>20</td></tr>") {
		t.Fatalf("calendar preview: status %d\n%s", res.StatusCode, page[max(0, strings.Index(page, "calendar-preview")):][:min(2000, len(page)-max(0, strings.Index(page, "calendar-preview")))])
	}
	if s.app.Svc.Calendar().Covers(2027) {
		t.Fatal("a preview loaded the calendar")
	}
	cal.Set("do", "save")
	res, _ = admin.PostForm(s.base+"/admin/calendar", cal)
	if body(t, res); res.StatusCode != 200 || !s.app.Svc.Calendar().Covers(2027) {
		t.Fatalf("save calendar: %d", res.StatusCode)
	}
	agent := s.client(org.RoleAgent)
	for _, path := range []string{"/admin/policy", "/admin/calendar"} {
		res, _ = agent.PostForm(s.base+path, cal)
		if body(t, res); res.StatusCode != 403 {
			t.Errorf("an agent posting %s: %d", path, res.StatusCode)
		}
	}
}
