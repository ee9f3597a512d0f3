package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"whistle/internal/config"
	"whistle/internal/core"
	"whistle/internal/retention"
	"whistle/internal/store"
)

const retentionUsage = `usage: whistle retention run [--dry-run] [--batch N] [store flags]

Anonymises the closed cases that closed more than --retention-days ago
(default 1095; 0 disables): the citizen's name, phone and phone hash are
erased, the address reduced to its district, street and community, phone
numbers, ID numbers, e-mail addresses and the citizen's name redacted from
the free text of the case and its events, and its attachments deleted.
Prints the counts. --dry-run only counts. Store flags are those of
'whistle serve' (--data DIR, --db URL, --retention-days N, …). The server
runs the same job once a day.
`

const exportUsage = `usage: whistle export opendata --month YYYY-MM [--format csv|json] [--out FILE] [store flags]

Writes the open-data export of the requests created in a month (Asia/Shanghai
or --tz): one row per request with the columns of docs/OPENDATA.md and never
a name, phone number, exact address, free text or member of staff.
`

// splitFlags takes the named flags (with a value unless boolean) out of
// args and returns them with the rest, for config.Load.
func splitFlags(args []string, valued, boolean []string) (map[string]string, []string, error) {
	got := map[string]string{}
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case !strings.HasPrefix(a, "-"):
			rest = append(rest, a)
		case contains(boolean, name):
			got[name] = "true"
			if hasVal {
				got[name] = val
			}
		case contains(valued, name):
			if !hasVal {
				if i+1 >= len(args) {
					return nil, nil, fmt.Errorf("flag --%s needs a value", name)
				}
				i++
				val = args[i]
			}
			got[name] = val
		default:
			rest = append(rest, a)
		}
	}
	return got, rest, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// openCore opens an existing store (never creating an empty SQLite file)
// and the core over it.
func openCore(ctx context.Context, name string, rest []string, stderr io.Writer) (*core.Core, *store.Store, config.Config, error) {
	cfg, err := config.Load(name, rest, os.Getenv, stderr)
	if err != nil {
		return nil, nil, cfg, err
	}
	c, st, err := openCoreConfig(ctx, name, cfg, stderr)
	return c, st, cfg, err
}

// openCoreConfig is openCore with the configuration loaded.
func openCoreConfig(ctx context.Context, name string, cfg config.Config, stderr io.Writer) (*core.Core, *store.Store, error) {
	dsn := cfg.DSN()
	if !store.IsPostgres(dsn) {
		if _, err := os.Stat(strings.TrimPrefix(dsn, "sqlite:")); err != nil {
			return nil, nil, fmt.Errorf("%s: no database: %w", name, err)
		}
	}
	log := logger(cfg.LogLevel, stderr)
	st, err := store.Open(ctx, dsn, store.Options{Logger: log})
	if err != nil {
		return nil, nil, err
	}
	// The key of phone hashes, as the server has it (nothing is hashed here,
	// but the core wants one).
	key := cfg.PhoneKey
	if key == "" {
		if key, err = st.Setting(ctx, "phone_key"); err != nil {
			st.Close()
			return nil, nil, err
		}
	}
	if key == "" {
		key = "unused"
	}
	ccfg := core.Config{Loc: cfg.Location(), Logger: log, PhoneKey: []byte(key)}
	if cfg.Attachments == "disk" {
		ccfg.AttachmentDir = filepath.Join(cfg.Data, "attachments")
	}
	c, err := core.New(ctx, st, ccfg)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return c, st, nil
}

func isHelp(args []string) bool {
	return len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help")
}

// retentionCmd runs 'whistle retention run'.
func retentionCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if isHelp(args) {
		fmt.Fprint(stdout, retentionUsage)
		return nil
	}
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprint(stderr, retentionUsage)
		return errors.New("retention: unknown or missing sub-command (want run)")
	}
	batch, dryRun, cfg, err := parseRetention(args[1:], stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	c, st, err := openCoreConfig(ctx, "retention", cfg, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := retention.New(c, cfg.RetentionDays)
	var rep retention.Report
	if dryRun {
		rep, err = svc.DryRun(ctx, c.Now())
	} else {
		rep, err = svc.Run(ctx, c.Now(), batch)
	}
	if rep.Disabled {
		fmt.Fprintln(stdout, "retention is disabled (--retention-days 0): nothing done")
		return err
	}
	cut := rep.Cutoff.In(c.Location()).Format("2006-01-02 15:04")
	if rep.DryRun {
		fmt.Fprintf(stdout, "dry run: %d closed cases closed before %s (%d days) would be anonymised\n", rep.Due, cut, cfg.RetentionDays)
		return err
	}
	fmt.Fprintf(stdout, "anonymised %d of %d cases closed before %s (%d days): %d events rewritten, %d attachments deleted (%d files), %d batches\n",
		rep.Anonymised, rep.Due, cut, cfg.RetentionDays, rep.Events, rep.Attachments, rep.Files, rep.Batches)
	return err
}

// parseRetention parses the arguments of 'whistle retention run' after run
// and the store flags.
func parseRetention(args []string, stdout, stderr io.Writer) (batch int, dryRun bool, cfg config.Config, err error) {
	fs := newCommandFlags("retention", retentionUsage, stderr)
	fs.IntVar(&batch, "batch", retention.DefaultBatch, "cases anonymised in one transaction")
	fs.BoolVar(&dryRun, "dry-run", false, "only count the cases due")
	pos, err := fs.parse(args, stdout)
	if err != nil {
		return 0, false, cfg, err
	}
	if batch <= 0 {
		return 0, false, cfg, fmt.Errorf("flag --batch: %q is not a positive number", fs.Lookup("batch").Value.String())
	}
	cfg, err = fs.loadConfig(pos)
	return batch, dryRun, cfg, err
}

// exportCmd runs 'whistle export opendata'.
func exportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if isHelp(args) {
		fmt.Fprint(stdout, exportUsage)
		return nil
	}
	if len(args) == 0 || args[0] != "opendata" {
		fmt.Fprint(stderr, exportUsage)
		return errors.New("export: unknown or missing sub-command (want opendata)")
	}
	flags, rest, err := splitFlags(args[1:], []string{"month", "format", "out"}, []string{"h", "help"})
	if err != nil {
		return err
	}
	if flags["h"] != "" || flags["help"] != "" {
		fmt.Fprint(stdout, exportUsage)
		return nil
	}
	format := flags["format"]
	if format == "" {
		format = "csv"
	}
	if format != "csv" && format != "json" {
		return fmt.Errorf("flag --format: %q, want csv or json", format)
	}
	if flags["month"] == "" {
		return errors.New("flag --month YYYY-MM is required")
	}
	c, st, _, err := openCore(ctx, "export", rest, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	od := retention.NewOpenData(c)
	if _, _, err := od.MonthRange(flags["month"]); err != nil {
		return fmt.Errorf("flag --month: %q, want YYYY-MM", flags["month"])
	}
	w := stdout
	if out := flags["out"]; out != "" {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	if format == "json" {
		err = od.WriteJSON(ctx, w, flags["month"])
	} else {
		err = od.WriteCSV(ctx, w, flags["month"])
	}
	if f, ok := w.(*os.File); ok && f != os.Stdout && err == nil {
		err = f.Close()
	}
	return err
}
