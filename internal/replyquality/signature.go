package replyquality

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
)

// A reply checked on submission keeps no text outside its case (where the
// case's texts are sealed and retention redacts them): it keeps its MinHash
// signature, from which the next replies' near-copy check estimates the
// Jaccard index, and the signature's band keys, by which a store finds the
// candidates among all replies without scanning them.

// Signature is a text's MinHash signature (bands×rows values).
type Signature []uint64

// SignatureOf returns text's signature; a text without letters or digits
// has none (nil).
func SignatureOf(text string) Signature {
	sh := shingles(text)
	if len(sh) == 0 {
		return nil
	}
	return minhash(sh)
}

// Similarity estimates the Jaccard index of the two texts' shingles: the
// share of equal values (80 of them: the estimate's standard error at 0.8
// is about 0.045). Signatures of different lengths (or none) are 0.
func (s Signature) Similarity(o Signature) float64 {
	if len(s) == 0 || len(s) != len(o) {
		return 0
	}
	eq := 0
	for i := range s {
		if s[i] == o[i] {
			eq++
		}
	}
	return float64(eq) / float64(len(s))
}

// Bands are the signature's band keys: a near-copy shares at least one
// with probability > 0.9999 at a Jaccard index of 0.8. Each key folds the
// band's number in, so equal rows in different bands do not collide.
func (s Signature) Bands() []int64 {
	if len(s) != bands*rows {
		return nil
	}
	out := make([]int64, bands)
	for b := range bands {
		h := mix(uint64(b+1) * 0x9E3779B97F4A7C15)
		for _, v := range s[b*rows : (b+1)*rows] {
			h = mix(h ^ v)
		}
		out[b] = int64(h)
	}
	return out
}

// String encodes the signature as hex (16 digits a value).
func (s Signature) String() string {
	b := make([]byte, 8*len(s))
	for i, v := range s {
		binary.BigEndian.PutUint64(b[8*i:], v)
	}
	return hex.EncodeToString(b)
}

// ParseSignature decodes String's form ("" is no signature).
func ParseSignature(h string) (Signature, error) {
	b, err := hex.DecodeString(h)
	if err != nil || len(b)%8 != 0 {
		return nil, errors.New("replyquality: bad signature")
	}
	if len(b) == 0 {
		return nil, nil
	}
	s := make(Signature, len(b)/8)
	for i := range s {
		s[i] = binary.BigEndian.Uint64(b[8*i:])
	}
	return s, nil
}

// Weak tells whether a reply needs the centre's attention at callback: an
// overall score under 0.4, a reply with hardly a word of its request
// (relevance under 0.1: 答非所问 — the relevance level alone is strict,
// docs/REPLIES.md), or a near-copy or stock phrase (originality bad: 套话).
func (c Check) Weak() bool {
	if c.Overall < 0.4 {
		return true
	}
	for _, s := range c.Scores {
		if (s.Dim == Relevance && s.Value < 0.1) || (s.Dim == Original && s.Level == Bad) {
			return true
		}
	}
	return false
}
