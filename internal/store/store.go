// Package store is Whistle's storage seam: one Store type over two SQL
// dialects, SQLite (modernc.org/sqlite, the default) and PostgreSQL (pgx).
// Queries are written once with ? placeholders and rebound for PostgreSQL;
// schemas are versioned, embedded migrations per dialect. Times are Unix
// milliseconds in both.
//
// Writes go through Store.Write. On SQLite a single writer goroutine owns
// the one write connection and commits concurrent writes together (group
// commit): the writes of a batch run straight in one shared transaction
// and one fsync acknowledges them all; when one fails, the batch runs again
// without it, each write in a SAVEPOINT of its own, so a failing write
// rolls back alone. On PostgreSQL each Write is its own
// transaction and rows are locked with SELECT … FOR UPDATE.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "modernc.org/sqlite"           // SQLite driver "sqlite"

	"whistle/internal/errs"
	"whistle/internal/sealed"
)

//go:embed migrations
var migrations embed.FS

// Dialect is the SQL dialect of a Store.
type Dialect int

// Dialects.
const (
	SQLite Dialect = iota
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// Options tune a Store.
type Options struct {
	// SQLiteSync is the SQLite synchronous setting: "full" (default: every
	// acknowledged commit is fsynced, survives power loss) or "normal"
	// (survives a process crash, may lose the last commits on power loss).
	SQLiteSync string
	// MaxBatch bounds how many writes share one SQLite commit (default 512).
	MaxBatch int
	// ReadConns is the size of the SQLite read pool (default 8).
	ReadConns int
	Logger    *slog.Logger
	// Keys seal the citizens' personal data at rest (sealing.go). Nil
	// stores it in clear: for tests only; the application always sets it.
	Keys *sealed.Ring
	// AnalysisDSN, for a PostgreSQL store, is a read-only copy of it (a
	// streaming replica) that serves Store.Analysis: the long reads of
	// analyses and exports, kept off the primary. Empty: the primary.
	AnalysisDSN string
}

// Store is the database. It is safe for concurrent use.
type Store struct {
	Queries // reads from the read pool
	// Analysis runs the long reads of analyses and exports: on the
	// replica of Options.AnalysisDSN (in read-only transactions), or the
	// same read pool as Queries.
	Analysis   Queries
	analysisDB *sql.DB
	reads      *stmtCache // SQLite: the read pool's prepared statements
	dialect    Dialect
	writeDB    *sql.DB
	readDB     *sql.DB
	opts       Options
	log        *slog.Logger
	num        *numbering
	ckptDB     *sql.DB
	ckptDone   chan struct{}
	// walGate is held by the SQLite writer while it runs a group and by
	// the checkpointer for its catch-up pass (checkpointOnce).
	walGate sync.Mutex
	// ckptLast is the WAL length the checkpointer's last pass saw;
	// ckptBackoff the passes left before it holds the writer again.
	ckptLast    atomic.Int64
	ckptBackoff atomic.Int64
	writes      chan *writeReq
	stop        chan struct{}
	done        chan struct{}
	closeMu     sync.Once
	// sendMu orders Write's enqueue before Close's stop: once closed is set
	// no request enters the queue, so none is left unanswered.
	sendMu sync.RWMutex
	closed bool
	// testQueued, set only by tests before they write, is called once a
	// write is in the SQLite writer's queue.
	testQueued func()
	ring       *sealed.Ring
	// wstmts are the SQLite writer's statements prepared on the writer
	// pool (its one connection) and reused by every batch through
	// Tx.StmtContext; wnew are the texts a batch prepared for itself that
	// are not among them yet. The writer goroutine alone uses both.
	wstmts map[string]*sql.Stmt
	wnew   []string
}

type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Queries runs the store's typed queries on either the read pool or a write
// transaction; Store and Tx both embed it.
type Queries struct {
	q       querier
	dialect Dialect
	inTx    bool
	num     *numbering
	ring    *sealed.Ring
}

// Tx is a write transaction handed to Write's function.
type Tx struct{ Queries }

// IsPostgres reports whether the store is PostgreSQL (for DSN strings).
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens (creating if needed) the database named by dsn: a postgres://
// URL, or a SQLite file path (optionally prefixed "sqlite:"), and applies
// pending migrations.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 512
	}
	if opts.ReadConns <= 0 {
		opts.ReadConns = 8
	}
	if opts.SQLiteSync == "" {
		opts.SQLiteSync = "full"
	}
	s := &Store{opts: opts, log: opts.Logger, ring: opts.Keys}
	var err error
	if IsPostgres(dsn) {
		s.dialect = Postgres
		s.writeDB, err = sql.Open("pgx", dsn)
		if err != nil {
			return nil, err
		}
		s.writeDB.SetMaxOpenConns(64)
		s.writeDB.SetMaxIdleConns(64)
		s.writeDB.SetConnMaxIdleTime(5 * time.Minute)
		s.readDB = s.writeDB
	} else {
		s.dialect = SQLite
		path := strings.TrimPrefix(dsn, "sqlite:")
		if path == "" {
			return nil, errors.New("store: empty SQLite path")
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, err
		}
		sync := "FULL"
		if strings.EqualFold(opts.SQLiteSync, "normal") {
			sync = "NORMAL"
		} else if !strings.EqualFold(opts.SQLiteSync, "full") {
			return nil, fmt.Errorf("store: SQLiteSync must be full or normal, not %q", opts.SQLiteSync)
		}
		base := "file:" + path + "?_pragma=busy_timeout(" + strconv.Itoa(busyTimeoutMS) + ")&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(" + sync + ")"
		// The writer checkpoints only as a backstop (wal_autocheckpoint, at
		// twice ckptCatchUp); a background connection checkpoints five
		// times a second (checkpointer), so commits never pay for copying
		// the WAL into the database. (temp_store =
		// MEMORY made intake 10 % faster but bulk loads — the demo seed —
		// many times slower: left at its default.)
		s.writeDB, err = sql.Open("sqlite", base+"&_txlock=immediate&_pragma=wal_autocheckpoint("+strconv.Itoa(walAutoCheckpoint)+")&_pragma=cache_size(-32000)")
		if err != nil {
			return nil, err
		}
		s.writeDB.SetMaxOpenConns(1)
		s.writeDB.SetMaxIdleConns(1)
		s.writeDB.SetConnMaxLifetime(0)
		s.writeDB.SetConnMaxIdleTime(0)
		s.readDB, err = sql.Open("sqlite", base+"&_pragma=query_only(1)")
		if err != nil {
			s.writeDB.Close()
			return nil, err
		}
		s.readDB.SetMaxOpenConns(opts.ReadConns)
		s.readDB.SetMaxIdleConns(opts.ReadConns)
		s.ckptDB, err = sql.Open("sqlite", base)
		if err != nil {
			s.closeDBs()
			return nil, err
		}
		s.ckptDB.SetMaxOpenConns(1)
	}
	if err := s.writeDB.PingContext(ctx); err != nil {
		s.closeDBs()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	if s.dialect == Postgres {
		// Its own small pool: writers waiting for a day's sequence hold
		// connections of the main pool, so creating it must not need one.
		ndb, err := sql.Open("pgx", dsn)
		if err != nil {
			s.closeDBs()
			return nil, err
		}
		ndb.SetMaxOpenConns(2)
		s.num = &numbering{db: ndb}
	}
	s.Queries = Queries{q: s.readDB, dialect: s.dialect, num: s.num, ring: s.ring}
	if s.dialect == SQLite {
		// pgx caches prepared statements per connection by itself; for
		// SQLite the read pool keeps its own.
		s.reads = newStmtCache(s.readDB)
		s.Queries.q = s.reads
	}
	if err := s.migrate(ctx); err != nil {
		s.closeDBs()
		return nil, err
	}
	s.Analysis = s.Queries
	if opts.AnalysisDSN != "" {
		if err := s.openAnalysis(ctx, opts.AnalysisDSN); err != nil {
			s.closeDBs()
			return nil, err
		}
	}
	if s.dialect == SQLite {
		s.writes = make(chan *writeReq, 4096)
		s.stop = make(chan struct{})
		s.done = make(chan struct{})
		s.ckptDone = make(chan struct{})
		go s.writer()
		go s.checkpointer()
	}
	if _, err := s.EnsurePartitions(ctx, time.Now(), 1); err != nil { // PostgreSQL: this month's and the next (partitions.go)
		s.Close()
		return nil, err
	}
	if err := s.linkAuditOnOpen(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.rehashPhonesOnOpen(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Dialect returns the store's SQL dialect.
func (s *Store) Dialect() Dialect { return s.dialect }

// Durability describes what an acknowledged write survives.
func (s *Store) Durability() string {
	if s.dialect == Postgres {
		return "postgres: synchronous_commit as configured on the server (default on: WAL flushed before acknowledging)"
	}
	if strings.EqualFold(s.opts.SQLiteSync, "normal") {
		return "sqlite WAL synchronous=NORMAL: survives a process crash; the last commits may be lost on power loss"
	}
	return "sqlite WAL synchronous=FULL: each acknowledged (group) commit is fsynced; survives kill -9 and power loss"
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.readDB.PingContext(ctx) }

// Close stops the writer and closes the database.
func (s *Store) Close() error {
	s.closeMu.Do(func() {
		if s.stop != nil {
			s.sendMu.Lock()
			s.closed = true
			s.sendMu.Unlock()
			close(s.stop)
			<-s.done
		}
	})
	return s.closeDBs()
}

// openAnalysis opens the replica that serves Analysis. Its connections
// start every transaction read-only, so that nothing can be written there
// by mistake even when the DSN names the primary.
func (s *Store) openAnalysis(ctx context.Context, dsn string) error {
	if s.dialect != Postgres || !IsPostgres(dsn) {
		return errors.New("store: an analysis DSN is a postgres:// URL, for a PostgreSQL store")
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("store: analysis DSN: %w", err)
	}
	cfg.RuntimeParams["default_transaction_read_only"] = "on"
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return fmt.Errorf("store: analysis replica: %w", err)
	}
	s.analysisDB = db
	s.Analysis = Queries{q: db, dialect: Postgres, ring: s.ring}
	return nil
}

func (s *Store) closeDBs() error {
	var err error
	if s.analysisDB != nil {
		s.analysisDB.Close()
	}
	if s.reads != nil {
		s.reads.close()
	}
	if s.ckptDB != nil {
		s.ckptDB.Close()
	}
	if s.num != nil && s.num.db != nil {
		s.num.db.Close()
	}
	if s.readDB != nil && s.readDB != s.writeDB {
		err = s.readDB.Close()
	}
	if s.writeDB != nil {
		if e := s.writeDB.Close(); e != nil {
			err = e
		}
	}
	return err
}

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("store: closed")

type writeReq struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan error
}

// Write runs fn in a write transaction and returns once it is durably
// committed (or failed). fn may be retried on PostgreSQL serialization
// failures, so it must not have side effects outside the transaction.
func (s *Store) Write(ctx context.Context, fn func(*Tx) error) error {
	fn = fenceWrite(ctx, fn) // under a job lease: its fence first (leases.go)
	if s.dialect == Postgres {
		return s.writePG(ctx, fn)
	}
	r := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	s.sendMu.RLock()
	if s.closed {
		s.sendMu.RUnlock()
		return ErrClosed
	}
	select {
	case s.writes <- r:
	case <-ctx.Done():
		s.sendMu.RUnlock()
		return ctx.Err()
	}
	s.sendMu.RUnlock()
	if s.testQueued != nil {
		s.testQueued()
	}
	// Once queued, wait for the outcome even if ctx ends: the write may commit.
	return storageError(<-r.done)
}

func (s *Store) writePG(ctx context.Context, fn func(*Tx) error) error {
	for attempt := 0; ; attempt++ {
		err := storageError(s.pgTx(ctx, fn))
		var pgErr *pgconn.PgError
		if err != nil && attempt < 5 && errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01") {
			time.Sleep(time.Duration(attempt+1) * 5 * time.Millisecond)
			continue
		}
		return err
	}
}

func (s *Store) pgTx(ctx context.Context, fn func(*Tx) error) (err error) {
	tx, err := s.writeDB.BeginTx(ctx, nil)
	for i := 0; i < 3 && errors.Is(err, driver.ErrBadConn) && ctx.Err() == nil; i++ {
		// database/sql tries only two pooled connections before a new
		// one, which may be a returned pooled one again when the pool is
		// full; connections broken by callers that gave up mid-transaction
		// can outnumber that. Nothing has run yet: try again.
		tx, err = s.writeDB.BeginTx(ctx, nil)
	}
	if err != nil {
		return errs.Wrap(err)
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			err = fmt.Errorf("store: panic in write: %v", p)
		}
	}()
	pt := &pgWriteTx{tx: tx}
	if err := fn(&Tx{Queries{q: pt, dialect: Postgres, inTx: true, num: s.num, ring: s.ring}}); err != nil {
		tx.Rollback()
		return err
	}
	if err := pt.flush(ctx, ""); err != nil { // the rollups last (pgWriteTx)
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// checkpointer copies committed WAL frames into the database file in the
// background (PASSIVE: it never blocks the writer), five times a second:
// small, frequent checkpoints keep latency spikes low (checkpointOnce).
func (s *Store) checkpointer() {
	defer close(s.ckptDone)
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if err := s.checkpointOnce(ckptCatchUp, walShrink); err != nil {
				s.log.Warn("wal checkpoint", "err", err)
			}
		}
	}
}

// ckptCatchUp is the WAL length (frames) from which the checkpointer holds
// the writer for a catch-up pass (checkpointOnce): 512 MiB with 4 KiB
// pages, four to five seconds of steady intake at 2,000 creates/s. The
// held pass costs the writer 20–50 ms on the benchmark machine's disk (its
// two fsyncs), so it is kept rare. The writer's own backstop
// (wal_autocheckpoint, in Open) is twice that.
const ckptCatchUp = 131072

// ckptTail is the number of frames committed during a pass below which
// the next pass is the one that holds the writer (checkpointOnce).
const ckptTail = 256

// walAutoCheckpoint is the serving writer's wal_autocheckpoint: a backstop
// that only a stuck checkpointer lets the WAL reach.
const walAutoCheckpoint = 2 * ckptCatchUp

// checkpointOnce runs one PASSIVE checkpoint and, when the WAL has grown
// to catchUp frames, a few more, the last with the writer held between two
// groups; a WAL of shrink frames or more that nobody wrote to since the
// last pass is truncated.
//
// Copying alone does not keep the WAL short: SQLite starts it again from
// its first frame only when a write transaction begins with every frame
// already copied, and under steady intake the writer commits new groups
// while each pass runs. The WAL grew until the writer's backstop
// (wal_autocheckpoint, then 20,000 frames) checkpointed inside a commit: a
// 10–25 ms stall of every request queued behind it, every half second at
// 2,000 creates/s (docs/BENCHMARKS.md). Now, once the WAL is catchUp
// frames long, up to three more passes copy what was committed during the
// one before (a shrinking tail), and a last one runs while the writer
// waits at walGate: it copies only the rest, and the writer's next
// transaction starts the WAL again.
func (s *Store) checkpointOnce(catchUp, shrink int) error {
	logged, copied, err := s.checkpointPass()
	if err != nil {
		return err
	}
	last := s.ckptLast.Swap(int64(logged))
	if logged >= shrink && copied == logged && int64(logged) == last {
		// Nothing was written since the last pass and everything is
		// copied: give the space of a long WAL (a bulk load, a busy hour)
		// back to the file system. TRUNCATE waits for readers and holds
		// the writer while it runs; at rest that costs nobody anything.
		return s.checkpointTruncate()
	}
	if logged < catchUp {
		return nil
	}
	if s.ckptBackoff.Load() > 0 {
		s.ckptBackoff.Add(-1)
		return nil
	}
	// Each further pass copies what was committed during the one before,
	// a shrinking tail: the writer is held only for the last, short one.
	// A pass that runs beside the writer may copy less than it saw (the
	// writer's own transaction can hold an older mark): only the held pass,
	// with no transaction of the writer open, tells whether a reader holds
	// the WAL back.
	for i := 0; i < 3; i++ {
		prev := logged
		logged, _, err = s.checkpointPass()
		if err != nil || logged < prev {
			return err // started again already
		}
		if logged-prev <= ckptTail {
			break
		}
	}
	s.walGate.Lock()
	defer s.walGate.Unlock()
	logged, copied, err = s.checkpointPass()
	if err == nil && copied != logged {
		// A reader (a long export, say) holds frames back: holding the
		// writer again helps nobody until it is done.
		s.ckptBackoff.Store(ckptBackoffPasses)
	}
	return err
}

// ckptBackoffPasses is how many passes (of 200 ms) the checkpointer waits
// before it holds the writer again after a held pass a reader kept from
// copying everything.
const ckptBackoffPasses = 25

// busyTimeoutMS is how long the store's SQLite connections wait for a lock.
const busyTimeoutMS = 10000

// walShrink is the WAL length (frames, 64 MiB) from which an idle WAL is
// truncated (checkpointOnce).
const walShrink = 16384

// checkpointTruncate checkpoints everything and truncates the WAL to zero
// bytes, unless a write or a reader of the WAL is under way: it runs
// without a busy timeout, so that it never waits (TRUNCATE holds the
// writer's lock while it waits for readers) and simply tries again at the
// next idle pass.
func (s *Store) checkpointTruncate() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := s.ckptDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA busy_timeout = 0"); err != nil {
		return err
	}
	var busy, logged, copied int
	err = conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logged, &copied)
	if _, e := conn.ExecContext(ctx, "PRAGMA busy_timeout = "+strconv.Itoa(busyTimeoutMS)); err == nil {
		err = e
	}
	return err
}

// checkpointPass runs one PASSIVE checkpoint and reports the WAL's length
// in frames and how many of them are in the database file (-1, -1 when
// another connection was checkpointing).
func (s *Store) checkpointPass() (logged, copied int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var busy int
	err = s.ckptDB.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logged, &copied)
	return logged, copied, err
}

// writer is the single SQLite writer: it batches queued writes into one
// transaction and commits them with one fsync (runBatch).
func (s *Store) writer() {
	defer close(s.done)
	defer func() {
		for q, st := range s.wstmts {
			st.Close()
			delete(s.wstmts, q)
		}
	}()
	batch := make([]*writeReq, 0, s.opts.MaxBatch)
	for {
		var first *writeReq
		select {
		case first = <-s.writes:
		case <-s.stop:
			// Drain what is queued, then stop.
			for {
				select {
				case r := <-s.writes:
					s.runBatch([]*writeReq{r})
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < s.opts.MaxBatch {
			select {
			case r := <-s.writes:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		s.walGate.Lock()
		s.runBatch(batch)
		s.walGate.Unlock()
	}
}

func (s *Store) runBatch(batch []*writeReq) {
	results := make([]error, len(batch))
	// First pass: every write straight in the shared transaction, with no
	// savepoint. When one fails, the transaction is rolled back and the
	// batch runs again without it, each write then in a savepoint of its
	// own (second pass), so that a failing write never takes its
	// neighbours down and costs at most one more pass.
	err, failed := s.runPass(batch, results, len(batch) == 1)
	if failed && err == nil {
		err, _ = s.runPass(batch, results, true)
	}
	for i, r := range batch {
		if err != nil && results[i] == nil {
			results[i] = errs.Wrap(err)
		}
		r.done <- results[i]
	}
}

// errPassFailed ends a pass without savepoints at its first failing write.
var errPassFailed = errors.New("store: a write of the batch failed")

// runPass runs the writes of the batch that have no result yet in one
// transaction and commits it. Without savepoints (isolated false, for more
// than one write) the first failing write ends the pass: its result is set,
// the transaction rolled back, the others' results left unset, and failed
// reported for a second pass with isolation. With isolated true each write
// runs in its own savepoint (or alone), so failures roll back alone.
func (s *Store) runPass(batch []*writeReq, results []error, isolated bool) (err error, failed bool) {
	ctx := context.Background()
	conn, err := s.writeDB.Conn(ctx)
	if err != nil {
		return err, false
	}
	defer s.keepStmts(ctx)
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err == nil {
		ok := 0
		bt := &batchTx{tx: tx, stmts: make(map[string]*sql.Stmt), shared: s.wstmts, fresh: &s.wnew}
		alone := len(batch) == 1
		for i, r := range batch {
			if results[i] != nil {
				continue // failed or given up in the first pass
			}
			if e := r.ctx.Err(); e != nil {
				results[i] = e
				continue
			}
			e := s.runOne(ctx, bt, r, alone || !isolated, isolated || alone)
			if e == nil {
				ok++
				continue
			}
			results[i] = e
			if isStorageError(e) {
				// A full disk or a read-only file is no fault of this
				// write: SQLite may have rolled the whole transaction back
				// already, so nothing of the batch commits.
				err = storageError(e)
				break
			}
			if !isolated && !alone {
				tx.Rollback() // those that ran before it run again in the second pass
				return nil, true
			}
		}
		if err == nil && ok > 0 && !isolated && !alone {
			// The batch's rollup increments (pendingDaily), in the
			// transaction they belong to. Should that fail, the batch runs
			// again with each write adding its own in its savepoint.
			if e := bt.flushPending(ctx); e != nil {
				if isStorageError(e) {
					err = storageError(e)
				} else {
					tx.Rollback()
					return nil, true
				}
			}
		}
		switch {
		case err != nil:
			tx.Rollback()
		case ok == 0:
			err = tx.Rollback()
		default:
			err = tx.Commit()
		}
	}
	if isStorageError(err) {
		// A connection opened on a read-only file stays read-only (its
		// BEGIN fails), one that met an I/O error is suspect, and a COMMIT
		// that failed for a full disk may leave its transaction open: the
		// next batch opens a new connection, which writes again once there
		// is room or the file is writable.
		conn.Raw(func(any) error { return errDiscardConn })
		if errs.Is(storageError(err), errs.StorageFull) {
			s.log.Error("storage full", "err", err)
		} else {
			s.log.Error("database cannot be written", "err", err)
		}
	}
	return err, false
}

// runOne runs one queued write in the batch's transaction: bare (the
// first pass, or a write alone in its batch) straight in it, where a
// failure ends the pass; otherwise in a savepoint of its own so that its
// failure rolls back only its changes. A savepoint is not free: SQLite
// copies every page the write first changes into a sub-journal file, which
// cost about a fifth of the intake benchmark's time when every write had
// one, and a large write (a bulk import's batch) pays it on each of
// thousands of pages.
//
// With flush the write's rollup increments are stored before it returns
// (inside its savepoint when it has one), so that a failure of theirs is
// its own; without (the first pass of a batch) they wait for the batch's
// one flush before the commit.
func (s *Store) runOne(ctx context.Context, tx *batchTx, r *writeReq, bare, flush bool) (err error) {
	run := func() error {
		if err := r.fn(&Tx{Queries{q: tx, dialect: SQLite, inTx: true, ring: s.ring}}); err != nil {
			return err
		}
		if flush {
			return tx.flushPending(ctx)
		}
		return nil
	}
	if bare {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("store: panic in write: %v", p)
			}
			if err != nil {
				tx.dropPending() // the pass ends and rolls back
			}
		}()
		return run()
	}
	if _, err := tx.ExecContext(ctx, "SAVEPOINT w"); err != nil {
		return errs.Wrap(err)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: panic in write: %v", p)
		}
		if err != nil {
			tx.dropPending()
			if _, e := tx.ExecContext(ctx, "ROLLBACK TO w"); e != nil {
				err = errors.Join(err, e)
			}
		}
		if _, e := tx.ExecContext(ctx, "RELEASE w"); e != nil && err == nil {
			err = errs.Wrap(e)
		}
	}()
	return run()
}

// batchTx is the querier of a group-commit transaction. It prepares each
// distinct statement once per batch rather than once per call: parsing SQL
// was the single writer's largest CPU cost (about 40% of it in the intake
// benchmark). Multi-row queries are not cached (a caller may still be
// reading one statement's rows while running it again). Only the writer
// goroutine uses it; the statements are closed with the transaction.
//
// Statements also outlive the batch: the ones a batch prepared are prepared
// once more on the writer pool after its connection is handed back
// (keepStmts), and later batches take them with Tx.StmtContext, which
// reuses the statement already prepared on that connection — SQLite then
// parses and plans each text once per connection rather than once per
// batch (about 4 % of intake's CPU).
type batchTx struct {
	tx     *sql.Tx
	stmts  map[string]*sql.Stmt
	shared map[string]*sql.Stmt // Store.wstmts
	fresh  *[]string            // Store.wnew
	// daily holds the rollup increments of the batch's new cases
	// (rollups.go, pendingDaily), stored by flushDaily before the commit
	// or before any statement of the batch touches the rollups.
	daily pendingDaily
	// numbers holds the last case number the batch gave out per day
	// (NextNumber), stored with the rollups (flushPending).
	numbers map[string]int64
}

// maxWriterStmts bounds the statements kept across batches.
const maxWriterStmts = 256

func (b *batchTx) stmt(ctx context.Context, query string) *sql.Stmt {
	if st, ok := b.stmts[query]; ok {
		return st
	}
	if strings.Contains(query, ";") {
		return nil
	}
	var st *sql.Stmt
	if p, ok := b.shared[query]; ok {
		st = b.tx.StmtContext(ctx, p)
	} else {
		var err error
		if st, err = b.tx.PrepareContext(ctx, orFail(query)); err != nil {
			return nil // the uncached call reports the error
		}
		if b.fresh != nil && len(b.shared)+len(*b.fresh) < maxWriterStmts {
			*b.fresh = append(*b.fresh, query)
		}
	}
	b.stmts[query] = st
	return st
}

// keepStmts prepares on the writer pool the statements the last batch
// prepared for itself, once its connection is back in the pool (a
// statement of the pool is prepared on a connection it takes from the
// pool: the writer's one).
func (s *Store) keepStmts(ctx context.Context) {
	if len(s.wnew) == 0 {
		return
	}
	if s.wstmts == nil {
		s.wstmts = make(map[string]*sql.Stmt)
	}
	for _, q := range s.wnew {
		if _, ok := s.wstmts[q]; ok {
			continue
		}
		st, err := s.writeDB.PrepareContext(ctx, orFail(q))
		if err != nil {
			continue // the batches keep preparing it for themselves
		}
		s.wstmts[q] = st
	}
	s.wnew = s.wnew[:0]
}

// orFail makes a plain INSERT or UPDATE of the single writer "OR FAIL".
// Under SQLite's default ABORT a statement that may fail half-way (one
// with a unique index, a foreign key, a NOT NULL or CHECK constraint: most
// of ours) runs in a statement journal, a copy of every page it first
// changes, so that a failure undoes the statement alone. The writer never
// needs that: a failing write is undone whole, with its transaction or its
// savepoint (runBatch), and a single-row statement checks its constraints
// before it writes anything. Upserts keep their ON CONFLICT clause: OR FAIL
// applies to the other constraints only.
func orFail(query string) string {
	switch {
	case strings.HasPrefix(query, "INSERT INTO "):
		return "INSERT OR FAIL INTO " + query[len("INSERT INTO "):]
	case strings.HasPrefix(query, "UPDATE ") && !strings.HasPrefix(query, "UPDATE OR "):
		return "UPDATE OR FAIL " + query[len("UPDATE "):]
	}
	return query
}

// The batch's statements run under context.Background(), never under a
// caller's context: modernc/sqlite interrupts a statement whose context is
// cancelled, and an interrupted write rolls back the whole shared
// transaction, not just that caller's savepoint. A caller that gave up
// before its turn is skipped (runOne checks its context first).
func (b *batchTx) ExecContext(_ context.Context, query string, args ...any) (sql.Result, error) {
	ctx := context.Background()
	if err := b.beforeRollups(ctx, query); err != nil {
		return nil, err
	}
	if st := b.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return b.tx.ExecContext(ctx, orFail(query), args...)
}

func (b *batchTx) QueryRowContext(_ context.Context, query string, args ...any) *sql.Row {
	ctx := context.Background()
	if err := b.beforeRollups(ctx, query); err != nil {
		// The write fails, and runs again in its savepoint.
		return failedRow(ctx, b.tx, query, args...)
	}
	if st := b.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return b.tx.QueryRowContext(ctx, orFail(query), args...)
}

func (b *batchTx) QueryContext(_ context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx := context.Background()
	if err := b.beforeRollups(ctx, query); err != nil {
		return nil, err
	}
	if st := b.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return b.tx.QueryContext(ctx, orFail(query), args...)
}

// failedRow is a row that reports a failure (sql.Row has no constructor):
// under a cancelled context the statement fails before it reaches the
// connection.
func failedRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	failed, cancel := context.WithCancel(ctx)
	cancel()
	return tx.QueryRowContext(failed, query, args...)
}

// ---- query helpers ----

var rebound sync.Map // query → PostgreSQL form

func (q Queries) sql(query string) string {
	if q.dialect != Postgres {
		return query
	}
	if v, ok := rebound.Load(query); ok {
		return v.(string)
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	out := b.String()
	rebound.Store(query, out)
	return out
}

func (q Queries) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return q.q.ExecContext(ctx, q.sql(query), args...)
}

func (q Queries) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return q.q.QueryContext(ctx, q.sql(query), args...)
}

func (q Queries) row(ctx context.Context, query string, args ...any) *sql.Row {
	return q.q.QueryRowContext(ctx, q.sql(query), args...)
}

// forUpdate returns the row-locking suffix for a SELECT in a write transaction.
func (q Queries) forUpdate() string {
	if q.dialect == Postgres && q.inTx {
		return " FOR UPDATE"
	}
	return ""
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// isUnique reports whether err is a unique-constraint violation.
func isUnique(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed") || strings.Contains(err.Error(), "constraint failed: UNIQUE")
}

// ---- migrations ----

func (s *Store) migrate(ctx context.Context) error {
	dir := "migrations/" + s.dialect.String()
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	conn, err := s.writeDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if s.dialect == Postgres {
		// Several nodes may start at once: one migrates, the others wait.
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(7363623)"); err != nil {
			return err
		}
		defer conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock(7363623)")
	}
	if _, err := conn.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"); err != nil {
		return fmt.Errorf("store: migrations table: %w", err)
	}
	done := map[int]bool{}
	rows, err := conn.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return err
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return err
		}
		done[v] = true
	}
	rows.Close()
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("store: migration %s: bad version prefix", name)
		}
		if done[v] {
			continue
		}
		body, err := migrations.ReadFile(dir + "/" + name)
		if err != nil {
			return err
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migration %s: %w", name, err)
		}
		ins := "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)"
		if s.dialect == Postgres {
			ins = "INSERT INTO schema_migrations(version, name, applied_at) VALUES ($1, $2, $3)"
		}
		if _, err := tx.ExecContext(ctx, ins, v, name, time.Now().UnixMilli()); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		s.log.Info("migration applied", "version", v, "name", name, "dialect", s.dialect.String())
	}
	return nil
}
