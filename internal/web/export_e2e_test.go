package web_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"whistle/internal/casework"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

// TestCaseListExportInTheBrowser: a dispatcher filters the case list to
// the open cases; the page's export buttons carry the filter, and the CSV
// the browser downloads by clicking one holds exactly the open cases the
// dispatcher's list shows (no closed one, none missing), headed in
// Chinese; the XLSX and JSONL buttons answer 200.
func TestCaseListExportInTheBrowser(t *testing.T) {
	e := newE2E(t)
	e.login(org.RoleDispatcher)
	e.navigating(chromedp.Navigate(e.base + "/cases"))
	e.do(chromedp.SetValue(chromedp.ID("q-show"), "open"))
	e.navigating(chromedp.Submit(chromedp.ID("q-show")))
	for _, f := range []string{"csv", "xlsx", "jsonl"} {
		href, err := chromedp.Run(e.ctx, chromedp.Evaluate[string]("document.getElementById('export-"+f+"').href"))
		if err != nil || !strings.Contains(href, "/cases/export."+f+"?") || !strings.Contains(href, "show=open") {
			t.Fatalf("export %s link %q (%v): want the page's filter", f, href, err)
		}
		if f != "csv" {
			status, err := chromedp.Run(e.ctx, chromedp.Evaluate[int]("fetch(document.getElementById('export-"+f+"').href).then(r => r.status)", chromedp.EvalAwaitPromise))
			if err != nil || status != 200 {
				t.Errorf("export %s: status %d %v", f, status, err)
			}
		}
	}
	body := e.download("#export-csv")
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\uFEFF")))).ReadAll()
	if err != nil || len(recs) < 2 {
		t.Fatalf("downloaded CSV: %d records, %v", len(recs), err)
	}
	if strings.Join(recs[0], ",") != strings.Join(casework.ExportHeader("zh-CN"), ",") {
		t.Errorf("header %v", recs[0])
	}

	u := e.logins[org.RoleDispatcher]
	a, err := e.app.Svc.Actor(u)
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	f := lifecycle.CaseFilter{Open: &yes, Sort: "due", Limit: 200}
	want := map[string]bool{}
	for {
		pg, err := e.app.Svc.Cases.List(t.Context(), a, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range pg.Cases {
			want[c.Number] = true
		}
		if pg.Next == "" {
			break
		}
		f.Cursor = pg.Next
	}
	got := map[string]bool{}
	for _, r := range recs[1:] {
		if r[7] == string(lifecycle.Closed) {
			t.Errorf("a closed case %s in the open cases' export", r[0])
		}
		got[r[0]] = true
	}
	if len(got) != len(want) || len(recs)-1 != len(want) {
		t.Errorf("the CSV holds %d rows (%d numbers); the list shows %d open cases", len(recs)-1, len(got), len(want))
	}
	for n := range want {
		if !got[n] {
			t.Errorf("the CSV lacks %s", n)
		}
	}
}
