package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"whistle/internal/app"
	"whistle/internal/audit"
	"whistle/internal/auth"
	"whistle/internal/config"
	"whistle/internal/demo"
	"whistle/internal/errs"
	"whistle/internal/geo"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/pgtest"
	"whistle/internal/seed"
	"whistle/internal/services"
	"whistle/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// ---- environment ----

// apiEnv is one seeded Whistle node behind a real HTTP server on loopback.
type apiEnv struct {
	t      *testing.T
	ctx    context.Context
	app    *app.App
	cfg    config.Config
	srv    *httptest.Server
	log    *slog.Logger
	logins map[string]string // role → demo username (demo.Logins)

	mu     sync.Mutex
	tokens map[string]string // username → session token

	// the demo city as the API describes it, filled by apiCity
	gridA, gridB         apiPoint
	streetA, streetB     org.Unit // street offices of gridA's and gridB's streets
	districtA, districtB org.Unit // district centres of gridA's and gridB's districts
	dept                 org.Unit // a department used as co-handler
	handlerA, handlerB   string   // handlers of streetA, streetB
	deptHandler          string
	supA, supB           string // district supervisors
	agent, dispatcher    string
	analyst, admin       string
	phoneSeq             atomic.Int64
}

// apiPoint is a coordinate inside a grid, with its resolved places.
type apiPoint struct {
	Lat, Lon float64
	Loc      lifecycle.Location
}

var apiLog = slog.New(slog.DiscardHandler)

func apiOpen(t *testing.T, dsn string) *apiEnv {
	t.Helper()
	ctx := t.Context()
	cfg := config.Defaults()
	cfg.Data = t.TempDir()
	cfg.DB = dsn
	cfg.FastHash = true
	cfg.SQLiteSync = "normal"
	cfg.Node = "node-a"
	a, err := app.Open(ctx, cfg, apiLog)
	if err != nil {
		t.Fatalf("app.Open: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	res, err := seed.Demo(ctx, a.Svc, demo.Options{Seed: 7, Requests: 300}, auth.FastHasher(), apiLog)
	if err != nil {
		t.Fatalf("seed.Demo: %v", err)
	}
	if !res.Loaded || res.Cases != 300 {
		t.Fatalf("seed.Demo loaded=%v cases=%d, want a fresh city with 300 cases", res.Loaded, res.Cases)
	}
	srv := httptest.NewServer(a.API.Handler())
	t.Cleanup(srv.Close)
	e := &apiEnv{t: t, ctx: ctx, app: a, cfg: cfg, srv: srv, log: apiLog, logins: map[string]string{}, tokens: map[string]string{}}
	for _, u := range res.Logins {
		if len(u.Roles) > 0 {
			e.logins[u.Roles[0]] = u.Username
		}
	}
	for _, r := range []string{org.RoleAgent, org.RoleDispatcher, org.RoleAnalyst, org.RoleAdmin} {
		if e.logins[r] == "" {
			t.Fatalf("demo.Logins has no %s user: %v", r, e.logins)
		}
	}
	e.agent, e.dispatcher, e.analyst, e.admin = e.logins[org.RoleAgent], e.logins[org.RoleDispatcher], e.logins[org.RoleAnalyst], e.logins[org.RoleAdmin]
	e.phoneSeq.Store(time.Now().UnixNano() % 1000 * 10)
	apiCity(e)
	return e
}

// apiPhone returns a fresh mobile number, so that tests can count their own
// cases with the phone filter.
func (e *apiEnv) apiPhone() string {
	return fmt.Sprintf("1370%07d", e.phoneSeq.Add(1))
}

// ---- HTTP helpers ----

type apiResp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r apiResp) String() string { return fmt.Sprintf("%d %s", r.Status, bytes.TrimSpace(r.Body)) }

// apiDo sends a request as the user (token looked up by username; "" = anonymous).
// body may be nil, []byte (sent raw) or anything JSON-encodable.
func (e *apiEnv) apiDo(user, method, path string, body any, hdr ...string) apiResp {
	e.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequestWithContext(e.ctx, method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+e.apiToken(user))
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return apiResp{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// apiToken logs the user in over the API once and caches the token.
func (e *apiEnv) apiToken(user string) string {
	e.t.Helper()
	e.mu.Lock()
	tok, ok := e.tokens[user]
	e.mu.Unlock()
	if ok {
		return tok
	}
	r := e.apiDo("", "POST", "/api/v1/auth/login", map[string]string{"username": user, "password": demo.DemoPassword})
	if r.Status != 200 {
		e.t.Fatalf("login %s: %v", user, r)
	}
	var out struct {
		Token string   `json:"token"`
		User  org.User `json:"user"`
	}
	apiDecode(e.t, r, &out)
	if out.Token == "" || out.User.Username != user {
		e.t.Fatalf("login %s: %s", user, r.Body)
	}
	e.mu.Lock()
	e.tokens[user] = out.Token
	e.mu.Unlock()
	return out.Token
}

func apiDecode(t *testing.T, r apiResp, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %T from %v: %v", v, r, err)
	}
}

// apiWant asserts a status (and for errors, the code) and decodes the body into v.
func apiWant(t *testing.T, r apiResp, status int, v any) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if v != nil {
		apiDecode(t, r, v)
	}
}

// apiRefused asserts an error response with its status and code.
func apiRefused(t *testing.T, r apiResp, status int, code errs.Code) apiErrBody {
	t.Helper()
	var b apiErrBody
	if r.Status != status {
		t.Fatalf("status %d, want %d (%s): %s", r.Status, status, code, r.Body)
	}
	apiDecode(t, r, &b)
	if b.Code != code {
		t.Fatalf("code %q, want %q: %s", b.Code, code, r.Body)
	}
	if b.Message == "" {
		t.Fatalf("error without message: %s", r.Body)
	}
	return b
}

type apiErrBody struct {
	Code    errs.Code `json:"code"`
	Message string    `json:"message"`
	Field   string    `json:"field"`
	Detail  string    `json:"detail"`
}

type apiActResult struct {
	Case  lifecycle.Case  `json:"case"`
	Event lifecycle.Event `json:"event"`
}

type apiPage struct {
	Cases []lifecycle.Case `json:"cases"`
	Next  string           `json:"next"`
}

func (e *apiEnv) apiCreate(user string, in map[string]any, hdr ...string) lifecycle.Case {
	e.t.Helper()
	var c lifecycle.Case
	apiWant(e.t, e.apiDo(user, "POST", "/api/v1/cases", in, hdr...), 201, &c)
	return c
}

func (e *apiEnv) apiAct(user string, id int64, action string, in map[string]any) apiActResult {
	e.t.Helper()
	if in == nil {
		in = map[string]any{}
	}
	var out apiActResult
	r := e.apiDo(user, "POST", fmt.Sprintf("/api/v1/cases/%d/%s", id, action), in)
	if r.Status != 200 {
		e.t.Fatalf("%s %s on case %d: %v", user, action, id, r)
	}
	apiDecode(e.t, r, &out)
	if out.Case.ID != id || out.Event.CaseID != id {
		e.t.Fatalf("%s on case %d answered case %d event of case %d", action, id, out.Case.ID, out.Event.CaseID)
	}
	return out
}

func (e *apiEnv) apiGet(user string, id int64) lifecycle.Case {
	e.t.Helper()
	var c lifecycle.Case
	apiWant(e.t, e.apiDo(user, "GET", fmt.Sprintf("/api/v1/cases/%d", id), nil), 200, &c)
	return c
}

func (e *apiEnv) apiEvents(user string, id int64) []lifecycle.Event {
	e.t.Helper()
	var out struct {
		Events []lifecycle.Event `json:"events"`
	}
	apiWant(e.t, e.apiDo(user, "GET", fmt.Sprintf("/api/v1/cases/%d/events", id), nil), 200, &out)
	return out.Events
}

func (e *apiEnv) apiList(user, query string) apiPage {
	e.t.Helper()
	var p apiPage
	apiWant(e.t, e.apiDo(user, "GET", "/api/v1/cases?"+query, nil), 200, &p)
	return p
}

// apiCountPhone counts the cases of a phone number, as the centre sees them.
func (e *apiEnv) apiCountPhone(phone string) int {
	e.t.Helper()
	return len(e.apiList(e.agent, "limit=200&phone="+url.QueryEscape(phone)).Cases)
}

// apiSnap is what must not change when a request is refused.
type apiSnap struct {
	version int64
	state   lifecycle.State
	events  int
}

func (e *apiEnv) apiSnapshot(id int64) apiSnap {
	e.t.Helper()
	c := e.apiGet(e.agent, id)
	return apiSnap{c.Version, c.State, len(e.apiEvents(e.agent, id))}
}

func (e *apiEnv) apiUnchanged(id int64, before apiSnap, after string) {
	e.t.Helper()
	if now := e.apiSnapshot(id); now != before {
		e.t.Fatalf("after %s case %d changed: %+v → %+v", after, id, before, now)
	}
}

// apiCaseIn is a valid phone complaint at p.
func (e *apiEnv) apiCaseIn(p apiPoint, phone string) map[string]any {
	return map[string]any{
		"channel": "phone", "type": "complaint", "category": "urban.stall",
		"title": "人行道占道经营", "description": "路口有流动摊贩长期占用人行道摆摊，行人只能走机动车道。",
		"address": "测试路1号", "lat": p.Lat, "lon": p.Lon,
		"citizen_name": "张三丰", "citizen_phone": phone,
	}
}

// ---- the city, found through the API ----

func apiCity(e *apiEnv) {
	t := e.t
	t.Helper()
	var all struct {
		Places []org.Place `json:"places"`
	}
	apiWant(t, e.apiDo(e.agent, "GET", "/api/v1/places", nil), 200, &all)
	byID := map[int64]org.Place{}
	for _, p := range all.Places {
		byID[p.ID] = p
	}
	districtOf := func(id int64) int64 {
		for p := byID[id]; p.ID != 0; p = byID[p.ParentID] {
			if p.Level == org.LevelDistrict {
				return p.ID
			}
		}
		return 0
	}
	var grids struct {
		Places []org.Place `json:"places"`
	}
	apiWant(t, e.apiDo(e.agent, "GET", "/api/v1/places?level=grid&boundaries=1", nil), 200, &grids)
	if len(grids.Places) < 50 {
		t.Fatalf("only %d grids in the demo city", len(grids.Places))
	}
	var found []apiPoint
	for _, g := range grids.Places {
		if g.Level != org.LevelGrid || g.Boundary == "" {
			t.Fatalf("place %d in the grid list: level %q, boundary %d bytes", g.ID, g.Level, len(g.Boundary))
		}
		if len(found) == 1 && districtOf(g.ID) == found[0].Loc.DistrictID {
			continue
		}
		shape, err := geo.Parse(g.Boundary)
		if err != nil {
			t.Fatalf("grid %d boundary: %v", g.ID, err)
		}
		ring := shape.Polys[0][0][:len(shape.Polys[0][0])-1]
		var lon, lat float64
		for _, v := range ring {
			lon += v[0]
			lat += v[1]
		}
		lon, lat = lon/float64(len(ring)), lat/float64(len(ring))
		var loc lifecycle.Location
		apiWant(t, e.apiDo(e.agent, "GET", fmt.Sprintf("/api/v1/locate?lat=%v&lon=%v", lat, lon), nil), 200, &loc)
		if loc.GridID != g.ID {
			continue // a centroid outside its own irregular grid: try another
		}
		if loc.DistrictID != districtOf(g.ID) || loc.StreetID == 0 || byID[loc.StreetID].Level != org.LevelStreet {
			t.Fatalf("locate(%v,%v) = %+v, inconsistent with the place tree", lat, lon, loc)
		}
		found = append(found, apiPoint{Lat: lat, Lon: lon, Loc: loc})
		if len(found) == 2 {
			break
		}
	}
	if len(found) != 2 {
		t.Fatalf("could not find two grids in two districts")
	}
	e.gridA, e.gridB = found[0], found[1]

	var units struct {
		Units []org.Unit `json:"units"`
	}
	apiWant(t, e.apiDo(e.agent, "GET", "/api/v1/units", nil), 200, &units)
	for _, u := range units.Units {
		switch {
		case u.Kind == org.KindStreet && u.PlaceID == e.gridA.Loc.StreetID:
			e.streetA = u
		case u.Kind == org.KindStreet && u.PlaceID == e.gridB.Loc.StreetID:
			e.streetB = u
		case u.Kind == org.KindDistrictCentre && u.PlaceID == e.gridA.Loc.DistrictID:
			e.districtA = u
		case u.Kind == org.KindDistrictCentre && u.PlaceID == e.gridB.Loc.DistrictID:
			e.districtB = u
		case u.Kind == org.KindDepartment && e.dept.ID == 0:
			e.dept = u
		}
	}
	for name, u := range map[string]org.Unit{"streetA": e.streetA, "streetB": e.streetB, "districtA": e.districtA, "districtB": e.districtB, "dept": e.dept} {
		if u.ID == 0 {
			t.Fatalf("no unit for %s", name)
		}
	}
	if e.streetA.SupervisorID != e.districtA.ID {
		t.Fatalf("street %d is supervised by %d, want its district centre %d", e.streetA.ID, e.streetA.SupervisorID, e.districtA.ID)
	}
	e.handlerA = e.apiUserIn(e.streetA.ID, org.RoleHandler)
	e.handlerB = e.apiUserIn(e.streetB.ID, org.RoleHandler)
	e.deptHandler = e.apiUserIn(e.dept.ID, org.RoleHandler)
	e.supA = e.apiUserIn(e.districtA.ID, org.RoleSupervisor)
	e.supB = e.apiUserIn(e.districtB.ID, org.RoleSupervisor)
}

// apiUserIn finds (as admin) a user of the unit with the role.
func (e *apiEnv) apiUserIn(unit int64, role string) string {
	e.t.Helper()
	var out struct {
		Users []org.User `json:"users"`
	}
	apiWant(e.t, e.apiDo(e.admin, "GET", fmt.Sprintf("/api/v1/users?unit_id=%d", unit), nil), 200, &out)
	for _, u := range out.Users {
		if u.UnitID != unit {
			e.t.Fatalf("users?unit_id=%d listed user %s of unit %d", unit, u.Username, u.UnitID)
		}
		if u.Has(role) {
			return u.Username
		}
	}
	e.t.Fatalf("unit %d has no %s", unit, role)
	return ""
}

func (e *apiEnv) apiUserID(user string) int64 {
	e.t.Helper()
	var me struct {
		User org.User `json:"user"`
	}
	apiWant(e.t, e.apiDo(user, "GET", "/api/v1/me", nil), 200, &me)
	return me.User.ID
}

// ---- the suite, on both stores ----

func TestAPISQLite(t *testing.T) { apiSuite(t, apiOpen(t, "")) }

func TestAPIPostgres(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	apiSuite(t, apiOpen(t, dsn))
}

func apiSuite(t *testing.T, e *apiEnv) {
	// Sub-tests share the seeded node and run in order; the scheduler test
	// moves a clock forward and must come last.
	for _, st := range []struct {
		name string
		fn   func(*apiEnv)
	}{
		{"ClosedLoop", apiTestClosedLoop},
		{"CreateRefusals", apiTestCreateRefusals},
		{"ActionRefusals", apiTestActionRefusals},
		{"Scoping", apiTestScoping},
		{"Idempotency", apiTestIdempotency},
		{"PersonalData", apiTestPersonalData},
		{"Attachments", apiTestAttachments},
		{"Language", apiTestLanguage},
		{"Pagination", apiTestPagination},
		{"ConcurrentActs", apiTestConcurrentActs},
		{"PortalAndReturn", apiTestPortalAndReturn},
		{"ReopenLimit", apiTestReopenLimit},
		{"Sessions", apiTestSessions},
		{"Multipart", apiTestMultipart},
		{"HealthAndMetrics", apiTestHealthMetrics},
		{"Scheduler", apiTestScheduler},
	} {
		parentT, parentCtx := e.t, e.ctx
		ok := t.Run(st.name, func(t *testing.T) {
			e.t, e.ctx = t, t.Context()
			st.fn(e)
		})
		e.t, e.ctx = parentT, parentCtx
		if !ok {
			return
		}
	}
}

// ---- 1. the closed loop ----

func apiTestClosedLoop(e *apiEnv) {
	t := e.t
	phone := e.apiPhone()
	c := e.apiCreate(e.agent, e.apiCaseIn(e.gridA, phone))
	if c.State != lifecycle.Received || c.Channel != "phone" || c.Number == "" || c.Version != 1 {
		t.Fatalf("created %+v", c)
	}
	if c.Location.StreetID != e.gridA.Loc.StreetID || c.Location.GridID != e.gridA.Loc.GridID || c.Location.DistrictID != e.gridA.Loc.DistrictID {
		t.Fatalf("location %+v, want %+v", c.Location, e.gridA.Loc)
	}
	id := c.ID

	r := e.apiAct(e.agent, id, "dispatch", map[string]any{"unit_id": e.streetA.ID, "co_unit_ids": []int64{e.dept.ID}, "note": "请街道主办"})
	if r.Case.State != lifecycle.Dispatched || r.Case.LeadUnitID != e.streetA.ID || len(r.Case.CoUnitIDs) != 1 || r.Case.CoUnitIDs[0] != e.dept.ID ||
		r.Case.SupervisingUnitID != e.districtA.ID || r.Case.ReplyBy.IsZero() || r.Case.SignBy.IsZero() {
		t.Fatalf("dispatched: %+v", r.Case)
	}

	r = e.apiAct(e.handlerA, id, "sign", nil)
	if r.Case.State != lifecycle.Signed || r.Case.SignedAt.IsZero() {
		t.Fatalf("signed: %+v", r.Case)
	}
	const returnReason = "内部退单理由：非本街道辖区"
	r = e.apiAct(e.handlerA, id, "request-return", map[string]any{"reason": returnReason})
	if r.Case.State != lifecycle.Signed || !r.Case.ReturnPending {
		t.Fatalf("return requested: state %s pending %v", r.Case.State, r.Case.ReturnPending)
	}
	r = e.apiAct(e.dispatcher, id, "reject-return", map[string]any{"note": "首接负责，请继续办理"})
	if r.Case.State != lifecycle.Signed || r.Case.ReturnPending || r.Case.LeadUnitID != e.streetA.ID || r.Case.Returns != 0 {
		t.Fatalf("return rejected: %+v", r.Case)
	}
	r = e.apiAct(e.handlerA, id, "contact", map[string]any{"means": "phone"})
	if r.Case.State != lifecycle.Contacted || r.Case.ContactedAt.IsZero() {
		t.Fatalf("contacted: %+v", r.Case)
	}
	const progressNote = "内部进度：已约城管联合执法"
	r = e.apiAct(e.handlerA, id, "progress", map[string]any{"note": progressNote})
	if r.Case.State != lifecycle.Handling {
		t.Fatalf("progress: state %s", r.Case.State)
	}
	oldReplyBy := r.Case.ReplyBy
	newReplyBy := oldReplyBy.Add(72 * time.Hour).Truncate(time.Second)
	const extReason = "内部延期理由：需协调多部门"
	r = e.apiAct(e.handlerA, id, "request-extension", map[string]any{"reason": extReason, "reply_by": newReplyBy})
	if !r.Case.ExtensionPending || !r.Case.ExtensionTo.Equal(newReplyBy) || !r.Case.ReplyBy.Equal(oldReplyBy) {
		t.Fatalf("extension requested: pending %v to %v reply_by %v", r.Case.ExtensionPending, r.Case.ExtensionTo, r.Case.ReplyBy)
	}
	r = e.apiAct(e.dispatcher, id, "approve-extension", nil)
	if r.Case.ExtensionPending || !r.Case.ReplyBy.Equal(newReplyBy) || r.Case.Extensions != 1 || r.Case.State != lifecycle.Handling {
		t.Fatalf("extension approved: pending %v reply_by %v (want %v) extensions %d", r.Case.ExtensionPending, r.Case.ReplyBy, newReplyBy, r.Case.Extensions)
	}
	if got := e.apiGet(e.agent, id); !got.ReplyBy.Equal(newReplyBy) {
		t.Fatalf("stored reply_by %v, want %v", got.ReplyBy, newReplyBy)
	}
	// The co-handler finds the task in its 协办 inbox, not in its lead inbox.
	var co, lead apiPage
	apiWant(t, e.apiDo(e.deptHandler, "GET", "/api/v1/inbox?as=co&limit=200", nil), 200, &co)
	apiWant(t, e.apiDo(e.deptHandler, "GET", "/api/v1/inbox?limit=200", nil), 200, &lead)
	if !apiHas(co.Cases, id) || apiHas(lead.Cases, id) {
		t.Fatalf("co-handler inbox: in co %v, in lead %v", apiHas(co.Cases, id), apiHas(lead.Cases, id))
	}
	apiRefused(t, e.apiDo(e.deptHandler, "GET", "/api/v1/inbox?as=boss", nil), 422, errs.Invalid)
	const assistNote = "协办：已派执法队员现场核查"
	r = e.apiAct(e.deptHandler, id, "assist", map[string]any{"note": assistNote})
	if r.Case.State != lifecycle.Handling || r.Event.ActorUnitID != e.dept.ID {
		t.Fatalf("assist: state %s actor unit %d", r.Case.State, r.Event.ActorUnitID)
	}
	const reply1 = "已组织城管队员劝离摊贩"
	r = e.apiAct(e.handlerA, id, "reply", map[string]any{"result": "resolved", "note": reply1})
	if r.Case.State != lifecycle.Replied || r.Case.Result != "resolved" || r.Case.ReplyText != reply1 {
		t.Fatalf("replied: %+v", r.Case)
	}
	r = e.apiAct(e.agent, id, "callback", map[string]any{"resolved": false, "satisfaction": "unsatisfied", "reopen": true, "note": "市民表示摊贩又回来了"})
	if r.Case.State != lifecycle.Dispatched || r.Case.ReopenCount != 1 || r.Case.LeadUnitID != e.streetA.ID || r.Case.Result != "" || r.Event.Data["reopen"] != true {
		t.Fatalf("reopened: state %s reopen %d lead %d result %q data %v", r.Case.State, r.Case.ReopenCount, r.Case.LeadUnitID, r.Case.Result, r.Event.Data)
	}
	e.apiAct(e.handlerA, id, "sign", nil)
	e.apiAct(e.handlerA, id, "contact", map[string]any{"means": "visit"})
	const reply2 = "已安排专人每日巡查，摊贩已清理"
	r = e.apiAct(e.handlerA, id, "reply", map[string]any{"result": "resolved", "note": reply2})
	if r.Case.State != lifecycle.Replied {
		t.Fatalf("second reply: state %s", r.Case.State)
	}
	r = e.apiAct(e.agent, id, "callback", map[string]any{"resolved": true, "satisfaction": "satisfied"})
	if r.Case.State != lifecycle.Closed || r.Case.CloseReason != lifecycle.CloseCallback || r.Case.Satisfaction != "satisfied" ||
		r.Case.Resolved == nil || !*r.Case.Resolved || r.Case.ClosedAt.IsZero() || r.Case.Version != 16 {
		t.Fatalf("closed: %+v", r.Case)
	}

	// The timeline: every step, in order, with its states and actors.
	type step struct {
		action   lifecycle.Action
		from, to lifecycle.State
		unit     int64
	}
	centre := r.Event.ActorUnitID // the agent's unit: the city centre
	want := []step{
		{lifecycle.ActCreate, "", lifecycle.Received, centre},
		{lifecycle.ActDispatch, lifecycle.Received, lifecycle.Dispatched, centre},
		{lifecycle.ActSign, lifecycle.Dispatched, lifecycle.Signed, e.streetA.ID},
		{lifecycle.ActRequestReturn, lifecycle.Signed, lifecycle.Signed, e.streetA.ID},
		{lifecycle.ActRejectReturn, lifecycle.Signed, lifecycle.Signed, centre},
		{lifecycle.ActContact, lifecycle.Signed, lifecycle.Contacted, e.streetA.ID},
		{lifecycle.ActProgress, lifecycle.Contacted, lifecycle.Handling, e.streetA.ID},
		{lifecycle.ActRequestExtension, lifecycle.Handling, lifecycle.Handling, e.streetA.ID},
		{lifecycle.ActApproveExtension, lifecycle.Handling, lifecycle.Handling, centre},
		{lifecycle.ActAssist, lifecycle.Handling, lifecycle.Handling, e.dept.ID},
		{lifecycle.ActReply, lifecycle.Handling, lifecycle.Replied, e.streetA.ID},
		{lifecycle.ActCallback, lifecycle.Replied, lifecycle.Dispatched, centre},
		{lifecycle.ActSign, lifecycle.Dispatched, lifecycle.Signed, e.streetA.ID},
		{lifecycle.ActContact, lifecycle.Signed, lifecycle.Contacted, e.streetA.ID},
		{lifecycle.ActReply, lifecycle.Contacted, lifecycle.Replied, e.streetA.ID},
		{lifecycle.ActCallback, lifecycle.Replied, lifecycle.Closed, centre},
	}
	evs := e.apiEvents(e.agent, id)
	if len(evs) != len(want) {
		for _, ev := range evs {
			t.Logf("event %d %s %s→%s", ev.Seq, ev.Action, ev.FromState, ev.ToState)
		}
		t.Fatalf("%d events, want %d", len(evs), len(want))
	}
	for i, w := range want {
		ev := evs[i]
		if ev.Seq != i+1 || ev.Action != w.action || ev.FromState != w.from || ev.ToState != w.to || ev.ActorUnitID != w.unit || ev.CaseID != id {
			t.Errorf("event %d: seq %d %s %s→%s by unit %d; want %s %s→%s by unit %d", i+1, ev.Seq, ev.Action, ev.FromState, ev.ToState, ev.ActorUnitID, w.action, w.from, w.to, w.unit)
		}
		if i > 0 && ev.At.Before(evs[i-1].At) {
			t.Errorf("event %d at %v before event %d at %v", i+1, ev.At, i, evs[i-1].At)
		}
	}
	if d := evs[7].Data; d["reason"] != extReason {
		t.Errorf("extension event data %v", d)
	}
	if d := evs[8].Data; d["reply_by"] == nil || d["old_reply_by"] == nil {
		t.Errorf("approve_extension event data %v", d)
	}
	if t.Failed() {
		t.FailNow()
	}

	// The citizen's view: citizen-facing lines only.
	var pub struct {
		Number   string          `json:"number"`
		State    lifecycle.State `json:"state"`
		Result   string          `json:"result"`
		Reply    string          `json:"reply"`
		Timeline []struct {
			At   time.Time `json:"at"`
			Text string    `json:"text"`
		} `json:"timeline"`
	}
	lr := e.apiDo("", "POST", "/api/v1/public/lookup", map[string]string{"number": c.Number, "phone": phone})
	apiWant(t, lr, 200, &pub)
	if pub.Number != c.Number || pub.State != lifecycle.Closed || pub.Result != "resolved" || pub.Reply != reply2 {
		t.Fatalf("lookup: %s", lr.Body)
	}
	wantLines := []string{
		"您的诉求已提交",
		"已派至 " + e.streetA.Name + " 办理",
		"承办单位已签收",
		"承办单位已与您联系",
		"办理期限已延长",
		"承办单位已答复：" + reply1,
		"根据您的回访意见，已重新交办",
		"承办单位已签收",
		"承办单位已与您联系",
		"承办单位已答复：" + reply2,
		"回访完成，诉求已办结",
	}
	var got []string
	for _, l := range pub.Timeline {
		got = append(got, l.Text)
	}
	if strings.Join(got, "\n") != strings.Join(wantLines, "\n") {
		t.Fatalf("citizen timeline:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantLines, "\n"))
	}
	secret := []string{returnReason, progressNote, extReason, assistNote, "首接负责", "请街道主办", "摊贩又回来了", "actor_name", "actor_role"}
	for _, ev := range evs {
		if ev.ActorName != "" {
			secret = append(secret, ev.ActorName)
		}
	}
	for _, s := range secret {
		if bytes.Contains(lr.Body, []byte(s)) {
			t.Errorf("citizen view contains %q: %s", s, lr.Body)
		}
	}
	// The same request in English.
	lr = e.apiDo("", "POST", "/api/v1/public/lookup", map[string]string{"number": c.Number, "phone": phone}, "Accept-Language", "en-GB,en;q=0.9")
	apiWant(t, lr, 200, &pub)
	if len(pub.Timeline) != len(wantLines) || pub.Timeline[0].Text != "Your request was submitted" || pub.Timeline[len(wantLines)-1].Text != "Callback done; the request is closed" {
		t.Fatalf("English lookup: %s", lr.Body)
	}
	// A wrong phone is a wrong number.
	apiRefused(t, e.apiDo("", "POST", "/api/v1/public/lookup", map[string]string{"number": c.Number, "phone": "13900000000"}), 404, errs.NotFound)
	apiRefused(t, e.apiDo("", "POST", "/api/v1/public/lookup", map[string]string{"number": c.Number, "phone": "not a phone"}), 404, errs.NotFound)
	apiRefused(t, e.apiDo("", "POST", "/api/v1/public/lookup", map[string]string{"number": "19990101" + "99999", "phone": phone}), 404, errs.NotFound)
}

// ---- 2. refusals ----

func apiTestCreateRefusals(e *apiEnv) {
	t := e.t
	phone := e.apiPhone()
	base := func(mod func(m map[string]any)) map[string]any {
		m := e.apiCaseIn(e.gridA, phone)
		mod(m)
		return m
	}
	cases := []struct {
		name   string
		body   any
		status int
		code   errs.Code
		field  string
	}{
		{"broken JSON", `{"channel": "phone",`, 400, errs.InvalidJSON, ""},
		{"unknown field", base(func(m map[string]any) { m["colour"] = "red" }), 400, errs.InvalidJSON, ""},
		{"wrong type", base(func(m map[string]any) { m["lat"] = "north" }), 400, errs.InvalidJSON, "lat"},
		{"unknown category", base(func(m map[string]any) { m["category"] = "urban.unicorns" }), 422, errs.UnknownCategory, "category"},
		{"branch category", base(func(m map[string]any) { m["category"] = "urban" }), 422, errs.UnknownCategory, "category"},
		{"outside the city", base(func(m map[string]any) { m["lat"], m["lon"] = 31.2304, 121.4737 }), 422, errs.OutsideCity, "lat"},
		{"invalid phone", base(func(m map[string]any) { m["citizen_phone"] = "12345" }), 422, errs.InvalidPhone, "citizen_phone"},
		{"description too long", base(func(m map[string]any) { m["description"] = strings.Repeat("长", 5000) }), 422, errs.FieldTooLong, "description"},
		{"invalid type", base(func(m map[string]any) { m["type"] = "rant" }), 422, errs.InvalidType, "type"},
		{"invalid channel", base(func(m map[string]any) { m["channel"] = "pigeon" }), 422, errs.InvalidChannel, "channel"},
		{"lat without lon", base(func(m map[string]any) { delete(m, "lon") }), 422, errs.InvalidLocation, "lat"},
		{"lat out of range", base(func(m map[string]any) { m["lat"] = 123.0 }), 422, errs.InvalidLocation, "lat"},
		{"no description", base(func(m map[string]any) { delete(m, "description") }), 422, errs.FieldRequired, "description"},
		{"blank description", base(func(m map[string]any) { m["description"] = "   " }), 422, errs.FieldRequired, "description"},
		{"invalid urgency", base(func(m map[string]any) { m["urgency"] = "whenever" }), 422, errs.InvalidUrgency, "urgency"},
		{"unknown place", base(func(m map[string]any) { delete(m, "lat"); delete(m, "lon"); m["place_id"] = 99999999 }), 422, errs.UnknownPlace, "place_id"},
	}
	for _, tc := range cases {
		b := apiRefused(t, e.apiDo(e.agent, "POST", "/api/v1/cases", tc.body), tc.status, tc.code)
		if b.Field != tc.field {
			t.Errorf("%s: field %q, want %q", tc.name, b.Field, tc.field)
		}
	}
	// Unauthenticated: no token, a bad token.
	apiRefused(t, e.apiDo("", "POST", "/api/v1/cases", e.apiCaseIn(e.gridA, phone)), 401, errs.Unauthenticated)
	apiRefused(t, e.apiDo("", "GET", "/api/v1/cases", nil, "Authorization", "Bearer not-a-token"), 401, errs.Unauthenticated)
	apiRefused(t, e.apiDo("", "POST", "/api/v1/auth/login", map[string]string{"username": e.agent, "password": "wrong-password"}), 401, errs.BadCredentials)
	// A handler may not take requests in.
	apiRefused(t, e.apiDo(e.handlerA, "POST", "/api/v1/cases", e.apiCaseIn(e.gridA, phone)), 403, errs.Forbidden)
	// Nothing was written.
	if n := e.apiCountPhone(phone); n != 0 {
		t.Fatalf("%d cases written by refused requests", n)
	}
	// … and the same body, corrected, is accepted.
	e.apiCreate(e.agent, e.apiCaseIn(e.gridA, phone))
	if n := e.apiCountPhone(phone); n != 1 {
		t.Fatalf("%d cases after one create", n)
	}
}

func apiTestActionRefusals(e *apiEnv) {
	t := e.t
	c := e.apiCreate(e.agent, e.apiCaseIn(e.gridA, e.apiPhone()))
	id := c.ID
	path := func(a string) string { return fmt.Sprintf("/api/v1/cases/%d/%s", id, a) }

	// A user who can see every case and holds a handler role signs a received case.
	var nu org.User
	apiRefused(t, e.apiDo(e.admin, "POST", "/api/v1/users", map[string]any{
		"username": "t-agent-handler", "display_name": "测试双角色", "unit_id": 99999999, "roles": []string{"agent", "handler"}, "password": demo.DemoPassword,
	}), 422, errs.UnknownUnit)
	apiRefused(t, e.apiDo(e.agent, "POST", "/api/v1/users", map[string]any{
		"username": "t-agent-handler", "display_name": "测试双角色", "unit_id": e.streetA.ID, "roles": []string{"agent", "handler"}, "password": demo.DemoPassword,
	}), 403, errs.Forbidden)
	var me struct {
		Unit org.Unit `json:"unit"`
	}
	apiWant(t, e.apiDo(e.agent, "GET", "/api/v1/me", nil), 200, &me)
	apiWant(t, e.apiDo(e.admin, "POST", "/api/v1/users", map[string]any{
		"username": "t-agent-handler", "display_name": "测试双角色", "unit_id": me.Unit.ID, "roles": []string{"agent", "handler"}, "password": demo.DemoPassword,
	}), 201, &nu)
	snap := e.apiSnapshot(id)
	b := apiRefused(t, e.apiDo("t-agent-handler", "POST", path("sign"), "{}"), 409, errs.InvalidTransition)
	if !strings.Contains(b.Detail, "received") {
		t.Errorf("invalid_transition detail %q does not name the state", b.Detail)
	}
	// Broken and unknown bodies.
	apiRefused(t, e.apiDo(e.agent, "POST", path("dispatch"), "{"), 400, errs.InvalidJSON)
	apiRefused(t, e.apiDo(e.agent, "POST", path("dispatch"), `{"unit": 1}`), 400, errs.InvalidJSON)
	apiRefused(t, e.apiDo(e.agent, "POST", path("dispatch"), `{}`), 422, errs.FieldRequired)
	apiRefused(t, e.apiDo(e.agent, "POST", path("dispatch"), map[string]any{"unit_id": 99999999}), 422, errs.UnknownUnit)
	apiRefused(t, e.apiDo("", "POST", path("dispatch"), map[string]any{"unit_id": e.streetA.ID}), 401, errs.Unauthenticated)
	apiRefused(t, e.apiDo(e.agent, "POST", "/api/v1/cases/99999999/dispatch", map[string]any{"unit_id": e.streetA.ID}), 404, errs.NotFound)
	e.apiUnchanged(id, snap, "refusals on a received case")

	e.apiAct(e.agent, id, "dispatch", map[string]any{"unit_id": e.streetA.ID, "co_unit_ids": []int64{e.dept.ID}})
	snap = e.apiSnapshot(id)
	// Another street cannot even see it.
	apiRefused(t, e.apiDo(e.handlerB, "POST", path("sign"), "{}"), 404, errs.NotFound)
	// The co-handler sees it but does not lead it.
	apiRefused(t, e.apiDo(e.deptHandler, "POST", path("sign"), "{}"), 403, errs.NotLeadUnit)
	apiRefused(t, e.apiDo(e.deptHandler, "POST", path("reply"), map[string]any{"result": "resolved", "note": "x"}), 409, errs.InvalidTransition)
	// The lead unit sees it but may not dispatch.
	apiRefused(t, e.apiDo(e.handlerA, "POST", path("dispatch"), map[string]any{"unit_id": e.streetB.ID}), 403, errs.Forbidden)
	// Only the centre decides returns; there is none pending anyway.
	apiRefused(t, e.apiDo(e.handlerA, "POST", path("approve-return"), "{}"), 403, errs.Forbidden)
	apiRefused(t, e.apiDo(e.dispatcher, "POST", path("approve-return"), "{}"), 409, errs.NoReturnPending)
	apiRefused(t, e.apiDo(e.handlerA, "POST", path("request-return"), "{}"), 422, errs.FieldRequired)
	e.apiUnchanged(id, snap, "refusals on a dispatched case")

	signed := e.apiAct(e.handlerA, id, "sign", nil).Case
	snap = e.apiSnapshot(id)
	apiRefused(t, e.apiDo(e.handlerA, "POST", path("sign"), "{}"), 409, errs.InvalidTransition)
	b = apiRefused(t, e.apiDo(e.handlerA, "POST", path("request-extension"), map[string]any{"reason": "需要更多时间", "reply_by": time.Now().Add(-time.Hour)}), 422, errs.DeadlineInPast)
	if b.Field != "reply_by" {
		t.Errorf("deadline_in_past field %q", b.Field)
	}
	apiRefused(t, e.apiDo(e.handlerA, "POST", path("request-extension"), map[string]any{"reason": "需要更多时间", "reply_by": signed.ReplyBy}), 422, errs.DeadlineNotLater)
	apiRefused(t, e.apiDo(e.handlerA, "POST", path("request-extension"), map[string]any{"reason": "需要更多时间"}), 422, errs.FieldRequired)
	apiRefused(t, e.apiDo(e.handlerA, "POST", path("reply"), map[string]any{"result": "resolved", "note": "已处理"}), 409, errs.InvalidTransition) // not contacted yet
	// Not open before contact, whatever the arguments (lifecycle.Precondition comes first).
	apiRefused(t, e.apiDo(e.handlerA, "POST", path("reply"), map[string]any{"result": "maybe", "note": "已处理"}), 409, errs.InvalidTransition)
	apiRefused(t, e.apiDo(e.handlerA, "POST", path("note"), map[string]any{"note": strings.Repeat("长", 2001)}), 422, errs.FieldTooLong)
	apiRefused(t, e.apiDo(e.agent, "POST", path("callback"), map[string]any{"resolved": true, "satisfaction": "satisfied"}), 409, errs.InvalidTransition)
	e.apiUnchanged(id, snap, "refusals on a signed case")
	// return_window_closed needs the return window to pass: covered by the
	// lifecycle tests, not reachable over HTTP without waiting a day.
}

// ---- 3. scoping ----

func apiTestScoping(e *apiEnv) {
	t := e.t
	c := e.apiCreate(e.agent, e.apiCaseIn(e.gridA, e.apiPhone()))
	id := c.ID
	e.apiAct(e.agent, id, "dispatch", map[string]any{"unit_id": e.streetA.ID})
	snap := e.apiSnapshot(id)

	// Another street: 404 on everything about it.
	for _, p := range []string{"", "/events", "/links"} {
		apiRefused(t, e.apiDo(e.handlerB, "GET", fmt.Sprintf("/api/v1/cases/%d%s", id, p), nil), 404, errs.NotFound)
	}
	apiRefused(t, e.apiDo(e.handlerB, "GET", "/api/v1/cases/by-number/"+c.Number, nil), 404, errs.NotFound)
	apiRefused(t, e.apiDo(e.handlerB, "POST", fmt.Sprintf("/api/v1/cases/%d/note", id), map[string]any{"note": "看看"}), 404, errs.NotFound)
	apiRefused(t, e.apiDo(e.handlerB, "POST", fmt.Sprintf("/api/v1/cases/%d/reveal", id), nil), 404, errs.NotFound)
	e.apiUnchanged(id, snap, "another street's attempts")
	pb := e.apiList(e.handlerB, "limit=200")
	for _, x := range pb.Cases {
		if x.ID == id {
			t.Fatalf("street B lists street A's case %d", id)
		}
		if x.LeadUnitID != e.streetB.ID && x.SupervisingUnitID != e.streetB.ID && !x.IsCoUnit(e.streetB.ID) {
			t.Fatalf("street B lists case %d led by %d", x.ID, x.LeadUnitID)
		}
	}
	inboxB := apiPage{}
	apiWant(t, e.apiDo(e.handlerB, "GET", "/api/v1/inbox", nil), 200, &inboxB)
	for _, x := range inboxB.Cases {
		if x.ID == id || x.LeadUnitID != e.streetB.ID {
			t.Fatalf("street B inbox has case %d led by %d", x.ID, x.LeadUnitID)
		}
	}
	// Its own street: sees it, in list and inbox.
	if got := e.apiGet(e.handlerA, id); got.ID != id {
		t.Fatal("street A cannot read its case")
	}
	if !apiHas(e.apiList(e.handlerA, "limit=200").Cases, id) {
		t.Fatalf("street A does not list its case %d", id)
	}
	inboxA := apiPage{}
	apiWant(t, e.apiDo(e.handlerA, "GET", "/api/v1/inbox?limit=200", nil), 200, &inboxA)
	if !apiHas(inboxA.Cases, id) {
		t.Fatalf("street A's inbox lacks case %d", id)
	}

	// District supervisors: their district only.
	if got := e.apiGet(e.supA, id); got.ID != id {
		t.Fatal("district A supervisor cannot read the case")
	}
	apiRefused(t, e.apiDo(e.supB, "GET", fmt.Sprintf("/api/v1/cases/%d", id), nil), 404, errs.NotFound)
	apiRefused(t, e.apiDo(e.supB, "GET", fmt.Sprintf("/api/v1/cases/%d/events", id), nil), 404, errs.NotFound)
	pa := e.apiList(e.supA, "limit=200")
	if !apiHas(pa.Cases, id) {
		t.Fatalf("district A supervisor does not list case %d", id)
	}
	for _, x := range pa.Cases {
		if x.Location.DistrictID != e.gridA.Loc.DistrictID && x.LeadUnitID != e.districtA.ID && x.SupervisingUnitID != e.districtA.ID && !x.IsCoUnit(e.districtA.ID) {
			t.Fatalf("district A supervisor lists case %d of district %d", x.ID, x.Location.DistrictID)
		}
	}
	if apiHas(e.apiList(e.supB, "limit=200").Cases, id) {
		t.Fatalf("district B supervisor lists district A's case")
	}
	// A seeded case of district B: the centre and B's supervisor see it, A's does not.
	other := e.apiList(e.agent, fmt.Sprintf("district_id=%d&limit=1", e.gridB.Loc.DistrictID)).Cases
	if len(other) != 1 || other[0].Location.DistrictID != e.gridB.Loc.DistrictID {
		t.Fatalf("no seeded case in district B: %+v", other)
	}
	e.apiGet(e.supB, other[0].ID)
	apiRefused(t, e.apiDo(e.supA, "GET", fmt.Sprintf("/api/v1/cases/%d", other[0].ID), nil), 404, errs.NotFound)
	// A supervisor may supervise within scope, not outside it.
	s := e.apiAct(e.supA, id, "supervise", map[string]any{"note": "请加快办理"})
	if !s.Case.Supervised {
		t.Fatal("supervise did not mark the case")
	}
	apiRefused(t, e.apiDo(e.supB, "POST", fmt.Sprintf("/api/v1/cases/%d/supervise", id), map[string]any{"note": "x"}), 404, errs.NotFound)

	// The centre sees everything: more than any district.
	all := e.apiList(e.agent, "limit=200")
	if len(all.Cases) != 200 || all.Next == "" {
		t.Fatalf("centre lists %d cases (next %q), want a full page", len(all.Cases), all.Next)
	}
	e.apiGet(e.agent, other[0].ID)
	e.apiGet(e.dispatcher, id)

	// Analysts: every case, no personal data; no phone search.
	an := e.apiGet(e.analyst, id)
	if an.Citizen.Name != "" || an.Citizen.Phone != "" {
		t.Fatalf("analyst sees citizen %+v", an.Citizen)
	}
	r := e.apiDo(e.analyst, "GET", "/api/v1/cases?limit=200", nil)
	var ap apiPage
	apiWant(t, r, 200, &ap)
	if len(ap.Cases) != 200 {
		t.Fatalf("analyst lists %d cases", len(ap.Cases))
	}
	for _, x := range ap.Cases {
		if x.Citizen.Name != "" || x.Citizen.Phone != "" {
			t.Fatalf("analyst list shows citizen of case %d: %+v", x.ID, x.Citizen)
		}
	}
	for _, key := range []string{`"phone":`, `"name":`} {
		if i := bytes.Index(r.Body, []byte(key)); i >= 0 {
			t.Fatalf("analyst list carries %s: …%s…", key, r.Body[max(0, i-100):min(len(r.Body), i+100)])
		}
	}
	apiRefused(t, e.apiDo(e.analyst, "GET", "/api/v1/cases?phone=13800000000", nil), 403, errs.PhoneSearchForbidden)
	apiRefused(t, e.apiDo(e.supA, "GET", "/api/v1/cases?phone=13800000000", nil), 403, errs.PhoneSearchForbidden)
	apiRefused(t, e.apiDo(e.analyst, "POST", fmt.Sprintf("/api/v1/cases/%d/note", id), map[string]any{"note": "x"}), 403, errs.Forbidden)
}

// apiWarmClient returns a client with n open keep-alive connections to the
// server, so that n requests sent at once reach the handlers together.
func apiWarmClient(e *apiEnv, n int) *http.Client {
	e.t.Helper()
	tr := e.srv.Client().Transport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost, tr.MaxConnsPerHost = n, n
	e.t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	var wg sync.WaitGroup
	var ready sync.WaitGroup
	ready.Add(n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each request holds its connection until all n are open.
			pr, pw := io.Pipe()
			req, _ := http.NewRequestWithContext(e.ctx, "POST", e.srv.URL+"/healthz-warm", pr)
			done := make(chan struct{})
			go func() {
				defer close(done)
				if resp, err := client.Do(req); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}()
			pw.Write([]byte("x"))
			ready.Done()
			ready.Wait()
			pw.Close()
			<-done
		}()
	}
	wg.Wait()
	return client
}

func apiHas(cs []lifecycle.Case, id int64) bool {
	for _, c := range cs {
		if c.ID == id {
			return true
		}
	}
	return false
}

// ---- 4. idempotency ----

func apiTestIdempotency(e *apiEnv) {
	t := e.t
	phone := e.apiPhone()
	body := e.apiCaseIn(e.gridA, phone)
	key := fmt.Sprintf("t-%s-%d", t.Name(), time.Now().UnixNano())
	r1 := e.apiDo(e.agent, "POST", "/api/v1/cases", body, "Idempotency-Key", key)
	var c1, c2 lifecycle.Case
	apiWant(t, r1, 201, &c1)
	if r1.Header.Get("Idempotent-Replayed") != "" {
		t.Fatal("first create marked as replayed")
	}
	r2 := e.apiDo(e.agent, "POST", "/api/v1/cases", body, "Idempotency-Key", key)
	apiWant(t, r2, 200, &c2)
	if r2.Header.Get("Idempotent-Replayed") != "true" || c2.ID != c1.ID || c2.Number != c1.Number {
		t.Fatalf("replay: header %q id %d number %s, want id %d number %s", r2.Header.Get("Idempotent-Replayed"), c2.ID, c2.Number, c1.ID, c1.Number)
	}
	if r2.Header.Get("Location") != fmt.Sprintf("/api/v1/cases/%d", c1.ID) {
		t.Errorf("replay Location %q", r2.Header.Get("Location"))
	}
	// The key for another body.
	other := e.apiCaseIn(e.gridA, phone)
	other["description"] = "另一个诉求"
	apiRefused(t, e.apiDo(e.agent, "POST", "/api/v1/cases", other, "Idempotency-Key", key), 422, errs.IdempotencyMismatch)
	if n := e.apiCountPhone(phone); n != 1 {
		t.Fatalf("%d cases for one idempotent create", n)
	}
	if evs := e.apiEvents(e.agent, c1.ID); len(evs) != 1 {
		t.Fatalf("%d events after replays", len(evs))
	}
	// Another user's key space is their own.
	r3 := e.apiDo(e.dispatcher, "POST", "/api/v1/cases", body, "Idempotency-Key", key)
	var c3 lifecycle.Case
	apiWant(t, r3, 201, &c3)
	if c3.ID == c1.ID {
		t.Fatal("another user's request replayed the agent's case")
	}
	if n := e.apiCountPhone(phone); n != 2 {
		t.Fatalf("%d cases, want 2", n)
	}

	// 20 concurrent requests with one key: one case. A lost race is a
	// matter of timing, so a few bursts, each with its own key and phone.
	const n = 20
	client := apiWarmClient(e, n)
	tok := e.apiToken(e.agent)
	for burst := range 5 {
		phone2 := e.apiPhone()
		j, _ := json.Marshal(e.apiCaseIn(e.gridB, phone2))
		key2 := fmt.Sprintf("%s-concurrent-%d", key, burst)
		type res struct {
			status   int
			id       int64
			replayed string
			body     string
		}
		out := make([]res, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				req, _ := http.NewRequestWithContext(e.ctx, "POST", e.srv.URL+"/api/v1/cases", bytes.NewReader(j))
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", key2)
				resp, err := client.Do(req)
				if err != nil {
					out[i] = res{body: err.Error()}
					return
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				var c lifecycle.Case
				_ = json.Unmarshal(b, &c)
				out[i] = res{resp.StatusCode, c.ID, resp.Header.Get("Idempotent-Replayed"), string(b)}
			}()
		}
		close(start)
		wg.Wait()
		created := 0
		for i, r := range out {
			switch {
			case r.status == 201 && r.replayed == "":
				created++
			case r.status == 200 && r.replayed == "true":
			default:
				t.Fatalf("burst %d request %d: %d replayed=%q %s", burst, i, r.status, r.replayed, r.body)
			}
			if r.id == 0 || r.id != out[0].id {
				t.Fatalf("burst %d request %d answered case %d, request 0 case %d", burst, i, r.id, out[0].id)
			}
		}
		if created != 1 {
			t.Fatalf("burst %d: %d requests answered 201, want 1", burst, created)
		}
		if got := e.apiCountPhone(phone2); got != 1 {
			t.Fatalf("burst %d: %d cases from %d concurrent requests with one key", burst, got, n)
		}
	}
}

// ---- 5. personal data ----

func apiTestPersonalData(e *apiEnv) {
	t := e.t
	phone := e.apiPhone()
	masked := phone[:3] + "****" + phone[7:]
	c := e.apiCreate(e.agent, e.apiCaseIn(e.gridA, phone))
	if c.Citizen.Phone != masked || c.Citizen.Name != "张**" {
		t.Fatalf("create answered citizen %+v, want %s 张**", c.Citizen, masked)
	}
	e.apiAct(e.agent, c.ID, "dispatch", map[string]any{"unit_id": e.streetA.ID})
	for _, u := range []string{e.agent, e.dispatcher, e.handlerA, e.supA} {
		r := e.apiDo(u, "GET", fmt.Sprintf("/api/v1/cases/%d", c.ID), nil)
		var got lifecycle.Case
		apiWant(t, r, 200, &got)
		if got.Citizen.Phone != masked || got.Citizen.Name != "张**" || bytes.Contains(r.Body, []byte(phone)) || bytes.Contains(r.Body, []byte("张三丰")) {
			t.Fatalf("%s reads citizen %+v", u, got.Citizen)
		}
	}
	lst := e.apiDo(e.agent, "GET", "/api/v1/cases?phone="+phone, nil)
	if lst.Status != 200 || bytes.Contains(lst.Body, []byte(phone)) || !bytes.Contains(lst.Body, []byte(masked)) {
		t.Fatalf("list by phone: %v", lst)
	}

	var agentAudit0 = apiAuditCount(e, "reveal_citizen", c.ID)
	var rev struct {
		Name, Phone string
	}
	apiWant(t, e.apiDo(e.agent, "POST", fmt.Sprintf("/api/v1/cases/%d/reveal", c.ID), map[string]string{"purpose": "回访"}), 200, &rev)
	if rev.Phone != phone || rev.Name != "张三丰" {
		t.Fatalf("reveal: %+v", rev)
	}
	if n := apiAuditCount(e, "reveal_citizen", c.ID); n != agentAudit0+1 {
		t.Fatalf("%d reveal audit entries, want %d", n, agentAudit0+1)
	}
	var audit struct {
		Entries []audit.Entry `json:"entries"`
	}
	apiWant(t, e.apiDo(e.admin, "GET", "/api/v1/audit", nil), 200, &audit)
	top := audit.Entries[0]
	if top.Action != "reveal_citizen" || top.Target != fmt.Sprintf("case:%d", c.ID) || top.UserID != e.apiUserID(e.agent) || !strings.Contains(top.Detail, "回访") {
		t.Fatalf("newest audit entry %+v", top)
	}
	// The handler of the lead unit may reveal too (to contact the citizen).
	apiWant(t, e.apiDo(e.handlerA, "POST", fmt.Sprintf("/api/v1/cases/%d/reveal", c.ID), nil), 200, &rev)
	// Analysts and supervisors may not; nothing is audited for them.
	before := apiAuditCount(e, "reveal_citizen", c.ID)
	apiRefused(t, e.apiDo(e.analyst, "POST", fmt.Sprintf("/api/v1/cases/%d/reveal", c.ID), nil), 403, errs.Forbidden)
	apiRefused(t, e.apiDo(e.supA, "POST", fmt.Sprintf("/api/v1/cases/%d/reveal", c.ID), nil), 403, errs.Forbidden)
	if n := apiAuditCount(e, "reveal_citizen", c.ID); n != before {
		t.Fatalf("refused reveals audited: %d → %d", before, n)
	}
	apiRefused(t, e.apiDo(e.agent, "GET", "/api/v1/audit", nil), 403, errs.Forbidden)

	// A confidential citizen is hidden from the unit, even on reveal.
	conf := e.apiCaseIn(e.gridA, e.apiPhone())
	conf["confidential"] = true
	cc := e.apiCreate(e.agent, conf)
	e.apiAct(e.agent, cc.ID, "dispatch", map[string]any{"unit_id": e.streetA.ID})
	if got := e.apiGet(e.handlerA, cc.ID); got.Citizen.Name != "保密" || got.Citizen.Phone != "***********" {
		t.Fatalf("handler reads confidential citizen %+v", got.Citizen)
	}
	apiRefused(t, e.apiDo(e.handlerA, "POST", fmt.Sprintf("/api/v1/cases/%d/reveal", cc.ID), nil), 403, errs.Forbidden)
}

func apiAuditCount(e *apiEnv, action string, caseID int64) int {
	e.t.Helper()
	var audit struct {
		Entries []audit.Entry `json:"entries"`
	}
	apiWant(e.t, e.apiDo(e.admin, "GET", "/api/v1/audit", nil), 200, &audit)
	n := 0
	for _, a := range audit.Entries {
		if a.Action == action && a.Target == fmt.Sprintf("case:%d", caseID) {
			n++
		}
	}
	return n
}

// ---- 6. attachments ----

func apiTestAttachments(e *apiEnv) {
	t := e.t
	img := image.NewRGBA(image.Rect(0, 0, 8, 6))
	for x := range 8 {
		for y := range 6 {
			img.Set(x, y, color.RGBA{uint8(x * 30), uint8(y * 40), 200, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	pngBytes := buf.Bytes()
	var att lifecycle.Attachment
	apiWant(t, e.apiDo(e.agent, "POST", "/api/v1/attachments?name="+url.QueryEscape("现场照片.png"), pngBytes, "Content-Type", "image/png"), 201, &att)
	if att.ID == 0 || att.ContentType != "image/png" || att.Size != int64(len(pngBytes)) || att.Name != "现场照片.png" || len(att.SHA256) != 64 {
		t.Fatalf("uploaded %+v", att)
	}
	// Text, whatever it claims to be, is refused.
	apiRefused(t, e.apiDo(e.agent, "POST", "/api/v1/attachments?name=note.png", []byte("just some text, not an image"), "Content-Type", "image/png"), 415, errs.UnsupportedMedia)
	apiRefused(t, e.apiDo(e.agent, "POST", "/api/v1/attachments", []byte{}, "Content-Type", "image/png"), 422, errs.FieldRequired)
	// Before it is linked, only its uploader sees it.
	apiRefused(t, e.apiDo(e.dispatcher, "GET", fmt.Sprintf("/api/v1/attachments/%d", att.ID), nil), 404, errs.NotFound)

	in := e.apiCaseIn(e.gridA, e.apiPhone())
	in["attachments"] = []int64{att.ID}
	c := e.apiCreate(e.agent, in)
	evs := e.apiEvents(e.agent, c.ID)
	if len(evs) != 1 || len(evs[0].Attachments) != 1 || evs[0].Attachments[0] != att.ID {
		t.Fatalf("create event attachments: %+v", evs)
	}
	r := e.apiDo(e.agent, "GET", fmt.Sprintf("/api/v1/attachments/%d", att.ID), nil)
	if r.Status != 200 || !bytes.Equal(r.Body, pngBytes) || r.Header.Get("Content-Type") != "image/png" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("download: %d %q, %d bytes (want %d)", r.Status, r.Header.Get("Content-Type"), len(r.Body), len(pngBytes))
	}
	// Another user cannot take the attachment into their own case.
	in2 := e.apiCaseIn(e.gridA, e.apiPhone())
	in2["attachments"] = []int64{att.ID}
	phone2 := in2["citizen_phone"].(string)
	apiRefused(t, e.apiDo(e.dispatcher, "POST", "/api/v1/cases", in2), 404, errs.NotFound)
	if n := e.apiCountPhone(phone2); n != 0 {
		t.Fatalf("a refused create with a foreign attachment wrote %d cases", n)
	}

	e.apiAct(e.agent, c.ID, "dispatch", map[string]any{"unit_id": e.streetA.ID})
	r = e.apiDo(e.handlerA, "GET", fmt.Sprintf("/api/v1/attachments/%d", att.ID), nil)
	if r.Status != 200 || !bytes.Equal(r.Body, pngBytes) {
		t.Fatalf("lead unit download: %d, %d bytes", r.Status, len(r.Body))
	}
	apiRefused(t, e.apiDo(e.handlerB, "GET", fmt.Sprintf("/api/v1/attachments/%d", att.ID), nil), 404, errs.NotFound)
	apiRefused(t, e.apiDo(e.agent, "GET", "/api/v1/attachments/99999999", nil), 404, errs.NotFound)
}

// ---- 7. language ----

func apiTestLanguage(e *apiEnv) {
	t := e.t
	path := "/api/v1/cases/99999999"
	b := apiRefused(t, e.apiDo(e.agent, "GET", path, nil, "Accept-Language", "en-US,en;q=0.8"), 404, errs.NotFound)
	if b.Message != errs.Message(errs.NotFound, "en") || b.Message != "not found" {
		t.Fatalf("English message %q", b.Message)
	}
	b = apiRefused(t, e.apiDo(e.agent, "GET", path, nil), 404, errs.NotFound)
	if b.Message != "未找到" {
		t.Fatalf("default message %q", b.Message)
	}
	b = apiRefused(t, e.apiDo(e.agent, "GET", path, nil, "Accept-Language", "zh-CN,zh;q=0.9,en;q=0.5"), 404, errs.NotFound)
	if b.Message != "未找到" {
		t.Fatalf("zh-CN message %q", b.Message)
	}
	b = apiRefused(t, e.apiDo("", "GET", "/api/v1/cases", nil, "Accept-Language", "en"), 401, errs.Unauthenticated)
	if b.Message != "authentication required" {
		t.Fatalf("English 401 message %q", b.Message)
	}
	b = apiRefused(t, e.apiDo("", "GET", "/api/v1/cases", nil), 401, errs.Unauthenticated)
	if b.Message != "请先登录" {
		t.Fatalf("Chinese 401 message %q", b.Message)
	}
	in := e.apiCaseIn(e.gridA, "12")
	b = apiRefused(t, e.apiDo(e.agent, "POST", "/api/v1/cases?lang=en", in), 422, errs.InvalidPhone)
	if b.Message != "not a valid phone number" {
		t.Fatalf("?lang=en message %q", b.Message)
	}
	b = apiRefused(t, e.apiDo(e.agent, "POST", "/api/v1/cases", in, "Accept-Language", "fr-FR"), 422, errs.InvalidPhone)
	if b.Message != "电话号码格式不正确" {
		t.Fatalf("fallback message %q", b.Message)
	}
}

// ---- 9. health and metrics ----

func apiTestHealthMetrics(e *apiEnv) {
	t := e.t
	var h map[string]string
	apiWant(t, e.apiDo("", "GET", "/healthz", nil), 200, &h)
	if h["status"] != "ok" {
		t.Fatalf("healthz %v", h)
	}
	apiWant(t, e.apiDo("", "GET", "/readyz", nil), 200, &h)
	if h["status"] != "ready" {
		t.Fatalf("readyz %v", h)
	}
	counts, err := e.app.Store.CountByState(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	apiRefused(t, e.apiDo("", "GET", "/metrics", nil), 401, errs.Unauthenticated)
	apiRefused(t, e.apiDo(e.agent, "GET", "/metrics", nil), 401, errs.Unauthenticated)
	r := e.apiDo(e.admin, "GET", "/metrics", nil)
	if r.Status != 200 {
		t.Fatalf("metrics: %d", r.Status)
	}
	text := string(r.Body)
	for _, st := range lifecycle.States {
		line := fmt.Sprintf("whistle_cases{state=%q} %d\n", st, counts[string(st)])
		if !strings.Contains(text, line) {
			t.Errorf("metrics lack %q", strings.TrimSpace(line))
		}
	}
	if counts["closed"] == 0 {
		t.Errorf("no closed cases counted: %v", counts)
	}
	for _, want := range []string{
		"# TYPE whistle_http_request_duration_seconds histogram",
		`whistle_http_request_duration_seconds_count{method="POST",route="/api/v1/cases",status="2xx"}`,
		`whistle_http_request_duration_seconds_count{method="GET",route="/healthz",status="2xx"}`,
		`whistle_http_request_duration_seconds_count{method="GET",route="/api/v1/cases/{id}",status="4xx"}`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	apiRefused(t, e.apiDo("", "GET", "/no/such/route", nil), 404, errs.NotFound)
}

// ---- 8. the scheduler ----

func apiTestScheduler(e *apiEnv) {
	t := e.t
	in := e.apiCaseIn(e.gridA, e.apiPhone())
	in["urgency"] = "emergency"
	c := e.apiCreate(e.agent, in)
	d := e.apiAct(e.agent, c.ID, "dispatch", map[string]any{"unit_id": e.streetA.ID}).Case
	if d.Urgency != "emergency" || d.ReplyBy.Sub(d.DispatchedAt) > 2*time.Hour {
		t.Fatalf("emergency case: urgency %s reply_by %v dispatched %v", d.Urgency, d.ReplyBy, d.DispatchedAt)
	}
	later := time.Now().Add(3 * time.Hour)
	if !d.ReplyBy.Before(later) {
		t.Fatalf("reply_by %v not before %v", d.ReplyBy, later)
	}

	// Two nodes: on PostgreSQL two apps on one database; on SQLite two
	// services over the one store (a SQLite file has one writer).
	stores := []*store.Store{e.app.Store, e.app.Store}
	if e.cfg.DB != "" {
		cfg2 := e.cfg
		cfg2.Node = "node-b"
		b, err := app.Open(e.ctx, cfg2, apiLog)
		if err != nil {
			t.Fatalf("second node: %v", err)
		}
		t.Cleanup(func() { b.Close() })
		stores[1] = b.Store
	}
	svcs := make([]*services.Services, 2)
	for i, st := range stores {
		sc := e.app.Svc.Config()
		sc.Now = func() time.Time { return later }
		s, err := services.New(e.ctx, st, sc)
		if err != nil {
			t.Fatal(err)
		}
		svcs[i] = s
	}
	// Fire until nothing is due, both nodes at once each round.
	total := 0
	for round := 0; ; round++ {
		if round == 20 {
			t.Fatal("timers still firing after 20 rounds")
		}
		var wg sync.WaitGroup
		fired := make([]int, 2)
		errc := make([]error, 2)
		start := make(chan struct{})
		for i := range svcs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				fired[i], errc[i] = svcs[i].Cases.FireDue(e.ctx, fmt.Sprintf("node-%d", i), 10000)
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errc {
			if err != nil {
				t.Fatalf("round %d: node %d: %v", round, i, err)
			}
		}
		total += fired[0] + fired[1]
		if fired[0]+fired[1] == 0 {
			break
		}
	}
	if total < 3 {
		t.Fatalf("%d timers fired, want at least the case's three", total)
	}

	got := e.apiGet(e.agent, c.ID)
	if !got.Overdue || !got.Supervised || got.EscalationLevel != 1 || got.State != lifecycle.Dispatched || !got.DueSoon {
		t.Fatalf("after the deadline: overdue %v supervised %v escalation %d state %s due_soon %v", got.Overdue, got.Supervised, got.EscalationLevel, got.State, got.DueSoon)
	}
	count := map[string]int{}
	for _, ev := range e.apiEvents(e.agent, c.ID) {
		switch ev.Action {
		case lifecycle.ActOverdue, lifecycle.ActDueSoon:
			timer, _ := ev.Data["timer"].(string)
			count[string(ev.Action)+":"+timer]++
			if ev.ActorUserID != 0 || ev.ActorRole != org.RoleSystem || ev.FromState != lifecycle.Dispatched || ev.ToState != lifecycle.Dispatched {
				t.Errorf("system event %+v", ev)
			}
			if timer == lifecycle.TimerReply && ev.Data["escalated_to"] != float64(e.districtA.ID) {
				t.Errorf("reply overdue escalated to %v, want district centre %d", ev.Data["escalated_to"], e.districtA.ID)
			}
		}
	}
	want := map[string]int{"overdue:sign": 1, "due_soon:reply_soon": 1, "overdue:reply": 1}
	if fmt.Sprint(count) != fmt.Sprint(want) {
		t.Fatalf("system events %v, want %v", count, want)
	}
	// Nothing fires twice: one more pass on both nodes finds nothing due.
	for i, s := range svcs {
		if n, err := s.Cases.FireDue(e.ctx, "again", 10000); err != nil || n != 0 {
			t.Fatalf("node %d fired %d more (%v)", i, n, err)
		}
	}
	// The overdue case is in the supervising district's overdue list.
	p := e.apiList(e.supA, "overdue=true&limit=200")
	if !apiHas(p.Cases, c.ID) {
		t.Fatalf("district supervisor's overdue list lacks case %d", c.ID)
	}
}
