package scheduler

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"whistle/internal/calendar"
	"whistle/internal/store"
)

// TestExportJobRunsDueSchedulesOnce: the job polls at once when it starts
// and then on each tick; a schedule due by the (injected) clock is run on
// the first poll and not again on the next, and its file is on disk.
func TestExportJobRunsDueSchedulesOnce(t *testing.T) {
	loc := calendar.ChinaStandardTime()
	now := time.Date(2026, 3, 1, 2, 0, 0, 0, loc)
	st, svc := open(t, filepath.Join(t.TempDir(), "w.db"), func() time.Time { return now })
	defer st.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	svc.Publish.Dir = t.TempDir()
	sc := store.ExportSchedule{Name: "m", Period: "monthly", Day: 1, Formats: []string{"csv"}, Dir: "monthly", Enabled: true,
		NextRun: time.Date(2026, 3, 1, 1, 0, 0, 0, loc), CreatedAt: now, UpdatedAt: now}
	if err := st.Write(ctx, func(tx *store.Tx) error { return tx.InsertExportSchedule(ctx, &sc) }); err != nil {
		t.Fatal(err)
	}
	tick := make(chan time.Time)
	polls := make(chan int)
	job := &ExportJob{Svc: svc.Publish, Tick: tick, Done: func(n int, err error) {
		if err != nil {
			t.Error(err)
		}
		polls <- n
	}}
	stopped := make(chan struct{})
	go func() { job.Run(ctx); close(stopped) }()
	if n := <-polls; n != 1 {
		t.Fatalf("first poll ran %d schedules, want 1", n)
	}
	tick <- now
	if n := <-polls; n != 0 {
		t.Fatalf("second poll ran %d schedules, want 0", n)
	}
	cancel()
	<-stopped
	if _, err := os.Stat(filepath.Join(svc.Publish.Dir, "monthly", "whistle-opendata-2026-02.csv")); err != nil {
		t.Error(err)
	}
}
