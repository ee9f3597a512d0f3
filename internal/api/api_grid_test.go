package api_test

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"whistle/internal/errs"
	"whistle/internal/grid"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/patrols"
	"whistle/internal/pgtest"
)

func TestGridAPI(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { apiTestGrid(apiOpen(t, filepath.Join(t.TempDir(), "w.db"))) })
	t.Run("postgres", func(t *testing.T) { apiTestGrid(apiOpen(t, pgtest.NewDatabase(t))) })
}

func apiTestGrid(e *apiEnv) {
	t := e.t
	gw := e.logins[org.RoleGridWorker]
	var me struct {
		User org.User `json:"user"`
		Unit org.Unit `json:"unit"`
	}
	apiWant(t, e.apiDo(gw, "GET", "/api/v1/me", nil), 200, &me)
	if len(me.User.GridIDs) == 0 {
		t.Fatal("demo grid worker has no grids")
	}
	g := me.User.GridIDs[0]
	apiRefused(t, e.apiDo(e.agent, "POST", "/api/v1/patrols", map[string]any{"grid_id": g}), 403, errs.Forbidden)
	apiRefused(t, e.apiDo(gw, "POST", "/api/v1/patrols", map[string]any{"grid_id": e.streetA.PlaceID}), 422, errs.UnknownPlace)
	var p grid.Patrol
	apiWant(t, e.apiDo(gw, "POST", "/api/v1/patrols", map[string]any{"grid_id": g, "note": "早巡"}), 201, &p)
	path := "/api/v1/patrols/" + strconv.FormatInt(p.ID, 10)
	now := time.Now()
	apiWant(t, e.apiDo(gw, "POST", path+"/positions", map[string]any{"points": []map[string]any{
		{"at": now, "lat": 39.9, "lon": 116.4}, {"at": now.Add(time.Second), "lat": 39.9009, "lon": 116.4}}}), 200, &p)
	if p.Points != 2 || p.Meters < 99 || p.Meters > 101 {
		t.Errorf("patrol after positions %+v", p)
	}
	apiRefused(t, e.apiDo(gw, "POST", path+"/findings", map[string]any{"item": "noise", "category": "urban.stall", "description": "x", "outcome": "dispatch"}), 422, errs.Invalid)
	var res struct {
		Finding grid.Finding   `json:"finding"`
		Case    lifecycle.Case `json:"case"`
	}
	apiWant(t, e.apiDo(gw, "POST", path+"/findings", map[string]any{"item": "road_occupation", "category": "urban.stall", "description": "商户占道摆放货物", "outcome": "dispatch"}), 201, &res)
	if res.Case.Channel != "grid" || res.Case.State != lifecycle.Received || res.Finding.CaseID != res.Case.ID || res.Case.Location.GridID != g {
		t.Fatalf("finding %+v case %s %s", res.Finding, res.Case.Channel, res.Case.State)
	}
	r := e.apiAct(e.dispatcher, res.Case.ID, "dispatch", map[string]any{"unit_id": e.dept.ID})
	if r.Case.State != lifecycle.Dispatched || r.Case.LeadUnitID != e.dept.ID {
		t.Fatalf("dispatched finding: %s lead %d", r.Case.State, r.Case.LeadUnitID)
	}
	apiWant(t, e.apiDo(gw, "POST", path+"/end", map[string]any{}), 200, &p)
	apiRefused(t, e.apiDo(gw, "POST", path+"/end", map[string]any{}), 409, errs.InvalidTransition)
	var got struct {
		Patrol   grid.Patrol    `json:"patrol"`
		Points   []grid.Point   `json:"points"`
		Findings []grid.Finding `json:"findings"`
	}
	apiWant(t, e.apiDo(e.analyst, "GET", path, nil), 200, &got)
	if got.Patrol.State != grid.Ended || len(got.Points) != 2 || len(got.Findings) != 1 {
		t.Errorf("patrol %+v", got)
	}
	apiRefused(t, e.apiDo(e.handlerB, "GET", path, nil), 404, errs.NotFound)
	var cov struct {
		Streets []patrols.StreetCoverage `json:"streets"`
	}
	apiWant(t, e.apiDo(e.analyst, "GET", "/api/v1/grid/coverage", nil), 200, &cov)
	found := false
	for _, s := range cov.Streets {
		if s.StreetPlaceID == me.Unit.PlaceID {
			found = s.Patrolled == 1 && s.Findings == 1
		}
	}
	if !found {
		t.Errorf("coverage lacks the patrolled street: %+v", cov.Streets)
	}
	apiRefused(t, e.apiDo(e.analyst, "GET", "/api/v1/grid/coverage?from=2026-01-01", nil), 422, errs.Invalid)
	var as struct {
		Assignments []map[string]any `json:"assignments"`
	}
	apiRefused(t, e.apiDo(e.handlerA, "POST", "/api/v1/grids/"+strconv.FormatInt(g, 10)+"/assignments", map[string]any{"user_id": 1, "duty": "lane_chief"}), 403, errs.Forbidden)
	apiWant(t, e.apiDo(e.admin, "POST", "/api/v1/grids/"+strconv.FormatInt(g, 10)+"/assignments", map[string]any{"user_id": me.User.ID, "duty": "lane_steward"}), 201, nil)
	apiWant(t, e.apiDo(gw, "GET", "/api/v1/grids/"+strconv.FormatInt(g, 10)+"/assignments", nil), 200, &as)
	if len(as.Assignments) != 1 {
		t.Errorf("assignments %+v", as.Assignments)
	}
}
