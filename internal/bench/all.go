package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"whistle/internal/pgtest"
)

// The performance record (issue #14): `whistle bench all` runs the
// benchmarks of this package several times each, on fresh stores, and
// prints a Markdown section — the machine, then each figure as the median
// of its runs with the spread (min–max) — or writes it into a file between
// two marker lines (docs/BENCHMARKS.md), leaving the rest of the file as
// it is. --short is a quick look: one short run of each.

const (
	allBegin = "<!-- whistle bench all: begin (generated; edit outside these markers) -->"
	allEnd   = "<!-- whistle bench all: end -->"
)

// allStep is one benchmark of the record: the arguments of a run and the
// figures read from its JSON result.
type allStep struct {
	title   string
	args    []string
	figures []allFigure
}

type allFigure struct {
	key, label, unit string
}

func allMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench all", flag.ContinueOnError)
	fs.SetOutput(stderr)
	short := fs.Bool("short", false, "a quick look: one short run of each benchmark, small stores")
	runs := fs.Int("runs", 3, "runs of each benchmark (the median and the spread are reported)")
	pg := fs.Bool("pg", true, "also run the PostgreSQL benchmarks (throwaway clusters; skipped with a note where PostgreSQL is not installed)")
	out := fs.String("out", "", "write the section into this file between its markers (appended when the file has none), instead of printing it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if *runs < 1 || *runs > 20 {
		return errors.New("bench all: 1 ≤ --runs ≤ 20")
	}
	dur, rateDur, inboxCases := "20s", "15s", "1000000"
	if *short {
		*runs, dur, rateDur, inboxCases = 1, "4s", "4s", "100000"
	}
	steps := []allStep{
		{"intake, SQLite, 64 clients, beside the bare pipeline", []string{"intake", "--duration", dur, "--concurrency", "64", "--ceiling", "bare"},
			[]allFigure{{"throughput_per_s", "creates/s", ""}, {"ceiling_per_s", "bare pipeline creates/s", ""}, {"ratio_to_ceiling", "ratio to the bare pipeline", ""}, {"p99_ms", "p99", " ms"}}},
		{"intake, SQLite, steady 2,000/s", []string{"intake", "--duration", rateDur, "--rate", "2000"},
			[]allFigure{{"throughput_per_s", "creates/s", ""}, {"p50_ms", "p50", " ms"}, {"p99_ms", "p99", " ms"}}},
	}
	_, havePG := pgtest.Available()
	if *pg && havePG {
		steps = append(steps,
			allStep{"intake, PostgreSQL, 1 node, beside a bare pgx pipeline on the same cluster", []string{"intake", "--db", "pg", "--duration", dur, "--concurrency", "64", "--ceiling", "bare"},
				[]allFigure{{"throughput_per_s", "creates/s", ""}, {"ceiling_per_s", "bare pipeline creates/s", ""}, {"ratio_to_ceiling", "ratio to the bare pipeline", ""}, {"p99_ms", "p99", " ms"}}},
			allStep{"intake, PostgreSQL, 2 nodes", []string{"intake", "--db", "pg", "--nodes", "2", "--duration", dur, "--concurrency", "64"},
				[]allFigure{{"throughput_per_s", "creates/s", ""}, {"p99_ms", "p99", " ms"}}},
			allStep{"intake, PostgreSQL, 3 nodes", []string{"intake", "--db", "pg", "--nodes", "3", "--duration", dur, "--concurrency", "64"},
				[]allFigure{{"throughput_per_s", "creates/s", ""}, {"p99_ms", "p99", " ms"}}},
		)
	}
	steps = append(steps, allStep{"inbox first page, SQLite, " + inboxCases + " cases", []string{"inbox", "--cases", inboxCases, "--measure", "5s"},
		[]allFigure{{"load_per_s", "load cases/s", ""}, {"store_p50_ms", "store p50", " ms"}, {"store_p99_ms", "store p99", " ms"}, {"http_p99_ms", "API p99", " ms"}, {"page_p99_ms", "page p99", " ms"}}})

	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n## The record (`whistle bench all%s`)\n\n", allBegin, map[bool]string{true: " --short", false: ""}[*short])
	fmt.Fprintf(&b, "Generated %s. %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"), machine())
	fmt.Fprintf(&b, "Each figure is the median of %d run(s), with the spread (min–max) after it; every run is on a fresh store seeded with the demo organisation.\n\n", *runs)
	b.WriteString("| benchmark | figure | median | spread |\n|---|---|---|---|\n")
	for _, st := range steps {
		vals := make([][]float64, len(st.figures))
		for r := range *runs {
			fmt.Fprintf(stderr, "bench all: %s (run %d of %d)\n", st.title, r+1, *runs)
			var res bytes.Buffer
			if err := Main(ctx, append(slices.Clone(st.args), "--json"), &res, io.Discard); err != nil {
				return fmt.Errorf("bench all: %s: %w", st.title, err)
			}
			var m map[string]any
			lines := bytes.Split(bytes.TrimSpace(res.Bytes()), []byte("\n"))
			if err := json.Unmarshal(lines[len(lines)-1], &m); err != nil {
				return fmt.Errorf("bench all: %s: %w", st.title, err)
			}
			if e, _ := m["errors"].(float64); e > 0 {
				fmt.Fprintf(stderr, "bench all: %s: %v errors\n", st.title, e)
			}
			for i, f := range st.figures {
				if v, ok := m[f.key].(float64); ok {
					vals[i] = append(vals[i], v)
				}
			}
		}
		for i, f := range st.figures {
			med, lo, hi := spread(vals[i])
			fmt.Fprintf(&b, "| %s | %s | %s%s | %s–%s |\n", st.title, f.label, num(med), f.unit, num(lo), num(hi))
		}
	}
	if *pg && !havePG {
		b.WriteString("\nPostgreSQL is not installed here: its rows are missing.\n")
	}
	b.WriteString("\nNot run by `bench all` (each takes from minutes to an hour; commands in the sections above): the 10-million-case analysis and dashboard, the Boston import, the classifier's cross-validation, the hour's soak (`scripts/soak.sh`).\n\n")
	b.WriteString(allEnd + "\n")
	if *out == "" {
		_, err := io.WriteString(stdout, b.String())
		return err
	}
	return replaceSection(*out, b.String())
}

// spread is the median, minimum and maximum of vs (zeros when empty).
func spread(vs []float64) (med, lo, hi float64) {
	if len(vs) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	med = s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return med, s[0], s[n-1]
}

func num(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// machine describes the computer: CPU model, cores, memory, Go, load.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0]); len(f) >= 2 {
			if kb, err := strconv.ParseFloat(f[1], 64); err == nil {
				mem = fmt.Sprintf(", %.1f GB memory", kb/(1<<20))
			}
		}
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			load = ", load average " + strings.Join(f[:3], " ") + " at the start"
		}
	}
	return fmt.Sprintf("Machine: %s, %d cores%s; %s %s/%s%s.", model, runtime.NumCPU(), mem, runtime.Version(), runtime.GOOS, runtime.GOARCH, load)
}

// replaceSection puts section in place of the file's marked one, or at its
// end.
func replaceSection(path, section string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	s := string(old)
	i, j := strings.Index(s, allBegin), strings.Index(s, allEnd)
	switch {
	case i >= 0 && j > i:
		s = s[:i] + section + strings.TrimPrefix(s[j+len(allEnd):], "\n")
	case i >= 0 || j >= 0:
		return fmt.Errorf("bench all: %s has one marker of the generated section without the other", path)
	default:
		if s != "" && !strings.HasSuffix(s, "\n\n") {
			s = strings.TrimRight(s, "\n") + "\n\n"
		}
		s += section
	}
	return os.WriteFile(path, []byte(s), 0o644)
}
