package classify

import (
	"math/rand/v2"
	"strings"
)

// Resample synthesises n labelled texts from ex, for training-speed
// benchmarks at scale: each new text takes the label of a randomly drawn
// example and is made of the sentences of two or three random texts of
// that label, shuffled, so texts have the source's lengths and vocabulary
// but are rarely identical. Deterministic for a seed.
func Resample(ex []Example, n int, seed uint64) []Example {
	if len(ex) == 0 || n <= 0 {
		return nil
	}
	byLabel := map[string][][]string{}
	for _, e := range ex {
		byLabel[e.Label] = append(byLabel[e.Label], sentences(e.Text))
	}
	r := rand.New(rand.NewPCG(seed, 0x5ca1e))
	out := make([]Example, n)
	for i := range out {
		label := ex[r.IntN(len(ex))].Label
		pool := byLabel[label]
		var sents []string
		for range 2 + r.IntN(2) {
			src := pool[r.IntN(len(pool))]
			// about half of each source text's sentences
			for _, s := range src {
				if r.IntN(2) == 0 {
					sents = append(sents, s)
				}
			}
		}
		if len(sents) == 0 {
			sents = pool[r.IntN(len(pool))]
		}
		r.Shuffle(len(sents), func(a, b int) { sents[a], sents[b] = sents[b], sents[a] })
		out[i] = Example{Text: strings.Join(sents, ""), Label: label}
	}
	return out
}

// sentences splits a text after each sentence-ending mark.
func sentences(s string) []string {
	var out []string
	start := 0
	for i, r := range s {
		if r == '。' || r == '！' || r == '？' || r == '!' || r == '?' || r == '\n' {
			end := i + len(string(r))
			if end > start {
				out = append(out, s[start:end])
			}
			start = end
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}
