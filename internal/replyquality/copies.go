package replyquality

import (
	"hash/fnv"
	"slices"
)

// Near-copies (套话): replies whose 5-character shingles overlap by a
// Jaccard index of at least a threshold. Candidates come from MinHash
// signatures in bands (locality-sensitive hashing), so that thousands of
// replies are not compared pair by pair; each candidate pair is then
// measured exactly.

const shingleLen = 5

// shingles are the hashes of the text's 5-rune windows over its letters
// and digits (separators dropped: punctuation does not make a reply new).
func shingles(text string) map[uint64]struct{} {
	var rs []rune
	for _, r := range runes(text) {
		if r != ' ' {
			rs = append(rs, r)
		}
	}
	out := make(map[uint64]struct{}, len(rs))
	if len(rs) < shingleLen {
		if len(rs) > 0 {
			out[hash(string(rs))] = struct{}{}
		}
		return out
	}
	for i := 0; i+shingleLen <= len(rs); i++ {
		out[hash(string(rs[i:i+shingleLen]))] = struct{}{}
	}
	return out
}

func hash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

func jaccard(a, b map[uint64]struct{}) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 0
	}
	if len(b) < len(a) {
		a, b = b, a
	}
	inter := 0
	for k := range a {
		if _, ok := b[k]; ok {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

// Similar reports the Jaccard index of two texts' shingles.
func Similar(a, b string) float64 { return jaccard(shingles(a), shingles(b)) }

const (
	bands = 20
	rows  = 4 // 80 hashes: pairs at 0.8 are found with probability ≈ 1 − (1 − 0.8⁴)²⁰ > 0.9999
)

// NearCopies groups the texts that are near-copies of each other (Jaccard
// ≥ threshold, through chains): each group lists indexes into texts, in
// order, and only groups of two or more are returned, largest first.
func NearCopies(texts []string, threshold float64) [][]int {
	groups, _ := nearCopies(texts, threshold)
	return groups
}

// nearCopies is NearCopies, with each text's highest Jaccard index with
// another text among the candidates (0 when it has none).
func nearCopies(texts []string, threshold float64) ([][]int, []float64) {
	n := len(texts)
	sh := make([]map[uint64]struct{}, n)
	sig := make([][]uint64, n)
	for i, t := range texts {
		sh[i] = shingles(t)
		sig[i] = minhash(sh[i])
	}
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	best := make([]float64, n)
	checked := map[[2]int]bool{}
	for b := range bands {
		buckets := map[[rows]uint64][]int{}
		for i := range texts {
			if len(sh[i]) == 0 {
				continue
			}
			var key [rows]uint64
			copy(key[:], sig[i][b*rows:(b+1)*rows])
			buckets[key] = append(buckets[key], i)
		}
		for _, ids := range buckets {
			for x := 0; x < len(ids); x++ {
				for y := x + 1; y < len(ids); y++ {
					p := [2]int{ids[x], ids[y]}
					if checked[p] {
						continue
					}
					checked[p] = true
					j := jaccard(sh[p[0]], sh[p[1]])
					best[p[0]], best[p[1]] = max(best[p[0]], j), max(best[p[1]], j)
					if j >= threshold {
						if ra, rb := find(p[0]), find(p[1]); ra != rb {
							parent[ra] = rb
						}
					}
				}
			}
		}
	}
	groups := map[int][]int{}
	for i := range texts {
		r := find(i)
		groups[r] = append(groups[r], i)
	}
	var out [][]int
	for _, g := range groups {
		if len(g) > 1 {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, func(a, b []int) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return a[0] - b[0]
	})
	return out, best
}

// minhash is the text's signature: for each of bands×rows seeded mixes,
// the least mixed shingle.
func minhash(sh map[uint64]struct{}) []uint64 {
	sig := make([]uint64, bands*rows)
	for k := range sig {
		sig[k] = ^uint64(0)
	}
	for h := range sh {
		for k := range sig {
			if v := mix(h ^ (uint64(k+1) * 0x9E3779B97F4A7C15)); v < sig[k] {
				sig[k] = v
			}
		}
	}
	return sig
}

// mix is splitmix64's finaliser.
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}
