package api_test

import (
	"bytes"
	"regexp"
	"strconv"
	"testing"

	"whistle/internal/errs"
	"whistle/internal/summons"
)

// TestAPIValidationAndScope (SQLite): every validation failure answers
// 422 and only an unreadable body 400; a whistle is shown in the city's
// zone (+08:00) like a case; a street whistles only for its own area; a
// district centre sees its district's whistles and not another's.
func TestAPIValidationAndScope(t *testing.T) {
	e := apiOpen(t, "")
	month := e.app.Svc.Now().Format("2006-01")
	for _, c := range []struct {
		user, method, path string
		body               any
		status             int
		code               errs.Code
	}{
		{e.analyst, "GET", "/api/v1/assess/ranking?month=2026-13", nil, 422, errs.Invalid},
		{e.analyst, "GET", "/api/v1/assess/ranking?month=" + month + "&kind=planet", nil, 422, errs.Invalid},
		{e.analyst, "GET", "/api/v1/assess/export?month=" + month + "&format=pdf", nil, 422, errs.Invalid},
		{e.agent, "GET", "/api/v1/cases?state=lost", nil, 422, errs.Invalid},
		{e.agent, "GET", "/api/v1/cases?limit=0", nil, 422, errs.Invalid},
		{e.deptHandler, "GET", "/api/v1/inbox?as=boss", nil, 422, errs.Invalid},
		{e.agent, "GET", "/api/v1/geocode?q=x&limit=0", nil, 422, errs.Invalid},
		{e.analyst, "GET", "/api/v1/grid/coverage?from=2026-01-01", nil, 422, errs.Invalid},
		{e.dispatcher, "GET", "/api/v1/whistles?as=nobody", nil, 422, errs.Invalid},
		{e.agent, "GET", "/api/v1/knowledge?at=soon", nil, 422, errs.Invalid},
		{e.agent, "GET", "/api/v1/repeats?flag=nope", nil, 422, errs.Invalid},
		{e.admin, "PUT", "/api/v1/summons/config", map[string]any{"report_minutes": map[string]int{"urgent": 0}}, 422, errs.Invalid},
		{e.agent, "POST", "/api/v1/classify", map[string]any{"text": "噪音", "k": 21}, 422, errs.Invalid},
		{e.dispatcher, "GET", "/api/v1/knowledge?q=%00", nil, 422, errs.Invalid},
		{e.handlerA, "POST", "/api/v1/whistles", map[string]any{"source": "own", "address": "x", "need": "\u200b\ufeff", "unit_ids": []int64{e.dept.ID}}, 422, errs.FieldRequired},
		{e.handlerA, "POST", "/api/v1/whistles", map[string]any{"source": "own", "place_id": e.streetB.PlaceID, "need": "联合执法", "unit_ids": []int64{e.dept.ID}}, 422, errs.OutsideArea},
		// Unreadable bodies stay 400.
		{e.agent, "POST", "/api/v1/knowledge", `{"title": "t",`, 400, errs.InvalidJSON},
		{e.agent, "POST", "/api/v1/classify", map[string]any{"text": "噪音", "extra": 1}, 400, errs.InvalidJSON},
	} {
		r := e.apiDo(c.user, c.method, c.path, c.body)
		if r.Status != c.status || !bytes.Contains(r.Body, []byte(`"`+string(c.code)+`"`)) {
			t.Errorf("%s %s: %s, want %d %s", c.method, c.path, r, c.status, c.code)
		}
	}

	var w summons.Whistle
	apiWant(t, e.apiDo(e.handlerA, "POST", "/api/v1/whistles", map[string]any{"source": "own", "place_id": e.streetA.PlaceID, "need": "联合执法", "unit_ids": []int64{e.dept.ID}}), 201, &w)
	path := "/api/v1/whistles/" + strconv.FormatInt(w.ID, 10)
	apiWant(t, e.apiDo(e.deptHandler, "POST", path+"/ack", map[string]any{}), 200, nil)
	r := e.apiDo(e.supA, "GET", path, nil)
	if r.Status != 200 {
		t.Fatalf("district A's centre reading its whistle: %s", r)
	}
	stamps := regexp.MustCompile(`"(raised_at|report_by|acked_at|at)":"([^"]+)"`).FindAllSubmatch(r.Body, -1)
	if len(stamps) < 4 {
		t.Fatalf("times in %s", r.Body)
	}
	for _, m := range stamps {
		if !bytes.HasSuffix(m[2], []byte("+08:00")) {
			t.Errorf("%s = %s, want the city's zone (+08:00)", m[1], m[2])
		}
	}
	if r := e.apiDo(e.deptHandler, "GET", "/api/v1/whistles?as=dept", nil); r.Status != 200 || bytes.Contains(r.Body, []byte(`Z"`)) {
		t.Errorf("whistle list in UTC: %s", r)
	}
	apiRefused(t, e.apiDo(e.supB, "GET", path, nil), 404, errs.NotFound)
}
