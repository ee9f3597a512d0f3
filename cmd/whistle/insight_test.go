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
	"whistle/internal/governance/insighttest"
	"whistle/internal/insight"
	"whistle/internal/seed"
	"whistle/internal/services"
	"whistle/internal/store"
)

// TestInsightCommand: on a demo city with a planted rise, 'whistle insight
// --json' prints the analysis with the planted category among the
// candidates and a flagged anomaly, no NaN and no phone; the text form
// names the sections; bad dates fail with exit status 2.
// phoneRE is a mobile number standing alone (not digits of a float).
var phoneRE = regexp.MustCompile(`(^|[^\d.eE+-])1[3-9]\d{9}(\D|$)`)

func TestInsightCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dsn := filepath.Join(dir, "whistle.db")
	st, err := store.Open(ctx, dsn, store.Options{SQLiteSync: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := services.New(ctx, st, core.Config{PhoneKey: []byte("k"), ReopenLimit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Demo(ctx, svc, demo.Options{Seed: 7, Requests: 40}, auth.FastHasher(), nil); err != nil {
		t.Fatal(err)
	}
	pl, err := insighttest.Plant(ctx, svc, st, dsn, insight.DayOf(demo.DefaultEnd)-2)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	cmd := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, append(args, "--data", dir), &out, &errOut)
		return out.String(), err
	}
	// The rollups recomputed from the cases give the same analysis.
	if _, err := cmd("insight", "rebuild"); err != nil {
		t.Fatal(err)
	}
	out, err := cmd("insight", "--from", pl.From.String(), "--to", pl.To.String(), "--json")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "NaN") || phoneRE.MatchString(out) {
		t.Errorf("JSON holds NaN or a phone number: %q", regexp.MustCompile(`.{0,80}NaN.{0,20}`).FindString(out)+phoneRE.FindString(out))
	}
	var an struct {
		Report struct {
			Candidates []struct{ Category, WhyZh string }
			Anomalies  []struct {
				Category string
				Flag     bool
			}
		} `json:"report"`
	}
	if err := json.Unmarshal([]byte(out), &an); err != nil {
		t.Fatalf("JSON: %v\n%.500s", err, out)
	}
	found := false
	for _, c := range an.Report.Candidates {
		found = found || (c.Category == pl.Category && c.WhyZh != "")
	}
	flagged := false
	for _, a := range an.Report.Anomalies {
		flagged = flagged || (a.Category == pl.Category && a.Flag)
	}
	if !found || !flagged {
		t.Errorf("planted %s: candidate %v, flagged %v", pl.Category, found, flagged)
	}
	text, err := cmd("insight", "--from", pl.From.String(), "--to", pl.To.String(), "--category", pl.Category)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"每月一题候选 Candidates", "异常 Anomalies", "上升词 Rising terms", "热点 Hotspots", " 1. "} {
		if !strings.Contains(text, want) {
			t.Errorf("text output lacks %q:\n%s", want, text)
		}
	}
	for _, bad := range [][]string{{"insight", "--from", "2025-13-01", "--to", "2025-12-31"}, {"insight", "--from", "2025-12-01"},
		{"insight", "--from", "2025-12-31", "--to", "2025-12-01"}, {"insight", "--from", "2025-12-01", "--to", "2025-12-31", "--place", "x"}} {
		if _, err := cmd(bad...); err == nil || exitCode(err) != 2 {
			t.Errorf("%v: %v (exit %d), want a usage error", bad, err, exitCode(err))
		}
	}
	if _, err := cmd("insight", "--from", "2025-12-01", "--to", "2025-12-31", "--category", "no.such"); err == nil || !strings.Contains(err.Error(), "unknown_category") && !strings.Contains(err.Error(), "category") {
		t.Errorf("unknown category: %v", err)
	}
}
