package insight

import (
	"sort"
	"strings"
)

// Title names a topic for display by its best phrases, at most max of them
// (max < 1 means 3), joined by "、".
func (t Topic) Title(max int) string {
	title, _ := t.TitleParts(max)
	return strings.Join(title, "、")
}

// TitleParts splits a topic's phrases (its terms when it has none) into the
// title, at most max of them (max < 1 means 3), and the rest, for the
// evidence. The phrases that carry most of the topic's requests come first:
// those holding most of its terms (each term is in many of its requests),
// then those holding its strongest term (the terms are in rank order), then
// the longest. A phrase is left out of the title when a longer phrase
// already holds it without its first or its last character: it is a piece
// of that phrase cut mid-word (号楼的居 beside 楼的居民反映). Deterministic:
// ties are broken by the text.
func (t Topic) TitleParts(max int) (title, rest []string) {
	if max < 1 {
		max = 3
	}
	ph := t.Phrases
	if len(ph) == 0 {
		ph = t.Terms
	}
	type cand struct {
		text         string
		runes        int
		terms, first int
	}
	cs := make([]cand, 0, len(ph))
	seen := map[string]bool{}
	for _, p := range ph {
		if p == "" || seen[p] {
			continue
		}
		seen[p] = true
		c := cand{text: p, runes: len([]rune(p)), first: len(t.Terms)}
		for i, term := range t.Terms {
			if strings.Contains(p, term) {
				c.terms++
				c.first = min(c.first, i)
			}
		}
		cs = append(cs, c)
	}
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.terms != b.terms {
			return a.terms > b.terms
		}
		if a.first != b.first {
			return a.first < b.first
		}
		if a.runes != b.runes {
			return a.runes > b.runes
		}
		return a.text < b.text
	})
	fragment := func(c cand) bool {
		r := []rune(c.text)
		if len(r) < 3 {
			return false
		}
		head, tail := string(r[1:]), string(r[:len(r)-1])
		for _, o := range cs {
			if o.runes > c.runes && (strings.Contains(o.text, head) || strings.Contains(o.text, tail) || strings.Contains(o.text, c.text)) {
				return true
			}
		}
		return false
	}
	for _, c := range cs {
		if len(title) < max && !fragment(c) {
			title = append(title, c.text)
		} else {
			rest = append(rest, c.text)
		}
	}
	if len(title) == 0 && len(rest) > 0 {
		title, rest = rest[:1], rest[1:]
	}
	return title, rest
}
