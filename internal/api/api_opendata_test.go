package api_test

import (
	"bytes"
	"encoding/csv"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/retention"
)

// TestOpenDataEndpoint: GET /api/v1/open/cases is public and serves an
// ended month as JSON (default) or CSV with the documented columns, one row
// per request created in the month, and none of the callers' names, phones,
// addresses or descriptions; the current month, a malformed month and an
// unknown format are refused with a 400 and a code.
func TestOpenDataEndpoint(t *testing.T) {
	e := apiOpen(t, filepath.Join(t.TempDir(), "w.db"))
	loc := e.app.Svc.Location()
	from, to := time.Date(2025, 12, 1, 0, 0, 0, 0, loc), time.Date(2026, 1, 1, 0, 0, 0, 0, loc)
	page, err := e.app.Store.Cases(e.ctx, org.Scope{All: true}, lifecycle.CaseFilter{CreatedFrom: from, CreatedTo: to, Limit: 1000})
	if err != nil || len(page.Cases) == 0 || page.Next != "" {
		t.Fatalf("December's demo cases: %d, %v", len(page.Cases), err)
	}
	var secrets []string
	for _, c := range page.Cases {
		secrets = append(secrets, c.Citizen.Name, c.Citizen.Phone, c.Location.Address, c.Description, c.Title, c.ReplyText)
	}
	mobile := regexp.MustCompile(`1[3-9]\d{9}`)
	check := func(name, body string) {
		t.Helper()
		if m := mobile.FindString(body); m != "" {
			t.Errorf("%s holds a mobile number %s", name, m)
		}
		for _, s := range secrets {
			if len([]rune(s)) >= 2 && strings.Contains(body, s) {
				t.Errorf("%s holds %q", name, s)
			}
		}
	}
	var rows []retention.OpenCase
	r := e.apiDo("", "GET", "/api/v1/open/cases?month=2025-12", nil)
	apiWant(t, r, 200, &rows)
	if len(rows) != len(page.Cases) {
		t.Errorf("%d rows for %d cases", len(rows), len(page.Cases))
	}
	check("JSON", string(r.Body))
	r = e.apiDo("", "GET", "/api/v1/open/cases?month=2025-12&format=csv", nil)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: %v %v", r, r.Header)
	}
	check("CSV", string(r.Body))
	recs, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
	if err != nil || len(recs) != len(page.Cases)+1 || strings.Join(recs[0], ",") != strings.Join(retention.OpenColumns, ",") {
		t.Errorf("CSV: %d records, header %v, %v", len(recs), recs[0], err)
	}
	now := e.app.Svc.Now().Format("2006-01")
	for _, q := range []string{"month=" + now, "month=2025-13", "month=", "month=2025-12&format=xml"} {
		apiRefused(t, e.apiDo("", "GET", "/api/v1/open/cases?"+q, nil), 422, errs.Invalid)
	}
}

// TestOpenDataRateLimited: the public open-data endpoint answers 30
// requests a minute per client address, refused or not; the 31st is 429
// with the rate_limited code, even for a valid month.
func TestOpenDataRateLimited(t *testing.T) {
	e := apiOpen(t, "")
	for i := 0; i < 30; i++ {
		apiRefused(t, e.apiDo("", "GET", "/api/v1/open/cases?month=13-13", nil), 422, errs.Invalid)
	}
	apiRefused(t, e.apiDo("", "GET", "/api/v1/open/cases?month=2025-12", nil), 429, errs.RateLimited)
}
