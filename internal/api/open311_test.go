package api_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"whistle/internal/auth"
	"whistle/internal/lifecycle"
	"whistle/internal/pgtest"
)

// The Open311 contract: a client written against GeoReport v2 (and
// mySociety's servicerequestupdates) — not against Whistle — discovers the
// server, lists services, reads a definition, posts requests with single
// and multi-value attributes, reads them back by id and by token, pages
// through the list, follows their updates and posts one, in JSON and XML;
// every response of every endpoint is checked against the schemas in
// testdata/open311, and every error (400, 403, 404, 429) is in the spec's
// format in both.

func TestOpen311ContractSQLite(t *testing.T) { o311Contract(t, apiOpen(t, "")) }

func TestOpen311ContractPostgres(t *testing.T) {
	o311Contract(t, apiOpen(t, pgtest.NewDatabase(t)))
}

// o311Client is the spec's client: it knows URLs, forms and documents.
type o311Client struct {
	e       *apiEnv
	schemas map[string]o311Schema
}

// do sends a GET (form nil) or a form POST to an absolute path of the
// server and returns the status, content type and body.
func (c *o311Client) do(method, path string, form url.Values) (int, string, []byte) {
	c.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(c.e.ctx, method, c.e.srv.URL+path, body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.e.srv.Client().Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// get fetches and checks a document: its status, its content type, its
// schema.
func (c *o311Client) get(method, path string, form url.Values, format string, status int, schema string) []byte {
	c.e.t.Helper()
	st, ct, b := c.do(method, path, form)
	if st != status {
		c.e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, st, status, o311Cut(b))
	}
	want := map[string]string{"json": "application/json", "xml": "text/xml"}[format]
	if !strings.HasPrefix(ct, want) || !strings.Contains(ct, "utf-8") {
		c.e.t.Fatalf("%s %s: Content-Type %q, want %s; charset=utf-8", method, path, ct, want)
	}
	o311Conform(c.e.t, c.schemas, schema, format, b)
	return b
}

// refused checks an error response: status, the spec's format, the code
// in the body equal to the status, and a description containing want.
func (c *o311Client) refused(method, path string, form url.Values, format string, status int, want string) {
	c.e.t.Helper()
	b := c.get(method, path, form, format, status, "errors")
	var errsOut []struct {
		Code        int    `json:"code" xml:"code"`
		Description string `json:"description" xml:"description"`
	}
	if format == "xml" {
		var doc struct {
			Errors []struct {
				Code        int    `xml:"code"`
				Description string `xml:"description"`
			} `xml:"error"`
		}
		if err := xml.Unmarshal(b, &doc); err != nil {
			c.e.t.Fatal(err)
		}
		for _, x := range doc.Errors {
			errsOut = append(errsOut, struct {
				Code        int    `json:"code" xml:"code"`
				Description string `json:"description" xml:"description"`
			}{x.Code, x.Description})
		}
	} else if err := json.Unmarshal(b, &errsOut); err != nil {
		c.e.t.Fatal(err)
	}
	if len(errsOut) != 1 || errsOut[0].Code != status || !strings.Contains(errsOut[0].Description, want) {
		c.e.t.Fatalf("%s %s: errors %+v, want code %d with %q", method, path, errsOut, status, want)
	}
}

// decode reads a checked document into v (JSON or XML).
func o311Decode(t *testing.T, format string, b []byte, v any) {
	t.Helper()
	var err error
	if format == "xml" {
		err = xml.Unmarshal(b, v)
	} else {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		t.Fatalf("decode %T: %v\n%s", v, err, o311Cut(b))
	}
}

// The documents as the client reads them (names from the spec).
type (
	o311Endpoint struct {
		Specification string   `json:"specification" xml:"specification"`
		URL           string   `json:"url" xml:"url"`
		Formats       []string `json:"formats" xml:"formats>format"`
	}
	o311Disc struct {
		Endpoints []o311Endpoint `json:"endpoints" xml:"endpoints>endpoint"`
	}
	o311Svc struct {
		Code     string `json:"service_code" xml:"service_code"`
		Metadata bool   `json:"metadata" xml:"metadata"`
	}
	o311Attr struct {
		Code     string `json:"code" xml:"code"`
		Datatype string `json:"datatype" xml:"datatype"`
		Required bool   `json:"required" xml:"required"`
		Values   []struct {
			Key string `json:"key" xml:"key"`
		} `json:"values" xml:"values>value"`
	}
	o311Def struct {
		Code       string     `json:"service_code" xml:"service_code"`
		Attributes []o311Attr `json:"attributes" xml:"attributes>attribute"`
	}
	o311Req struct {
		ID          string   `json:"service_request_id" xml:"service_request_id"`
		Token       string   `json:"token" xml:"token"`
		Status      string   `json:"status" xml:"status"`
		StatusNotes string   `json:"status_notes" xml:"status_notes"`
		ServiceCode string   `json:"service_code" xml:"service_code"`
		Description string   `json:"description" xml:"description"`
		Agency      string   `json:"agency_responsible" xml:"agency_responsible"`
		Requested   string   `json:"requested_datetime" xml:"requested_datetime"`
		Expected    string   `json:"expected_datetime" xml:"expected_datetime"`
		Lat         *float64 `json:"lat" xml:"lat"`
		MediaURL    string   `json:"media_url" xml:"media_url"`
		AccountID   string   `json:"account_id" xml:"account_id"`
		Extended    *struct {
			Attributes []struct {
				Code   string   `json:"code" xml:"code"`
				Values []string `json:"values" xml:"values>value"`
			} `json:"attributes" xml:"attributes>attribute"`
		} `json:"extended_attributes" xml:"extended_attributes"`
	}
	o311Reqs struct {
		Requests []o311Req `xml:"request"`
	}
	o311Upd struct {
		UpdateID    string `json:"update_id" xml:"update_id"`
		RequestID   string `json:"service_request_id" xml:"service_request_id"`
		Status      string `json:"status" xml:"status"`
		Description string `json:"description" xml:"description"`
	}
	o311Upds struct {
		Updates []o311Upd `xml:"request_update"`
	}
)

func o311Requests(t *testing.T, format string, b []byte) []o311Req {
	t.Helper()
	if format == "xml" {
		var d o311Reqs
		o311Decode(t, format, b, &d)
		return d.Requests
	}
	var out []o311Req
	o311Decode(t, format, b, &out)
	return out
}

func o311Updates(t *testing.T, format string, b []byte) []o311Upd {
	t.Helper()
	if format == "xml" {
		var d o311Upds
		o311Decode(t, format, b, &d)
		return d.Updates
	}
	var out []o311Upd
	o311Decode(t, format, b, &out)
	return out
}

func o311Contract(t *testing.T, e *apiEnv) {
	c := &o311Client{e: e, schemas: map[string]o311Schema{}}
	// The administrators give the client a key and map a service with
	// attributes onto a category (the admin API, JSON).
	var created struct {
		Key string `json:"key"`
		ID  int64  `json:"id"`
	}
	apiWant(t, e.apiDo(e.admin, "POST", "/api/v1/open311/keys", map[string]any{"name": "contract client"}), 201, &created)
	if !strings.HasPrefix(created.Key, "w311_") {
		t.Fatalf("key %q", created.Key)
	}
	key := created.Key
	apiWant(t, e.apiDo(e.admin, "PUT", "/api/v1/open311/services/stall", map[string]any{
		"service_code": "stall", "category": "urban.stall", "service_name": "占道经营", "description": "Street stalls", "group": "城市管理",
		"keywords": "stall,sidewalk", "active": true,
		"attributes": []map[string]any{
			{"variable": true, "code": "size", "datatype": "singlevaluelist", "required": true, "order": 1, "description": "规模",
				"values": []map[string]string{{"key": "small", "name": "少量"}, {"key": "large", "name": "大量"}}},
			{"variable": true, "code": "goods", "datatype": "multivaluelist", "order": 2, "description": "经营品类",
				"values": []map[string]string{{"key": "food", "name": "食品"}, {"key": "fruit", "name": "水果"}, {"key": "clothes", "name": "衣物"}}},
			{"variable": true, "code": "count", "datatype": "number", "order": 3, "description": "摊位数"},
			{"variable": true, "code": "seen", "datatype": "datetime", "order": 4, "description": "发现时间"},
			{"variable": true, "code": "note", "datatype": "text", "order": 5, "description": "补充"},
			{"variable": false, "code": "hint", "datatype": "string", "order": 0, "description": "请如实填写"},
		},
	}), 200, nil)
	// A bad definition is refused by the admin API.
	apiRefused(t, e.apiDo(e.admin, "PUT", "/api/v1/open311/services/bad", map[string]any{"service_code": "bad", "category": "urban.stall",
		"service_name": "x", "attributes": []map[string]any{{"code": "a", "datatype": "singlevaluelist"}}}), 422, "invalid")
	apiRefused(t, e.apiDo(e.agent, "GET", "/api/v1/open311/keys", nil), 403, "forbidden")

	phone := e.apiPhone()
	var revoked string
	{
		var k struct {
			Key string `json:"key"`
			ID  int64  `json:"id"`
		}
		apiWant(t, e.apiDo(e.admin, "POST", "/api/v1/open311/keys", map[string]any{"name": "old"}), 201, &k)
		apiWant(t, e.apiDo(e.admin, "POST", fmt.Sprintf("/api/v1/open311/keys/%d/revoke", k.ID), nil), 200, nil)
		revoked = k.Key
	}
	var keys struct {
		Keys []map[string]any `json:"keys"`
	}
	apiWant(t, e.apiDo(e.admin, "GET", "/api/v1/open311/keys", nil), 200, &keys)
	if len(keys.Keys) < 2 || strings.Contains(fmt.Sprint(keys.Keys), key) {
		t.Fatalf("key list %v: want the keys without their values", keys.Keys)
	}

	posted := map[string][]string{} // format → request ids posted
	for _, f := range []string{"json", "xml"} {
		t.Run(f, func(t *testing.T) {
			c.e.t = t
			defer func() { c.e.t = e.t }()
			// Discovery.
			var disc o311Disc
			o311Decode(t, f, c.get("GET", "/open311/discovery."+f, nil, f, 200, "discovery"), &disc)
			c.get("GET", "/open311/v2/discovery."+f, nil, f, 200, "discovery")
			if len(disc.Endpoints) == 0 || !strings.Contains(disc.Endpoints[0].Specification, "GeoReport_v2") ||
				!slices.Contains(disc.Endpoints[0].Formats, "text/xml") || !slices.Contains(disc.Endpoints[0].Formats, "application/json") {
				t.Fatalf("discovery %+v", disc)
			}
			u, err := url.Parse(disc.Endpoints[0].URL)
			if err != nil {
				t.Fatal(err)
			}
			base := u.Path // the endpoint, as discovered
			// Services.
			var svcs []o311Svc
			b := c.get("GET", base+"/services."+f, nil, f, 200, "services")
			if f == "xml" {
				var d struct {
					S []o311Svc `xml:"service"`
				}
				o311Decode(t, f, b, &d)
				svcs = d.S
			} else {
				o311Decode(t, f, b, &svcs)
			}
			i := slices.IndexFunc(svcs, func(s o311Svc) bool { return s.Code == "stall" })
			if i < 0 || !svcs[i].Metadata || len(svcs) < 5 {
				t.Fatalf("services %+v: want stall with metadata among the defaults", svcs)
			}
			if !slices.ContainsFunc(svcs, func(s o311Svc) bool { return s.Code != "stall" && !s.Metadata }) {
				t.Fatalf("no default service for an unmapped category")
			}
			c.get("GET", base+"/services."+f+"?jurisdiction_id="+o311City(e), nil, f, 200, "services")
			// The definition.
			var def o311Def
			o311Decode(t, f, c.get("GET", base+"/services/stall."+f, nil, f, 200, "service_definition"), &def)
			if def.Code != "stall" || len(def.Attributes) != 6 || def.Attributes[0].Code != "hint" || def.Attributes[1].Code != "size" || !def.Attributes[1].Required {
				t.Fatalf("definition %+v", def)
			}
			otherCode := svcs[slices.IndexFunc(svcs, func(s o311Svc) bool { return !s.Metadata })].Code
			var empty o311Def
			o311Decode(t, f, c.get("GET", base+"/services/"+url.PathEscape(otherCode)+"."+f, nil, f, 200, "service_definition"), &empty)
			if empty.Code != otherCode || len(empty.Attributes) != 0 {
				t.Fatalf("default service's definition %+v", empty)
			}
			// Post two requests with attributes (one multi-valued).
			desc := "路口有流动摊贩占用人行道 " + f
			form := url.Values{"api_key": {key}, "service_code": {"stall"}, "lat": {fmt.Sprint(e.gridA.Lat)}, "long": {fmt.Sprint(e.gridA.Lon)},
				"first_name": {"张"}, "last_name": {"三丰"}, "phone": {phone}, "email": {"zhang@example.org"}, "description": {desc},
				"media_url": {"https://example.org/photo.jpg"}, "account_id": {"acct-7"}, "device_id": {"dev-1"},
				"attribute[size]": {"large"}, "attribute[goods][]": {"food", "fruit"}, "attribute[count]": {"3"},
				"attribute[seen]": {"2026-03-02T08:00:00+08:00"}, "attribute[note]": {"早高峰最严重"}}
			var ids, tokens []string
			for n := range 2 {
				if n == 1 {
					form.Del("lat")
					form.Del("long")
					form.Set("address_string", "测试路2号")
				}
				var got []o311Req
				b := c.get("POST", base+"/requests."+f, form, f, 201, "post_response")
				if f == "xml" {
					got = o311Requests(t, f, b)
				} else {
					o311Decode(t, f, b, &got)
				}
				if len(got) != 1 || got[0].ID == "" || got[0].Token == "" || got[0].AccountID != "acct-7" {
					t.Fatalf("post answered %+v", got)
				}
				ids, tokens = append(ids, got[0].ID), append(tokens, got[0].Token)
			}
			posted[f] = ids
			// The token leads to the request.
			b = c.get("GET", base+"/tokens/"+tokens[0]+"."+f, nil, f, 200, "token")
			if tr := o311Requests(t, f, b); len(tr) != 1 || tr[0].ID != ids[0] || tr[0].Token != tokens[0] {
				t.Fatalf("token answered %+v", tr)
			}
			// Read back with the key: in full, attributes included.
			b = c.get("GET", base+"/requests/"+ids[0]+"."+f+"?extensions=true&api_key="+url.QueryEscape(key), nil, f, 200, "requests")
			rs := o311Requests(t, f, b)
			if len(rs) != 1 || rs[0].ID != ids[0] || rs[0].Status != "open" || rs[0].ServiceCode != "stall" || !strings.HasPrefix(rs[0].Description, desc) ||
				rs[0].MediaURL != "https://example.org/photo.jpg" || rs[0].Lat == nil || rs[0].StatusNotes == "" || rs[0].Expected == "" ||
				!strings.HasSuffix(rs[0].Requested, "+08:00") {
				t.Fatalf("read back %+v", rs)
			}
			if x := rs[0].Extended; x == nil || !slices.ContainsFunc(x.Attributes, func(a struct {
				Code   string   `json:"code" xml:"code"`
				Values []string `json:"values" xml:"values>value"`
			}) bool {
				return a.Code == "goods" && slices.Equal(a.Values, []string{"food", "fruit"})
			}) {
				t.Fatalf("extended attributes %+v", rs[0].Extended)
			}
			// Without the key: no free text, and never the citizen.
			b = c.get("GET", base+"/requests/"+ids[0]+"."+f, nil, f, 200, "requests")
			if rs := o311Requests(t, f, b); rs[0].Description != "" || rs[0].MediaURL != "" {
				t.Fatalf("public read shows free text: %+v", rs[0])
			}
			// Page through the service's requests, one a page.
			var seen []string
			for page := 1; ; page++ {
				b := c.get("GET", fmt.Sprintf("%s/requests.%s?service_code=stall&page_size=1&page=%d", base, f, page), nil, f, 200, "requests")
				rs := o311Requests(t, f, b)
				if len(rs) == 0 {
					break
				}
				if len(rs) != 1 || slices.Contains(seen, rs[0].ID) {
					t.Fatalf("page %d: %+v (seen %v)", page, rs, seen)
				}
				seen = append(seen, rs[0].ID)
				if page > 1000 {
					t.Fatal("endless pages")
				}
			}
			for _, id := range ids {
				if !slices.Contains(seen, id) {
					t.Fatalf("paging missed %s: %v", id, seen)
				}
			}
			// Filters: ids (comma list), status.
			b = c.get("GET", base+"/requests."+f+"?service_request_id="+ids[0]+","+ids[1], nil, f, 200, "requests")
			if rs := o311Requests(t, f, b); len(rs) != 2 {
				t.Fatalf("by ids: %+v", rs)
			}
			b = c.get("GET", base+"/requests."+f+"?status=closed&service_code=stall", nil, f, 200, "requests")
			for _, r := range o311Requests(t, f, b) {
				if r.Status != "closed" || slices.Contains(ids, r.ID) {
					t.Fatalf("status=closed listed %+v", r)
				}
			}
			// The hotline works the first request: accepted, dispatched.
			var cs lifecycle.Case
			apiWant(t, e.apiDo(e.agent, "GET", "/api/v1/case-numbers/"+ids[0], nil), 200, &cs)
			if cs.Channel != "open311" || cs.Citizen.Name == "" {
				t.Fatalf("case %+v: want the open311 channel and the citizen recorded", cs)
			}
			if cs.State == lifecycle.Submitted {
				e.apiAct(e.agent, cs.ID, "accept", nil)
			}
			if cur := e.apiGet(e.agent, cs.ID); cur.State == lifecycle.Received {
				e.apiAct(e.agent, cs.ID, "dispatch", map[string]any{"unit_id": e.streetA.ID})
			}
			b = c.get("GET", base+"/requests/"+ids[0]+"."+f, nil, f, 200, "requests")
			if rs := o311Requests(t, f, b); rs[0].Agency == "" || !strings.Contains(rs[0].StatusNotes, rs[0].Agency) {
				t.Fatalf("after dispatch: %+v", rs[0])
			}
			// Follow its updates.
			b = c.get("GET", base+"/servicerequestupdates."+f+"?service_request_id="+ids[0], nil, f, 200, "updates")
			ups := o311Updates(t, f, b)
			if len(ups) < 2 || ups[0].RequestID != ids[0] || ups[0].Status != "OPEN" {
				t.Fatalf("updates %+v", ups)
			}
			start := time.Now().Add(-time.Hour).Format(time.RFC3339)
			b = c.get("GET", base+"/servicerequestupdates."+f+"?start_date="+url.QueryEscape(start), nil, f, 200, "updates")
			if all := o311Updates(t, f, b); len(all) < len(ups) {
				t.Fatalf("window updates %d < %d", len(all), len(ups))
			}
			// Post an update, twice: one id.
			uform := url.Values{"api_key": {key}, "service_request_id": {ids[0]}, "update_id": {"fms-" + f}, "status": {"OPEN"},
				"description": {"市民补充：仍有摊贩"}, "updated_datetime": {time.Now().Format(time.RFC3339)}}
			var acks []string
			for range 2 {
				b := c.get("POST", base+"/servicerequestupdates."+f, uform, f, 200, "update_post_response")
				var a []struct {
					UpdateID string `json:"update_id" xml:"update_id"`
				}
				if f == "xml" {
					var d struct {
						A []struct {
							UpdateID string `xml:"update_id"`
						} `xml:"request_update"`
					}
					o311Decode(t, f, b, &d)
					for _, x := range d.A {
						a = append(a, struct {
							UpdateID string `json:"update_id" xml:"update_id"`
						}{x.UpdateID})
					}
				} else {
					o311Decode(t, f, b, &a)
				}
				if len(a) != 1 {
					t.Fatalf("update ack %s", b)
				}
				acks = append(acks, a[0].UpdateID)
			}
			if acks[0] != acks[1] {
				t.Fatalf("a repeated update got two ids: %v", acks)
			}
			// Every GET endpoint: never the citizen's name, phone or e-mail.
			for _, p := range []string{"/requests." + f + "?extensions=true", "/requests/" + ids[0] + "." + f + "?extensions=true&api_key=" + url.QueryEscape(key),
				"/servicerequestupdates." + f, "/tokens/" + tokens[0] + "." + f} {
				_, _, b := c.do("GET", base+p, nil)
				for _, pii := range []string{"三丰", phone, "zhang@example.org", phone[:3] + "****" + phone[7:]} {
					if bytes.Contains(b, []byte(pii)) {
						t.Fatalf("%s shows %q", p, pii)
					}
				}
			}
			o311Errors(c, f, base, key, revoked, ids[0])
		})
	}
	if len(posted["json"]) != 2 || len(posted["xml"]) != 2 {
		t.Fatalf("posted %v", posted)
	}
	// The default window: every request of the last 90 days, newest first,
	// none older; an explicit window reaches further back.
	c.e.t = t
	b := c.get("GET", "/open311/v2/requests.json", nil, "json", 200, "requests")
	rs := o311Requests(t, "json", b)
	if len(rs) == 0 {
		t.Fatal("default window empty")
	}
	limit := time.Now().Add(-90*24*time.Hour - time.Minute)
	for i, r := range rs {
		at, _ := time.Parse(time.RFC3339, r.Requested)
		if at.Before(limit) {
			t.Fatalf("default window holds %s of %s", r.ID, r.Requested)
		}
		if i > 0 {
			prev, _ := time.Parse(time.RFC3339, rs[i-1].Requested)
			if at.After(prev) {
				t.Fatalf("not newest first at %d", i)
			}
		}
	}
	old := time.Now().AddDate(-2, 0, 0).Format(time.RFC3339)
	b = c.get("GET", "/open311/v2/requests.json?start_date="+url.QueryEscape(old)+"&end_date="+url.QueryEscape(time.Now().Format(time.RFC3339)), nil, "json", 200, "requests")
	if wide := o311Requests(t, "json", b); len(wide) < len(rs) {
		t.Fatalf("a two-year window (%d) holds fewer than the default (%d)", len(wide), len(rs))
	}
	// Rate limit per phone: the next post from the same phone is refused
	// in the spec's format, and nothing is stored.
	e.app.API.SetOpen311Limits(nil, auth.NewLimiter(1, time.Hour))
	form := url.Values{"api_key": {key}, "service_code": {"stall"}, "address_string": {"测试路3号"}, "phone": {phone}, "attribute[size]": {"small"}}
	c.get("POST", "/open311/v2/requests.json", form, "json", 201, "post_response")
	c.refused("POST", "/open311/v2/requests.xml", form, "xml", 429, "too many")
	c.refused("POST", "/open311/v2/requests.json", form, "json", 429, "too many")
	// And per key, whatever the phone.
	e.app.API.SetOpen311Limits(auth.NewLimiter(1, time.Hour), auth.NewLimiter(100, time.Hour))
	form.Set("phone", e.apiPhone())
	c.get("POST", "/open311/v2/requests.json", form, "json", 201, "post_response")
	form.Set("phone", e.apiPhone())
	c.refused("POST", "/open311/v2/requests.json", form, "json", 429, "too many")
}

// o311City is the demo city's jurisdiction id.
func o311City(e *apiEnv) string {
	ids := e.app.Svc.Open311.Jurisdictions()
	if len(ids) != 1 {
		e.t.Fatalf("jurisdictions %v", ids)
	}
	return ids[0]
}

// o311Errors: every error of every endpoint, in the spec's format.
func o311Errors(c *o311Client, f, base, key, revoked, id string) {
	ok := url.Values{"api_key": {key}, "service_code": {"stall"}, "address_string": {"测试路1号"}, "phone": {c.e.apiPhone()}, "attribute[size]": {"small"}}
	with := func(k, v string) url.Values {
		out := url.Values{}
		for kk, vv := range ok {
			out[kk] = slices.Clone(vv)
		}
		if v == "" {
			out.Del(k)
		} else {
			out.Set(k, v)
		}
		return out
	}
	post := base + "/requests." + f
	// 403: the key.
	c.refused("POST", post, with("api_key", ""), f, 403, "api_key is required")
	c.refused("POST", post, with("api_key", "w311_nope"), f, 403, "not valid")
	c.refused("POST", post, with("api_key", revoked), f, 403, "not valid")
	c.refused("GET", base+"/requests."+f+"?api_key=w311_nope", nil, f, 403, "not valid")
	// 400: the request.
	c.refused("POST", post, with("service_code", ""), f, 400, "service_code is required")
	c.refused("POST", post, with("service_code", "nosuch"), f, 400, "not a service")
	c.refused("POST", post, with("attribute[size]", ""), f, 400, "attribute[size] is required")
	c.refused("POST", post, with("attribute[size]", "huge"), f, 400, "not one of its values")
	c.refused("POST", post, with("attribute[count]", "many"), f, 400, "must be a number")
	c.refused("POST", post, with("attribute[seen]", "yesterday"), f, 400, "date and time")
	bad := with("attribute[goods][]", "")
	bad["attribute[goods][]"] = []string{"food", "cars"}
	c.refused("POST", post, bad, f, 400, "not one of its values")
	c.refused("POST", post, with("address_string", ""), f, 400, "a location is required")
	c.refused("POST", post, with("lat", "95"), f, 400, "together")
	c.refused("POST", post, with("phone", ""), f, 400, "phone is required")
	c.refused("POST", post, with("media_url", "ftp://x/y"), f, 400, "media_url")
	for _, q := range []struct{ q, want string }{
		{"status=pending", "status"}, {"start_date=yesterday", "start_date"}, {"page_size=1001", "page_size"},
		{"page=0", "page"}, {"start_date=2026-03-02T00:00:00Z&end_date=2026-03-01T00:00:00Z", "end_date"},
	} {
		c.refused("GET", base+"/requests."+f+"?"+q.q, nil, f, 400, q.want)
	}
	upd := url.Values{"api_key": {key}, "service_request_id": {id}, "update_id": {"u-x"}, "status": {"OPEN"}, "description": {"x"}, "updated_datetime": {"2026-03-02T00:00:00Z"}}
	u2 := func(k, v string) url.Values {
		out := url.Values{}
		for kk, vv := range upd {
			out[kk] = vv
		}
		out.Set(k, v)
		return out
	}
	c.refused("POST", base+"/servicerequestupdates."+f, u2("status", "DONE"), f, 400, "status")
	c.refused("POST", base+"/servicerequestupdates."+f, u2("updated_datetime", "now"), f, 400, "updated_datetime")
	c.refused("POST", base+"/servicerequestupdates."+f, u2("api_key", ""), f, 403, "api_key")
	c.refused("POST", base+"/servicerequestupdates."+f, u2("service_request_id", "19990101000001"), f, 404, "not found")
	c.refused("GET", base+"/servicerequestupdates."+f+"?start_date=never", nil, f, 400, "start_date")
	// 404: unknown things, and an unknown jurisdiction on every endpoint.
	c.refused("GET", base+"/services/nosuch."+f, nil, f, 404, "not found")
	c.refused("GET", base+"/requests/19990101000001."+f, nil, f, 404, "not found")
	c.refused("GET", base+"/tokens/nosuch."+f, nil, f, 404, "not found")
	c.refused("GET", base+"/nothing."+f, nil, f, 404, "no such endpoint")
	for _, p := range []string{"/services." + f, "/services/stall." + f, "/requests." + f, "/requests/" + id + "." + f, "/tokens/x." + f, "/servicerequestupdates." + f} {
		c.refused("GET", base+p+"?jurisdiction_id=atlantis", nil, f, 404, "jurisdiction_id")
	}
	c.refused("POST", post, with("jurisdiction_id", "atlantis"), f, 404, "jurisdiction_id")
	c.refused("POST", base+"/servicerequestupdates."+f, u2("jurisdiction_id", "atlantis"), f, 404, "jurisdiction_id")
}

// TestOpen311ErrorsOutsideHandlers: refusals made before an Open311
// handler runs (a control character in the query, a cross-origin form
// post) are in the spec's format too.
func TestOpen311ErrorsOutsideHandlers(t *testing.T) {
	e := apiOpen(t, "")
	c := &o311Client{e: e, schemas: map[string]o311Schema{}}
	c.refused("GET", "/open311/v2/requests.xml?status=%01", nil, "xml", 400, "")
	c.refused("GET", "/open311/v2/services.json?x=%00", nil, "json", 400, "")
	req, err := http.NewRequestWithContext(e.ctx, "POST", e.srv.URL+"/open311/v2/requests.xml", strings.NewReader("service_code=x"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("cross-origin post: %d %s", resp.StatusCode, b)
	}
	o311Conform(t, c.schemas, "errors", "xml", b)
}
