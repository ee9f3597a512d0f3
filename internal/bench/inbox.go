package bench

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"whistle/internal/demo"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
)

func inboxMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench inbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf commonFlags
	cf.register(fs)
	n := fs.Int("cases", 1_000_000, "cases to load (10000000 works too; see docs/BENCHMARKS.md)")
	batch := fs.Int("batch", 10_000, "cases per store write while loading")
	openPct := fs.Float64("open", 5, "percentage of cases that are open (with a due date)")
	measure := fs.Duration("measure", 10*time.Second, "how long to time each of the store and HTTP inbox reads")
	users := fs.Int("users", 50, "unit handlers logged in for the HTTP part (one per random unit)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if *n < 1 || *batch < 1 || *measure <= 0 || *openPct < 0 || *openPct > 100 || *users < 1 {
		return errors.New("bench inbox: bad flags")
	}
	if *measure > 10*time.Minute {
		return errors.New("bench inbox: --measure at most 10m")
	}

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

	stop, err := profile(cf)
	if err != nil {
		return err
	}
	defer stop()
	e.logf("loading %d cases (%.1f%% open) over %d units into %s in writes of %d", *n, *openPct, len(ci.units), e.storeKin, *batch)
	loadTime, err := loadCases(ctx, e, ci, 0, *n, *batch, *openPct/100, func(i int) (float64, string) { return float64(i) / float64(*n), "urban.stall" })
	if err != nil {
		return err
	}
	e.logf("loaded in %v (%.0f cases/s)", loadTime.Round(time.Millisecond), float64(*n)/loadTime.Seconds())
	if e.storeKin == "postgres" {
		// A fresh bulk load: let the planner see it, as autovacuum soon would.
		if err := analyze(ctx, e.dsn); err != nil {
			e.logf("analyze: %v", err)
		}
	}

	// Store: the query the inbox runs, for random units.
	pick := rand.New(rand.NewPCG(5, 6))
	var storeLat []time.Duration
	var rows int
	deadline := time.Now().Add(*measure)
	for time.Now().Before(deadline) {
		u := ci.units[pick.IntN(len(ci.units))].ID
		t0 := time.Now()
		page, err := e.app.Store.Cases(ctx, org.Scope{UnitID: u}, lifecycle.CaseFilter{LeadUnitID: u, Sort: "due", Limit: 20})
		if err != nil {
			return err
		}
		storeLat = append(storeLat, time.Since(t0))
		rows += len(page.Cases)
	}
	sl := summarize(storeLat)
	e.logf("store inbox: %d queries, %.1f cases/page, p50 %.3f ms, p99 %.3f ms", len(storeLat), float64(rows)/float64(len(storeLat)), sl.P50, sl.P99)

	// HTTP: GET /api/v1/inbox as handlers of random units.
	client := newClient(4)
	defer client.CloseIdleConnections()
	sessions, err := handlerSessions(ctx, client, e.base, ci, pick, *users)
	if err != nil {
		return err
	}
	// The same first page twice: as JSON from the API, and as the unit's
	// HTML inbox page (the session cookie of the same login).
	var httpLat, pageLat []time.Duration
	var httpErrs int
	get := func(url, token string, cookie bool) (time.Duration, bool) {
		t0 := time.Now()
		code, _, err := request(ctx, client, "GET", url, token, cookie, nil)
		return time.Since(t0), err == nil && code == http.StatusOK
	}
	deadline = time.Now().Add(*measure)
	for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
		s := sessions[pick.IntN(len(sessions))]
		if i%2 == 0 {
			d, ok := get(e.base+"/api/v1/inbox?limit=20", s.token, false)
			if !ok {
				httpErrs++
				continue
			}
			httpLat = append(httpLat, d)
		} else {
			d, ok := get(e.base+"/inbox", s.token, true)
			if !ok {
				httpErrs++
				continue
			}
			pageLat = append(pageLat, d)
		}
	}
	hl, pl := summarize(httpLat), summarize(pageLat)
	e.logf("HTTP inbox: %d API requests p50 %.3f ms, p99 %.3f ms; %d pages p50 %.3f ms, p99 %.3f ms (%d errors)",
		len(httpLat), hl.P50, hl.P99, len(pageLat), pl.P50, pl.P99, httpErrs)

	keys := []string{"benchmark", "store", "durability", "cases", "open_cases", "units", "load_s", "load_per_s",
		"store_queries", "store_p50_ms", "store_p99_ms", "store_max_ms", "http_requests", "http_errors", "http_p50_ms", "http_p99_ms", "http_max_ms", "page_requests", "page_p50_ms", "page_p99_ms", "page_max_ms"}
	return writeResult(stdout, cf.json, keys, map[string]any{
		"benchmark": "inbox", "store": e.storeKin, "durability": e.app.Store.Durability(),
		"cases": *n, "open_cases": openCount(*n, *openPct/100), "units": len(ci.units),
		"load_s": round2(loadTime.Seconds()), "load_per_s": round2(float64(*n) / loadTime.Seconds()),
		"store_queries": len(storeLat), "store_p50_ms": sl.P50, "store_p99_ms": sl.P99, "store_max_ms": sl.Max,
		"http_requests": len(httpLat), "http_errors": httpErrs, "http_p50_ms": hl.P50, "http_p99_ms": hl.P99, "http_max_ms": hl.Max,
		"page_requests": len(pageLat), "page_p50_ms": pl.P50, "page_p99_ms": pl.P99, "page_max_ms": pl.Max,
	})
}

// openCount is how many of n cases loadCases makes open: every case whose
// index hits the open stride.
func openCount(n int, frac float64) int {
	if frac <= 0 {
		return 0
	}
	stride := max(1, int(1/frac+0.5))
	return (n + stride - 1) / stride
}

// loadCases inserts cases lo to hi-1 straight through the store, in writes
// of batch cases, generated by one goroutine and written by two (on SQLite
// the single writer commits them; on PostgreSQL they are two transactions).
// at gives case i its place in the year (0 a year ago, 1 now) and its
// category.
func loadCases(ctx context.Context, e *env, ci *cityInfo, lo, hi, batch int, openFrac float64, at func(i int) (float64, string)) (time.Duration, error) {
	t0 := time.Now()
	now := e.app.Svc.Now()
	stride := 0
	if openFrac > 0 {
		stride = max(1, int(1/openFrac+0.5))
	}
	// A unit's district: its place's district (city-level units: any).
	var districts []int64
	for _, p := range ci.places {
		if p.Level == org.LevelDistrict {
			districts = append(districts, p.ID)
		}
	}
	if len(districts) == 0 {
		return 0, errors.New("bench inbox: no districts")
	}
	districtOf := func(id int64) int64 {
		for range 6 {
			p, ok := ci.places[id]
			if !ok {
				return 0
			}
			if p.Level == org.LevelDistrict {
				return p.ID
			}
			id = p.ParentID
		}
		return 0
	}
	jobs := make(chan []*lifecycle.Case, 2)
	errc := make(chan error, 2)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for cs := range jobs {
				err := e.app.Store.Write(ctx, func(tx *store.Tx) error {
					for _, c := range cs {
						c.ID = 0
						if err := tx.InsertCase(ctx, c); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					errc <- err
					cancel()
					for range jobs {
					}
					return
				}
			}
		}()
	}
	rng := rand.New(rand.NewPCG(99, 100+uint64(lo)))
	lastReport := time.Now()
gen:
	for from := lo; from < hi; from += batch {
		to := min(from+batch, hi)
		cs := make([]*lifecycle.Case, 0, to-from)
		for i := from; i < to; i++ {
			u := ci.units[rng.IntN(len(ci.units))]
			frac, cat := at(i)
			c := benchCase(i, frac, cat, u, now, rng, stride > 0 && i%stride == 0)
			c.Location.DistrictID = districtOf(u.PlaceID)
			if c.Location.DistrictID == 0 {
				c.Location.DistrictID = districts[i%len(districts)]
			}
			if p, ok := ci.places[u.PlaceID]; ok && p.Level == org.LevelStreet {
				c.Location.StreetID = p.ID
			}
			c.SupervisingUnitID = u.SupervisorID
			cs = append(cs, c)
		}
		select {
		case jobs <- cs:
		case <-ctx.Done():
			break gen
		}
		if time.Since(lastReport) > 10*time.Second {
			lastReport = time.Now()
			e.logf("… %d cases (%.0f/s)", to, float64(to-lo)/time.Since(t0).Seconds())
		}
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errc:
		return 0, err
	default:
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return time.Since(t0), nil
}

// benchCase is case i of the load, created frac of the way through the
// last year (0 a year ago, 1 now), in category cat: led by unit u; open ones
// are being handled with a reply deadline from 5 days ago to 30 days ahead,
// the rest closed.
func benchCase(i int, frac float64, cat string, u org.Unit, now time.Time, rng *rand.Rand, open bool) *lifecycle.Case {
	year := 365 * 24 * time.Hour
	created := now.Add(-year + time.Duration(float64(year)*frac)).Truncate(time.Millisecond)
	c := &lifecycle.Case{
		Number: fmt.Sprintf("L%09d", i), Channel: "phone", Type: lifecycle.Types[i%len(lifecycle.Types)],
		Category: cat, Urgency: "general", Title: "占道经营",
		Description: fmt.Sprintf("市民来电反映：%s%s，%s", descWhere[i%len(descWhere)], descWhat[i%len(descWhat)], descAsk[i%len(descAsk)]),
		Location:    lifecycle.Location{Address: fmt.Sprintf("%s附近%d号", descWhere[(i/7)%len(descWhere)], 1+i%200)},
		Citizen:     lifecycle.Citizen{Name: surname[i%len(surname)] + given[(i/10)%len(given)], Phone: fmt.Sprintf("139%08d", i%100_000_000), PhoneHash: fmt.Sprintf("bench%d", i%200_000)},
		LeadUnitID:  u.ID, CreatedAt: created, UpdatedAt: created, ReceivedAt: created, DispatchedAt: created.Add(time.Hour),
		CreatedBy: 3, Version: 4, EventSeq: 4,
	}
	if open {
		c.State = lifecycle.Handling
		c.SignedAt, c.ContactedAt = created.Add(2*time.Hour), created.Add(3*time.Hour)
		due := now.Add(time.Duration(rng.IntN(35*24*60)-5*24*60) * time.Minute).Truncate(time.Millisecond)
		c.ReplyBy = due
		c.Overdue = due.Before(now)
	} else {
		c.State = lifecycle.Closed
		c.ReplyBy = created.Add(15 * 24 * time.Hour)
		c.RepliedAt = created.Add(time.Duration(1+rng.IntN(14*24)) * time.Hour)
		c.ClosedAt = c.RepliedAt.Add(24 * time.Hour)
		c.Result, c.Satisfaction, c.CloseReason = lifecycle.ResultResolved, lifecycle.Satisfied, lifecycle.CloseCallback
		c.Version, c.EventSeq = 7, 7
	}
	return c
}

// analyze runs ANALYZE on PostgreSQL's cases table after the bulk load.
func analyze(ctx context.Context, dsn string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "ANALYZE cases")
	return err
}

// handlerSession is a logged-in handler of a unit.
type handlerSession struct {
	unit  int64
	token string
}

// handlerSessions logs in a handler of each of up to n units, picked at
// random.
func handlerSessions(ctx context.Context, client *http.Client, base string, ci *cityInfo, pick *rand.Rand, n int) ([]handlerSession, error) {
	var out []handlerSession
	for _, i := range pick.Perm(len(ci.units)) {
		if len(out) >= n {
			break
		}
		name, ok := ci.handlers[ci.units[i].ID]
		if !ok {
			continue
		}
		tok, err := login(ctx, client, base, name, demo.DemoPassword)
		if err != nil {
			return nil, err
		}
		out = append(out, handlerSession{ci.units[i].ID, tok})
	}
	if len(out) == 0 {
		return nil, errors.New("bench: no unit handlers to log in as")
	}
	return out, nil
}
