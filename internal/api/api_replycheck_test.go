package api_test

import (
	"fmt"
	"testing"

	"whistle/internal/errs"
	"whistle/internal/ranking"
	"whistle/internal/replyquality"
	"whistle/internal/store"
)

// Reply quality (#16) through the API: a draft checked before submitting
// (only by who may reply now), the verdict returned with the reply and
// kept, the callback queue and the month's ranking with it.
func TestAPIReplyCheck(t *testing.T) {
	e := apiOpen(t, "")
	c := e.apiCreate(e.agent, e.apiCaseIn(e.gridA, e.apiPhone()))
	path := fmt.Sprintf("/api/v1/cases/%d/reply-check", c.ID)
	e.apiAct(e.agent, c.ID, "dispatch", map[string]any{"unit_id": e.streetA.ID})
	e.apiAct(e.handlerA, c.ID, "sign", nil)
	const stock = "您好！您的留言已收悉。"
	// Not yet contacted: no reply, so no check either.
	apiRefused(t, e.apiDo(e.handlerA, "POST", path, map[string]any{"note": stock}), errs.Status(errs.InvalidTransition), errs.InvalidTransition)
	e.apiAct(e.handlerA, c.ID, "contact", map[string]any{"means": "phone"})
	apiRefused(t, e.apiDo(e.handlerA, "POST", path, map[string]any{"note": "  "}), 422, errs.FieldRequired)
	apiRefused(t, e.apiDo(e.handlerA, "POST", path, map[string]any{"text": stock}), errs.Status(errs.InvalidJSON), errs.InvalidJSON)
	apiRefused(t, e.apiDo(e.handlerB, "POST", path, map[string]any{"note": stock}), 404, errs.NotFound) // another street
	apiRefused(t, e.apiDo(e.agent, "POST", path, map[string]any{"note": stock}), errs.Status(errs.InvalidTransition), errs.InvalidTransition)

	var draft replyquality.Check
	apiWant(t, e.apiDo(e.handlerA, "POST", path, map[string]any{"note": stock}), 200, &draft)
	rel, _ := draft.Score(replyquality.Relevance)
	orig, _ := draft.Score(replyquality.Original)
	if len(draft.Scores) != 6 || rel.Level != replyquality.Bad || orig.Level != replyquality.Bad || !draft.Weak() || rel.ReasonZH == "" || rel.ReasonEN == "" {
		t.Fatalf("draft check %+v", draft)
	}
	var better replyquality.Check
	apiWant(t, e.apiDo(e.handlerA, "POST", path, map[string]any{"note": "您好，关于路口流动摊贩长期占用人行道摆摊的问题，我街道已于3月2日会同城管现场查处，已责令摊贩撤离，将持续巡查。"}), 200, &better)
	if better.Overall <= draft.Overall || better.Weak() {
		t.Fatalf("a reply about the request %+v, the stock one %.2f", better, draft.Overall)
	}
	// Nothing is kept of a draft.
	apiRefused(t, e.apiDo(e.handlerA, "GET", path, nil), 404, errs.NotFound)

	// Submitted anyway: the event carries the verdict, the store keeps it.
	r := e.apiAct(e.handlerA, c.ID, "reply", map[string]any{"result": "resolved", "note": stock})
	got, ok := r.Event.Data["reply_check"].(map[string]any)
	if !ok || got["overall"] != draft.Overall {
		t.Fatalf("the reply's event data: %v", r.Event.Data)
	}
	var kept store.ReplyCheck
	apiWant(t, e.apiDo(e.agent, "GET", path, nil), 200, &kept)
	if kept.CaseID != c.ID || kept.UnitID != e.streetA.ID || kept.Check.Overall != draft.Overall || kept.RepliedAt.IsZero() {
		t.Fatalf("kept %+v", kept)
	}
	apiRefused(t, e.apiDo(e.handlerB, "GET", path, nil), 404, errs.NotFound)

	// The callback queue, with the verdict.
	var q struct {
		Cases  []struct{ ID int64 }          `json:"cases"`
		Checks map[string]replyquality.Check `json:"checks"`
	}
	apiWant(t, e.apiDo(e.agent, "GET", "/api/v1/callbacks?number="+c.Number, nil), 200, &q)
	if len(q.Cases) != 1 || q.Cases[0].ID != c.ID || q.Checks[fmt.Sprint(c.ID)].Overall != draft.Overall {
		t.Fatalf("callback queue %+v", q)
	}
	apiRefused(t, e.apiDo(e.handlerA, "GET", "/api/v1/callbacks", nil), 403, errs.Forbidden)

	// The month's ranking has the street's figures beside the three rates.
	var rk ranking.Ranking
	month := e.app.Svc.Now().Format("2006-01")
	apiWant(t, e.apiDo(e.analyst, "GET", "/api/v1/assess/ranking?kind=street&month="+month, nil), 200, &rk)
	found := false
	for _, u := range rk.Replies {
		if u.UnitID == e.streetA.ID {
			found = u.Replies >= 1 && u.Weak >= 1 && len(u.Means) == 6
		}
		if u.Kind != "street" {
			t.Errorf("a %s in the streets' figures", u.Kind)
		}
	}
	if !found {
		t.Fatalf("street %d not in the month's reply quality: %+v", e.streetA.ID, rk.Replies)
	}
}
