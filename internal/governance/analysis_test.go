package governance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"whistle/internal/auth"
	"whistle/internal/core"
	"whistle/internal/demo"
	"whistle/internal/errs"
	"whistle/internal/governance"
	"whistle/internal/governance/insighttest"
	"whistle/internal/insight"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/seed"
	"whistle/internal/services"
	"whistle/internal/store"
)

type anWorld struct {
	ctx                            context.Context
	svc                            *services.Services
	st                             *store.Store
	clk                            *clock
	analyst, districtDisp, handler org.Actor
	planted                        insighttest.Planted
}

func openAnWorld(t *testing.T, dsn string) *anWorld {
	t.Helper()
	ctx := t.Context()
	st, err := store.Open(ctx, dsn, store.Options{SQLiteSync: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &clock{t: demo.DefaultEnd}
	svc, err := services.New(ctx, st, core.Config{Now: clk.Now, PhoneKey: []byte("insight-test-key"), ReopenLimit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Demo(ctx, svc, demo.Options{Seed: 5, Requests: 40}, auth.FastHasher(), nil); err != nil {
		t.Fatal(err)
	}
	w := &anWorld{ctx: ctx, svc: svc, st: st, clk: clk}
	find := func(kind, role string) org.Actor {
		for _, u := range svc.UnitsList() {
			if kind != "" && u.Kind != kind {
				continue
			}
			users, err := st.Users(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, us := range users {
				if us.Has(role) {
					a, err := svc.Actor(us)
					if err != nil {
						t.Fatal(err)
					}
					return a
				}
			}
		}
		t.Fatalf("no %s in a %s unit", role, kind)
		return org.Actor{}
	}
	w.analyst = find("", org.RoleAnalyst)
	w.districtDisp = find(org.KindDistrictCentre, org.RoleSupervisor)
	w.handler = find(org.KindStreet, org.RoleHandler)
	w.planted, err = insighttest.Plant(ctx, svc, st, dsn, insight.DayOf(demo.DefaultEnd)-2)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *anWorld) filter() governance.Filter {
	return governance.Filter{From: w.planted.From, To: w.planted.To}
}

// TestAnalysisScope: a handler is refused; an analyst analyses the city; a
// district centre is confined to its district.
func TestAnalysisScope(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		w := openAnWorld(t, dsn)
		if _, err := w.svc.Insight.Analyze(w.ctx, w.handler, w.filter()); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("handler: %v, want forbidden", err)
		}
		an, err := w.svc.Insight.Analyze(w.ctx, w.analyst, w.filter())
		if err != nil {
			t.Fatal(err)
		}
		if an.Filter.PlaceID != 0 || an.RunID == 0 {
			t.Fatalf("analyst: place %d run %d, want the city and a stored run", an.Filter.PlaceID, an.RunID)
		}
		d := w.districtDisp.DistrictID
		an, err = w.svc.Insight.Analyze(w.ctx, w.districtDisp, w.filter())
		if err != nil {
			t.Fatal(err)
		}
		if an.Filter.PlaceID != d {
			t.Fatalf("district centre: place %d, want its district %d", an.Filter.PlaceID, d)
		}
		for _, a := range an.Report.Anomalies {
			if a.Level == insight.District && a.Place != strconv.FormatInt(d, 10) {
				t.Fatalf("district centre sees district %s", a.Place)
			}
		}
		var other int64
		for _, p := range w.svc.PlaceMap() {
			if p.Level == org.LevelDistrict && p.ID != d {
				other = p.ID
			}
		}
		f := w.filter()
		f.PlaceID = other
		if _, err := w.svc.Insight.Analyze(w.ctx, w.districtDisp, f); !errs.Is(err, errs.OutsideArea) {
			t.Fatalf("district centre on another district: %v, want outside_area", err)
		}
	})
}

func TestAnalysisValidation(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		w := openAnWorld(t, dsn)
		f := w.filter()
		for _, c := range []struct {
			name  string
			f     governance.Filter
			code  errs.Code
			field string
		}{
			{"reversed", governance.Filter{From: f.To, To: f.From}, errs.InvalidPeriod, "to"},
			{"too long", governance.Filter{From: f.To - 400, To: f.To}, errs.InvalidPeriod, "to"},
			{"no place", governance.Filter{From: f.From, To: f.To, PlaceID: 987654321}, errs.UnknownPlace, "place"},
			{"no category", governance.Filter{From: f.From, To: f.To, Categories: []string{"no.such"}}, errs.UnknownCategory, "category"},
		} {
			_, err := w.svc.Insight.Analyze(w.ctx, w.analyst, c.f)
			var e *errs.Error
			if !errs.Is(err, c.code) || !asErr(err, &e) || e.Field != c.field || errs.Status(c.code) != 422 {
				t.Errorf("%s: %v, want %s on %s (422)", c.name, err, c.code, c.field)
			}
		}
	})
}

func asErr(err error, e **errs.Error) bool {
	x, ok := err.(*errs.Error)
	*e = x
	return ok
}

// TestAnalysisFindsPlanted: the planted rise is flagged in its street,
// ranks among the candidates, the repeat address and caller are found, the
// stored run reads back with its NaNs, and the JSON holds no phone.
func TestAnalysisFindsPlanted(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		w := openAnWorld(t, dsn)
		an, err := w.svc.Insight.Analyze(w.ctx, w.analyst, w.filter())
		if err != nil {
			t.Fatal(err)
		}
		rep := an.Report
		street := strconv.FormatInt(w.planted.Street, 10)
		found := false
		for _, a := range rep.Anomalies {
			if a.Flag && a.Category == w.planted.Category && a.Level == insight.Street && a.Place == street {
				found = true
			}
		}
		if !found {
			t.Fatalf("planted rise of %s in street %s not flagged (baseline %s, %d anomalies)", w.planted.Category, street, rep.Baseline, len(rep.Anomalies))
		}
		ok := false
		for _, c := range rep.Candidates[:min(3, len(rep.Candidates))] {
			if c.Category == w.planted.Category {
				ok = true
			}
		}
		if !ok {
			t.Errorf("planted category not among the first three candidates: %+v", rep.Candidates[:min(3, len(rep.Candidates))])
		}
		if len(rep.PlaceRepeats) == 0 || rep.PlaceRepeats[0].N < 28 {
			t.Errorf("repeat address not found: %+v", rep.PlaceRepeats)
		}
		if len(rep.CallerRepeat) == 0 || rep.CallerRepeat[0].PhoneKey == "" {
			t.Errorf("repeat caller not found")
		}
		if an.Requests < 28*15 || an.Sampled != an.Requests {
			t.Errorf("requests %d sampled %d", an.Requests, an.Sampled)
		}
		if an.Names[street] == "" || an.Names[w.planted.Category] == "" {
			t.Errorf("names missing for %s / %s", street, w.planted.Category)
		}
		b, err := json.Marshal(an)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		for _, bad := range []string{"NaN", "13800000001", "幸福路88号"} {
			if bytes.Contains(b, []byte(bad)) {
				t.Errorf("the analysis JSON holds %q", bad)
			}
		}
		// The stored run reads back, unknown values as NaN again.
		w.clk.Set(w.clk.Now().Add(time.Minute))
		back, err := w.svc.Insight.LatestAnalysis(w.ctx, w.analyst, w.filter())
		if err != nil {
			t.Fatal(err)
		}
		if back.RunID != an.RunID || len(back.Report.Candidates) != len(rep.Candidates) {
			t.Fatalf("latest: run %d (want %d)", back.RunID, an.RunID)
		}
		nan := 0
		for i, a := range back.Report.Anomalies {
			if math.IsNaN(a.ChangeYoY) != math.IsNaN(rep.Anomalies[i].ChangeYoY) {
				t.Fatalf("anomaly %d: yoy %v, stored %v", i, a.ChangeYoY, rep.Anomalies[i].ChangeYoY)
			}
			if math.IsNaN(a.ChangeYoY) {
				nan++
			}
		}
		if nan == 0 {
			t.Errorf("no unknown change in the report: the NaN path is not exercised")
		}
		// An old run is not reused.
		w.clk.Set(w.clk.Now().Add(governance.AnalysisMaxAge))
		fresh, err := w.svc.Insight.LatestAnalysis(w.ctx, w.analyst, w.filter())
		if err != nil {
			t.Fatal(err)
		}
		if fresh.RunID == an.RunID {
			t.Errorf("an old run was reused")
		}
		// Drill-down: the case list filters by grid and days.
		pg, err := w.svc.Cases.List(w.ctx, w.analyst, lifecycle.CaseFilter{GridID: w.planted.Grid, CreatedFrom: w.planted.From.Time(), CreatedTo: (w.planted.To + 1).Time(), Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		planted := 0
		for _, c := range pg.Cases {
			if c.Location.GridID != w.planted.Grid {
				t.Fatalf("grid filter: case %s in grid %d", c.Number, c.Location.GridID)
			}
			if slices.Contains(w.planted.Numbers, c.Number) {
				planted++
			}
		}
		if planted != len(w.planted.Numbers) {
			t.Errorf("grid filter: %d of %d planted requests", planted, len(w.planted.Numbers))
		}
		// Drill-down: the case list link of the planted street.
		link := an.Drill(w.planted.Category, insight.Street, street)
		if !strings.Contains(link, "street="+street) || !strings.Contains(link, "category="+w.planted.Category) || !strings.Contains(link, "from="+w.planted.From.String()) {
			t.Errorf("drill link %s", link)
		}
	})
}

// TestExportXLSX: the workbook has the five sheets, the planted category
// among the candidates, and no cell starting with a formula character.
func TestExportXLSX(t *testing.T) {
	w := openAnWorld(t, filepath.Join(t.TempDir(), "w.db"))
	var buf bytes.Buffer
	if err := w.svc.Insight.ExportXLSX(w.ctx, w.analyst, w.filter(), &buf); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	sheets := x.GetSheetList()
	for _, want := range []string{"候选 Candidates", "异常 Anomalies", "上升词 Rising terms", "热点 Hotspots", "重复 Repeats"} {
		if !slices.Contains(sheets, want) {
			t.Fatalf("sheets %v lack %q", sheets, want)
		}
	}
	rows, err := x.GetRows("候选 Candidates")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 2 {
		t.Fatalf("candidates: %d rows", len(rows))
	}
	all := ""
	for _, s := range sheets {
		rs, _ := x.GetRows(s)
		for _, r := range rs {
			for _, c := range r {
				if _, err := strconv.ParseFloat(c, 64); c != "" && strings.ContainsRune("=+-@", rune(c[0])) && err != nil {
					t.Errorf("%s: cell %q starts with a formula character", s, c)
				}
				all += c + "\n"
			}
		}
	}
	if !strings.Contains(all, w.planted.Category) {
		t.Errorf("the planted category is not in the workbook")
	}
	if strings.Contains(all, "13800000001") || strings.Contains(all, "幸福路88号") {
		t.Errorf("personal data in the workbook")
	}
	if err := w.svc.Insight.ExportXLSX(w.ctx, w.handler, w.filter(), &buf); !errs.Is(err, errs.Forbidden) {
		t.Errorf("handler export: %v", err)
	}
}
