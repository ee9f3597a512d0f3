package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"whistle/internal/config"
	"whistle/internal/store"
)

const restoreUsage = `usage: whistle restore FILE [--force] [store flags]

Restores a backup made by 'whistle backup' into the database named by the
store flags (--data DIR for SQLite, --db URL for PostgreSQL), which must be
empty unless --force is given (--force replaces it: the SQLite file, or
every table of the PostgreSQL schema). A backup from a newer whistle (a
higher migration version than this binary's) is refused. Afterwards the
database is opened as the server would open it (this binary's newer
migrations applied), its integrity checked and its audit chain verified;
prints one JSON line. Stop every server on the target first. PostgreSQL
needs pg_restore (PATH or /usr/lib/postgresql/*/bin). See docs/OPERATIONS.md.
`

// restoreCmd runs 'whistle restore'.
func restoreCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	file := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	flags, rest, err := splitFlags(args, nil, []string{"force", "h", "help"})
	if err != nil {
		return err
	}
	if flags["h"] != "" || flags["help"] != "" {
		fmt.Fprint(stdout, restoreUsage)
		return nil
	}
	force := flags["force"] == "true"
	if file == "" {
		fmt.Fprint(stderr, restoreUsage)
		return fmt.Errorf("restore: which backup file?")
	}
	cfg, err := config.Load("restore", rest, os.Getenv, stderr)
	if err != nil {
		return err
	}
	log := logger(cfg.LogLevel, stderr)
	info, err := store.Restore(ctx, file, cfg.DSN(), store.RestoreOptions{
		Force: force,
		Open: func(ctx context.Context, dsn string) (*store.Store, error) {
			return store.Open(ctx, dsn, store.Options{Logger: log})
		},
	})
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(info)
}
