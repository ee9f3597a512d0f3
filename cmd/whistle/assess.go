package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"whistle/internal/app"
	"whistle/internal/config"
	"whistle/internal/org"
	"whistle/internal/ranking"
)

const assessUsage = `usage: whistle assess --month YYYY-MM [--kind street|department|enterprise] [--recompute] [--json] [store flags]
       whistle assess --rebuild-facts [store flags]

Prints the month's 三率 ranking: for each unit its kind, the counts behind each
rate, the three rates, the composite and the rule-set version. Units with
fewer orders or callbacks than the rule set's minimum come last, unranked
("too few cases to rank"), without a composite. A published
month prints its frozen results; --recompute recomputes it under its stored
rule set. --rebuild-facts replays every case's events into the assessment
facts (for a store that held cases before they were kept). Store flags are
those of 'whistle serve' (--data DIR, --db URL, …).
`

// assessCmd runs 'whistle assess'.
func assessCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var month, kind string
	var asJSON, recompute, rebuild bool
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") {
			rest = append(rest, a)
			continue
		}
		next := func() (string, error) {
			if hasVal {
				return val, nil
			}
			if i+1 >= len(args) {
				return "", fmt.Errorf("flag --%s needs a value", name)
			}
			i++
			return args[i], nil
		}
		var err error
		switch name {
		case "month":
			month, err = next()
		case "kind":
			kind, err = next()
		case "json":
			asJSON = !hasVal || val == "true" || val == "1"
		case "recompute":
			recompute = !hasVal || val == "true" || val == "1"
		case "rebuild-facts":
			rebuild = !hasVal || val == "true" || val == "1"
		case "h", "help":
			fmt.Fprint(stdout, assessUsage)
			return nil
		default:
			rest = append(rest, a)
		}
		if err != nil {
			return err
		}
	}
	if month == "" && !rebuild {
		fmt.Fprint(stderr, assessUsage)
		return errors.New("assess: --month is required")
	}
	cfg, err := config.Load("assess", rest, os.Getenv, stderr)
	if err != nil {
		return err
	}
	a, err := app.Open(ctx, cfg, logger(cfg.LogLevel, stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	if rebuild {
		start := time.Now()
		n, err := a.Store.RebuildAllAssessFacts(ctx, 5000)
		if err != nil {
			return fmt.Errorf("rebuilding facts: %w", err)
		}
		fmt.Fprintf(stderr, "assessment facts rebuilt from %d events in %v\n", n, time.Since(start).Round(time.Millisecond))
		if month == "" {
			return nil
		}
	}
	p, err := a.Svc.Ranking.AssessMonthPeriod(month)
	if err != nil {
		return err
	}
	start := time.Now()
	rk, err := a.Svc.Ranking.Assess(ctx, org.System(), p, ranking.AssessOptions{Kind: kind, Recompute: recompute})
	if err != nil {
		return err
	}
	took := time.Since(start)
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Month        string `json:"month"`
			RulesVersion int    `json:"rules_version"`
			ranking.Ranking
		}{month, rk.Rules.Version, rk})
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s  rules v%d  frozen=%v  (%s)\n", month, rk.Rules.Version, rk.Frozen, took.Round(time.Millisecond))
	fmt.Fprintln(tw, "kind\trank\tunit\torders\tresp\tresponse\tcallbacks\tresolved\tresolution\tsatisfaction\texempt\tcomposite\tchange\tnote")
	for _, u := range ranking.ExportRows(rk, "en") {
		// ranking.ExportColumns(): period kind rank unit_id unit orders responded response callbacks resolved resolution satisfied fairly satisfaction overdue exempted topics bonus deduction summons composite change rules_version status
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u[1], u[2], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[13], u[15], u[20], u[21], u[23])
	}
	return tw.Flush()
}
