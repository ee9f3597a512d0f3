package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"whistle/internal/casework"
	"whistle/internal/demo"
	"whistle/internal/lifecycle"
)

// intake descriptions: a phone agent's summaries of what callers report.
var (
	descWhere = []string{"小区门口", "楼下", "路口东侧", "公交站旁", "菜市场北门", "学校附近", "地铁站B口", "胡同里", "公园南门", "停车场内"}
	descWhat  = []string{
		"每晚有人摆摊经营，油烟和噪音扰民", "路灯不亮已经一周", "井盖松动，车辆经过声音很大", "垃圾堆放多日无人清运",
		"施工单位夜间施工至凌晨", "共享单车乱停乱放堵塞人行道", "自来水水压很低", "暖气不热，室温只有十五度",
		"树枝遮挡交通信号灯", "下水道返味严重", "有人私搭乱建", "路面塌陷有坑",
	}
	descAsk = []string{"希望相关部门尽快处理。", "请派人查看。", "已反映多次，希望彻底解决。", "请尽快答复。"}
	surname = []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"}
	given   = []string{"先生", "女士", "建国", "秀英", "伟", "芳", "磊", "静"}
)

type intakeResult struct {
	requests, errors int64
	lat              []time.Duration
	elapsed          time.Duration
	codes            map[string]int64
}

func intakeMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench intake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf commonFlags
	cf.register(fs)
	duration := fs.Duration("duration", 30*time.Second, "how long to drive load")
	warmup := fs.Duration("warmup", 2*time.Second, "load driven (and not measured) before the measured run")
	conc := fs.Int("concurrency", 64, "concurrent clients (closed loop), or the most requests in flight (open loop)")
	rate := fs.Float64("rate", 0, "open loop: send at a steady RATE requests/s; latency counts from each request's intended send time (0 = closed loop)")
	nodes := fs.Int("nodes", 1, "application nodes on the one PostgreSQL store (--db pg), requests spread over them in turn")
	idem := fs.Bool("idempotency-key", true, "send a unique Idempotency-Key with every create (as a careful client does)")
	ceilingArg := fs.String("ceiling", "", "the hardware's ceiling for intake measured in the same session: creates/s, a file holding the JSON line of ../shared/bench/ceiling (go run . --duration 20s > FILE), or \"bare\": a bare pipeline (net/http, JSON, a case row and an event row per request) measured first on the same kind of store, for as long, with as many clients; adds ceiling_per_s and ratio_to_ceiling")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var ceiling float64
	bareRun := *ceilingArg == "bare"
	if !bareRun {
		c, err := parseCeiling(*ceilingArg)
		if err != nil {
			return err
		}
		ceiling = c
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if *nodes < 1 || *nodes > 16 {
		return errors.New("bench intake: 1 ≤ --nodes ≤ 16")
	}
	if *conc < 1 || *duration <= 0 || *rate < 0 {
		return errors.New("bench intake: --concurrency ≥ 1, --duration > 0 and --rate ≥ 0 please")
	}
	if *duration > time.Hour {
		return errors.New("bench intake: --duration at most 1h")
	}

	e, err := start(ctx, cf, 10, stderr)
	if err != nil {
		return err
	}
	defer e.close()
	rng := rand.New(rand.NewPCG(42, 7))
	ci, err := loadCity(ctx, e.app, rng, 4)
	if err != nil {
		return err
	}
	client := newClient(*conc)
	defer client.CloseIdleConnections()
	token, err := login(ctx, client, e.base, "agent01", demo.DemoPassword)
	if err != nil {
		return err
	}
	bodies := makeBodies(ci, rng, 8192)
	e.logf("%s store, %d leaf categories, %d points in %d grids; server on %s", e.storeKin, len(ci.leafCategories), len(ci.points), len(ci.grids), e.base)

	var bareOut intakeResult
	if bareRun {
		if bareOut, err = measureBare(ctx, e, client, bodies, *conc, *rate, *warmup, *duration); err != nil {
			return err
		}
		if bareOut.requests-bareOut.errors <= 0 {
			return fmt.Errorf("bench intake: the bare pipeline acknowledged nothing (%v)", bareOut.codes)
		}
		ceiling = float64(bareOut.requests-bareOut.errors) / bareOut.elapsed.Seconds()
	}
	more, err := e.addNodes(ctx, *nodes-1)
	if err != nil {
		return err
	}
	d := &driver{client: client, urls: []string{e.base + "/api/v1/cases"}, token: token, bodies: bodies, idem: *idem, run: strconv.FormatInt(time.Now().UnixNano(), 36)}
	for _, b := range more {
		d.urls = append(d.urls, b+"/api/v1/cases")
	}
	d.perURL = make([]atomic.Int64, len(d.urls))
	if *warmup > 0 {
		e.logf("warm-up %v", *warmup)
		if *rate > 0 {
			d.openLoop(ctx, *conc, *rate, *warmup)
		} else {
			d.closedLoop(ctx, *conc, *warmup)
		}
	}
	stop, err := profile(cf)
	if err != nil {
		return err
	}
	mode := "closed loop"
	if *rate > 0 {
		mode = fmt.Sprintf("open loop at %g/s", *rate)
	}
	e.logf("driving %v, %s, %d clients", *duration, mode, *conc)
	var res intakeResult
	if *rate > 0 {
		res = d.openLoop(ctx, *conc, *rate, *duration)
	} else {
		res = d.closedLoop(ctx, *conc, *duration)
	}
	stop()
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(res.codes) > 0 {
		e.logf("failures by status: %v", res.codes)
	}
	l := summarize(res.lat)
	ok := res.requests - res.errors
	keys := []string{"benchmark", "store", "durability", "nodes", "duration_s", "concurrency", "rate", "requests", "errors", "throughput_per_s", "p50_ms", "p90_ms", "p99_ms", "max_ms"}
	thr := float64(ok) / res.elapsed.Seconds()
	out := map[string]any{
		"benchmark": "intake", "store": e.storeKin, "durability": e.app.Store.Durability(), "nodes": *nodes,
		"duration_s": round2(res.elapsed.Seconds()), "concurrency": *conc, "rate": *rate,
		"requests": res.requests, "errors": res.errors, "throughput_per_s": round2(thr),
		"p50_ms": l.P50, "p90_ms": l.P90, "p99_ms": l.P99, "max_ms": l.Max,
	}
	if *nodes > 1 {
		per := make([]int64, len(d.perURL))
		for i := range d.perURL {
			per[i] = d.perURL[i].Load()
		}
		keys = append(keys, "acknowledged_per_node")
		out["acknowledged_per_node"] = per
	}
	if ceiling > 0 {
		keys = append(keys, "ceiling_per_s", "ratio_to_ceiling")
		out["ceiling_per_s"], out["ratio_to_ceiling"] = round2(ceiling), math.Round(thr/ceiling*1000)/1000
	}
	if bareRun {
		bl := summarize(bareOut.lat)
		keys = append(keys, "ceiling", "ceiling_p50_ms", "ceiling_p99_ms")
		out["ceiling"] = "bare pipeline, same " + e.storeKin + " store kind, measured first in this run"
		out["ceiling_p50_ms"], out["ceiling_p99_ms"] = bl.P50, bl.P99
	}
	return writeResult(stdout, cf.json, keys, out)
}

// measureBare runs the bare pipeline (bare.go) on the run's kind of store
// with the same bodies, clients, warm-up and duration, and checks that it
// stored what it acknowledged.
func measureBare(ctx context.Context, e *env, client *http.Client, bodies [][]byte, conc int, rate float64, warmup, dur time.Duration) (intakeResult, error) {
	b, err := startBare(ctx, e.storeKin, e.dir, e.dsn, conc)
	if err != nil {
		return intakeResult{}, err
	}
	defer b.close()
	d := &driver{client: client, urls: []string{b.url}, bodies: bodies}
	drive := func(t time.Duration) intakeResult {
		if rate > 0 {
			return d.openLoop(ctx, conc, rate, t)
		}
		return d.closedLoop(ctx, conc, t)
	}
	if warmup > 0 {
		drive(warmup)
	}
	before, err := b.count(ctx)
	if err != nil {
		return intakeResult{}, err
	}
	e.logf("bare pipeline (%s): driving %v", e.storeKin, dur)
	res := drive(dur)
	after, err := b.count(ctx)
	if err != nil {
		return intakeResult{}, err
	}
	if ok := res.requests - res.errors; after-before < ok {
		return res, fmt.Errorf("bench intake: the bare pipeline acknowledged %d creates and stored %d", ok, after-before)
	}
	return res, nil
}

// parseCeiling reads --ceiling: empty (none), a number of creates/s, or a
// file holding the ceiling program's JSON line (its throughput_per_s).
func parseCeiling(arg string) (float64, error) {
	if arg == "" {
		return 0, nil
	}
	if v, err := strconv.ParseFloat(arg, 64); err == nil {
		if v <= 0 || math.IsInf(v, 0) || math.IsNaN(v) {
			return 0, fmt.Errorf("bench intake: --ceiling %q: a positive number of creates/s please", arg)
		}
		return v, nil
	}
	b, err := os.ReadFile(arg)
	if err != nil {
		return 0, fmt.Errorf("bench intake: --ceiling: neither a number nor a readable file: %w", err)
	}
	// The last JSON line of the file with a positive throughput_per_s
	// (go run may print build output before it).
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	for i := len(lines) - 1; i >= 0; i-- {
		var v struct {
			Throughput float64 `json:"throughput_per_s"`
		}
		if json.Unmarshal(bytes.TrimSpace(lines[i]), &v) == nil && v.Throughput > 0 {
			return v.Throughput, nil
		}
	}
	return 0, fmt.Errorf("bench intake: --ceiling %s: no JSON line with a positive throughput_per_s", arg)
}

// makeBodies pre-renders n distinct, valid phone-request bodies, so the load
// generator spends its (shared) CPU on HTTP, not on JSON.
func makeBodies(ci *cityInfo, rng *rand.Rand, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		p := ci.points[rng.IntN(len(ci.points))]
		lat, lon := p.lat, p.lon
		in := casework.NewCase{
			Channel:      "phone",
			Type:         lifecycle.Types[rng.IntN(len(lifecycle.Types))],
			Category:     ci.leafCategories[rng.IntN(len(ci.leafCategories))],
			Description:  fmt.Sprintf("市民来电反映：%s%s，%s（来电%d）", descWhere[rng.IntN(len(descWhere))], descWhat[rng.IntN(len(descWhat))], descAsk[rng.IntN(len(descAsk))], i+1),
			Address:      fmt.Sprintf("%s附近%d号", descWhere[rng.IntN(len(descWhere))], 1+rng.IntN(200)),
			Lat:          &lat,
			Lon:          &lon,
			CitizenName:  surname[rng.IntN(len(surname))] + given[rng.IntN(len(given))],
			CitizenPhone: fmt.Sprintf("1%d%09d", 3+rng.IntN(7), rng.IntN(1e9)),
		}
		out[i], _ = json.Marshal(in)
	}
	return out
}

// driver sends create requests.
type driver struct {
	client *http.Client
	urls   []string       // requests go to each in turn (one per node)
	perURL []atomic.Int64 // acknowledged creates per URL
	token  string
	bodies [][]byte
	idem   bool
	run    string // makes idempotency keys unique across runs
	seq    atomic.Int64
}

// one sends one create and reports whether it was acknowledged (201) and,
// if not, a short failure label.
func (d *driver) one(ctx context.Context) (bool, string) {
	n := d.seq.Add(1)
	req, err := http.NewRequestWithContext(ctx, "POST", d.urls[int(n)%len(d.urls)], bytes.NewReader(d.bodies[int(n)%len(d.bodies)]))
	if err != nil {
		return false, "request"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+d.token)
	if d.idem {
		req.Header.Set("Idempotency-Key", "bench-"+d.run+"-"+strconv.FormatInt(n, 10))
	}
	resp, err := d.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return false, "cancelled"
		}
		return false, "transport"
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return false, strconv.Itoa(resp.StatusCode)
	}
	if d.perURL != nil {
		d.perURL[int(n)%len(d.urls)].Add(1)
	}
	return true, ""
}

type recorder struct {
	mu    sync.Mutex
	lat   []time.Duration
	reqs  int64
	errs  int64
	codes map[string]int64
}

func (r *recorder) add(local []time.Duration, reqs, errs int64, codes map[string]int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lat = append(r.lat, local...)
	r.reqs += reqs
	r.errs += errs
	for k, v := range codes {
		if r.codes == nil {
			r.codes = map[string]int64{}
		}
		r.codes[k] += v
	}
}

// closedLoop runs conc clients, each sending its next request as soon as
// the previous one is answered, for d.
func (d *driver) closedLoop(ctx context.Context, conc int, dur time.Duration) intakeResult {
	var rec recorder
	var wg sync.WaitGroup
	begin := time.Now()
	deadline := begin.Add(dur)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 4096)
			var reqs, errs int64
			codes := map[string]int64{}
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(deadline) {
					break
				}
				ok, why := d.one(ctx)
				reqs++
				if ok {
					local = append(local, time.Since(t0))
				} else {
					errs++
					codes[why]++
				}
			}
			rec.add(local, reqs, errs, codes)
		}()
	}
	wg.Wait()
	return intakeResult{requests: rec.reqs, errors: rec.errs, lat: rec.lat, elapsed: time.Since(begin), codes: rec.codes}
}

// openLoop sends rate requests/s on a fixed schedule for dur, with at most
// conc in flight. Each request's latency is measured from its intended send
// time, so time spent waiting for a free client (queueing behind a slow
// server) counts: the schedule never slows down to suit the server
// (no coordinated omission). Requests still unsent 30 s after the schedule
// ends are counted as errors.
func (d *driver) openLoop(ctx context.Context, conc int, rate float64, dur time.Duration) intakeResult {
	total := int(rate * dur.Seconds())
	interval := time.Duration(float64(time.Second) / rate)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sched := make(chan time.Time, total+1) // never blocks the scheduler
	var rec recorder
	var wg sync.WaitGroup
	var lastDone atomic.Int64
	begin := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, total/conc+16)
			var reqs, errs int64
			codes := map[string]int64{}
			for intended := range sched {
				if ctx.Err() != nil {
					reqs++
					errs++
					codes["not sent"]++
					continue
				}
				ok, why := d.one(ctx)
				done := time.Now()
				reqs++
				if ok {
					local = append(local, done.Sub(intended))
				} else {
					errs++
					codes[why]++
				}
				for {
					prev := lastDone.Load()
					if done.UnixNano() <= prev || lastDone.CompareAndSwap(prev, done.UnixNano()) {
						break
					}
				}
			}
			rec.add(local, reqs, errs, codes)
		}()
	}
	drain := time.AfterFunc(dur+30*time.Second, cancel)
	defer drain.Stop()
	for i := range total {
		intended := begin.Add(time.Duration(i) * interval)
		if wait := time.Until(intended); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
			}
		}
		sched <- intended
	}
	close(sched)
	wg.Wait()
	elapsed := time.Duration(lastDone.Load() - begin.UnixNano())
	if elapsed < dur {
		elapsed = dur
	}
	return intakeResult{requests: rec.reqs, errors: rec.errs, lat: rec.lat, elapsed: elapsed, codes: rec.codes}
}
