package web_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"whistle/internal/org"
)

// TestAdminOpen311Page: an administrator creates an API key on the page
// (shown once, listed by its prefix only, accepted by the Open311 API),
// revokes it (refused from then on), maps a service with attributes
// (bad JSON names the field, nothing saved), and deletes the mapping;
// other roles get 403.
func TestAdminOpen311Page(t *testing.T) {
	s := newSite(t)
	admin := s.client(org.RoleAdmin)
	res, _ := admin.Get(s.base + "/admin/open311")
	page := body(t, res)
	if res.StatusCode != 200 || !strings.Contains(page, `href="/admin/open311"`) || !strings.Contains(page, "还没有接口密钥") {
		t.Fatalf("page: %d", res.StatusCode)
	}
	res, _ = admin.PostForm(s.base+"/admin/open311/keys", url.Values{"name": {"FixMyStreet"}})
	page = body(t, res)
	m := regexp.MustCompile(`<code id="new-key-value">(w311_[0-9a-f]+)</code>`).FindStringSubmatch(page)
	if res.StatusCode != 200 || m == nil {
		t.Fatalf("create: %d, no key shown", res.StatusCode)
	}
	key := m[1]
	res, _ = admin.Get(s.base + "/admin/open311")
	page = body(t, res)
	if strings.Contains(page, key) || !strings.Contains(page, key[:11]+"…") {
		t.Fatal("the list shows the key, or not its prefix")
	}
	post := func(k string) int {
		r, err := s.client("").PostForm(s.base+"/open311/v2/requests.json", url.Values{"api_key": {k}, "service_code": {"nosuch"}, "address_string": {"x"}})
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		return r.StatusCode
	}
	if st := post(key); st != 400 { // the key passes; the service code is what is wrong
		t.Fatalf("valid key: %d", st)
	}
	id := regexp.MustCompile(`action="/admin/open311/keys/(\d+)/revoke"`).FindStringSubmatch(page)
	if id == nil {
		t.Fatal("no revoke button")
	}
	res, _ = admin.PostForm(s.base+"/admin/open311/keys/"+id[1]+"/revoke", nil)
	if page = body(t, res); res.StatusCode != 200 || !strings.Contains(page, "已吊销") {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
	if st := post(key); st != 403 {
		t.Fatalf("revoked key: %d", st)
	}

	svc := url.Values{"service_code": {"stall2"}, "category": {"urban.stall"}, "service_name": {"占道"}, "active": {"1"},
		"attributes": {`[{"variable":true,"code":"size","datatype":"singlevaluelist","required":true,"order":1,"description":"规模","values":[{"key":"s","name":"少"}]}]`}}
	bad := url.Values{}
	for k, v := range svc {
		bad[k] = v
	}
	bad.Set("attributes", `[{"code":`)
	res, _ = admin.PostForm(s.base+"/admin/open311/services", bad)
	if page = body(t, res); res.StatusCode != 422 || !strings.Contains(page, `name="attributes" class="code" spellcheck="false" aria-invalid="true"`) {
		t.Fatalf("bad JSON: %d", res.StatusCode)
	}
	res, _ = admin.PostForm(s.base+"/admin/open311/services", svc)
	if page = body(t, res); res.StatusCode != 200 || !strings.Contains(page, `id="svc-stall2"`) {
		i := strings.Index(page, "field-error")
		t.Fatalf("save: %d %s", res.StatusCode, page[max(0, i-300):min(len(page), i+300)])
	}
	r, err := s.client("").Get(s.base + "/open311/v2/services/stall2.json")
	if err != nil || r.StatusCode != 200 {
		t.Fatalf("definition: %v %v", r, err)
	}
	r.Body.Close()
	res, _ = admin.PostForm(s.base+"/admin/open311/services/stall2/delete", nil)
	if page = body(t, res); res.StatusCode != 200 || strings.Contains(page, `id="svc-stall2"`) {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	agent := s.client(org.RoleAgent)
	if res, _ := agent.Get(s.base + "/admin/open311"); res.StatusCode != 403 {
		t.Fatalf("agent: %d", res.StatusCode)
	}
}
