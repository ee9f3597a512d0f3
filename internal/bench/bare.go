package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"whistle/internal/casework"
)

// A bare pipeline is the intake benchmark's ceiling measured on the store
// the run uses (`--ceiling bare`): the same durable work with nothing of
// Whistle. net/http on loopback, the same request bodies decoded from JSON,
// and one transaction per request inserting a case row (two secondary
// indexes, a unique number) and its event row:
//   - SQLite: a file of its own beside the run's store, WAL with
//     synchronous=FULL, a single writer goroutine committing whatever is
//     queued as one group (as ../shared/bench/ceiling does);
//   - PostgreSQL: tables of its own in the run's database (so the same
//     cluster, fsync on), a transaction per request over a pool of as many
//     connections as there are clients, so that PostgreSQL groups the
//     commits itself.
type bare struct {
	kind   string // sqlite or postgres
	db     *sql.DB
	jobs   chan bareJob
	stop   context.CancelFunc
	done   chan struct{}
	srv    *http.Server
	served chan error
	url    string
	seq    atomic.Int64
}

type bareJob struct {
	in   *casework.NewCase
	doc  []byte
	done chan bareDone
}

type bareDone struct {
	id  int64
	err error
}

const (
	bareCases  = "bench_bare_cases"
	bareEvents = "bench_bare_events"
)

// startBare opens the bare pipeline's store (dir for SQLite, dsn for
// PostgreSQL) and serves it on 127.0.0.1:0.
func startBare(ctx context.Context, kind, dir, dsn string, conns int) (_ *bare, err error) {
	b := &bare{kind: kind}
	defer func() {
		if err != nil {
			b.close()
		}
	}()
	idType := "INTEGER PRIMARY KEY"
	switch kind {
	case "sqlite":
		path := filepath.Join(dir, "bare.db")
		b.db, err = sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(5000)")
		if err != nil {
			return nil, err
		}
		b.db.SetMaxOpenConns(1)
	case "postgres":
		b.db, err = sql.Open("pgx", dsn)
		if err != nil {
			return nil, err
		}
		b.db.SetMaxOpenConns(conns)
		b.db.SetMaxIdleConns(conns)
		idType = "BIGSERIAL PRIMARY KEY"
	default:
		return nil, fmt.Errorf("bench: no bare pipeline for a %s store", kind)
	}
	for _, s := range []string{
		"DROP TABLE IF EXISTS " + bareEvents,
		"DROP TABLE IF EXISTS " + bareCases,
		"CREATE TABLE " + bareCases + "(id " + idType + ", number TEXT NOT NULL UNIQUE, state TEXT NOT NULL, category TEXT NOT NULL, lead_unit BIGINT NOT NULL, due_at BIGINT NOT NULL, created_at BIGINT NOT NULL, phone TEXT NOT NULL, doc TEXT NOT NULL)",
		"CREATE INDEX " + bareCases + "_due ON " + bareCases + "(lead_unit, due_at) WHERE state <> 'closed'",
		"CREATE INDEX " + bareCases + "_created ON " + bareCases + "(created_at)",
		"CREATE TABLE " + bareEvents + "(case_id BIGINT NOT NULL, seq INTEGER NOT NULL, at BIGINT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY(case_id, seq))",
	} {
		if _, err := b.db.ExecContext(ctx, s); err != nil {
			return nil, fmt.Errorf("bench: bare pipeline schema: %w", err)
		}
	}
	if kind == "sqlite" {
		wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		b.stop, b.done, b.jobs = cancel, make(chan struct{}), make(chan bareJob, 4096)
		go b.writer(wctx)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /bare/cases", b.create)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	b.served = make(chan error, 1)
	go func() { b.served <- b.srv.Serve(ln) }()
	b.url = "http://" + ln.Addr().String() + "/bare/cases"
	return b, nil
}

func (b *bare) create(w http.ResponseWriter, r *http.Request) {
	var in casework.NewCase
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil || in.Description == "" {
		http.Error(w, `{"code":"bad_request"}`, http.StatusBadRequest)
		return
	}
	doc, err := json.Marshal(&in)
	if err != nil {
		http.Error(w, `{"code":"internal"}`, http.StatusInternalServerError)
		return
	}
	var id int64
	if b.kind == "sqlite" {
		j := bareJob{in: &in, doc: doc, done: make(chan bareDone, 1)}
		select {
		case b.jobs <- j:
		case <-r.Context().Done():
			return
		}
		d := <-j.done
		id, err = d.id, d.err
	} else {
		id, err = b.insertPG(r.Context(), &in, doc)
	}
	if err != nil {
		http.Error(w, `{"code":"store"}`, http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]any{"id": id, "state": "received"})
}

// row is the case row's values for a request (number from the counter).
func (b *bare) row(in *casework.NewCase, doc []byte, now int64) []any {
	n := b.seq.Add(1)
	return []any{"B" + strconv.FormatInt(n, 10), "received", in.Category, n % 97, now + 86_400_000, now, in.CitizenPhone, string(doc)}
}

const bareInsertCase = "INSERT INTO " + bareCases + "(number, state, category, lead_unit, due_at, created_at, phone, doc) VALUES "

func (b *bare) insertPG(ctx context.Context, in *casework.NewCase, doc []byte) (int64, error) {
	now := time.Now().UnixMilli()
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var id int64
	if err := tx.QueryRowContext(ctx, bareInsertCase+"($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id", b.row(in, doc, now)...).Scan(&id); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO "+bareEvents+"(case_id, seq, at, kind, body) VALUES ($1,1,$2,'create',$3)", id, now, string(doc)); err != nil {
		return 0, err
	}
	return id, tx.Commit()
}

// writer is the SQLite pipeline's single writer: whatever is queued goes
// in one transaction and one fsync.
func (b *bare) writer(ctx context.Context) {
	defer close(b.done)
	batch := make([]bareJob, 0, 512)
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-b.jobs:
			batch = append(batch[:0], j)
		}
	fill:
		for len(batch) < cap(batch) {
			select {
			case j := <-b.jobs:
				batch = append(batch, j)
			default:
				break fill
			}
		}
		ids, err := b.commit(ctx, batch)
		for i, j := range batch {
			var id int64
			if err == nil {
				id = ids[i]
			}
			j.done <- bareDone{id, err}
		}
	}
}

func (b *bare) commit(ctx context.Context, batch []bareJob) ([]int64, error) {
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	ic, err := tx.PrepareContext(ctx, bareInsertCase+"(?,?,?,?,?,?,?,?)")
	if err != nil {
		return nil, err
	}
	defer ic.Close()
	ie, err := tx.PrepareContext(ctx, "INSERT INTO "+bareEvents+"(case_id, seq, at, kind, body) VALUES (?,1,?,'create',?)")
	if err != nil {
		return nil, err
	}
	defer ie.Close()
	now := time.Now().UnixMilli()
	ids := make([]int64, len(batch))
	for i, j := range batch {
		res, err := ic.ExecContext(ctx, b.row(j.in, j.doc, now)...)
		if err != nil {
			return nil, err
		}
		if ids[i], err = res.LastInsertId(); err != nil {
			return nil, err
		}
		if _, err := ie.ExecContext(ctx, ids[i], now, string(j.doc)); err != nil {
			return nil, err
		}
	}
	return ids, tx.Commit()
}

// count is how many case rows the pipeline stored.
func (b *bare) count(ctx context.Context) (int64, error) {
	var n int64
	err := b.db.QueryRowContext(ctx, "SELECT count(*) FROM "+bareCases).Scan(&n)
	return n, err
}

func (b *bare) close() {
	if b.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		b.srv.Shutdown(ctx)
		cancel()
		<-b.served // http.ErrServerClosed: the pipeline is done with
	}
	if b.stop != nil {
		b.stop()
		<-b.done
	}
	if b.db != nil {
		if b.kind == "postgres" {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			b.db.ExecContext(ctx, "DROP TABLE IF EXISTS "+bareEvents)
			b.db.ExecContext(ctx, "DROP TABLE IF EXISTS "+bareCases)
			cancel()
		}
		b.db.Close()
	}
}
