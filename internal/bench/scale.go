package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"math/rand/v2"

	"whistle/internal/demo"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

// The growth curve (issue #14): one store grows through --steps case
// counts (by default 1, 2, 5 and 10 million); at each step the same reads
// are timed, several rounds each — a unit's inbox (the store's query, the
// API, the HTML page), the centre's dashboard, the month's assessment
// recomputed, and a 12-month analysis (每月一题) — so the figures show how
// each grows with the history. By default (--model history) the city
// takes the first step's count of requests a year and each later step adds
// the years before: the store grows, the work of a day, a month or a year
// does not. --model volume spreads every step over the same year instead:
// a city taking more requests a year, where the month's and the year's
// work grow with it.

// scaleFigures are the figures timed at every step, in the order printed;
// each is one value per round.
var scaleFigures = []struct {
	key, label, unit string
	latency          bool // a page or API answer a user waits for, which should not grow with the history
}{
	{"inbox_store_p99_ms", "inbox, store query p99", "ms", true},
	{"inbox_api_p50_ms", "inbox, API p50", "ms", true},
	{"inbox_api_p99_ms", "inbox, API p99", "ms", true},
	{"inbox_page_p99_ms", "inbox, HTML page p99", "ms", true},
	{"dashboard_p50_ms", "dashboard (API) p50", "ms", true},
	{"dashboard_p99_ms", "dashboard (API) p99", "ms", true},
	{"assess_s", "month's assessment, recomputed", "s", false},
	{"insight_s", "12-month analysis", "s", false},
}

// scaleStep is one step of the curve.
type scaleStep struct {
	Cases     int                  `json:"cases"`
	LoadS     float64              `json:"load_s"` // loading this step's new cases and their assessment facts
	LoadPerS  float64              `json:"load_per_s"`
	SettleS   float64              `json:"settle_s"`          // compacting the rollups' day blocks and checkpointing, after the load
	Orders    int64                `json:"assess_orders"`     // orders the month's ranking counted
	Requests  int64                `json:"insight_requests"`  // requests the analysis counted
	Figures   map[string][]float64 `json:"figures"`           // key → one value per round
	HTTPError int                  `json:"http_errors"`       // non-200 answers while timing
	Month     string               `json:"assessment_month"`  // the month recomputed
	Period    string               `json:"insight_period"`    // the analysis's days
	OpenCases int                  `json:"open_cases_loaded"` // open cases in the store after this step
}

func scaleMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench scale", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf commonFlags
	cf.register(fs)
	stepsFlag := fs.String("steps", "1000000,2000000,5000000,10000000", "case counts the store grows through, ascending, comma-separated")
	batch := fs.Int("batch", 10_000, "cases per store write while loading")
	openPct := fs.Float64("open", 5, "percentage of the last year's loaded cases that are open (with a due date)")
	model := fs.String("model", "history", `how the store grows: "history" (a city taking the first step's count a year; each later step adds the years before, all closed) or "volume" (every step's cases spread over the same last year, as a city taking more requests a year)`)
	rounds := fs.Int("rounds", 3, "rounds of timing at each step (figures are per round; bench all reports their median and spread)")
	measure := fs.Duration("measure", 3*time.Second, "how long each round times the inbox (store, then HTTP) and the dashboard")
	users := fs.Int("users", 50, "unit handlers logged in for the inbox (one per random unit)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	var steps []int
	for _, f := range strings.Split(*stepsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || (len(steps) > 0 && n <= steps[len(steps)-1]) {
			return fmt.Errorf("bench scale: --steps must be ascending positive counts, got %q", *stepsFlag)
		}
		steps = append(steps, n)
	}
	if *model != "history" && *model != "volume" {
		return fmt.Errorf("bench scale: --model is history or volume, not %q", *model)
	}
	if *batch < 1 || *rounds < 1 || *rounds > 20 || *measure <= 0 || *measure > 10*time.Minute || *openPct < 0 || *openPct > 100 || *users < 1 {
		return errors.New("bench scale: bad flags (1 ≤ --rounds ≤ 20, 0 < --measure ≤ 10m, 0 ≤ --open ≤ 100)")
	}

	// The classifier's daily retraining would train once on the first
	// step's cases, a minute after the load, in the middle of the timing;
	// it is off here (its cost is the classifier's own benchmark).
	cf.noRetrain = true
	e, err := start(ctx, cf, 10, stderr)
	if err != nil {
		return err
	}
	defer e.close()
	rng := rand.New(rand.NewPCG(11, 13))
	ci, err := loadCity(ctx, e.app, rng, 1)
	if err != nil {
		return err
	}
	raw, err := e.rawDB()
	if err != nil {
		return err
	}
	defer raw.Close()
	stop, err := profile(cf)
	if err != nil {
		return err
	}
	defer stop()

	client := newClient(4)
	defer client.CloseIdleConnections()
	centre, err := login(ctx, client, e.base, "dispatcher01", demo.DemoPassword)
	if err != nil {
		return err
	}
	pick := rand.New(rand.NewPCG(5, 6))
	sessions, err := handlerSessions(ctx, client, e.base, ci, pick, *users)
	if err != nil {
		return err
	}

	// The month assessed is the last whole month; the analysis covers the
	// 365 days before today, as the workbench's year view does.
	now := e.app.Svc.Now().In(e.cfg.Location())
	monthStart := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, now.Location())
	month := monthStart.AddDate(0, -1, 0).Format("2006-01")
	yesterday := now.AddDate(0, 0, -1)
	from, to := yesterday.AddDate(0, 0, -364).Format("2006-01-02"), yesterday.Format("2006-01-02")
	cats := ci.leafCategories

	get := func(path, token string, cookie bool) (time.Duration, []byte, error) {
		t0 := time.Now()
		code, body, err := request(ctx, client, "GET", e.base+path, token, cookie, nil)
		d := time.Since(t0)
		if err == nil && code != http.StatusOK {
			err = fmt.Errorf("GET %s: %d: %.200s", path, code, body)
		}
		return d, body, err
	}

	var out []scaleStep
	loaded := 0
	for si, n := range steps {
		st := scaleStep{Cases: n, Figures: map[string][]float64{}, Month: month, Period: from + " – " + to}
		// This step's new cases, spread evenly over the year (a small
		// offset per step keeps their times apart from earlier steps').
		lo := loaded
		e.logf("step %d of %d: loading cases %d–%d", si+1, len(steps), lo+1, n)
		t0 := time.Now()
		at, open := func(i int) (float64, string) {
			// history: case i is (i+½)/first years old — the first step
			// is the last year, later steps the years before it.
			return 1 - (float64(i)+0.5)/float64(steps[0]), cats[i%len(cats)]
		}, *openPct/100
		if si > 0 {
			open = 0 // earlier years' cases are closed
		}
		if *model == "volume" {
			// volume: each step's cases spread over the same year (a small
			// offset per step keeps their times apart from earlier steps').
			off := float64(si) / float64(len(steps)) / float64(n-lo+1)
			at = func(i int) (float64, string) {
				return min(1, (float64(i-lo)+0.5)/float64(n-lo)+off), cats[i%len(cats)]
			}
			open = *openPct / 100
		}
		if _, err := loadCases(ctx, e, ci, lo, n, *batch, open, at); err != nil {
			return err
		}
		if err := e.assessFacts(ctx, raw); err != nil {
			return fmt.Errorf("bench scale: assessment facts: %w", err)
		}
		if e.storeKin == "postgres" {
			if err := analyze(ctx, e.dsn); err != nil {
				e.logf("analyze: %v", err)
			}
		}
		st.LoadS = round2(time.Since(t0).Seconds())
		st.LoadPerS = round2(float64(n-lo) / time.Since(t0).Seconds())
		// The load touched every day of the year: the rollups' day blocks
		// are rebuilt now, as the compactor would within its minutes, so
		// that the timing below sees the store settled, not catching up.
		t1 := time.Now()
		days, err := e.app.Store.CompactDays(ctx, 0)
		if err != nil {
			return fmt.Errorf("bench scale: compacting the rollup days: %w", err)
		}
		if e.storeKin == "sqlite" {
			if _, err := raw.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
				return fmt.Errorf("bench scale: checkpoint: %w", err)
			}
		}
		st.SettleS = round2(time.Since(t1).Seconds())
		e.logf("step %d: %d rollup days compacted and the WAL checkpointed in %.1f s", si+1, days, st.SettleS)
		st.OpenCases = openCount(n, *openPct/100)
		if *model == "history" {
			st.OpenCases = openCount(steps[0], *openPct/100)
		}
		loaded = n
		e.logf("step %d: %d cases, this step's load %.1f s (%.0f cases/s)", si+1, n, st.LoadS, st.LoadPerS)

		// timed GETs path and adds its time to dst; an answer other than
		// 200 is counted and logged, not timed.
		timed := func(dst *[]time.Duration, path, token string, cookie bool) error {
			d, _, err := get(path, token, cookie)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				st.HTTPError++
				e.logf("%v", err)
				return nil
			}
			*dst = append(*dst, d)
			return nil
		}
		for r := range *rounds {
			add := func(k string, v float64) { st.Figures[k] = append(st.Figures[k], v) }
			// The inbox query in the store, for random units.
			var lat []time.Duration
			deadline := time.Now().Add(*measure)
			for time.Now().Before(deadline) {
				s := sessions[pick.IntN(len(sessions))]
				t0 := time.Now()
				if _, err := e.app.Store.Cases(ctx, org.Scope{UnitID: s.unit}, lifecycle.CaseFilter{LeadUnitID: s.unit, Sort: "due", Limit: 20}); err != nil {
					return err
				}
				lat = append(lat, time.Since(t0))
			}
			add("inbox_store_p99_ms", summarize(lat).P99)
			// The API's and the page's first page, alternately.
			var api, page []time.Duration
			deadline = time.Now().Add(*measure)
			for i := 0; time.Now().Before(deadline); i++ {
				s := sessions[pick.IntN(len(sessions))]
				path, cookie, dst := "/api/v1/inbox?limit=20", false, &api
				if i%2 == 1 {
					path, cookie, dst = "/inbox", true, &page
				}
				if err := timed(dst, path, s.token, cookie); err != nil {
					return err
				}
			}
			add("inbox_api_p50_ms", summarize(api).P50)
			add("inbox_api_p99_ms", summarize(api).P99)
			add("inbox_page_p99_ms", summarize(page).P99)
			// The centre's dashboard.
			var dash []time.Duration
			deadline = time.Now().Add(*measure)
			for time.Now().Before(deadline) {
				if err := timed(&dash, "/api/v1/dashboard", centre, false); err != nil {
					return err
				}
			}
			dl := summarize(dash)
			add("dashboard_p50_ms", dl.P50)
			add("dashboard_p99_ms", dl.P99)
			// The month's ranking, recomputed from the facts.
			d, body, err := get("/api/v1/assess/ranking?month="+month+"&recompute=true", centre, false)
			if err != nil {
				return fmt.Errorf("bench scale: assessment: %w", err)
			}
			add("assess_s", round3(d.Seconds()))
			var rk struct {
				Units []struct {
					Orders int64 `json:"orders"`
				} `json:"units"`
			}
			if err := json.Unmarshal(body, &rk); err != nil {
				return fmt.Errorf("bench scale: assessment: %w", err)
			}
			st.Orders = 0
			for _, u := range rk.Units {
				st.Orders += u.Orders
			}
			// A fresh 12-month analysis.
			d, body, err = get("/api/v1/insight?fresh=1&from="+url.QueryEscape(from)+"&to="+url.QueryEscape(to), centre, false)
			if err != nil {
				return fmt.Errorf("bench scale: analysis: %w", err)
			}
			add("insight_s", round3(d.Seconds()))
			var an struct {
				Requests int64 `json:"requests"`
			}
			if err := json.Unmarshal(body, &an); err != nil {
				return fmt.Errorf("bench scale: analysis: %w", err)
			}
			st.Requests = an.Requests
			e.logf("step %d round %d: inbox store p99 %.2f ms, API p99 %.2f ms, page p99 %.2f ms; dashboard p99 %.2f ms; assessment %.2f s (%d orders); analysis %.2f s (%d requests)",
				si+1, r+1, st.Figures["inbox_store_p99_ms"][r], st.Figures["inbox_api_p99_ms"][r], st.Figures["inbox_page_p99_ms"][r],
				dl.P99, st.Figures["assess_s"][r], st.Orders, st.Figures["insight_s"][r], st.Requests)
		}
		out = append(out, st)
	}
	res := map[string]any{"benchmark": "scale", "store": e.storeKin, "durability": e.app.Store.Durability(), "model": *model, "rounds": *rounds,
		"measure_s": measure.Seconds(), "open_pct": *openPct, "units": len(ci.units), "steps": out}
	if cf.json {
		return writeResult(stdout, true, []string{"benchmark", "store", "durability", "model", "rounds", "measure_s", "open_pct", "units", "steps"}, res)
	}
	fmt.Fprintf(stdout, "growth curve, %s (%s), median of %d round(s) per step\n", e.storeKin, e.app.Store.Durability(), *rounds)
	fmt.Fprintf(stdout, "%-34s", "cases")
	for _, st := range out {
		fmt.Fprintf(stdout, "%12d", st.Cases)
	}
	fmt.Fprintln(stdout)
	for _, f := range scaleFigures {
		fmt.Fprintf(stdout, "%-34s", f.label+" ("+f.unit+")")
		for _, st := range out {
			med, _, _ := spread(st.Figures[f.key])
			fmt.Fprintf(stdout, "%12s", num(med))
		}
		fmt.Fprintln(stdout)
	}
	return nil
}

// rawDB opens the benchmark's store directly, for the bulk statements a
// load needs beside the store's own writes.
func (e *env) rawDB() (*sql.DB, error) {
	if e.storeKin == "postgres" {
		return sql.Open("pgx", e.dsn)
	}
	db, err := sql.Open("sqlite", "file:"+e.dsn+"?_pragma=busy_timeout(60000)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// assessFacts writes the assessment facts (assess_orders, assess_callbacks)
// of the loaded cases that have none yet, as their events would have: an
// order to the lead unit an hour after creation, signed 1–3.5 hours and
// contacted 3–27 hours after it (so some late), one in fifty overdue; for
// each closed case a callback at its closing, four in five resolved,
// satisfaction spread five satisfied : one fairly : one not. The load
// writes cases straight to the store, without events, so the facts are
// derived here in two statements.
func (e *env) assessFacts(ctx context.Context, db *sql.DB) error {
	const h = 3600000
	var last int64
	if err := db.QueryRowContext(ctx, "SELECT COALESCE(MAX(case_id), 0) FROM assess_orders").Scan(&last); err != nil {
		return err
	}
	since := strconv.FormatInt(last, 10)
	stmts := []string{
		"INSERT INTO assess_orders(case_id, unit_id, dispatched_at, sign_by, signed_at, contacted_at, contact_waived, returned, overdue) " +
			"SELECT id, lead_unit_id, created_at + " + strconv.Itoa(h) + ", created_at + " + strconv.Itoa(3*h) +
			", created_at + " + strconv.Itoa(h) + " + (id % 11) * 900000, created_at + " + strconv.Itoa(3*h) + " + (id % 13) * 7200000, 0, 0, " +
			"CASE WHEN id % 50 = 1 THEN 1 ELSE 0 END FROM cases WHERE id > " + since + " AND number LIKE 'L%' AND lead_unit_id > 0",
		"INSERT INTO assess_callbacks(case_id, unit_id, at, resolved, satisfaction) " +
			"SELECT id, lead_unit_id, closed_at, CASE WHEN id % 10 < 8 THEN 1 ELSE 0 END, " +
			"CASE WHEN id % 7 < 5 THEN 'satisfied' WHEN id % 7 = 5 THEN 'fairly_satisfied' ELSE 'unsatisfied' END " +
			"FROM cases WHERE id > " + since + " AND number LIKE 'L%' AND lead_unit_id > 0 AND state = '" + string(lifecycle.Closed) + "'",
	}
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}
