package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"whistle/internal/app"
	"whistle/internal/config"
	"whistle/internal/store"
)

const attachmentsUsage = `usage: whistle attachments gc [--orphan-grace 24h] [store flags]

Deletes the attachments never linked to a case that were uploaded longer
than the grace period ago (--orphan-grace, default 24h): their rows and,
when no other attachment shares the same bytes, their files. The server
does the same every hour; this runs it now (it is safe beside a running
server). Prints how many were deleted. Store flags are those of
'whistle serve' (--data DIR, --db URL, --attachments disk|db).
`

// attachmentsCmd runs 'whistle attachments'.
func attachmentsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "gc" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprint(stdout, attachmentsUsage)
			return nil
		}
		fmt.Fprint(stderr, attachmentsUsage)
		return errors.New("attachments: unknown or missing sub-command (want gc)")
	}
	for _, a := range args[1:] {
		if a == "-h" || a == "--help" || a == "-help" {
			fmt.Fprint(stdout, attachmentsUsage)
			return nil
		}
	}
	cfg, err := config.Load("attachments gc", args[1:], os.Getenv, stderr)
	if err != nil {
		return err
	}
	dsn := cfg.DSN()
	if !store.IsPostgres(dsn) {
		// Collecting must not create an empty database where none was.
		if _, err := os.Stat(strings.TrimPrefix(dsn, "sqlite:")); err != nil {
			return fmt.Errorf("attachments: no database: %w", err)
		}
	}
	a, err := app.Open(ctx, cfg, logger(cfg.LogLevel, stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	n, size, err := a.Svc.Cases.CollectOrphans(ctx, a.Svc.Cases.Now())
	fmt.Fprintf(stdout, "deleted %d orphan attachments (%d bytes) uploaded more than %s ago\n", n, size, cfg.OrphanGrace)
	return err
}
