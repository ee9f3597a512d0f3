package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"whistle/internal/app"
	"whistle/internal/auth"
	"whistle/internal/config"
	"whistle/internal/importer"
	"whistle/internal/seed"
)

const importUsage = `usage: whistle import open311 FILE.jsonl[.gz] [--source NAME] [--batch N] [--window N] [--json] [--cpuprofile FILE] [store flags]
       whistle import csv FILE.csv[.gz] --mapping MAP.yaml [--source NAME] [--batch N] [--window N] [--json] [--cpuprofile FILE] [store flags]

Brings another system's history into the store (--data DIR, or --db URL; a
new SQLite store is created and set up like a first 'whistle serve' when the
directory has none): Open311 GeoReport v2 records, one JSON object a line,
or CSV rows described by a mapping (docs/import/boston_2015.yaml). The
source's service codes become categories, coordinates are placed by the
city's boundaries (outside every place they are kept with the address),
open/closed statuses and times come in; no personal data. Rows stream in
batches of --batch (default 5000), each committed with the resume position;
the rows of each --window records (default 50000, at least a batch) are
sorted by creation time before they are written, which keeps the store's
time-ordered indexes from being rewritten at every batch when the file is
in another order (a resumed run keeps the window it started with):
an interrupted import run again continues where it stopped, and a file
imported whole is not imported twice (ids are unique per --source, default
"open311" or the mapping's source). Progress goes to stderr; at the end a
report of rows imported and refused, and why (--json: as JSON on stdout).
--cpuprofile writes a Go CPU profile of the whole command (go tool pprof).
See docs/IMPORT.md.
`

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// importCmd runs 'whistle import open311|csv'.
func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if isHelp(args) {
		fmt.Fprint(stdout, importUsage)
		return nil
	}
	if len(args) < 2 || (args[0] != importer.KindOpen311 && args[0] != importer.KindCSV) || strings.HasPrefix(args[1], "-") {
		fmt.Fprint(stderr, importUsage)
		return usageError{"import: want 'open311 FILE' or 'csv FILE --mapping MAP.yaml'"}
	}
	kind, file := args[0], args[1]
	flags, rest, err := splitFlags(args[2:], []string{"mapping", "source", "batch", "window", "cpuprofile"}, []string{"json", "h", "help"})
	if err != nil {
		return usageError{err.Error()}
	}
	if flags["h"] != "" || flags["help"] != "" {
		fmt.Fprint(stdout, importUsage)
		return nil
	}
	opts := importer.Options{Kind: kind, Path: file, Source: flags["source"]}
	if v, ok := flags["batch"]; ok {
		if opts.Batch, err = strconv.Atoi(v); err != nil || opts.Batch <= 0 {
			return usageError{fmt.Sprintf("flag --batch: %q is not a positive number", v)}
		}
	}
	if v, ok := flags["window"]; ok {
		if opts.Window, err = strconv.Atoi(v); err != nil || opts.Window <= 0 {
			return usageError{fmt.Sprintf("flag --window: %q is not a positive number", v)}
		}
	}
	if kind == importer.KindCSV {
		if flags["mapping"] == "" {
			return usageError{"import csv: --mapping MAP.yaml is required"}
		}
		if opts.Mapping, err = importer.LoadMapping(flags["mapping"]); err != nil {
			return usageError{err.Error()}
		}
	}
	if _, err := os.Stat(file); err != nil {
		return usageError{fmt.Sprintf("import: %v", err)}
	}
	if p := flags["cpuprofile"]; p != "" {
		f, err := os.Create(p)
		if err != nil {
			return usageError{fmt.Sprintf("import: %v", err)}
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	cfg, err := config.Load("import", rest, os.Getenv, stderr)
	if err != nil {
		return err
	}
	if cfg.DB == "" {
		if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
			return err
		}
	}
	a, err := app.Open(ctx, cfg, logger(cfg.LogLevel, stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	// A new store gets what 'whistle serve' gives it on a first start: the
	// city, its centre, an administrator and the starting taxonomy.
	h := auth.DefaultHasher()
	if cfg.FastHash {
		h = auth.FastHasher()
	}
	created, pw, err := seed.Bootstrap(ctx, a.Svc, h, cfg.City, cfg.AdminPassword)
	if err != nil {
		return fmt.Errorf("first start: %w", err)
	}
	if created {
		fmt.Fprintf(stderr, "New store: created the city centre and the administrator.\n  username: admin\n  password: %s   (shown once; change it)\n", pw)
	}
	// This process writes nothing else while it imports: its writer
	// connection is tuned for the import (importer.Options.Tune).
	opts.Tune = true
	// Nor is its core used after the import: the categories it creates are
	// in the store, and a reload of the catalogue would be thrown away.
	opts.NoReload = true
	opts.Progress = importer.ProgressPrinter(stderr, isTerminal(stderr), 10*time.Second)
	rep, err := importer.Run(ctx, a.Svc.Core, opts)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("import interrupted after %d rows (committed; run the same command again to continue): %w", rep.Rows, err)
		}
		return fmt.Errorf("import (run it again to continue from the last committed batch): %w", err)
	}
	if flags["json"] == "true" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printImportReport(stdout, rep)
	return nil
}

func printImportReport(w io.Writer, r importer.Report) {
	if r.Already {
		fmt.Fprintf(w, "%s was imported already (run %d): nothing to do.\n", r.File, r.RunID)
	} else {
		if r.Resumed {
			fmt.Fprintf(w, "resumed after line %d\n", r.From)
		}
		fmt.Fprintf(w, "%s: %d rows read, %d imported, %d refused, %d duplicates, %d categories created, in %.1f s (%.0f rows/s)\n",
			r.File, r.Rows, r.Imported, r.Refused, r.Duplicates, r.Categories, r.Seconds, r.RowsPerSec)
	}
	t := r.Total
	fmt.Fprintf(w, "whole file (source %s): %d lines, %d imported, %d refused, %d duplicates, %.1f s importing\n",
		r.Source, t.Lines, t.Imported, t.Refused, t.Duplicates, t.Seconds)
	for _, reason := range r.SortedReasons() {
		fmt.Fprintf(w, "  refused %-18s %d\n", reason, r.RefusedBy[reason])
		for _, ex := range r.Examples[reason] {
			id := ""
			if ex.ExternalID != "" {
				id = " id " + ex.ExternalID
			}
			fmt.Fprintf(w, "    line %d%s: %s\n", ex.Line, id, ex.Detail)
		}
	}
}
