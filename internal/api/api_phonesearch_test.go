package api_test

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"whistle/internal/audit"
	"whistle/internal/casework"
	"whistle/internal/demo"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/pgtest"
)

// apiNewUser creates (as admin) a user of the unit with the role, with the
// demo password, and returns its username.
func (e *apiEnv) apiNewUser(name string, unit int64, role string) string {
	e.t.Helper()
	apiWant(e.t, e.apiDo(e.admin, "POST", "/api/v1/users", map[string]any{
		"username": name, "display_name": "测试" + name, "unit_id": unit, "roles": []string{role}, "password": demo.DemoPassword}), 201, nil)
	return name
}

// apiNewestAudit is the newest entry of the audit log.
func (e *apiEnv) apiNewestAudit() audit.Entry {
	e.t.Helper()
	var out struct {
		Entries []audit.Entry `json:"entries"`
	}
	apiWant(e.t, e.apiDo(e.admin, "GET", "/api/v1/audit", nil), 200, &out)
	if len(out.Entries) == 0 {
		e.t.Fatal("empty audit log")
	}
	newest := out.Entries[0]
	for _, x := range out.Entries {
		if x.ID > newest.ID {
			newest = x
		}
	}
	return newest
}

// TestPhoneSearchAPI: GET /cases?phone= is for the roles that take calls
// only (403 phone_search_forbidden before anything else), finds only
// complete numbers (422 for masked, partial or wildcard numbers), never
// finds a confidential citizen for a unit other than the city centre, the
// lead unit or the registering agent, shows citizens masked, writes one
// audit entry per search without the number, and answers 429 with
// Retry-After after PhoneSearchMax searches.
func TestPhoneSearchAPI(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { apiPhoneSearchSuite(t, apiOpen(t, "")) })
	t.Run("postgres", func(t *testing.T) { apiPhoneSearchSuite(t, apiOpen(t, pgtest.NewDatabase(t))) })
}

func apiPhoneSearchSuite(t *testing.T, e *apiEnv) {
	dAgent := e.apiNewUser("dagent-a", e.districtA.ID, org.RoleAgent)
	dDispatcher := e.apiNewUser("ddisp-a", e.districtA.ID, org.RoleDispatcher)

	// own: in district A, with street A; out: in district B; secret:
	// confidential, in district A, with street A; dsecret: confidential,
	// registered by district A's agent and dispatched to street A.
	mk := func(user string, p apiPoint, unit int64, confidential bool) (string, int64) {
		phone := e.apiPhone()
		in := e.apiCaseIn(p, phone)
		in["confidential"] = confidential
		c := e.apiCreate(user, in)
		e.apiAct(user, c.ID, "dispatch", map[string]any{"unit_id": unit})
		return phone, c.ID
	}
	ownP, ownID := mk(e.agent, e.gridA, e.streetA.ID, false)
	outP, outID := mk(e.agent, e.gridB, e.streetB.ID, false)
	secretP, secretID := mk(e.agent, e.gridA, e.streetA.ID, true)
	dsecretP, dsecretID := mk(dAgent, e.gridA, e.streetA.ID, true)
	phones := map[string]string{"own": ownP, "out": outP, "secret": secretP, "dsecret": dsecretP}
	ids := map[string]int64{"own": ownID, "out": outID, "secret": secretID, "dsecret": dsecretID}

	all := map[string]bool{"own": true, "out": true, "secret": true, "dsecret": true}
	tests := []struct {
		who   string
		user  string
		finds map[string]bool // nil: refused 403
	}{
		{"city agent", e.agent, all},
		{"city dispatcher", e.dispatcher, all},
		{"district agent", dAgent, map[string]bool{"own": true, "dsecret": true}},
		{"district dispatcher", dDispatcher, map[string]bool{"own": true}},
		{"district supervisor", e.supA, nil},
		{"city supervisor", "sup-city", nil},
		{"street handler", e.handlerA, nil},
		{"street leader", e.apiUserIn(e.streetA.ID, org.RoleLeader), nil},
		{"department handler", e.deptHandler, nil},
		{"grid worker", e.logins[org.RoleGridWorker], nil},
		{"analyst", e.analyst, nil},
		{"admin", e.admin, nil},
	}
	for _, tt := range tests {
		t.Run(tt.who, func(t *testing.T) {
			uid := e.apiUserID(tt.user)
			for _, kind := range []string{"own", "out", "secret", "dsecret"} {
				phone := phones[kind]
				before := e.apiNewestAudit()
				r := e.apiDo(tt.user, "GET", "/api/v1/cases?phone="+phone, nil)
				if tt.finds == nil {
					apiRefused(t, r, 403, errs.PhoneSearchForbidden)
					// the role first: a masked number or a bad filter is not read
					apiRefused(t, e.apiDo(tt.user, "GET", "/api/v1/cases?phone="+url.QueryEscape("137****0001")+"&sort=nonsense", nil), 403, errs.PhoneSearchForbidden)
					if a := e.apiNewestAudit(); a.ID != before.ID {
						t.Fatalf("%s: a refused search wrote %+v", kind, a)
					}
					continue
				}
				var p struct {
					Cases []lifecycle.Case `json:"cases"`
				}
				apiWant(t, r, 200, &p)
				want := 0
				if tt.finds[kind] {
					want = 1
				}
				if len(p.Cases) != want {
					t.Fatalf("%s (%s): %d cases, want %d: %s", kind, phone, len(p.Cases), want, r.Body)
				}
				if want == 1 && p.Cases[0].ID != ids[kind] {
					t.Fatalf("%s: found case %d, want %d", kind, p.Cases[0].ID, ids[kind])
				}
				masked := phone[:3] + "****" + phone[7:]
				if bytes.Contains(r.Body, []byte(phone)) || (want == 1 && p.Cases[0].Citizen.Phone != masked) {
					t.Fatalf("%s: citizen not masked: %s", kind, r.Body)
				}
				a := e.apiNewestAudit()
				if a.ID != before.ID+1 || a.Action != "search_phone" || a.UserID != uid {
					t.Fatalf("%s: newest audit entry %+v, want one search_phone by user %d", kind, a, uid)
				}
				var d struct {
					PhoneHash string  `json:"phone_hash"`
					Results   int     `json:"results"`
					Cases     []int64 `json:"cases"`
				}
				if err := json.Unmarshal([]byte(a.Detail), &d); err != nil {
					t.Fatal(err)
				}
				if d.Results != want || len(d.Cases) != want || len(d.PhoneHash) != 52 {
					t.Fatalf("%s: audit detail %s, want %d results and the keyed hash", kind, a.Detail, want)
				}
				if strings.Contains(a.Detail+a.Target, phone) || strings.Contains(a.Detail+a.Target, phone[7:]) {
					t.Fatalf("%s: the audit entry holds the number: %+v", kind, a)
				}
			}
		})
	}

	// Only complete numbers: masked, wildcards, partial, short, service
	// numbers are refused (422) — uncounted and unaudited.
	before := e.apiNewestAudit()
	for _, bad := range []string{"137****0001", ownP[:7] + "****", ownP[:10], ownP[:10] + "*", ownP[:10] + "%", ownP[:10] + "_", "%", "1370%", ownP[3:], "95588", "400-123-4567", "12345"} {
		b := apiRefused(t, e.apiDo(e.agent, "GET", "/api/v1/cases?phone="+url.QueryEscape(bad), nil), 422, errs.InvalidPhone)
		if b.Field != "phone" {
			t.Errorf("%q: field %q, want phone", bad, b.Field)
		}
	}
	if a := e.apiNewestAudit(); a.ID != before.ID {
		t.Fatalf("a refused number wrote %+v", a)
	}
	// A number as typed (spaces, +86) is the number.
	var p struct {
		Cases []lifecycle.Case `json:"cases"`
	}
	apiWant(t, e.apiDo(e.agent, "GET", "/api/v1/cases?phone="+url.QueryEscape("+86 "+ownP[:3]+" "+ownP[3:7]+" "+ownP[7:]), nil), 200, &p)
	if len(p.Cases) != 1 || p.Cases[0].ID != ownID {
		t.Fatalf("formatted number found %+v", p.Cases)
	}

	// The allowance: PhoneSearchMax searches per user, then 429 with
	// Retry-After, for this user only; the refused one is not audited.
	fresh := e.apiNewUser("agent-rate", e.districtA.ID, org.RoleAgent)
	for i := range casework.PhoneSearchMax {
		if r := e.apiDo(fresh, "GET", "/api/v1/cases?phone="+ownP, nil); r.Status != 200 {
			t.Fatalf("search %d: %v", i+1, r)
		}
	}
	before = e.apiNewestAudit()
	r := e.apiDo(fresh, "GET", "/api/v1/cases?phone="+ownP, nil)
	apiRefused(t, r, 429, errs.PhoneSearchLimited)
	if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 600 {
		t.Errorf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	if a := e.apiNewestAudit(); a.ID != before.ID {
		t.Fatalf("a limited search wrote %+v", a)
	}
	// an incomplete number is refused as such even then (it is not a search)
	apiRefused(t, e.apiDo(fresh, "GET", "/api/v1/cases?phone=137****0001", nil), 422, errs.InvalidPhone)
	// other users keep their allowance; lists without a phone are not limited
	apiWant(t, e.apiDo(dDispatcher, "GET", "/api/v1/cases?phone="+ownP, nil), 200, nil)
	apiWant(t, e.apiDo(fresh, "GET", "/api/v1/cases?limit=5", nil), 200, nil)
}
