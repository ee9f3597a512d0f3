package api_test

import (
	"strconv"
	"strings"
	"testing"

	"whistle/internal/errs"
)

// TestWebhooksAPI: an administrator creates a webhook (the secret comes
// back once), a loopback URL or a bad filter is a 422 naming the field, the
// list never shows secrets, deliveries and replay answer, and the agent is
// refused.
func TestWebhooksAPI(t *testing.T) {
	e := apiOpen(t, "")
	type hook struct {
		ID     int64            `json:"id"`
		Name   string           `json:"name"`
		URL    string           `json:"url"`
		Types  string           `json:"types"`
		Active bool             `json:"active"`
		Secret string           `json:"secret"`
		Counts map[string]int64 `json:"counts"`
	}
	if b := apiRefused(t, e.apiDo(e.admin, "POST", "/api/v1/webhooks", map[string]any{"name": "x", "url": "http://127.0.0.1:8080/"}), 422, errs.Invalid); b.Field != "url" {
		t.Fatalf("loopback: field %q", b.Field)
	}
	if b := apiRefused(t, e.apiDo(e.admin, "POST", "/api/v1/webhooks", map[string]any{"name": "x", "url": "ftp://example.org/"}), 422, errs.Invalid); b.Field != "url" {
		t.Fatalf("ftp: field %q", b.Field)
	}
	if b := apiRefused(t, e.apiDo(e.admin, "POST", "/api/v1/webhooks", map[string]any{"name": "x", "url": "https://example.org/", "types": "case/<x>"}), 422, errs.Invalid); b.Field != "types" {
		t.Fatalf("types: field %q", b.Field)
	}
	apiRefused(t, e.apiDo(e.admin, "POST", "/api/v1/webhooks", map[string]any{"url": "https://example.org/"}), 422, errs.FieldRequired)
	var h hook
	apiWant(t, e.apiDo(e.admin, "POST", "/api/v1/webhooks", map[string]any{"name": "区数据平台", "url": "https://hooks.example.org/w", "types": "case.*,whistle.summoned"}), 201, &h)
	if h.ID == 0 || !strings.HasPrefix(h.Secret, "whsec_") || !h.Active {
		t.Fatalf("created %+v", h)
	}
	var list []hook
	apiWant(t, e.apiDo(e.admin, "GET", "/api/v1/webhooks", nil), 200, &list)
	if len(list) != 1 || list[0].Secret != "" || list[0].Name != "区数据平台" {
		t.Fatalf("list %+v", list)
	}
	id := strconv.FormatInt(h.ID, 10)
	var rotated hook
	apiWant(t, e.apiDo(e.admin, "PUT", "/api/v1/webhooks/"+id, map[string]any{"name": "区数据平台", "url": "https://hooks.example.org/w", "rotate_secret": true, "active": false}), 200, &rotated)
	if rotated.Secret == "" || rotated.Secret == h.Secret || rotated.Active {
		t.Fatalf("rotated %+v", rotated)
	}
	var ds []map[string]any
	apiWant(t, e.apiDo(e.admin, "GET", "/api/v1/webhooks/"+id+"/deliveries?state=dead", nil), 200, &ds)
	apiRefused(t, e.apiDo(e.admin, "GET", "/api/v1/webhooks/"+id+"/deliveries?state=lost", nil), 422, errs.Invalid)
	var rep map[string]int64
	apiWant(t, e.apiDo(e.admin, "POST", "/api/v1/webhooks/"+id+"/replay", nil), 200, &rep)
	if rep["replayed"] != 0 {
		t.Fatalf("replayed %v", rep)
	}
	apiRefused(t, e.apiDo(e.admin, "POST", "/api/v1/webhooks/"+id+"/replay", map[string]any{"delivery_id": 999999}), 404, errs.NotFound)
	apiRefused(t, e.apiDo(e.agent, "GET", "/api/v1/webhooks", nil), 403, errs.Forbidden)
	apiRefused(t, e.apiDo(e.admin, "GET", "/api/v1/webhooks/999999", nil), 404, errs.NotFound)
	apiWant(t, e.apiDo(e.admin, "DELETE", "/api/v1/webhooks/"+id, nil), 204, nil)
	apiRefused(t, e.apiDo(e.admin, "DELETE", "/api/v1/webhooks/"+id, nil), 404, errs.NotFound)
}
