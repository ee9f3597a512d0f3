package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestCrashKeepsAcknowledgedCreates kills a serving whistle with SIGKILL in
// the middle of a stream of creates, restarts it on the same data directory
// and checks that every acknowledged create survived exactly once, and that
// retrying the unacknowledged ones with their Idempotency-Key either replays
// the case that was committed or creates it now — never a second copy.
func TestCrashKeepsAcknowledgedCreates(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it twice; skipped with -short")
	}
	// A guard against hanging, not a speed check: a loaded CI machine may
	// take minutes to build the binary.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "whistle")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(tmp, "data")

	srv := startWhistle(ctx, t, bin, data, "first")
	c := &client{t: t, base: srv.base, http: &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}}
	c.login(ctx)
	category := c.leafCategory(ctx)

	// A stream of creates, each with its own key; the server is killed mid-stream.
	type attempt struct {
		key    string
		body   []byte
		acked  bool
		id     int64
		number string
	}
	const workers = 16
	var (
		mu       sync.Mutex
		attempts []*attempt
		seq      atomic.Int64
		stop     atomic.Bool
		wg       sync.WaitGroup
		acked    atomic.Int64
		underway = make(chan struct{}) // closed at the killAfter-th acknowledged create
	)
	const killAfter = 100
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				n := seq.Add(1)
				a := &attempt{key: fmt.Sprintf("crash-%s-%d", run, n)}
				a.body, _ = json.Marshal(map[string]any{
					"channel": "phone", "type": "complaint", "category": category,
					"description":  fmt.Sprintf("崩溃测试 %s 第%d号来电（worker %d）", run, n, w),
					"citizen_name": "测试", "citizen_phone": fmt.Sprintf("139%08d", n),
				})
				mu.Lock()
				attempts = append(attempts, a)
				mu.Unlock()
				status, hdr, body, err := c.post(ctx, "/api/v1/cases", a.key, a.body)
				if err != nil {
					return // the server is gone; the outcome of a is unknown
				}
				if status == http.StatusCreated {
					var cs caseJSON
					if err := json.Unmarshal(body, &cs); err != nil || cs.ID == 0 || cs.Number == "" {
						t.Errorf("201 with body %q", body)
						return
					}
					mu.Lock()
					a.acked, a.id, a.number = true, cs.ID, cs.Number
					mu.Unlock()
					if acked.Add(1) == killAfter {
						close(underway)
					}
					continue
				}
				t.Errorf("create: status %d (%v): %s", status, hdr.Get("Content-Type"), body)
				return
			}
		}()
	}
	// Kill once the stream is well under way: killAfter creates acknowledged,
	// with the workers still sending.
	stopped := make(chan struct{})
	go func() { wg.Wait(); close(stopped) }()
	select {
	case <-underway:
	case <-stopped:
		t.Fatalf("the workers stopped after %d acknowledged creates", acked.Load())
	case <-ctx.Done():
		stop.Store(true)
		t.Fatalf("only %d creates acknowledged", acked.Load())
	}
	srv.kill(t)
	stop.Store(true)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	var ack, unknown []*attempt
	for _, a := range attempts {
		if a.acked {
			ack = append(ack, a)
		} else {
			unknown = append(unknown, a)
		}
	}
	t.Logf("killed with SIGKILL after %d acknowledged creates (%d in flight, outcome unknown)", len(ack), len(unknown))

	srv2 := startWhistle(ctx, t, bin, data, "restarted")
	defer srv2.kill(t)
	c.base = srv2.base
	c.http.CloseIdleConnections()
	c.login(ctx)

	// Every acknowledged create is there, by id, with its number and body.
	for _, a := range ack {
		status, _, body, err := c.get(ctx, "/api/v1/cases/"+strconv.FormatInt(a.id, 10))
		if err != nil || status != 200 {
			t.Fatalf("acknowledged case %d (%s) after restart: %d %v %s", a.id, a.number, status, err, body)
		}
		var cs caseJSON
		if err := json.Unmarshal(body, &cs); err != nil {
			t.Fatal(err)
		}
		if cs.Number != a.number || !bytes.Contains(a.body, []byte(cs.Description)) {
			t.Fatalf("case %d after restart: number %q description %q, want %q and the body of key %s", a.id, cs.Number, cs.Description, a.number, a.key)
		}
		status, _, body, err = c.get(ctx, "/api/v1/case-numbers/"+url.PathEscape(a.number))
		if err != nil || status != 200 {
			t.Fatalf("acknowledged case %s by number after restart: %d %v %s", a.number, status, err, body)
		}
		if err := json.Unmarshal(body, &cs); err != nil || cs.ID != a.id {
			t.Fatalf("case number %s after restart is case %d, want %d", a.number, cs.ID, a.id)
		}
	}
	// Retrying an acknowledged create replays it.
	for _, a := range ack[:min(len(ack), 20)] {
		status, hdr, body, err := c.post(ctx, "/api/v1/cases", a.key, a.body)
		if err != nil || status != 200 || hdr.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry of acknowledged %s: %d %v %q %s", a.key, status, err, hdr.Get("Idempotent-Replayed"), body)
		}
		var cs caseJSON
		json.Unmarshal(body, &cs)
		if cs.ID != a.id {
			t.Fatalf("retry of acknowledged %s returned case %d, want %d", a.key, cs.ID, a.id)
		}
	}
	// Retrying an unacknowledged create either replays what was committed
	// before the kill or creates it now; a second retry always replays.
	replayed, created := 0, 0
	for _, a := range unknown {
		status, hdr, body, err := c.post(ctx, "/api/v1/cases", a.key, a.body)
		if err != nil {
			t.Fatal(err)
		}
		var cs caseJSON
		json.Unmarshal(body, &cs)
		switch {
		case status == 200 && hdr.Get("Idempotent-Replayed") == "true":
			replayed++
		case status == 201:
			created++
		default:
			t.Fatalf("retry of %s: %d %s", a.key, status, body)
		}
		a.acked, a.id, a.number = true, cs.ID, cs.Number
		status, hdr, body, err = c.post(ctx, "/api/v1/cases", a.key, a.body)
		if err != nil || status != 200 || hdr.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("second retry of %s: %d %v %s", a.key, status, err, body)
		}
		json.Unmarshal(body, &cs)
		if cs.ID != a.id {
			t.Fatalf("second retry of %s returned case %d, want %d", a.key, cs.ID, a.id)
		}
	}
	t.Logf("unacknowledged retried: %d had been committed before the kill, %d created on retry", replayed, created)

	// The list: no number twice, every request exactly once (by its text).
	numbers := map[string]int64{}
	byDesc := map[string][]int64{}
	cursor := ""
	for page := 0; ; page++ {
		if page > 1000 {
			t.Fatal("list does not end")
		}
		q := url.Values{"limit": {"200"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		status, _, body, err := c.get(ctx, "/api/v1/cases?"+q.Encode())
		if err != nil || status != 200 {
			t.Fatalf("list: %d %v %s", status, err, body)
		}
		var lp struct {
			Cases []caseJSON `json:"cases"`
			Next  string     `json:"next"`
		}
		if err := json.Unmarshal(body, &lp); err != nil {
			t.Fatal(err)
		}
		for _, cs := range lp.Cases {
			if prev, dup := numbers[cs.Number]; dup {
				t.Fatalf("number %s held by cases %d and %d", cs.Number, prev, cs.ID)
			}
			numbers[cs.Number] = cs.ID
			if strings.Contains(cs.Description, run) {
				byDesc[cs.Description] = append(byDesc[cs.Description], cs.ID)
			}
		}
		if lp.Next == "" {
			break
		}
		cursor = lp.Next
	}
	for _, a := range attempts {
		var in struct {
			Description string `json:"description"`
		}
		json.Unmarshal(a.body, &in)
		ids := byDesc[in.Description]
		if len(ids) != 1 || ids[0] != a.id {
			t.Fatalf("request %s: cases %v in the list, want exactly [%d]", a.key, ids, a.id)
		}
		if numbers[a.number] != a.id {
			t.Fatalf("request %s: number %s belongs to case %d, want %d", a.key, a.number, numbers[a.number], a.id)
		}
	}
	if len(byDesc) != len(attempts) {
		t.Fatalf("%d distinct test requests in the list, want %d", len(byDesc), len(attempts))
	}
}

type caseJSON struct {
	ID          int64  `json:"id"`
	Number      string `json:"number"`
	Description string `json:"description"`
}

// whistleProc is a running `whistle demo`.
type whistleProc struct {
	cmd    *exec.Cmd
	base   string
	done   chan struct{}
	killed atomic.Bool
}

var servingRE = regexp.MustCompile(`Whistle is serving on (http://\S+)`)

// startWhistle starts `whistle demo` on data (a demo of 50 requests unless
// extra flags say otherwise) and waits until it serves.
func startWhistle(ctx context.Context, t *testing.T, bin, data, name string, extra ...string) *whistleProc {
	t.Helper()
	if len(extra) == 0 {
		extra = []string{"--requests", "50"}
	}
	cmd := exec.Command(bin, append([]string{"demo", "--data", data, "--addr", "127.0.0.1:0", "--log-level", "warn"}, extra...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(filepath.Dir(data), name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &whistleProc{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); logf.Close(); close(p.done) }()
	t.Cleanup(func() { p.kill(t) })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case p.base = <-addr:
		return p
	case <-p.done:
		b, _ := os.ReadFile(logf.Name())
		t.Fatalf("%s whistle exited before serving: %s", name, b)
	case <-ctx.Done():
		t.Fatalf("%s whistle did not start in time", name)
	}
	return nil
}

func (p *whistleProc) kill(t *testing.T) {
	if p.killed.Swap(true) {
		return
	}
	p.cmd.Process.Kill() // SIGKILL
	select {
	case <-p.done:
	case <-time.After(time.Minute):
		t.Errorf("whistle (pid %d) did not exit after SIGKILL", p.cmd.Process.Pid)
	}
}

type client struct {
	t     *testing.T
	base  string
	http  *http.Client
	token string
}

func (c *client) do(ctx context.Context, method, path, key string, body []byte) (int, http.Header, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b, err
}

func (c *client) post(ctx context.Context, path, key string, body []byte) (int, http.Header, []byte, error) {
	return c.do(ctx, "POST", path, key, body)
}

func (c *client) get(ctx context.Context, path string) (int, http.Header, []byte, error) {
	return c.do(ctx, "GET", path, "", nil)
}

func (c *client) login(ctx context.Context) {
	c.t.Helper()
	c.token = ""
	status, _, body, err := c.post(ctx, "/api/v1/auth/login", "", []byte(`{"username":"agent01","password":"whistle-demo"}`))
	if err != nil || status != 200 {
		c.t.Fatalf("login: %d %v %s", status, err, body)
	}
	var out struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Token == "" {
		c.t.Fatalf("login: %s", body)
	}
	c.token = out.Token
}

func (c *client) leafCategory(ctx context.Context) string {
	c.t.Helper()
	status, _, body, err := c.get(ctx, "/api/v1/categories")
	if err != nil || status != 200 {
		c.t.Fatalf("categories: %d %v %s", status, err, body)
	}
	var out struct {
		Categories []struct {
			Code   string `json:"code"`
			Leaf   bool   `json:"leaf"`
			Active bool   `json:"active"`
		} `json:"categories"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		c.t.Fatal(err)
	}
	for _, cat := range out.Categories {
		if cat.Leaf && cat.Active {
			return cat.Code
		}
	}
	c.t.Fatal("no leaf category")
	return ""
}
