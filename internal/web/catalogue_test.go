package web

import (
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// Every string on the pages comes from the catalogues: templates use only
// keys that exist in both languages, and hold no Chinese text of their own.
func TestTemplatesUseTheCatalogues(t *testing.T) {
	cat, err := LoadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	srcs, err := templateSources()
	if err != nil {
		t.Fatal(err)
	}
	key := regexp.MustCompile(`T [$.\w]*\.?Lang "([\w.]+)"`)
	prefix := regexp.MustCompile(`\(print "([\w.]+\.)"`)
	prefixes := map[string]bool{}
	for name, src := range srcs {
		for _, m := range key.FindAllStringSubmatch(src, -1) {
			if !cat.Has(m[1]) {
				t.Errorf("%s: key %q is not in the catalogues", name, m[1])
			}
		}
		for _, m := range prefix.FindAllStringSubmatch(src, -1) {
			prefixes[m[1]] = true
		}
		// Outside template actions, no Han characters.
		text := regexp.MustCompile(`(?s)\{\{.*?\}\}`).ReplaceAllString(src, "")
		for i, line := range strings.Split(text, "\n") {
			for _, r := range line {
				if unicode.Is(unicode.Han, r) {
					t.Errorf("%s: line %d has text outside the catalogues: %q", name, i+1, strings.TrimSpace(line))
					break
				}
			}
		}
	}
	for p := range prefixes {
		found := false
		for _, k := range cat.Keys() {
			if strings.HasPrefix(k, p) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("no catalogue keys under the prefix %q used by templates", p)
		}
	}
	// Both languages render every lifecycle state, type and action.
	for _, k := range []string{"state.closed", "type.complaint", "action.request_return", "urgency.general", "channel.grid"} {
		if cat.T("zh", k) == k || cat.T("en", k) == k || cat.T("zh", k) == cat.T("en", k) {
			t.Errorf("%s: zh %q, en %q", k, cat.T("zh", k), cat.T("en", k))
		}
	}
}
