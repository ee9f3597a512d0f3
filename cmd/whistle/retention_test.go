package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"whistle/internal/auth"
	"whistle/internal/core"
	"whistle/internal/demo"
	"whistle/internal/seed"
	"whistle/internal/services"
	"whistle/internal/store"
)

// TestRetentionAndExportCommands: on a small demo city (history up to
// 2026-01-15), 'retention run --dry-run' counts and changes nothing, 'retention
// run' anonymises every closed case past a one-day period and a second run
// finds nothing; 'export opendata' writes a month as CSV and JSON with the
// documented columns and no mobile number.
func TestRetentionAndExportCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "whistle.db"), store.Options{SQLiteSync: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := services.New(ctx, st, core.Config{PhoneKey: []byte("k"), ReopenLimit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Demo(ctx, svc, demo.Options{Seed: 7, Requests: 60}, auth.FastHasher(), nil); err != nil {
		t.Fatal(err)
	}
	st.Close()
	cmd := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := run(ctx, append(args, "--data", dir), &out, &errOut); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errOut.String())
		}
		return out.String()
	}
	mobile := regexp.MustCompile(`1[3-9]\d{9}`)
	csvOut := cmd("export", "opendata", "--month", "2025-12")
	if first, _, _ := strings.Cut(csvOut, "\n"); first != "number,channel,type,category,category_name,district,street,lat,lon,created_date,closed_date,state,on_time,satisfied,detail_withheld" {
		t.Errorf("CSV header %q", first)
	}
	if strings.Count(csvOut, "\n") < 2 || mobile.MatchString(csvOut) {
		t.Errorf("CSV export:\n%s", csvOut)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(cmd("export", "opendata", "--month", "2025-12", "--format", "json")), &rows); err != nil || len(rows) != strings.Count(csvOut, "\n")-1 {
		t.Fatalf("JSON export: %d rows, %v", len(rows), err)
	}

	dry := cmd("retention", "run", "--dry-run", "--retention-days", "1")
	if !strings.HasPrefix(dry, "dry run: ") || strings.HasPrefix(dry, "dry run: 0 ") {
		t.Fatalf("dry run: %q", dry)
	}
	due := strings.Fields(dry)[2]
	out := cmd("retention", "run", "--retention-days", "1", "--batch", "7")
	if !strings.HasPrefix(out, "anonymised "+due+" of "+due+" cases") {
		t.Fatalf("run: %q after dry run %q", out, dry)
	}
	if again := cmd("retention", "run", "--retention-days", "1"); !strings.HasPrefix(again, "anonymised 0 of 0 cases") {
		t.Fatalf("second run: %q", again)
	}
	if off := cmd("retention", "run", "--retention-days", "0"); !strings.Contains(off, "disabled") {
		t.Fatalf("disabled: %q", off)
	}
	if after := cmd("export", "opendata", "--month", "2025-12"); after != csvOut {
		t.Errorf("the export changed with anonymisation:\n%s\n---\n%s", csvOut, after)
	}
	var errOut bytes.Buffer
	for _, bad := range [][]string{{"export", "opendata", "--month", "2025-13"}, {"export", "opendata"}, {"export", "opendata", "--month", "2025-12", "--format", "xml"},
		{"retention", "run", "--batch", "0"}, {"retention"}} {
		if err := run(ctx, append(bad, "--data", dir), new(bytes.Buffer), &errOut); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if err := run(ctx, []string{"retention", "run", "--data", filepath.Join(dir, "none")}, new(bytes.Buffer), &errOut); err == nil {
		t.Error("a missing data directory accepted")
	}
}
