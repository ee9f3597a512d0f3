package delivery_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"whistle/internal/app"
	"whistle/internal/auth"
	"whistle/internal/config"
	"whistle/internal/delivery"
	"whistle/internal/demo"
	"whistle/internal/events"
	"whistle/internal/org"
	"whistle/internal/seed"
	"whistle/internal/services"
	"whistle/internal/store"
	"whistle/internal/summons"
)

func actorOf(t *testing.T, svc *services.Services, st *store.Store, kind, role string) (org.Unit, org.Actor) {
	t.Helper()
	for _, u := range svc.UnitsList() {
		if kind != "" && u.Kind != kind {
			continue
		}
		users, err := st.Users(t.Context(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, us := range users {
			if us.Has(role) {
				a, err := svc.Actor(us)
				if err != nil {
					t.Fatal(err)
				}
				return u, a
			}
		}
	}
	t.Fatalf("no %s user in a %s unit", role, kind)
	return org.Unit{}, org.Actor{}
}

// TestServeDeliversWhistleWithinSeconds: the worker Serve starts is woken
// by the commit of a whistle, so the summoned department's webhook hears of
// it within seconds (not at the next poll of a slow schedule), signed.
func TestServeDeliversWhistleWithinSeconds(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cfg := config.Defaults()
	cfg.Data, cfg.FastHash, cfg.SQLiteSync, cfg.Node, cfg.WebhookAllowPrivate = t.TempDir(), true, "normal", "node-ev", true
	a, err := app.Open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := seed.Demo(ctx, a.Svc, demo.Options{Seed: 3, Requests: 5}, auth.FastHasher(), nil); err != nil {
		t.Fatal(err)
	}
	got := make(chan events.Envelope, 100)
	var secret []byte
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := events.Verify(secret, r.Header.Get(events.HeaderSignature), r.Header.Get(events.HeaderTimestamp), body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("signature: %v", err)
		}
		var e events.Envelope
		json.Unmarshal(body, &e)
		got <- e
	}))
	defer rc.Close()
	_, admin := actorOf(t, a.Svc, a.Store, "", org.RoleAdmin)
	_, streetH := actorOf(t, a.Svc, a.Store, org.KindStreet, org.RoleHandler)
	dept, _ := actorOf(t, a.Svc, a.Store, org.KindDepartment, org.RoleHandler)
	hook, err := a.Svc.Events.CreateWebhook(ctx, admin, delivery.WebhookInput{Name: "dept", URL: rc.URL, Types: "whistle.summoned"})
	if err != nil {
		t.Fatal(err)
	}
	secret = []byte(hook.Secret)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln, nil) }()
	// Let the worker drain the demo's history (nothing matches the filter
	// but whistles the demo raised): then raise ours.
	w, err := a.Svc.Whistles.RaiseWhistle(ctx, streetH, summons.Raise{Source: summons.SourceOwn, Address: "幸福路12号", Need: "联合执法", UnitIDs: []int64{dept.ID}})
	if err != nil {
		t.Fatal(err)
	}
	raised := time.Now()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case e := <-got:
			if e.Type != events.TypeWhistleSummoned {
				t.Fatalf("type %s", e.Type)
			}
			if id, _ := e.Data["whistle_id"].(float64); int64(id) != w.ID {
				continue // a whistle of the demo
			}
			if d := time.Since(raised); d > 5*time.Second {
				t.Errorf("delivered after %v", d)
			}
			units, _ := e.Data["summoned"].([]any)
			if len(units) != 1 {
				t.Errorf("summoned %v", e.Data["summoned"])
			}
			cancel()
			if err := <-served; err != nil {
				t.Fatal(err)
			}
			return
		case <-deadline:
			t.Fatal("the webhook did not hear of the whistle within 10 s")
		}
	}
}
