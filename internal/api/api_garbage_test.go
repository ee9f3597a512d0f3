package api_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"whistle/internal/api"
	"whistle/internal/lifecycle"
)

// TestAPIGarbageNeverFails5xx throws malformed and mutated bodies at every
// writing route: each answer must be a 4xx (or a success) with a JSON error
// code, never a 5xx or a dropped connection.
func TestAPIGarbageNeverFails5xx(t *testing.T) {
	e := apiOpen(t, "")
	valid := e.apiCaseIn(e.gridA, e.apiPhone())
	c := e.apiCreate(e.agent, valid)
	e.apiAct(e.agent, c.ID, "dispatch", map[string]any{"unit_id": e.streetA.ID})

	raw := []string{"", "null", "[]", "{", "}", `"x"`, "1e999", `{"a":1} {"b":2}`, strings.Repeat("[", 10000), "\x00\xff",
		`{"channel":1}`, `{"lat":"north"}`, `{"reply_by":"tomorrow"}`, `{"unit_id":-1}`, `{"unit_id":1e30}`, `{"co_unit_ids":"1"}`,
		`{"resolved":"yes"}`, `{"attachments":[-1,0,99999999999]}`, `{"description":"` + strings.Repeat("长", 200000) + `"}`}
	rng := rand.New(rand.NewPCG(1, 2))
	weird := []any{nil, "", -1, 0, 1e308, -1e308, true, []any{}, map[string]any{}, strings.Repeat("x", 5000), "\u202e\u0000", "2026-13-45T99:00:00Z", 9007199254740993}
	mutate := func(base map[string]any) map[string]any {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < 1+rng.IntN(3); i++ {
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			if len(keys) > 0 && rng.IntN(4) == 0 {
				delete(m, keys[rng.IntN(len(keys))])
				continue
			}
			k := "unknown_field"
			if len(keys) > 0 && rng.IntN(5) > 0 {
				k = keys[rng.IntN(len(keys))]
			}
			m[k] = weird[rng.IntN(len(weird))]
		}
		return m
	}
	type target struct {
		user, method, path string
		base               map[string]any
	}
	targets := []target{
		{e.agent, "POST", "/api/v1/cases", valid},
		{"", "POST", "/api/v1/public/cases", valid},
		{"", "POST", "/api/v1/public/lookup", map[string]any{"number": c.Number, "phone": "13700000000"}},
		{"", "POST", "/api/v1/auth/login", map[string]any{"username": "agent01", "password": "nope-nope"}},
		{e.admin, "PUT", "/api/v1/policy", map[string]any{"version": 1, "rules": []any{}, "default": map[string]any{}}},
		{e.admin, "PUT", "/api/v1/calendar/2027", map[string]any{"year": 2027, "off": []any{"2027-01-01"}, "work": []any{}}},
		{e.admin, "POST", "/api/v1/places", map[string]any{"level": "street", "code": "x1", "name": "新街道", "parent_id": 2}},
		{e.admin, "POST", "/api/v1/units", map[string]any{"code": "u-x", "name": "新单位", "kind": "department", "place_id": 1}},
		{e.admin, "POST", "/api/v1/users", map[string]any{"username": "new-user", "display_name": "新人", "unit_id": 1, "roles": []any{"agent"}, "password": "long-enough-1"}},
		{e.admin, "PUT", "/api/v1/categories/urban.new", map[string]any{"name_zh": "新分类", "leaf": true, "active": true}},
		{e.admin, "POST", "/api/v1/tokens", map[string]any{"user_id": 1, "name": "sys"}},
		{e.agent, "POST", fmt.Sprintf("/api/v1/cases/%d/reveal", c.ID), map[string]any{"purpose": "callback"}},
	}
	for _, a := range api.CaseActions {
		user := e.agent
		if lt, _ := lifecycle.Lookup(a); len(lt.Roles) > 0 && (lt.Roles[0] == "handler" || lt.Roles[0] == "leader") {
			user = e.handlerA
		}
		targets = append(targets, target{user, "POST", fmt.Sprintf("/api/v1/cases/%d/%s", c.ID, api.ActionPath(a)),
			map[string]any{"note": "说明", "unit_id": e.streetB.ID, "reason": "原因", "result": "resolved", "resolved": true,
				"satisfaction": "satisfied", "reply_by": "2030-01-01T00:00:00+08:00", "parent_id": c.ID, "means": "phone"}})
	}
	check := func(tg target, body any) {
		t.Helper()
		r := e.apiDo(tg.user, tg.method, tg.path, body)
		if r.Status >= 500 || r.Status == 0 {
			t.Fatalf("%s %s with %.200v: %s", tg.method, tg.path, body, r)
		}
		if r.Status >= 400 {
			var eb api.ErrorBody
			if err := json.Unmarshal(r.Body, &eb); err != nil || eb.Code == "" || eb.Message == "" {
				t.Fatalf("%s %s: error without a JSON code: %s", tg.method, tg.path, r)
			}
		}
	}
	for _, tg := range targets {
		for _, b := range raw {
			check(tg, []byte(b))
		}
		for i := 0; i < 25; i++ {
			check(tg, mutate(tg.base))
		}
	}
	// Odd paths and ids.
	for _, p := range []string{"/api/v1/cases/0", "/api/v1/cases/-5", "/api/v1/cases/abc", "/api/v1/cases/99999999999999999999",
		"/api/v1/cases?limit=0", "/api/v1/cases?limit=x", "/api/v1/cases?state=nope", "/api/v1/cases?cursor=zz", "/api/v1/cases?from=yesterday",
		"/api/v1/cases?open=maybe", "/api/v1/locate?lat=abc&lon=1", "/api/v1/locate?lat=91&lon=1", "/api/v1/deadline?span=7", "/api/v1/calendar/20x6",
		"/api/v1/attachments/0", "/api/v1/case-numbers/%00", "/api/v1/places/999999", "/api/v1/nope"} {
		check(target{e.agent, "GET", p, nil}, nil)
	}
}
