// Package bench holds Whistle's benchmarks run by `whistle bench`:
//
//	whistle bench intake  create phone requests over HTTP against a fresh server
//	whistle bench inbox   load many cases, then time a unit's inbox first page
//	whistle bench scale   the growth curve: inbox, dashboard, assessment, analysis from 1 to 10 million cases
//
// Every benchmark starts its own server on a fresh store (a temporary SQLite
// file, or a throwaway PostgreSQL cluster with --db pg, or a database given
// by --db postgres://…), listens on 127.0.0.1 only, and removes what it
// created when it ends. Results are printed as one JSON object with --json.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strings"
	"time"

	"whistle/internal/app"
	"whistle/internal/auth"
	"whistle/internal/config"
	"whistle/internal/demo"
	"whistle/internal/geo"
	"whistle/internal/org"
	"whistle/internal/pgtest"
	"whistle/internal/seed"
	"whistle/internal/store"
)

const usage = `usage: whistle bench <benchmark> [flags]

benchmarks:
  intake   create phone requests over HTTP on loopback (closed loop, or open loop with --rate)
  inbox    load --cases cases, then time a unit's inbox first page (store and HTTP)
  scale    grow one store through --steps case counts (1–10 million), timing the inbox, the dashboard, the month's assessment and a year's analysis at each
  all      run them all several times and print (or --out FILE) the Markdown record of medians and spreads
  soak     a steady mixed load (intake, dispatch, inbox, dashboard) for --duration, with memory sampled

Run "whistle bench <benchmark> -h" for its flags.
`

// Main runs a benchmark named by args[0].
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("bench: no benchmark named")
	}
	switch args[0] {
	case "intake":
		return intakeMain(ctx, args[1:], stdout, stderr)
	case "inbox":
		return inboxMain(ctx, args[1:], stdout, stderr)
	case "scale":
		return scaleMain(ctx, args[1:], stdout, stderr)
	case "soak":
		return soakMain(ctx, args[1:], stdout, stderr)
	case "all":
		return allMain(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("bench: unknown benchmark %q", args[0])
}

// commonFlags are the flags every benchmark takes.
type commonFlags struct {
	db         string
	json       bool
	cpuProfile string
	trace      string
	logLevel   string
	sqliteSync string
	// noRetrain turns the classifier's scheduled retraining off (not a
	// flag: set by a benchmark whose timing it would disturb).
	noRetrain bool
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.db, "db", "", `store: empty = a fresh temporary SQLite file; "pg" = a throwaway PostgreSQL cluster (fsync on); or a postgres:// URL (its database must be empty)`)
	fs.BoolVar(&c.json, "json", false, "print the result as one JSON object")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run (server and load generator) to this file")
	fs.StringVar(&c.trace, "trace", "", "write an execution trace of the measured run to this file (go tool trace; -pprof=sched shows where goroutines waited for a CPU)")
	fs.StringVar(&c.logLevel, "log-level", "warn", "server log level (logs go to stderr)")
	fs.StringVar(&c.sqliteSync, "sqlite-sync", "full", "SQLite durability: full (fsync per group commit, the default) or normal")
}

// env is a running benchmark server and what is needed to tear it down.
type env struct {
	app      *app.App
	base     string // http://127.0.0.1:port
	dir      string // the run's temporary directory
	cfg      config.Config
	storeKin string // sqlite or postgres
	dsn      string // the store's DSN
	log      *slog.Logger
	stderr   io.Writer
	cleanups []func()
	serveErr chan error
	cancel   context.CancelFunc
}

func (e *env) close() {
	if e.cancel != nil {
		e.cancel()
		if err := <-e.serveErr; err != nil {
			fmt.Fprintln(e.stderr, "bench: server:", err)
		}
	}
	for i := len(e.cleanups) - 1; i >= 0; i-- {
		e.cleanups[i]()
	}
}

func (e *env) logf(format string, args ...any) {
	fmt.Fprintf(e.stderr, "bench: "+format+"\n", args...)
}

// start opens a fresh store, seeds the demo organisation (with demoRequests
// requests of history) and serves the API on 127.0.0.1:0.
func start(ctx context.Context, cf commonFlags, demoRequests int, stderr io.Writer) (_ *env, err error) {
	var lvl slog.Level
	if lvl.UnmarshalText([]byte(cf.logLevel)) != nil {
		lvl = slog.LevelWarn
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	e := &env{log: log, stderr: stderr}
	defer func() {
		if err != nil {
			e.close()
		}
	}()
	dir, err := os.MkdirTemp("", "whistle-bench-")
	if err != nil {
		return nil, err
	}
	e.cleanups = append(e.cleanups, func() { os.RemoveAll(dir) })
	e.dir = dir

	cfg := config.Defaults()
	cfg.Data, cfg.Addr, cfg.FastHash, cfg.LogLevel, cfg.SQLiteSync = dir, "127.0.0.1:0", true, cf.logLevel, cf.sqliteSync
	cfg.Node = "bench"
	if cf.noRetrain {
		cfg.ClassifierRetrain = 0
	}
	e.storeKin = "sqlite"
	switch {
	case cf.db == "":
	case cf.db == "pg" || cf.db == "postgres":
		e.logf("starting a throwaway PostgreSQL cluster (fsync on)")
		cl, err := pgtest.StartCluster(ctx, pgtest.Options{Fsync: true, MaxConnections: 300})
		if err != nil {
			return nil, fmt.Errorf("postgres cluster: %w", err)
		}
		e.cleanups = append(e.cleanups, func() {
			if err := cl.Stop(); err != nil {
				fmt.Fprintln(stderr, "bench: stopping PostgreSQL:", err)
			}
		})
		if cfg.DB, err = cl.CreateDatabase(ctx); err != nil {
			return nil, err
		}
		e.storeKin = "postgres"
	case store.IsPostgres(cf.db):
		cfg.DB, e.storeKin = cf.db, "postgres"
	default:
		return nil, fmt.Errorf(`--db must be empty, "pg" or a postgres:// URL`)
	}
	e.dsn, e.cfg = cfg.DSN(), cfg
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	e.app = a
	e.cleanups = append(e.cleanups, func() { a.Close() })
	if places, err := a.Store.Places(ctx, false); err != nil {
		return nil, err
	} else if len(places) > 0 {
		return nil, errors.New("bench: the database is not empty; give a fresh one")
	}
	t0 := time.Now()
	res, err := seed.Demo(ctx, a.Svc, demo.Options{Seed: cfg.Seed, Requests: demoRequests}, auth.FastHasher(), log)
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	e.logf("demo organisation seeded (%d cases) in %v", res.Cases, time.Since(t0).Round(time.Millisecond))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e.cancel, e.serveErr = cancel, make(chan error, 1)
	ready := make(chan string, 1)
	go func() { e.serveErr <- a.Serve(sctx, ln, func(addr string) { ready <- addr }) }()
	select {
	case addr := <-ready:
		e.base = "http://" + addr
	case err := <-e.serveErr:
		e.cancel = nil
		cancel()
		return nil, err
	}
	return e, nil
}

// addNodes starts n more application nodes on the same PostgreSQL store,
// each its own app.App (pools, scheduler, caches) serving on its own
// loopback port, as separate processes behind a load balancer would; it
// returns their base URLs.
func (e *env) addNodes(ctx context.Context, n int) ([]string, error) {
	if n > 0 && e.storeKin != "postgres" {
		return nil, errors.New("bench: several nodes share a PostgreSQL store: --db pg")
	}
	var bases []string
	for i := range n {
		cfg := e.cfg
		cfg.Node = fmt.Sprintf("bench-%d", i+2)
		a, err := app.Open(ctx, cfg, e.log)
		if err != nil {
			return nil, err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			a.Close()
			return nil, err
		}
		sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		served, ready := make(chan error, 1), make(chan string, 1)
		go func() { served <- a.Serve(sctx, ln, func(addr string) { ready <- addr }) }()
		e.cleanups = append(e.cleanups, func() {
			cancel()
			if err := <-served; err != nil {
				fmt.Fprintln(e.stderr, "bench: node:", err)
			}
			a.Close()
		})
		select {
		case addr := <-ready:
			bases = append(bases, "http://"+addr)
		case err := <-served:
			return nil, err
		}
	}
	return bases, nil
}

// newClient returns an HTTP client tuned for conns concurrent keep-alive
// connections to one loopback host.
func newClient(conns int) *http.Client {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

// login logs a user in over HTTP and returns the bearer token.
func login(ctx context.Context, c *http.Client, base, user, password string) (string, error) {
	body, _ := json.Marshal(map[string]string{"username": user, "password": password})
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/auth/login", strings.NewReader(string(body)))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		Token string `json:"token"`
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("login %s: %s: %s", user, resp.Status, strings.TrimSpace(string(b)))
	}
	if err := json.Unmarshal(b, &out); err != nil || out.Token == "" {
		return "", fmt.Errorf("login %s: no token in %q", user, b)
	}
	return out.Token, nil
}

// request sends one request as a logged-in user (a bearer token, or the
// session cookie when cookie is set) and returns the status and the body.
func request(ctx context.Context, c *http.Client, method, url, token string, cookie bool, body []byte, hdr ...string) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cookie {
		req.AddCookie(&http.Cookie{Name: "whistle_session", Value: token})
	} else {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// profile starts a CPU profile when path is set and returns its stopper.
func profile(cf commonFlags) (func(), error) {
	var stops []func()
	stop := func() {
		for _, f := range stops {
			f()
		}
	}
	if cf.cpuProfile != "" {
		f, err := os.Create(cf.cpuProfile)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, err
		}
		stops = append(stops, func() { pprof.StopCPUProfile(); f.Close() })
	}
	if cf.trace != "" {
		f, err := os.Create(cf.trace)
		if err != nil {
			stop()
			return nil, err
		}
		if err := trace.Start(f); err != nil {
			f.Close()
			stop()
			return nil, err
		}
		stops = append(stops, func() { trace.Stop(); f.Close() })
	}
	return stop, nil
}

// latencies summarises durations (in milliseconds, 3 decimals).
type latencies struct {
	P50, P90, P99, Max float64
}

func summarize(ds []time.Duration) latencies {
	if len(ds) == 0 {
		return latencies{}
	}
	slices.Sort(ds)
	q := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(ds)))) - 1
		i = max(0, min(i, len(ds)-1))
		return msec(ds[i])
	}
	return latencies{P50: q(0.50), P90: q(0.90), P99: q(0.99), Max: msec(ds[len(ds)-1])}
}

func msec(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

func round2(f float64) float64 { return math.Round(f*100) / 100 }

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// ---- the seeded city, as the load generators need it ----

// cityInfo is what load generators draw from: leaf categories, points inside
// grids, and the units that handle work.
type cityInfo struct {
	leafCategories []string
	points         []point     // inside seeded grids (resolved by the service)
	grids          []org.Place // grids with a boundary
	places         map[int64]org.Place
	units          []org.Unit       // street offices and departments
	handlers       map[int64]string // unit id → a handler's username
}

type point struct{ lat, lon float64 }

func loadCity(ctx context.Context, a *app.App, rng *rand.Rand, pointsPerGrid int) (*cityInfo, error) {
	st := a.Store
	ci := &cityInfo{places: map[int64]org.Place{}, handlers: map[int64]string{}}
	cats, err := st.Categories(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range cats {
		if c.Leaf && c.Active {
			ci.leafCategories = append(ci.leafCategories, c.Code)
		}
	}
	places, err := st.Places(ctx, true)
	if err != nil {
		return nil, err
	}
	for _, p := range places {
		b := p.Boundary
		p.Boundary = ""
		ci.places[p.ID] = p
		if p.Level != org.LevelGrid || b == "" {
			continue
		}
		shape, err := geo.Parse(b)
		if err != nil {
			continue
		}
		ci.grids = append(ci.grids, p)
		for _, pt := range samplePoints(shape, pointsPerGrid, rng) {
			// Keep only points the service resolves to this very grid.
			loc, err := a.Svc.Locate(pt.lat, pt.lon)
			if err == nil && loc.GridID == p.ID {
				ci.points = append(ci.points, pt)
			}
		}
	}
	units, err := st.Units(ctx)
	if err != nil {
		return nil, err
	}
	for _, u := range units {
		if u.Kind == org.KindStreet || u.Kind == org.KindDepartment {
			ci.units = append(ci.units, u)
		}
	}
	users, err := st.Users(ctx, 0)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if u.Has(org.RoleHandler) && !u.Disabled {
			if _, ok := ci.handlers[u.UnitID]; !ok {
				ci.handlers[u.UnitID] = u.Username
			}
		}
	}
	switch {
	case len(ci.leafCategories) == 0:
		return nil, errors.New("bench: the seeded city has no leaf categories")
	case len(ci.points) == 0:
		return nil, errors.New("bench: the seeded city has no grid boundaries to take points from")
	case len(ci.units) == 0:
		return nil, errors.New("bench: the seeded city has no street or department units")
	}
	return ci, nil
}

// samplePoints draws up to n points inside shape by rejection sampling in
// its bounding box.
func samplePoints(shape *geo.Shape, n int, rng *rand.Rand) []point {
	var out []point
	for tries := 0; len(out) < n && tries < 20*n; tries++ {
		x := round6(shape.MinX + rng.Float64()*(shape.MaxX-shape.MinX))
		y := round6(shape.MinY + rng.Float64()*(shape.MaxY-shape.MinY))
		if shape.Contains(x, y) {
			out = append(out, point{lat: y, lon: x})
		}
	}
	return out
}

func round6(f float64) float64 { return math.Round(f*1e6) / 1e6 }

// writeResult prints v as one JSON object, or as aligned "key: value" lines.
func writeResult(w io.Writer, asJSON bool, keys []string, v map[string]any) error {
	if asJSON {
		var b strings.Builder
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			vb, err := json.Marshal(v[k])
			if err != nil {
				return err
			}
			b.Write(kb)
			b.WriteByte(':')
			b.Write(vb)
		}
		b.WriteString("}\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	for _, k := range keys {
		if _, err := fmt.Fprintf(w, "%-22s %v\n", k+":", v[k]); err != nil {
			return err
		}
	}
	return nil
}
