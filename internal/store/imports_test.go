package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"whistle/internal/errs"
	"whistle/internal/insight"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
)

// TestWriteImportBatch: the bulk path writes cases (numbered in their
// day), events, keys, rollups and the run's position in one transaction;
// a repeated id fails the unchecked batch with errs.Exists (nothing of it
// written) and is skipped by a checked one.
func TestWriteImportBatch(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		loc := time.FixedZone("CST", 8*3600)
		at := time.Date(2015, 3, 1, 10, 0, 0, 0, loc)
		mk := func(id string, closed bool) store.ImportCase {
			c := lifecycle.Case{Channel: "open311", Type: "report", Category: "open311.p", Urgency: "general", Title: "Pothole " + id,
				State: lifecycle.Received, CreatedAt: at, ReceivedAt: at, UpdatedAt: at, Version: 1}
			evs := []lifecycle.Event{{Action: lifecycle.ActCreate, ToState: lifecycle.Received, ActorName: "import", At: at}}
			if closed {
				c.State, c.ClosedAt, c.Version = lifecycle.Closed, at.Add(time.Hour), 2
				evs = append(evs, lifecycle.Event{Action: lifecycle.ActClose, FromState: lifecycle.Received, ToState: lifecycle.Closed, ActorName: "import", At: c.ClosedAt})
			}
			return store.ImportCase{ExternalID: id, Case: c, Events: evs}
		}
		run := store.ImportRun{FileKey: "k", Kind: "open311", Source: "open311", File: "f", StartedAt: at}
		if err := s.Write(ctx, func(tx *store.Tx) error { return tx.StartImportRun(ctx, &run) }); err != nil {
			t.Fatal(err)
		}
		write := func(b store.ImportBatch) (store.ImportBatchResult, error) {
			var res store.ImportBatchResult
			b.Loc, b.Now = loc, at
			err := s.Write(ctx, func(tx *store.Tx) error {
				var err error
				res, err = tx.WriteImportBatch(ctx, &run, b)
				return err
			})
			return res, err
		}
		res, err := write(store.ImportBatch{Cases: []store.ImportCase{mk("1", false), mk("2", true)}, Line: 3,
			Refusals: []store.ImportRefusal{{Line: 2, Reason: "bad_json", Detail: "x"}}})
		if err != nil || res.Imported != 2 {
			t.Fatalf("first batch: %+v %v", res, err)
		}
		// An id again, unchecked: refused whole.
		_, err = write(store.ImportBatch{Cases: []store.ImportCase{mk("3", false), mk("1", false)}, Line: 5})
		var e *errs.Error
		if !errors.As(err, &e) || e.Code != errs.Exists || e.Field != "external_id" {
			t.Fatalf("repeated id: %v", err)
		}
		res, err = write(store.ImportBatch{Cases: []store.ImportCase{mk("3", false), mk("1", false), mk("3", false)}, Line: 6, Check: true})
		if err != nil || res.Imported != 1 || res.Duplicates != 2 {
			t.Fatalf("checked batch: %+v %v", res, err)
		}
		got, found, err := s.ImportRunByKey(ctx, "k")
		if err != nil || !found || got.Line != 6 || got.Imported != 3 || got.Refused != 1 || got.Duplicates != 2 {
			t.Fatalf("run %+v %v %v", got, found, err)
		}
		counts, ex, err := s.ImportRefusalSummary(ctx, run.ID, 5)
		if err != nil || counts["bad_json"] != 1 || len(ex["bad_json"]) != 1 || ex["bad_json"][0].Line != 2 {
			t.Fatalf("refusals %v %v %v", counts, ex, err)
		}
		numbers := map[string]bool{}
		for _, id := range []string{"1", "2", "3"} {
			cid, err := s.ImportedCaseID(ctx, "open311", id)
			if err != nil || cid == 0 {
				t.Fatalf("case of %s: %d %v", id, cid, err)
			}
			c, err := s.Case(ctx, cid, org.ScopeOf(org.System()))
			if err != nil {
				t.Fatal(err)
			}
			if c.Number[:8] != "20150301" || numbers[c.Number] || c.Title != "Pothole "+id {
				t.Errorf("case of %s: number %s title %q", id, c.Number, c.Title)
			}
			numbers[c.Number] = true
			evs, err := s.Events(ctx, cid)
			if err != nil || len(evs) != int(c.Version) || evs[0].Seq != 1 {
				t.Errorf("case of %s: events %+v %v", id, evs, err)
			}
		}
		tot, err := s.DailyTotals(ctx, store.DailyFilter{From: int64(insight.DateDay(2015, 3, 1)), To: int64(insight.DateDay(2015, 3, 1))})
		if err != nil || len(tot) != 1 || tot[0].N != 3 {
			t.Errorf("rollups %+v %v", tot, err)
		}
	})
}
