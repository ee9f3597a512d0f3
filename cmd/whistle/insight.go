package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"whistle/internal/app"
	"whistle/internal/config"
	"whistle/internal/governance"
	"whistle/internal/insight"
	"whistle/internal/org"
)

const insightUsage = `usage: whistle insight --from YYYY-MM-DD --to YYYY-MM-DD [--place ID] [--category C]... [--json] [store flags]

Runs the analysis behind 每月一题 over the days from..to (inclusive, Asia/Shanghai)
for the whole city or a place (a district, street, community or grid id) and
categories (a code or its prefix; repeat the flag or separate by commas), and
prints the ranked candidates with their evidence and the anomalies, rising
terms and hotspots behind them (--json: the whole analysis as JSON; unknown
numbers are null). Nothing personal is printed: requests by number, callers
and addresses by keyed hash. Store flags are those of 'whistle serve'
(--data DIR, --db URL, …). Exit status 2 for bad arguments.
`

// usageError is a bad argument: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// exitCode is the process's exit status for a failed command.
func exitCode(err error) int {
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

func parseDay(name, v string) (insight.Day, error) {
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return 0, usageError{fmt.Sprintf("insight: --%s %q is not a date YYYY-MM-DD", name, v)}
	}
	return insight.DateDay(t.Date()), nil
}

// insightCmd runs 'whistle insight'.
func insightCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "rebuild" {
		return insightRebuild(ctx, args[1:], stderr)
	}
	f, asJSON, cfg, err := parseInsight(args, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	a, err := app.Open(ctx, cfg, logger(cfg.LogLevel, stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	an, err := a.Svc.Insight.Analyze(ctx, org.System(), f)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(an)
	}
	return printAnalysis(stdout, an)
}

// parseInsight parses the arguments of 'whistle insight' and the store
// flags: the analysis's filter and --json.
func parseInsight(args []string, stdout, stderr io.Writer) (governance.Filter, bool, config.Config, error) {
	var f governance.Filter
	var from, to, place string
	var cats []string
	var asJSON bool
	fs := newCommandFlags("insight", insightUsage, stderr)
	fs.StringVar(&from, "from", "", "first day YYYY-MM-DD")
	fs.StringVar(&to, "to", "", "last day YYYY-MM-DD (inclusive)")
	fs.StringVar(&place, "place", "", "a district, street, community or grid id (default the whole city)")
	fs.Func("category", "a category code or its prefix (repeat the flag or separate by commas)", func(v string) error {
		cats = append(cats, strings.Split(v, ",")...)
		return nil
	})
	fs.BoolVar(&asJSON, "json", false, "print the whole analysis as JSON")
	pos, err := fs.parse(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return f, false, config.Config{}, err
	}
	if err != nil {
		return f, false, config.Config{}, usageError{err.Error()}
	}
	if from == "" || to == "" {
		fmt.Fprint(stderr, insightUsage)
		return f, false, config.Config{}, usageError{"insight: --from and --to are required"}
	}
	if f.From, err = parseDay("from", from); err != nil {
		return f, false, config.Config{}, err
	}
	if f.To, err = parseDay("to", to); err != nil {
		return f, false, config.Config{}, err
	}
	if f.To < f.From {
		return f, false, config.Config{}, usageError{"insight: --to is before --from"}
	}
	if place != "" {
		if f.PlaceID, err = strconv.ParseInt(place, 10, 64); err != nil || f.PlaceID < 0 {
			return f, false, config.Config{}, usageError{fmt.Sprintf("insight: --place %q is not a place id", place)}
		}
	}
	f.Categories = cats
	cfg, err := fs.loadConfig(pos)
	return f, asJSON, cfg, err
}

func pct(f float64) string {
	if f != f {
		return "–"
	}
	return fmt.Sprintf("%+.0f%%", 100*f)
}

func printAnalysis(w io.Writer, an *governance.Analysis) error {
	rep := an.Report
	nm := func(id string) string {
		if id == "" {
			return "全市 city"
		}
		if n := an.Names[id]; n != "" {
			return n
		}
		return id
	}
	fmt.Fprintf(w, "分析 Analysis %s – %s  基线 baseline %s  趋势 trend R %.2f  离散 φ %.2f  诉求 requests %d (文本 texts %d)  用时 took %v\n\n",
		rep.From, rep.To, rep.Baseline, rep.Trend, rep.Dispersion, an.Requests, an.Sampled, an.Took.Round(time.Millisecond))
	fmt.Fprintln(w, "每月一题候选 Candidates")
	for _, c := range rep.Candidates {
		fmt.Fprintf(w, "%2d. %s\n    %s\n", c.Rank, c.WhyZh, c.WhyEn)
		fmt.Fprintf(w, "    诉求 volume %d  预期 expected %.1f  环比 %s  同比 %s  重复 repeat %.0f%%", c.Volume, c.Expected, pct(c.ChangePrev), pct(c.ChangeYoY), 100*c.RepeatShare)
		if c.Dissatisfaction == c.Dissatisfaction {
			fmt.Fprintf(w, "  不满意 dissatisfied %.0f%%", 100*c.Dissatisfaction)
		}
		fmt.Fprintln(w)
		var ps []string
		for _, p := range c.Places {
			ps = append(ps, fmt.Sprintf("%s %d", nm(p.Place), p.Count))
		}
		if len(ps) > 0 {
			fmt.Fprintf(w, "    地点 places: %s\n", strings.Join(ps, "、"))
		}
		if len(c.Examples) > 0 {
			fmt.Fprintf(w, "    示例 examples: %s\n", strings.Join(c.Examples, " "))
		}
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\n异常 Anomalies (flagged)\ncategory\tlevel\tplace\tcount\texpected\tprev\tvs prev\tvs last year\tq")
	for _, a := range rep.Anomalies {
		if a.Flag {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.1f\t%d\t%s\t%s\t%.2g\n", nm(a.Category), a.Level, nm(a.Place), a.Count, a.Expected, a.Prev, pct(a.ChangePrev), pct(a.ChangeYoY), a.Q)
		}
	}
	fmt.Fprintln(tw, "\n上升词 Rising terms\nterm\tnow\tbefore\tlift\tq")
	for _, t := range rep.Rising {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.2g\n", t.Text, t.Cur, t.Base, t.Lift, t.Q)
	}
	fmt.Fprintln(tw, "\n热点 Hotspots\ncategory\tgrids\tcount\texpected\tmax z\tterms")
	for _, h := range rep.Hotspots {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.1f\t%s\n", nm(h.Category), len(h.Grids), h.Count, h.Expected, h.MaxZ, strings.Join(h.Terms, "、"))
	}
	return tw.Flush()
}

// insightRebuild runs 'whistle insight rebuild': the daily rollups
// recomputed from the stored cases in one write transaction, for a store
// whose rollups are suspect (they are otherwise kept with every case write).
func insightRebuild(ctx context.Context, args []string, stderr io.Writer) error {
	cfg, err := config.Load("insight rebuild", args, os.Getenv, stderr)
	if err != nil {
		return err
	}
	a, err := app.Open(ctx, cfg, logger(cfg.LogLevel, stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	start := time.Now()
	if err := a.Store.RebuildDaily(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "insight rebuild: daily rollups recomputed from the cases in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}
