package classify

import (
	"context"
	"fmt"
	"hash/maphash"
	"os"
	"slices"
	"sort"
	"strings"
)

// Semi-supervised training with a pool of unlabelled texts (Options.Pool):
//
//   - PoolIDF: the pool's texts count in the document frequencies of the
//     idf weights (and of the min-df cut) beside the labelled texts.
//   - SelfRounds > 0 (self-training, pseudo-labelling): a model is trained
//     on the labelled texts, labels the pool, and the pool texts whose first
//     suggestion has a calibrated probability of at least SelfMinProb (the
//     most confident first, at most SelfPerClass × the label's labelled
//     texts per label when SelfPerClass > 0) are added with that label and
//     the cost weight SelfWeight; the model is trained again, and so on for
//     SelfRounds rounds (each round labels the whole pool afresh). The
//     temperature of each round is fitted on held-out folds of the labelled
//     texts only; pseudo-labelled texts are always on the training side.
//
// No label ever comes from the pool: callers must remove from it the texts
// that are (near-)copies of labelled ones (DedupPool), or an evaluation
// would see its test texts among the pseudo-labelled ones.

// ReadTextsFile reads the texts of a CSV, TSV or JSON Lines file (the
// formats of ReadFile) whose label column, if any, is ignored. With title,
// a title column (subject, …) is put before the text as ReadFile does;
// without, only the text column is read (to match labelled texts that
// have no title).
func ReadTextsFile(path string, title bool) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ex, err := read(f, path, readOpts{unlabelled: true, noTitle: !title})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := make([]string, len(ex))
	for i, e := range ex {
		out[i] = e.Text
	}
	return out, nil
}

// shingleN is the length in runes of the shingles DedupPool compares.
const shingleN = 8

// shingles returns the distinct hashes of the shingleN-rune windows of the
// normalised text with its separators removed (the whole text if shorter).
func shingles(seed maphash.Seed, text string) []uint64 {
	r := []rune(strings.ReplaceAll(Normalize(text), " ", ""))
	if len(r) == 0 {
		return nil
	}
	n := min(shingleN, len(r))
	set := make(map[uint64]struct{}, len(r))
	for i := 0; i+n <= len(r); i++ {
		set[maphash.String(seed, string(r[i:i+n]))] = struct{}{}
	}
	out := make([]uint64, 0, len(set))
	for h := range set {
		out = append(out, h)
	}
	slices.Sort(out)
	return out
}

// DedupPool returns the texts of pool that are not near-copies of any text
// of labelled nor of an earlier pool text, in their order, and how many
// were dropped. Near-copy: at least minShare of the shorter text's
// 8-character shingles (of the normalised text without separators) occur
// in the other one; minShare 1 with identical normalised texts is an
// exact copy. minShare ≤ 0 means 0.5.
func DedupPool(pool, labelled []string, minShare float64) (kept []string, dropped int) {
	if minShare <= 0 {
		minShare = 0.5
	}
	seed := maphash.MakeSeed()
	var sets [][]uint64
	index := map[uint64][]int32{}
	add := func(sh []uint64) {
		id := int32(len(sets))
		sets = append(sets, sh)
		for _, h := range sh {
			index[h] = append(index[h], id)
		}
	}
	for _, t := range labelled {
		add(shingles(seed, t))
	}
	hits := map[int32]int{}
	for _, t := range pool {
		sh := shingles(seed, t)
		if len(sh) == 0 {
			dropped++
			continue
		}
		clear(hits)
		for _, h := range sh {
			for _, id := range index[h] {
				hits[id]++
			}
		}
		dup := false
		for id, c := range hits {
			if float64(c) >= minShare*float64(min(len(sh), len(sets[id]))) {
				dup = true
				break
			}
		}
		if dup {
			dropped++
			continue
		}
		add(sh)
		kept = append(kept, t)
	}
	return kept, dropped
}

// pseudo is a pool text given a label by the model.
type pseudo struct {
	row, label int
	prob       float64
}

// pickPseudo chooses the pool texts to pseudo-label from their calibrated
// probabilities (probs[i][c]): a text's first label (the lower index on a
// tie) is taken when its probability is at least minProb; when limit is
// not nil, at most limit[c] texts per label c, the most probable first
// (ties by row). The result is ordered by row.
func pickPseudo(probs [][]float64, minProb float64, limit []int) []pseudo {
	var cand []pseudo
	for i, p := range probs {
		best := 0
		for c := range p {
			if p[c] > p[best] {
				best = c
			}
		}
		if len(p) > 0 && p[best] >= minProb {
			cand = append(cand, pseudo{row: i, label: best, prob: p[best]})
		}
	}
	if limit != nil {
		sort.SliceStable(cand, func(a, b int) bool {
			if cand[a].prob != cand[b].prob {
				return cand[a].prob > cand[b].prob
			}
			return cand[a].row < cand[b].row
		})
		taken := make([]int, len(limit))
		out := cand[:0]
		for _, c := range cand {
			if c.label < len(limit) && taken[c.label] < limit[c.label] {
				taken[c.label]++
				out = append(out, c)
			}
		}
		cand = out
		sort.Slice(cand, func(a, b int) bool { return cand[a].row < cand[b].row })
	}
	return cand
}

// poolDF counts, per hashed feature, the pool texts that have it.
func poolDF(pool docCounts, bits int) []int32 {
	df := make([]int32, 1<<bits)
	for _, idx := range pool.idx {
		for _, f := range idx {
			df[f]++
		}
	}
	return df
}

// clone copies the counts (trainCounts weighs them in place).
func (d docCounts) clone() docCounts {
	c := docCounts{idx: make([][]int32, len(d.idx)), tf: make([][]float32, len(d.tf))}
	for i := range d.idx {
		c.idx[i], c.tf[i] = slices.Clone(d.idx[i]), slices.Clone(d.tf[i])
	}
	if d.pseudo != nil {
		c.pseudo = slices.Clone(d.pseudo)
	}
	return c
}

// trainSemi trains with the unlabelled pool (see the comment at the top).
func trainSemi(ctx context.Context, counts docCounts, y []int, labels []string, opt Options) (*Model, error) {
	if !opt.PoolIDF && opt.SelfRounds <= 0 {
		return trainCounts(ctx, counts, y, labels, opt, nil, 0)
	}
	pool := extract(exampleTexts(opt.Pool), opt)
	var pdf []int32
	if opt.PoolIDF {
		pdf = poolDF(pool, opt.Bits)
	}
	if opt.SelfRounds <= 0 {
		return trainCounts(ctx, counts, y, labels, opt, pdf, len(pool.idx))
	}
	var limit []int
	if opt.SelfPerClass > 0 {
		limit = make([]int, len(labels))
		for _, l := range y {
			if l >= 0 {
				limit[l]++
			}
		}
		for c := range limit {
			limit[c] = int(opt.SelfPerClass * float64(limit[c]))
		}
	}
	m, err := trainCounts(ctx, counts.clone(), y, labels, opt, pdf, len(pool.idx))
	if err != nil {
		return nil, err
	}
	for round := range opt.SelfRounds {
		probs := make([][]float64, len(pool.idx))
		for i := range pool.idx {
			probs[i] = m.probsOfCounts(pool.idx[i], pool.tf[i])
		}
		picked := pickPseudo(probs, opt.SelfMinProb, limit)
		all := counts
		if round < opt.SelfRounds-1 {
			all = counts.clone()
		}
		ay := slices.Clone(y)
		all.pseudo = make([]bool, len(all.idx), len(all.idx)+len(picked))
		for _, p := range picked {
			idx, tf := pool.idx[p.row], pool.tf[p.row]
			if round < opt.SelfRounds-1 {
				idx, tf = slices.Clone(idx), slices.Clone(tf)
			}
			all.idx = append(all.idx, idx)
			all.tf = append(all.tf, tf)
			all.pseudo = append(all.pseudo, true)
			ay = append(ay, p.label)
		}
		if m, err = trainCounts(ctx, all, ay, labels, opt, pdf, len(pool.idx)); err != nil {
			return nil, err
		}
		m.Pseudo = len(picked)
	}
	return m, nil
}

func exampleTexts(texts []string) []Example {
	ex := make([]Example, len(texts))
	for i, t := range texts {
		ex[i].Text = t
	}
	return ex
}

// probsOfCounts is Probs of a text given by its counts (not modified).
func (m *Model) probsOfCounts(idx []int32, tf []float32) []float64 {
	x := weigh(slices.Clone(idx), slices.Clone(tf), m.idf)
	nc := len(m.Labels)
	s, p := make([]float64, nc), make([]float64, nc)
	out := make([]float64, nc)
	for i := range m.parts {
		m.parts[i].score(x, s)
		softmaxInto(s, m.parts[i].Temp, p)
		for c, v := range p {
			out[c] += v / float64(len(m.parts))
		}
	}
	return out
}
