package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"whistle/internal/config"
	"whistle/internal/sealed"
	"whistle/internal/store"
)

const keysUsage = `usage: whistle keys <rotate|status|drop ID> [store flags]

The data keys seal the citizens' personal data at rest (names, phone
numbers, exact addresses, request texts). They live in the key file
(--key-file, WHISTLE_KEY_FILE; default whistle.key in the data directory)
or in WHISTLE_DATA_KEY — never in the database.

  rotate    add a new primary key to the key file (or print the new
            WHISTLE_DATA_KEY value). A running 'whistle serve' re-reads the
            key file within a minute and re-seals every case under the new
            key in the background, a small batch at a time; the old keys
            stay until no case uses them. With several nodes, give every
            node the new key file before their next re-read.
  status    show the keys and how many cases each one seals.
  drop ID   remove an old key that no case uses any more (backups sealed
            under it can then no longer be read: keep a copy of the old key
            file with them).

Store flags are those of 'whistle serve' (--data DIR, --db URL, --key-file).
`

// keysCmd runs 'whistle keys'.
func keysCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, keysUsage)
		if len(args) == 0 {
			return errors.New("keys: missing sub-command")
		}
		return nil
	}
	sub, rest := args[0], args[1:]
	var dropID string
	if sub == "drop" {
		if len(rest) == 0 || strings.HasPrefix(rest[0], "-") {
			return errors.New("keys drop: which key? (whistle keys drop k1)")
		}
		dropID, rest = rest[0], rest[1:]
	}
	cfg, err := config.Load("keys "+sub, rest, os.Getenv, stderr)
	if err != nil {
		return err
	}
	switch sub {
	case "rotate":
		return keysRotate(ctx, cfg, stdout, stderr)
	case "status":
		return keysStatus(ctx, cfg, stdout, stderr)
	case "drop":
		return keysDrop(ctx, cfg, dropID, stdout, stderr)
	}
	fmt.Fprint(stderr, keysUsage)
	return fmt.Errorf("keys: unknown sub-command %q", sub)
}

func keysRotate(ctx context.Context, cfg config.Config, stdout, stderr io.Writer) error {
	if cfg.DataKey != "" {
		_, keys, err := sealed.ParseEnv(cfg.DataKey)
		if err != nil {
			return err
		}
		ids := make([]string, len(keys))
		for i, k := range keys {
			ids[i] = k.ID
		}
		nk := sealed.Key{ID: sealed.NextID(ids), Secret: sealed.NewSecret()}
		fmt.Fprintf(stdout, "WHISTLE_DATA_KEY=%s\n", sealed.FormatEnv(append([]sealed.Key{nk}, keys...)))
		fmt.Fprintf(stderr, "new primary key %s: set this value on every node and restart them; the cases are re-sealed in the background\n", nk.ID)
		return nil
	}
	keys, err := cfg.LoadKeys(false)
	if err != nil {
		return err
	}
	id := keys.File.Rotate()
	if err := keys.File.Save(keys.Path, false); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "new primary key %s in %s\n", id, keys.Path)
	if err := keys.Reload(); err != nil {
		return err
	}
	return printStatus(ctx, cfg, keys, stdout, stderr)
}

func openForKeys(ctx context.Context, cfg config.Config, keys *config.Keys, stderr io.Writer) (*store.Store, error) {
	dsn := cfg.DSN()
	if !store.IsPostgres(dsn) {
		if _, err := os.Stat(strings.TrimPrefix(dsn, "sqlite:")); err != nil {
			return nil, fmt.Errorf("keys: no database: %w", err)
		}
	}
	return store.Open(ctx, dsn, store.Options{Logger: logger(cfg.LogLevel, stderr), Keys: keys.Ring})
}

func keysStatus(ctx context.Context, cfg config.Config, stdout, stderr io.Writer) error {
	keys, err := cfg.LoadKeys(false)
	if err != nil {
		return err
	}
	return printStatus(ctx, cfg, keys, stdout, stderr)
}

func printStatus(ctx context.Context, cfg config.Config, keys *config.Keys, stdout, stderr io.Writer) error {
	from := keys.Path
	if from == "" {
		from = "WHISTLE_DATA_KEY"
	}
	fmt.Fprintf(stdout, "keys from %s: %s; primary %s\n", from, strings.Join(keys.Ring.IDs(), ", "), keys.Ring.Primary())
	st, err := openForKeys(ctx, cfg, keys, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	counts, err := st.SealCounts(ctx)
	if err != nil {
		return err
	}
	total, left := 0, 0
	ids := slices.Sorted(func(yield func(string) bool) {
		for k := range counts {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range ids {
		n := counts[k]
		total += n
		name := k
		if k == "" {
			name = "(clear, from before sealing)"
		}
		if k != keys.Ring.Primary() {
			left += n
		}
		fmt.Fprintf(stdout, "  %s: %d cases\n", name, n)
	}
	if total == 0 {
		fmt.Fprintln(stdout, "no cases")
		return nil
	}
	fmt.Fprintf(stdout, "re-sealed under %s: %d of %d cases (%.1f%%); %d left\n", keys.Ring.Primary(), total-left, total, 100*float64(total-left)/float64(total), left)
	evCounts, err := st.EventSealCounts(ctx)
	if err != nil {
		return err
	}
	evLeft := 0
	for k, n := range evCounts {
		if k != keys.Ring.Primary() {
			evLeft += n
		}
	}
	fmt.Fprintf(stdout, "case events not yet under %s: %d\n", keys.Ring.Primary(), evLeft)
	totpCounts, err := st.TOTPSealCounts(ctx)
	if err != nil {
		return err
	}
	totpLeft := 0
	for k, n := range totpCounts {
		if k != keys.Ring.Primary() {
			totpLeft += n
		}
	}
	fmt.Fprintf(stdout, "two-step verification secrets not yet under %s: %d\n", keys.Ring.Primary(), totpLeft)
	textCounts, err := st.SealedTextCounts(ctx)
	if err != nil {
		return err
	}
	textLeft := 0
	for k, n := range textCounts {
		if k != keys.Ring.Primary() {
			textLeft += n
		}
	}
	fmt.Fprintf(stdout, "other personal data (volunteers, care list, deliberations, webhook secrets) not yet under %s: %d\n", keys.Ring.Primary(), textLeft)
	for _, id := range keys.Ring.IDs() {
		if id != keys.Ring.Primary() && counts[id] == 0 && evCounts[id] == 0 && totpCounts[id] == 0 && textCounts[id] == 0 {
			fmt.Fprintf(stdout, "key %s seals no case any more ('whistle keys drop %s' removes it)\n", id, id)
		}
	}
	return nil
}

func keysDrop(ctx context.Context, cfg config.Config, id string, stdout, stderr io.Writer) error {
	if cfg.DataKey != "" {
		return errors.New("keys drop: the keys come from WHISTLE_DATA_KEY: remove the key from its value")
	}
	keys, err := cfg.LoadKeys(false)
	if err != nil {
		return err
	}
	st, err := openForKeys(ctx, cfg, keys, stderr)
	if err != nil {
		return err
	}
	counts, err := st.SealCounts(ctx)
	var evCounts, totpCounts map[string]int
	if err == nil {
		evCounts, err = st.EventSealCounts(ctx)
	}
	if err == nil {
		totpCounts, err = st.TOTPSealCounts(ctx)
	}
	var textCounts map[string]int
	if err == nil {
		textCounts, err = st.SealedTextCounts(ctx)
	}
	st.Close()
	if err != nil {
		return err
	}
	if n := counts[id]; n > 0 {
		return fmt.Errorf("keys drop: %d cases are still sealed under %s (see 'whistle keys status')", n, id)
	}
	if n := evCounts[id]; n > 0 {
		return fmt.Errorf("keys drop: %d case events are still sealed under %s (see 'whistle keys status')", n, id)
	}
	if n := totpCounts[id]; n > 0 {
		return fmt.Errorf("keys drop: %d two-step verification secrets are still sealed under %s (see 'whistle keys status')", n, id)
	}
	if n := textCounts[id]; n > 0 {
		return fmt.Errorf("keys drop: %d other personal data values (volunteers, care list, deliberations, webhook secrets) are still sealed under %s (see 'whistle keys status')", n, id)
	}
	if err := keys.File.Drop(id); err != nil {
		return fmt.Errorf("keys drop: %w", err)
	}
	if err := keys.File.Save(keys.Path, false); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "key %s removed from %s\n", id, keys.Path)
	return nil
}
