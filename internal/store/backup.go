package store

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Backups. SQLite: VACUUM INTO copies the database as of one read
// transaction into a new, compact file while the writer carries on (the
// WAL lets readers and the writer run side by side), so the copy is
// consistent without stopping the server. PostgreSQL: pg_dump's custom
// format, taken in a snapshot exported from a REPEATABLE READ transaction
// in which the summary's row counts are read too, so the counts describe
// exactly the rows in the dump. Either way the backup is written under a
// temporary name in the target's directory, fsynced, and renamed: a backup
// cut short (a crash, a full disk, a kill) never leaves a file under the
// final name.

// BackupInfo describes a backup file.
type BackupInfo struct {
	File    string           `json:"file"`
	Dialect string           `json:"dialect"`
	Bytes   int64            `json:"bytes"`
	SHA256  string           `json:"sha256"`
	Version int              `json:"migration_version"`
	Tables  int              `json:"tables"`
	Rows    map[string]int64 `json:"rows"` // every table's row count, as in the backup
	TookMS  int64            `json:"took_ms"`
}

// SchemaVersion is the highest migration this binary carries for d.
func SchemaVersion(d Dialect) int {
	entries, _ := fs.ReadDir(migrations, "migrations/"+d.String())
	top := 0
	for _, e := range entries {
		if v, err := strconv.Atoi(strings.SplitN(e.Name(), "_", 2)[0]); err == nil && strings.HasSuffix(e.Name(), ".sql") && v > top {
			top = v
		}
	}
	return top
}

// testBeforeRename, set only by tests, runs once the backup is complete
// under its temporary name, before the rename.
var testBeforeRename func(tmp string)

// Backup writes a consistent copy of the database (opened from dsn) to
// dest, which must not exist yet. The store keeps serving reads and writes
// meanwhile.
func (s *Store) Backup(ctx context.Context, dsn, dest string) (BackupInfo, error) {
	start := time.Now()
	info := BackupInfo{File: dest, Dialect: s.dialect.String()}
	if _, err := os.Lstat(dest); err == nil {
		return info, fmt.Errorf("backup: %s exists already; choose a new name", dest)
	}
	tmp, err := tempName(dest)
	if err != nil {
		return info, err
	}
	defer os.Remove(tmp) // a no-op after the rename
	if s.dialect == Postgres {
		err = s.backupPG(ctx, dsn, tmp, &info)
	} else {
		err = s.backupSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"), tmp, &info)
	}
	if err != nil {
		return info, err
	}
	if err := syncFile(tmp); err != nil {
		return info, err
	}
	if info.Bytes, info.SHA256, err = hashFile(tmp); err != nil {
		return info, err
	}
	if testBeforeRename != nil {
		testBeforeRename(tmp)
	}
	if err := os.Rename(tmp, dest); err != nil {
		return info, fmt.Errorf("backup: %w", err)
	}
	if err := syncDir(filepath.Dir(dest)); err != nil {
		return info, err
	}
	info.TookMS = time.Since(start).Milliseconds()
	return info, nil
}

// tempName is a fresh name beside dest for the backup in progress.
func tempName(dest string) (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	dir, base := filepath.Split(dest)
	return filepath.Join(dir, "."+base+".partial-"+hex.EncodeToString(b[:])), nil
}

func (s *Store) backupSQLite(ctx context.Context, path, tmp string, info *BackupInfo) error {
	// A connection of its own (the read pool is query_only, which refuses
	// VACUUM even INTO another file): VACUUM INTO reads in one read
	// transaction, beside the writer.
	src, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	_, err = src.ExecContext(ctx, "VACUUM INTO "+sqlString(tmp))
	src.Close()
	if err != nil {
		return storageError(fmt.Errorf("backup: VACUUM INTO: %w", err))
	}
	// The copy is a database of its own: a rollback journal rather than a
	// WAL (one self-contained file), counted as it is.
	db, err := sql.Open("sqlite", "file:"+tmp+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, "PRAGMA journal_mode=DELETE"); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := describe(ctx, db, SQLite, info); err != nil {
		return err
	}
	return db.Close()
}

func (s *Store) backupPG(ctx context.Context, dsn, tmp string, info *BackupInfo) error {
	pgDump, err := pgTool("pg_dump")
	if err != nil {
		return err
	}
	conn, err := s.writeDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var snap string
	if err := tx.QueryRowContext(ctx, "SELECT pg_export_snapshot()").Scan(&snap); err != nil {
		return fmt.Errorf("backup: export snapshot: %w", err)
	}
	if err := describe(ctx, tx, Postgres, info); err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, pgDump, "--format=custom", "--snapshot="+snap, "--file="+tmp, "--dbname="+dsn)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("backup: pg_dump: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return tx.Commit()
}

type rowQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Tables lists the database's own tables, read from its schema.
func (s *Store) Tables(ctx context.Context) ([]string, error) {
	return tableNames(ctx, s.readDB, s.dialect)
}

func tableNames(ctx context.Context, db rowQuerier, d Dialect) ([]string, error) {
	q := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
	if d == Postgres {
		q = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// describe fills info's tables, row counts and migration version.
func describe(ctx context.Context, db rowQuerier, d Dialect, info *BackupInfo) error {
	names, err := tableNames(ctx, db, d)
	if err != nil {
		return fmt.Errorf("backup: tables: %w", err)
	}
	info.Tables, info.Rows = len(names), map[string]int64{}
	for _, n := range names {
		var c int64
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+quoteIdent(n)).Scan(&c); err != nil {
			return fmt.Errorf("backup: count %s: %w", n, err)
		}
		info.Rows[n] = c
	}
	var v sql.NullInt64
	if err := db.QueryRowContext(ctx, "SELECT max(version) FROM schema_migrations").Scan(&v); err != nil {
		return fmt.Errorf("backup: migration version: %w", err)
	}
	info.Version = int(v.Int64)
	return nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
func sqlString(s string) string  { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// pgBinGlob is where Debian's packages put PostgreSQL's programs.
var pgBinGlob = "/usr/lib/postgresql/*/bin"

// pgTool finds a PostgreSQL client program on PATH or, failing that, the
// newest under /usr/lib/postgresql/*/bin (Debian's layout).
func pgTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	found, _ := filepath.Glob(filepath.Join(pgBinGlob, name))
	sort.Slice(found, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(found[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(found[j]))))
		return vi > vj
	})
	for _, p := range found {
		if st, err := os.Stat(p); err == nil && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found on PATH or in /usr/lib/postgresql/*/bin: install the PostgreSQL client programs (e.g. apt-get install postgresql-client) of the server's major version or newer", name)
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return storageError(fmt.Errorf("backup: fsync: %w", err))
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func hashFile(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// ---- restore ----

// RestoreOptions tune Restore.
type RestoreOptions struct {
	// Force replaces a target database that is not empty.
	Force bool
	// Open opens the restored database as the application would (its
	// migrations, its keys), for the checks after the restore.
	Open func(ctx context.Context, dsn string) (*Store, error)
}

// RestoreInfo describes a finished restore.
type RestoreInfo struct {
	Target        string           `json:"target"`
	Dialect       string           `json:"dialect"`
	BackupVersion int              `json:"backup_migration_version"`
	SchemaVersion int              `json:"migration_version"` // after the binary's newer migrations, if any
	Tables        int              `json:"tables"`
	Rows          map[string]int64 `json:"rows"`
	Integrity     string           `json:"integrity"`
	AuditEntries  int64            `json:"audit_entries"`
	AuditHead     string           `json:"audit_head"`
	TookMS        int64            `json:"took_ms"`
}

// ErrNotEmpty is returned by Restore when the target has data and Force
// is not set.
var ErrNotEmpty = errors.New("restore: the target database is not empty (use --force to replace it)")

// Restore puts the backup in file into the database named by dsn, which
// must be empty unless opts.Force, then opens it (applying this binary's
// newer migrations), checks its integrity and verifies the audit chain. A
// backup from a newer schema than this binary's is refused. No server may
// be running on the target meanwhile.
func Restore(ctx context.Context, file, dsn string, opts RestoreOptions) (RestoreInfo, error) {
	start := time.Now()
	info := RestoreInfo{Target: dsn}
	head := make([]byte, 16)
	f, err := os.Open(file)
	if err != nil {
		return info, fmt.Errorf("restore: %w", err)
	}
	_, err = io.ReadFull(f, head)
	f.Close()
	if err != nil {
		return info, fmt.Errorf("restore: %s is no backup: %w", file, err)
	}
	isSQLite, isPG := string(head) == "SQLite format 3\x00", string(head[:5]) == "PGDMP"
	pg := IsPostgres(dsn)
	switch {
	case pg && !isPG:
		return info, fmt.Errorf("restore: %s is not a PostgreSQL custom-format dump (whistle backup of a PostgreSQL store)", file)
	case !pg && !isSQLite:
		return info, fmt.Errorf("restore: %s is not a SQLite database (whistle backup of a SQLite store)", file)
	}
	d := SQLite
	if pg {
		d = Postgres
	}
	info.Dialect = d.String()
	if pg {
		err = restorePG(ctx, file, dsn, opts, &info)
	} else {
		err = restoreSQLite(ctx, file, strings.TrimPrefix(dsn, "sqlite:"), opts, &info)
	}
	if err != nil {
		return info, err
	}
	open := opts.Open
	if open == nil {
		open = func(ctx context.Context, dsn string) (*Store, error) { return Open(ctx, dsn, Options{}) }
	}
	st, err := open(ctx, dsn)
	if err != nil {
		return info, fmt.Errorf("restore: opening the restored database: %w", err)
	}
	defer st.Close()
	if err := st.readDB.QueryRowContext(ctx, "SELECT max(version) FROM schema_migrations").Scan(&info.SchemaVersion); err != nil {
		return info, err
	}
	if d == SQLite {
		if err := st.readDB.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&info.Integrity); err != nil {
			return info, err
		}
		if info.Integrity != "ok" {
			return info, fmt.Errorf("restore: integrity check: %s", info.Integrity)
		}
	} else {
		info.Integrity = "pg_restore: ok"
	}
	rep, err := st.VerifyAudit(ctx, 0)
	if err != nil {
		return info, fmt.Errorf("restore: audit chain: %w", err)
	}
	if rep.Break != nil {
		return info, fmt.Errorf("restore: the audit chain is broken after %d good entries: %v", rep.Entries, rep.Break)
	}
	info.AuditEntries, info.AuditHead = rep.Entries, rep.Head
	info.TookMS = time.Since(start).Milliseconds()
	return info, nil
}

func checkVersion(v int, d Dialect) error {
	if top := SchemaVersion(d); v > top {
		return fmt.Errorf("restore: the backup is at migration %d, this whistle knows migrations up to %d: restore it with the newer whistle that made it", v, top)
	}
	return nil
}

func restoreSQLite(ctx context.Context, file, target string, opts RestoreOptions, info *RestoreInfo) error {
	var b BackupInfo
	src, err := sql.Open("sqlite", "file:"+file+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer src.Close()
	var ic string
	if err := src.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&ic); err != nil || ic != "ok" {
		return fmt.Errorf("restore: the backup fails SQLite's check: %q %v", ic, err)
	}
	if err := describe(ctx, src, SQLite, &b); err != nil {
		return fmt.Errorf("restore: reading the backup: %w", err)
	}
	src.Close()
	info.BackupVersion = b.Version
	if err := checkVersion(b.Version, SQLite); err != nil {
		return err
	}
	if st, err := os.Stat(target); err == nil && st.Size() > 0 && !opts.Force {
		return ErrNotEmpty
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o750); err != nil {
		return err
	}
	tmp, err := tempName(target)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := copyFile(file, tmp); err != nil {
		return storageError(fmt.Errorf("restore: %w", err))
	}
	// The old database's WAL and shared memory belong to it: left beside
	// the new file they would be replayed into it.
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		if err := os.Remove(target + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if err := os.Rename(tmp, target); err != nil {
		return err
	}
	if err := syncDir(filepath.Dir(target)); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+target+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	var got BackupInfo
	if err := describe(ctx, db, SQLite, &got); err != nil {
		return err
	}
	for t, n := range b.Rows {
		if got.Rows[t] != n {
			return fmt.Errorf("restore: table %s has %d rows, the backup %d", t, got.Rows[t], n)
		}
	}
	info.Tables, info.Rows = got.Tables, got.Rows
	return db.Close()
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func restorePG(ctx context.Context, file, dsn string, opts RestoreOptions, info *RestoreInfo) error {
	pgRestore, err := pgTool("pg_restore")
	if err != nil {
		return err
	}
	v, err := pgDumpVersion(ctx, pgRestore, file)
	if err != nil {
		return err
	}
	info.BackupVersion = v
	if err := checkVersion(v, Postgres); err != nil {
		return err
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	names, err := tableNames(ctx, db, Postgres)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if len(names) > 0 {
		if !opts.Force {
			return ErrNotEmpty
		}
		var schema string
		if err := db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
			return err
		}
		if _, err := db.ExecContext(ctx, "DROP SCHEMA "+quoteIdent(schema)+" CASCADE; CREATE SCHEMA "+quoteIdent(schema)); err != nil {
			return fmt.Errorf("restore: clearing the target: %w", err)
		}
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, pgRestore, "--dbname="+dsn, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", file)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("restore: pg_restore: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var got BackupInfo
	if err := describe(ctx, db, Postgres, &got); err != nil {
		return err
	}
	info.Tables, info.Rows = got.Tables, got.Rows
	return nil
}

// pgDumpVersion reads the highest migration in a custom-format dump's
// schema_migrations data, without restoring anything.
func pgDumpVersion(ctx context.Context, pgRestore, file string) (int, error) {
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, pgRestore, "--data-only", "--table=schema_migrations", "--file=-", file)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("restore: reading the dump: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	top, inCopy, seen := 0, false, false
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "COPY ") && strings.Contains(line, "schema_migrations"):
			inCopy, seen = true, true
		case inCopy && line == `\.`:
			inCopy = false
		case inCopy:
			if v, err := strconv.Atoi(strings.SplitN(line, "\t", 2)[0]); err == nil && v > top {
				top = v
			}
		}
	}
	if !seen {
		return 0, fmt.Errorf("restore: %s holds no schema_migrations table: not a whistle backup", file)
	}
	return top, nil
}
