package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"whistle/internal/georeport"
	"whistle/internal/org"
)

const apikeyUsage = `usage: whistle apikey create --name NAME [store flags]

Creates an Open311 API key for a client (docs/OPEN311.md) and prints it,
and nothing else, on standard output: it is shown this once (only its hash
is stored). Keys are listed and revoked on the administration page
(Open311). Store flags are those of 'whistle serve' (--data DIR, --db URL).
`

// apikeyCmd runs 'whistle apikey create'.
func apikeyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if isHelp(args) {
		fmt.Fprint(stdout, apikeyUsage)
		return nil
	}
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprint(stderr, apikeyUsage)
		return errors.New("apikey: unknown or missing sub-command (want create)")
	}
	flags, rest, err := splitFlags(args[1:], []string{"name"}, []string{"h", "help"})
	if err != nil {
		return err
	}
	if flags["h"] != "" || flags["help"] != "" {
		fmt.Fprint(stdout, apikeyUsage)
		return nil
	}
	if flags["name"] == "" {
		fmt.Fprint(stderr, apikeyUsage)
		return errors.New("apikey create: --name is required")
	}
	c, st, _, err := openCore(ctx, "apikey", rest, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	key, k, err := georeport.New(c, nil).CreateKey(ctx, org.System(), flags["name"])
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr, "created Open311 API key", k.ID, "("+k.Name+", "+k.Prefix+"…): shown once")
	fmt.Fprintln(stdout, key)
	return nil
}
