package app_test

import (
	"database/sql"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"whistle/internal/config"
	"whistle/internal/errs"
)

// storageCase posts until an intake request fails (at most tries), and
// requires that failure to be the clear storage error: status and code
// from the errs table, never a 500, a panic or a hang; every earlier post
// succeeded. It returns how many succeeded.
func failingPost(t *testing.T, n *demoNode, from, tries int, code errs.Code) int {
	t.Helper()
	for i := from; i < from+tries; i++ {
		st, c, err := n.post(t, i)
		if err != nil {
			t.Fatal(err)
		}
		if st == http.StatusCreated {
			continue
		}
		if errs.Code(c) != code || st != errs.Status(code) {
			t.Fatalf("post %d: HTTP %d %q, want %d %q", i, st, c, errs.Status(code), code)
		}
		return i - from
	}
	t.Fatalf("no post failed in %d tries", tries)
	return 0
}

func mustPost(t *testing.T, n *demoNode, i int) {
	t.Helper()
	st, c, err := n.post(t, i)
	if err != nil || st != http.StatusCreated {
		t.Fatalf("post %d after recovery: HTTP %d %q %v", i, st, c, err)
	}
}

// integrity runs SQLite's integrity check on the node's database through
// a connection of its own.
func integrity(t *testing.T, n *demoNode) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+n.a.Cfg.DSN()+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		t.Fatalf("integrity_check: %q %v", res, err)
	}
	var orphans int
	if err := db.QueryRow("SELECT count(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.case_id = c.id)").Scan(&orphans); err != nil || orphans != 0 {
		t.Fatalf("%d cases without events (%v)", orphans, err)
	}
}

// The SQLite store on a file system that fills up (a real tmpfs of a few
// megabytes, filled with a ballast file): an intake POST gets 507
// storage_full — not a 500, not a panic, and the writer goes on answering
// — reads keep working, the database passes SQLite's integrity check, and
// once the ballast is deleted the next POST succeeds without a restart.
// Every case acknowledged before the disk filled is there afterwards.
func TestSQLiteDiskFullOverHTTP(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root; TestSQLiteSizeLimitOverHTTP covers SQLITE_FULL without it")
	}
	mp := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", mp).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", mp).Run() }) // runs after the node closes
	n := newDemoNode(t, func(c *config.Config) { c.Data = mp })

	raw := openRaw(t, n.a.Cfg.DSN())
	var before, after int
	if err := raw.QueryRow("SELECT count(*) FROM cases").Scan(&before); err != nil {
		t.Fatal(err)
	}
	ballast := filepath.Join(mp, "ballast")
	f, err := os.Create(ballast)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	f.Close()
	ok := failingPost(t, n, 0, 20000, errs.StorageFull)
	t.Logf("%d posts fitted before the disk was full", ok)
	// The writer is not stuck: it answers again, with the same error.
	if st, c, _ := n.post(t, 90000); st != http.StatusInsufficientStorage || c != string(errs.StorageFull) {
		t.Fatalf("second post on a full disk: %d %s", st, c)
	}
	// Reads still work.
	if st := n.get(t, "/api/v1/cases/1"); st != http.StatusOK {
		t.Fatalf("read on a full disk: %d", st)
	}
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	mustPost(t, n, 90001)
	mustPost(t, n, 90002)
	integrity(t, n)
	if err := raw.QueryRow("SELECT count(*) FROM cases").Scan(&after); err != nil || after != before+ok+2 {
		t.Fatalf("%d cases stored, want %d+%d (%v)", after, before, ok+2, err)
	}
}

// The same through SQLite's own size limit (PRAGMA max_page_count, a
// setting of the writer's connection), which needs no root: SQLITE_FULL →
// 507 storage_full; the writer then drops that connection (a COMMIT that
// failed for a full disk may leave its transaction open), and the next
// write, on a fresh connection without the limit, succeeds.
func TestSQLiteSizeLimitOverHTTP(t *testing.T) {
	n := newDemoNode(t)
	ctx := t.Context()
	if err := n.a.Store.SetWriterPragmaForTest(ctx, "PRAGMA max_page_count = 1"); err != nil { // clamps to the current size
		t.Fatal(err)
	}
	failingPost(t, n, 0, 5000, errs.StorageFull)
	mustPost(t, n, 90001)
	integrity(t, n)
}

// A database that cannot be written: SQLite's SQLITE_READONLY ("attempt to
// write a readonly database", here from PRAGMA query_only on the writer's
// connection, the same error a connection opened on a read-only file
// gets) → 503 storage_read_only with the zh and en messages, and the
// writer drops that connection, so the next write opens a fresh one and
// succeeds: a store whose file was read-only when its writer connected
// recovers without a restart once the file is writable.
func TestSQLiteReadOnlyOverHTTP(t *testing.T) {
	n := newDemoNode(t)
	ctx := t.Context()
	if err := n.a.Store.SetWriterPragmaForTest(ctx, "PRAGMA query_only = 1"); err != nil {
		t.Fatal(err)
	}
	for i, lang := range []string{"en", "zh-CN"} {
		st, c, msg, err := n.postLang(t, i, lang)
		if err != nil || st != http.StatusServiceUnavailable || c != string(errs.StorageReadOnly) || msg != errs.Message(errs.StorageReadOnly, lang) {
			t.Fatalf("post on a read-only database (%s): %d %q %q %v", lang, st, c, msg, err)
		}
		if i == 0 {
			// The writer dropped its connection; make the new one read-only too.
			if err := n.a.Store.SetWriterPragmaForTest(ctx, "PRAGMA query_only = 1"); err != nil {
				t.Fatal(err)
			}
		}
	}
	mustPost(t, n, 2)
	integrity(t, n)
}

func (n *demoNode) get(t *testing.T, path string) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", n.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+n.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// A database file that turns read-only under the running server: the
// database, its WAL and shared-memory files made immutable (chattr +i;
// root is not stopped by file modes, and the kernel refuses writes to an
// immutable file even through descriptors already open, as it does on a
// file system remounted read-only). Intake POSTs get 503
// storage_read_only, again and again (the writer is not stuck), reads
// keep working; once the files are writable again the next POST succeeds
// without a restart and SQLite's integrity check passes.
func TestSQLiteReadOnlyFileOverHTTP(t *testing.T) {
	n := newDemoNode(t)
	db := n.a.Cfg.DSN()
	files := []string{db, db + "-wal", db + "-shm"}
	unlock := func() {
		for _, f := range files {
			exec.Command("chattr", "-i", f).Run()
		}
	}
	t.Cleanup(unlock) // before TempDir's removal, which an immutable file would fail
	raw := openRaw(t, db)
	var before, after int
	if err := raw.QueryRow("SELECT count(*) FROM cases").Scan(&before); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	for _, f := range files {
		if out, err := exec.Command("chattr", "+i", f).CombinedOutput(); err != nil {
			t.Skipf("chattr +i %s: %v %s (needs root and a file system with immutable files, e.g. ext4; TestSQLiteReadOnlyOverHTTP covers the error path)", f, err, out)
		}
	}
	for i := range 3 {
		st, c, msg, err := n.postLang(t, i, "zh-CN")
		if err != nil || st != http.StatusServiceUnavailable || c != string(errs.StorageReadOnly) || msg != errs.Message(errs.StorageReadOnly, "zh-CN") {
			t.Fatalf("post %d on a read-only file: %d %q %q %v", i, st, c, msg, err)
		}
	}
	if st := n.get(t, "/api/v1/cases/1"); st != http.StatusOK {
		t.Fatalf("read of a read-only file: %d", st)
	}
	unlock()
	mustPost(t, n, 10)
	mustPost(t, n, 11)
	integrity(t, n)
	raw = openRaw(t, db)
	if err := raw.QueryRow("SELECT count(*) FROM cases").Scan(&after); err != nil || after != before+2 {
		t.Fatalf("%d cases, want %d (%v)", after, before+2, err)
	}
}
