package pgtest_test

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"whistle/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func openDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func userTableCount(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	err := db.QueryRow(`SELECT count(*) FROM information_schema.tables
		WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`).Scan(&n)
	if err != nil {
		t.Fatalf("counting tables: %v", err)
	}
	return n
}

func TestTwoDatabasesDistinctAndEmpty(t *testing.T) {
	dsn1 := pgtest.NewDatabase(t)
	dsn2 := pgtest.NewDatabase(t)
	if dsn1 == dsn2 {
		t.Fatalf("NewDatabase returned the same DSN twice: %s", dsn1)
	}
	db1, db2 := openDB(t, dsn1), openDB(t, dsn2)

	var name1, name2 string
	if err := db1.QueryRow("SELECT current_database()").Scan(&name1); err != nil {
		t.Fatal(err)
	}
	if err := db2.QueryRow("SELECT current_database()").Scan(&name2); err != nil {
		t.Fatal(err)
	}
	if name1 == name2 {
		t.Fatalf("both DSNs point at database %q", name1)
	}
	if n := userTableCount(t, db1); n != 0 {
		t.Errorf("database %s has %d tables, want 0", name1, n)
	}
	if n := userTableCount(t, db2); n != 0 {
		t.Errorf("database %s has %d tables, want 0", name2, n)
	}

	if _, err := db1.Exec("CREATE TABLE only_in_one (id int)"); err != nil {
		t.Fatal(err)
	}
	if n := userTableCount(t, db1); n != 1 {
		t.Errorf("database %s has %d tables after CREATE TABLE, want 1", name1, n)
	}
	if n := userTableCount(t, db2); n != 0 {
		t.Errorf("table created in %s is visible in %s (%d tables)", name1, name2, n)
	}
}

func TestCreateInsertSelect(t *testing.T) {
	db := openDB(t, pgtest.NewDatabase(t))
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE widgets (id serial PRIMARY KEY, name text NOT NULL)`); err != nil {
		t.Fatalf("CREATE TABLE: %v", err)
	}
	for _, name := range []string{"alpha", "beta", "gamma"} {
		if _, err := db.ExecContext(ctx, `INSERT INTO widgets (name) VALUES ($1)`, name); err != nil {
			t.Fatalf("INSERT: %v", err)
		}
	}
	rows, err := db.QueryContext(ctx, `SELECT id, name FROM widgets ORDER BY id`)
	if err != nil {
		t.Fatalf("SELECT: %v", err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var id int
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			t.Fatal(err)
		}
		if id != len(got)+1 {
			t.Errorf("row %q has id %d, want %d", name, id, len(got)+1)
		}
		got = append(got, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] != "alpha" || got[1] != "beta" || got[2] != "gamma" {
		t.Fatalf("got %v, want [alpha beta gamma]", got)
	}
}

func TestOnlyReachableOnLoopback(t *testing.T) {
	c := pgtest.SharedCluster(t)
	db := openDB(t, pgtest.NewDatabase(t))

	var listen string
	if err := db.QueryRow("SHOW listen_addresses").Scan(&listen); err != nil {
		t.Fatal(err)
	}
	if listen != "127.0.0.1" {
		t.Errorf("listen_addresses = %q, want 127.0.0.1", listen)
	}

	port := strconv.Itoa(c.Port())
	conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", port), 2*time.Second)
	if err != nil {
		t.Fatalf("dial 127.0.0.1:%s: %v", port, err)
	}
	_ = conn.Close()

	others := []string{"::1"}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.Equal(net.IPv4(127, 0, 0, 1)) || ipn.IP.IsLinkLocalUnicast() {
			continue
		}
		others = append(others, ipn.IP.String())
	}
	for _, ip := range others {
		conn, err := net.DialTimeout("tcp", net.JoinHostPort(ip, port), 2*time.Second)
		if err == nil {
			_ = conn.Close()
			t.Errorf("server is reachable on %s:%s, want only 127.0.0.1", ip, port)
		}
	}
	t.Logf("checked that %v do not accept connections on port %s", others, port)
}

func TestUnixSocket(t *testing.T) {
	c := pgtest.SharedCluster(t)
	db := openDB(t, "host="+c.SocketDir()+" port="+strconv.Itoa(c.Port())+" user="+pgtest.SuperUser+" dbname=postgres sslmode=disable")
	var one int
	if err := db.QueryRow("SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("query over unix socket: %v (got %d)", err, one)
	}
}

func TestStartStopCluster(t *testing.T) {
	if _, ok := pgtest.Available(); !ok {
		pgtest.SharedCluster(t) // skips or fails as configured
	}
	ctx := context.Background()
	c, err := pgtest.StartCluster(ctx, pgtest.Options{Fsync: true, MaxConnections: 20, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop() })

	dsn, err := c.CreateDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	db := openDB(t, dsn)
	settings := map[string]string{"fsync": "on", "max_connections": "20"}
	for name, want := range settings {
		var got string
		if err := db.QueryRow("SHOW " + name).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	_ = db.Close()

	dir := c.Dir()
	if err := c.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temp dir %s still exists after Stop (err=%v)", dir, err)
	}
	if conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port())), time.Second); err == nil {
		_ = conn.Close()
		t.Errorf("server still accepting connections after Stop")
	}
}

func TestSharedClusterSettings(t *testing.T) {
	db := openDB(t, pgtest.NewDatabase(t))
	settings := map[string]string{"fsync": "off", "max_connections": "200", "server_encoding": "UTF8", "lc_collate": "C"}
	for name, want := range settings {
		var got string
		if err := db.QueryRow("SHOW " + name).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

func TestStartClusterCancelled(t *testing.T) {
	if _, ok := pgtest.Available(); !ok {
		t.Skip("PostgreSQL binaries not available")
	}
	// A private, world-traversable TMPDIR, so that parallel test binaries'
	// clusters do not disturb the check below.
	tmp, err := os.MkdirTemp("", "pgtest-cancel-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(tmp) })
	if err := os.Chmod(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", tmp)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c, err := pgtest.StartCluster(ctx, pgtest.Options{})
	if err == nil {
		_ = c.Stop()
		t.Fatal("StartCluster with a cancelled context succeeded")
	}
	left, _ := filepath.Glob(filepath.Join(tmp, "*"))
	if len(left) > 0 {
		t.Errorf("StartCluster left temp files behind: %v", left)
	}
}

func TestAvailable(t *testing.T) {
	dir, ok := pgtest.Available()
	if !ok {
		t.Skip("PostgreSQL binaries not available")
	}
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("Available returned %s, but: %v", dir, err)
		}
	}
}
