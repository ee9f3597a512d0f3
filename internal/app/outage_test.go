package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"whistle/internal/app"
	"whistle/internal/auth"
	"whistle/internal/config"
	"whistle/internal/demo"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/pgtest"
	"whistle/internal/seed"
)

// A node serving over real HTTP on loopback while its PostgreSQL is
// stopped (pg_ctl stop -m fast) and started again on the same port:
// during the outage /readyz is 503 and an intake POST fails fast with 503
// store_unavailable, writing nothing; after the restart both succeed on
// the same node, without a restart of it, and the request refused during
// the outage is created once when retried with its idempotency key.
func TestPostgresOutage(t *testing.T) {
	if _, ok := pgtest.Available(); !ok {
		if pgtest.Required() {
			t.Fatal("PostgreSQL binaries not found (required: CI or WHISTLE_REQUIRE_PG=1)")
		}
		t.Skip("PostgreSQL binaries not found")
	}
	ctx := t.Context()
	start, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	cluster, err := pgtest.StartCluster(start, pgtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cluster.Stop() })
	dsn, err := cluster.CreateDatabase(start)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.Data, cfg.DB, cfg.FastHash = t.TempDir(), dsn, true
	a, err := app.Open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := seed.Demo(ctx, a.Svc, demo.Options{Seed: 3, Requests: 10}, auth.FastHasher(), nil); err != nil {
		t.Fatal(err)
	}
	var street org.Unit
	for _, u := range a.Svc.UnitsList() {
		if u.Kind == org.KindStreet {
			street = u
			break
		}
	}
	var leaf string
	for _, c := range a.Svc.Categories() {
		if c.Leaf && c.Active {
			leaf = c.Code
			break
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveCtx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- a.Serve(serveCtx, ln, nil) }()
	defer func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Timeout: 60 * time.Second}

	type answer struct {
		status  int
		code    errs.Code
		number  string
		elapsed time.Duration
	}
	do := func(method, path string, body any, key string) answer {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, base+path, rd)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		t0 := time.Now()
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer res.Body.Close()
		var out struct {
			Code   errs.Code `json:"code"`
			Number string    `json:"number"`
		}
		b, _ := io.ReadAll(res.Body)
		json.Unmarshal(b, &out)
		return answer{res.StatusCode, out.Code, out.Number, time.Since(t0)}
	}
	intake := func(i int) map[string]any {
		return map[string]any{"type": "complaint", "category": leaf, "place_id": street.PlaceID,
			"description": fmt.Sprintf("停电期间的诉求 %d：路灯不亮", i), "citizen_phone": fmt.Sprintf("1380013%04d", i)}
	}

	if r := do("GET", "/readyz", nil, ""); r.status != 200 {
		t.Fatalf("readyz before the outage: %+v", r)
	}
	if r := do("POST", "/api/v1/public/cases", intake(1), "outage-1"); r.status != 201 || r.number == "" {
		t.Fatalf("intake before the outage: %+v", r)
	}

	if err := cluster.Pause(ctx); err != nil {
		t.Fatal(err)
	}
	const bound = 10 * time.Second // generous: a bound on hanging, not a speed claim
	for i := range 3 {             // pooled connections broken by the stop, then new ones refused
		r := do("GET", "/readyz", nil, "")
		if r.status != http.StatusServiceUnavailable || r.code != errs.StoreUnavailable || r.elapsed > bound {
			t.Fatalf("readyz %d during the outage: %+v, want 503 %s within %v", i, r, errs.StoreUnavailable, bound)
		}
		r = do("POST", "/api/v1/public/cases", intake(2), "outage-2")
		if r.status != http.StatusServiceUnavailable || r.code != errs.StoreUnavailable || r.elapsed > bound {
			t.Fatalf("intake %d during the outage: %+v, want 503 %s within %v", i, r, errs.StoreUnavailable, bound)
		}
	}
	if r := do("GET", "/healthz", nil, ""); r.status != 200 {
		t.Fatalf("healthz (the process is alive) during the outage: %+v", r)
	}
	// A page that reads the database says so in the reader's language, with
	// the same status, as fast.
	for _, lang := range []struct{ accept, want string }{{"zh-CN", "数据库暂时无法连接"}, {"en", "the database cannot be reached"}} {
		req, _ := http.NewRequest("GET", base+"/portal/figures", nil)
		req.Header.Set("Accept-Language", lang.accept)
		t0 := time.Now()
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), lang.want) || time.Since(t0) > bound {
			t.Fatalf("the figures page (%s) during the outage: %d in %v, body has %q: %v\n%.3000s", lang.accept, res.StatusCode, time.Since(t0), lang.want, strings.Contains(string(b), lang.want), b)
		}
	}

	if err := cluster.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := do("GET", "/readyz", nil, "")
		if r.status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready a minute after the restart: %+v", r)
		}
		time.Sleep(100 * time.Millisecond) // polling a restarted server, with a generous deadline
	}
	// The request refused during the outage was not half-written: retried
	// with its key it is created now (201, not a replay), once.
	first := do("POST", "/api/v1/public/cases", intake(2), "outage-2")
	if first.status != 201 || first.number == "" {
		t.Fatalf("intake after the restart: %+v, want 201", first)
	}
	again := do("POST", "/api/v1/public/cases", intake(2), "outage-2")
	if again.status != 200 || again.number != first.number {
		t.Fatalf("retry with the key: %+v, want 200 with %s", again, first.number)
	}
	if r := do("POST", "/api/v1/public/cases", intake(1), "outage-1"); r.status != 200 {
		t.Fatalf("the key acknowledged before the outage: %+v, want its replay", r)
	}
	page, err := a.Svc.Cases.List(ctx, org.System(), lifecycle.CaseFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, c := range page.Cases {
		count[c.Description]++
	}
	for i := 1; i <= 2; i++ {
		if d := intake(i)["description"].(string); count[d] != 1 {
			t.Errorf("%d cases of %q, want 1", count[d], d)
		}
	}
}
