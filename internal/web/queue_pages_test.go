package web_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"whistle/internal/casework"
	"whistle/internal/org"
)

// The queue page is the centre's: other roles are refused, bad input is a
// 400, a case that cannot go is reported as refused, not as a failure.
func TestQueuePageRolesAndRefusals(t *testing.T) {
	s := newSite(t)
	agent, handler, sup := s.client(org.RoleAgent), s.client(org.RoleHandler), s.client(org.RoleSupervisor)

	res, err := agent.Get(s.base + "/queue")
	if err != nil {
		t.Fatal(err)
	}
	if page := body(t, res); res.StatusCode != 200 || !strings.Contains(page, `id="queue"`) || !strings.Contains(page, `href="/queue"`) {
		t.Fatalf("agent's /queue: status %d", res.StatusCode)
	}
	for _, c := range []struct {
		name string
		get  func() (int, string)
	}{
		{"handler GET", func() (int, string) { r, _ := handler.Get(s.base + "/queue"); return r.StatusCode, body(t, r) }},
		{"supervisor GET", func() (int, string) { r, _ := sup.Get(s.base + "/queue"); return r.StatusCode, body(t, r) }},
		{"handler POST", func() (int, string) {
			r, _ := handler.PostForm(s.base+"/queue/dispatch", url.Values{"id": {"1"}})
			return r.StatusCode, body(t, r)
		}},
	} {
		if st, page := c.get(); st != 403 || strings.Contains(page, `id="queue"`) {
			t.Fatalf("%s /queue: status %d", c.name, st)
		}
	}
	res, err = handler.Get(s.base + "/inbox")
	if err != nil {
		t.Fatal(err)
	}
	if page := body(t, res); strings.Contains(page, `href="/queue"`) {
		t.Fatal("the handler's menu links to the centre's queue")
	}

	res, err = agent.PostForm(s.base+"/queue/dispatch", url.Values{"id": {"abc"}})
	if err != nil {
		t.Fatal(err)
	}
	if body(t, res); res.StatusCode != 400 {
		t.Fatalf("id=abc: status %d", res.StatusCode)
	}
	res, err = agent.PostForm(s.base+"/queue/dispatch", url.Values{"id": {"999999999"}})
	if err != nil {
		t.Fatal(err)
	}
	if page := body(t, res); res.StatusCode != 200 || !strings.Contains(page, `id="queue-results"`) || !strings.Contains(page, `class="refused" data-case="999999999"`) {
		t.Fatalf("unknown case: status %d", res.StatusCode)
	}

	// The map's data: every open order in scope, counted, for those who oversee.
	res, err = sup.Get(s.base + "/supervisor/data.json")
	if err != nil {
		t.Fatal(err)
	}
	var m casework.OrderMap
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil || res.StatusCode != 200 {
		t.Fatalf("supervisor data: %d, %v", res.StatusCode, err)
	}
	res.Body.Close()
	if len(m.Points) != m.Located || m.Located > m.Open || m.Capped {
		t.Fatalf("map data: %d points, %d located, %d open, capped %v", len(m.Points), m.Located, m.Open, m.Capped)
	}
	res, err = handler.Get(s.base + "/supervisor/data.json")
	if err != nil {
		t.Fatal(err)
	}
	if body(t, res); res.StatusCode != 403 {
		t.Fatalf("handler's map data: status %d", res.StatusCode)
	}
}
