package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/retention"
)

// TestCasePageSaysAnonymised: a case the retention period anonymised says
// so on its page, with the date, in Chinese and English; a case that was
// not anonymised does not.
func TestCasePageSaysAnonymised(t *testing.T) {
	s := newSite(t)
	ctx := t.Context()
	loc := s.app.Svc.Location()
	var closed, open int64
	pg, err := s.app.Svc.Cases.List(ctx, org.System(), lifecycle.CaseFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range pg.Cases {
		switch {
		case c.State == lifecycle.Closed && closed == 0:
			closed = c.ID
		case c.State.Open() && open == 0:
			open = c.ID
		}
	}
	if closed == 0 || open == 0 {
		t.Fatalf("the demo has no closed (%d) or open (%d) case", closed, open)
	}
	// Every case closed before now: the run happens a day after "now + 1 day".
	at := time.Now().Add(48 * time.Hour).In(loc)
	rep, err := retention.New(s.app.Svc.Core, 1).Run(ctx, at, 0)
	if err != nil || rep.Anonymised == 0 {
		t.Fatalf("retention run: %+v, %v", rep, err)
	}
	agent := s.client(org.RoleAgent)
	page := func(id int64, lang string) string {
		res, err := agent.Get(fmt.Sprintf("%s/cases/%d?lang=%s", s.base, id, lang))
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 200 {
			t.Fatalf("case %d: status %d", id, res.StatusCode)
		}
		return body(t, res)
	}
	zh := page(closed, "zh")
	wantZH := fmt.Sprintf("%d年%d月%d日 已按保存期限匿名化", at.Year(), at.Month(), at.Day())
	if !strings.Contains(zh, `id="anonymised"`) || !strings.Contains(zh, "已匿名化") || !strings.Contains(zh, wantZH) {
		t.Errorf("anonymised case %d: no 已匿名化 or no %q on its page", closed, wantZH)
	}
	en := page(closed, "en")
	if wantEN := "Anonymised on " + at.Format("2 Jan 2006"); !strings.Contains(en, wantEN) {
		t.Errorf("anonymised case %d in English: no %q", closed, wantEN)
	}
	if p := page(open, "zh"); strings.Contains(p, "已匿名化") || strings.Contains(p, `id="anonymised"`) {
		t.Errorf("open case %d says it is anonymised", open)
	}
}
