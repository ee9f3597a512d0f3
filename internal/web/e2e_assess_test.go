package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"whistle/internal/assessment"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/ranking"
	"whistle/internal/services"
)

// loginAs logs in a demo user by name (every demo user has the demo password).
func (e *e2e) loginAs(username string) {
	e.t.Helper()
	e.do(chromedp.Navigate(e.base+"/login"),
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), "whistle-demo"),
		chromedp.Click(chromedp.CSS("form[action='/login'] button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("header .who form[action='/logout']")))
}

// value evaluates a script that returns a JSON-able value.
func value[T any](e *e2e, js string) T {
	e.t.Helper()
	v, err := chromedp.Run(e.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		e.t.Fatalf("eval %q: %v", js, err)
	}
	return v
}

// flash waits for the confirmation after a form and returns it.
func (e *e2e) submitted(steps ...chromedp.Action[chromedp.Void]) string {
	e.t.Helper()
	e.eval("document.querySelectorAll('.flash,#form-error').forEach(x => x.remove())")
	e.do(append(steps, chromedp.WaitVisible(chromedp.CSS("p.flash, #form-error")))...)
	if msg := value[string](e, "(document.querySelector('#form-error')||{}).innerText||''"); msg != "" {
		e.t.Fatalf("the form was refused: %s", msg)
	}
	return e.text("p.flash")
}

func rate(p *float64) string {
	if p == nil {
		return "—"
	}
	return strconv.FormatFloat(*p*100, 'f', 2, 64) + "%"
}

func points(p *float64) string {
	if p == nil {
		return "—"
	}
	return strconv.FormatFloat(*p, 'f', 2, 64)
}

// busiestMonth is the ended month of the last year with the most street orders.
func busiestMonth(t *testing.T, svc *services.Services) (assessment.Period, ranking.Ranking) {
	t.Helper()
	now := svc.Now()
	var best assessment.Period
	var bestR ranking.Ranking
	most := int64(-1)
	for i := 1; i <= 13; i++ {
		m := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, svc.Location()).AddDate(0, -i, 0).Format("2006-01")
		p, err := svc.Ranking.AssessMonthPeriod(m)
		if err != nil {
			t.Fatal(err)
		}
		r, err := svc.Ranking.Assess(t.Context(), org.System(), p, ranking.AssessOptions{Kind: "street"})
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, u := range r.Units {
			n += u.Orders + u.Callbacks
		}
		if n > most {
			most, best, bestR = n, p, r
		}
	}
	if most <= 0 {
		t.Fatal("the demo city has no street orders in the last year")
	}
	return best, bestR
}

// TestRankingInTheBrowser checks that the ranking page shows the service's
// figures, that a number lists exactly the cases behind it, that a month is
// published to citizens, and that a unit's exemption request is decided.
func TestRankingInTheBrowser(t *testing.T) {
	e := newE2E(t)
	svc := e.app.Svc
	per, rk := busiestMonth(t, svc)

	e.login(org.RoleAnalyst)
	e.do(chromedp.Navigate(e.base+"/assess?kind=street&month="+per.Label), chromedp.WaitVisible(chromedp.ID("ranking")))
	got := value[map[string]map[string]string](e, `(() => { const out = {};
		document.querySelectorAll('#ranking tbody tr[id]').forEach(tr => { const m = {};
			tr.querySelectorAll('td[data-m]').forEach(td => m[td.dataset.m] = td.innerText.trim()); out[tr.id] = m; });
		return out; })()`)
	if len(got) != len(rk.Units) {
		t.Fatalf("the page lists %d units, the service %d", len(got), len(rk.Units))
	}
	var busiest assessment.Score
	for _, u := range rk.Units {
		row, ok := got[fmt.Sprintf("unit-%d", u.UnitID)]
		if !ok {
			t.Fatalf("unit %s is not on the page", u.UnitName)
		}
		want := map[string]string{"orders": fmt.Sprint(u.Orders), "responded": fmt.Sprint(u.Responded), "response": rate(u.Response),
			"callbacks": fmt.Sprint(u.Callbacks), "resolved": fmt.Sprint(u.Resolved), "resolution": rate(u.Resolution),
			"satisfied": fmt.Sprint(u.Satisfied), "fairly_satisfied": fmt.Sprint(u.Fairly), "satisfaction": rate(u.Satisfaction),
			"overdue": fmt.Sprint(u.Overdue), "exempted": fmt.Sprint(u.Exempted), "unit": u.UnitName}
		for m, w := range want {
			if row[m] != w {
				t.Errorf("%s %s: page %q, service %q", u.UnitName, m, row[m], w)
			}
		}
		if !strings.HasPrefix(row["composite"], points(u.Composite)) {
			t.Errorf("%s composite: page %q, service %s", u.UnitName, row["composite"], points(u.Composite))
		}
		if u.Rank > 0 && row["rank"] != fmt.Sprint(u.Rank) {
			t.Errorf("%s rank: page %q, service %d", u.UnitName, row["rank"], u.Rank)
		}
		// Too few cases: listed apart, no rank, no composite.
		apart := value[bool](e, fmt.Sprintf("!!document.querySelector('#unranked #unit-%d')", u.UnitID))
		if u.Rank == 0 && (!apart || row["rank"] != "样本不足" || row["composite"] != "—") {
			t.Errorf("%s has too few cases: apart %v, rank %q, composite %q", u.UnitName, apart, row["rank"], row["composite"])
		}
		if u.Rank > 0 && apart {
			t.Errorf("%s is ranked %d but listed apart", u.UnitName, u.Rank)
		}
		if u.Orders > busiest.Orders {
			busiest = u
		}
	}
	e.wantText("#assess-rules", fmt.Sprint(rk.Rules.Version))
	if n := value[int](e, "document.querySelectorAll('#assess-chart canvas').length"); n == 0 {
		t.Error("no composite chart drawn")
	}
	e.shot("ranking")

	// Both export buttons download the ranking: status 200, a header in
	// words, the units by name.
	for _, id := range []string{"export-csv", "export-xlsx"} {
		status, err := chromedp.Run(e.ctx, chromedp.Evaluate[int]("fetch(document.getElementById('"+id+"').href).then(r => r.status)", chromedp.EvalAwaitPromise))
		if err != nil || status != 200 {
			t.Fatalf("%s: status %d, %v", id, status, err)
		}
		data := e.download("#" + id)
		var header, names []string
		if id == "export-csv" {
			if !bytes.HasPrefix(data, []byte("\uFEFF")) {
				t.Error("the CSV has no byte-order mark: Excel would misread it")
			}
			recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\uFEFF")))).ReadAll()
			if err != nil || len(recs) == 0 {
				t.Fatalf("downloaded csv: %v", err)
			}
			header = recs[0]
			for _, r := range recs[1:] {
				names = append(names, r[4])
			}
		} else {
			x, err := excelize.OpenReader(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("downloaded xlsx: %v", err)
			}
			rows, err := x.GetRows(x.GetSheetName(0))
			if err != nil || len(rows) == 0 {
				t.Fatalf("downloaded xlsx rows: %v", err)
			}
			header = rows[0]
			for _, r := range rows[1:] {
				names = append(names, r[4])
			}
		}
		if !slices.Equal(header, ranking.ExportHeader("zh")) || header[4] != "单位名称" {
			t.Errorf("%s header %v", id, header)
		}
		if len(names) != len(rk.Units) || !slices.Contains(names, rk.Units[0].UnitName) {
			t.Errorf("%s lists %v, the service %d units (first %s)", id, names, len(rk.Units), rk.Units[0].UnitName)
		}
	}

	// The unit's orders list exactly the cases behind the number.
	ids, err := svc.Ranking.AssessCases(t.Context(), e.adminActor(), per, busiest.UnitID, assessment.MeasureOrders)
	if err != nil {
		t.Fatal(err)
	}
	var wantNumbers []string
	for _, id := range ids {
		c, err := svc.Cases.Get(t.Context(), org.System(), id)
		if err != nil {
			t.Fatal(err)
		}
		wantNumbers = append(wantNumbers, c.Number)
	}
	e.do(chromedp.Click(chromedp.CSS(fmt.Sprintf("#unit-%d td[data-m=orders] a", busiest.UnitID))), chromedp.WaitVisible(chromedp.ID("drill")))
	e.wantText("#drill-unit", busiest.UnitName)
	e.wantText("#drill-count", fmt.Sprint(len(ids)))
	shown := value[[]string](e, "[...document.querySelectorAll('#drill tbody tr[id] td:first-child a')].map(a => a.innerText.trim())")
	slices.Sort(shown)
	slices.Sort(wantNumbers)
	if !slices.Equal(shown, wantNumbers) {
		t.Fatalf("drill-down lists %v, the service %v", shown, wantNumbers)
	}
	e.shot("ranking-drill")
	e.do(chromedp.Click(linkTo(wantNumbers[0])), chromedp.WaitVisible(chromedp.ID("case-state")))

	// In English.
	e.do(chromedp.Navigate(e.base+"/assess?lang=en&kind=street&month="+per.Label), chromedp.WaitVisible(chromedp.ID("ranking")))
	e.wantText("#ranking thead", "Response rate")
	e.wantText("#assess-month", per.From.Format("Jan 2006"))
	e.wantText("#kind-tabs", "Departments")
	e.do(chromedp.Navigate(e.base+"/lang/zh?back=/assess"), chromedp.WaitVisible(chromedp.ID("ranking")))
	e.wantText("#ranking thead", "响应率")
	e.logout()

	// A street asks to leave one of its cases out; the centre approves.
	handler := e.logins[org.RoleHandler]
	open := false
	pg, err := svc.Cases.List(t.Context(), org.System(), lifecycle.CaseFilter{LeadUnitID: handler.UnitID, Open: &open, Limit: 1})
	if err != nil || len(pg.Cases) == 0 {
		t.Fatalf("no closed case led by the demo street: %v", err)
	}
	number := pg.Cases[0].Number
	e.login(org.RoleHandler)
	e.do(chromedp.Navigate(e.base+"/assess/exemptions"), chromedp.WaitVisible(chromedp.ID("exemption-form")))
	// Without evidence the field is named and the number kept.
	e.do(chromedp.SendKeys(chromedp.ID("case_number"), number), chromedp.SetValue(chromedp.ID("reason"), "duplicate"))
	e.eval("document.getElementById('evidence').removeAttribute('required')")
	e.do(chromedp.Click(chromedp.CSS("#exemption-form button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("#exemption-form .field-error")))
	if v := value[string](e, "document.getElementById('case_number').value"); v != number {
		t.Fatalf("the case number typed was not kept: %q", v)
	}
	if v := value[string](e, "document.getElementById('evidence').getAttribute('aria-invalid')"); v != "true" {
		t.Fatal("the evidence field is not marked")
	}
	msg := e.submitted(chromedp.SendKeys(chromedp.ID("evidence"), "与另一工单为同一诉求，重复派单"), chromedp.Click(chromedp.CSS("#exemption-form button[type=submit]")))
	if !strings.Contains(msg, number) {
		t.Fatalf("flash %q", msg)
	}
	e.wantText("#exemptions", "待审核")
	e.shot("exemptions")
	e.logout()
	e.login(org.RoleAdmin)
	e.do(chromedp.Navigate(e.base+"/assess/exemptions?state=pending"), chromedp.WaitVisible(chromedp.CSS("form.decide")))
	e.submitted(chromedp.SendKeys(chromedp.CSS("form.decide input[name=note]"), "经核实属重复工单"), chromedp.Click(chromedp.CSS("form.decide button[value=approve]")))
	e.wantText("#exemptions", "已批准")
	xs, err := svc.Ranking.Exemptions(t.Context(), e.adminActor(), assessment.ExemptionFilter{Limit: 5})
	if err != nil || len(xs) != 1 || xs[0].State != assessment.ExemptApproved || xs[0].UnitID != handler.UnitID {
		t.Fatalf("stored exemptions: %+v, %v", xs, err)
	}

	// The centre publishes the month; citizens see it.
	e.do(chromedp.Navigate(e.base+"/assess?kind=street&month="+per.Label), chromedp.WaitVisible(chromedp.ID("publish-form")))
	e.submitted(chromedp.Click(chromedp.CSS("#publish-form button")))
	e.do(chromedp.WaitVisible(chromedp.ID("assess-published")))
	if _, found, err := svc.St.AssessMonth(t.Context(), per.Label); err != nil || !found {
		t.Fatalf("the month is not published: %v", err)
	}
	pub, err := svc.Ranking.PublicRanking(t.Context(), per.Label)
	if err != nil || len(pub) == 0 {
		t.Fatalf("public ranking: %v", err)
	}
	e.logout()
	e.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(e.base+"/portal"), chromedp.WaitVisible(chromedp.ID("portal-form")))
	e.do(chromedp.Click(chromedp.CSS("a[href='/portal/ranking']")), chromedp.WaitVisible(chromedp.CSS(".public-ranking")))
	for _, k := range assessment.RankedKinds {
		for _, x := range pub {
			if x.Kind == k && x.Rank == 1 {
				e.wantText("#public-"+k, x.Unit)
			}
		}
	}
	e.shot("portal-ranking")
}

// download clicks the link sel with downloads allowed into a fresh folder,
// waits for the download to complete and returns the file.
func (e *e2e) download(sel string) []byte {
	e.t.Helper()
	dir := e.t.TempDir()
	ctx, cancel := context.WithTimeout(e.ctx, stepTimeout)
	defer cancel()
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	e.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: new(true)})
		return err
	}), chromedp.Click(chromedp.CSS(sel)))
	for ev, err := range progress {
		if err != nil {
			e.t.Fatalf("downloading %s: %v", sel, err)
		}
		switch ev.State {
		case browser.DownloadProgressStateCanceled:
			e.t.Fatalf("the download of %s was canceled", sel)
		case browser.DownloadProgressStateCompleted:
			b, err := os.ReadFile(filepath.Join(dir, ev.GUID))
			if err != nil {
				e.t.Fatal(err)
			}
			return b
		}
	}
	e.t.Fatalf("the download of %s did not complete", sel)
	return nil
}

// adminActor is the demo administrator as the service sees them.
func (e *e2e) adminActor() org.Actor {
	u := e.logins[org.RoleAdmin]
	unit, _ := e.app.Svc.Unit(u.UnitID)
	return org.Actor{User: u, Unit: unit}
}
