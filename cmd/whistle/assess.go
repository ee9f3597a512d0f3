package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
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

// assessArgs are the arguments of 'whistle assess'.
type assessArgs struct {
	month, kind                string
	asJSON, recompute, rebuild bool
}

// parseAssess parses the arguments of 'whistle assess' and the store flags.
func parseAssess(args []string, stdout, stderr io.Writer) (assessArgs, config.Config, error) {
	var o assessArgs
	fs := newCommandFlags("assess", assessUsage, stderr)
	fs.StringVar(&o.month, "month", "", "the month YYYY-MM")
	fs.StringVar(&o.kind, "kind", "", "only units of this kind: street, department or enterprise")
	fs.BoolVar(&o.asJSON, "json", false, "print JSON")
	fs.BoolVar(&o.recompute, "recompute", false, "recompute a published month under its stored rule set")
	fs.BoolVar(&o.rebuild, "rebuild-facts", false, "replay every case's events into the assessment facts first")
	pos, err := fs.parse(args, stdout)
	if err != nil {
		return o, config.Config{}, err
	}
	if o.month == "" && !o.rebuild {
		fmt.Fprint(stderr, assessUsage)
		return o, config.Config{}, errors.New("assess: --month is required")
	}
	cfg, err := fs.loadConfig(pos)
	return o, cfg, err
}

// assessCmd runs 'whistle assess'.
func assessCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, cfg, err := parseAssess(args, stdout, stderr)
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
	if o.rebuild {
		start := time.Now()
		n, err := a.Store.RebuildAllAssessFacts(ctx, 5000)
		if err != nil {
			return fmt.Errorf("rebuilding facts: %w", err)
		}
		fmt.Fprintf(stderr, "assessment facts rebuilt from %d events in %v\n", n, time.Since(start).Round(time.Millisecond))
		if o.month == "" {
			return nil
		}
	}
	p, err := a.Svc.Ranking.AssessMonthPeriod(o.month)
	if err != nil {
		return err
	}
	start := time.Now()
	rk, err := a.Svc.Ranking.Assess(ctx, org.System(), p, ranking.AssessOptions{Kind: o.kind, Recompute: o.recompute})
	if err != nil {
		return err
	}
	took := time.Since(start)
	if o.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Month        string `json:"month"`
			RulesVersion int    `json:"rules_version"`
			ranking.Ranking
		}{o.month, rk.Rules.Version, rk})
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s  rules v%d  frozen=%v  (%s)\n", o.month, rk.Rules.Version, rk.Frozen, took.Round(time.Millisecond))
	fmt.Fprintln(tw, "kind\trank\tunit\torders\tresp\tresponse\tcallbacks\tresolved\tresolution\tsatisfaction\texempt\tcomposite\tchange\tnote")
	for _, u := range ranking.ExportRows(rk, "en") {
		// ranking.ExportColumns(): period kind rank unit_id unit orders responded response callbacks resolved resolution satisfied fairly satisfaction overdue exempted topics bonus deduction summons composite change rules_version status
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u[1], u[2], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[13], u[15], u[20], u[21], u[23])
	}
	return tw.Flush()
}
