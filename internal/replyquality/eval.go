package replyquality

import (
	"math"
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
	// NearCopies is how many replies are near-copies of another
	// (Jaccard ≥ Threshold of 5-character shingles); Groups are their
	// groups, largest first (ids), with one text of each.
	Threshold  float64      `json:"near_copy_threshold"`
	NearCopies int          `json:"near_copies"`
	Groups     []CopyGroup  `json:"near_copy_groups"`
	Dimensions []DimSummary `json:"dimensions"`
}

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
	var wins float64
	for cat, ids := range byCat {
		var cw float64
		var cp int64
		for _, i := range ids {
			own := sc.Relevance(ex[i].Message, ex[i].Reply)
			for _, j := range ids {
				if j == i {
					continue
				}
				switch o := sc.Relevance(ex[i].Message, ex[j].Reply); {
				case own > o:
					cw++
				case own == o:
					cw += 0.5
				}
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
	}

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

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

func clip(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n]) + "…"
}
