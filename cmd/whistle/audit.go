package main

import (
	"context"
	"errors"
	"flag"
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
	page, cfg, err := parseAudit(args[1:], stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
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

// parseAudit parses the arguments of 'whistle audit verify' after verify
// and the store flags.
func parseAudit(args []string, stdout, stderr io.Writer) (page int, cfg config.Config, err error) {
	fs := newCommandFlags("audit", auditUsage, stderr)
	fs.IntVar(&page, "page", 0, "audit entries read per page (default: the store's, 5000)")
	pos, err := fs.parse(args, stdout)
	if err != nil {
		return 0, cfg, err
	}
	if given(fs.FlagSet, "page") && page <= 0 {
		return 0, cfg, fmt.Errorf("flag --page: %q is not a positive number", fs.Lookup("page").Value.String())
	}
	cfg, err = fs.loadConfig(pos)
	return page, cfg, err
}
