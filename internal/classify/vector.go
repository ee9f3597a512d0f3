package classify

import (
	"math"
	"slices"
)

// vec is a sparse, L2-normalised TF-IDF vector over hashed features.
type vec struct {
	idx []int32
	val []float32
}

// scratch holds a text's per-call buffers.
type scratch struct {
	hashes []uint32
	runes  []rune
}

// counts returns the distinct hashed features of text with their counts,
// sorted by index.
func (sc *scratch) counts(text string, bits, minN, maxN int) ([]int32, []float32) {
	sc.runes = appendNorm(sc.runes[:0], text)
	sc.hashes = hashGrams(sc.hashes[:0], sc.runes, minN, maxN)
	mask := uint32(1)<<bits - 1
	for i, h := range sc.hashes {
		sc.hashes[i] = h & mask
	}
	slices.Sort(sc.hashes)
	var idx []int32
	var tf []float32
	for i := 0; i < len(sc.hashes); {
		j := i + 1
		for j < len(sc.hashes) && sc.hashes[j] == sc.hashes[i] {
			j++
		}
		idx = append(idx, int32(sc.hashes[i]))
		tf = append(tf, float32(j-i))
		i = j
	}
	return idx, tf
}

// appendNorm appends the normalised runes of s to dst (see Normalize).
func appendNorm(dst []rune, s string) []rune {
	return append(dst, normRunes(s)...)
}

// weigh turns counts into a TF-IDF vector in place: sublinear tf
// (1 + ln tf) times idf, features with idf 0 (unseen in training) dropped,
// then L2-normalised.
func weigh(idx []int32, tf []float32, idf []float32) vec {
	n := 0
	var sum float64
	for i, f := range idx {
		w := idf[f]
		if w == 0 {
			continue
		}
		v := (1 + float32(math.Log(float64(tf[i])))) * w
		idx[n], tf[n] = f, v
		sum += float64(v) * float64(v)
		n++
	}
	idx, tf = idx[:n], tf[:n]
	if sum > 0 {
		inv := float32(1 / math.Sqrt(sum))
		for i := range tf {
			tf[i] *= inv
		}
	}
	return vec{idx: idx, val: tf}
}
