package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"whistle/internal/config"
	"whistle/internal/store"
)

const auditUsage = `usage: whistle audit verify [--page N] [store flags]

Checks the audit log's hash chain from its first entry to its recorded head
and prints "ok: N entries" with the head (note it down elsewhere: a later
run that does not reach it shows the log was cut short and rewritten), or
the first place where the chain breaks: the entry id and what was expected
there and what was found. Exits 1 on a break. Store flags are those of
'whistle serve' (--data DIR, --db URL, …).
`

// errChainBroken is returned when verification finds a break.
var errChainBroken = errors.New("audit: the audit chain is broken")

// auditCmd runs 'whistle audit'.
func auditCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprint(stdout, auditUsage)
			return nil
		}
		fmt.Fprint(stderr, auditUsage)
		return errors.New("audit: unknown or missing sub-command (want verify)")
	}
	page := 0
	var rest []string
	args = args[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case !strings.HasPrefix(a, "-"):
			rest = append(rest, a)
		case name == "h" || name == "help":
			fmt.Fprint(stdout, auditUsage)
			return nil
		case name == "page":
			if !hasVal {
				if i+1 >= len(args) {
					return errors.New("flag --page needs a value")
				}
				i++
				val = args[i]
			}
			if _, err := fmt.Sscan(val, &page); err != nil || page <= 0 {
				return fmt.Errorf("flag --page: %q is not a positive number", val)
			}
		default:
			rest = append(rest, a)
		}
	}
	cfg, err := config.Load("audit", rest, os.Getenv, stderr)
	if err != nil {
		return err
	}
	dsn := cfg.DSN()
	if !store.IsPostgres(dsn) {
		// Verifying must not create an empty database where none was.
		if _, err := os.Stat(strings.TrimPrefix(dsn, "sqlite:")); err != nil {
			return fmt.Errorf("audit: no database: %w", err)
		}
	}
	st, err := store.Open(ctx, dsn, store.Options{Logger: logger(cfg.LogLevel, stderr)})
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := st.VerifyAudit(ctx, page)
	if err != nil {
		return err
	}
	if rep.Break != nil {
		fmt.Fprintf(stdout, "broken after %d good entries: %v\n", rep.Entries, rep.Break)
		return errChainBroken
	}
	fmt.Fprintf(stdout, "ok: %d entries (head: id %d, hash %s)\n", rep.Entries, rep.HeadID, rep.Head)
	return nil
}
