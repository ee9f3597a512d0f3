package replyquality

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Example is a message with the reply it got and its category (the
// classifier's, when the data has none).
type Example struct {
	ID       string
	Message  string
	Reply    string
	Category string
}

// Report is the measurement of the checks on a body of real replies.
type Report struct {
	Replies int `json:"replies"`
	// AUC: the probability that a message's own reply scores above the
	// reply of another message of the same category (ties count half),
	// over every such pair.
	AUC           float64            `json:"auc"`
	Pairs         int64              `json:"pairs"`
	AUCByCategory map[string]float64 `json:"auc_by_category"`
	// AUCCosine is the AUC of the cosine alone (the relevance score before
	// the names were added), for comparison.
	AUCCosine float64 `json:"auc_cosine"`
	// CV is the honest figure: the AUC of each of CVFolds folds of the
	// messages, scored with word weights learnt from the other folds'
	// texts only and signal weights fitted on the other folds' pairs.
	CV CVReport `json:"auc_cv"`
	// NearCopies is how many replies are near-copies of another
	// (Jaccard ≥ Threshold of 5-character shingles); Groups are their
	// groups, largest first (ids), with one text of each.
	Threshold  float64      `json:"near_copy_threshold"`
	NearCopies int          `json:"near_copies"`
	Groups     []CopyGroup  `json:"near_copy_groups"`
	Dimensions []DimSummary `json:"dimensions"`
}

// CVReport is the cross-validated relevance AUC.
type CVReport struct {
	Folds   []float64  `json:"folds"`
	Mean    float64    `json:"mean"`
	SD      float64    `json:"sd"` // sample standard deviation over the folds
	Weights [3]float64 `json:"weights"`
}

// CVFolds is how many folds Evaluate's cross-validation has.
const CVFolds = 5

// CopyGroup is a group of near-copies.
type CopyGroup struct {
	IDs     []string `json:"ids"`
	Example string   `json:"example"`
}

// DimSummary is one dimension's distribution over the replies.
type DimSummary struct {
	Dim      string         `json:"dim"`
	Mean     float64        `json:"mean"`
	Levels   map[string]int `json:"levels"`
	Deciles  []float64      `json:"deciles"` // 10th … 90th percentile
	Examples []DimExample   `json:"examples"`
}

// DimExample is a reply at one level, with the reason given.
type DimExample struct {
	ID     string  `json:"id"`
	Level  string  `json:"level"`
	Value  float64 `json:"value"`
	Reason string  `json:"reason"`
	Reply  string  `json:"reply"`
}

// Evaluate measures relevance (AUC), boilerplate (near-copies) and the
// distribution of every dimension over ex; the corpus is learnt from ex's
// messages and replies.
func Evaluate(ex []Example, threshold float64) Report {
	if threshold <= 0 {
		threshold = 0.8
	}
	texts := make([]string, 0, 2*len(ex))
	replies := make([]string, len(ex))
	for i, e := range ex {
		texts = append(texts, e.Message, e.Reply)
		replies[i] = e.Reply
	}
	c := NewCorpus(texts)
	sc := c.NewScorer()
	r := Report{Replies: len(ex), Threshold: threshold, AUCByCategory: map[string]float64{}}

	byCat := map[string][]int{}
	for i, e := range ex {
		byCat[e.Category] = append(byCat[e.Category], i)
	}
	var wins, winsCos float64
	for cat, ids := range byCat {
		var cw float64
		var cp int64
		for _, i := range ids {
			ownS := sc.Signals(ex[i].Message, ex[i].Reply)
			own := ownS.Score()
			for _, j := range ids {
				if j == i {
					continue
				}
				o := sc.Signals(ex[i].Message, ex[j].Reply)
				cw += win(own, o.Score())
				winsCos += win(ownS.Cosine, o.Cosine)
				cp++
			}
		}
		if cp > 0 {
			r.AUCByCategory[cat] = round3(cw / float64(cp))
		}
		wins += cw
		r.Pairs += cp
	}
	if r.Pairs > 0 {
		r.AUC = round3(wins / float64(r.Pairs))
		r.AUCCosine = round3(winsCos / float64(r.Pairs))
	}
	sc = nil
	r.CV = crossValidate(ex, byCat)

	groups, nearest := nearCopies(replies, threshold)
	for _, g := range groups {
		cg := CopyGroup{Example: clip(ex[g[0]].Reply, 120)}
		for _, i := range g {
			cg.IDs = append(cg.IDs, ex[i].ID)
		}
		r.Groups = append(r.Groups, cg)
		r.NearCopies += len(g)
	}

	checks := make([]Check, len(ex))
	for i, e := range ex {
		checks[i] = c.Check(e.Message, e.Reply, Options{NearCopy: threshold, Nearest: nearest[i]})
	}
	for _, dim := range Dimensions {
		ds := DimSummary{Dim: dim, Levels: map[string]int{}}
		var vals []float64
		seen := map[string]int{}
		for i, ch := range checks {
			s, _ := ch.Score(dim)
			vals = append(vals, s.Value)
			ds.Levels[s.Level]++
			if seen[s.Level] < 2 { // two examples of each level
				seen[s.Level]++
				ds.Examples = append(ds.Examples, DimExample{ID: ex[i].ID, Level: s.Level, Value: s.Value, Reason: s.ReasonZH, Reply: clip(ex[i].Reply, 160)})
			}
		}
		var sum float64
		for _, v := range vals {
			sum += v
		}
		if len(vals) > 0 {
			ds.Mean = round3(sum / float64(len(vals)))
			slices.Sort(vals)
			for q := 1; q <= 9; q++ {
				ds.Deciles = append(ds.Deciles, vals[(len(vals)-1)*q/10])
			}
		}
		r.Dimensions = append(r.Dimensions, ds)
	}
	return r
}

func win(own, other float64) float64 {
	switch {
	case own > other:
		return 1
	case own == other:
		return 0.5
	}
	return 0
}

// pairs are one message's signal features: its own reply's and those of
// the other replies of its category.
type pairs struct {
	own    [3]float32
	others [][3]float32
}

func f32(x [3]float64) [3]float32 { return [3]float32{float32(x[0]), float32(x[1]), float32(x[2])} }

// crossValidate measures the relevance AUC in CVFolds folds of the
// messages (a fixed shuffle): fold k's messages are scored against the
// replies of their category with a corpus of the other folds' texts, and
// with weights fitted on the other folds' pairs. (The other folds' pairs
// are measured with their own fold's corpus, which counts fold k's texts:
// only document frequencies, never which reply answers which message.)
func crossValidate(ex []Example, byCat map[string][]int) CVReport {
	n := len(ex)
	var rep CVReport
	if n < 2*CVFolds {
		return rep
	}
	fold := make([]int, n)
	for i, p := range rand.New(rand.NewPCG(1, 2)).Perm(n) {
		fold[p] = i % CVFolds
	}
	ps := make([]pairs, n)
	for k := 0; k < CVFolds; k++ {
		var texts []string
		for i, e := range ex {
			if fold[i] != k {
				texts = append(texts, e.Message, e.Reply)
			}
		}
		sc := NewCorpus(texts).NewScorer()
		for i, e := range ex {
			if fold[i] != k {
				continue
			}
			ps[i].own = f32(sc.Signals(e.Message, e.Reply).features())
			for _, j := range byCat[e.Category] {
				if j != i {
					ps[i].others = append(ps[i].others, f32(sc.Signals(e.Message, ex[j].Reply).features()))
				}
			}
		}
	}
	for k := 0; k < CVFolds; k++ {
		var train []pairs
		for i := range ps {
			if fold[i] != k && len(ps[i].others) > 0 {
				train = append(train, ps[i])
			}
		}
		w := fitPairwise(train, uint64(k+1))
		var wins float64
		var np int64
		for i := range ps {
			if fold[i] != k {
				continue
			}
			own := dot3(w, ps[i].own)
			for _, o := range ps[i].others {
				wins += win(own, dot3(w, o))
				np++
			}
		}
		if np > 0 {
			rep.Folds = append(rep.Folds, round3(wins/float64(np)))
		}
		for j := range w {
			rep.Weights[j] += w[j] / w[0] / CVFolds
		}
	}
	for j := range rep.Weights {
		rep.Weights[j] = round3(rep.Weights[j])
	}
	if len(rep.Folds) == 0 {
		return CVReport{}
	}
	var sum, ss float64
	for _, a := range rep.Folds {
		sum += a
	}
	rep.Mean = sum / float64(len(rep.Folds))
	for _, a := range rep.Folds {
		ss += (a - rep.Mean) * (a - rep.Mean)
	}
	if len(rep.Folds) > 1 {
		rep.SD = round3(math.Sqrt(ss / float64(len(rep.Folds)-1)))
	}
	rep.Mean = round3(rep.Mean)
	return rep
}

func dot3(w [3]float64, x [3]float32) float64 {
	return w[0]*float64(x[0]) + w[1]*float64(x[1]) + w[2]*float64(x[2])
}

// fitPairwise fits weights w so that w·own > w·other for a message's own
// reply against another's: logistic loss on the differences, by
// stochastic gradient descent over sampled pairs (deterministic for a
// seed), lightly L2-regularised.
func fitPairwise(ps []pairs, seed uint64) [3]float64 {
	var w [3]float64
	if len(ps) == 0 {
		return [3]float64{1, 0, 0}
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	lr, lambda := 0.1, 1e-4
	for epoch := 0; epoch < 20; epoch++ {
		for it := 0; it < 100000; it++ {
			p := ps[rng.IntN(len(ps))]
			o := p.others[rng.IntN(len(p.others))]
			var d [3]float64
			for j := range d {
				d[j] = float64(p.own[j] - o[j])
			}
			g := 1 / (1 + math.Exp(w[0]*d[0]+w[1]*d[1]+w[2]*d[2]))
			for j := range w {
				w[j] += lr * (g*d[j] - lambda*w[j])
			}
		}
		lr *= 0.85
	}
	return w
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

func clip(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n]) + "…"
}
