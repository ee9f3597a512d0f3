package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"whistle/internal/api"
	"whistle/internal/app"
	"whistle/internal/auth"
	"whistle/internal/config"
	"whistle/internal/errs"
	"whistle/internal/seed"
)

const bareAdminPassword = "shared-test-password"

// logRecords is a slog handler that keeps every record.
type logRecords struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecords) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, r.Clone())
	return nil
}
func (h *logRecords) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logRecords) WithGroup(string) slog.Handler      { return h }

func (h *logRecords) reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = nil
}

func (h *logRecords) at(level slog.Level) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.recs {
		if r.Level >= level {
			out = append(out, r.Message)
		}
	}
	return out
}

// bareApp is a bootstrapped node (city, centre, admin; no demo data).
func bareApp(t *testing.T, log *slog.Logger) *app.App {
	t.Helper()
	cfg := config.Defaults()
	cfg.Data = t.TempDir()
	cfg.FastHash = true
	cfg.SQLiteSync = "normal"
	a, err := app.Open(t.Context(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if _, _, err := seed.Bootstrap(t.Context(), a.Svc, auth.FastHasher(), "", bareAdminPassword); err != nil {
		t.Fatal(err)
	}
	return a
}

// uncachedToken opens a session no request has used: authenticating it asks the store.
func uncachedToken(t *testing.T, a *app.App) string {
	t.Helper()
	tok, _, err := a.Svc.Accounts.Login(t.Context(), auth.NewLoginLimiter(5, time.Minute), "admin", bareAdminPassword, "test")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// A store that fails while a token is checked is an outage (503), not a
// bad token (401), and the session cookie is left alone.
func TestAPIUnavailableWhenTheStoreFails(t *testing.T) {
	a := bareApp(t, slog.New(slog.DiscardHandler))
	srv := httptest.NewServer(a.API.Handler())
	t.Cleanup(srv.Close)
	tok := uncachedToken(t, a)
	a.Store.Close() // the database goes away
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b api.ErrorBody
	if err := json.NewDecoder(res.Body).Decode(&b); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusServiceUnavailable || b.Code != errs.Unavailable {
		t.Fatalf("status %d, code %q; want 503 %s", res.StatusCode, b.Code, errs.Unavailable)
	}
	if sc := res.Header.Values("Set-Cookie"); len(sc) > 0 {
		t.Errorf("the session cookie was touched: %q", sc)
	}
}

// A client that gave up is no server error: nothing logged above debug,
// status 499 in the metrics rather than a 5xx.
func TestAPIClientGone(t *testing.T) {
	log := &logRecords{}
	a := bareApp(t, slog.New(log))
	h := a.API.Handler()
	log.reset() // what starting the node said (e.g. the generated key file) is not the requests'
	// /me: the token check meets the cancelled context (not cached);
	// /cases: the token is cached and the case list meets it.
	for _, path := range []string{"/api/v1/me", "/api/v1/cases"} {
		tok := uncachedToken(t, a)
		if path == "/api/v1/cases" {
			if _, err := a.Svc.Accounts.Authenticate(t.Context(), tok); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		req := httptest.NewRequest("GET", path, nil).WithContext(ctx)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 499 {
			t.Errorf("%s: status %d, want 499 (%s)", path, rec.Code, rec.Body)
		}
	}
	if errs := log.at(slog.LevelWarn); len(errs) > 0 {
		t.Errorf("logged at warn or above: %q", errs)
	}
	if dbg := log.at(slog.LevelDebug); !slices.Contains(dbg, "client gone") {
		t.Errorf("no debug record of the client leaving: %q", dbg)
	}
	rec := httptest.NewRecorder()
	mreq := httptest.NewRequest("GET", "/metrics", nil)
	mreq.Header.Set("Authorization", "Bearer "+uncachedToken(t, a)) // /metrics: administrators only
	h.ServeHTTP(rec, mreq)
	b, _ := io.ReadAll(rec.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "whistle_http_request_duration_seconds_count") {
			continue
		}
		if strings.Contains(line, `status="5xx"`) {
			t.Errorf("a 5xx was counted: %s", line)
		}
		if strings.Contains(line, `route="/api/v1/me"`) && !strings.Contains(line, `status="499"`) {
			t.Errorf("not counted as 499: %s", line)
		}
	}
	if !strings.Contains(string(b), `status="499"`) {
		t.Errorf("no 499 in the metrics")
	}
}
