package classify

import (
	"math"
)

// vec is a sparse, L2-normalised TF-IDF vector over hashed features.
type vec struct {
	idx []int32
	val []float32
}

// scratch holds a text's per-call buffers.
type scratch struct {
	hashes  []uint32
	runes   []rune
	cnt     []uint16 // per feature, zero between calls
	touched []int32
}

// counts returns the distinct hashed features of text, in order of first
// occurrence, with their counts.
func (sc *scratch) counts(text string, bits, minN, maxN int) ([]int32, []float32) {
	return sc.countsHead(text, bits, minN, maxN, 0)
}

// countsHead is counts with the n-grams of the first head normalised
// runes (the opening, where the subject usually is) counted a second time
// as features of their own.
func (sc *scratch) countsHead(text string, bits, minN, maxN, head int) ([]int32, []float32) {
	sc.runes = appendNorm(sc.runes[:0], text)
	sc.hashes = hashGrams(sc.hashes[:0], sc.runes, minN, maxN)
	if head > 0 {
		n := len(sc.hashes)
		sc.hashes = hashGrams(sc.hashes, sc.runes[:min(head, len(sc.runes))], minN, maxN)
		for i := n; i < len(sc.hashes); i++ {
			sc.hashes[i] = mix(sc.hashes[i] ^ 0x68656164) // "head"
		}
	}
	if len(sc.cnt) != 1<<bits {
		sc.cnt = make([]uint16, 1<<bits)
	}
	mask := uint32(1)<<bits - 1
	sc.touched = sc.touched[:0]
	for _, h := range sc.hashes {
		f := h & mask
		switch c := sc.cnt[f]; c {
		case 0:
			sc.touched = append(sc.touched, int32(f))
			sc.cnt[f] = 1
		case math.MaxUint16:
		default:
			sc.cnt[f] = c + 1
		}
	}
	idx := make([]int32, len(sc.touched))
	tf := make([]float32, len(sc.touched))
	for i, f := range sc.touched {
		idx[i], tf[i] = f, float32(sc.cnt[f])
		sc.cnt[f] = 0
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
		v := sublinear(tf[i]) * w
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

// logTable holds 1 + ln(n) for small counts.
var logTable = func() (t [256]float32) {
	for n := 1; n < len(t); n++ {
		t[n] = 1 + float32(math.Log(float64(n)))
	}
	return t
}()

// sublinear is 1 + ln(tf).
func sublinear(tf float32) float32 {
	if n := int(tf); float32(n) == tf && n > 0 && n < len(logTable) {
		return logTable[n]
	}
	return 1 + float32(math.Log(float64(tf)))
}
