package api_test

import (
	"fmt"
	"testing"

	"whistle/internal/agenda"
	"whistle/internal/errs"
	"whistle/internal/governance/proactivetest"
	"whistle/internal/insight"
	"whistle/internal/pgtest"
)

// The 未诉先办 routes: propose from planted rollups (written directly, see
// proactivetest), review, the owner's tasks, done.
func TestAPIProactive(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { apiProactive(t, apiOpen(t, "")) })
	t.Run("postgres", func(t *testing.T) { apiProactive(t, apiOpen(t, pgtest.NewDatabase(t))) })
}

func apiProactive(t *testing.T, e *apiEnv) {
	streets := []proactivetest.Street{
		{DistrictID: e.gridA.Loc.DistrictID, StreetID: e.gridA.Loc.StreetID, UnitID: e.streetA.ID},
		{DistrictID: e.gridB.Loc.DistrictID, StreetID: e.gridB.Loc.StreetID, UnitID: e.streetB.ID},
	}
	rows := proactivetest.History(insight.DateDay(2024, 10, 1), insight.DateDay(2026, 10, 11), streets,
		[]string{"road.pothole", "noise.construction", "water.outage", "urban.stall", "env.garbage"}, 10,
		"heating.temp", map[int64]int{e.gridA.Loc.StreetID: 20})
	proactivetest.InsertDailyRowsDirectly(t, e.cfg.DSN(), rows)
	weeks := map[string]any{"from": "2026-10-19", "to": "2026-11-29"}

	apiRefused(t, e.apiDo(e.handlerA, "POST", "/api/v1/proactive/propose", weeks), 403, errs.Forbidden)
	apiRefused(t, e.apiDo(e.analyst, "POST", "/api/v1/proactive/propose", weeks), 403, errs.Forbidden)
	apiRefused(t, e.apiDo(e.dispatcher, "POST", "/api/v1/proactive/propose", map[string]any{"from": "2026-10-19", "to": "19 Nov"}), 422, errs.Invalid)
	apiRefused(t, e.apiDo(e.dispatcher, "POST", "/api/v1/proactive/propose", map[string]any{"from": "2026-10-19", "to": "2026-10-01"}), 422, errs.Invalid)

	var out struct{ Tasks []agenda.Task }
	apiWant(t, e.apiDo(e.dispatcher, "POST", "/api/v1/proactive/propose", weeks), 201, &out)
	if len(out.Tasks) != 1 || out.Tasks[0].UnitID != e.streetA.ID || out.Tasks[0].State != agenda.TaskProposed {
		t.Fatalf("proposals: %+v", out.Tasks)
	}
	id := out.Tasks[0].ID
	apiWant(t, e.apiDo(e.dispatcher, "POST", "/api/v1/proactive/propose", weeks), 201, &out)
	if len(out.Tasks) != 0 {
		t.Fatalf("proposed twice: %+v", out.Tasks)
	}
	apiWant(t, e.apiDo(e.analyst, "GET", "/api/v1/proactive", nil), 200, &out)
	if len(out.Tasks) != 1 {
		t.Fatalf("listed: %+v", out.Tasks)
	}
	apiRefused(t, e.apiDo(e.handlerA, "GET", "/api/v1/proactive", nil), 403, errs.Forbidden)
	apiRefused(t, e.apiDo(e.handlerA, "GET", fmt.Sprintf("/api/v1/tasks/%d", id), nil), 404, errs.NotFound)

	review := fmt.Sprintf("/api/v1/proactive/%d/review", id)
	apiRefused(t, e.apiDo(e.dispatcher, "POST", review, map[string]any{"note": "x"}), 422, errs.FieldRequired)
	apiRefused(t, e.apiDo(e.dispatcher, "POST", review, map[string]any{"approve": true, "due": "2000-01-01"}), 422, errs.DeadlineInPast)
	apiRefused(t, e.apiDo(e.dispatcher, "POST", review, map[string]any{"approve": true, "unit_id": 999999}), 422, errs.UnknownUnit)
	var task agenda.Task
	apiWant(t, e.apiDo(e.dispatcher, "POST", review, map[string]any{"approve": true, "note": "请提前入户排查"}), 200, &task)
	if task.State != agenda.TaskOpen {
		t.Fatalf("approved: %+v", task)
	}
	apiRefused(t, e.apiDo(e.dispatcher, "POST", review, map[string]any{"approve": true}), 409, errs.InvalidTransition)

	apiWant(t, e.apiDo(e.handlerA, "GET", "/api/v1/tasks", nil), 200, &out)
	if len(out.Tasks) != 1 || out.Tasks[0].ID != id {
		t.Fatalf("A's tasks: %+v", out.Tasks)
	}
	apiWant(t, e.apiDo(e.handlerB, "GET", "/api/v1/tasks", nil), 200, &out)
	if len(out.Tasks) != 0 {
		t.Fatalf("B's tasks: %+v", out.Tasks)
	}
	done := fmt.Sprintf("/api/v1/tasks/%d/done", id)
	apiRefused(t, e.apiDo(e.handlerB, "POST", done, map[string]any{"note": "done"}), 404, errs.NotFound)
	apiRefused(t, e.apiDo(e.agent, "POST", done, map[string]any{"note": "done"}), 403, errs.Forbidden)
	apiRefused(t, e.apiDo(e.handlerA, "POST", done, map[string]any{}), 422, errs.FieldRequired)
	apiRefused(t, e.apiDo(e.handlerA, "POST", done, map[string]any{"note": "x", "extra": 1}), 400, errs.InvalidJSON)
	apiWant(t, e.apiDo(e.handlerA, "POST", done, map[string]any{"note": "已完成入户测温"}), 200, &task)
	if task.State != agenda.TaskDone || task.Note != "已完成入户测温" {
		t.Fatalf("done: %+v", task)
	}
	apiWant(t, e.apiDo(e.handlerA, "GET", fmt.Sprintf("/api/v1/tasks/%d", id), nil), 200, &task)
	if task.State != agenda.TaskDone {
		t.Fatalf("task: %+v", task)
	}
}
