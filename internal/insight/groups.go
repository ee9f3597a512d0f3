package insight

import (
	"sort"
	"unicode/utf8"
)

// TextGroup is a group of short texts (free-text survey answers, issue #15)
// that share a term, found with the same terms as the monthly analysis.
type TextGroup struct {
	Label   string   // the shared terms re-assembled into phrases ("" for the rest)
	Terms   []string // the terms the group's texts share
	Texts   []int    // indexes of the texts, in input order
	Example string   // the group's first text
}

// GroupTexts groups texts by the terms they share: the term found in most
// texts not yet grouped (a longer term first on ties) opens a group of
// every such text, its label assembled from the terms most of them share;
// until maxGroups groups are made or no term is shared by two texts. The
// texts left over form a last group with an empty label.
func GroupTexts(texts []string, maxGroups int) []TextGroup {
	terms := make([][]string, len(texts))
	var buf []string
	for i, t := range texts {
		buf = grams(t, buf)
		var ts []string
		for _, g := range buf {
			if !stopTerm(g) {
				ts = append(ts, g)
			}
		}
		terms[i] = distinct(ts)
	}
	done := make([]bool, len(texts))
	var out []TextGroup
	for len(out) < maxGroups {
		df := map[string]int{}
		for i, ts := range terms {
			if done[i] {
				continue
			}
			for _, t := range ts {
				df[t]++
			}
		}
		best, bn := "", 1
		for t, n := range df {
			if n > bn || (n == bn && bn > 1 && better(t, best)) {
				best, bn = t, n
			}
		}
		if best == "" {
			break
		}
		g := TextGroup{}
		co := map[string]int{}
		for i, ts := range terms {
			if done[i] || !has(ts, best) {
				continue
			}
			done[i] = true
			g.Texts = append(g.Texts, i)
			for _, t := range ts {
				co[t]++
			}
		}
		for t, n := range co {
			if 2*n > len(g.Texts) && (t == best || n >= 2) {
				g.Terms = append(g.Terms, t)
			}
		}
		sort.Slice(g.Terms, func(i, j int) bool { return better(g.Terms[i], g.Terms[j]) })
		if len(g.Terms) > 6 {
			g.Terms = g.Terms[:6]
		}
		if ps := assemble(g.Terms); len(ps) > 0 {
			sort.Slice(ps, func(i, j int) bool { return better(ps[i], ps[j]) })
			g.Label = ps[0]
		}
		g.Example = texts[g.Texts[0]]
		out = append(out, g)
	}
	rest := TextGroup{}
	for i := range texts {
		if !done[i] {
			rest.Texts = append(rest.Texts, i)
		}
	}
	if len(rest.Texts) > 0 {
		rest.Example = texts[rest.Texts[0]]
		out = append(out, rest)
	}
	return out
}

// better orders terms: longer first, then by text.
func better(a, b string) bool {
	la, lb := utf8.RuneCountInString(a), utf8.RuneCountInString(b)
	if la != lb {
		return la > lb
	}
	return a < b
}

func has(sorted []string, t string) bool {
	i := sort.SearchStrings(sorted, t)
	return i < len(sorted) && sorted[i] == t
}
