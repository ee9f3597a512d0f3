package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"whistle/internal/config"
)

// commandFlags is a subcommand's FlagSet: its own flags beside the store
// flags of 'whistle serve' (--data, --db, …; config.AddFlags).
type commandFlags struct {
	*flag.FlagSet
	usage  string
	config *config.Flags
}

// newCommandFlags returns the FlagSet of a subcommand whose usage text is
// usage, with the store flags on it; errors go to stderr.
func newCommandFlags(name, usage string, stderr io.Writer) *commandFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // printed by parse, on stdout for -h
	return &commandFlags{FlagSet: fs, usage: usage, config: config.AddFlags(fs, os.Getenv)}
}

// printUsage writes the usage text and every flag with its default to w.
func (f *commandFlags) printUsage(w io.Writer) {
	out := f.Output()
	defer f.SetOutput(out)
	f.SetOutput(w)
	fmt.Fprint(w, f.usage)
	fmt.Fprintln(w, "\nflags:")
	f.PrintDefaults()
}

// parse parses args, flags before and after positional arguments, and
// returns the positional ones (all after "--"). -h or --help prints the
// usage on stdout and returns flag.ErrHelp; any other error is printed
// with the usage on stderr.
func (f *commandFlags) parse(args []string, stdout io.Writer) ([]string, error) {
	var pos []string
	for {
		err := f.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			f.printUsage(stdout)
			return nil, err
		}
		if err != nil {
			f.printUsage(f.Output())
			if name, ok := strings.CutPrefix(err.Error(), "flag needs an argument: -"); ok {
				return nil, fmt.Errorf("flag --%s needs a value", name)
			}
			return nil, err
		}
		rest := f.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// loadConfig returns the configuration from the store flags, the
// environment and the configuration file, after pos, the positional
// arguments, which the command has none of.
func (f *commandFlags) loadConfig(pos []string) (config.Config, error) {
	if len(pos) > 0 {
		return config.Config{}, fmt.Errorf("unexpected arguments: %v", pos)
	}
	return f.config.Load()
}

// given reports whether the flag name was given on fs.
func given(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}
