package timelimit_test

import (
	"errors"
	"testing"

	"whistle/internal/timelimit"
)

// FuzzParseSpan: a time limit as an administrator types it parses to a
// valid span or to an error of this package, and a parsed span's String
// parses back to the same span.
func FuzzParseSpan(f *testing.F) {
	for _, s := range []string{"30m", "2h", "1h30m", "7wd", " 15wd ", "0", "0m", "-1h", "+3wd", "1.5h", "90s", "1wd+2h", "9223372036854775807wd", "2562047h47m", "wd", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		s, err := timelimit.ParseSpan(text)
		if err != nil {
			if !errors.Is(err, timelimit.ErrBadSpanText) && !errors.Is(err, timelimit.ErrSpan) && !errors.Is(err, timelimit.ErrSpanTooLong) {
				t.Fatalf("ParseSpan(%q): unclassified error %v", text, err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("ParseSpan(%q) = %+v, invalid: %v", text, s, err)
		}
		back, err := timelimit.ParseSpan(s.String())
		if err != nil || back != s {
			t.Fatalf("ParseSpan(%q) = %+v; String %q parses to %+v, %v", text, s, s.String(), back, err)
		}
	})
}
