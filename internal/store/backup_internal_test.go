package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A backup process killed (SIGKILL) after writing the whole copy but
// before the rename leaves nothing under the final name — only a hidden
// partial file beside it — and a later backup to that name succeeds.
func TestBackupInterruptedLeavesNoFile(t *testing.T) {
	if dir := os.Getenv("WHISTLE_BACKUP_CRASH_HELPER"); dir != "" {
		crashHelper(dir)
		return
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "whistle.db")
	s, err := Open(context.Background(), db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(context.Background(), func(tx *Tx) error {
		return tx.PutSetting(context.Background(), "backup-test", "before the crash", time.Now())
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestBackupInterruptedLeavesNoFile$", "-test.count=1")
	cmd.Env = append(os.Environ(), "WHISTLE_BACKUP_CRASH_HELPER="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	var tmp string
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "ready "); ok {
			tmp = p
			break
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	if tmp == "" {
		t.Fatal("the helper never reached the rename")
	}
	dest := filepath.Join(dir, "out.backup")
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Fatalf("a file under the final name after the kill: %v", err)
	}
	if _, err := os.Stat(tmp); err != nil {
		t.Fatalf("the partial file (the kill came before the rename): %v", err)
	}
	if !strings.HasPrefix(filepath.Base(tmp), ".out.backup.partial-") {
		t.Fatalf("partial name %s", tmp)
	}
	s, err = Open(context.Background(), db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	info, err := s.Backup(context.Background(), db, dest)
	if err != nil {
		t.Fatal(err)
	}
	if info.Rows["settings"] == 0 || info.Version != SchemaVersion(SQLite) {
		t.Fatalf("backup after the crash: %+v", info)
	}
}

func crashHelper(dir string) {
	db := filepath.Join(dir, "whistle.db")
	s, err := Open(context.Background(), db, Options{})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	testBeforeRename = func(tmp string) {
		fmt.Println("ready " + tmp)
		select {} // wait for the kill
	}
	_, err = s.Backup(context.Background(), db, filepath.Join(dir, "out.backup"))
	fmt.Println("backup returned:", err)
	os.Exit(3)
}

// Without pg_dump anywhere, a PostgreSQL backup fails with an error that
// says what to install.
func TestPgToolMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	old := pgBinGlob
	pgBinGlob = filepath.Join(t.TempDir(), "*", "bin")
	defer func() { pgBinGlob = old }()
	_, err := pgTool("pg_dump")
	if err == nil || !strings.Contains(err.Error(), "pg_dump not found on PATH or in /usr/lib/postgresql/*/bin") || !strings.Contains(err.Error(), "postgresql-client") {
		t.Fatalf("pgTool without pg_dump: %v", err)
	}
	if p, err := pgTool("sh"); err == nil {
		t.Fatalf("found %s on an empty PATH", p)
	}
}
