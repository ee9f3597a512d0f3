package api_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"whistle/internal/errs"
)

func TestTopicsAPI(t *testing.T) {
	e := apiOpen(t, filepath.Join(t.TempDir(), "w.db"))
	cat := ""
	for _, c := range e.app.Svc.Categories() {
		if c.Leaf && c.Active {
			cat = c.Code
			break
		}
	}
	due := e.app.Svc.Now().AddDate(0, 0, 10).Format(time.RFC3339)
	in := map[string]any{"title": "共享单车乱停放", "lead_unit_id": e.streetA.ID,
		"criteria": map[string]any{"categories": []string{cat}, "place_ids": []int64{e.streetA.PlaceID}},
		"goal":     map[string]any{"reduction": 0.3, "months": 3},
		"tasks": []map[string]any{{"unit_id": e.streetA.ID, "title": "清理", "due_at": due},
			{"unit_id": e.dept.ID, "title": "约谈企业", "due_at": due}}}
	apiRefused(t, e.apiDo(e.analyst, "POST", "/api/v1/topics", in), 403, errs.Forbidden)
	bad := map[string]any{"title": "", "lead_unit_id": e.streetA.ID, "criteria": map[string]any{}, "goal": map[string]any{"reduction": 3, "months": 0}}
	apiRefused(t, e.apiDo(e.dispatcher, "POST", "/api/v1/topics", bad), 422, errs.FieldRequired)
	var v struct {
		Topic struct {
			ID      int64 `json:"id"`
			Version int64 `json:"version"`
		} `json:"topic"`
		Tasks []struct {
			State string `json:"state"`
		} `json:"tasks"`
	}
	apiWant(t, e.apiDo(e.dispatcher, "POST", "/api/v1/topics", in), 201, &v)
	if len(v.Tasks) != 2 || v.Tasks[0].State != "open" {
		t.Fatalf("tasks %+v", v.Tasks)
	}
	path := fmt.Sprintf("/api/v1/topics/%d", v.Topic.ID)
	apiWant(t, e.apiDo(e.handlerA, "GET", path, nil), 200, nil)
	apiRefused(t, e.apiDo(e.handlerB, "GET", path, nil), 404, errs.NotFound)
	apiRefused(t, e.apiDo(e.dispatcher, "PATCH", path, map[string]any{"version": 9, "title": "x"}), 409, errs.Conflict)
	apiWant(t, e.apiDo(e.dispatcher, "PATCH", path, map[string]any{"version": 1, "title": "共享单车治理"}), 200, nil)
	apiWant(t, e.apiDo(e.dispatcher, "POST", path+"/tasks", map[string]any{"unit_id": e.dept.ID, "title": "复查", "due_at": due}), 201, nil)
	var tr struct {
		BeforeWeeks int    `json:"before_weeks"`
		Source      string `json:"source"`
	}
	apiWant(t, e.apiDo(e.supA, "GET", path+"/tracking", nil), 200, &tr)
	if tr.BeforeWeeks != 12 || tr.Source != "rollups" {
		t.Fatalf("tracking %+v", tr)
	}
	apiWant(t, e.apiDo(e.dispatcher, "GET", "/api/v1/topics/report?month="+e.app.Svc.Now().Format("2006-01"), nil), 200, nil)
	apiRefused(t, e.apiDo(e.dispatcher, "GET", "/api/v1/topics/report?month=2026-13", nil), 422, errs.Invalid)
	apiWant(t, e.apiDo(e.dispatcher, "POST", path+"/close", map[string]any{"note": "并入"}), 200, nil)
	apiRefused(t, e.apiDo(e.dispatcher, "POST", path+"/close", nil), 409, errs.InvalidTransition)
}
