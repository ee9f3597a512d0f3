package delivery_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"whistle/internal/auth"
	"whistle/internal/casework"
	"whistle/internal/core"
	"whistle/internal/delivery"
	"whistle/internal/demo"
	"whistle/internal/events"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/pgtest"
	"whistle/internal/seed"
	"whistle/internal/services"
	"whistle/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func eachStore(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, filepath.Join(t.TempDir(), "w.db")) })
	t.Run("postgres", func(t *testing.T) { fn(t, pgtest.NewDatabase(t)) })
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// receiver is a real HTTP webhook receiver on loopback that fails on
// purpose: mode "500" answers 500, "drop" closes the connection without an
// answer (what a timeout looks like to the sender), "lost" takes the event
// and then drops the connection (the sender must send it again: a
// duplicate), "ok" takes it.
type receiver struct {
	mu       sync.Mutex
	mode     string
	secret   []byte
	clk      *clock
	got      []events.Envelope
	badSig   int
	attempts int
}

func (r *receiver) setMode(m string) { r.mu.Lock(); r.mode = m; r.mu.Unlock() }

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts++
	mode := r.mode
	if mode == "500" {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	if mode == "drop" {
		hijackClose(w)
		return
	}
	if err := events.Verify(r.secret, req.Header.Get(events.HeaderSignature), req.Header.Get(events.HeaderTimestamp), body, r.clk.Now(), time.Minute); err != nil {
		r.badSig++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var env events.Envelope
	if err := json.Unmarshal(body, &env); err != nil || env.ID != req.Header.Get(events.HeaderEventID) {
		r.badSig++
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.got = append(r.got, env)
	if mode == "lost" {
		hijackClose(w)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func hijackClose(w http.ResponseWriter) {
	c, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		c.Close()
	}
}

type world struct {
	t                  *testing.T
	ctx                context.Context
	dsn                string
	st                 *store.Store
	svc                *services.Services
	clk                *clock
	admin, agent, disp org.Actor
	dept               org.Unit
	category           string
	phone              int
	worker             *delivery.Worker
}

func openWorld(t *testing.T, dsn string) *world {
	t.Helper()
	w := &world{t: t, ctx: t.Context(), dsn: dsn, clk: &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}}
	w.open()
	if _, err := seed.Demo(w.ctx, w.svc, demo.Options{Seed: 5, Requests: 8}, auth.FastHasher(), nil); err != nil {
		t.Fatal(err)
	}
	find := func(kind, role string) (org.Unit, org.Actor) {
		for _, u := range w.svc.UnitsList() {
			if kind != "" && u.Kind != kind {
				continue
			}
			users, err := w.st.Users(w.ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, us := range users {
				if us.Has(role) {
					a, err := w.svc.Actor(us)
					if err != nil {
						t.Fatal(err)
					}
					return u, a
				}
			}
		}
		t.Fatalf("no %s user in a %s unit", role, kind)
		return org.Unit{}, org.Actor{}
	}
	_, w.admin = find("", org.RoleAdmin)
	_, w.agent = find(org.KindCityCentre, org.RoleAgent)
	_, w.disp = find(org.KindCityCentre, org.RoleDispatcher)
	w.dept, _ = find(org.KindDepartment, org.RoleHandler)
	for _, c := range w.svc.Categories() {
		if c.Leaf && c.Active && (c.Urgency == "" || c.Urgency == "general") {
			w.category = c.Code
			break
		}
	}
	// The demo's own events go nowhere: no subscription yet.
	w.step()
	return w
}

// open opens the store, the services and a worker on w.dsn (a node start).
func (w *world) open() {
	w.t.Helper()
	st, err := store.Open(w.ctx, w.dsn, store.Options{SQLiteSync: "normal"})
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { st.Close() })
	svc, err := services.New(w.ctx, st, core.Config{Now: w.clk.Now, PhoneKey: []byte("events-test-key"), ReopenLimit: 2})
	if err != nil {
		w.t.Fatal(err)
	}
	svc.Events.Guard = delivery.Guard{AllowPrivate: true}
	ws := delivery.NewWebhookSender(delivery.Guard{AllowPrivate: true}, 30*time.Second)
	ws.Now = w.clk.Now
	w.st, w.svc = st, svc
	w.worker = &delivery.Worker{St: st, Node: "test", Now: w.clk.Now, Rand: func() float64 { return 0.5 },
		Backoff: events.Backoff{Base: time.Minute, Max: time.Hour, MaxAttempts: 50},
		Senders: map[string]delivery.Sender{store.SubWebhook: ws}}
}

// restart closes the store and opens everything again on the same database.
func (w *world) restart() {
	w.t.Helper()
	if err := w.st.Close(); err != nil {
		w.t.Fatal(err)
	}
	w.open()
}

func (w *world) step() int {
	w.t.Helper()
	n, err := w.worker.Step(w.ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}

func (w *world) create() *lifecycle.Case {
	w.t.Helper()
	w.phone++
	c, _, err := w.svc.Cases.Create(w.ctx, w.agent, casework.NewCase{Channel: "phone", Type: "complaint", Category: w.category, Urgency: "general",
		Description: "路灯不亮", CitizenName: "王小明", CitizenPhone: fmt.Sprintf("1390000%04d", w.phone), Address: "建国门外大街1号"}, "")
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

func (w *world) dispatch(id int64) {
	w.t.Helper()
	if _, _, err := w.svc.Cases.Act(w.ctx, w.disp, id, casework.ActInput{Action: lifecycle.ActDispatch, UnitID: w.dept.ID}); err != nil {
		w.t.Fatal(err)
	}
}

// committed returns the outbox rows after id (what must arrive).
func (w *world) committed(after int64) []store.OutboxRow {
	rows, err := w.st.Outbox(w.ctx, after, 10000)
	if err != nil {
		w.t.Fatal(err)
	}
	return rows
}

func lastOutboxID(t *testing.T, st *store.Store) int64 {
	rows, err := st.Outbox(t.Context(), 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		return 0
	}
	return rows[len(rows)-1].ID
}

// TestWebhookDeliveryThroughFailuresAndRestart: events committed while the
// receiver fails (500s, dropped connections, lost answers) and across a
// restart of the node on the same database all arrive, in order per case,
// with valid signatures; duplicates carry the same id; an event whose
// transaction rolled back never arrives.
func TestWebhookDeliveryThroughFailuresAndRestart(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		w := openWorld(t, dsn)
		rc := &receiver{mode: "500", clk: w.clk}
		srv := httptest.NewServer(rc)
		defer srv.Close()
		hook, err := w.svc.Events.CreateWebhook(w.ctx, w.admin, delivery.WebhookInput{Name: "区数据平台", URL: srv.URL + "/hook"})
		if err != nil {
			t.Fatal(err)
		}
		rc.secret = []byte(hook.Secret)
		start := lastOutboxID(t, w.st)

		// Events while the receiver answers 500.
		a, b := w.create(), w.create()
		w.dispatch(a.ID)
		// A transaction that rolls back after writing its event and outbox row.
		if err := w.st.Write(w.ctx, func(tx *store.Tx) error {
			ev := lifecycle.Event{CaseID: b.ID, Seq: 999, Action: lifecycle.Action("never_committed"), At: w.clk.Now()}
			if err := tx.AppendEvent(w.ctx, &ev); err != nil {
				return err
			}
			return errors.New("roll back")
		}); err == nil {
			t.Fatal("the write should fail")
		}
		for range 3 {
			w.step()
			w.clk.Advance(2 * time.Hour)
		}
		if len(rc.got) != 0 || rc.attempts == 0 {
			t.Fatalf("receiver took %d events in %d attempts while failing", len(rc.got), rc.attempts)
		}
		// Dropped connections, then the node restarts.
		rc.setMode("drop")
		w.dispatch(b.ID)
		for range 2 {
			w.step()
			w.clk.Advance(2 * time.Hour)
		}
		w.restart()
		c := w.create()
		// Lost answers: the receiver gets events but the sender does not
		// know; they are sent again.
		rc.setMode("lost")
		w.step()
		w.clk.Advance(2 * time.Hour)
		rc.setMode("ok")
		w.dispatch(c.ID)
		for i := 0; ; i++ {
			if i > 100 {
				t.Fatal("deliveries did not drain")
			}
			n := w.step()
			if n == 0 {
				counts, err := w.st.DeliveryCounts(w.ctx, hook.ID)
				if err != nil {
					t.Fatal(err)
				}
				if counts[store.DeliveryPending] == 0 {
					break
				}
				w.clk.Advance(2 * time.Hour)
			}
		}
		want := w.committed(start)
		if len(want) < 6 {
			t.Fatalf("only %d events committed", len(want))
		}
		checkArrived(t, rc, want)
		dups := len(rc.got) - len(want)
		if dups == 0 {
			t.Error("no duplicate from the lost answers: the test did not exercise de-duplication")
		}
		if rc.badSig != 0 {
			t.Errorf("%d deliveries with a bad signature", rc.badSig)
		}
	})
}

// checkArrived: every committed row arrived (by id), nothing else did, and
// per case the first arrivals are in commit order.
func checkArrived(t *testing.T, rc *receiver, want []store.OutboxRow) {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	seen := map[string]bool{}
	byKey := map[int64][]int64{} // case → seqs in order of first arrival
	for _, e := range rc.got {
		if e.Type == "case.never_committed" {
			t.Errorf("an uncommitted event arrived: %+v", e)
		}
		if seen[e.ID] {
			continue
		}
		seen[e.ID] = true
		if e.CaseID != 0 {
			if e.CaseNumber == "" {
				t.Errorf("case event without a case number: %+v", e)
			}
			byKey[e.CaseID] = append(byKey[e.CaseID], e.Seq)
		}
		b, _ := json.Marshal(e)
		for _, bad := range []string{"王小明", "1390000", "建国门", "路灯"} {
			if strings.Contains(string(b), bad) {
				t.Errorf("event %s carries %q", e.ID, bad)
			}
		}
	}
	ids := map[string]bool{}
	for _, r := range want {
		ids[r.EventID] = true
		if !seen[r.EventID] {
			t.Errorf("committed event %s (%s) never arrived", r.EventID, r.Type)
		}
	}
	for id := range seen {
		if !ids[id] {
			t.Errorf("event %s arrived but is not in the outbox", id)
		}
	}
	for cid, seqs := range byKey {
		if !sort.SliceIsSorted(seqs, func(i, j int) bool { return seqs[i] < seqs[j] }) {
			t.Errorf("case %d: events arrived out of order: %v", cid, seqs)
		}
	}
}

// TestDeadLetterAndReplay: a receiver that keeps failing sends an event to
// the dead-letter list after MaxAttempts; the case's next event is then
// delivered; replaying the dead letter (one, then all) delivers it.
func TestDeadLetterAndReplay(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		w := openWorld(t, dsn)
		w.worker.Backoff = events.Backoff{Base: time.Minute, Max: time.Hour, MaxAttempts: 3}
		rc := &receiver{mode: "500", clk: w.clk}
		srv := httptest.NewServer(rc)
		defer srv.Close()
		hook, err := w.svc.Events.CreateWebhook(w.ctx, w.admin, delivery.WebhookInput{Name: "h", URL: srv.URL, Types: "case.*"})
		if err != nil {
			t.Fatal(err)
		}
		rc.secret = []byte(hook.Secret)
		c := w.create()
		for range 3 {
			w.step()
			w.clk.Advance(2 * time.Hour)
		}
		dead, err := w.svc.Events.Deliveries(w.ctx, w.admin, hook.ID, store.DeliveryDead, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(dead) == 0 || dead[0].Attempts != 3 || dead[0].LastStatus != 500 {
			t.Fatalf("dead letters %+v", dead)
		}
		nDead := len(dead)
		rc.setMode("ok")
		w.dispatch(c.ID)
		for w.step() > 0 {
		}
		if len(rc.got) != 1 || rc.got[0].Type != "case.dispatch" {
			t.Fatalf("after the dead letter, got %+v", rc.got)
		}
		// Replay one, then the rest.
		if n, err := w.svc.Events.Replay(w.ctx, w.admin, hook.ID, dead[0].ID); err != nil || n != 1 {
			t.Fatalf("replay one: %d %v", n, err)
		}
		for w.step() > 0 {
		}
		if len(rc.got) != 2 || rc.got[1].ID != dead[0].EventID {
			t.Fatalf("after replaying one: %+v", rc.got)
		}
		if n, err := w.svc.Events.Replay(w.ctx, w.admin, hook.ID, 0); err != nil || n != int64(nDead-1) {
			t.Fatalf("replay all: %d %v", n, err)
		}
		for w.step() > 0 {
		}
		if len(rc.got) != 1+nDead {
			t.Fatalf("after replaying all: %d events", len(rc.got))
		}
		if _, err := w.svc.Events.Replay(w.ctx, w.agent, hook.ID, 0); err == nil {
			t.Fatal("an agent replayed dead letters")
		}
	})
}
