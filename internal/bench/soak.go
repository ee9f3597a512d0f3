package bench

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"whistle/internal/demo"
	"whistle/internal/org"
)

// soak drives a steady mixed load for a long time — intake by an agent,
// dispatch of part of the new cases by a dispatcher, inbox reads by unit
// handlers, the centre's dashboard — and samples memory every interval:
// the heap in use, the process's resident set, goroutines. It reports
// whether memory stayed flat (the last quarter's median within 25 % of the
// second quarter's) and every error. Not run in CI: `whistle bench soak
// --duration 1h` (docs/BENCHMARKS.md).
func soakMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf commonFlags
	cf.register(fs)
	duration := fs.Duration("duration", time.Hour, "how long to drive the load")
	intake := fs.Float64("intake", 200, "creates per second")
	dispatchShare := fs.Float64("dispatch", 0.5, "share of the new cases the dispatcher dispatches")
	inbox := fs.Float64("inbox", 50, "inbox reads per second (API and page alternately)")
	dashboard := fs.Float64("dashboard", 1, "dashboard reads per second")
	every := fs.Duration("sample", time.Minute, "how often memory is sampled")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if *duration <= 0 || *duration > 24*time.Hour || *every <= 0 || *every > *duration || *intake <= 0 || *inbox < 0 || *dashboard < 0 || *dispatchShare < 0 || *dispatchShare > 1 {
		return errors.New("bench soak: 0 < --sample ≤ --duration ≤ 24h, --intake > 0, --inbox and --dashboard ≥ 0, 0 ≤ --dispatch ≤ 1 please")
	}
	e, err := start(ctx, cf, 10, stderr)
	if err != nil {
		return err
	}
	defer e.close()
	rng := rand.New(rand.NewPCG(17, 19))
	ci, err := loadCity(ctx, e.app, rng, 4)
	if err != nil {
		return err
	}
	client := newClient(256)
	defer client.CloseIdleConnections()
	agent, err := login(ctx, client, e.base, "agent01", demo.DemoPassword)
	if err != nil {
		return err
	}
	dispatcher, err := login(ctx, client, e.base, "dispatcher01", demo.DemoPassword)
	if err != nil {
		return err
	}
	var handlers []string
	for _, u := range ci.units {
		if name, ok := ci.handlers[u.ID]; ok && len(handlers) < 20 {
			tok, err := login(ctx, client, e.base, name, demo.DemoPassword)
			if err != nil {
				return err
			}
			handlers = append(handlers, tok)
		}
	}
	if len(handlers) == 0 {
		return errors.New("bench soak: no unit handlers to log in as")
	}
	s := &soak{client: client, base: e.base, bodies: makeBodies(ci, rng, 8192), run: strconv.FormatInt(time.Now().UnixNano(), 36),
		agent: agent, dispatcher: dispatcher, handlers: handlers, units: ci.units, share: *dispatchShare,
		toDispatch: make(chan int64, 1024), stats: map[string]*soakStat{}}
	lctx, cancel := context.WithTimeout(ctx, *duration)
	defer cancel()
	e.logf("soak: %v at %g creates/s (%.0f%% dispatched), %g inbox reads/s, %g dashboards/s; memory every %v",
		*duration, *intake, *dispatchShare*100, *inbox, *dashboard, *every)
	var wg sync.WaitGroup
	inflight := make(chan struct{}, 512)
	steady := func(rate float64, fn func(context.Context, int64)) {
		if rate <= 0 {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			begin := time.Now()
			for i := int64(0); ; i++ {
				at := begin.Add(time.Duration(float64(i) / rate * float64(time.Second)))
				select {
				case <-lctx.Done():
					return
				case <-time.After(time.Until(at)):
				}
				select {
				case inflight <- struct{}{}:
				default:
					s.fail("overload", "in-flight limit")
					continue
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { <-inflight }()
					fn(lctx, i)
				}()
			}
		}()
	}
	steady(*intake, s.create)
	steady(*inbox, s.inbox)
	steady(*dashboard, s.dashboard)
	wg.Add(1)
	go func() { defer wg.Done(); s.dispatchLoop(lctx) }()

	var samples []soakSample
	tick := time.NewTicker(*every)
	defer tick.Stop()
	begin := time.Now()
	samples = append(samples, sampleMemory(0))
sampling:
	for {
		select {
		case <-lctx.Done():
			break sampling
		case <-tick.C:
			m := sampleMemory(time.Since(begin))
			m.Requests, m.Errors = s.totals()
			samples = append(samples, m)
			e.logf("soak %v: heap %.1f MB, rss %.1f MB, %d goroutines, %d requests, %d errors",
				m.At.Round(time.Second), m.HeapMB, m.RSSMB, m.Goroutines, m.Requests, m.Errors)
		}
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return writeSoak(stdout, cf.json, e, s, samples)
}

type soak struct {
	client     *http.Client
	base       string
	bodies     [][]byte
	run        string
	agent      string
	dispatcher string
	handlers   []string
	units      []org.Unit
	share      float64
	toDispatch chan int64
	seq        atomic.Int64
	mu         sync.Mutex
	stats      map[string]*soakStat
}

type soakStat struct {
	lat    []time.Duration
	errors map[string]int64
}

type soakSample struct {
	At         time.Duration `json:"-"`
	Minute     float64       `json:"minute"`
	HeapMB     float64       `json:"heap_mb"`
	RSSMB      float64       `json:"rss_mb"`
	Goroutines int           `json:"goroutines"`
	Requests   int64         `json:"requests"`
	Errors     int64         `json:"errors"`
}

func sampleMemory(at time.Duration) soakSample {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return soakSample{At: at, Minute: round2(at.Minutes()), HeapMB: round2(float64(ms.HeapInuse) / (1 << 20)), RSSMB: round2(rssMB()), Goroutines: runtime.NumGoroutine()}
}

// rssMB is the process's resident set from /proc (0 where there is none).
func rssMB() float64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseFloat(f[1], 64)
	return pages * float64(os.Getpagesize()) / (1 << 20)
}

func (s *soak) record(kind string, t0 time.Time, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats[kind]
	if st == nil {
		st = &soakStat{errors: map[string]int64{}}
		s.stats[kind] = st
	}
	if why == "" {
		st.lat = append(st.lat, time.Since(t0))
	} else {
		st.errors[why]++
	}
}

func (s *soak) fail(kind, why string) { s.record(kind, time.Time{}, why) }

func (s *soak) totals() (reqs, errs int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.stats {
		reqs += int64(len(st.lat))
		for _, n := range st.errors {
			reqs += n
			errs += n
		}
	}
	return reqs, errs
}

// do sends one request and returns its status and body.
func (s *soak) do(ctx context.Context, method, url, token string, cookie bool, body []byte, hdr ...string) (int, []byte, error) {
	return request(ctx, s.client, method, url, token, cookie, body, hdr...)
}

func (s *soak) outcome(ctx context.Context, kind string, t0 time.Time, code int, err error, want int) bool {
	switch {
	case err != nil && ctx.Err() != nil:
		return false // the run ended
	case err != nil:
		s.fail(kind, "transport")
	case code != want:
		s.fail(kind, strconv.Itoa(code))
	default:
		s.record(kind, t0, "")
		return true
	}
	return false
}

func (s *soak) create(ctx context.Context, i int64) {
	n := s.seq.Add(1)
	t0 := time.Now()
	code, b, err := s.do(ctx, "POST", s.base+"/api/v1/cases", s.agent, false, s.bodies[int(n)%len(s.bodies)],
		"Idempotency-Key", "soak-"+s.run+"-"+strconv.FormatInt(n, 10))
	if !s.outcome(ctx, "intake", t0, code, err, http.StatusCreated) {
		return
	}
	if float64(i%1000) >= s.share*1000 {
		return
	}
	var c struct {
		ID int64 `json:"id"`
	}
	if json.Unmarshal(b, &c) != nil || c.ID == 0 {
		s.fail("intake", "no id")
		return
	}
	select {
	case s.toDispatch <- c.ID:
	default:
		s.fail("dispatch", "backlog")
	}
}

// dispatchLoop dispatches the cases handed to it, one at a time, as one
// dispatcher does, to units in turn.
func (s *soak) dispatchLoop(ctx context.Context) {
	for k := 0; ; k++ {
		var id int64
		select {
		case <-ctx.Done():
			return
		case id = <-s.toDispatch:
		}
		u := s.units[k%len(s.units)]
		body, _ := json.Marshal(map[string]any{"unit_id": u.ID, "note": "压力测试派单"})
		t0 := time.Now()
		code, _, err := s.do(ctx, "POST", s.base+"/api/v1/cases/"+strconv.FormatInt(id, 10)+"/dispatch", s.dispatcher, false, body)
		s.outcome(ctx, "dispatch", t0, code, err, http.StatusOK)
	}
}

func (s *soak) inbox(ctx context.Context, i int64) {
	tok := s.handlers[int(i)%len(s.handlers)]
	t0 := time.Now()
	if i%2 == 0 {
		code, _, err := s.do(ctx, "GET", s.base+"/api/v1/inbox?limit=20", tok, false, nil)
		s.outcome(ctx, "inbox_api", t0, code, err, http.StatusOK)
		return
	}
	code, _, err := s.do(ctx, "GET", s.base+"/inbox", tok, true, nil)
	s.outcome(ctx, "inbox_page", t0, code, err, http.StatusOK)
}

func (s *soak) dashboard(ctx context.Context, _ int64) {
	t0 := time.Now()
	code, _, err := s.do(ctx, "GET", s.base+"/api/v1/dashboard", s.dispatcher, false, nil)
	s.outcome(ctx, "dashboard", t0, code, err, http.StatusOK)
}

// quarterMedian is the median of a memory figure over the samples of one
// quarter of the run (q = 1..4).
func quarterMedian(samples []soakSample, q int, f func(soakSample) float64) float64 {
	n := len(samples)
	var v []float64
	for i, m := range samples {
		if i*4/n == q-1 {
			v = append(v, f(m))
		}
	}
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	return v[len(v)/2]
}

func writeSoak(w io.Writer, asJSON bool, e *env, s *soak, samples []soakSample) error {
	heap := func(m soakSample) float64 { return m.HeapMB }
	rss := func(m soakSample) float64 { return m.RSSMB }
	h2, h4 := quarterMedian(samples, 2, heap), quarterMedian(samples, 4, heap)
	r2, r4 := quarterMedian(samples, 2, rss), quarterMedian(samples, 4, rss)
	flat := len(samples) >= 4 && h4 <= 1.25*h2 && (r2 == 0 || r4 <= 1.25*r2)
	reqs, errs := s.totals()
	kinds := map[string]any{}
	s.mu.Lock()
	for k, st := range s.stats {
		l := summarize(st.lat)
		kinds[k] = map[string]any{"ok": len(st.lat), "errors": st.errors, "p50_ms": l.P50, "p99_ms": l.P99, "max_ms": l.Max}
	}
	s.mu.Unlock()
	keys := []string{"benchmark", "store", "requests", "errors", "memory_flat", "heap_q2_mb", "heap_q4_mb", "rss_q2_mb", "rss_q4_mb", "kinds", "samples"}
	return writeResult(w, asJSON, keys, map[string]any{
		"benchmark": "soak", "store": e.storeKin, "requests": reqs, "errors": errs, "memory_flat": flat,
		"heap_q2_mb": h2, "heap_q4_mb": h4, "rss_q2_mb": r2, "rss_q4_mb": r4, "kinds": kinds, "samples": samples,
	})
}
