package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A short intake run end to end: a fresh store, the seeded city, real HTTP.
func TestIntakeSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	var out bytes.Buffer
	// The ceiling as its program prints it, after go run's own output.
	ceiling := filepath.Join(t.TempDir(), "ceiling.json")
	if err := os.WriteFile(ceiling, []byte("go: downloading x\n{\"throughput_per_s\":1250,\"p50_ms\":3.1,\"p99_ms\":14.9}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	prof, tr := filepath.Join(t.TempDir(), "cpu.prof"), filepath.Join(t.TempDir(), "run.trace")
	err := Main(context.Background(), []string{"intake", "--duration", "1s", "--warmup", "0s", "--concurrency", "4", "--json", "--ceiling", ceiling, "--cpuprofile", prof, "--trace", tr}, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// The instruments of the measured run: a CPU profile (gzipped
	// protobuf) and an execution trace.
	if b, err := os.ReadFile(prof); err != nil || !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
		t.Errorf("CPU profile: %d bytes, %v", len(b), err)
	}
	if b, err := os.ReadFile(tr); err != nil || !bytes.HasPrefix(b, []byte("go 1.")) || len(b) < 1024 {
		t.Errorf("execution trace: %d bytes starting %q, %v", len(b), b[:min(len(b), 16)], err)
	}
	lines := bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n"))
	var res map[string]any
	if err := json.Unmarshal(lines[len(lines)-1], &res); err != nil {
		t.Fatalf("last line is not one JSON object: %q", out.String())
	}
	for _, k := range []string{"throughput_per_s", "p50_ms", "p99_ms", "errors", "durability", "requests"} {
		if _, ok := res[k]; !ok {
			t.Errorf("result lacks %s: %v", k, res)
		}
	}
	if res["errors"] != float64(0) || res["requests"].(float64) < 10 || res["store"] != "sqlite" {
		t.Errorf("intake: %v", res)
	}
	thr, _ := res["throughput_per_s"].(float64)
	if res["ceiling_per_s"] != float64(1250) || math.Abs(res["ratio_to_ceiling"].(float64)-thr/1250) > 0.001 {
		t.Errorf("ratio to the ceiling: %v", res)
	}
}

func TestParseCeiling(t *testing.T) {
	dir := t.TempDir()
	file := func(body string) string {
		p := filepath.Join(dir, strconv.Itoa(len(body))+".json")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		arg  string
		want float64
		bad  bool
	}{
		{"", 0, false},
		{"11200.5", 11200.5, false},
		{"0", 0, true},
		{"-3", 0, true},
		{"NaN", 0, true},
		{file(`{"throughput_per_s":10480.2,"p99_ms":15}`), 10480.2, false},
		{file("build noise\n{\"throughput_per_s\":9000}\n\n"), 9000, false},
		{file(`{"p99_ms":15}`), 0, true},
		{file("not json"), 0, true},
		{filepath.Join(dir, "missing.json"), 0, true},
	} {
		got, err := parseCeiling(tc.arg)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("parseCeiling(%q) = %v, %v; want %v (error %v)", tc.arg, got, err, tc.want, tc.bad)
		}
	}
}

func TestUnknownBenchmark(t *testing.T) {
	if err := Main(context.Background(), []string{"nope"}, io.Discard, io.Discard); err == nil {
		t.Fatal("unknown benchmark accepted")
	}
}

// --ceiling bare measures the bare pipeline on the same kind of store first
// and reports the run beside it.
func TestIntakeBareCeiling(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	var out bytes.Buffer
	err := Main(context.Background(), []string{"intake", "--duration", "1s", "--warmup", "0s", "--concurrency", "4", "--json", "--ceiling", "bare"}, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n"))
	var res map[string]any
	if err := json.Unmarshal(lines[len(lines)-1], &res); err != nil {
		t.Fatalf("last line is not one JSON object: %q", out.String())
	}
	thr, _ := res["throughput_per_s"].(float64)
	ceiling, _ := res["ceiling_per_s"].(float64)
	if res["errors"] != float64(0) || thr <= 0 || ceiling <= 0 || res["ceiling_p99_ms"] == nil {
		t.Fatalf("intake beside the bare pipeline: %v", res)
	}
	if math.Abs(res["ratio_to_ceiling"].(float64)-thr/ceiling) > 0.001 {
		t.Errorf("ratio: %v", res)
	}
}

// A short soak end to end: every kind of request answered, memory sampled,
// nothing failed.
func TestSoakSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	var out bytes.Buffer
	err := Main(context.Background(), []string{"soak", "--duration", "2s", "--sample", "500ms", "--intake", "20", "--inbox", "10", "--dashboard", "2", "--json"}, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Requests int64                     `json:"requests"`
		Errors   int64                     `json:"errors"`
		Kinds    map[string]map[string]any `json:"kinds"`
		Samples  []map[string]any          `json:"samples"`
		Flat     *bool                     `json:"memory_flat"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(out.Bytes()), &res); err != nil {
		t.Fatalf("not one JSON object: %q", out.String())
	}
	if res.Errors != 0 || res.Requests == 0 || res.Flat == nil || len(res.Samples) < 2 {
		t.Fatalf("soak: %+v", res)
	}
	for _, k := range []string{"intake", "dispatch", "inbox_api", "inbox_page", "dashboard"} {
		if ok, _ := res.Kinds[k]["ok"].(float64); ok < 1 {
			t.Errorf("no %s answered: %v", k, res.Kinds[k])
		}
	}
}

// --nodes spreads the load over several application nodes on one
// PostgreSQL store; on SQLite it is refused.
func TestIntakeNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster")
	}
	err := Main(context.Background(), []string{"intake", "--nodes", "2", "--duration", "1s", "--warmup", "0s"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "PostgreSQL") {
		t.Fatalf("two nodes on SQLite: %v", err)
	}
	var out bytes.Buffer
	if err := Main(context.Background(), []string{"intake", "--db", "pg", "--nodes", "2", "--duration", "1s", "--warmup", "0s", "--concurrency", "4", "--json"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(out.Bytes()), &res); err != nil {
		t.Fatalf("not one JSON object: %q", out.String())
	}
	if res["nodes"] != float64(2) || res["errors"] != float64(0) || res["requests"].(float64) < 2 {
		t.Fatalf("two nodes: %v", res)
	}
	per, _ := res["acknowledged_per_node"].([]any)
	if len(per) != 2 || per[0].(float64) < 1 || per[1].(float64) < 1 {
		t.Fatalf("creates per node: %v", res["acknowledged_per_node"])
	}
}

func TestSpreadAndSection(t *testing.T) {
	for _, tc := range []struct {
		in          []float64
		med, lo, hi float64
	}{
		{nil, 0, 0, 0},
		{[]float64{5}, 5, 5, 5},
		{[]float64{9, 1, 5}, 5, 1, 9},
		{[]float64{4, 1, 3, 2}, 2.5, 1, 4},
	} {
		if med, lo, hi := spread(tc.in); med != tc.med || lo != tc.lo || hi != tc.hi {
			t.Errorf("spread(%v) = %v %v %v", tc.in, med, lo, hi)
		}
	}
	p := filepath.Join(t.TempDir(), "B.md")
	sec := func(x string) string { return allBegin + "\n" + x + "\n" + allEnd + "\n" }
	os.WriteFile(p, []byte("# Benchmarks\nhand-written\n"), 0o644)
	if err := replaceSection(p, sec("one")); err != nil {
		t.Fatal(err)
	}
	if err := replaceSection(p, sec("two")); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	if want := "# Benchmarks\nhand-written\n\n" + sec("two"); string(got) != want {
		t.Fatalf("file:\n%s\nwant:\n%s", got, want)
	}
	os.WriteFile(p, []byte("x\n"+allBegin+"\n"), 0o644)
	if err := replaceSection(p, sec("three")); err == nil {
		t.Fatal("a file with one marker was rewritten")
	}
}

// The growth curve at a tiny size: one store grows through two steps, and
// at each every figure is timed against the real server — the inbox (store,
// API, page), the dashboard, the month's assessment over the loaded cases'
// facts, and a fresh year's analysis that counts them. As history (the
// default), the month's and the year's work stay the size of the first
// step; as volume, they grow with the store.
func TestScaleSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	run := func(model string) (map[string]any, []scaleStep) {
		t.Helper()
		var out bytes.Buffer
		if err := Main(context.Background(), []string{"scale", "--model", model, "--steps", "2000,5000", "--rounds", "2", "--measure", "100ms", "--users", "5", "--json"}, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		m, err := lastJSON(out.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(m["steps"])
		var steps []scaleStep
		if err := json.Unmarshal(raw, &steps); err != nil || len(steps) != 2 {
			t.Fatalf("%s: steps: %v (%s)", model, err, raw)
		}
		for i, st := range steps {
			if st.Cases != []int{2000, 5000}[i] || st.HTTPError != 0 {
				t.Errorf("%s: step %d: %+v", model, i, st)
			}
			for _, f := range scaleFigures {
				if vs := st.Figures[f.key]; len(vs) != 2 || vs[0] <= 0 || vs[1] <= 0 {
					t.Errorf("%s: step %d: %s = %v, want two positive rounds", model, i, f.key, vs)
				}
			}
		}
		return m, steps
	}
	// inYear checks a step's month and year: about a twelfth of a year's
	// cases fall in the assessed month, and the analysis of the year counts
	// every case of the year (the demo's few are the rest).
	inYear := func(model string, i int, st scaleStep, year int) {
		if st.Orders < int64(year/20) || st.Orders > int64(year/8) {
			t.Errorf("%s: step %d: %d orders in the month of %d cases a year", model, i, st.Orders, year)
		}
		if st.Requests < int64(year*99/100) || st.Requests > int64(year+20) {
			t.Errorf("%s: step %d: the analysis counted %d requests of %d", model, i, st.Requests, year)
		}
	}
	m, steps := run("history")
	for i, st := range steps {
		inYear("history", i, st, 2000)
		if st.OpenCases != 100 {
			t.Errorf("history: step %d: %d open cases, want 5%% of the last year's 2,000", i, st.OpenCases)
		}
	}
	var b strings.Builder
	if err := growthTable(&b, m); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| figure | 2,000 cases | 5,000 cases | 5,000 ÷ 2,000 |", "| inbox, API p99 (ms) |", "| 12-month analysis (s) |", "the store holds 3 years", "5% of the last year's open"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("growth table lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "not a latency") || strings.Contains(b.String(), "%!") {
		t.Errorf("history table:\n%s", b.String())
	}
	m, steps = run("volume")
	for i, st := range steps {
		inYear("volume", i, st, st.Cases)
	}
	b.Reset()
	if err := growthTable(&b, m); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "not a latency") || !strings.Contains(b.String(), "taking that many requests a year") {
		t.Errorf("volume table:\n%s", b.String())
	}
}

func TestLastJSON(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"go: downloading x\n{\"a\":1}\n", "1"},
		{"progress {1}\n{\n  \"a\": 2,\n  \"b\": {\"c\": 3}\n}\n", "2"},
		{"{\"a\":1}\n{\"a\":4}\n", "4"},
	} {
		m, err := lastJSON([]byte(tc.in))
		if err != nil || fmt.Sprint(m["a"]) != tc.want {
			t.Errorf("lastJSON(%q) = %v, %v; want a=%s", tc.in, m, err, tc.want)
		}
	}
	if _, err := lastJSON([]byte("no result\n")); err == nil {
		t.Error("no JSON: no error")
	}
}
