package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"whistle/internal/api"
	"whistle/internal/app"
	"whistle/internal/auth"
	"whistle/internal/config"
	"whistle/internal/demo"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/seed"
)

// fuzzRoute is a route the API fuzzer sends bodies to, as the role's user.
type fuzzRoute struct {
	role, method, path string
	multipart          bool // the body is sent as the file of a multipart form
}

// fuzzRoutes are the routes that parse a client's body or query. {case} is
// an open case of the demo city.
var fuzzRoutes = []fuzzRoute{
	{org.RoleAgent, "POST", "/api/v1/cases", false},
	{"", "POST", "/api/v1/public/cases", false},
	{"", "POST", "/api/v1/public/lookup", false},
	{"", "POST", "/api/v1/public/rate", false},
	{"", "POST", "/api/v1/auth/login", false},
	{org.RoleAgent, "POST", "/api/v1/cases/{case}/dispatch", false},
	{org.RoleAgent, "POST", "/api/v1/cases/{case}/supervise", false},
	{org.RoleAgent, "POST", "/api/v1/cases/{case}/reveal", false},
	{org.RoleAgent, "POST", "/api/v1/attachments", true},
	{org.RoleAgent, "POST", "/api/v1/attachments?name=a.png", false},
	{org.RoleAgent, "GET", "/api/v1/cases?", false},
	{org.RoleAgent, "GET", "/api/v1/geocode?q=", false},
	{org.RoleAgent, "POST", "/api/v1/classify", false},
	{org.RoleAgent, "POST", "/api/v1/duplicates/check", false},
	{org.RoleAgent, "POST", "/api/v1/route-suggestion", false},
	{org.RoleAdmin, "POST", "/api/v1/boundaries/import", false},
	{org.RoleAdmin, "PUT", "/api/v1/calendar/2031", false},
	{org.RoleAdmin, "POST", "/api/v1/duty-lists", false},
	{org.RoleAdmin, "PUT", "/api/v1/policy", false},
	{org.RoleAdmin, "POST", "/api/v1/gazetteer", false},
	{org.RoleAdmin, "POST", "/api/v1/users", false},
	{org.RoleAgent, "GET", "/api/v1/cases/export.jsonl?", false},
	{org.RoleAdmin, "POST", "/api/v1/export-schedules", false},
}

// fuzzAPI is one seeded node whose API handler the fuzzer calls in process.
type fuzzAPI struct {
	h      http.Handler
	tokens map[string]string // role → bearer token
	caseID int64
	seq    atomic.Int64
}

func openFuzzAPI(f *testing.F) *fuzzAPI {
	cfg := config.Defaults()
	cfg.Data = f.TempDir()
	cfg.FastHash = true
	cfg.SQLiteSync = "normal"
	cfg.Node = "node-f"
	a, err := app.Open(f.Context(), cfg, apiLog)
	if err != nil {
		f.Fatalf("app.Open: %v", err)
	}
	f.Cleanup(func() { a.Close() })
	res, err := seed.Demo(f.Context(), a.Svc, demo.Options{Seed: 7, Requests: 40}, auth.FastHasher(), apiLog)
	if err != nil {
		f.Fatalf("seed.Demo: %v", err)
	}
	fa := &fuzzAPI{h: a.API.Handler(), tokens: map[string]string{}}
	for _, u := range res.Logins {
		if len(u.Roles) == 0 || fa.tokens[u.Roles[0]] != "" {
			continue
		}
		st, body := fa.do("", "POST", "/api/v1/auth/login", "application/json", fmt.Sprintf(`{"username":%q,"password":%q}`, u.Username, demo.DemoPassword))
		var out struct{ Token string }
		if st != 200 || json.Unmarshal(body, &out) != nil || out.Token == "" {
			f.Fatalf("login %s: %d %s", u.Username, st, body)
		}
		fa.tokens[u.Roles[0]] = out.Token
	}
	st, body := fa.do(org.RoleAgent, "GET", "/api/v1/cases?open=true&limit=1", "", "")
	var page struct {
		Cases []struct{ ID int64 } `json:"cases"`
	}
	if st != 200 || json.Unmarshal(body, &page) != nil || len(page.Cases) == 0 {
		f.Fatalf("no open case: %d %s", st, body)
	}
	fa.caseID = page.Cases[0].ID
	return fa
}

// do sends one request to the handler (from a new client address each
// time, so that the per-address limits do not hide the parsers).
func (fa *fuzzAPI) do(role, method, path, ct string, body string) (int, []byte) {
	req, err := http.NewRequest(method, "http://whistle.test"+path, strings.NewReader(body))
	if err != nil {
		return 0, nil
	}
	n := fa.seq.Add(1)
	req.RemoteAddr = fmt.Sprintf("10.%d.%d.%d:4000", n>>16&255, n>>8&255, n&255)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+fa.tokens[role])
	}
	rec := httptest.NewRecorder()
	fa.h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, b
}

// FuzzAPIBodies sends any body (or query, or uploaded file) to the routes
// that parse one: the answer is a success or a 4xx whose JSON body carries
// a code of the errs table with that status and a message — never a 5xx
// or a panic.
func FuzzAPIBodies(f *testing.F) {
	caseIn := `{"channel":"phone","type":"complaint","category":"urban.stall","description":"路口有流动摊贩长期占用人行道摆摊","address":"测试路1号","citizen_name":"张三","citizen_phone":"13700000001"}`
	png := "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
	seeds := map[int][]string{
		0:  {caseIn, `{"channel":"phone","lat":39.9,"lon":"x"}`, `{"channel":"phone","type":"complaint","category":"urban.stall","description":"x","anonymous":true,"lat":1e308,"lon":-1e308}`, `{"related_to":[1,2,3],"attachments":[-1]}`},
		1:  {caseIn, `{"channel":"web","description":"` + strings.Repeat("长", 3000) + `"}`, `null`},
		2:  {`{"number":"20260101-0001","phone":"13700000001"}`, `{"number":1}`},
		3:  {`{"number":"20260101-0001","phone":"13700000001","satisfaction":"satisfied"}`},
		4:  {`{"username":"admin","password":"x"}`, `{"username":"` + strings.Repeat("a", 300) + `","password":""}`, `{"username":"a\u0000b"}`},
		5:  {`{"unit_id":1,"note":"派单"}`, `{"unit_id":-1,"co_unit_ids":[1,1,1]}`, `{"reply_by":"2030-01-01T00:00:00+08:00"}`},
		6:  {`{"note":"督办"}`},
		7:  {`{"purpose":"callback"}`, `{"purpose":""}`},
		8:  {png, "%PDF-1.4\n%", "GIF89a", "<html><script>alert(1)</script>"},
		9:  {png, ""},
		10: {"state=received,dispatched&open=true&limit=20&sort=due", "limit=0", "from=2026-13-01T00:00:00Z", "unit_id=9223372036854775808", "cursor=%ff%00", "state=,,,&overdue=maybe"},
		11: {"人民路1号", "%E4%BA%BA", "%zz"},
		12: {`{"text":"路灯不亮"}`, `{"text":""}`},
		13: {`{"description":"噪音","lat":39.9,"lon":116.3}`},
		14: {`{"category":"urban.stall","lat":39.9,"lon":116.3,"text":"占道"}`},
		15: {`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"X","name":"x","level":"grid","parent":"D"},"geometry":{"type":"Polygon","coordinates":[[[116.3,39.9],[116.31,39.9],[116.31,39.91],[116.3,39.9]]]}}]}`, `{"dry_run":true}`},
		16: {`{"year":2031,"off":["2031-01-01"],"work":[]}`, `{"year":2031,"off":["2031-02-30"]}`},
		17: {`{"name":"草稿","rules":[{"category":"urban.stall","unit_id":1}]}`, `{"rules":[{"place_id":-5}]}`},
		18: {`{"version":1,"rules":[],"default":{"accept":"1h","dispatch":"2h","sign":"1wd","reply":"7wd"}}`, `{"default":{"accept":"-1h"}}`, `{"default":{"reply":"99999999999wd"}}`},
		19: {`{"kind":"compound","name":"阳光家园","place_id":1}`},
		20: {`{"username":"u1","display_name":"x","unit_id":1,"roles":["agent"],"password":"long-enough-1"}`},
	}
	for i, ss := range seeds {
		for _, s := range ss {
			f.Add(uint8(i), []byte(s))
		}
	}
	fa := openFuzzAPI(f)
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		rt := fuzzRoutes[int(route)%len(fuzzRoutes)]
		path := strings.ReplaceAll(rt.path, "{case}", fmt.Sprint(fa.caseID))
		ct, payload := "application/json", string(body)
		switch {
		case rt.method == "GET":
			path, ct, payload = path+string(body), "", ""
		case rt.multipart:
			var b bytes.Buffer
			mw := multipart.NewWriter(&b)
			name, data, _ := bytes.Cut(body, []byte{0})
			w, err := mw.CreateFormFile("file", string(name))
			if err != nil {
				return
			}
			w.Write(data)
			mw.Close()
			ct, payload = mw.FormDataContentType(), b.String()
		case strings.Contains(path, "attachments"):
			ct = "application/octet-stream"
		}
		st, out := fa.do(rt.role, rt.method, path, ct, payload)
		if st == 0 {
			return // not a URL a client could send
		}
		if st >= 500 {
			t.Fatalf("%s %s %q: %d %s", rt.method, path, payload, st, out)
		}
		if st < 400 {
			return
		}
		var e api.ErrorBody
		if err := json.Unmarshal(out, &e); err != nil {
			t.Fatalf("%s %s %q: %d, body not an error: %s", rt.method, path, payload, st, out)
		}
		if errs.Status(e.Code) != st || e.Message == "" {
			t.Fatalf("%s %s %q: %d, code %q (status %d) message %q", rt.method, path, payload, st, e.Code, errs.Status(e.Code), e.Message)
		}
	})
}
