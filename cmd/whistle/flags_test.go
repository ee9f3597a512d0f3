package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"

	"whistle/internal/config"
	"whistle/internal/forecasting"
	"whistle/internal/governance"
	"whistle/internal/insight"
)

// parseCase is one command line of a subcommand and what its parsing gives.
type parseCase[T any] struct {
	args   []string
	want   T      // the command's arguments, when err is ""
	data   string // the store flag --data, when err is ""; "" = the default
	secure bool   // the store's bool flag --secure-cookies, when err is ""
	err    string // the error exactly; "help": -h, the usage on stdout
	exit   int    // the exit status of the error
}

// testParse runs parse over the cases: the command's own flags and the
// store flags in the --x=v and --x v forms, bool flags, and errors.
func testParse[T any](t *testing.T, usage string, parse func([]string, io.Writer, io.Writer) (T, config.Config, error), cases []parseCase[T]) {
	t.Helper()
	t.Setenv("WHISTLE_CONFIG", "")
	t.Setenv("WHISTLE_DATA", "")
	t.Setenv("WHISTLE_SECURE_COOKIES", "")
	for _, c := range cases {
		var out, errOut bytes.Buffer
		got, cfg, err := parse(c.args, &out, &errOut)
		switch {
		case c.err == "help":
			if !errors.Is(err, flag.ErrHelp) || !strings.HasPrefix(out.String(), usage) || !strings.Contains(out.String(), "-data string") || errOut.Len() > 0 {
				t.Errorf("%q: %v, stdout %.80q…, stderr %.80q…; want the usage and the flags on stdout", c.args, err, out.String(), errOut.String())
			}
		case c.err != "":
			if err == nil || err.Error() != c.err || exitCode(err) != c.exit {
				t.Errorf("%q: error %v (exit %d), want %q (exit %d)", c.args, err, exitCode(err), c.err, c.exit)
			}
		default:
			if err != nil || !reflect.DeepEqual(got, c.want) || cfg.Data != cmp.Or(c.data, "whistle-data") || cfg.SecureCookies != c.secure {
				t.Errorf("%q: %+v, --data %q, --secure-cookies %v, %v; want %+v, %q, %v", c.args, got, cfg.Data, cfg.SecureCookies, err, c.want, cmp.Or(c.data, "whistle-data"), c.secure)
			}
		}
	}
}

func TestFlagsAssess(t *testing.T) {
	type a = assessArgs
	testParse(t, assessUsage, parseAssess, []parseCase[a]{
		{args: []string{"--month=2025-11", "--data", "d"}, want: a{month: "2025-11"}, data: "d"},
		{args: []string{"--month", "2025-11", "--kind=street", "--data=d", "--secure-cookies"}, want: a{month: "2025-11", kind: "street"}, data: "d", secure: true},
		{args: []string{"-month", "2025-11", "--json", "--recompute=true", "--rebuild-facts=false"}, want: a{month: "2025-11", asJSON: true, recompute: true}},
		{args: []string{"--rebuild-facts", "--json=0", "--recompute=1"}, want: a{rebuild: true, recompute: true}},
		{args: []string{"--month", "2025-11", "--json=yes"}, err: `invalid boolean value "yes" for -json: parse error`, exit: 1},
		{args: []string{"--month", "2025-11", "--nope"}, err: "flag provided but not defined: -nope", exit: 1},
		{args: []string{"--month"}, err: "flag --month needs a value", exit: 1},
		{args: []string{"--month", "2025-11", "--data"}, err: "flag --data needs a value", exit: 1},
		{args: []string{"--kind", "street", "--json"}, err: "assess: --month is required", exit: 1},
		{args: []string{"--month", "2025-11", "extra", "--json"}, err: "unexpected arguments: [extra]", exit: 1},
		{args: []string{"--month", "2025-11", "--", "x", "--json"}, err: "unexpected arguments: [x --json]", exit: 1},
		{args: []string{"--month", "2025-11", "--tick", "1ms"}, err: "tick must be ≥ 100ms", exit: 1},
		{args: []string{"-h"}, err: "help"},
		{args: []string{"--month", "2025-11", "--help"}, err: "help"},
	})
}

func TestFlagsAudit(t *testing.T) {
	parse := func(args []string, stdout, stderr io.Writer) (int, config.Config, error) {
		return parseAudit(args, stdout, stderr)
	}
	testParse(t, auditUsage, parse, []parseCase[int]{
		{args: nil, want: 0},
		{args: []string{"--page=2", "--data", "d"}, want: 2, data: "d"},
		{args: []string{"--data=d", "-page", "3", "--secure-cookies=true"}, want: 3, data: "d", secure: true},
		{args: []string{"--page", "0"}, err: `flag --page: "0" is not a positive number`, exit: 1},
		{args: []string{"--page"}, err: "flag --page needs a value", exit: 1},
		{args: []string{"--page", "2", "--nope"}, err: "flag provided but not defined: -nope", exit: 1},
		{args: []string{"--secure-cookies=maybe"}, err: `invalid boolean value "maybe" for -secure-cookies: parse error`, exit: 1},
		{args: []string{"extra", "--page", "2"}, err: "unexpected arguments: [extra]", exit: 1},
		{args: []string{"-h"}, err: "help"},
		{args: []string{"--page", "2", "--help"}, err: "help"},
	})
}

func TestFlagsRetention(t *testing.T) {
	type r struct {
		batch  int
		dryRun bool
	}
	parse := func(args []string, stdout, stderr io.Writer) (r, config.Config, error) {
		b, d, cfg, err := parseRetention(args, stdout, stderr)
		return r{b, d}, cfg, err
	}
	testParse(t, retentionUsage, parse, []parseCase[r]{
		{args: nil, want: r{200, false}},
		{args: []string{"--dry-run", "--data", "d"}, want: r{200, true}, data: "d"},
		{args: []string{"--batch=5", "--dry-run=false", "--data=d"}, want: r{5, false}, data: "d"},
		{args: []string{"--batch", "7", "--dry-run=1", "--secure-cookies"}, want: r{7, true}, secure: true},
		{args: []string{"--batch", "0"}, err: `flag --batch: "0" is not a positive number`, exit: 1},
		{args: []string{"--batch"}, err: "flag --batch needs a value", exit: 1},
		{args: []string{"--dry-run", "--nope"}, err: "flag provided but not defined: -nope", exit: 1},
		{args: []string{"--dry-run", "extra"}, err: "unexpected arguments: [extra]", exit: 1},
		{args: []string{"-h"}, err: "help"},
		{args: []string{"--dry-run", "--help"}, err: "help"},
	})
}

func TestFlagsInsight(t *testing.T) {
	type i struct {
		f      governance.Filter
		asJSON bool
	}
	parse := func(args []string, stdout, stderr io.Writer) (i, config.Config, error) {
		f, j, cfg, err := parseInsight(args, stdout, stderr)
		return i{f, j}, cfg, err
	}
	dec := governance.Filter{From: insight.DateDay(2025, 12, 1), To: insight.DateDay(2025, 12, 31)}
	withAll := dec
	withAll.PlaceID, withAll.Categories = 7, []string{"a", "b", "c"}
	testParse(t, insightUsage, parse, []parseCase[i]{
		{args: []string{"--from=2025-12-01", "--to", "2025-12-31", "--data", "d"}, want: i{dec, false}, data: "d"},
		{args: []string{"--from", "2025-12-01", "--to=2025-12-31", "--category", "a,b", "--category=c", "--place", "7", "--json", "--secure-cookies"}, want: i{withAll, true}, secure: true},
		{args: []string{"-from", "2025-12-01", "-to", "2025-12-31", "--json=false", "--data=d"}, want: i{dec, false}, data: "d"},
		{args: []string{"--from"}, err: "flag --from needs a value", exit: 2},
		{args: []string{"--from", "2025-12-01"}, err: "insight: --from and --to are required", exit: 2},
		{args: []string{"--from", "2025-12-01", "--to", "2025-12-31", "--nope"}, err: "flag provided but not defined: -nope", exit: 2},
		{args: []string{"--from", "2025-12-01", "--to", "2025-12-31", "--place", "x"}, err: `insight: --place "x" is not a place id`, exit: 2},
		{args: []string{"--from", "2025-12-01", "extra", "--to", "2025-12-31"}, err: "unexpected arguments: [extra]", exit: 1},
		{args: []string{"-h"}, err: "help"},
		{args: []string{"--from", "2025-12-01", "--help"}, err: "help"},
	})
}

func TestFlagsEvalForecast(t *testing.T) {
	type e = evalForecastArgs
	both := []string{forecasting.Month, forecasting.Week}
	testParse(t, evalForecastUsage, parseEvalForecast, []parseCase[e]{
		{args: nil, want: e{kinds: both}},
		{args: []string{"--period=week", "--origins", "4", "--horizon=2", "--until", "2025-06-30", "--json", "--data", "d"},
			want: e{kinds: []string{forecasting.Week}, origins: 4, horizon: 2, until: insight.DateDay(2025, 6, 30), asJSON: true}, data: "d"},
		{args: []string{"--period", "month", "--json=false", "--data=d", "--secure-cookies"}, want: e{kinds: []string{forecasting.Month}}, data: "d", secure: true},
		{args: []string{"--origins", "0"}, err: `eval forecast: --origins "0" is not a positive number`, exit: 2},
		{args: []string{"--horizon"}, err: "flag --horizon needs a value", exit: 2},
		{args: []string{"--period", "year"}, err: `eval forecast: --period "year" is month, week or both`, exit: 2},
		{args: []string{"--until", "yesterday"}, err: `insight: --until "yesterday" is not a date YYYY-MM-DD`, exit: 2},
		{args: []string{"--json", "--nope"}, err: "flag provided but not defined: -nope", exit: 2},
		{args: []string{"--json", "foo"}, err: `eval forecast: unexpected argument "foo"`, exit: 2},
		{args: []string{"-h"}, err: "help"},
		{args: []string{"--json", "--help"}, err: "help"},
	})
}

// TestFlagsHelp: -h and --help print the command's usage on stdout and
// succeed, before any store is opened.
func TestFlagsHelp(t *testing.T) {
	for _, c := range []struct {
		args  []string
		usage string
	}{
		{[]string{"assess"}, assessUsage}, {[]string{"audit", "verify"}, auditUsage}, {[]string{"retention", "run"}, retentionUsage},
		{[]string{"insight"}, insightUsage}, {[]string{"eval", "forecast"}, evalForecastUsage},
	} {
		for _, h := range []string{"-h", "--help"} {
			var out, errOut bytes.Buffer
			if err := run(context.Background(), append(c.args, h, "--data", t.TempDir()), &out, &errOut); err != nil || !strings.HasPrefix(out.String(), c.usage) {
				t.Errorf("%v %s: %v, stdout %.80q…", c.args, h, err, out.String())
			}
		}
	}
}
