package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"whistle/internal/app"
	"whistle/internal/auth"
	"whistle/internal/classify"
	"whistle/internal/config"
	"whistle/internal/demo"
	"whistle/internal/errs"
	"whistle/internal/seed"
)

type apiClassified struct {
	Suggestions  []classify.Suggestion `json:"suggestions"`
	ModelVersion int64                 `json:"model_version"`
}

type apiClassifierState struct {
	Model        *classify.StoredModel   `json:"model"`
	Versions     []classify.StoredModel  `json:"versions"`
	AutoDispatch []classify.AutoDispatch `json:"auto_dispatch"`
}

// TestAPIClassifier trains the classifier from the demo city's closed cases
// over the API, asks it for suggestions, retrains, and sets automatic
// dispatch.
func TestAPIClassifier(t *testing.T) {
	e := apiOpen(t, "")
	text := map[string]any{"text": "小区楼下的饭店油烟很大，晚上还很吵"}

	// Before any training.
	apiRefused(t, e.apiDo(e.agent, "POST", "/api/v1/classify", text), http.StatusConflict, errs.NoModel)
	var st apiClassifierState
	apiWant(t, e.apiDo(e.analyst, "GET", "/api/v1/classifier", nil), 200, &st)
	if st.Model != nil || len(st.Versions) != 0 || len(st.AutoDispatch) != 0 {
		t.Fatalf("untrained state = %+v", st)
	}

	// Training is for admins.
	apiRefused(t, e.apiDo(e.agent, "POST", "/api/v1/classifier/train", nil), http.StatusForbidden, errs.Forbidden)
	var m1 classify.StoredModel
	apiWant(t, e.apiDo(e.admin, "POST", "/api/v1/classifier/train", nil), http.StatusCreated, &m1)
	var rep classify.Report
	if err := json.Unmarshal(m1.Eval, &rep); err != nil {
		t.Fatalf("evaluation %s: %v", m1.Eval, err)
	}
	if m1.Version != 1 || m1.Examples < 100 || m1.Labels < 10 || rep.Folds != 5 || rep.Top1 <= 0 || rep.Top3 < rep.Top1 || len(rep.PerClass) == 0 {
		t.Fatalf("first model = %+v, evaluation %+v", m1, rep)
	}

	// Every closed case is suggested its own category first (the model has
	// seen them), and new demo-like texts (another seed of the generator)
	// find theirs among the first three most of the time.
	closed, err := e.app.Store.ClosedCaseTexts(e.ctx, 0, 10000)
	if err != nil || len(closed) != m1.Examples {
		t.Fatalf("closed cases: %d (%v), model trained on %d", len(closed), err, m1.Examples)
	}
	hits := 0
	for _, c := range closed {
		var out apiClassified
		apiWant(t, e.apiDo(e.agent, "POST", "/api/v1/classify", map[string]any{"text": c.Text, "k": 1}), 200, &out)
		if len(out.Suggestions) != 1 || out.ModelVersion != 1 {
			t.Fatalf("classify: %+v", out)
		}
		if out.Suggestions[0].Code == c.Category {
			hits++
		}
	}
	if acc := float64(hits) / float64(len(closed)); acc < 0.95 {
		t.Errorf("training texts: top-1 %.3f, want ≥ 0.95", acc)
	}
	fresh := demo.Generate(demo.Options{Seed: 8, Requests: 200})
	top3 := 0
	for _, r := range fresh.Requests {
		var out apiClassified
		apiWant(t, e.apiDo(e.agent, "POST", "/api/v1/classify", map[string]any{"text": r.Case.Title + "\n" + r.Case.Description}), 200, &out)
		if len(out.Suggestions) != 3 {
			t.Fatalf("default k: %d suggestions", len(out.Suggestions))
		}
		sum := 0.0
		for i, s := range out.Suggestions {
			c, ok := e.app.Svc.Category(s.Code)
			if !ok || !c.Leaf || s.Name != c.NameZH || s.Probability <= 0 || s.Probability > 1 ||
				(i > 0 && s.Probability > out.Suggestions[i-1].Probability) {
				t.Fatalf("suggestion %d = %+v (category %+v)", i, s, c)
			}
			sum += s.Probability
			if s.Code == r.Case.Category {
				top3++
			}
		}
		if sum > 1+1e-9 {
			t.Fatalf("probabilities sum to %v", sum)
		}
	}
	t.Logf("training texts top-1 %d/%d; new demo texts top-3 %d/%d", hits, len(closed), top3, len(fresh.Requests))
	if acc := float64(top3) / float64(len(fresh.Requests)); acc < 0.6 {
		t.Errorf("new demo texts: top-3 %.3f, want ≥ 0.6", acc)
	}

	// Bad requests.
	apiRefused(t, e.apiDo(e.agent, "POST", "/api/v1/classify", map[string]any{"text": "  "}), http.StatusUnprocessableEntity, errs.FieldRequired)
	apiRefused(t, e.apiDo(e.agent, "POST", "/api/v1/classify", map[string]any{"text": "噪音", "k": 21}), http.StatusUnprocessableEntity, errs.Invalid)
	apiRefused(t, e.apiDo(e.agent, "POST", "/api/v1/classify", map[string]any{"text": "噪音", "k": -1}), http.StatusUnprocessableEntity, errs.Invalid)
	apiRefused(t, e.apiDo(e.agent, "POST", "/api/v1/classify", map[string]any{"text": "噪音", "extra": 1}), http.StatusBadRequest, errs.InvalidJSON)
	apiRefused(t, e.apiDo("", "POST", "/api/v1/classify", text), http.StatusUnauthorized, errs.Unauthenticated)

	// Retraining bumps the version; the service answers with it.
	var m2 classify.StoredModel
	apiWant(t, e.apiDo(e.admin, "POST", "/api/v1/classifier/train", nil), http.StatusCreated, &m2)
	if m2.Version != 2 || m2.Examples != m1.Examples {
		t.Fatalf("second model = %+v", m2)
	}
	var out apiClassified
	apiWant(t, e.apiDo(e.agent, "POST", "/api/v1/classify", text), 200, &out)
	if out.ModelVersion != 2 {
		t.Fatalf("model version %d after retraining", out.ModelVersion)
	}
	apiWant(t, e.apiDo(e.agent, "GET", "/api/v1/classifier", nil), 200, &st)
	if st.Model == nil || st.Model.Version != 2 || len(st.Versions) != 2 || st.Versions[0].Version != 2 || st.Versions[1].Version != 1 {
		t.Fatalf("state after retraining = %+v", st)
	}

	// Automatic dispatch per category.
	sample := closed[0]
	sug, err := e.app.Svc.Dispatch.Suggest(e.ctx, sample.Text, 1)
	if err != nil || len(sug) != 1 {
		t.Fatalf("Suggest: %v %v", sug, err)
	}
	code, prob, ok := e.app.Svc.Dispatch.AutoDispatchable(e.ctx, sample.Text)
	if code != sug[0].Code || prob != sug[0].Probability || ok {
		t.Fatalf("AutoDispatchable before any setting = %s %v %v", code, prob, ok)
	}
	put := func(user string, settings ...map[string]any) apiResp {
		return e.apiDo(user, "PUT", "/api/v1/classifier/auto-dispatch", map[string]any{"settings": settings})
	}
	set := map[string]any{"category": code, "enabled": true, "threshold": 0.5}
	apiRefused(t, put(e.dispatcher, set), http.StatusForbidden, errs.Forbidden)
	apiRefused(t, put(e.admin, set, map[string]any{"category": "no.such", "enabled": true, "threshold": 0.9}), http.StatusUnprocessableEntity, errs.UnknownCategory)
	apiRefused(t, put(e.admin, map[string]any{"category": code, "enabled": true, "threshold": 0.3}), http.StatusUnprocessableEntity, errs.Invalid)
	apiRefused(t, put(e.admin, set, set), http.StatusUnprocessableEntity, errs.Invalid)
	apiRefused(t, put(e.admin), http.StatusUnprocessableEntity, errs.FieldRequired)
	if s, _ := e.app.Svc.Dispatch.AutoDispatchSettings(e.ctx); len(s) != 0 {
		t.Fatalf("refused requests stored settings: %+v", s)
	}
	var saved struct {
		Settings []classify.AutoDispatch `json:"settings"`
	}
	apiWant(t, put(e.admin, set), 200, &saved)
	if len(saved.Settings) != 1 || saved.Settings[0].Category != code || !saved.Settings[0].Enabled || saved.Settings[0].Threshold != 0.5 {
		t.Fatalf("saved = %+v", saved)
	}
	_, _, ok = e.app.Svc.Dispatch.AutoDispatchable(e.ctx, sample.Text)
	if ok != (prob >= 0.5) {
		t.Fatalf("AutoDispatchable with threshold 0.5 and probability %v = %v", prob, ok)
	}
	apiWant(t, put(e.admin, map[string]any{"category": code, "enabled": false, "threshold": 0.5}), 200, &saved)
	if _, _, ok := e.app.Svc.Dispatch.AutoDispatchable(e.ctx, sample.Text); ok {
		t.Fatal("AutoDispatchable after turning the category off")
	}
	apiWant(t, e.apiDo(e.agent, "GET", "/api/v1/classifier", nil), 200, &st)
	if len(st.AutoDispatch) != 1 || st.AutoDispatch[0].Enabled {
		t.Fatalf("auto-dispatch settings = %+v", st.AutoDispatch)
	}
}

// TestClassifierRetrainLoop runs the periodic retraining with a short
// interval: it trains a first version and retrains, and stops with its context.
func TestClassifierRetrainLoop(t *testing.T) {
	e := apiOpen(t, "")
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.app.Svc.Dispatch.RunClassifierRetrain(ctx, 50*time.Millisecond)
	}()
	// The loop signals nothing when it has trained, so the store is polled
	// for the condition (a second version); the deadline only guards
	// against hanging, and a loop that returns early fails at once.
	deadline := time.After(5 * time.Minute)
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	for {
		m, found, err := e.app.Store.LatestClassifierModel(e.ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		if found && m.Version >= 2 {
			if m.CreatedBy != 0 {
				t.Errorf("scheduled version created by user %d, want 0 (system)", m.CreatedBy)
			}
			break
		}
		select {
		case <-poll.C:
		case <-done:
			t.Fatalf("the retraining loop returned before a second version (latest %+v, found %v)", m, found)
		case <-deadline:
			t.Fatalf("no second version from the retraining loop (latest %+v, found %v)", m, found)
		}
	}
	cancel()
	<-done
	info, err := e.app.Svc.Dispatch.Classifier(e.ctx)
	if err != nil || info.Version < 2 {
		t.Fatalf("service uses %+v, %v", info, err)
	}
	// Off: an interval of 0 returns at once.
	e.app.Svc.Dispatch.RunClassifierRetrain(e.ctx, 0)
}

// TestClassifierHoldOut trains on a demo city with more than 5,000 closed
// cases: the stored model is then trained on four fifths and measured on
// the rest.
func TestClassifierHoldOut(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 7,000 requests; skipped with -short")
	}
	ctx := t.Context()
	cfg := config.Defaults()
	cfg.Data, cfg.FastHash, cfg.SQLiteSync = t.TempDir(), true, "normal"
	a, err := app.Open(ctx, cfg, apiLog)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := seed.Demo(ctx, a.Svc, demo.Options{Seed: 11, Requests: 7000}, auth.FastHasher(), apiLog); err != nil {
		t.Fatal(err)
	}
	closed, err := a.Store.ClosedCaseTexts(ctx, 0, 100000)
	if err != nil || len(closed) <= 5000 {
		t.Fatalf("%d closed cases (%v), want more than 5,000", len(closed), err)
	}
	m, err := a.Svc.Dispatch.TrainClassifier(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var rep classify.Report
	if err := json.Unmarshal(m.Eval, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Folds != 0 || rep.Test < len(closed)/5-100 || rep.Test > len(closed)/5+100 || rep.Train+rep.Test != len(closed) || m.Examples != rep.Train {
		t.Fatalf("model %+v, evaluation train %d test %d folds %d of %d closed", m, rep.Train, rep.Test, rep.Folds, len(closed))
	}
	if rep.Top1 < 0.9 || rep.Top3 < rep.Top1 {
		t.Fatalf("hold-out top-1 %.4f top-3 %.4f on the demo's templated texts", rep.Top1, rep.Top3)
	}
	if m.CreatedBy != 0 {
		t.Fatalf("created by %d, want 0 (system)", m.CreatedBy)
	}
	// A restarted node loads the stored version and suggests with it.
	a.Close()
	b, err := app.Open(ctx, cfg, apiLog)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	info, err := b.Svc.Dispatch.Classifier(ctx)
	if err != nil || info.Version != m.Version || info.Examples != m.Examples || string(info.Eval) != string(m.Eval) {
		t.Fatalf("after restart: %+v, %v", info, err)
	}
	sug, err := b.Svc.Dispatch.Suggest(ctx, closed[0].Text, 3)
	if err != nil || len(sug) != 3 {
		t.Fatalf("Suggest after restart: %+v, %v", sug, err)
	}
}
