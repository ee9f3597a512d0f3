package retention

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Redacted replaces what Redact removes from free text.
const Redacted = "[已删除]"

// phoneLike matches what may identify a person by number in free text:
// resident ID numbers (17 digits and a check digit or X), mobile numbers
// (1[3-9] and 9 digits, optionally +86 and grouped by spaces or hyphens),
// landlines with an area code (0xx-xxxxxxxx), local numbers written
// xxxx-xxxx, and any other run of 7 or more digits (local landlines, bank
// cards, licence plates' digits are shorter). Dates (2026-03-11), times,
// amounts and house numbers are shorter runs and are kept. E-mail addresses
// go too.
var phoneLike = regexp.MustCompile(`\d{17}[\dXx]|(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}|0\d{2,3}[- ]\d{7,8}|\d{4}-\d{4}|\d{7,}|[\w.+-]+@[\w-]+(?:\.[\w-]+)+`)

// honorifics follow a surname when a person is addressed politely
// ("王先生"): with the citizen's surname they name the citizen.
var honorifics = []string{"先生", "女士", "小姐", "师傅", "阿姨", "大爷", "大妈", "老师", "同志"}

// Redact removes from s phone-like numbers, ID numbers, e-mail addresses
// and the citizen's own name (in full, and as surname + honorific such as
// "王先生", when the name has at least two characters). Other people's
// names cannot be recognised and are kept.
func Redact(s, name string) string {
	if s == "" {
		return s
	}
	s = phoneLike.ReplaceAllString(s, Redacted)
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) >= 2 {
		s = strings.ReplaceAll(s, name, Redacted)
		surname, _ := utf8.DecodeRuneInString(name)
		for _, h := range honorifics {
			s = strings.ReplaceAll(s, string(surname)+h, Redacted)
		}
	}
	return s
}

// redactAny redacts every string inside v (an event's data: maps, lists,
// strings), returning the new value and whether anything changed.
func redactAny(v any, name string) (any, bool) {
	switch x := v.(type) {
	case string:
		r := Redact(x, name)
		return r, r != x
	case map[string]any:
		changed := false
		for k, e := range x {
			if r, ok := redactAny(e, name); ok {
				x[k], changed = r, true
			}
		}
		return x, changed
	case []any:
		changed := false
		for i, e := range x {
			if r, ok := redactAny(e, name); ok {
				x[i], changed = r, true
			}
		}
		return x, changed
	}
	return v, false
}
