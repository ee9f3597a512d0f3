package api_test

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"whistle/internal/errs"
	"whistle/internal/pgtest"
	"whistle/internal/summons"
)

func TestSummonsAPI(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { apiTestSummons(apiOpen(t, filepath.Join(t.TempDir(), "w.db"))) })
	t.Run("postgres", func(t *testing.T) { apiTestSummons(apiOpen(t, pgtest.NewDatabase(t))) })
}

func apiTestSummons(e *apiEnv) {
	t := e.t
	c := e.apiCreate(e.agent, e.apiCaseIn(e.gridA, e.apiPhone()))
	e.apiAct(e.dispatcher, c.ID, "dispatch", map[string]any{"unit_id": e.streetA.ID})
	raise := map[string]any{"source": "cases", "case_ids": []int64{c.ID}, "address": "测试路1号", "need": "占道经营需城管执法", "kind": "urgent", "unit_ids": []int64{e.dept.ID}}
	apiRefused(t, e.apiDo(e.deptHandler, "POST", "/api/v1/whistles", raise), 403, errs.Forbidden)
	apiRefused(t, e.apiDo(e.handlerA, "POST", "/api/v1/whistles", map[string]any{"source": "own", "address": "x", "need": "y", "unit_ids": []int64{e.streetB.ID}}), 422, errs.UnknownUnit)
	apiRefused(t, e.apiDo(e.handlerB, "POST", "/api/v1/whistles", raise), 404, errs.NotFound) // streetB cannot see streetA's case
	var w summons.Whistle
	apiWant(t, e.apiDo(e.handlerA, "POST", "/api/v1/whistles", raise), 201, &w)
	if w.Kind != summons.KindUrgent || len(w.Reports) != 1 || w.Reports[0].UnitID != e.dept.ID || w.ReportBy.Sub(w.RaisedAt) != 30*time.Minute {
		t.Fatalf("whistle %+v", w)
	}
	path := "/api/v1/whistles/" + strconv.FormatInt(w.ID, 10)
	var inbox struct {
		Whistles []summons.Whistle `json:"whistles"`
	}
	apiWant(t, e.apiDo(e.deptHandler, "GET", "/api/v1/whistles?as=dept&state=open", nil), 200, &inbox)
	if len(inbox.Whistles) != 1 || inbox.Whistles[0].ID != w.ID {
		t.Fatalf("department inbox %+v", inbox.Whistles)
	}
	apiRefused(t, e.apiDo(e.handlerB, "GET", path, nil), 404, errs.NotFound)
	apiWant(t, e.apiDo(e.deptHandler, "POST", path+"/ack", map[string]any{}), 200, nil)
	apiRefused(t, e.apiDo(e.deptHandler, "POST", path+"/arrive", map[string]any{}), 422, errs.FieldRequired)
	apiWant(t, e.apiDo(e.deptHandler, "POST", path+"/arrive", map[string]any{"place": "测试路1号路口"}), 200, nil)
	apiWant(t, e.apiDo(e.deptHandler, "POST", path+"/act", map[string]any{"note": "现场劝离摊贩"}), 200, nil)
	apiWant(t, e.apiDo(e.deptHandler, "POST", path+"/report", map[string]any{"note": "已清理占道"}), 200, nil)
	apiRefused(t, e.apiDo(e.deptHandler, "POST", path+"/leave", map[string]any{}), 409, errs.InvalidTransition)
	apiRefused(t, e.apiDo(e.deptHandler, "POST", path+"/close", map[string]any{"note": "x"}), 403, errs.Forbidden)
	apiRefused(t, e.apiDo(e.handlerA, "POST", path+"/close", map[string]any{"note": "x", "bogus": 1}), 400, errs.InvalidJSON)
	apiWant(t, e.apiDo(e.handlerA, "POST", path+"/close", map[string]any{"note": "已解决", "ratings": []map[string]any{{"unit_id": e.dept.ID, "score": 5, "scale": "stars"}}}), 200, &w)
	if w.State != summons.Closed || !w.Reports[0].Rated || w.Reports[0].Rating != 100 || w.Reports[0].State != summons.Reported {
		t.Fatalf("closed whistle %+v", w)
	}
	apiWant(t, e.apiDo(e.deptHandler, "POST", path+"/leave", map[string]any{}), 200, nil)
	var got struct {
		Whistle summons.Whistle    `json:"whistle"`
		Log     []summons.LogEntry `json:"log"`
	}
	apiWant(t, e.apiDo(e.analyst, "GET", path, nil), 200, &got)
	var actions []string
	for _, l := range got.Log {
		actions = append(actions, l.Action)
	}
	if want := []string{"raise", "ack", "arrive", "act", "report", "close", "leave"}; len(actions) != len(want) {
		t.Errorf("log %v, want %v", actions, want)
	}
	month := time.Now().In(e.app.Svc.Location()).Format("2006-01")
	var st struct {
		Streets     []summons.StreetStats `json:"streets"`
		Departments []summons.DeptStats   `json:"departments"`
	}
	apiWant(t, e.apiDo(e.analyst, "GET", "/api/v1/summons/stats?month="+month, nil), 200, &st)
	if len(st.Streets) != 1 || st.Streets[0].UnitID != e.streetA.ID || st.Streets[0].Closed != 1 || len(st.Departments) != 1 || st.Departments[0].OnTime != 1 {
		t.Errorf("stats %+v %+v", st.Streets, st.Departments)
	}
	apiRefused(t, e.apiDo(e.handlerA, "GET", "/api/v1/summons/stats?month="+month, nil), 403, errs.Forbidden)
	var cfg summons.Config
	apiRefused(t, e.apiDo(e.handlerA, "PUT", "/api/v1/summons/config", map[string]any{"report_minutes": map[string]int{"urgent": 15}}), 403, errs.Forbidden)
	apiRefused(t, e.apiDo(e.admin, "PUT", "/api/v1/summons/config", map[string]any{"report_minutes": map[string]int{"urgent": 0}}), 422, errs.Invalid)
	apiWant(t, e.apiDo(e.admin, "PUT", "/api/v1/summons/config", map[string]any{"report_minutes": map[string]int{"urgent": 15, "ordinary": 120}}), 200, &cfg)
	apiWant(t, e.apiDo(e.handlerA, "GET", "/api/v1/summons/config", nil), 200, &cfg)
	if cfg.ReportMinutes["urgent"] != 15 {
		t.Errorf("config %+v", cfg)
	}
	apiWant(t, e.apiDo(e.handlerA, "POST", "/api/v1/whistles", map[string]any{"source": "own", "address": "x", "need": "y", "kind": "urgent", "unit_ids": []int64{e.dept.ID}}), 201, &w)
	if w.ReportBy.Sub(w.RaisedAt) != 15*time.Minute {
		t.Errorf("urgent report-by after the change: %v", w.ReportBy.Sub(w.RaisedAt))
	}
}
