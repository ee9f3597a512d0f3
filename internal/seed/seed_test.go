package seed

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"whistle/internal/auth"
	"whistle/internal/core"
	"whistle/internal/demo"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/services"
	"whistle/internal/store"
)

func open(t *testing.T) *services.Services {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "w.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := services.New(context.Background(), st, core.Config{PhoneKey: []byte("k"), ReopenLimit: 2})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestBootstrap(t *testing.T) {
	ctx := context.Background()
	svc := open(t)
	created, pw, err := Bootstrap(ctx, svc, auth.FastHasher(), "江川市", "")
	if err != nil || !created || len(pw) < 12 {
		t.Fatalf("Bootstrap: created=%v pw=%q err=%v", created, pw, err)
	}
	u, hash, err := svc.St.UserByName(ctx, "admin")
	if err != nil || !auth.Verify(hash, pw) || !u.Has("admin") {
		t.Fatalf("admin cannot log in with the printed password: %v", err)
	}
	leaves := 0
	for _, c := range svc.Categories() {
		if c.Leaf {
			leaves++
		}
	}
	if leaves < 60 {
		t.Fatalf("%d leaf categories after bootstrap", leaves)
	}
	if a, err := svc.Actor(u); err != nil || a.Unit.Kind != "city_centre" {
		t.Fatalf("admin's unit: %+v %v", a.Unit, err)
	}
	// A second start changes nothing.
	if created, _, err := Bootstrap(ctx, svc, auth.FastHasher(), "江川市", "other-password"); created || err != nil {
		t.Fatalf("second Bootstrap: created=%v err=%v", created, err)
	}
	if _, hash, _ := svc.St.UserByName(ctx, "admin"); !auth.Verify(hash, pw) {
		t.Fatal("second Bootstrap changed the admin password")
	}
	// The demo refuses a store that holds another city (or an interrupted demo).
	if _, err := Demo(ctx, svc, demo.Options{Seed: 1, Requests: 10}, auth.FastHasher(), nil); err == nil || !strings.Contains(err.Error(), "not a complete demo") {
		t.Fatalf("Demo on a bootstrapped store: %v", err)
	}
}

func TestDemoOnceThenReuse(t *testing.T) {
	ctx := context.Background()
	svc := open(t)
	res, err := Demo(ctx, svc, demo.Options{Seed: 5, Requests: 200}, auth.FastHasher(), nil)
	if err != nil || !res.Loaded || res.Cases != 200 || res.Events < 200 || len(res.Logins) == 0 {
		t.Fatalf("first Demo: %+v %v", res, err)
	}
	page, err := svc.St.Cases(ctx, org.Scope{All: true}, lifecycle.CaseFilter{Limit: 200})
	if err != nil || len(page.Cases) != 200 {
		t.Fatalf("cases stored: %d %v", len(page.Cases), err)
	}
	again, err := Demo(ctx, svc, demo.Options{Seed: 5, Requests: 200}, auth.FastHasher(), nil)
	if err != nil || again.Loaded || len(again.Logins) != len(res.Logins) {
		t.Fatalf("second Demo: %+v %v", again, err)
	}
	// Numbers are unique and the day counters continue after the history.
	seen := map[string]bool{}
	for _, c := range page.Cases {
		if seen[c.Number] || len(c.Number) != 13 {
			t.Fatalf("bad or repeated number %q", c.Number)
		}
		seen[c.Number] = true
	}
}
