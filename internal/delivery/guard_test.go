package delivery

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"whistle/internal/events"
	"whistle/internal/store"
)

func TestGuardCheckURL(t *testing.T) {
	strict, open := Guard{}, Guard{AllowPrivate: true}
	for _, c := range []struct {
		url          string
		strict, open bool // allowed
	}{
		{"https://hooks.example.org/whistle", true, true},
		{"http://hooks.example.org:8080/x", true, true},
		{"ftp://example.org/x", false, false},
		{"file:///etc/passwd", false, false},
		{"javascript:alert(1)", false, false},
		{"https://user:pw@example.org/", false, false},
		{"https:///nohost", false, false},
		{"http://127.0.0.1:9000/", false, true},
		{"http://[::1]/", false, true},
		{"http://10.1.2.3/", false, true},
		{"http://192.168.1.1/", false, true},
		{"http://169.254.169.254/latest/meta-data/", false, false},
		{"http://0.0.0.0/", false, false},
		{"http://[::ffff:127.0.0.1]/", false, true},
		{"http://224.0.0.1/", false, false},
		{"not a url", false, false},
	} {
		if got := strict.CheckURL(c.url) == nil; got != c.strict {
			t.Errorf("strict %q: allowed=%v", c.url, got)
		}
		if got := open.CheckURL(c.url) == nil; got != c.open {
			t.Errorf("allow-private %q: allowed=%v", c.url, got)
		}
	}
}

// TestGuardRefusesLoopbackAtDial: with the guard on, a URL whose name
// resolves to loopback ("localhost") is refused when dialled, not only when
// entered; with AllowPrivate it is delivered.
func TestGuardRefusesLoopbackAtDial(t *testing.T) {
	hit := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit++ }))
	defer srv.Close()
	url := "http://localhost:" + srv.Listener.Addr().(interface{ String() string }).String()[len("127.0.0.1:"):] + "/"
	sub := store.Subscription{ID: 1, Kind: store.SubWebhook, URL: url, Secret: "0123456789abcdef"}
	env := events.Envelope{ID: "evt_1", Type: "case.create"}
	_, err := NewWebhookSender(Guard{}, 5*time.Second).Send(context.Background(), sub, env, []byte(`{}`))
	if !errors.Is(err, ErrBlocked) || hit != 0 {
		t.Fatalf("strict guard: %v, hits %d", err, hit)
	}
	if _, err := NewWebhookSender(Guard{AllowPrivate: true}, 5*time.Second).Send(context.Background(), sub, env, []byte(`{}`)); err != nil || hit != 1 {
		t.Fatalf("allow-private: %v, hits %d", err, hit)
	}
}
