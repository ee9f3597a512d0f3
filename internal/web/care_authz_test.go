package web_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"whistle/internal/app"
	"whistle/internal/auth"
	"whistle/internal/community"
	"whistle/internal/config"
	"whistle/internal/demo"
	"whistle/internal/httpx"
	"whistle/internal/org"
	"whistle/internal/seed"
	"whistle/internal/volunteering"
)

// careWorld is a demo city served on loopback, with a sign-in token for
// every demo user.
type careWorld struct {
	t      *testing.T
	a      *app.App
	base   string
	tokens map[int64]string // user id → session token
	actors []org.Actor
}

func openCareWorld(t *testing.T) *careWorld {
	t.Helper()
	cfg := config.Defaults()
	cfg.Data = t.TempDir()
	cfg.FastHash = true
	cfg.SQLiteSync = "normal"
	log := slog.New(slog.DiscardHandler)
	a, err := app.Open(t.Context(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if _, err := seed.Demo(t.Context(), a.Svc, demo.Options{Seed: 7, Requests: 120}, auth.FastHasher(), log); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	w := &careWorld{t: t, a: a, base: srv.URL, tokens: map[int64]string{}}
	lim := auth.NewLoginLimiter(100000, time.Minute)
	for _, u := range a.Svc.UnitsList() {
		users, err := a.Store.Users(t.Context(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, us := range users {
			tok, _, err := a.Svc.Accounts.Login(t.Context(), lim, us.Username, demo.DemoPassword, "care-test")
			if err != nil {
				continue // the bootstrap's own admin has another password
			}
			act, err := a.Svc.Accounts.Authenticate(t.Context(), tok)
			if err != nil {
				t.Fatal(err)
			}
			w.tokens[us.ID] = tok
			w.actors = append(w.actors, act)
		}
	}
	return w
}

// get fetches path as the user (a cookie for pages, a bearer token for
// the API) and returns the status and body.
func (w *careWorld) get(userID int64, path string) (int, []byte) {
	w.t.Helper()
	req, _ := http.NewRequest("GET", w.base+path, nil)
	if tok := w.tokens[userID]; tok != "" {
		if strings.HasPrefix(path, "/api/") {
			req.Header.Set("Authorization", "Bearer "+tok)
		} else {
			req.AddCookie(&http.Cookie{Name: httpx.SessionCookie, Value: tok})
		}
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// TestCareListIs404OutsideTheCommunity: the care list's pages answer 404
// to every demo user of every role and unit — the centre, administrators,
// analysts, streets, departments, other communities, volunteers — but the
// community's own handlers and leaders, who see it (and each view is
// audited).
func TestCareListIs404OutsideTheCommunity(t *testing.T) {
	w := openCareWorld(t)
	ctx := t.Context()
	cms := w.a.Svc.Community.Communities()
	cm := cms[0]
	var own org.Actor
	for _, a := range w.actors {
		if a.Unit.ID == cm.ID && a.User.Has(org.RoleHandler) {
			own = a
		}
	}
	list, err := w.a.Svc.Community.CareList(ctx, own)
	if err != nil || len(list) == 0 {
		t.Fatalf("the community's list: %v %v", list, err)
	}
	subject := list[0]
	paths := []string{"/care", fmt.Sprintf("/care/%d", subject.ID)}
	roles := map[string]bool{}
	for _, a := range w.actors {
		mine := a.Unit.ID == cm.ID && a.User.Has(org.RoleHandler, org.RoleLeader)
		roles[a.User.Roles[0]+"@"+a.Unit.Kind] = true
		for _, p := range paths {
			st, body := w.get(a.User.ID, p)
			switch {
			case mine && (st != 200 || !bytes.Contains(body, []byte(subject.Name))):
				t.Errorf("%s (own staff) %s: %d", a.User.Username, p, st)
			case !mine && p == "/care" && a.Unit.Kind == org.KindCommunity && a.User.Has(org.RoleHandler, org.RoleLeader):
				// another community's staff see their own list, never this one's
				if st != 200 || bytes.Contains(body, []byte(subject.Name)) {
					t.Errorf("%s (another community) /care: %d, shows %s: %v", a.User.Username, st, subject.Name, bytes.Contains(body, []byte(subject.Name)))
				}
			case !mine && st != 404 && !(st == 403 && !a.User.Has(org.RoleHandler, org.RoleLeader)):
				t.Errorf("%s (%v, %s) %s: %d, want 404 (or the gate's 403 for roles that never see a unit's pages)", a.User.Username, a.User.Roles, a.Unit.Kind, p, st)
			case !mine && bytes.Contains(body, []byte(subject.Name)):
				t.Errorf("%s sees the name on %s", a.User.Username, p)
			}
		}
		// Recording a visit: refused the same way.
		if !mine {
			req, _ := http.NewRequest("POST", w.base+fmt.Sprintf("/care/%d/visits", subject.ID), strings.NewReader("note=x"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(&http.Cookie{Name: httpx.SessionCookie, Value: w.tokens[a.User.ID]})
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 404 && res.StatusCode != 403 {
				t.Errorf("%s records a visit: %d", a.User.Username, res.StatusCode)
			}
		}
	}
	for _, want := range []string{"admin@city_centre", "agent@city_centre", "supervisor@district_centre", "handler@street", "leader@street",
		"handler@department", "grid_worker@street", "analyst@city_centre", "handler@community", "volunteer@community"} {
		if !roles[want] {
			t.Errorf("no %s among the demo users checked", want)
		}
	}
	entries, err := w.a.Store.AuditLog(ctx, 0, 500)
	if err != nil {
		t.Fatal(err)
	}
	views := 0
	for _, e := range entries {
		if e.Action == "care_view" && e.Target == fmt.Sprintf("care:%d", subject.ID) {
			views++
		}
	}
	if views != 2 { // the handler's and the leader's
		t.Errorf("%d audited views of the person, want 2", views)
	}
}

// TestNoExportHoldsTheCareList: no export — cases (CSV, XLSX, JSON
// lines, pages and API), the assessment, the analysis, the topics report,
// open data, the ledgers — contains a name, phone or address of the care
// list, for any user who may call it.
func TestNoExportHoldsTheCareList(t *testing.T) {
	w := openCareWorld(t)
	ctx := t.Context()
	var secrets []string
	var staff []org.Actor
	for _, a := range w.actors {
		if !org.CommunityStaff(a) {
			continue
		}
		staff = append(staff, a)
		if a.User.Has(org.RoleHandler) {
			x, err := w.a.Svc.Community.AddCareSubject(ctx, a, volunteering.Subject{Name: "隐秘测试人" + a.Unit.Code[len(a.Unit.Code)-2:], Phone: "1398765" + a.Unit.Code[len(a.Unit.Code)-4:],
				Address: "秘密巷" + a.Unit.Code[len(a.Unit.Code)-2:] + "号", CareType: volunteering.CareDisabled, EveryDays: 7,
				Consent: volunteering.Consent{By: volunteering.ConsentSelf, Method: volunteering.ConsentWritten, At: w.a.Svc.Now().Add(-time.Hour)}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.a.Svc.Community.RecordVisit(ctx, a, x.ID, community.VisitInput{Note: "探访备注" + x.Name}); err != nil {
				t.Fatal(err)
			}
			list, err := w.a.Svc.Community.CareList(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range list {
				secrets = append(secrets, it.Name, it.Phone, it.Address)
			}
		}
	}
	if len(secrets) < 12 {
		t.Fatalf("only %d care-list values to look for", len(secrets))
	}
	month := w.a.Svc.Now().Format("2006-01")
	now := w.a.Svc.Now()
	prev := time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, now.Location()).Format("2006-01")
	exports := []string{"/cases/export.csv", "/cases/export.xlsx", "/cases/export.jsonl", "/api/v1/cases/export.csv", "/api/v1/cases/export.xlsx",
		"/api/v1/cases/export.jsonl", "/assess/export?month=" + month, "/api/v1/assess/export?month=" + month, "/api/v1/insight/export.xlsx",
		"/api/v1/topics/report?month=" + month, "/api/v1/open/cases?month=" + prev, "/api/v1/open/cases?format=csv&month=" + prev, "/opendata", "/api/v1/audit"}
	callers := map[int64]bool{}
	for _, a := range w.actors {
		if a.User.Has(org.RoleAdmin, org.RoleAgent, org.RoleAnalyst) || a.Unit.Kind == org.KindCommunity || a.Unit.Kind == org.KindStreet {
			callers[a.User.ID] = true
		}
	}
	checked, read := 0, map[string]int{}
	for id := range callers {
		for _, p := range exports {
			st, body := w.get(id, p)
			if st != 200 {
				continue
			}
			checked++
			read[p]++
			text := exportText(t, body)
			for _, s := range secrets {
				if s != "" && strings.Contains(text, s) {
					t.Errorf("%s as user %d holds %q", p, id, s)
				}
			}
		}
	}
	for _, p := range exports {
		if read[p] == 0 {
			t.Errorf("%s was read by nobody", p)
		}
	}
	// Every ledger as XLSX, for every community's staff and their streets.
	for _, a := range staff {
		for _, tp := range careMust(w.a.Svc.Community.LedgerTemplates(ctx, a)) {
			for _, period := range []string{month, month[:4]} {
				st, body := w.get(a.User.ID, "/ledgers/"+tp.ID+"/export.xlsx?period="+period)
				if st != 200 {
					t.Errorf("ledger %s %s: %d", tp.ID, period, st)
					continue
				}
				checked++
				text := exportText(t, body)
				for _, s := range secrets {
					if strings.Contains(text, s) {
						t.Errorf("ledger %s holds %q", tp.ID, s)
					}
				}
			}
		}
	}
	if checked < 100 {
		t.Errorf("only %d exports read", checked)
	}
}

func careMust[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// exportText is an export's text: an XLSX's unzipped parts, or the body.
func exportText(t *testing.T, body []byte) string {
	t.Helper()
	if !bytes.HasPrefix(body, []byte("PK")) {
		return string(body)
	}
	z, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	var b strings.Builder
	for _, f := range z.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		x, _ := io.ReadAll(r)
		r.Close()
		b.Write(x)
	}
	return b.String()
}
