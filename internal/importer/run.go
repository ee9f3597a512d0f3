package importer

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync/atomic"
	"time"

	"whistle/internal/core"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/store"
)

// Kinds of import.
const (
	KindOpen311 = "open311"
	KindCSV     = "csv"
)

// DefaultBatch is how many rows one transaction commits.
const DefaultBatch = 5000

// DefaultWindow is how many records are read and sorted by creation time
// before they are written (Options.Window).
const DefaultWindow = 50000

// Options says what to import.
type Options struct {
	Kind    string   // KindOpen311 or KindCSV
	Path    string   // the file (.gz is read through gzip, by its magic bytes)
	Mapping *Mapping // KindCSV
	// Source names the system the records come from (default: "open311",
	// or the mapping's source): ids are unique within a source, so a
	// re-run never duplicates, even from another file.
	Source string
	Batch  int // rows a transaction; default DefaultBatch
	// Window is how many records are read ahead and sorted by creation
	// time before their batches are written (default DefaultWindow; at
	// least Batch: with Window 1 each batch is sorted on its own, and
	// positions are the batches' ends, in file order). A file grouped by something else than time — Boston's
	// CSV is grouped by request type, each type's rows spanning the year —
	// would otherwise put every batch's rows all over the time-ordered
	// indexes of cases and events, and each commit would rewrite most of
	// their pages: sorted windows of 50,000 take the Boston CSV from
	// 16,800 to 22,700 rows/s. A resumed run keeps its first run's window.
	Window   int
	Examples int // refusal examples per reason in the report; default 5
	Progress func(Progress)
	// Tune readies the store's writer for the import (store.TuneForImport:
	// the batches committed without an fsync each, one fsync at the end,
	// and foreign keys off while the batches, which check their own ids,
	// are written): for a process whose writes are the import's alone, as
	// the import command's. Nothing on PostgreSQL.
	Tune bool
	// NoReload leaves the core's catalogue as it was when the run created
	// categories: they are in the store, and the next core opened over it
	// has them, but c.Category does not know them. For a process that ends
	// after the import, as the import command: a reload rebuilds the whole
	// catalogue, gazetteer included, and on a store whose closed cases have
	// no place (history from outside the city's boundaries, as Boston's) that
	// reads every closed case — 3.7 s of CPU, 30–40 µs a row of the Boston
	// CSV, after it was imported into a store of 320,770 cases — for a
	// catalogue the process then throws away.
	NoReload bool
	// BatchHook runs inside each batch's transaction after its rows are
	// written (n counts batches from 1): an error rolls the batch back and
	// ends the run. For tests of interruptions.
	BatchHook func(n int) error
}

// Progress is where a run is.
type Progress struct {
	Rows       int64 // records read by this run (refused ones included)
	Imported   int64
	Refused    int64
	Duplicates int64
	Bytes      int64 // of the file (compressed, if it is)
	Total      int64 // the file's size; 0 if unknown
	Elapsed    time.Duration
	Done       bool
}

// Report is what a run did.
type Report struct {
	File    string `json:"file"`
	Kind    string `json:"kind"`
	Source  string `json:"source"`
	RunID   int64  `json:"run_id"`
	Resumed bool   `json:"resumed"`   // continued an interrupted run
	From    int64  `json:"from_line"` // the line it continued after
	Already bool   `json:"already"`   // the file was already imported whole: nothing done
	// This run.
	Rows       int64 `json:"rows"`
	Imported   int64 `json:"imported"`
	Refused    int64 `json:"refused"`
	Duplicates int64 `json:"duplicates"`
	// Seconds runs from Run's start (the file's key, the run looked up or
	// started) until the last batch is committed and, for a tuned run,
	// synced (EndImportTuning's fsync): the store's opening before Run and
	// the catalogue's reload after the import are not in it.
	Seconds    float64 `json:"seconds"`
	RowsPerSec float64 `json:"rows_per_second"` // Rows / Seconds
	// The whole file, over every resumption.
	Total struct {
		Lines      int64   `json:"lines"`
		Imported   int64   `json:"imported"`
		Refused    int64   `json:"refused"`
		Duplicates int64   `json:"duplicates"`
		Seconds    float64 `json:"seconds"`
	} `json:"total"`
	RefusedBy  map[string]int64                 `json:"refused_by"`
	Examples   map[string][]store.ImportRefusal `json:"examples"`
	Categories int                              `json:"categories_created"`
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// fileKey identifies a file for resumption: kind, source, size and the
// hash of its first MiB.
func fileKey(kind, source, path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00", kind, source, st.Size())
	if _, err := io.CopyN(h, f, 1<<20); err != nil && !errors.Is(err, io.EOF) {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), st.Size(), nil
}

// batch is what the reader hands the writer.
type batch struct {
	b    store.ImportBatch
	cats []org.Category // categories first seen in this batch
	rows int64
	err  error
}

// Run imports a file into the store behind c. It resumes an interrupted
// run of the same file, and does nothing for a file already imported.
// Cancelling ctx stops it between batches: what is committed stays, and a
// re-run continues from there.
func Run(ctx context.Context, c *core.Core, opts Options) (Report, error) {
	start := time.Now()
	rep := Report{File: opts.Path, Kind: opts.Kind, Source: opts.Source}
	if rep.Source == "" {
		if opts.Kind == KindCSV && opts.Mapping != nil {
			rep.Source = opts.Mapping.Source
		} else {
			rep.Source = KindOpen311
		}
	}
	if opts.Kind != KindOpen311 && opts.Kind != KindCSV {
		return rep, fmt.Errorf("import: unknown kind %q", opts.Kind)
	}
	if opts.Kind == KindCSV && opts.Mapping == nil {
		return rep, errors.New("import csv: a mapping is required")
	}
	if opts.Batch <= 0 {
		opts.Batch = DefaultBatch
	}
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	opts.Window = max(opts.Window, opts.Batch) // a batch never spans windows
	if opts.Examples <= 0 {
		opts.Examples = 5
	}
	prefix := Slug(rep.Source)
	endTuning := func() error { return nil }
	key, size, err := fileKey(opts.Kind, rep.Source, opts.Path)
	if err != nil {
		return rep, err
	}
	st := c.St
	run, found, err := st.ImportRunByKey(ctx, key)
	if err != nil {
		return rep, err
	}
	if found && !run.FinishedAt.IsZero() {
		rep.Already = true
		return rep, finishReport(ctx, st.Queries, &rep, run, opts.Examples)
	}
	if found {
		rep.Resumed, rep.From = true, run.Line
	} else {
		abs, _ := filepath.Abs(opts.Path)
		run = store.ImportRun{FileKey: key, Kind: opts.Kind, Source: rep.Source, File: abs, WindowRows: int64(opts.Window), StartedAt: c.Now()}
		err := st.Write(ctx, func(tx *store.Tx) error {
			run.ID = 0
			if err := tx.StartImportRun(ctx, &run); err != nil {
				return err
			}
			// The parent of the source's categories.
			if _, ok := c.Category(prefix); ok {
				return nil
			}
			return tx.UpsertCategory(ctx, org.Category{Code: prefix, NameZH: rep.Source, NameEN: rep.Source, Urgency: "general", Active: true})
		})
		if err != nil {
			return rep, err
		}
	}
	rep.RunID = run.ID
	if run.WindowRows <= 0 { // a run started before the windows
		run.WindowRows = int64(opts.Window)
	}
	if opts.Tune {
		if err := st.TuneForImport(ctx); err != nil {
			return rep, err
		}
		// On every way out, also an error's or a cancellation's: what was
		// committed is synced before Run returns.
		tuned := true
		defer func() {
			if tuned {
				st.EndImportTuning(context.Background(), run.ID)
			}
		}()
		endTuning = func() error {
			tuned = false
			return st.EndImportTuning(ctx, run.ID)
		}
	}

	f, err := os.Open(opts.Path)
	if err != nil {
		return rep, err
	}
	defer f.Close()
	cr := &countingReader{r: f}
	br := bufio.NewReaderSize(cr, 1<<16)
	var in io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return rep, fmt.Errorf("%s: %w", opts.Path, err)
		}
		defer gz.Close()
		in = gz
	}
	var rd Reader
	if opts.Kind == KindOpen311 {
		rd = NewOpen311Reader(in, run.Line)
	} else if rd, err = NewCSVReader(in, opts.Mapping, run.Line); err != nil {
		return rep, err
	}

	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan batch, 1)
	go produce(rctx, rd, c, prefix, rep.Source, opts.Batch, window{size: run.WindowRows, start: run.Line, done: run.WindowDone}, batches)

	known := map[string]bool{}
	check := false // look ids up before writing (see store.ImportBatch.Check)
	last := time.Now()
	n := 0
	var runErr error
	for bt := range batches {
		if bt.err != nil {
			runErr = bt.err
			break
		}
		if ctx.Err() != nil {
			runErr = ctx.Err()
			break
		}
		n++
		now := time.Now()
		bt.b.Elapsed, bt.b.Loc, bt.b.Now = now.Sub(last), c.Location(), c.Now()
		var res store.ImportBatchResult
		var newCats []org.Category
		for _, cat := range bt.cats {
			if _, ok := c.Category(cat.Code); !ok && !known[cat.Code] {
				newCats = append(newCats, cat)
			}
		}
		write := func() error {
			return st.Write(ctx, func(tx *store.Tx) error {
				for _, cat := range newCats {
					if err := tx.UpsertCategory(ctx, cat); err != nil {
						return err
					}
				}
				var err error
				if res, err = tx.WriteImportBatch(ctx, &run, bt.b); err != nil {
					return err
				}
				if opts.BatchHook != nil {
					return opts.BatchHook(n)
				}
				return nil
			})
		}
		bt.b.Check = check
		err := write()
		var e *errs.Error
		if !check && errors.As(err, &e) && e.Code == errs.Exists && e.Field == "external_id" {
			// Ids already in the store (another file of the same source,
			// or a repeat within the file): from now on each batch looks
			// its ids up first.
			check, bt.b.Check = true, true
			err = write()
		}
		if err != nil {
			runErr = err
			break
		}
		last = now
		for _, cat := range newCats {
			known[cat.Code] = true
		}
		rep.Categories += len(newCats)
		rep.Rows += bt.rows
		rep.Imported += res.Imported
		rep.Duplicates += res.Duplicates
		rep.Refused += int64(len(bt.b.Refusals))
		if opts.Progress != nil {
			opts.Progress(Progress{Rows: rep.Rows, Imported: rep.Imported, Refused: rep.Refused, Duplicates: rep.Duplicates,
				Bytes: cr.n.Load(), Total: size, Elapsed: time.Since(start)})
		}
	}
	cancel()
	for range batches { // let the reader end
	}
	seconds := func() {
		rep.Seconds = time.Since(start).Seconds()
		if rep.Seconds > 0 {
			rep.RowsPerSec = float64(rep.Rows) / rep.Seconds
		}
	}
	if runErr != nil {
		seconds()
		return rep, runErr
	}
	// The batches made durable first (a tuned run's one fsync): that is
	// part of the import's time.
	if err := endTuning(); err != nil {
		seconds()
		return rep, err
	}
	seconds()
	if len(known) > 0 && !opts.NoReload {
		if err := c.Reload(ctx); err != nil {
			return rep, err
		}
	}
	// The report is read back through the writer, which has the pages in
	// its cache: the first read of a pooled connection after so many
	// commits would first empty its own stale cache, page by page.
	if err := st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.FinishImportRun(ctx, run.ID, c.Now(), time.Since(last)); err != nil {
			return err
		}
		run, _, err = tx.ImportRunByKey(ctx, key)
		if err != nil {
			return err
		}
		return finishReport(ctx, tx.Queries, &rep, run, opts.Examples)
	}); err != nil {
		return rep, err
	}
	if opts.Progress != nil {
		opts.Progress(Progress{Rows: rep.Rows, Imported: rep.Imported, Refused: rep.Refused, Duplicates: rep.Duplicates,
			Bytes: size, Total: size, Elapsed: time.Since(start), Done: true})
	}
	return rep, nil
}

func finishReport(ctx context.Context, q store.Queries, rep *Report, run store.ImportRun, examples int) error {
	rep.RunID = run.ID
	rep.Total.Lines, rep.Total.Imported, rep.Total.Refused, rep.Total.Duplicates = run.Line, run.Imported, run.Refused, run.Duplicates
	rep.Total.Seconds = run.Elapsed.Seconds()
	var err error
	rep.RefusedBy, rep.Examples, err = q.ImportRefusalSummary(ctx, run.ID, examples)
	return err
}

// window is where the reader starts: the window of size records after
// line start, done of whose sorted rows are already committed.
type window struct{ size, start, done int64 }

// produce reads the file a window at a time, sorts each window's rows by
// creation time (stably: ties keep the file's order) and hands them on in
// batches of size. Every batch but a window's last carries the window's
// start as its position and how many sorted rows are committed with it;
// the last carries the window's end. A window's refusals go with its first
// batch (and are not repeated when a resumed run skips that batch). It
// ends when the file does, at the first error, or when ctx is done.
func produce(ctx context.Context, rd Reader, c *core.Core, prefix, source string, size int, w window, out chan<- batch) {
	defer close(out)
	seen := map[string]bool{} // categories already handed on
	send := func(b batch) bool { return sendCtx(ctx, out, b) }
	// The next window is read while this one's batches are made.
	wins := make(chan windowRead, 1)
	go readWindows(ctx, rd, w, wins)
	defer func() {
		for range wins { // the reader ends with ctx
		}
	}()
	skip := w.done
	for win := range wins {
		if win.err != nil {
			send(batch{err: win.err})
			return
		}
		rows, refusals, start, end := win.rows, win.refusals, win.start, win.end
		if skip > int64(len(rows)) {
			send(batch{err: fmt.Errorf("line %d: the run's position (%d rows of a window of %d) does not match the file", start, skip, len(rows))})
			return
		}
		first := skip == 0
		for i := skip; first || i < int64(len(rows)); {
			cur := batch{b: store.ImportBatch{Line: start, WindowRows: w.size}}
			if first {
				cur.b.Refusals, cur.rows, first = refusals, int64(len(refusals)), false
			}
			for ; i < int64(len(rows)) && len(cur.b.Cases) < size; i++ {
				r := rows[i]
				cat := CategoryOf(prefix, r.row)
				if !seen[cat.Code] {
					seen[cat.Code] = true
					cur.cats = append(cur.cats, cat)
				}
				ic, err := Convert(r.row, cat.Code, source, c)
				if err == nil {
					inZone(&ic, c.Location())
					err = c.St.PrepareImport(&ic)
				}
				if err != nil {
					send(batch{err: fmt.Errorf("line %d: %w", r.line, err)})
					return
				}
				cur.b.Cases = append(cur.b.Cases, ic)
				cur.rows++
			}
			if i < int64(len(rows)) {
				cur.b.WindowDone = i
			} else {
				cur.b.Line = end // the window is whole
			}
			if !send(cur) {
				return
			}
		}
		skip = 0
	}
}

// read is a row and the line it ends on.
type read struct {
	row  Row
	line int64
}

// windowRead is a window as read: its rows sorted by creation time, its
// refusals, the lines it starts after and ends on; err ends the reading.
type windowRead struct {
	rows       []read
	refusals   []store.ImportRefusal
	start, end int64
	err        error
}

// windowText bounds a window's memory: a window also ends after the
// record that brings its rows' texts to this many bytes (a file of long
// descriptions), which, like the count, depends only on the file from the
// window's start on, so a resumed run reads the same window again.
var windowText = 64 << 20

// readWindows reads the file a window of w.size records (or windowText
// bytes of text) at a time from line w.start, until it ends, at the first
// error, or when ctx is done.
func readWindows(ctx context.Context, rd Reader, w window, out chan<- windowRead) {
	defer close(out)
	send := func(win windowRead) bool { return sendCtx(ctx, out, win) }
	start := w.start
	for {
		win := windowRead{start: start, end: start}
		n, text, eof := int64(0), 0, false
		for n < w.size && text < windowText {
			if ctx.Err() != nil {
				return
			}
			row, line, err := rd.Next()
			if errors.Is(err, io.EOF) {
				eof = true
				break
			}
			var bad *Refusal
			switch {
			case errors.As(err, &bad):
				win.refusals = append(win.refusals, store.ImportRefusal{Line: line, Reason: bad.Reason, ExternalID: row.ExternalID, Detail: clip(bad.Detail, 300)})
			case err != nil:
				send(windowRead{err: fmt.Errorf("line %d: %w", line, err)})
				return
			default:
				win.rows = append(win.rows, read{row, line})
				text += len(row.Title) + len(row.Description) + len(row.Address)
			}
			win.end = line
			n++
		}
		if n == 0 {
			return
		}
		sort.SliceStable(win.rows, func(i, j int) bool { return win.rows[i].row.Created.Before(win.rows[j].row.Created) })
		if !send(win) || eof {
			return
		}
		start = win.end
	}
}

// SortedReasons lists a report's refusal reasons, most frequent first.
func (r Report) SortedReasons() []string {
	var out []string
	for k := range r.RefusedBy {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if r.RefusedBy[out[i]] != r.RefusedBy[out[j]] {
			return r.RefusedBy[out[i]] > r.RefusedBy[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}

// inZone puts a case's times in the city's zone, as the intake's are (the
// instants stay).
func inZone(ic *store.ImportCase, loc *time.Location) {
	cs := &ic.Case
	for _, t := range []*time.Time{&cs.CreatedAt, &cs.ReceivedAt, &cs.UpdatedAt, &cs.ClosedAt} {
		if !t.IsZero() {
			*t = t.In(loc)
		}
	}
	for i := range ic.Events {
		ic.Events[i].At = ic.Events[i].At.In(loc)
	}
}

// sendCtx sends v on out unless ctx ends first (false).
func sendCtx[T any](ctx context.Context, out chan<- T, v T) bool {
	select {
	case out <- v:
		return true
	case <-ctx.Done():
		return false
	}
}
