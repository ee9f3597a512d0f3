package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"testing"
)

// A short intake run end to end: a fresh store, the seeded city, real HTTP.
func TestIntakeSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	var out bytes.Buffer
	err := Main(context.Background(), []string{"intake", "--duration", "1s", "--warmup", "0s", "--concurrency", "4", "--json"}, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
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
}

func TestUnknownBenchmark(t *testing.T) {
	if err := Main(context.Background(), []string{"nope"}, io.Discard, io.Discard); err == nil {
		t.Fatal("unknown benchmark accepted")
	}
}
