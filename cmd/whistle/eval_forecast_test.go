package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"whistle/internal/auth"
	"whistle/internal/core"
	"whistle/internal/demo"
	"whistle/internal/seed"
	"whistle/internal/services"
	"whistle/internal/store"
)

// TestEvalForecast: on a demo city, 'whistle eval forecast --json' prints
// mase and coverage80 and both periods' back-tests with their per-horizon
// figures and spread; the text form names them; bad flags are exit status 2.
func TestEvalForecast(t *testing.T) {
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
	if _, err := seed.Demo(ctx, svc, demo.Options{Seed: 7, Requests: 600}, auth.FastHasher(), nil); err != nil {
		t.Fatal(err)
	}
	st.Close()
	cmd := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, append(append([]string{"eval", "forecast"}, args...), "--data", dir), &out, &errOut)
		return out.String(), err
	}
	out, err := cmd("--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		MASE         *float64 `json:"mase"`
		Coverage80   *float64 `json:"coverage80"`
		BaselineMASE *float64 `json:"baseline_mase"`
		RelMASE      *float64 `json:"rel_mase"`
		RelMAE       *float64 `json:"rel_mae"`
		PIT          *float64 `json:"coverage80_pit"`
		Target       struct {
			Period      string  `json:"period"`
			MASEBelow   float64 `json:"mase_below"`
			MASEMet     bool    `json:"mase_met"`
			ReadAgainst string  `json:"read_against"`
		}
		Month struct {
			Report struct {
				Series, Origins, Horizon, Season int
				MASE                             *float64 `json:"mase"`
				Baseline                         struct {
					MASE *float64 `json:"mase"`
				}
				ByHorizon []struct{ H int } `json:"by_horizon"`
				Spread    struct {
					MASEMin *float64 `json:"mase_min"`
				}
			}
		}
		Week struct {
			Report struct{ Origins, Horizon, Season int }
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v:\n%.500s", err, out)
	}
	m := rep.Month.Report
	if rep.MASE == nil || rep.Coverage80 == nil || *rep.Coverage80 < 0 || *rep.Coverage80 > 1 || m.MASE == nil || *m.MASE != *rep.MASE {
		t.Errorf("headline figures: mase %v coverage80 %v (month %v)", rep.MASE, rep.Coverage80, m.MASE)
	}
	// The target is read against the MASE itself; the relative figures
	// compare with the seasonal-naive forecast of the same points.
	if rep.BaselineMASE == nil || rep.RelMASE == nil || rep.RelMAE == nil || rep.PIT == nil ||
		math.Abs(*rep.RelMASE - *rep.MASE / *rep.BaselineMASE) > 1e-4 || *rep.PIT < 0 || *rep.PIT > 1 {
		t.Errorf("baseline_mase %v rel_mase %v rel_mae %v coverage80_pit %v", rep.BaselineMASE, rep.RelMASE, rep.RelMAE, rep.PIT)
	}
	if tg := rep.Target; tg.Period != "month" || tg.MASEBelow != 0.9 || tg.MASEMet != (*rep.MASE < 0.9) || !strings.HasPrefix(tg.ReadAgainst, "mase") {
		t.Errorf("target %+v (mase %v)", tg, *rep.MASE)
	}
	if m.Series == 0 || m.Origins < 1 || m.Horizon != 3 || len(m.ByHorizon) != 3 || m.Baseline.MASE == nil || m.Spread.MASEMin == nil || m.Season != 1 {
		t.Errorf("month back-test: %+v", m)
	}
	if w := rep.Week.Report; w.Origins != 26 || w.Horizon != 4 || w.Season != 1 {
		t.Errorf("week back-test: %+v", w)
	}
	text, err := cmd("--period", "week", "--origins", "4", "--horizon", "2")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"week ", "4 origins × horizon 2", "MASE", "coverage80", "h=2", "rel. MASE", "PIT", "target: MASE < 0.9"} {
		if !strings.Contains(text, want) {
			t.Errorf("text output lacks %q:\n%s", want, text)
		}
	}
	for _, bad := range [][]string{{"--period", "year"}, {"--origins", "0"}, {"--until", "yesterday"}} {
		if _, err := cmd(bad...); exitCode(err) != 2 {
			t.Errorf("%v: %v (exit %d), want exit status 2", bad, err, exitCode(err))
		}
	}
}
