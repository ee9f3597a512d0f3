package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"whistle/internal/audit"
	"whistle/internal/auth"
	"whistle/internal/casework"
	"whistle/internal/demo"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

// TestCallerHistoryPhoneSearch: the agent screen's caller history
// (/agent/history) is the API's phone search — for the roles that take
// calls only (403 for the others, before the number is read), complete
// numbers only (422 for a masked one), confidential citizens never found
// by a unit other than the city centre or the case's own, one audit entry
// per search without the number, and one allowance shared with the API
// (429 with Retry-After on the search after PhoneSearchMax).
func TestCallerHistoryPhoneSearch(t *testing.T) {
	s := newSite(t)
	ctx := t.Context()
	svc := s.app.Svc
	agent := s.actor(s.logins[org.RoleAgent])
	admin := s.actor(s.logins[org.RoleAdmin])
	handler := s.actor(s.logins[org.RoleHandler])
	if handler.Unit.Kind != org.KindStreet || handler.Unit.SupervisorID == 0 {
		t.Fatalf("demo handler %s is not in a street office", handler.User.Username)
	}
	var other org.Unit // a street of another district
	for _, u := range svc.UnitsList() {
		if u.Kind == org.KindStreet && u.SupervisorID != handler.Unit.SupervisorID {
			other = u
			break
		}
	}
	if other.ID == 0 {
		t.Fatal("no street in another district")
	}
	// Agents of the handler's district centre (the demo has none).
	newUser := func(name string, role string) string {
		if _, err := svc.Admin.CreateUser(ctx, admin, org.User{Username: name, DisplayName: "测试" + name, UnitID: handler.Unit.SupervisorID, Roles: []string{role}}, demo.DemoPassword, auth.FastHasher()); err != nil {
			t.Fatal(err)
		}
		s.logins[name] = name
		return name
	}
	newUser("district-agent", org.RoleAgent)

	seq := 0
	mk := func(street org.Unit, confidential bool) (string, *lifecycle.Case) {
		seq++
		phone := fmt.Sprintf("1360000%04d", seq)
		c, _, err := svc.Cases.Create(ctx, agent, casework.NewCase{Channel: "phone", Type: "complaint", Category: "urban.stall",
			Description: "小区门口有人占道摆摊，影响通行。", CitizenName: "王小明", CitizenPhone: phone, Confidential: confidential, PlaceID: street.PlaceID}, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Cases.Act(ctx, agent, c.ID, casework.ActInput{Action: lifecycle.ActDispatch, UnitID: street.ID}); err != nil {
			t.Fatal(err)
		}
		return phone, c
	}
	type target struct {
		phone string
		c     *lifecycle.Case
	}
	cases := map[string]target{}
	for _, k := range []struct {
		name         string
		street       org.Unit
		confidential bool
	}{{"own", handler.Unit, false}, {"out", other, false}, {"secret", handler.Unit, true}} {
		p, c := mk(k.street, k.confidential)
		cases[k.name] = target{p, c}
	}
	newest := func() audit.Entry {
		t.Helper()
		es, err := svc.Admin.AuditLog(ctx, admin, 0, 1)
		if err != nil || len(es) != 1 {
			t.Fatalf("audit log: %v %v", es, err)
		}
		return es[0]
	}
	history := func(c *http.Client, phone string) (int, http.Header, string) {
		t.Helper()
		res, err := c.Get(s.base + "/agent/history?" + url.Values{"citizen_phone": {phone}}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, res.Header, body(t, res)
	}

	all := map[string]bool{"own": true, "out": true, "secret": true}
	tests := []struct {
		role  string
		finds map[string]bool // nil: 403
	}{
		{org.RoleAgent, all},
		{org.RoleDispatcher, all},
		{"district-agent", map[string]bool{"own": true}},
		{org.RoleSupervisor, nil},
		{org.RoleHandler, nil},
		{org.RoleLeader, nil},
		{org.RoleGridWorker, nil},
		{org.RoleAnalyst, nil},
		{org.RoleAdmin, nil},
	}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			c := s.client(tt.role)
			for _, kind := range []string{"own", "out", "secret"} {
				tg := cases[kind]
				before := newest()
				st, _, b := history(c, tg.phone)
				if strings.Contains(b, tg.phone) {
					t.Fatalf("%s: the page shows the number in clear", kind)
				}
				if tt.finds == nil {
					if st != 403 || strings.Contains(b, tg.c.Number) || !strings.Contains(b, "仅接听来电的话务员和派单员可按电话号码查询") {
						t.Fatalf("%s: status %d, want 403 without the case", kind, st)
					}
					if st, _, _ := history(c, "136****0001"); st != 403 {
						t.Fatalf("masked number: status %d, want 403 (the role first)", st)
					}
					if a := newest(); a.ID != before.ID {
						t.Fatalf("%s: a refused search wrote %+v", kind, a)
					}
					continue
				}
				if st != 200 || !strings.Contains(b, `id="history"`) {
					t.Fatalf("%s: status %d: %s", kind, st, b)
				}
				if got := strings.Contains(b, tg.c.Number); got != tt.finds[kind] {
					t.Fatalf("%s: case shown %v, want %v: %s", kind, got, tt.finds[kind], b)
				}
				a := newest()
				var d struct {
					Results int `json:"results"`
				}
				_ = json.Unmarshal([]byte(a.Detail), &d)
				want := 0
				if tt.finds[kind] {
					want = 1
				}
				if a.ID != before.ID+1 || a.Action != "search_phone" || a.UserID != s.actor(s.logins[tt.role]).User.ID || d.Results != want {
					t.Fatalf("%s: newest audit entry %+v, want search_phone with %d results", kind, a, want)
				}
				if strings.Contains(a.Detail+a.Target, tg.phone) {
					t.Fatalf("%s: the audit entry holds the number", kind)
				}
			}
		})
	}

	// A masked or partial number: 422 with the panel (help text), nothing
	// searched, nothing written; an empty field asks nothing.
	c := s.client(org.RoleAgent)
	before := newest()
	for _, bad := range []string{"136****0001", "1360000", "136000000*"} {
		st, _, b := history(c, bad)
		if st != 422 || !strings.Contains(b, `id="history"`) || !strings.Contains(b, "输入来电号码后显示") {
			t.Fatalf("%q: status %d: %s", bad, st, b)
		}
	}
	if st, _, b := history(c, ""); st != 200 || !strings.Contains(b, "输入来电号码后显示") {
		t.Fatalf("empty: status %d: %s", st, b)
	}
	if a := newest(); a.ID != before.ID {
		t.Fatalf("an incomplete number wrote %+v", a)
	}

	// One allowance for the API and the pages.
	fresh := newUser("rate-agent", org.RoleAgent)
	fc := s.client(fresh)
	for i := range casework.PhoneSearchMax {
		var st int
		if i%2 == 0 {
			res, err := fc.Get(s.base + "/api/v1/cases?phone=" + cases["own"].phone)
			if err != nil {
				t.Fatal(err)
			}
			st = res.StatusCode
			body(t, res)
		} else {
			st, _, _ = history(fc, cases["own"].phone)
		}
		if st != 200 {
			t.Fatalf("search %d: status %d", i+1, st)
		}
	}
	before = newest()
	st, hdr, b := history(fc, cases["own"].phone)
	if st != 429 || !strings.Contains(b, `id="history"`) || !strings.Contains(b, "按电话号码查询过于频繁") || strings.Contains(b, cases["own"].c.Number) {
		t.Fatalf("search %d on the page: status %d: %s", casework.PhoneSearchMax+1, st, b)
	}
	if ra, err := strconv.Atoi(hdr.Get("Retry-After")); err != nil || ra < 1 {
		t.Errorf("Retry-After %q", hdr.Get("Retry-After"))
	}
	res, err := fc.Get(s.base + "/api/v1/cases?phone=" + cases["own"].phone)
	if err != nil {
		t.Fatal(err)
	}
	if b := body(t, res); res.StatusCode != 429 || !strings.Contains(b, "phone_search_limited") {
		t.Fatalf("the API after the page's allowance: %d %s", res.StatusCode, b)
	}
	if a := newest(); a.ID != before.ID {
		t.Fatalf("a limited search wrote %+v", a)
	}

	// The agent screen itself still shows the panel.
	res, err = c.Get(s.base + "/agent")
	if err != nil {
		t.Fatal(err)
	}
	if b := body(t, res); res.StatusCode != 200 || !strings.Contains(b, `id="history"`) || !strings.Contains(b, `hx-get="/agent/history"`) {
		t.Fatalf("agent screen: %d", res.StatusCode)
	}
}
