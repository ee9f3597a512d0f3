package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"whistle/internal/config"
	"whistle/internal/store"
)

const backupUsage = `usage: whistle backup [--out FILE] [store flags]

Writes a consistent copy of the database while the server keeps running:
SQLite with VACUUM INTO (one compact file, a database of its own), PostgreSQL
with pg_dump --format=custom (pg_dump from PATH or /usr/lib/postgresql/*/bin).
The copy is written under a hidden temporary name beside FILE, fsynced and
renamed, so FILE exists only when complete; FILE must not exist yet. Prints
one JSON line: the file, its size and SHA-256, the migration version, the
number of tables and every table's rows. Default FILE:
whistle-YYYYMMDD-HHMMSS.backup in the current directory. Store flags are
those of 'whistle serve' (--data DIR, --db URL, …). See docs/OPERATIONS.md.
`

// backupCmd runs 'whistle backup'.
func backupCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags, rest, err := splitFlags(args, []string{"out", "o"}, []string{"h", "help"})
	if err != nil {
		return err
	}
	if flags["h"] != "" || flags["help"] != "" {
		fmt.Fprint(stdout, backupUsage)
		return nil
	}
	out := cmp.Or(flags["out"], flags["o"])
	cfg, err := config.Load("backup", rest, os.Getenv, stderr)
	if err != nil {
		return err
	}
	if out == "" {
		out = "whistle-" + time.Now().UTC().Format("20060102-150405") + ".backup"
	}
	dsn := cfg.DSN()
	if !store.IsPostgres(dsn) {
		// Backing up must not create an empty database where none was.
		if _, err := os.Stat(strings.TrimPrefix(dsn, "sqlite:")); err != nil {
			return fmt.Errorf("backup: no database: %w", err)
		}
	}
	st, err := store.Open(ctx, dsn, store.Options{Logger: logger(cfg.LogLevel, stderr)})
	if err != nil {
		return err
	}
	defer st.Close()
	info, err := st.Backup(ctx, dsn, out)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(info)
}
