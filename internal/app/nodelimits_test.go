package app_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"whistle/internal/app"
	"whistle/internal/auth"
	"whistle/internal/config"
	"whistle/internal/pgtest"
	"whistle/internal/seed"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// Two nodes opened by app.Open on one PostgreSQL database share the login
// allowance, across front ends: three wrong passwords over node A's API
// and two on node B's login page spend the 5 per user and address, and the
// sixth try, over node B's API, is 429. (Each node counting in its own
// memory, node B's API allowed 3 more.)
func TestLoginLimitsSharedByNodesOverHTTP(t *testing.T) {
	dsn, data := pgtest.NewDatabase(t), t.TempDir()
	open := func() (*app.App, *httptest.Server) {
		cfg := config.Defaults()
		cfg.Data, cfg.DB, cfg.FastHash = data, dsn, true
		a, err := app.Open(t.Context(), cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		srv := httptest.NewServer(a.Handler())
		t.Cleanup(srv.Close)
		return a, srv
	}
	a, srvA := open()
	_, srvB := open()
	if _, _, err := seed.Bootstrap(t.Context(), a.Svc, auth.FastHasher(), "", adminPassword); err != nil {
		t.Fatal(err)
	}
	api := func(base, password string) int {
		t.Helper()
		res, err := http.Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(`{"username":"admin","password":"`+password+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	page := func(base, password string) int {
		t.Helper()
		res, err := noRedirects(&http.Client{}).PostForm(base+"/login", url.Values{"username": {"admin"}, "password": {password}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for i := range 3 {
		if st := api(srvA.URL, "wrong-password"); st != http.StatusUnauthorized {
			t.Fatalf("wrong login %d over node A's API: %d, want 401", i+1, st)
		}
	}
	for i := range 2 {
		if st := page(srvB.URL, "wrong-password"); st == http.StatusTooManyRequests || st < 400 {
			t.Fatalf("wrong login %d on node B's page: %d, want a refusal that is not 429", i+1, st)
		}
	}
	if st := api(srvB.URL, adminPassword); st != http.StatusTooManyRequests {
		t.Fatalf("6th try, over node B's API: %d, want 429", st)
	}
	if st := page(srvA.URL, adminPassword); st != http.StatusTooManyRequests {
		t.Fatalf("7th try, on node A's page: %d, want 429", st)
	}
}
