package api_test

import (
	"path/filepath"
	"strings"
	"testing"

	"whistle/internal/errs"
)

// TestDashboardAPI: GET /api/v1/dashboard answers centre staff and
// analysts (a district supervisor with the district's figures), counts a
// new request at once, shows no phone, and refuses a unit's handler.
func TestDashboardAPI(t *testing.T) {
	e := apiOpen(t, filepath.Join(t.TempDir(), "w.db"))
	type dash struct {
		Today      int64   `json:"today"`
		TodayHours []int64 `json:"today_hours"`
		Open       int64   `json:"open"`
		DistrictID int64   `json:"district_id"`
		Ticker     []struct {
			Number string `json:"number"`
		} `json:"ticker"`
	}
	var before, after, dist dash
	apiWant(t, e.apiDo(e.dispatcher, "GET", "/api/v1/dashboard", nil), 200, &before)
	phone := e.apiPhone()
	c := e.apiCreate(e.agent, e.apiCaseIn(e.gridA, phone))
	r := e.apiDo(e.dispatcher, "GET", "/api/v1/dashboard", nil)
	apiWant(t, r, 200, &after)
	if after.Today != before.Today+1 || after.Open != before.Open+1 || len(after.TodayHours) != 24 {
		t.Errorf("after one request: today %d → %d, open %d → %d", before.Today, after.Today, before.Open, after.Open)
	}
	if len(after.Ticker) == 0 || after.Ticker[0].Number != c.Number {
		t.Errorf("ticker %+v, want %s first", after.Ticker, c.Number)
	}
	// Neither the number nor its masked form (138****1234). The bare last
	// four digits are not a sign: the day's first case number ends in
	// 0001, as the first test phone does.
	if body := string(r.Body); strings.Contains(body, phone) || strings.Contains(body, "*"+phone[len(phone)-4:]) {
		t.Errorf("the dashboard shows the caller's phone: %s", r.Body)
	}
	apiWant(t, e.apiDo(e.analyst, "GET", "/api/v1/dashboard", nil), 200, &dash{})
	apiWant(t, e.apiDo(e.supA, "GET", "/api/v1/dashboard", nil), 200, &dist)
	if dist.DistrictID != e.gridA.Loc.DistrictID || dist.Today > after.Today || dist.Today == 0 {
		t.Errorf("district supervisor: district %d today %d; want district %d and its part of %d", dist.DistrictID, dist.Today, e.gridA.Loc.DistrictID, after.Today)
	}
	apiRefused(t, e.apiDo(e.handlerA, "GET", "/api/v1/dashboard", nil), 403, errs.Forbidden)
}
