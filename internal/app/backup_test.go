package app_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"whistle/internal/app"
	"whistle/internal/auth"
	"whistle/internal/config"
	"whistle/internal/demo"
	"whistle/internal/org"
	"whistle/internal/pgtest"
	"whistle/internal/seed"
	"whistle/internal/store"
)

// demoNode is an application on a small demo city, served over loopback
// HTTP, with an agent signed in.
type demoNode struct {
	a     *app.App
	srv   *httptest.Server
	token string
	body  map[string]any // a valid intake request
}

func newDemoNode(t *testing.T, change ...func(*config.Config)) *demoNode {
	t.Helper()
	cfg := config.Defaults()
	cfg.Data = t.TempDir()
	cfg.FastHash = true
	cfg.SQLiteSync = "normal"
	for _, f := range change {
		f(&cfg)
	}
	log := slog.New(slog.DiscardHandler)
	a, err := app.Open(t.Context(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	res, err := seed.Demo(t.Context(), a.Svc, demo.Options{Seed: 5, Requests: 120}, auth.FastHasher(), log)
	if err != nil {
		t.Fatal(err)
	}
	n := &demoNode{a: a, srv: httptest.NewServer(a.Handler())}
	t.Cleanup(n.srv.Close)
	for _, u := range res.Logins {
		if u.Roles[0] == org.RoleAgent && n.token == "" {
			n.token, _, err = a.Svc.Accounts.Login(t.Context(), auth.NewLoginLimiter(100, time.Minute), u.Username, u.Password, "test")
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if n.token == "" {
		t.Fatal("the demo city has no agent")
	}
	c, err := a.Store.Case(t.Context(), 1, org.Scope{All: true})
	if err != nil {
		t.Fatal(err)
	}
	n.body = map[string]any{"channel": "phone", "type": c.Type, "category": c.Category,
		"title": "人行道占道经营", "address": "测试路1号", "lat": c.Location.Lat, "lon": c.Location.Lon,
		"citizen_name": "张三丰", "citizen_phone": "13800138000"}
	return n
}

// post sends one intake request and returns the status and error code.
func (n *demoNode) post(t testing.TB, i int) (status int, code string, err error) {
	status, code, _, err = n.postLang(t, i, "")
	return
}

// postLang is post with an Accept-Language; it returns the error message too.
func (n *demoNode) postLang(t testing.TB, i int, lang string) (status int, code, msg string, err error) {
	b := map[string]any{}
	for k, v := range n.body {
		b[k] = v
	}
	b["description"] = fmt.Sprintf("第%d号测试诉求：路口有流动摊贩长期占用人行道摆摊，行人只能走机动车道。", i)
	body, _ := json.Marshal(b)
	req, _ := http.NewRequestWithContext(t.Context(), "POST", n.srv.URL+"/api/v1/cases", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+n.token)
	req.Header.Set("Content-Type", "application/json")
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	var out struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Error   struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	json.NewDecoder(resp.Body).Decode(&out)
	if out.Code == "" {
		out.Code = out.Error.Code
	}
	return resp.StatusCode, out.Code, out.Message, nil
}

// backends runs fn on SQLite and on PostgreSQL; dsn gives a fresh empty
// target database of the same kind.
func backends(t *testing.T, fn func(t *testing.T, n *demoNode, fresh func() string)) {
	t.Run("sqlite", func(t *testing.T) {
		n := newDemoNode(t)
		fn(t, n, func() string { return filepath.Join(t.TempDir(), "restored.db") })
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := pgtest.NewDatabase(t)
		n := newDemoNode(t, func(c *config.Config) { c.DB = dsn })
		fn(t, n, func() string { return pgtest.NewDatabase(t) })
	})
}

func openRaw(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	var db *sql.DB
	var err error
	if store.IsPostgres(dsn) {
		db, err = sql.Open("pgx", dsn)
	} else {
		db, err = sql.Open("sqlite", "file:"+dsn+"?mode=ro&_pragma=busy_timeout(10000)")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func tablesOf(t *testing.T, db *sql.DB, pg bool) []string {
	t.Helper()
	q := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
	if pg {
		q = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
	}
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	return out
}

// tableRows is every row of table, each as text, sorted.
func tableRows(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.Query(`SELECT * FROM "` + table + `"`)
	if err != nil {
		t.Fatalf("%s: %v", table, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for i, v := range vals {
			if bs, ok := v.([]byte); ok {
				v = string(bs)
			}
			if tm, ok := v.(time.Time); ok {
				v = tm.UTC().Format(time.RFC3339Nano)
			}
			fmt.Fprintf(&b, "%s=%v|", cols[i], v)
		}
		out = append(out, b.String())
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// The backup of a demo city restores into an empty database with every
// table (enumerated from the schema) equal row by row; a second restore
// into the now full database is refused unless forced; a backup from a
// newer schema than the binary's is refused.
func TestBackupRestoresEveryTable(t *testing.T) {
	backends(t, func(t *testing.T, n *demoNode, fresh func() string) {
		ctx := t.Context()
		src := n.a.Cfg.DSN()
		file := filepath.Join(t.TempDir(), "whistle.backup")
		info, err := n.a.Store.Backup(ctx, src, file)
		if err != nil {
			t.Fatal(err)
		}
		if info.Bytes == 0 || len(info.SHA256) != 64 || info.Version != store.SchemaVersion(n.a.Store.Dialect()) || info.Rows["cases"] < 120 || info.Rows["audit"] == 0 {
			t.Fatalf("backup info %+v", info)
		}
		if _, err := n.a.Store.Backup(ctx, src, file); err == nil {
			t.Fatal("a backup over an existing file must be refused")
		}
		target := fresh()
		ri, err := store.Restore(ctx, file, target, store.RestoreOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if ri.AuditEntries != info.Rows["audit"] || ri.BackupVersion != info.Version {
			t.Fatalf("restore info %+v, backup %+v", ri, info)
		}
		pg := store.IsPostgres(src)
		a, b := openRaw(t, src), openRaw(t, target)
		tables := tablesOf(t, a, pg)
		if got := tablesOf(t, b, pg); !slices.Equal(got, tables) || len(tables) != info.Tables {
			t.Fatalf("tables: restored %v, source %v (backup says %d)", got, tables, info.Tables)
		}
		nonEmpty := 0
		for _, tb := range tables {
			want, got := tableRows(t, a, tb), tableRows(t, b, tb)
			if int64(len(want)) != info.Rows[tb] {
				t.Errorf("%s: source has %d rows, the backup's summary %d", tb, len(want), info.Rows[tb])
			}
			if !slices.Equal(got, want) {
				for i := range min(len(got), len(want)) {
					if got[i] != want[i] {
						t.Errorf("%s: row %d\n got %s\nwant %s", tb, i, got[i], want[i])
						break
					}
				}
				t.Errorf("%s: %d rows restored, %d in the source", tb, len(got), len(want))
			}
			if len(want) > 0 {
				nonEmpty++
			}
		}
		t.Logf("%d tables compared, %d with rows", len(tables), nonEmpty)
		if _, err := store.Restore(ctx, file, target, store.RestoreOptions{}); !errors.Is(err, store.ErrNotEmpty) {
			t.Fatalf("restore over a full database: %v, want ErrNotEmpty", err)
		}
		if _, err := store.Restore(ctx, file, target, store.RestoreOptions{Force: true}); err != nil {
			t.Fatalf("forced restore: %v", err)
		}

		// A backup from a newer whistle.
		st, err := store.Open(ctx, target, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		w := openWritable(t, target)
		future := store.SchemaVersion(st.Dialect()) + 1
		if _, err := w.Exec(fmt.Sprintf("INSERT INTO schema_migrations(version, name, applied_at) VALUES (%d, 'future.sql', 0)", future)); err != nil {
			t.Fatal(err)
		}
		newer := filepath.Join(t.TempDir(), "newer.backup")
		if _, err := st.Backup(ctx, target, newer); err != nil {
			t.Fatal(err)
		}
		_, err = store.Restore(ctx, newer, fresh(), store.RestoreOptions{})
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("migration %d", future)) {
			t.Fatalf("restoring a newer backup: %v", err)
		}
	})
}

func openWritable(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	driver, name := "sqlite", "file:"+dsn+"?_pragma=busy_timeout(10000)"
	if store.IsPostgres(dsn) {
		driver, name = "pgx", dsn
	}
	db, err := sql.Open(driver, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// A backup taken while a client keeps posting cases over HTTP restores to
// a consistent state: every case has its events, the number of cases lies
// between the writes acknowledged before the backup began and those
// acknowledged when it ended, every case acknowledged before it began is
// there, the audit chain verifies (Restore checks it) and the rollups
// equal their recomputation from the restored cases.
func TestBackupUnderWriteLoad(t *testing.T) {
	backends(t, func(t *testing.T, n *demoNode, fresh func() string) {
		ctx := t.Context()
		base, err := n.a.Store.Tables(ctx)
		if err != nil || !slices.Contains(base, "cases") {
			t.Fatalf("tables %v %v", base, err)
		}
		var before int64
		if err := openRaw(t, n.a.Cfg.DSN()).QueryRow("SELECT count(*) FROM cases").Scan(&before); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		acked := 0
		stop := make(chan struct{})
		started := make(chan struct{})
		failed := make(chan error, 1)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				st, code, err := n.post(t, i)
				if err == nil && st != http.StatusCreated {
					err = fmt.Errorf("intake: HTTP %d %s", st, code)
				}
				if err != nil {
					failed <- err
					return
				}
				mu.Lock()
				acked++
				mu.Unlock()
				if i == 20 {
					close(started)
				}
			}
		}()
		select {
		case <-started:
		case err := <-failed:
			t.Fatal(err)
		}
		mu.Lock()
		lo := acked
		mu.Unlock()
		file := filepath.Join(t.TempDir(), "load.backup")
		info, err := n.a.Store.Backup(ctx, n.a.Cfg.DSN(), file)
		mu.Lock()
		hi := acked
		mu.Unlock()
		close(stop)
		wg.Wait()
		select {
		case err := <-failed:
			t.Fatal(err)
		default:
		}
		if err != nil {
			t.Fatal(err)
		}
		got := info.Rows["cases"] - before
		t.Logf("acknowledged %d before the backup, %d when it ended; the backup holds %d new cases", lo, hi, got)
		if got < int64(lo) || got > int64(hi)+1 { // +1: a write committed but not yet acknowledged
			t.Fatalf("the backup holds %d new cases, acknowledged were %d..%d", got, lo, hi)
		}
		target := fresh()
		ri, err := store.Restore(ctx, file, target, store.RestoreOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if ri.Rows["cases"] != info.Rows["cases"] || ri.Rows["events"] != info.Rows["events"] || ri.AuditEntries != info.Rows["audit"] {
			t.Fatalf("restored %+v, backup %+v", ri.Rows, info.Rows)
		}
		db := openRaw(t, target)
		var orphans int64
		if err := db.QueryRow("SELECT count(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.case_id = c.id)").Scan(&orphans); err != nil {
			t.Fatal(err)
		}
		if orphans != 0 {
			t.Fatalf("%d restored cases without events", orphans)
		}
		st, err := store.Open(ctx, target, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		all := store.DailyFilter{From: -1 << 40, To: 1 << 40}
		stored, err := st.DailyRows(ctx, all)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.RebuildDaily(ctx); err != nil {
			t.Fatal(err)
		}
		rebuilt, err := st.DailyRows(ctx, all)
		if err != nil {
			t.Fatal(err)
		}
		if !sameDaily(stored, rebuilt) {
			t.Fatalf("the restored rollups (%d rows) differ from their recomputation (%d rows)", len(stored), len(rebuilt))
		}
	})
}

func sameDaily(a, b []store.DailyRow) bool {
	key := func(r store.DailyRow) string { return fmt.Sprintf("%+v", r) }
	ka, kb := make([]string, len(a)), make([]string, len(b))
	for i := range a {
		ka[i] = key(a[i])
	}
	for i := range b {
		kb[i] = key(b[i])
	}
	slices.Sort(ka)
	slices.Sort(kb)
	return slices.Equal(ka, kb)
}
