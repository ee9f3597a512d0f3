package api_test

import (
	"net/http"
	"testing"

	"whistle/internal/classify"
	"whistle/internal/demo"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

// A citizen's online submission goes straight to its unit when the centre
// has turned automatic dispatch on for the category the classifier is sure
// of and the duty list names one lead unit; otherwise it waits for an agent.
func TestAutoDispatchOnlineSubmissions(t *testing.T) {
	e := apiOpen(t, "")
	var m classify.StoredModel
	apiWant(t, e.apiDo(e.admin, "POST", "/api/v1/classifier/train", nil), http.StatusCreated, &m)

	// A new text the model places first in its own category (with a
	// probability between the lowest allowed threshold and 1), which the
	// duty list routes without ambiguity at gridA.
	var text, code string
	var lead int64
	for _, r := range demo.Generate(demo.Options{Seed: 21, Requests: 300}).Requests {
		txt := r.Case.Title + " " + r.Case.Description
		sug, err := e.app.Svc.Dispatch.Suggest(e.ctx, txt, 1)
		if err != nil || len(sug) == 0 || sug[0].Code != r.Case.Category || sug[0].Probability < 0.55 || sug[0].Probability >= 1 {
			continue
		}
		d, err := e.app.Svc.Dispatch.RouteSuggestion(e.ctx, r.Case.Category, e.gridA.Loc.GridID, txt)
		if err != nil || !d.Matched || d.Ambiguous || d.LeadUnitID == 0 {
			continue
		}
		text, code, lead = txt, r.Case.Category, d.LeadUnitID
		break
	}
	if text == "" {
		t.Fatal("no demo text that the model and the duty list both settle")
	}
	submit := func() (number string, state lifecycle.State) {
		var out struct {
			Number string          `json:"number"`
			State  lifecycle.State `json:"state"`
		}
		// No category: citizens need not know the taxonomy.
		apiWant(t, e.apiDo("", "POST", "/api/v1/public/cases", map[string]any{"type": "complaint", "description": text,
			"lat": e.gridA.Lat, "lon": e.gridA.Lon, "citizen_phone": e.apiPhone()}), 201, &out)
		return out.Number, out.State
	}

	// Off: the request waits, categorised by the classifier.
	n1, st := submit()
	c1, err := e.app.Svc.Cases.GetByNumber(e.ctx, org.System(), n1)
	if err != nil || st != lifecycle.Submitted || c1.Category != code || c1.LeadUnitID != 0 {
		t.Fatalf("without automatic dispatch: state %s, case %+v, %v", st, c1, err)
	}

	// On, with a threshold the model cannot reach: still waits.
	apiWant(t, e.apiDo(e.admin, "PUT", "/api/v1/classifier/auto-dispatch", map[string]any{"settings": []map[string]any{{"category": code, "enabled": true, "threshold": 1.0}}}), 200, nil)
	if _, st := submit(); st != lifecycle.Submitted {
		t.Fatalf("threshold 1.0: state %s", st)
	}

	// On, reachable: accepted and dispatched to the duty list's unit, by the system.
	apiWant(t, e.apiDo(e.admin, "PUT", "/api/v1/classifier/auto-dispatch", map[string]any{"settings": []map[string]any{{"category": code, "enabled": true, "threshold": 0.5}}}), 200, nil)
	n3, st := submit()
	c3, err := e.app.Svc.Cases.GetByNumber(e.ctx, org.System(), n3)
	if err != nil || st != lifecycle.Dispatched || c3.LeadUnitID != lead {
		t.Fatalf("automatic dispatch: state %s, lead %d (want %d), %v", st, c3.LeadUnitID, lead, err)
	}
	evs, err := e.app.Svc.Cases.Timeline(e.ctx, org.System(), c3.ID)
	if err != nil || len(evs) != 3 || evs[1].Action != lifecycle.ActAccept || evs[2].Action != lifecycle.ActDispatch || evs[2].ActorRole != org.RoleSystem {
		t.Fatalf("timeline: %+v, %v", evs, err)
	}
	// One commit: the submission, its acceptance and its dispatch carry the
	// time of the one write that stored them.
	if !evs[0].At.Equal(evs[1].At) || !evs[0].At.Equal(evs[2].At) {
		t.Fatalf("submission, acceptance and dispatch written at %v, %v, %v: not one commit", evs[0].At, evs[1].At, evs[2].At)
	}
}
