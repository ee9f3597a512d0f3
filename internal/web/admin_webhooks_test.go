package web_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"whistle/internal/delivery"
	"whistle/internal/events"
	"whistle/internal/org"
	"whistle/internal/store"
)

type failingSender struct{}

func (failingSender) Send(context.Context, store.Subscription, events.Envelope, []byte) (int, error) {
	return 503, errors.New("HTTP 503")
}

// TestAdminWebhooksPage: an administrator adds a webhook (a loopback URL is
// refused by the SSRF guard, the field named), sees its secret once, finds
// its dead letters and replays them; others may not see the page.
func TestAdminWebhooksPage(t *testing.T) {
	s := newSite(t)
	admin := s.client(org.RoleAdmin)
	res, _ := admin.Get(s.base + "/admin/webhooks")
	if page := body(t, res); res.StatusCode != 200 || !strings.Contains(page, `id="create"`) || !strings.Contains(page, "事件订阅") {
		t.Fatalf("page %d", res.StatusCode)
	}
	res, _ = admin.PostForm(s.base+"/admin/webhooks", url.Values{"name": {"内网"}, "url": {"http://127.0.0.1:9/x"}, "active": {"1"}})
	if page := body(t, res); res.StatusCode != 422 || !strings.Contains(page, `id="new-url" name="url" type="url" value="http://127.0.0.1:9/x" placeholder="https://" aria-invalid="true"`) || !strings.Contains(page, `value="内网"`) {
		t.Fatalf("loopback URL: %d %s", res.StatusCode, page)
	}
	res, _ = admin.PostForm(s.base+"/admin/webhooks", url.Values{"name": {"区数据平台"}, "url": {"https://hooks.example.org/whistle"}, "types": {"case.*"}, "active": {"1"}})
	page := body(t, res)
	if res.StatusCode != 201 || !strings.Contains(page, `<code id="secret">whsec_`) {
		t.Fatalf("create: %d", res.StatusCode)
	}
	res, _ = admin.Get(s.base + "/admin/webhooks")
	if page := body(t, res); strings.Contains(page, "whsec_") || !strings.Contains(page, "hooks.example.org") {
		t.Fatal("the list shows the secret, or not the webhook")
	}
	subs, err := s.app.Store.Subscriptions(t.Context(), store.SubWebhook)
	if err != nil || len(subs) != 1 {
		t.Fatalf("%v %v", subs, err)
	}
	id := strconv.FormatInt(subs[0].ID, 10)

	// The demo's case events (not yet fanned out: no worker ran) fail to
	// deliver once and go to the dead-letter list (the page shows 100).
	before, _ := s.app.Store.DeliveryCounts(t.Context(), subs[0].ID)
	w := &delivery.Worker{St: s.app.Store, Node: "t", Backoff: events.Backoff{Base: 1, Max: 1, MaxAttempts: 1}, Senders: map[string]delivery.Sender{store.SubWebhook: failingSender{}}}
	for {
		n, err := w.Step(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	counts, _ := s.app.Store.DeliveryCounts(t.Context(), subs[0].ID)
	if counts[store.DeliveryDead] == 0 || before[store.DeliveryDead] != 0 {
		t.Fatalf("dead letters %v (before %v)", counts, before)
	}
	res, _ = admin.Get(s.base + "/admin/webhooks/" + id + "?state=dead")
	page = body(t, res)
	if res.StatusCode != 200 || strings.Count(page, `class="secondary replay-one"`) != min(int(counts[store.DeliveryDead]), 100) || !strings.Contains(page, "HTTP 503") {
		t.Fatalf("dead letters page %d", res.StatusCode)
	}
	res, _ = admin.PostForm(s.base+"/admin/webhooks/"+id+"/replay", url.Values{})
	page = body(t, res)
	if res.StatusCode != 200 || res.Request.URL.Path != "/admin/webhooks/"+id {
		t.Fatalf("replay: %d %s", res.StatusCode, res.Request.URL)
	}
	after, _ := s.app.Store.DeliveryCounts(t.Context(), subs[0].ID)
	if after[store.DeliveryDead] != 0 || after[store.DeliveryPending] != counts[store.DeliveryDead] {
		t.Fatalf("after replay %v", after)
	}
	// Edit: deactivate.
	res, _ = admin.PostForm(s.base+"/admin/webhooks/"+id, url.Values{"name": {"区数据平台"}, "url": {"https://hooks.example.org/whistle"}, "types": {"case.*"}})
	body(t, res)
	if sub, _ := s.app.Store.Subscription(t.Context(), subs[0].ID); sub.Active || res.StatusCode != 200 {
		t.Fatalf("still active after unchecking (%d)", res.StatusCode)
	}
	for _, role := range []string{org.RoleAgent, org.RoleDispatcher} {
		res, err := s.client(role).Get(s.base + "/admin/webhooks")
		if err != nil {
			t.Fatal(err)
		}
		body(t, res)
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d", role, res.StatusCode)
		}
	}
}
