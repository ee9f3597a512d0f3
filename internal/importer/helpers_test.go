package importer_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"testing"

	"whistle/internal/core"
	"whistle/internal/pgtest"
	"whistle/internal/shareddata"
	"whistle/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// newCore opens a fresh store (SQLite in a temp dir, or dsn) and a core
// over it.
func newCore(t testing.TB, dsn string) *core.Core {
	t.Helper()
	if dsn == "" {
		dsn = filepath.Join(t.TempDir(), "whistle.db")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, store.Options{SQLiteSync: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c, err := core.New(ctx, st, core.Config{PhoneKey: []byte("test")})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// eachBackend runs fn on SQLite and on PostgreSQL.
func eachBackend(t *testing.T, fn func(t *testing.T, c *core.Core)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, newCore(t, "")) })
	t.Run("postgres", func(t *testing.T) { fn(t, newCore(t, pgtest.NewDatabase(t))) })
}

// eachBackendFresh runs fn on SQLite and on PostgreSQL, with fresh opening
// a new store of that backend (and a core over it) at each call.
func eachBackendFresh(t *testing.T, fn func(t *testing.T, backend string, fresh func() *core.Core)) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			fn(t, backend, func() *core.Core {
				if backend == "postgres" {
					return newCore(t, pgtest.NewDatabase(t))
				}
				return newCore(t, "")
			})
		})
	}
}

// failAt is a BatchHook that fails batch k with err.
func failAt(k int, err error) func(int) error {
	return func(n int) error {
		if n == k {
			return err
		}
		return nil
	}
}

// writeFile writes a test file and returns its path.
func writeFile(t testing.TB, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// headOfShared copies the first n lines of a shared gzip file into a
// temp file (plain). Missing data fails when CI is set.
func headOfShared(t testing.TB, name string, n int) string {
	t.Helper()
	src := shareddata.Data(t, name)
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "head")
	w, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	sc := bufio.NewScanner(gz)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	bw := bufio.NewWriter(w)
	for i := 0; i < n && sc.Scan(); i++ {
		bw.Write(sc.Bytes())
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	return out
}
