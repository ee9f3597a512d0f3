package api

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"whistle/internal/errs"
	"whistle/internal/httpx"
	"whistle/internal/lifecycle"
)

// The OpenAPI document (openapi.json) is written by hand; these tests keep it
// honest against the routing table and the enums in code.

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	dec := json.NewDecoder(strings.NewReader(string(openapiDoc)))
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	if dec.More() {
		t.Fatal("openapi.json has trailing data")
	}
	return doc
}

func obj(t *testing.T, v any, where string) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s: want a JSON object, got %T", where, v)
	}
	return m
}

// resolve follows a local $ref ("#/a/b") through doc; it reports false if
// the pointer does not resolve.
func resolve(doc map[string]any, ref string) (any, bool) {
	p, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, false
	}
	var cur any = doc
	for _, tok := range strings.Split(p, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[tok]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// deref resolves v if it is a {"$ref": …} object.
func deref(t *testing.T, doc map[string]any, v any) map[string]any {
	t.Helper()
	m := obj(t, v, "deref")
	if r, ok := m["$ref"].(string); ok {
		target, ok := resolve(doc, r)
		if !ok {
			t.Fatalf("unresolved $ref %q", r)
		}
		return obj(t, target, r)
	}
	return m
}

type docOp struct {
	method, path string
	op           map[string]any
}

func operations(t *testing.T, doc map[string]any) []docOp {
	t.Helper()
	var out []docOp
	for path, item := range obj(t, doc["paths"], "paths") {
		for key, v := range obj(t, item, path) {
			if !slices.Contains(httpMethods, key) {
				continue
			}
			out = append(out, docOp{strings.ToUpper(key), path, obj(t, v, key+" "+path)})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].path != out[j].path {
			return out[i].path < out[j].path
		}
		return out[i].method < out[j].method
	})
	return out
}

// newHandler builds the server and its handler. New and Handler only
// register routes and metrics, so a nil service is fine here.
func newHandler(t *testing.T) (*Server, http.Handler) {
	t.Helper()
	s := New(nil, Options{})
	var h http.Handler
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("Handler panics while registering routes (the server cannot start): %v", p)
			}
		}()
		h = s.Handler()
	}()
	return s, h
}

func routeTable(t *testing.T) []Route {
	t.Helper()
	s, _ := newHandler(t)
	routes := s.Routes()
	if len(routes) == 0 {
		t.Fatal("no routes registered")
	}
	return routes
}

func schemaEnum(t *testing.T, doc map[string]any, name string) []string {
	t.Helper()
	v, ok := resolve(doc, "#/components/schemas/"+name)
	if !ok {
		t.Fatalf("schema %s is missing", name)
	}
	raw, ok := obj(t, v, name)["enum"].([]any)
	if !ok {
		t.Fatalf("schema %s has no enum", name)
	}
	out := make([]string, len(raw))
	for i, x := range raw {
		out[i], _ = x.(string)
	}
	return out
}

func strs(v any) []string {
	raw, _ := v.([]any)
	out := make([]string, 0, len(raw))
	for _, x := range raw {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func TestOpenAPIDocument(t *testing.T) {
	doc := loadOpenAPI(t)
	if doc["openapi"] != "3.0.3" {
		t.Errorf("openapi = %v, want 3.0.3", doc["openapi"])
	}
	info := obj(t, doc["info"], "info")
	if info["title"] == "" || info["version"] == "" {
		t.Error("info needs a title and a version")
	}
	schemes := obj(t, obj(t, doc["components"], "components")["securitySchemes"], "securitySchemes")
	if b := obj(t, schemes["bearerAuth"], "bearerAuth"); b["type"] != "http" || b["scheme"] != "bearer" {
		t.Errorf("bearerAuth = %v, want http bearer", b)
	}
	if c := obj(t, schemes["cookieSession"], "cookieSession"); c["type"] != "apiKey" || c["in"] != "cookie" || c["name"] != httpx.SessionCookie {
		t.Errorf("cookieSession = %v, want apiKey in cookie %s", c, httpx.SessionCookie)
	}
}

func TestOpenAPIRoutesMatch(t *testing.T) {
	doc := loadOpenAPI(t)
	registered := map[string]Route{}
	for _, r := range routeTable(t) {
		key := r.Method + " " + r.Path
		if _, dup := registered[key]; dup {
			t.Errorf("route %s registered twice", key)
		}
		registered[key] = r
	}
	documented := map[string]docOp{}
	for _, o := range operations(t, doc) {
		documented[o.method+" "+o.path] = o
	}
	for key := range registered {
		if _, ok := documented[key]; !ok {
			t.Errorf("route %s is registered but not documented in openapi.json", key)
		}
	}
	for key := range documented {
		if _, ok := registered[key]; !ok {
			t.Errorf("%s is documented in openapi.json but not registered in Handler", key)
		}
	}
	// Public routes say so (security: []); the others inherit the global
	// bearer/cookie requirement.
	global, _ := doc["security"].([]any)
	if len(global) == 0 {
		t.Error("the document needs a global security requirement")
	}
	for key, r := range registered {
		o, ok := documented[key]
		if !ok {
			continue
		}
		sec, has := o.op["security"]
		list, _ := sec.([]any)
		switch {
		case !r.Auth && (!has || len(list) != 0):
			t.Errorf("%s is public: want security: []", key)
		case r.Auth && has && len(list) == 0:
			t.Errorf("%s needs authentication but is documented as public", key)
		}
	}
}

var pathParamRE = regexp.MustCompile(`\{([^}]+)\}`)

func TestOpenAPIOperations(t *testing.T) {
	doc := loadOpenAPI(t)
	ids := map[string]string{}
	for _, o := range operations(t, doc) {
		where := o.method + " " + o.path
		id, _ := o.op["operationId"].(string)
		if id == "" {
			t.Errorf("%s: no operationId", where)
		} else if prev, dup := ids[id]; dup {
			t.Errorf("%s: operationId %q also used by %s", where, id, prev)
		} else {
			ids[id] = where
		}
		if s, _ := o.op["summary"].(string); s == "" {
			t.Errorf("%s: no summary", where)
		}
		if tags, _ := o.op["tags"].([]any); len(tags) == 0 {
			t.Errorf("%s: no tags", where)
		}
		resps, _ := o.op["responses"].(map[string]any)
		if len(resps) == 0 {
			t.Errorf("%s: no responses", where)
		}
		success := false
		for code, rv := range resps {
			n, err := strconv.Atoi(code)
			if err != nil {
				if code != "default" {
					t.Errorf("%s: bad response key %q", where, code)
				}
				continue
			}
			if n < 400 {
				success = true
				continue
			}
			r := deref(t, doc, rv)
			content, _ := r["content"].(map[string]any)
			js, _ := content["application/json"].(map[string]any)
			sch, _ := js["schema"].(map[string]any)
			if sch["$ref"] != "#/components/schemas/Error" {
				t.Errorf("%s: response %s does not use the Error schema", where, code)
			}
		}
		if !success {
			t.Errorf("%s: no success response", where)
		}
		// Every {param} in the path is declared as a required path parameter.
		declared := map[string]bool{}
		params, _ := o.op["parameters"].([]any)
		for _, pv := range params {
			p := deref(t, doc, pv)
			if p["in"] == "path" {
				if p["required"] != true {
					t.Errorf("%s: path parameter %v must be required", where, p["name"])
				}
				declared[p["name"].(string)] = true
			}
		}
		for _, m := range pathParamRE.FindAllStringSubmatch(o.path, -1) {
			if !declared[m[1]] {
				t.Errorf("%s: path parameter {%s} not declared", where, m[1])
			}
			delete(declared, m[1])
		}
		for name := range declared {
			t.Errorf("%s: path parameter %s is not in the path", where, name)
		}
	}
}

func TestOpenAPIRefsResolve(t *testing.T) {
	doc := loadOpenAPI(t)
	n := 0
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch x := v.(type) {
		case map[string]any:
			if r, ok := x["$ref"]; ok {
				n++
				s, _ := r.(string)
				if _, ok := resolve(doc, s); !ok {
					t.Errorf("%s: $ref %q does not resolve", at, s)
				}
			}
			for k, c := range x {
				walk(c, at+"/"+k)
			}
		case []any:
			for i, c := range x {
				walk(c, at+"/"+strconv.Itoa(i))
			}
		}
	}
	walk(doc, "#")
	if n == 0 {
		t.Error("no $ref found; the walk is broken")
	}
}

func TestOpenAPIErrorCodes(t *testing.T) {
	doc := loadOpenAPI(t)
	var want []string
	for _, c := range errs.Codes() {
		want = append(want, string(c))
	}
	sort.Strings(want)
	if got := schemaEnum(t, doc, "ErrorCode"); !slices.Equal(got, want) {
		t.Errorf("ErrorCode enum = %v\nwant errs.Codes() sorted = %v", got, want)
	}
	errSchema := deref(t, doc, map[string]any{"$ref": "#/components/schemas/Error"})
	props := obj(t, errSchema["properties"], "Error.properties")
	for _, f := range []string{"code", "message", "field", "detail", "fields"} {
		if _, ok := props[f]; !ok {
			t.Errorf("Error schema lacks %q", f)
		}
	}
	if len(props) != 5 {
		t.Errorf("Error schema has %d properties, want code, message, field, detail, fields", len(props))
	}
	if c := obj(t, props["code"], "Error.code"); c["$ref"] != "#/components/schemas/ErrorCode" {
		t.Errorf("Error.code = %v, want the ErrorCode enum", c)
	}
	// Each reusable error response lists exactly the codes errs maps to its status.
	byStatus := map[int][]string{}
	for _, c := range want {
		st := errs.Status(errs.Code(c))
		byStatus[st] = append(byStatus[st], c)
	}
	seen := map[int]bool{}
	for name, rv := range obj(t, obj(t, doc["components"], "components")["responses"], "responses") {
		r := obj(t, rv, name)
		codes := strs(r["x-error-codes"])
		if len(codes) == 0 {
			t.Errorf("response %s: no x-error-codes", name)
			continue
		}
		st := errs.Status(errs.Code(codes[0]))
		seen[st] = true
		if !slices.Equal(codes, byStatus[st]) {
			t.Errorf("response %s: x-error-codes = %v, want the codes with status %d: %v", name, codes, st, byStatus[st])
		}
	}
	for st, codes := range byStatus {
		if !seen[st] {
			t.Errorf("no reusable response documents status %d (%v)", st, codes)
		}
	}
	// Operations use the response matching the status code.
	for _, o := range operations(t, doc) {
		for code, rv := range o.op["responses"].(map[string]any) {
			n, _ := strconv.Atoi(code)
			if n < 400 {
				continue
			}
			codes := strs(deref(t, doc, rv)["x-error-codes"])
			if len(codes) == 0 || errs.Status(errs.Code(codes[0])) != n {
				t.Errorf("%s %s: response %s documents codes %v of another status", o.method, o.path, code, codes)
			}
		}
	}
}

func TestOpenAPIEnums(t *testing.T) {
	doc := loadOpenAPI(t)
	var states []string
	for _, s := range lifecycle.States {
		states = append(states, string(s))
	}
	actions := []string{string(lifecycle.ActCreate)}
	for _, tr := range lifecycle.Transitions {
		actions = append(actions, string(tr.Action))
	}
	for _, c := range []struct {
		schema string
		want   []string
	}{
		{"State", states},
		{"Type", lifecycle.Types},
		{"Channel", lifecycle.Channels},
		{"Urgency", lifecycle.Urgencies},
		{"Result", lifecycle.Results},
		{"Satisfaction", lifecycle.Satisfactions},
		{"Action", actions},
	} {
		if got := schemaEnum(t, doc, c.schema); !slices.Equal(got, c.want) {
			t.Errorf("%s enum = %v, want %v", c.schema, got, c.want)
		}
	}
}

func TestOpenAPICaseActions(t *testing.T) {
	doc := loadOpenAPI(t)
	const prefix = "/api/v1/cases/{id}/"
	var got []string
	for _, o := range operations(t, doc) {
		a, ok := o.op["x-action"].(string)
		if !ok {
			continue
		}
		if o.method != "POST" || o.path != prefix+ActionPath(lifecycle.Action(a)) {
			t.Errorf("x-action %q documented at %s %s, want POST %s", a, o.method, o.path, prefix+ActionPath(lifecycle.Action(a)))
		}
		got = append(got, a)
		tr, ok := lifecycle.Lookup(lifecycle.Action(a))
		if !ok {
			t.Errorf("x-action %q is not a lifecycle action", a)
			continue
		}
		var from []string
		for _, s := range tr.From {
			from = append(from, string(s))
		}
		if fs := strs(o.op["x-from-states"]); !slices.Equal(fs, from) {
			t.Errorf("%s: x-from-states = %v, want %v", a, fs, from)
		}
		if rs := strs(o.op["x-roles"]); !slices.Equal(rs, tr.Roles) {
			t.Errorf("%s: x-roles = %v, want %v", a, rs, tr.Roles)
		}
		body := obj(t, o.op["requestBody"], a+" requestBody")
		if body["required"] != true {
			t.Errorf("%s: the request body is required (send {} when empty)", a)
		}
	}
	var want []string
	for _, a := range CaseActions {
		want = append(want, string(a))
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("documented actions = %v\nwant CaseActions = %v", got, want)
	}
}

func TestOpenAPIParameters(t *testing.T) {
	doc := loadOpenAPI(t)
	ops := map[string]map[string]any{}
	for _, o := range operations(t, doc) {
		ops[o.method+" "+o.path] = o.op
	}
	names := func(key string) map[string]string {
		op, ok := ops[key]
		if !ok {
			t.Fatalf("%s not documented", key)
		}
		out := map[string]string{}
		params, _ := op["parameters"].([]any)
		for _, pv := range params {
			p := deref(t, doc, pv)
			out[p["name"].(string)] = p["in"].(string)
		}
		return out
	}
	filters := []string{"state", "open", "overdue", "supervised", "return_pending", "extension_pending", "unit_id",
		"district_id", "street_id", "category", "type", "channel", "phone", "from", "to", "sort", "cursor", "limit"}
	// The inbox sets the unit, open and sort itself and has no phone search.
	inbox := []string{"as"}
	for _, f := range filters {
		if !slices.Contains([]string{"open", "unit_id", "phone", "sort"}, f) {
			inbox = append(inbox, f)
		}
	}
	for key, want := range map[string][]string{"GET /api/v1/cases": filters, "GET /api/v1/inbox": inbox} {
		ps := names(key)
		for _, f := range want {
			if ps[f] != "query" {
				t.Errorf("%s: query parameter %s not documented", key, f)
			}
		}
		for name, in := range ps {
			if in == "query" && name != "lang" && !slices.Contains(want, name) {
				t.Errorf("%s: documents query parameter %s that the handler ignores", key, name)
			}
		}
	}
	for _, key := range []string{"POST /api/v1/cases", "POST /api/v1/public/cases"} {
		if names(key)["Idempotency-Key"] != "header" {
			t.Errorf("%s: Idempotency-Key header not documented", key)
		}
	}
	for key := range ops {
		if strings.HasPrefix(key, "GET /api/v1/openapi.json") || !strings.Contains(key, "/api/v1/") {
			continue
		}
		if names(key)["Accept-Language"] != "header" {
			t.Errorf("%s: Accept-Language header not documented", key)
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	_, h := newHandler(t)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/openapi.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json: status %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}
	b, _ := io.ReadAll(rec.Body)
	if string(b) != string(openapiDoc) {
		t.Error("the served document differs from the embedded one")
	}
}
