package api_test

import (
	"bytes"
	"encoding/csv"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"whistle/internal/assessment"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/pgtest"
	"whistle/internal/ranking"
)

func TestAssessAPI(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { apiTestAssess(apiOpen(t, filepath.Join(t.TempDir(), "w.db"))) })
	t.Run("postgres", func(t *testing.T) { apiTestAssess(apiOpen(t, pgtest.NewDatabase(t))) })
}

func apiTestAssess(e *apiEnv) {
	t := e.t
	loc := e.app.Svc.Location()
	now := time.Now().In(loc)
	month := now.Format("2006-01")
	prev := now.AddDate(0, 0, -now.Day()+1).AddDate(0, -1, 0).Format("2006-01")

	// A case of streetA this month, for the exemption.
	c := e.apiCreate(e.agent, e.apiCaseIn(e.gridA, e.apiPhone()))
	e.apiAct(e.dispatcher, c.ID, "dispatch", map[string]any{"unit_id": e.streetA.ID})
	e.apiAct(e.handlerA, c.ID, "sign", nil)

	// Refusals.
	apiRefused(t, e.apiDo(e.analyst, "GET", "/api/v1/assess/ranking", nil), 422, errs.FieldRequired)
	apiRefused(t, e.apiDo(e.analyst, "GET", "/api/v1/assess/ranking?month=2026-13", nil), 422, errs.Invalid)
	apiRefused(t, e.apiDo(e.analyst, "GET", "/api/v1/assess/ranking?month="+month+"&kind=planet", nil), 422, errs.Invalid)
	apiRefused(t, e.apiDo("", "GET", "/api/v1/assess/ranking?month="+month, nil), 401, errs.Unauthenticated)
	apiRefused(t, e.apiDo(e.handlerA, "PUT", "/api/v1/assess/rules", assessment.DefaultRules()), 403, errs.Forbidden)
	bad := assessment.DefaultRules()
	bad.FairlyScore = 2
	apiRefused(t, e.apiDo(e.admin, "PUT", "/api/v1/assess/rules", bad), 422, errs.Invalid)

	// The ranking: every count matches its drill-down.
	var rk ranking.Ranking
	apiWant(t, e.apiDo(e.analyst, "GET", "/api/v1/assess/ranking?month="+month, nil), 200, &rk)
	if rk.Rules.Version != 1 || len(rk.Units) == 0 || rk.Frozen {
		t.Fatalf("ranking: version %d, %d units, frozen %v", rk.Rules.Version, len(rk.Units), rk.Frozen)
	}
	var withOrders []assessment.Score
	for _, u := range rk.Units {
		if !slices.Contains(assessment.RankedKinds, u.Kind) {
			t.Errorf("unit %d of kind %s ranked", u.UnitID, u.Kind)
		}
		if u.Orders > 0 || u.Callbacks > 0 {
			withOrders = append(withOrders, u)
		}
	}
	if len(withOrders) == 0 {
		t.Fatal("no unit has orders this month")
	}
	// A unit below the minimum (10 orders and 5 callbacks under version 1)
	// is not ranked and has no composite, but keeps its rates.
	for _, u := range rk.Units {
		if u.Orders < 10 || u.Callbacks < 5 {
			if u.Rank != 0 || u.Composite != nil || u.Unranked != assessment.UnrankedTooFew {
				t.Errorf("unit %d with %d orders and %d callbacks: rank %d, composite %v, unranked %q", u.UnitID, u.Orders, u.Callbacks, u.Rank, u.Composite, u.Unranked)
			}
			if u.Orders > 0 && u.Response == nil {
				t.Errorf("unit %d lost its response rate", u.UnitID)
			}
		}
	}
	drill := func(user, period string, unit int64, measure string) []int64 {
		t.Helper()
		var out struct {
			CaseIDs []int64 `json:"case_ids"`
		}
		apiWant(t, e.apiDo(user, "GET", "/api/v1/assess/cases?"+period+"&unit_id="+strconv.FormatInt(unit, 10)+"&measure="+measure, nil), 200, &out)
		return out.CaseIDs
	}
	for _, u := range withOrders[:min(3, len(withOrders))] {
		p := "month=" + month
		if n := len(drill(e.analyst, p, u.UnitID, assessment.MeasureResponded)) + len(drill(e.analyst, p, u.UnitID, assessment.MeasureNotResponded)); int64(n) > u.Orders {
			t.Errorf("unit %d: responded + not responded cases %d > orders %d", u.UnitID, n, u.Orders)
		}
		if got := drill(e.analyst, p, u.UnitID, assessment.MeasureResolved); int64(len(got)) > u.Resolved {
			t.Errorf("unit %d: %d resolved cases > %d resolved callbacks", u.UnitID, len(got), u.Resolved)
		}
		if u.Response != nil && *u.Response != assessment.Round(float64(u.Responded)/float64(u.Orders), 4) {
			t.Errorf("unit %d: response %v from %d/%d", u.UnitID, *u.Response, u.Responded, u.Orders)
		}
	}
	orders := drill(e.handlerA, "month="+month, e.streetA.ID, assessment.MeasureOrders)
	if !slices.Contains(orders, c.ID) {
		t.Fatalf("streetA's orders %v lack case %d", orders, c.ID)
	}
	apiRefused(t, e.apiDo(e.handlerB, "GET", "/api/v1/assess/cases?month="+month+"&unit_id="+strconv.FormatInt(e.streetA.ID, 10)+"&measure=orders", nil), 403, errs.Forbidden)
	apiRefused(t, e.apiDo(e.analyst, "GET", "/api/v1/assess/cases?month="+month+"&unit_id="+strconv.FormatInt(e.streetA.ID, 10)+"&measure=nonsense", nil), 422, errs.Invalid)

	// Exemption: requested by the street, approved by the centre; the case
	// leaves the street's orders and shows among its exempted cases.
	apiRefused(t, e.apiDo(e.handlerB, "POST", "/api/v1/assess/exemptions", map[string]any{"case_id": c.ID, "reason": "duplicate", "evidence": "重复"}), 404, errs.NotFound)
	apiRefused(t, e.apiDo(e.handlerA, "POST", "/api/v1/assess/exemptions", map[string]any{"case_id": c.ID, "reason": "boredom", "evidence": "x"}), 422, errs.Invalid)
	var x assessment.Exemption
	apiWant(t, e.apiDo(e.handlerA, "POST", "/api/v1/assess/exemptions", map[string]any{"case_id": c.ID, "reason": "malicious", "evidence": "同一号码一天来电四十次"}), 201, &x)
	if x.State != assessment.ExemptPending || x.UnitID != e.streetA.ID {
		t.Fatalf("exemption %+v", x)
	}
	var xs struct {
		Exemptions []assessment.Exemption `json:"exemptions"`
	}
	apiWant(t, e.apiDo(e.dispatcher, "GET", "/api/v1/assess/exemptions?state=pending", nil), 200, &xs)
	if len(xs.Exemptions) != 1 || xs.Exemptions[0].ID != x.ID {
		t.Fatalf("pending exemptions %+v", xs.Exemptions)
	}
	apiWant(t, e.apiDo(e.handlerB, "GET", "/api/v1/assess/exemptions", nil), 200, &xs)
	if len(xs.Exemptions) != 0 {
		t.Errorf("streetB sees streetA's exemptions: %+v", xs.Exemptions)
	}
	apiRefused(t, e.apiDo(e.handlerA, "POST", "/api/v1/assess/exemptions/"+strconv.FormatInt(x.ID, 10)+"/decide", map[string]any{"approve": true}), 403, errs.Forbidden)
	apiRefused(t, e.apiDo(e.dispatcher, "POST", "/api/v1/assess/exemptions/"+strconv.FormatInt(x.ID, 10)+"/decide", map[string]any{}), 422, errs.FieldRequired)
	apiWant(t, e.apiDo(e.dispatcher, "POST", "/api/v1/assess/exemptions/"+strconv.FormatInt(x.ID, 10)+"/decide", map[string]any{"approve": true, "note": "核实为恶意来电"}), 200, &x)
	if x.State != assessment.ExemptApproved {
		t.Fatalf("decided exemption %+v", x)
	}
	if apiAuditCount(e, "exemption_approved", c.ID) != 1 || apiAuditCount(e, "exemption_request", c.ID) != 1 {
		t.Error("exemption request and decision are not audited once each")
	}
	if got := drill(e.analyst, "month="+month, e.streetA.ID, assessment.MeasureOrders); slices.Contains(got, c.ID) {
		t.Errorf("exempted case %d still among streetA's orders", c.ID)
	}
	if got := drill(e.analyst, "month="+month, e.streetA.ID, assessment.MeasureExempted); !slices.Contains(got, c.ID) {
		t.Errorf("exempted case %d not among streetA's exempted cases %v", c.ID, got)
	}
	var ex struct {
		Exemptions []assessment.Exemption `json:"exemptions"`
	}
	apiWant(t, e.apiDo(e.analyst, "GET", "/api/v1/assess/cases?month="+month+"&unit_id="+strconv.FormatInt(e.streetA.ID, 10)+"&measure=exempted", nil), 200, &ex)
	if len(ex.Exemptions) != 1 || ex.Exemptions[0].Reason != "malicious" || ex.Exemptions[0].CaseID != c.ID {
		t.Errorf("exempted drill-down %+v", ex.Exemptions)
	}
	apiRefused(t, e.apiDo(e.logins[org.RoleGridWorker], "GET", "/api/v1/assess/ranking?month="+month, nil), 403, errs.Forbidden)
	var rk2 ranking.Ranking
	apiWant(t, e.apiDo(e.analyst, "GET", "/api/v1/assess/ranking?month="+month+"&kind=street", nil), 200, &rk2)
	for _, u := range rk2.Units {
		if u.Kind != "street" {
			t.Fatalf("kind=street returned %s", u.Kind)
		}
		if u.UnitID == e.streetA.ID && u.Exempted < 1 {
			t.Errorf("streetA exempted = %d", u.Exempted)
		}
	}

	// Publish last month, then change the rules: last month stays under
	// version 1, recomputed or not; this month uses version 2.
	apiRefused(t, e.apiDo(e.analyst, "POST", "/api/v1/assess/months/"+prev+"/publish", nil), 403, errs.Forbidden)
	apiRefused(t, e.apiDo(e.dispatcher, "POST", "/api/v1/assess/months/"+month+"/publish", nil), 422, errs.Invalid)
	var pub ranking.Ranking
	apiWant(t, e.apiDo(e.dispatcher, "POST", "/api/v1/assess/months/"+prev+"/publish", nil), 200, &pub)
	apiRefused(t, e.apiDo(e.dispatcher, "POST", "/api/v1/assess/months/"+prev+"/publish", nil), 409, errs.Exists)
	v2 := assessment.DefaultRules()
	v2.ResponseWeight, v2.ResolutionWeight, v2.SatisfactionWeight = 50, 25, 25
	apiWant(t, e.apiDo(e.dispatcher, "PUT", "/api/v1/assess/rules", v2), 200, &v2)
	if v2.Version != 2 {
		t.Fatalf("new rules version %d, want 2", v2.Version)
	}
	var old assessment.Rules
	apiWant(t, e.apiDo(e.analyst, "GET", "/api/v1/assess/rules?version=1", nil), 200, &old)
	if old.ResponseWeight != 30 {
		t.Errorf("version 1 = %+v", old)
	}
	var frozen, re, cur ranking.Ranking
	apiWant(t, e.apiDo(e.analyst, "GET", "/api/v1/assess/ranking?month="+prev, nil), 200, &frozen)
	apiWant(t, e.apiDo(e.analyst, "GET", "/api/v1/assess/ranking?month="+prev+"&recompute=true", nil), 200, &re)
	apiWant(t, e.apiDo(e.analyst, "GET", "/api/v1/assess/ranking?month="+month, nil), 200, &cur)
	if !frozen.Frozen || frozen.Rules.Version != 1 || re.Frozen || re.Rules.Version != 1 || cur.Rules.Version != 2 {
		t.Fatalf("versions: frozen %v/%d recomputed %v/%d current %d", frozen.Frozen, frozen.Rules.Version, re.Frozen, re.Rules.Version, cur.Rules.Version)
	}
	for i := range frozen.Units {
		a, b := frozen.Units[i], re.Units[i]
		if a.UnitID != b.UnitID || a.Counts != b.Counts || (a.Composite == nil) != (b.Composite == nil) || (a.Composite != nil && *a.Composite != *b.Composite) {
			t.Fatalf("published %+v differs from recomputed %+v", a, b)
		}
	}
	var months struct {
		Months []assessment.PublishedMonth `json:"months"`
	}
	apiWant(t, e.apiDo(e.handlerA, "GET", "/api/v1/assess/months", nil), 200, &months)
	if len(months.Months) != 1 || months.Months[0].Period != prev || months.Months[0].RulesVersion != 1 {
		t.Errorf("published months %+v", months.Months)
	}

	// Public ranking: no login, published months only, no counts.
	r := e.apiDo("", "GET", "/api/v1/public/rankings/"+prev, nil)
	if r.Status != 200 || bytes.Contains(r.Body, []byte(`"orders"`)) || bytes.Contains(r.Body, []byte(`case`)) {
		t.Fatalf("public ranking: %v", r)
	}
	apiRefused(t, e.apiDo("", "GET", "/api/v1/public/rankings/"+month, nil), 404, errs.NotFound)
	var public struct {
		Units []ranking.PublicScore `json:"units"`
	}
	apiWant(t, e.apiDo("", "GET", "/api/v1/public/rankings/"+prev, nil), 200, &public)
	for _, u := range public.Units {
		if (u.Rank == 0) != (u.Unranked != "") || (u.Rank == 0 && u.Composite != nil) {
			t.Errorf("public %s: rank %d, unranked %q, composite %v", u.Unit, u.Rank, u.Unranked, u.Composite)
		}
	}

	// Extra items: a topic for streetA this month.
	var it assessment.Item
	apiWant(t, e.apiDo(e.dispatcher, "POST", "/api/v1/assess/items", map[string]any{"unit_id": e.streetA.ID, "month": month, "kind": "topic", "note": "每月一题"}), 201, &it)
	apiRefused(t, e.apiDo(e.dispatcher, "POST", "/api/v1/assess/items", map[string]any{"unit_id": e.streetA.ID, "month": prev, "kind": "topic", "note": "late"}), 409, errs.Exists)
	apiWant(t, e.apiDo(e.analyst, "GET", "/api/v1/assess/ranking?month="+month+"&kind=street", nil), 200, &cur)
	for _, u := range cur.Units {
		if u.UnitID == e.streetA.ID && u.Topics != 1 {
			t.Errorf("streetA topics = %d", u.Topics)
		}
	}

	// Exports: a header in words in the caller's language (Chinese by
	// default, English for Accept-Language en), units by name, a BOM for
	// spreadsheets.
	var names []string
	for _, u := range frozen.Units {
		names = append(names, u.UnitName)
	}
	for _, tc := range []struct {
		hdr          []string
		lang, header string
	}{{nil, "zh", "单位名称"}, {[]string{"Accept-Language", "en-GB,en;q=0.9"}, "en", "Unit"}} {
		r = e.apiDo(e.analyst, "GET", "/api/v1/assess/export?month="+prev+"&format=csv", nil, tc.hdr...)
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("csv export (%s): %v", tc.lang, r.Status)
		}
		if !bytes.HasPrefix(r.Body, []byte("\uFEFF")) {
			t.Errorf("csv export (%s) has no byte-order mark", tc.lang)
		}
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.Body, []byte("\uFEFF")))).ReadAll()
		if err != nil || len(recs) != len(frozen.Units)+1 || !slices.Equal(recs[0], ranking.ExportHeader(tc.lang)) || recs[0][4] != tc.header {
			t.Fatalf("csv (%s): %d rows (want %d), header %v, %v", tc.lang, len(recs), len(frozen.Units)+1, recs[0], err)
		}
		for _, rec := range recs[1:] {
			if !slices.Contains(names, rec[4]) {
				t.Errorf("csv (%s) row without a unit name: %v", tc.lang, rec)
			}
		}
		r = e.apiDo(e.analyst, "GET", "/api/v1/assess/export?month="+prev+"&format=xlsx", nil, tc.hdr...)
		if r.Status != 200 {
			t.Fatalf("xlsx export (%s): %v", tc.lang, r.Status)
		}
		f, err := excelize.OpenReader(bytes.NewReader(r.Body))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows(f.GetSheetName(0))
		if err != nil || len(rows) != len(recs) || !slices.Equal(rows[0], recs[0]) {
			t.Fatalf("xlsx (%s): %d rows, want %d; header %v: %v", tc.lang, len(rows), len(recs), rows, err)
		}
		for i := 1; i < len(rows); i++ {
			if rows[i][3] != recs[i][3] || rows[i][4] != recs[i][4] {
				t.Fatalf("xlsx row %d = %v, csv %v", i, rows[i], recs[i])
			}
		}
	}
	apiRefused(t, e.apiDo(e.analyst, "GET", "/api/v1/assess/export?month="+prev+"&format=pdf", nil), 422, errs.Invalid)
}
