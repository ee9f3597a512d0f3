package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"whistle/internal/casework"
	"whistle/internal/classify"
	"whistle/internal/demo"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

type apiQueue struct {
	Items []struct {
		Case      lifecycle.Case `json:"case"`
		Due       time.Time      `json:"due"`
		Category  string         `json:"suggested_category"`
		Prob      float64        `json:"probability"`
		Threshold float64        `json:"threshold"`
		UnitID    int64          `json:"unit_id"`
		Reason    string         `json:"reason"`
		Confident bool           `json:"confident"`
		Why       string         `json:"why"`
	} `json:"items"`
	Total int `json:"total"`
}

type apiBulk struct {
	Results []struct {
		ID     int64     `json:"id"`
		Number string    `json:"number"`
		Done   bool      `json:"done"`
		UnitID int64     `json:"unit_id"`
		Code   errs.Code `json:"code"`
		Msg    string    `json:"message"`
		Detail string    `json:"detail"`
	} `json:"results"`
	Done    int `json:"done"`
	Refused int `json:"refused"`
}

// The centre's queue of waiting online submissions (#10 item 8): nearest
// deadline first, each with the classifier's and the duty list's
// suggestion; the agent accepts and dispatches the confident ones in bulk,
// each case in its own commit, and hears what became of each.
func TestQueueBulkDispatch(t *testing.T) {
	e := apiOpen(t, "")
	var m classify.StoredModel
	apiWant(t, e.apiDo(e.admin, "POST", "/api/v1/classifier/train", nil), http.StatusCreated, &m)

	// A text the model places first in its own category with at least the
	// default threshold, which the duty list routes without ambiguity at
	// gridA; and another category for a request the model disagrees with.
	var text, code, other string
	var lead int64
	for _, r := range demo.Generate(demo.Options{Seed: 21, Requests: 300}).Requests {
		txt := r.Case.Title + " " + r.Case.Description
		sug, err := e.app.Svc.Dispatch.Suggest(e.ctx, txt, 1)
		if err != nil || len(sug) == 0 || sug[0].Code != r.Case.Category || sug[0].Probability < casework.DefaultQueueThreshold {
			continue
		}
		d, err := e.app.Svc.Dispatch.RouteSuggestion(e.ctx, r.Case.Category, e.gridA.Loc.GridID, txt)
		if err != nil || !d.Matched || d.Ambiguous || d.LeadUnitID == 0 {
			continue
		}
		if text == "" {
			text, code, lead = txt, r.Case.Category, d.LeadUnitID
		} else if r.Case.Category != code && other == "" {
			other = r.Case.Category
		}
		if other != "" {
			break
		}
	}
	if text == "" || other == "" {
		t.Fatal("no demo text that the model and the duty list both settle")
	}
	submit := func(category string) lifecycle.Case {
		var out struct {
			Number string `json:"number"`
		}
		in := map[string]any{"type": "complaint", "description": text, "lat": e.gridA.Lat, "lon": e.gridA.Lon, "citizen_phone": e.apiPhone()}
		if category != "" {
			in["category"] = category
		}
		apiWant(t, e.apiDo("", "POST", "/api/v1/public/cases", in), 201, &out)
		c, err := e.app.Svc.Cases.GetByNumber(e.ctx, org.System(), out.Number)
		if err != nil || c.State != lifecycle.Submitted {
			t.Fatalf("submission %s: %+v, %v", out.Number, c, err)
		}
		return *c
	}
	c1, c2, c3 := submit(""), submit(""), submit(other)
	e.apiAct(e.agent, c2.ID, "accept", map[string]any{}) // received, not yet dispatched

	var q apiQueue
	apiWant(t, e.apiDo(e.agent, "GET", "/api/v1/queue", nil), 200, &q)
	if q.Total < 3 || len(q.Items) < 3 {
		t.Fatalf("queue: total %d, %d items", q.Total, len(q.Items))
	}
	got := map[int64]int{}
	for i, it := range q.Items {
		got[it.Case.ID] = i
		if i > 0 && it.Due.Before(q.Items[i-1].Due) {
			t.Fatalf("queue not in deadline order at %d: %v before %v", i, q.Items[i-1].Due, it.Due)
		}
		if it.Case.State != lifecycle.Submitted && it.Case.State != lifecycle.Received {
			t.Fatalf("queue lists case %d in state %s", it.Case.ID, it.Case.State)
		}
		if it.Case.Citizen.Phone != "" && !strings.Contains(it.Case.Citizen.Phone, "*") {
			t.Fatalf("queue shows a phone in clear: %q", it.Case.Citizen.Phone)
		}
	}
	for _, c := range []lifecycle.Case{c1, c2} {
		i, ok := got[c.ID]
		if !ok {
			t.Fatalf("case %s is not in the queue", c.Number)
		}
		it := q.Items[i]
		if !it.Confident || it.Category != code || it.UnitID != lead || it.Reason == "" || it.Prob < it.Threshold || it.Why != "" {
			t.Fatalf("case %s in the queue: %+v, want confident for unit %d", c.Number, it, lead)
		}
	}
	if i, ok := got[c3.ID]; !ok || q.Items[i].Confident || q.Items[i].Why != casework.WhyDisagrees {
		t.Fatalf("a request the classifier disagrees with: %+v", q.Items[got[c3.ID]])
	}
	if want := q.Items[got[c2.ID]].Case.DispatchBy; !q.Items[got[c2.ID]].Due.Equal(want) {
		t.Fatalf("a received case is due at its dispatch deadline %v, got %v", want, q.Items[got[c2.ID]].Due)
	}

	// Only the centre's agents and dispatchers work the queue.
	for _, u := range []string{e.handlerA, e.supA, e.analyst} {
		apiRefused(t, e.apiDo(u, "GET", "/api/v1/queue", nil), 403, errs.Forbidden)
		apiRefused(t, e.apiDo(u, "POST", "/api/v1/queue/dispatch", map[string]any{"ids": []int64{c1.ID}}), 403, errs.Forbidden)
	}
	apiRefused(t, e.apiDo(e.agent, "POST", "/api/v1/queue/dispatch", map[string]any{"ids": []int64{}}), 422, errs.FieldRequired)
	apiRefused(t, e.apiDo(e.agent, "POST", "/api/v1/queue/dispatch", map[string]any{"ids": make([]int64, casework.MaxBulkDispatch+1)}), 422, errs.Invalid)
	apiRefused(t, e.apiDo(e.agent, "POST", "/api/v1/queue/dispatch", `{"ids":["x"]}`), 400, errs.InvalidJSON)
	if c, _ := e.app.Svc.Cases.Get(e.ctx, org.System(), c1.ID); c.State != lifecycle.Submitted {
		t.Fatalf("a refused bulk request changed case %s: %s", c1.Number, c.State)
	}

	// Bulk: the two confident ones go, each reported; the others are
	// refused with their reason and left as they were.
	var b apiBulk
	apiWant(t, e.apiDo(e.agent, "POST", "/api/v1/queue/dispatch", map[string]any{"ids": []int64{c1.ID, c2.ID, c3.ID, c1.ID, 999999999}}, "Accept-Language", "en"), 200, &b)
	if b.Done != 2 || b.Refused != 2 || len(b.Results) != 4 {
		t.Fatalf("bulk: %+v", b)
	}
	for i, want := range []struct {
		id   int64
		done bool
		code errs.Code
	}{{c1.ID, true, ""}, {c2.ID, true, ""}, {c3.ID, false, errs.Conflict}, {999999999, false, errs.NotFound}} {
		r := b.Results[i]
		if r.ID != want.id || r.Done != want.done || r.Code != want.code || (want.done && r.UnitID != lead) || (!want.done && r.Msg == "") {
			t.Fatalf("bulk result %d: %+v, want %+v", i, r, want)
		}
	}
	if b.Results[2].Detail != casework.WhyDisagrees {
		t.Fatalf("refusal of %s says %q", c3.Number, b.Results[2].Detail)
	}
	agentID := e.apiUserID(e.agent)
	for _, c := range []lifecycle.Case{c1, c2} {
		got := e.apiGet(e.agent, c.ID)
		if got.State != lifecycle.Dispatched || got.LeadUnitID != lead {
			t.Fatalf("case %s after the bulk dispatch: %s, unit %d", c.Number, got.State, got.LeadUnitID)
		}
		evs := e.apiEvents(e.agent, c.ID)
		last := evs[len(evs)-1]
		if last.Action != lifecycle.ActDispatch || last.ActorUserID != agentID {
			t.Fatalf("case %s: last event %+v, want a dispatch by the agent", c.Number, last)
		}
	}
	// c1 was accepted and dispatched in one commit.
	evs := e.apiEvents(e.agent, c1.ID)
	if len(evs) != 3 || evs[1].Action != lifecycle.ActAccept || !evs[1].At.Equal(evs[2].At) {
		t.Fatalf("case %s: events %+v, want accept and dispatch in one commit", c1.Number, evs)
	}
	if got := e.apiGet(e.agent, c3.ID); got.State != lifecycle.Submitted {
		t.Fatalf("the refused case %s moved to %s", c3.Number, got.State)
	}

	// They left the queue; doing it again is refused, case by case.
	apiWant(t, e.apiDo(e.agent, "GET", "/api/v1/queue", nil), 200, &q)
	for _, it := range q.Items {
		if it.Case.ID == c1.ID || it.Case.ID == c2.ID {
			t.Fatalf("case %s is still in the queue", it.Case.Number)
		}
	}
	apiWant(t, e.apiDo(e.agent, "POST", "/api/v1/queue/dispatch", map[string]any{"ids": []int64{c1.ID}}), 200, &b)
	if b.Done != 0 || len(b.Results) != 1 || b.Results[0].Code != errs.InvalidTransition || b.Results[0].Detail != casework.WhyNotWaiting {
		t.Fatalf("dispatching again: %+v", b)
	}
}
