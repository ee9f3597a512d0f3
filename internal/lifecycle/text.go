package lifecycle

import (
	"strings"
	"unicode"
)

// invisible reports whether r shows nothing: white space, or a format
// character (Unicode Cf: zero-width space U+200B, joiners U+200C/U+200D,
// the word joiner U+2060, the byte-order mark U+FEFF, bidi marks …).
func invisible(r rune) bool { return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) }

// Trim removes white space and invisible format characters from both ends
// of s. Every text a person types into a case (description, title, notes,
// reasons, addresses, names) goes through it before it is checked and
// kept, so that a text of only zero-width characters is missing, not
// present.
func Trim(s string) string { return strings.TrimFunc(s, invisible) }

// Blank reports whether s shows nothing (empty after Trim).
func Blank(s string) bool { return Trim(s) == "" }
