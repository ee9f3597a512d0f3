package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"whistle/internal/lifecycle"
)

// Imports of another system's history (whistle import): a bulk path that
// writes what the pages and the analysis read — the case rows, their
// initial events, the import keys and the daily rollups — in multi-row
// statements, one transaction per batch together with the run's resume
// position and its refusals. It never runs the intake rules: imported
// cases carry no timers and no deadlines (they are history), and are
// marked imported by their import_keys row.

// ImportRun is one run of an import over one file.
type ImportRun struct {
	ID      int64
	FileKey string
	Kind    string // open311, csv
	Source  string // the source system: import keys are unique within it
	File    string
	Line    int64 // resume position: every line up to it is committed
	// The importer sorts rows by creation time in windows of WindowRows
	// records after Line; WindowDone of the window's sorted rows are
	// committed (0 when Line ends a window).
	WindowRows int64
	WindowDone int64
	Imported   int64
	Refused    int64
	Duplicates int64
	StartedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt time.Time
	Elapsed    time.Duration // time spent importing, summed over resumptions
}

// ImportRefusal is a refused row: its line, reason code and the detail.
type ImportRefusal struct {
	Line       int64  `json:"line"`
	Reason     string `json:"reason"`
	ExternalID string `json:"external_id,omitempty"`
	Detail     string `json:"detail,omitempty"`
}

// ImportCase is one request to import: a case without id or number (the
// batch gives both), its source id and the events of its history (seq,
// case and id are set by the batch).
type ImportCase struct {
	ExternalID string
	Case       lifecycle.Case
	Events     []lifecycle.Event

	// Encoded ahead of the write by PrepareImport (on the caller's
	// goroutine, not the single writer's): the case's document around its
	// number (sealed texts in place), and the events' documents.
	docHead, docTail string
	evDocs           []string
	prepared         bool
}

// PrepareImport encodes an imported case's document (with its texts
// sealed, as the store seals them) and its events' ahead of the write:
// the writer only puts the number in. Safe for concurrent use.
func (q Queries) PrepareImport(ic *ImportCase) error {
	c := ic.Case
	c.EventSeq = len(ic.Events)
	c.Number = numberPlaceholder
	doc, err := q.caseDoc(&c)
	if err != nil {
		return err
	}
	ph, _ := json.Marshal(numberPlaceholder)
	head, tail, ok := strings.Cut(doc, string(ph))
	if !ok {
		return fmt.Errorf("store: imported case document without its number placeholder")
	}
	ic.docHead, ic.docTail = head, tail
	ic.evDocs = make([]string, len(ic.Events))
	for i := range ic.Events {
		if i > 0 && sameEventDoc(&ic.Events[i-1], &ic.Events[i]) {
			// A closed request's close event says what its create event
			// says (the importer's actor and the same source map): the
			// same document, sealed once.
			ic.evDocs[i] = ic.evDocs[i-1]
			continue
		}
		ed, err := EncodeEvent(&ic.Events[i])
		if err != nil {
			return err
		}
		if ic.evDocs[i], err = q.eventDoc(ed); err != nil {
			return err
		}
	}
	ic.prepared = true
	return nil
}

// sameEventDoc reports whether two events have the same document: the
// same actor, note and attachments, and data that is the same map (or none).
func sameEventDoc(a, b *lifecycle.Event) bool {
	if a.ActorName != b.ActorName || a.ActorRole != b.ActorRole || a.Note != b.Note || len(a.Attachments) > 0 || len(b.Attachments) > 0 {
		return false
	}
	if len(a.Data) == 0 || len(b.Data) == 0 {
		return len(a.Data) == 0 && len(b.Data) == 0
	}
	return reflect.ValueOf(a.Data).UnsafePointer() == reflect.ValueOf(b.Data).UnsafePointer()
}

// ImportBatch is what one transaction commits: the cases, the refusals,
// the rows that were duplicates (counted), and the position reached.
type ImportBatch struct {
	Cases      []ImportCase
	Refusals   []ImportRefusal
	Duplicates int64 // rows skipped before the store (same id twice in the file)
	// Check looks the batch's ids up first and skips those already in (and
	// repeats within the batch). Without it a batch that repeats an id fails
	// with errs.Exists (field external_id), to be run again with Check: the
	// fast path for a source new to the store.
	Check bool
	Line  int64 // resume position after this batch
	// The sort window the batch belongs to (ImportRun.WindowRows) and how
	// many of its sorted rows are committed with this batch: 0 when the
	// batch ends the window (Line is then the window's end).
	WindowRows, WindowDone int64
	Elapsed                time.Duration
	Loc                    *time.Location // for case numbers (YYYYMMDD in the city's zone)
	Now                    time.Time
}

// ImportBatchResult counts what a batch did.
type ImportBatchResult struct {
	Imported   int64
	Duplicates int64 // already in the store under the same (source, id)
}

const importRunCols = "id, file_key, kind, source, file, line, window_rows, window_done, imported, refused, duplicates, started_at, updated_at, finished_at, elapsed_ms"

func scanImportRun(sc interface{ Scan(...any) error }) (ImportRun, error) {
	var r ImportRun
	var started, updated, finished, elapsed int64
	err := sc.Scan(&r.ID, &r.FileKey, &r.Kind, &r.Source, &r.File, &r.Line, &r.WindowRows, &r.WindowDone, &r.Imported, &r.Refused, &r.Duplicates, &started, &updated, &finished, &elapsed)
	r.StartedAt, r.UpdatedAt = fromMS(started), fromMS(updated)
	if finished > 0 {
		r.FinishedAt = fromMS(finished)
	}
	r.Elapsed = time.Duration(elapsed) * time.Millisecond
	return r, err
}

// ImportRunByKey returns the run of a file key; found is false when the
// file was never imported.
func (q Queries) ImportRunByKey(ctx context.Context, fileKey string) (ImportRun, bool, error) {
	r, err := scanImportRun(q.row(ctx, "SELECT "+importRunCols+" FROM import_runs WHERE file_key = ?", fileKey))
	if errors.Is(err, sql.ErrNoRows) {
		return ImportRun{}, false, nil
	}
	return r, err == nil, err
}

// StartImportRun stores a new run and sets r.ID.
func (q Queries) StartImportRun(ctx context.Context, r *ImportRun) error {
	return q.row(ctx, "INSERT INTO import_runs(file_key, kind, source, file, window_rows, started_at, updated_at) VALUES (?,?,?,?,?,?,?) RETURNING id",
		r.FileKey, r.Kind, r.Source, r.File, r.WindowRows, ms(r.StartedAt), ms(r.StartedAt)).Scan(&r.ID)
}

// FinishImportRun marks a run finished.
func (q Queries) FinishImportRun(ctx context.Context, id int64, at time.Time, elapsed time.Duration) error {
	_, err := q.exec(ctx, "UPDATE import_runs SET finished_at = ?, updated_at = ?, elapsed_ms = elapsed_ms + ? WHERE id = ?", ms(at), ms(at), elapsed.Milliseconds(), id)
	return err
}

// ImportRefusalSummary counts a run's refusals by reason, with the first
// examples (by line) of each.
func (q Queries) ImportRefusalSummary(ctx context.Context, runID int64, examples int) (map[string]int64, map[string][]ImportRefusal, error) {
	counts := map[string]int64{}
	rows, err := q.query(ctx, "SELECT reason, COUNT(*) FROM import_refusals WHERE run_id = ? GROUP BY reason", runID)
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var r string
		var n int64
		if err := rows.Scan(&r, &n); err != nil {
			rows.Close()
			return nil, nil, err
		}
		counts[r] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	ex := map[string][]ImportRefusal{}
	for reason := range counts {
		rows, err := q.query(ctx, "SELECT line, reason, external_id, detail FROM import_refusals WHERE run_id = ? AND reason = ? ORDER BY line LIMIT ?", runID, reason, examples)
		if err != nil {
			return nil, nil, err
		}
		for rows.Next() {
			var f ImportRefusal
			if err := rows.Scan(&f.Line, &f.Reason, &f.ExternalID, &f.Detail); err != nil {
				rows.Close()
				return nil, nil, err
			}
			ex[reason] = append(ex[reason], f)
		}
		rows.Close()
	}
	return counts, ex, nil
}

// ImportedCaseID returns the case a source id was imported as (0 if none).
func (q Queries) ImportedCaseID(ctx context.Context, source, externalID string) (int64, error) {
	var id int64
	err := q.row(ctx, "SELECT case_id FROM import_keys WHERE source = ? AND external_id = ?", source, externalID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// importChunk is how many rows one multi-row INSERT carries (29 parameters
// a case: under both dialects' limits).
var importChunk = 100

// WriteImportBatch commits one batch of a run: the cases that are new
// under (source, external id) with their events, keys and rollups, the
// refusals, and the run's position and counts. Run it in one write
// transaction: nothing of a batch is visible without the rest.
func (q Queries) WriteImportBatch(ctx context.Context, run *ImportRun, b ImportBatch) (ImportBatchResult, error) {
	var res ImportBatchResult
	cases := b.Cases
	if b.Check {
		var err error
		if cases, err = q.newImports(ctx, run.Source, b.Cases); err != nil {
			return res, err
		}
	}
	res.Duplicates = int64(len(b.Cases)-len(cases)) + b.Duplicates
	if len(cases) > 0 {
		if err := q.insertImported(ctx, run.Source, cases, b.Loc); err != nil {
			return res, err
		}
	}
	res.Imported = int64(len(cases))
	for _, f := range b.Refusals {
		if _, err := q.exec(ctx, "INSERT INTO import_refusals(run_id, line, reason, external_id, detail) VALUES (?,?,?,?,?) ON CONFLICT (run_id, line) DO NOTHING",
			run.ID, f.Line, f.Reason, f.ExternalID, f.Detail); err != nil {
			return res, err
		}
	}
	_, err := q.exec(ctx, "UPDATE import_runs SET line = ?, window_rows = ?, window_done = ?, imported = imported + ?, refused = refused + ?, duplicates = duplicates + ?, updated_at = ?, elapsed_ms = elapsed_ms + ? WHERE id = ?",
		b.Line, b.WindowRows, b.WindowDone, res.Imported, len(b.Refusals), res.Duplicates, ms(b.Now), b.Elapsed.Milliseconds(), run.ID)
	return res, err
}

// newImports drops the cases already imported under the same source (and
// repeats within the batch).
func (q Queries) newImports(ctx context.Context, source string, cs []ImportCase) ([]ImportCase, error) {
	have := map[string]bool{}
	for lo := 0; lo < len(cs); lo += 500 {
		hi := min(lo+500, len(cs))
		args := []any{source}
		for _, c := range cs[lo:hi] {
			args = append(args, c.ExternalID)
		}
		rows, err := q.query(ctx, "SELECT external_id FROM import_keys WHERE source = ? AND external_id IN ("+marks(hi-lo)+")", args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			have[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	out := cs[:0:0]
	for _, c := range cs {
		if !have[c.ExternalID] {
			have[c.ExternalID] = true
			out = append(out, c)
		}
	}
	return out, nil
}

// reserveIDs returns n new ids of a table: on SQLite after the largest
// (the single writer holds the only write transaction), on PostgreSQL from
// the table's identity sequence, as concurrent inserts take theirs.
func (q Queries) reserveIDs(ctx context.Context, table string, n int) ([]int64, error) {
	out := make([]int64, 0, n)
	if q.dialect == Postgres {
		rows, err := q.query(ctx, "SELECT nextval(pg_get_serial_sequence('"+table+"', 'id')) FROM generate_series(1, ?)", n)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return nil, err
			}
			out = append(out, id)
		}
		return out, rows.Err()
	}
	var max int64
	if err := q.row(ctx, "SELECT COALESCE(MAX(id), 0) FROM "+table).Scan(&max); err != nil {
		return nil, err
	}
	for i := 1; i <= n; i++ {
		out = append(out, max+int64(i))
	}
	return out, nil
}

// reserveNumbers returns n case numbers of a day (YYYYMMDD).
func (q Queries) reserveNumbers(ctx context.Context, day string, n int) ([]string, error) {
	if !validDay(day) {
		return nil, fmt.Errorf("store: bad day %q", day)
	}
	out := make([]string, 0, n)
	if q.dialect == Postgres {
		if err := q.num.ensure(ctx, day); err != nil {
			return nil, err
		}
		rows, err := q.query(ctx, "SELECT nextval('case_no_"+day+"') FROM generate_series(1, ?)", n)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var k int64
			if err := rows.Scan(&k); err != nil {
				return nil, err
			}
			out = append(out, fmt.Sprintf("%s%05d", day, k))
		}
		return out, rows.Err()
	}
	var last int64
	if err := q.row(ctx, "INSERT INTO day_seq(day, n) VALUES (?, ?) ON CONFLICT(day) DO UPDATE SET n = day_seq.n + excluded.n RETURNING n", day, n).Scan(&last); err != nil {
		return nil, err
	}
	for k := last - int64(n) + 1; k <= last; k++ {
		out = append(out, fmt.Sprintf("%s%05d", day, k))
	}
	return out, nil
}

// insertImported writes new cases with their events, keys and rollups.
func (q Queries) insertImported(ctx context.Context, source string, cs []ImportCase, loc *time.Location) error {
	if loc == nil {
		loc = time.UTC
	}
	ids, err := q.reserveIDs(ctx, "cases", len(cs))
	if err != nil {
		return err
	}
	nEvents := 0
	byDay := map[string][]int{}
	var days []string
	for i := range cs {
		nEvents += len(cs[i].Events)
		day := cs[i].Case.CreatedAt.In(loc).Format("20060102")
		if _, ok := byDay[day]; !ok {
			days = append(days, day)
		}
		byDay[day] = append(byDay[day], i)
	}
	for _, day := range days {
		nums, err := q.reserveNumbers(ctx, day, len(byDay[day]))
		if err != nil {
			return err
		}
		for k, i := range byDay[day] {
			cs[i].Case.Number = nums[k]
		}
	}
	eventIDs, err := q.reserveIDs(ctx, "events", nEvents)
	if err != nil {
		return err
	}
	// On SQLite the cases and keys go in with OR FAIL and without the
	// cases' ids: a multi-row INSERT that may abort half-way (the default
	// ABORT on a constraint, or an explicit INTEGER PRIMARY KEY, which
	// SQLite checks is an integer) runs in a statement journal, a copy of
	// every page it first touches — 13 % of the writer's time. FAIL stops
	// at the failing row without undoing the statement's earlier rows,
	// which is enough: any error rolls the whole batch back (the write
	// fails, and the writer undoes its transaction or savepoint). Without
	// their ids the cases get the rowids SQLite gives, max + 1 on, which
	// are those reserveIDs reserved (the single writer holds the only
	// write transaction); the last one is checked all the same. The events
	// go in the same way when foreign keys are off (a tuned import,
	// TuneForImport); with them on, their key makes a multi-row INSERT of
	// them take the statement journal whatever else is done, and they keep
	// their ids.
	insertOrFail := "INSERT INTO "
	if q.dialect == SQLite {
		insertOrFail = "INSERT OR FAIL INTO "
	}
	daily := map[DailyRow]int{} // key (counts zeroed) → index in rows
	var rows []DailyRow
	caseArgs := make([]any, 0, importChunk*29)
	evArgs := make([]any, 0, importChunk*2*11)
	keyArgs := make([]any, 0, importChunk*3)
	nCase, nEv := 0, 0
	var lastID, lastEv int64
	noFK := false
	if q.dialect == SQLite {
		var fk int
		if err := q.row(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
			return err
		}
		noFK = fk == 0
	}
	// Cases go first (events refer to them), both every importChunk cases.
	flush := func(force bool) error {
		if nCase == 0 || (!force && nCase < importChunk) {
			return nil
		}
		if q.dialect == SQLite {
			res, err := q.exec(ctx, insertOrFail+"cases("+caseInsertCols+") VALUES "+rowMarks(28, nCase), caseArgs...)
			if err != nil {
				return uniq(err, "number")
			}
			if last, err := res.LastInsertId(); err != nil || last != lastID {
				return fmt.Errorf("store: imported cases numbered %d, not %d (%v)", last, lastID, err)
			}
		} else if _, err := q.exec(ctx, insertOrFail+"cases(id, "+caseInsertCols+") VALUES "+rowMarks(29, nCase), caseArgs...); err != nil {
			return uniq(err, "number")
		}
		if _, err := q.exec(ctx, insertOrFail+"import_keys(source, external_id, case_id) VALUES "+rowMarks(3, nCase), keyArgs...); err != nil {
			return uniq(err, "external_id")
		}
		if nEv > 0 && noFK {
			res, err := q.exec(ctx, "INSERT OR FAIL INTO events(case_id, seq, action, from_state, to_state, actor_user_id, actor_unit_id, at, doc, seal_key) VALUES "+rowMarks(10, nEv), evArgs...)
			if err != nil {
				return err
			}
			if last, err := res.LastInsertId(); err != nil || last != lastEv {
				return fmt.Errorf("store: imported events numbered %d, not %d (%v)", last, lastEv, err)
			}
		} else if nEv > 0 {
			if _, err := q.exec(ctx, "INSERT INTO events(id, case_id, seq, action, from_state, to_state, actor_user_id, actor_unit_id, at, doc, seal_key) VALUES "+rowMarks(11, nEv), evArgs...); err != nil {
				return err
			}
		}
		caseArgs, keyArgs, evArgs, nCase, nEv = caseArgs[:0], keyArgs[:0], evArgs[:0], 0, 0
		return nil
	}
	ev := 0
	for i := range cs {
		c := &cs[i].Case
		c.ID = ids[i]
		c.EventSeq = len(cs[i].Events)
		if !cs[i].prepared {
			if err := q.PrepareImport(&cs[i]); err != nil {
				return err
			}
		}
		num, _ := json.Marshal(c.Number)
		if q.dialect != SQLite {
			caseArgs = append(caseArgs, c.ID)
		}
		caseArgs = append(caseArgs, q.caseArgsDoc(c, cs[i].docHead+string(num)+cs[i].docTail)...)
		lastID = c.ID
		keyArgs = append(keyArgs, source, cs[i].ExternalID, c.ID)
		nCase++
		for j := range cs[i].Events {
			e := &cs[i].Events[j]
			e.ID, e.CaseID, e.Seq = eventIDs[ev], c.ID, j+1
			ev++
			doc := cs[i].evDocs[j]
			if !noFK {
				evArgs = append(evArgs, e.ID)
			}
			lastEv = e.ID
			evArgs = append(evArgs, e.CaseID, e.Seq, string(e.Action), string(e.FromState), string(e.ToState), e.ActorUserID, e.ActorUnitID, ms(e.At), doc, q.sealKey())
			nEv++
		}
		r := DailyOf(c)
		k := r
		k.N, k.Reopened, k.Rated, k.Unsatisfied, k.Resolved = 0, 0, 0, 0, 0
		if at, ok := daily[k]; ok {
			p := &rows[at]
			p.N, p.Reopened, p.Rated, p.Unsatisfied, p.Resolved = p.N+r.N, p.Reopened+r.Reopened, p.Rated+r.Rated, p.Unsatisfied+r.Unsatisfied, p.Resolved+r.Resolved
		} else {
			daily[k] = len(rows)
			rows = append(rows, r)
		}
		if err := flush(false); err != nil {
			return err
		}
	}
	if err := flush(true); err != nil {
		return err
	}
	return q.InsertDailyRows(ctx, rows)
}

// rowMarks is "(?,…),(?,…)" for n rows of k columns.
func rowMarks(k, n int) string {
	one := "(" + marks(k) + ")"
	return strings.TrimSuffix(strings.Repeat(one+",", n), ",")
}

// TuneForImport readies SQLite's writer connection for an import by a
// process whose writes are the import's alone (whistle import; nothing on
// PostgreSQL): the batches are committed with synchronous=NORMAL — in WAL mode a commit is then written
// but not fsynced, and the WAL is synced at checkpoints. A process crash
// loses nothing (the frames are in the file); a power cut may lose the last
// batches whole, never a part of one (the WAL's checksums end the log at
// the last complete commit), and the run's position went with them, so a
// re-run imports them again. The store is never corrupted. Foreign keys
// are also off on that connection while the import runs: a batch writes
// its cases and then the events that refer to them, with ids it reserved
// itself and checks (insertImported), and an enforced key would make
// each multi-row INSERT of events run in a statement journal, 9 % of an
// import's time. EndImportTuning puts the store's own settings back.
// These settings belong to this process's
// writer connection: another process serving the same file keeps its own,
// and its fsynced commits make every frame before them durable too.
func (s *Store) TuneForImport(ctx context.Context) error {
	if s.dialect != SQLite {
		return nil
	}
	return s.writerPragma(ctx, "PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = OFF", fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", importAutoCheckpoint))
}

// importAutoCheckpoint is the tuned writer's wal_autocheckpoint: an import's
// large commits copy the WAL into the database themselves every 20,000
// frames, as before issue #14's catch-up checkpoints. No request waits
// behind an import's commit, and the import keeps the WAL it was measured
// with (docs/IMPORT.md; the Boston Open311 file imports as fast as before,
// docs/BENCHMARKS.md).
const importAutoCheckpoint = 20000

// writerPragma runs pragmas on SQLite's one writer connection, outside a
// transaction (synchronous cannot change inside one): the connection pool
// of the writer holds that one connection, which database/sql hands out
// between the writer's batches.
func (s *Store) writerPragma(ctx context.Context, pragmas ...string) error {
	conn, err := s.writeDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, p := range pragmas {
		if _, err := conn.ExecContext(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// EndImportTuning puts the writer's synchronous setting back to the
// store's (Options.SQLiteSync) and then commits a touch of the import
// run's row under it: with synchronous=FULL that commit fsyncs the WAL,
// and with it every batch committed before, so that when the import
// returns its work is as durable as any other write.
func (s *Store) EndImportTuning(ctx context.Context, runID int64) error {
	if s.dialect != SQLite {
		return nil
	}
	mode := "FULL"
	if strings.EqualFold(s.opts.SQLiteSync, "normal") {
		mode = "NORMAL"
	}
	if err := s.writerPragma(ctx, "PRAGMA synchronous = "+mode, "PRAGMA foreign_keys = ON", fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", walAutoCheckpoint)); err != nil {
		return err
	}
	return s.Write(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, "UPDATE import_runs SET updated_at = updated_at WHERE id = ?", runID)
		return err
	})
}

// WriterSynchronous reports the writer connection's synchronous setting
// (SQLite: 1 NORMAL, 2 FULL; PostgreSQL: -1).
func (s *Store) WriterSynchronous(ctx context.Context) (int, error) {
	if s.dialect != SQLite {
		return -1, nil
	}
	return s.writerPragmaValue(ctx, "synchronous")
}

// WriterAutoCheckpoint reports SQLite's writer connection's
// wal_autocheckpoint (frames; PostgreSQL: -1).
func (s *Store) WriterAutoCheckpoint(ctx context.Context) (int, error) {
	if s.dialect != SQLite {
		return -1, nil
	}
	return s.writerPragmaValue(ctx, "wal_autocheckpoint")
}

// WriterForeignKeys reports whether SQLite's writer connection enforces
// foreign keys (off only while a tuned import runs; PostgreSQL: always).
func (s *Store) WriterForeignKeys(ctx context.Context) (bool, error) {
	if s.dialect != SQLite {
		return true, nil
	}
	v, err := s.writerPragmaValue(ctx, "foreign_keys")
	return v == 1, err
}

// writerPragmaValue reads a pragma's value on SQLite's writer connection.
func (s *Store) writerPragmaValue(ctx context.Context, name string) (int, error) {
	conn, err := s.writeDB.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	var v int
	err = conn.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v)
	return v, err
}
