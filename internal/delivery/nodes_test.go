package delivery_test

import (
	"net/http/httptest"
	"sync"
	"testing"

	"whistle/internal/delivery"
	"whistle/internal/pgtest"
	"whistle/internal/store"
)

// TestTwoNodesShareTheQueue: two nodes on one PostgreSQL database step
// their workers at the same time; claims skip each other's rows and are
// leases, so every event is sent once, and a case's events still arrive in
// order.
func TestTwoNodesShareTheQueue(t *testing.T) {
	w := openWorld(t, pgtest.NewDatabase(t))
	rc := &receiver{mode: "ok", clk: w.clk}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	hook, err := w.svc.Events.CreateWebhook(w.ctx, w.admin, delivery.WebhookInput{Name: "bus", URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	rc.secret = []byte(hook.Secret)
	start := lastOutboxID(t, w.st)
	for range 6 {
		c := w.create()
		w.dispatch(c.ID)
	}
	st2, err := store.Open(w.ctx, w.dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	w2 := &delivery.Worker{St: st2, Node: "second", Now: w.clk.Now, Backoff: w.worker.Backoff, Senders: w.worker.Senders}
	var wg sync.WaitGroup
	for _, wk := range []*delivery.Worker{w.worker, w2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if _, err := wk.Step(w.ctx); err != nil {
					t.Error(err)
					return
				}
				counts, err := wk.St.DeliveryCounts(w.ctx, hook.ID)
				if err != nil {
					t.Error(err)
					return
				}
				if counts[store.DeliveryPending] == 0 && counts[store.DeliveryDone] > 0 {
					return
				}
			}
			t.Error("the queue did not drain")
		}()
	}
	wg.Wait()
	want := w.committed(start)
	checkArrived(t, rc, want)
	if len(rc.got) != len(want) {
		t.Errorf("%d deliveries for %d events: a delivery was sent twice", len(rc.got), len(want))
	}
}
