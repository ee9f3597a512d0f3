package api_test

import (
	"testing"

	"whistle/internal/errs"
	"whistle/internal/lifecycle"
)

// A citizen rates a replied request with number + phone: unsatisfied sends
// it back (重办); satisfied closes it. Wrong phone, missing verdict and a
// request not replied yet are refused, and nothing changes.
func TestAPIPublicRate(t *testing.T) {
	e := apiOpen(t, "")
	phone := e.apiPhone()
	c := e.apiCreate(e.agent, e.apiCaseIn(e.gridA, phone))
	e.apiAct(e.agent, c.ID, "dispatch", map[string]any{"unit_id": e.streetA.ID})
	rate := func(body map[string]any) apiResp { return e.apiDo("", "POST", "/api/v1/public/rate", body) }
	verdict := func(sat string, resolved bool) map[string]any {
		return map[string]any{"number": c.Number, "phone": phone, "resolved": resolved, "satisfaction": sat}
	}
	apiRefused(t, rate(verdict("satisfied", true)), 409, errs.InvalidTransition) // not replied yet
	reply := func(text string) {
		e.apiAct(e.handlerA, c.ID, "sign", nil)
		e.apiAct(e.handlerA, c.ID, "contact", map[string]any{"means": "phone"})
		if r := e.apiAct(e.handlerA, c.ID, "reply", map[string]any{"result": "resolved", "note": text}); r.Case.State != lifecycle.Replied {
			t.Fatalf("reply: %s", r.Case.State)
		}
	}
	reply("已处理")
	before := e.apiSnapshot(c.ID)
	apiRefused(t, rate(map[string]any{"number": c.Number, "phone": "13900000000", "resolved": true, "satisfaction": "satisfied"}), 404, errs.NotFound)
	apiRefused(t, rate(map[string]any{"number": c.Number, "phone": phone, "satisfaction": "satisfied"}), 422, errs.FieldRequired)
	apiRefused(t, rate(verdict("so-so", true)), 422, errs.Invalid)
	e.apiUnchanged(c.ID, before, "refused ratings")

	var out struct {
		State    lifecycle.State `json:"state"`
		Reopened bool            `json:"reopened"`
	}
	apiWant(t, rate(verdict("unsatisfied", false)), 200, &out)
	if out.State != lifecycle.Dispatched || !out.Reopened {
		t.Fatalf("unsatisfied: %+v", out)
	}
	reply("已再次处理并设置疏导点")
	apiWant(t, rate(verdict("satisfied", true)), 200, &out)
	if got := e.apiGet(e.agent, c.ID); out.State != lifecycle.Closed || out.Reopened || got.Satisfaction != "satisfied" || got.ReopenCount != 1 {
		t.Fatalf("satisfied: %+v, case %+v", out, got)
	}
}
