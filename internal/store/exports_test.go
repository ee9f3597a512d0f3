package store_test

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"whistle/internal/errs"
	"whistle/internal/pgtest"
	"whistle/internal/store"
)

// TestExportSchedulesClaimOnce (SQLite and PostgreSQL): a schedule is
// stored and read back as it was given; of eight claims of its due run
// racing (on PostgreSQL from two connections' pools) exactly one wins,
// and a claim with a stale next_run or on a disabled schedule none; a
// published file's path is recorded once (a second record is Exists).
func TestExportSchedulesClaimOnce(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "whistle.db")
			if backend == "postgres" {
				dsn = pgtest.NewDatabase(t)
			}
			s := openStore(t, dsn)
			other := s
			if backend == "postgres" {
				other = openStore(t, dsn)
			}
			ctx := t.Context()
			now := time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC)
			sc := store.ExportSchedule{Name: "月度", Period: "monthly", Day: 1, Formats: []string{"csv", "jsonl"}, Categories: []string{"urban"},
				Dir: "monthly", Enabled: true, NextRun: now, CreatedAt: now, UpdatedAt: now}
			if err := s.Write(ctx, func(tx *store.Tx) error { return tx.InsertExportSchedule(ctx, &sc) }); err != nil {
				t.Fatal(err)
			}
			got, err := s.ExportScheduleByID(ctx, sc.ID)
			if err != nil || got.Name != sc.Name || len(got.Formats) != 2 || got.Categories[0] != "urban" || !got.NextRun.Equal(now) || !got.Enabled {
				t.Fatalf("read back %+v, %v", got, err)
			}
			due, err := s.DueExportSchedules(ctx, now.Add(-time.Second), 10)
			if err != nil || len(due) != 0 {
				t.Fatalf("due before its time: %v %v", due, err)
			}
			if due, err = s.DueExportSchedules(ctx, now, 10); err != nil || len(due) != 1 {
				t.Fatalf("due: %v %v", due, err)
			}
			next := now.AddDate(0, 1, 0)
			var mu sync.Mutex
			wins := 0
			var wg sync.WaitGroup
			for i := range 8 {
				st := s
				if i%2 == 1 {
					st = other
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					var won bool
					err := st.Write(ctx, func(tx *store.Tx) error {
						var err error
						won, err = tx.ClaimExportRun(ctx, sc.ID, now, next, now)
						return err
					})
					if err != nil {
						t.Error(err)
					}
					if won {
						mu.Lock()
						wins++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if wins != 1 {
				t.Fatalf("%d claims won, want 1", wins)
			}
			if got, _ := s.ExportScheduleByID(ctx, sc.ID); !got.NextRun.Equal(next) || !got.LastRun.Equal(now) {
				t.Errorf("after the claim: next %v last %v", got.NextRun, got.LastRun)
			}
			sc.Enabled, sc.NextRun = false, next
			if err := s.Write(ctx, func(tx *store.Tx) error { return tx.UpdateExportSchedule(ctx, sc) }); err != nil {
				t.Fatal(err)
			}
			if err := s.Write(ctx, func(tx *store.Tx) error {
				won, err := tx.ClaimExportRun(ctx, sc.ID, next, next.AddDate(0, 1, 0), next)
				if won {
					t.Error("a disabled schedule was claimed")
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}

			f := store.ExportFile{ScheduleID: sc.ID, Period: "2026-02", From: now.AddDate(0, -1, 0), To: now, Format: "csv", Path: "monthly/whistle-opendata-2026-02.csv",
				Rows: 3, Bytes: 100, SHA256: "ab", CreatedAt: now}
			if err := s.Write(ctx, func(tx *store.Tx) error { return tx.InsertExportFile(ctx, &f) }); err != nil {
				t.Fatal(err)
			}
			dup := f
			if err := s.Write(ctx, func(tx *store.Tx) error { return tx.InsertExportFile(ctx, &dup) }); !errs.Is(err, errs.Exists) {
				t.Errorf("the same path twice: %v", err)
			}
			files, err := s.ExportFiles(ctx, 10)
			if err != nil || len(files) != 1 || files[0].Rows != 3 || files[0].Path != f.Path || !files[0].From.Equal(f.From) {
				t.Errorf("files %+v %v", files, err)
			}
			if _, err := s.ExportFileByPath(ctx, "nope"); !errs.Is(err, errs.NotFound) {
				t.Errorf("unknown path: %v", err)
			}
			if err := s.Write(ctx, func(tx *store.Tx) error { return tx.DeleteExportSchedule(ctx, sc.ID) }); err != nil {
				t.Fatal(err)
			}
			if _, err := s.ExportScheduleByID(ctx, sc.ID); !errs.Is(err, errs.NotFound) {
				t.Errorf("deleted schedule: %v", err)
			}
		})
	}
}
