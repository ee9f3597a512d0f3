package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
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

// TestWriteImportBatchAfterCases: imported cases take the ids after the
// largest there is (SQLite gives the rowids itself, checked against those
// reserved), whatever came before, and their events and keys point at
// them; the cases written after go on from there.
func TestWriteImportBatchAfterCases(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		loc := time.FixedZone("CST", 8*3600)
		at := time.Date(2015, 3, 1, 10, 0, 0, 0, loc)
		mkCase := func() lifecycle.Case {
			return lifecycle.Case{Channel: "open311", Type: "report", Category: "open311.p", Urgency: "general", Title: "Pothole",
				State: lifecycle.Received, CreatedAt: at, ReceivedAt: at, UpdatedAt: at, Version: 1}
		}
		// On SQLite a case with an id far ahead (as a restored or merged
		// store has); PostgreSQL's ids come from the identity sequence.
		first := mkCase()
		first.Number = "2015030199999"
		if s.Dialect() == store.SQLite {
			first.ID = 1000
		}
		if err := s.Write(ctx, func(tx *store.Tx) error { return tx.InsertCase(ctx, &first) }); err != nil {
			t.Fatal(err)
		}
		run := store.ImportRun{FileKey: "k2", Kind: "open311", Source: "src", File: "f", StartedAt: at}
		if err := s.Write(ctx, func(tx *store.Tx) error { return tx.StartImportRun(ctx, &run) }); err != nil {
			t.Fatal(err)
		}
		var cs []store.ImportCase
		for i := 0; i < 250; i++ { // more than one multi-row INSERT
			c := mkCase()
			c.Title = fmt.Sprintf("Pothole %d", i)
			evs := []lifecycle.Event{{Action: lifecycle.ActCreate, ToState: lifecycle.Received, ActorName: "import", At: at}}
			if i%2 == 0 {
				c.State, c.ClosedAt, c.Version = lifecycle.Closed, at.Add(time.Hour), 2
				evs = append(evs, lifecycle.Event{Action: lifecycle.ActClose, FromState: lifecycle.Received, ToState: lifecycle.Closed, ActorName: "import", At: c.ClosedAt})
			}
			cs = append(cs, store.ImportCase{ExternalID: fmt.Sprint(i), Case: c, Events: evs})
		}
		err := s.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.WriteImportBatch(ctx, &run, store.ImportBatch{Cases: cs, Line: 250, Loc: loc, Now: at})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		prev := first.ID
		for i := 0; i < 250; i++ {
			id, err := s.ImportedCaseID(ctx, "src", fmt.Sprint(i))
			if err != nil {
				t.Fatal(err)
			}
			if s.Dialect() == store.SQLite && id != first.ID+1+int64(i) {
				t.Errorf("case %d imported as id %d, want %d", i, id, first.ID+1+int64(i))
			}
			if id <= prev {
				t.Errorf("case %d imported as id %d, not after %d", i, id, prev)
			}
			prev = id
			c, err := s.Case(ctx, id, org.ScopeOf(org.System()))
			if err != nil {
				t.Fatal(err)
			}
			evs, err := s.Events(ctx, id)
			if err != nil || c.Title != fmt.Sprintf("Pothole %d", i) || len(evs) != int(c.Version) || evs[0].CaseID != id {
				t.Errorf("case %d (id %d): %q, events %+v %v", i, id, c.Title, evs, err)
			}
		}
		next := mkCase()
		next.Number = "2015030199998"
		if err := s.Write(ctx, func(tx *store.Tx) error { return tx.InsertCase(ctx, &next) }); err != nil {
			t.Fatal(err)
		}
		if next.ID <= prev {
			t.Errorf("a case after the import got id %d, not after %d", next.ID, prev)
		}
	})
}

// TestImportTuning: TuneForImport sets SQLite's writer to synchronous=NORMAL
// with foreign keys off, and EndImportTuning puts the store's setting back (FULL by default,
// NORMAL for a store opened so) and commits under it; nothing on
// PostgreSQL.
func TestImportTuning(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		run := store.ImportRun{FileKey: "k", Kind: "open311", Source: "open311", File: "f", StartedAt: time.Now()}
		if err := s.Write(ctx, func(tx *store.Tx) error { return tx.StartImportRun(ctx, &run) }); err != nil {
			t.Fatal(err)
		}
		want := func(w int) {
			t.Helper()
			fk := w == 2 || s.Dialect() == store.Postgres // off while tuned
			if s.Dialect() == store.Postgres {
				w = -1
			}
			if v, err := s.WriterSynchronous(ctx); err != nil || v != w {
				t.Errorf("writer synchronous %d (%v), want %d", v, err, w)
			}
			if v, err := s.WriterForeignKeys(ctx); err != nil || v != fk {
				t.Errorf("writer foreign keys %v (%v), want %v", v, err, fk)
			}
			if s.Dialect() == store.SQLite {
				// The import's commits checkpoint themselves every 20,000
				// frames; serving, the checkpointer does and the writer's
				// backstop is far off.
				ac := 262144
				if w == 1 {
					ac = 20000
				}
				if v, err := s.WriterAutoCheckpoint(ctx); err != nil || v != ac {
					t.Errorf("writer wal_autocheckpoint %d (%v), want %d", v, err, ac)
				}
			}
		}
		want(2)
		if err := s.TuneForImport(ctx); err != nil {
			t.Fatal(err)
		}
		want(1)
		if err := s.EndImportTuning(ctx, run.ID); err != nil {
			t.Fatal(err)
		}
		want(2)
		if s.Dialect() == store.SQLite {
			n, err := store.Open(ctx, filepath.Join(t.TempDir(), "n.db"), store.Options{SQLiteSync: "normal"})
			if err != nil {
				t.Fatal(err)
			}
			defer n.Close()
			if err := n.TuneForImport(ctx); err != nil {
				t.Fatal(err)
			}
			if err := n.EndImportTuning(ctx, 0); err != nil {
				t.Fatal(err)
			}
			if v, err := n.WriterSynchronous(ctx); err != nil || v != 1 {
				t.Errorf("a normal store's writer: synchronous %d (%v), want 1", v, err)
			}
			if v, err := n.WriterForeignKeys(ctx); err != nil || !v {
				t.Errorf("a normal store's writer: foreign keys %v (%v) after the import", v, err)
			}
		}
	})
}

// TestImportEventDocs: an imported case's events keep their own data when
// their documents are encoded once for two events sharing one data map (a
// closed request's create and close), and apart when the maps differ.
func TestImportEventDocs(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		loc := time.FixedZone("CST", 8*3600)
		at := time.Date(2016, 5, 2, 9, 0, 0, 0, loc)
		mk := func(id string, close map[string]any) store.ImportCase {
			data := map[string]any{"source": "open311", "external_id": id}
			if close == nil {
				close = data
			}
			c := lifecycle.Case{Channel: "open311", Type: "report", Category: "open311.p", Urgency: "general", Title: "Case " + id,
				State: lifecycle.Closed, CreatedAt: at, ReceivedAt: at, UpdatedAt: at.Add(time.Hour), ClosedAt: at.Add(time.Hour), Version: 2}
			return store.ImportCase{ExternalID: id, Case: c, Events: []lifecycle.Event{
				{Action: lifecycle.ActCreate, ToState: lifecycle.Received, ActorName: "import", At: at, Data: data},
				{Action: lifecycle.ActClose, FromState: lifecycle.Received, ToState: lifecycle.Closed, ActorName: "import", At: at.Add(time.Hour), Data: close},
			}}
		}
		cs := []store.ImportCase{mk("a", nil), mk("b", map[string]any{"source": "open311", "external_id": "b", "closed": "by hand"})}
		cs[0].Events = append(cs[0].Events, lifecycle.Event{Action: lifecycle.ActNote, ActorName: "import", Note: "a note", At: at.Add(2 * time.Hour), Data: cs[0].Events[0].Data})
		cs[0].Case.Version = 3
		for i := range cs {
			if err := s.PrepareImport(&cs[i]); err != nil {
				t.Fatal(err)
			}
		}
		run := store.ImportRun{FileKey: "docs", Kind: "open311", Source: "open311", File: "f", StartedAt: at}
		err := s.Write(ctx, func(tx *store.Tx) error {
			if err := tx.StartImportRun(ctx, &run); err != nil {
				return err
			}
			_, err := tx.WriteImportBatch(ctx, &run, store.ImportBatch{Cases: cs, Line: 2, Loc: loc, Now: at})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]string{"a": {"a  ", "a  ", "a  a note"}, "b": {"b  ", "b by hand "}}
		for id, w := range want {
			cid, err := s.ImportedCaseID(ctx, "open311", id)
			if err != nil {
				t.Fatal(err)
			}
			evs, err := s.Events(ctx, cid)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range evs {
				closed, _ := e.Data["closed"].(string)
				got = append(got, fmt.Sprintf("%v %s %s", e.Data["external_id"], closed, e.Note))
			}
			if fmt.Sprint(got) != fmt.Sprint(w) {
				t.Errorf("case %s: events %q, want %q", id, got, w)
			}
		}
	})
}
