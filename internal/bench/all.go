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
	"os/exec"
	"path/filepath"
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
	shared := fs.String("shared", "../shared", "the shared data directory (data/boston_open311_requests.jsonl.gz for the import, data/zhengwu/labelled.tsv for the classifier); those rows are left out, with a note, when it is missing")
	scaleSteps := fs.String("scale", "1000000,2000000,5000000,10000000", "case counts of the growth curve (one store grows through them; `whistle bench scale`)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if *runs < 1 || *runs > 20 {
		return errors.New("bench all: 1 ≤ --runs ≤ 20")
	}
	dur, rateDur, measure := "20s", "15s", "5s"
	if *short {
		*runs, dur, rateDur, measure = 1, "4s", "4s", "1s"
		if !flagSet(fs, "scale") {
			*scaleSteps = "20000,50000"
		}
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
	// The import and the classifier run as the commands a user runs (this
	// same binary), on the shared data.
	boston := filepath.Join(*shared, "data", "boston_open311_requests.jsonl.gz")
	labelled := filepath.Join(*shared, "data", "zhengwu", "labelled.tsv")
	var missing []string
	if _, err := os.Stat(boston); err == nil {
		steps = append(steps, allStep{"import, Boston Open311 file (320,770 rows) into a new SQLite store", []string{"import", "open311", boston, "--data", "{tmp}", "--json"},
			[]allFigure{{"rows_per_second", "rows/s", ""}, {"seconds", "seconds", " s"}}})
	} else {
		missing = append(missing, boston)
	}
	if _, err := os.Stat(labelled); err == nil {
		steps = append(steps, allStep{"classifier, labelled.tsv (1,842 texts), 10-fold cross-validation", []string{"eval", "classify", "--train", labelled, "--cv", "10", "--json"},
			[]allFigure{{"predict_per_s", "predictions/s", ""}, {"train_s", "training s per fold", " s"}, {"top1", "top-1", ""}, {"macro_f1", "macro-F1", ""}}})
	} else {
		missing = append(missing, labelled)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n## The record (`whistle bench all%s`)\n\n", allBegin, map[bool]string{true: " --short", false: ""}[*short])
	fmt.Fprintf(&b, "Generated %s. %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"), machine())
	fmt.Fprintf(&b, "Each figure is the median of %d run(s), with the spread (min–max) after it; every run is on a fresh store seeded with the demo organisation.\n\n", *runs)
	b.WriteString("| benchmark | figure | median | spread |\n|---|---|---|---|\n")
	for _, st := range steps {
		vals := make([][]float64, len(st.figures))
		for r := range *runs {
			fmt.Fprintf(stderr, "bench all: %s (run %d of %d)\n", st.title, r+1, *runs)
			m, err := runStep(ctx, st.args, stderr)
			if err != nil {
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
	for _, f := range missing {
		fmt.Fprintf(&b, "\n%s is missing (--shared): its rows are left out.\n", f)
	}

	// The growth curve: one store grows through the steps; each figure is
	// the median of --runs rounds of timing at that size.
	fmt.Fprintf(stderr, "bench all: the growth curve through %s cases\n", *scaleSteps)
	m, err := runStep(ctx, []string{"scale", "--steps", *scaleSteps, "--rounds", strconv.Itoa(*runs), "--measure", measure}, stderr)
	if err != nil {
		return fmt.Errorf("bench all: growth curve: %w", err)
	}
	if err := growthTable(&b, m); err != nil {
		return fmt.Errorf("bench all: growth curve: %w", err)
	}
	b.WriteString("\nNot run by `bench all` (commands in the sections above): the hour's soak (`scripts/soak.sh`), PostgreSQL's growth curve (`whistle bench scale --db pg`).\n\n")
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

// runStep runs one benchmark with --json and returns its result: the
// benchmarks of this package in this process, the import and the
// classifier's evaluation as a child process of this same binary (the
// command a user runs). "{tmp}" in args becomes a fresh temporary
// directory, removed afterwards.
func runStep(ctx context.Context, args []string, stderr io.Writer) (map[string]any, error) {
	var res bytes.Buffer
	switch args[0] {
	case "import", "eval":
		args = slices.Clone(args)
		for i, a := range args {
			if a == "{tmp}" {
				dir, err := os.MkdirTemp("", "whistle-bench-all-")
				if err != nil {
					return nil, err
				}
				defer os.RemoveAll(dir)
				args[i] = dir
			}
		}
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		cmd := exec.CommandContext(ctx, exe, args...)
		cmd.Stdout, cmd.Stderr = &res, stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("whistle %s: %w", strings.Join(args, " "), err)
		}
	default:
		if err := Main(ctx, append(slices.Clone(args), "--json"), &res, stderr); err != nil {
			return nil, err
		}
	}
	// The result is the last JSON object printed (on one line, or
	// indented over several).
	return lastJSON(res.Bytes())
}

// lastJSON is the last JSON object in out that starts a line: a command's
// result after anything it printed before it.
func lastJSON(out []byte) (map[string]any, error) {
	for i := bytes.LastIndexByte(out, '{'); i >= 0; i = bytes.LastIndexByte(out[:i], '{') {
		if i > 0 && out[i-1] != '\n' {
			continue
		}
		var m map[string]any
		if json.Unmarshal(out[i:], &m) == nil {
			return m, nil
		}
	}
	return nil, fmt.Errorf("no JSON result in %.200q", out)
}

// growthTable writes the growth curve of a `bench scale` result: a row per
// figure, a column per step (median and spread of the rounds), and the
// last step's median over the first's, against the "flat within 2×".
func growthTable(b *strings.Builder, m map[string]any) error {
	raw, err := json.Marshal(m["steps"])
	if err != nil {
		return err
	}
	var steps []scaleStep
	if err := json.Unmarshal(raw, &steps); err != nil {
		return err
	}
	if len(steps) == 0 {
		return errors.New("no steps")
	}
	first, last := steps[0], steps[len(steps)-1]
	fmt.Fprintf(b, "\n### Growth curve, %v, %s to %s cases\n\n", m["store"], grouped(first.Cases), grouped(last.Cases))
	model := "One store grows through the steps, as a city's history does: the city takes " + grouped(first.Cases) + " requests a year (" + fmt.Sprint(m["open_pct"]) + "% of the last year's open), " +
		"and each later step adds the years before the loaded ones, all closed — at " + grouped(last.Cases) + " the store holds " + strconv.Itoa((last.Cases+first.Cases-1)/first.Cases) + " years. " +
		"A day's, a month's and a year's work stay the same size, so every figure should stay flat. "
	if m["model"] == "volume" {
		model = "One store grows through the steps; each step's new cases are spread over the same year, " + fmt.Sprint(m["open_pct"]) + "% of them open, so a step stands for a city taking that many requests a year. "
	}
	b.WriteString(model)
	fmt.Fprintf(b, "At each step every figure is timed in %v round(s) (the inbox and the dashboard for %v s each); a cell is the median of the rounds with their spread. "+
		"The assessment recomputes %s for every unit over the facts of the loaded cases; the analysis is a fresh 12-month one (%s) as the centre's workbench runs it. "+
		"After each load the rollups' day blocks are compacted and the WAL checkpointed before timing (the compactor would otherwise catch up during the rounds), and the classifier's daily retraining is off (it would train on the first step's cases in the middle of the timing; its cost is the classifier row above).\n\n",
		m["rounds"], m["measure_s"], first.Month, first.Period)
	b.WriteString("| figure |")
	for _, st := range steps {
		fmt.Fprintf(b, " %s cases |", grouped(st.Cases))
	}
	fmt.Fprintf(b, " %s ÷ %s | flat within 2× |\n|---|", grouped(last.Cases), grouped(first.Cases))
	for range steps {
		b.WriteString("---|")
	}
	b.WriteString("---|---|\n")
	row := func(label string, cell func(scaleStep) string) {
		fmt.Fprintf(b, "| %s |", label)
		for _, st := range steps {
			fmt.Fprintf(b, " %s |", cell(st))
		}
	}
	row("load of this step's new cases, s", func(st scaleStep) string { return num(st.LoadS) })
	b.WriteString(" | |\n")
	row("load, cases/s", func(st scaleStep) string { return num(st.LoadPerS) })
	b.WriteString(" | |\n")
	row("then compacting the rollups' day blocks and checkpointing, s", func(st scaleStep) string { return num(st.SettleS) })
	b.WriteString(" | |\n")
	row("orders in the month's assessment", func(st scaleStep) string { return grouped(int(st.Orders)) })
	b.WriteString(" | |\n")
	row("requests in the analysis", func(st scaleStep) string { return grouped(int(st.Requests)) })
	b.WriteString(" | |\n")
	row("open cases", func(st scaleStep) string { return grouped(st.OpenCases) })
	b.WriteString(" | |\n")
	for _, f := range scaleFigures {
		row(f.label+" ("+f.unit+")", func(st scaleStep) string {
			med, lo, hi := spread(st.Figures[f.key])
			return fmt.Sprintf("%s (%s–%s)", num(med), num(lo), num(hi))
		})
		m0, _, _ := spread(first.Figures[f.key])
		m1, _, _ := spread(last.Figures[f.key])
		ratio, flat := "–", "–"
		if m0 > 0 {
			ratio = fmt.Sprintf("%.2f×", m1/m0)
			flat = map[bool]string{true: "yes", false: "**no**"}[m1/m0 <= 2]
		}
		if !f.latency && m["model"] == "volume" {
			// The assessment and the analysis read every request of
			// their period: their time follows the period's volume.
			flat = fmt.Sprintf("not a latency: reads the whole period (%.1f× the requests)", float64(last.Requests)/float64(max(1, first.Requests)))
		}
		fmt.Fprintf(b, " %s | %s |\n", ratio, flat)
	}
	var errs int
	for _, st := range steps {
		errs += st.HTTPError
	}
	fmt.Fprintf(b, "\nHTTP errors while timing: %d.\n", errs)
	return nil
}

// grouped writes n with thousands separators.
func grouped(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
