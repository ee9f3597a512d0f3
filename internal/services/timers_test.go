package services_test

import (
	"database/sql"
	"strings"
	"testing"
	"time"

	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

// TestFailingTimerDoesNotStopOthers: a timer whose case cannot be read
// (here its stored document is broken behind the service's back) is
// reported and left due, and the timers behind it fire all the same — on
// this pass and on every later one.
func TestFailingTimerDoesNotStopOthers(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		w := openWorld(t, dsn, time.Date(2026, 3, 10, 9, 0, 0, 0, time.FixedZone("CST", 8*3600)))
		var ids []int64
		for i := 0; i < 3; i++ {
			w.at(3, 10, 9, i)
			ids = append(ids, w.create().ID)
		}
		// Break the first case, whose timers are due first.
		driver := "sqlite"
		if strings.HasPrefix(dsn, "postgres") {
			driver = "pgx"
		}
		db, err := sql.Open(driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.ExecContext(w.ctx, "UPDATE cases SET doc = 'not a case' WHERE id = "+itoa(int(ids[0]))); err != nil {
			t.Fatal(err)
		}
		w.at(4, 20, 9, 0) // every deadline of the three has passed
		fired, err := w.svc.Cases.FireDue(w.ctx, "node", 500)
		if err == nil || !strings.Contains(err.Error(), "case "+itoa(int(ids[0]))) {
			t.Fatalf("the broken case's timer was not reported: %v", err)
		}
		if fired == 0 {
			t.Fatal("no timer fired behind the failing one")
		}
		for _, id := range ids[1:] {
			evs, err := w.svc.Cases.Timeline(w.ctx, org.System(), id)
			if err != nil {
				t.Fatal(err)
			}
			if !hasAction(evs, lifecycle.ActOverdue) {
				t.Errorf("case %d: its deadline passed but nothing fired (%d events)", id, len(evs))
			}
		}
		// Next pass: the broken one fails again, nothing else is left.
		fired, err = w.svc.Cases.FireDue(w.ctx, "node", 500)
		if err == nil || fired != 0 {
			t.Fatalf("second pass: fired %d, err %v", fired, err)
		}
	})
}

func hasAction(evs []lifecycle.Event, a lifecycle.Action) bool {
	for _, e := range evs {
		if e.Action == a {
			return true
		}
	}
	return false
}
