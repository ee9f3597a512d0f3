// Package classify is Whistle's text classifier (智能派单): it learns from the
// city's closed requests which category a new request is about, and returns
// the top categories with calibrated probabilities. Everything is pure Go and
// deterministic for a given seed: hashed character n-grams of the
// normalised text (no word list or segmenter is needed for Chinese), TF-IDF
// with sublinear term frequency and L2 normalisation, and a linear model
// (one-vs-rest linear SVM trained by dual coordinate descent, multinomial
// logistic regression, or naive Bayes), whose scores are turned into
// probabilities by a softmax with a temperature fitted on held-out folds.
package classify

import (
	"unicode"
)

// Normalize folds the text for features: full-width ASCII and the
// ideographic space become half-width, letters are lower-cased, runs of
// digits become a single '0', and everything that is neither a letter, a
// digit nor a Han character (punctuation, symbols, space) becomes a
// separator ' ' (runs of separators collapse to one).
func Normalize(s string) string {
	return string(normRunes(s))
}

// normRunes returns the normalised runes of s (see Normalize).
func normRunes(s string) []rune {
	out := make([]rune, 0, len(s)/2)
	sep := true // at start: drop leading separators
	digit := false
	for _, r := range s {
		if r >= 0x4E00 && r <= 0x9FFF { // CJK unified ideographs: the common case
			out = append(out, r)
			digit, sep = false, false
			continue
		}
		r = fold(r)
		switch {
		case r >= '0' && r <= '9':
			if !digit {
				out = append(out, '0')
			}
			digit, sep = true, false
			continue
		case unicode.IsLetter(r) || unicode.Is(unicode.Han, r):
			out = append(out, unicode.ToLower(r))
			digit, sep = false, false
		default:
			if !sep {
				out = append(out, ' ')
			}
			digit, sep = false, true
		}
	}
	if n := len(out); n > 0 && out[n-1] == ' ' {
		out = out[:n-1]
	}
	return out
}

// fold maps full-width forms to half-width.
func fold(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
		return r - 0xFEE0
	case r == 0x3000: // ideographic space
		return ' '
	case r >= 0xFF10 && r <= 0xFF19:
		return r - 0xFEE0
	}
	return r
}

// Features are the hashed features of a text: the sorted distinct feature
// indices and how often each occurs.
type features struct {
	idx []int32
	tf  []float32
}

// hashGrams appends the hash of every character n-gram (n from minN to maxN)
// of the normalised runes, never across a separator, to dst.
func hashGrams(dst []uint32, runes []rune, minN, maxN int) []uint32 {
	start := 0
	for start < len(runes) {
		end := start
		for end < len(runes) && runes[end] != ' ' {
			end++
		}
		seg := runes[start:end]
		for i := range seg {
			// FNV-1a over the runes of the n-gram, n mixed in so that a
			// unigram and a bigram never share a hash by construction.
			h := uint32(2166136261)
			for n := 1; n <= maxN && i+n <= len(seg); n++ {
				r := uint32(seg[i+n-1])
				h ^= r & 0xff
				h *= 16777619
				h ^= (r >> 8) & 0xff
				h *= 16777619
				h ^= r >> 16
				h *= 16777619
				if n >= minN {
					dst = append(dst, mix(h^uint32(n)*0x9e3779b9))
				}
			}
		}
		start = end + 1
	}
	return dst
}

// mix is a finaliser (from murmur3) so that the low bits are well spread.
func mix(h uint32) uint32 {
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}
