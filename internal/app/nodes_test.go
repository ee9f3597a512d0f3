package app_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"whistle/internal/app"
	"whistle/internal/auth"
	"whistle/internal/casework"
	"whistle/internal/config"
	"whistle/internal/core"
	"whistle/internal/demo"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/pgtest"
	"whistle/internal/scheduler"
	"whistle/internal/seed"
	"whistle/internal/services"
	"whistle/internal/store"
	"whistle/internal/summons"
)

// peer is one Whistle node's store and services on the shared database.
type peer struct {
	st  *store.Store
	svc *services.Services
}

func openNodes(t *testing.T, dsn string, n int, now func() time.Time) []peer {
	t.Helper()
	out := make([]peer, n)
	for i := range out {
		st, err := store.Open(t.Context(), dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		svc, err := services.New(t.Context(), st, core.Config{PhoneKey: []byte("k"), ReopenLimit: 2, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = peer{st, svc}
	}
	return out
}

// Three nodes on one PostgreSQL run their schedulers at the same moment
// over the same due timers: every case deadline (sign, reply, reply soon)
// and every whistle report-by time fires exactly once across the nodes,
// and the timers each node claimed add up to the timers fired. (FireDue
// and FireSummons claim each timer inside the transaction that acts on it:
// UPDATE … WHERE fired_at IS NULL, which a second node's transaction waits
// for and then finds spent.)
func TestDueTimersFireOnceAcrossNodes(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	var mu sync.Mutex
	base := time.Now()
	offset := time.Duration(0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return base.Add(offset) }
	nodes := openNodes(t, dsn, 3, clock)
	ctx := t.Context()
	n0 := nodes[0]
	if _, err := seed.Demo(ctx, n0.svc, demo.Options{Seed: 3, Requests: 20}, auth.FastHasher(), nil); err != nil {
		t.Fatal(err)
	}
	// The other nodes read the catalogue the demo made (their scheduler
	// reloads it every 30 s; docs/SCALEOUT.md).
	for _, nd := range nodes[1:] {
		if err := nd.svc.Reload(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Whatever the demo left due fires first, so that what follows counts
	// only the cases and whistles made here.
	if _, err := (&scheduler.Scheduler{Svc: n0.svc, Node: "warm-up"}).Tick(ctx); err != nil {
		t.Fatal(err)
	}
	agentUser, _, err := n0.st.UserByName(ctx, "agent01")
	if err != nil {
		t.Fatal(err)
	}
	agent, _ := n0.svc.Actor(agentUser)
	var street org.Unit
	var depts []org.Unit
	for _, u := range n0.svc.UnitsList() {
		switch {
		case u.Kind == org.KindStreet && street.ID == 0:
			street = u
		case u.Kind == org.KindDepartment && len(depts) < 3:
			depts = append(depts, u)
		}
	}
	streetH := handlerOf(t, n0, street.ID)
	var leaf string
	for _, c := range n0.svc.Categories() {
		if c.Leaf && c.Active {
			leaf = c.Code
			break
		}
	}
	var cases []int64
	for i := range 12 {
		c, _, err := nodes[i%3].svc.Cases.Create(ctx, agent, casework.NewCase{Channel: "phone", Type: "help", Category: leaf, Urgency: "emergency",
			Description: fmt.Sprintf("路面塌陷，车辆无法通行 %d", i), CitizenPhone: fmt.Sprintf("139000011%02d", i), PlaceID: street.PlaceID}, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := nodes[(i+1)%3].svc.Cases.Act(ctx, agent, c.ID, casework.ActInput{Action: lifecycle.ActDispatch, UnitID: street.ID}); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, c.ID)
	}
	var whistles []int64
	for i := range 4 {
		ids := make([]int64, len(depts))
		for k, d := range depts {
			ids[k] = d.ID
		}
		wh, err := nodes[i%3].svc.Whistles.RaiseWhistle(ctx, streetH, summons.Raise{Source: summons.SourceOwn, Address: fmt.Sprintf("幸福路%d号", i),
			Need: "占道经营联合执法", Kind: summons.KindJoint, UnitIDs: ids})
		if err != nil {
			t.Fatal(err)
		}
		whistles = append(whistles, wh.ID)
	}

	// Three hours later: the 30-minute sign limit, the 2-hour reply limit
	// and every report-by time have passed. All nodes tick at once, again
	// and again, until none finds anything due.
	mu.Lock()
	offset = 3 * time.Hour
	mu.Unlock()
	fired := make([]int, len(nodes))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, nd := range nodes {
		sch := &scheduler.Scheduler{Svc: nd.svc, Node: fmt.Sprintf("node%d", i), Batch: 5}
		wg.Go(func() {
			<-start
			for {
				n, err := sch.Tick(ctx)
				if err != nil {
					t.Errorf("node %d: %v", i, err)
					return
				}
				fired[i] += n
				if n == 0 {
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	if t.Failed() {
		return
	}

	for _, id := range cases {
		evs, err := n0.st.Events(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, e := range evs {
			if e.Action == lifecycle.ActOverdue || e.Action == lifecycle.ActDueSoon {
				count[string(e.Action)+":"+fmt.Sprint(e.Data["timer"])]++
			}
		}
		for _, k := range []string{"overdue:sign", "overdue:reply", "due_soon:reply_soon"} {
			if count[k] != 1 {
				t.Errorf("case %d: %s fired %d times, want 1 (all: %v)", id, k, count[k], count)
			}
		}
	}
	for _, id := range whistles {
		_, log, err := n0.svc.Whistles.Whistle(ctx, streetH, id)
		if err != nil {
			t.Fatal(err)
		}
		missed := map[int64]int{}
		for _, e := range log {
			if e.Action == summons.ActMissed {
				missed[e.UnitID]++
			}
		}
		for _, d := range depts {
			if missed[d.ID] != 1 {
				t.Errorf("whistle %d: department %d flagged %d times, want 1", id, d.ID, missed[d.ID])
			}
		}
	}
	// What each node says it fired adds up to what the tables record.
	byNode, err := n0.st.FiredTimers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	caseTimers := int64(0)
	for i := range nodes {
		caseTimers += byNode[fmt.Sprintf("node%d", i)]
	}
	total := fired[0] + fired[1] + fired[2]
	if want := int(caseTimers) + len(whistles)*len(depts); total != want {
		t.Errorf("nodes fired %v = %d timers; the tables record %d case timers + %d whistle timers", fired, total, caseTimers, len(whistles)*len(depts))
	}
	if caseTimers < int64(3*len(cases)) {
		t.Errorf("%d case timers fired, want at least %d", caseTimers, 3*len(cases))
	}
	t.Logf("timers fired per node: %v", fired)
	if left, err := n0.st.DueTimers(ctx, clock(), 10); err != nil || len(left) != 0 {
		t.Errorf("still due: %v, %v", left, err)
	}
}

func handlerOf(t *testing.T, nd peer, unitID int64) org.Actor {
	t.Helper()
	users, err := nd.st.Users(t.Context(), unitID)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.Has(org.RoleHandler) {
			a, err := nd.svc.Actor(u)
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
	}
	t.Fatalf("no handler in unit %d", unitID)
	return org.Actor{}
}

// Two nodes over real HTTP on one PostgreSQL: a session opened on node A
// works on node B, whose catalogue did not have the admin's unit yet; a
// session ended on node A (logout), and an API token revoked on node A,
// are refused by node B on the very next request; neither node keeps a
// verified token in memory.
func TestSessionRevokedOnEveryNode(t *testing.T) {
	dsn, data := pgtest.NewDatabase(t), t.TempDir()
	open := func() (*app.App, *httptest.Server) {
		cfg := config.Defaults()
		cfg.Data, cfg.DB, cfg.FastHash = data, dsn, true
		a, err := app.Open(t.Context(), cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		srv := httptest.NewServer(a.Handler())
		t.Cleanup(srv.Close)
		return a, srv
	}
	a, srvA := open()
	_, srvB := open() // B read its catalogue before A made the centre and the admin
	if _, _, err := seed.Bootstrap(t.Context(), a.Svc, auth.FastHasher(), "", adminPassword); err != nil {
		t.Fatal(err)
	}
	call := func(method, url, token, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var sb strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := res.Body.Read(buf)
			sb.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return res.StatusCode, sb.String()
	}
	login := func() string {
		t.Helper()
		st, body := call("POST", srvA.URL+"/api/v1/auth/login", "", `{"username":"admin","password":"`+adminPassword+`"}`)
		if st != 200 {
			t.Fatalf("login: %d %s", st, body)
		}
		_, rest, ok := strings.Cut(body, `"token":"`)
		tok, _, _ := strings.Cut(rest, `"`)
		if !ok || tok == "" {
			t.Fatalf("no token in %s", body)
		}
		return tok
	}
	tok := login()
	for _, srv := range []*httptest.Server{srvB, srvA, srvB} { // B has verified it (and might remember it)
		if st, body := call("GET", srv.URL+"/api/v1/me", tok, ""); st != 200 {
			t.Fatalf("me: %d %s", st, body)
		}
	}
	if st, body := call("POST", srvA.URL+"/api/v1/auth/logout", tok, ""); st/100 != 2 {
		t.Fatalf("logout on A: %d %s", st, body)
	}
	if st, _ := call("GET", srvB.URL+"/api/v1/me", tok, ""); st != http.StatusUnauthorized {
		t.Fatalf("node B after logout on A: %d, want 401", st)
	}

	// An API token, revoked by its id on node A.
	admin := login()
	var me struct {
		User struct {
			ID int64 `json:"id"`
		} `json:"user"`
	}
	_, body := call("GET", srvA.URL+"/api/v1/me", admin, "")
	if err := json.Unmarshal([]byte(body), &me); err != nil || me.User.ID == 0 {
		t.Fatalf("me: %s %v", body, err)
	}
	uid := fmt.Sprint(me.User.ID)
	st, body := call("POST", srvA.URL+"/api/v1/tokens", admin, `{"user_id":`+uid+`,"name":"nodes-test"}`)
	var created struct {
		Token string `json:"token"`
	}
	if st/100 != 2 || json.Unmarshal([]byte(body), &created) != nil || created.Token == "" {
		t.Fatalf("create token: %d %s", st, body)
	}
	apiTok := created.Token
	var list []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	_, body = call("GET", srvB.URL+"/api/v1/users/"+uid+"/tokens", admin, "")
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		var wrapped struct {
			Tokens []struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"tokens"`
		}
		if json.Unmarshal([]byte(body), &wrapped) != nil {
			t.Fatalf("tokens: %s", body)
		}
		list = wrapped.Tokens
	}
	id := ""
	for _, tk := range list {
		if tk.Name == "nodes-test" {
			id = tk.ID
		}
	}
	if id == "" {
		t.Fatalf("the new token is not listed: %s", body)
	}
	if st, body := call("GET", srvB.URL+"/api/v1/me", apiTok, ""); st != 200 {
		t.Fatalf("API token on B: %d %s", st, body)
	}
	if st, body := call("DELETE", srvA.URL+"/api/v1/users/"+uid+"/tokens/"+id, admin, ""); st/100 != 2 {
		t.Fatalf("revoke on A: %d %s", st, body)
	}
	if st, _ := call("GET", srvB.URL+"/api/v1/me", apiTok, ""); st != http.StatusUnauthorized {
		t.Fatalf("node B after revocation on A: %d, want 401", st)
	}
	if st, _ := call("GET", srvB.URL+"/api/v1/me", admin, ""); st != 200 {
		t.Fatalf("the admin's own session on B: %d, want 200", st)
	}
}
