package insight

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Candidate is one proposal for 每月一题 with its evidence.
type Candidate struct {
	Rank            int
	Kind            string // "category": a category's anomalies and load; "topic": a group of rising terms
	Category        string
	Terms           []string
	Phrases         []string // a topic's terms re-assembled where they overlap
	Score           float64
	Components      []Component // what the score is made of, largest first
	Volume          int         // requests in the period
	Expected        float64     // from the baseline (0 when none)
	ChangePrev      float64     // against the preceding period (NaN when unknown)
	ChangeYoY       float64     // against the same weeks last year (NaN when unknown)
	RepeatShare     float64     // share of its requests that repeat a place+category or a caller
	Dissatisfaction float64     // unsatisfied ÷ rated (NaN when fewer than 10 rated)
	Places          []PlaceEvidence
	Examples        []string // request ids
	Units           []Count
	WhyZh, WhyEn    string
}

// Component is one part of a candidate's score: Value is the evidence,
// Points = Weight × the evidence scaled to [0, 1].
type Component struct {
	Key    string // volume, growth, dissatisfaction, repeat, spread, significance
	Value  float64
	Weight float64
	Points float64
}

// PlaceEvidence is a place behind a candidate.
type PlaceEvidence struct {
	Level, Place string
	Count        int
	Expected     float64
	Q            float64 // 1 when not flagged
}

// Weights of the score components (they sum to 1). Each component is
// scaled to [0, 1]:
//
//	volume          log(1+n) ÷ log(1+largest n among the candidates)
//	growth          log2((n+1)/(E+1)) of the strongest flagged cell ÷ 2 (×4 is full), 0 unless flagged
//	dissatisfaction unsatisfied share ÷ the largest among the candidates
//	repeat          share of requests that are repeats (place+category or caller)
//	spread          log2(1+flagged places) ÷ 4
//	significance    −log10(q) of the strongest flagged cell ÷ 10
var Weights = map[string]float64{
	"volume": 0.25, "growth": 0.25, "dissatisfaction": 0.20, "repeat": 0.15, "spread": 0.05, "significance": 0.10,
}

var componentOrder = []string{"volume", "growth", "dissatisfaction", "repeat", "spread", "significance"}

var componentNames = map[string][2]string{
	"volume":          {"诉求量", "volume"},
	"growth":          {"增长", "growth"},
	"dissatisfaction": {"不满意率", "dissatisfaction"},
	"repeat":          {"重复诉求占比", "repeat share"},
	"spread":          {"涉及地点数", "places"},
	"significance":    {"显著性", "significance"},
}

func containsEither(a, b string) bool { return strings.Contains(a, b) || strings.Contains(b, a) }

type candInput struct {
	anoms    []Anomaly
	reqs     []Req
	cur      window
	cells    []Cell
	topics   []Topic
	rising   []Term
	places   []PlaceRepeat
	callers  []CallerRepeat
	parent   map[string][4]string
	names    map[string]string
	baseline string
}

func candidates(ci candInput, o Options) []Candidate {
	// which requests repeat
	repeat := map[string]bool{}
	for _, p := range ci.places {
		for _, id := range p.IDs {
			repeat[id] = true
		}
	}
	for _, c := range ci.callers {
		for _, id := range c.IDs {
			repeat[id] = true
		}
	}
	// requests and units per category in the period
	reqsByCat := map[string][]int{}
	for i := range ci.reqs {
		if ci.cur.has(ci.reqs[i].Day) {
			reqsByCat[ci.reqs[i].Category] = append(reqsByCat[ci.reqs[i].Category], i)
		}
	}
	units := map[string]map[string]int{}
	for i := range ci.cells {
		c := &ci.cells[i]
		if c.Unit == "" || !ci.cur.has(c.Day) {
			continue
		}
		if units[c.Category] == nil {
			units[c.Category] = map[string]int{}
		}
		units[c.Category][c.Unit] += c.N
	}
	cityCell := map[string]*Anomaly{}
	flagged := map[string][]*Anomaly{}
	for i := range ci.anoms {
		a := &ci.anoms[i]
		if a.Category == "" {
			continue
		}
		if a.Level == City {
			cityCell[a.Category] = a
		}
		if a.Flag {
			flagged[a.Category] = append(flagged[a.Category], a)
		}
	}
	var out []Candidate
	for cat, city := range cityCell {
		if city.Count < o.MinTotal && len(flagged[cat]) == 0 {
			continue
		}
		c := Candidate{Kind: "category", Category: cat, Volume: city.Count, Expected: city.Expected,
			ChangePrev: city.ChangePrev, ChangeYoY: city.ChangeYoY, Dissatisfaction: math.NaN()}
		if city.Rated >= 10 {
			c.Dissatisfaction = float64(city.Unsatis) / float64(city.Rated)
		}
		fl := flagged[cat]
		sort.Slice(fl, func(i, j int) bool {
			if fl[i].P != fl[j].P {
				return fl[i].P < fl[j].P
			}
			return fl[i].Level+fl[i].Place < fl[j].Level+fl[j].Place
		})
		inPlace := func(r *Req) bool { return true }
		for _, a := range fl {
			if len(c.Places) < 5 {
				c.Places = append(c.Places, PlaceEvidence{a.Level, a.Place, a.Count, a.Expected, a.Q})
			}
		}
		if len(fl) > 0 && fl[0].Level != City {
			lvl, place := fl[0].Level, fl[0].Place
			inPlace = func(r *Req) bool { return placeHas(ci.parent, r.Grid, lvl, place) }
		}
		ix := reqsByCat[cat]
		rep := 0
		for _, i := range ix {
			if repeat[ci.reqs[i].ID] {
				rep++
			}
		}
		if len(ix) > 0 {
			c.RepeatShare = float64(rep) / float64(len(ix))
		}
		c.Examples = examples(ci.reqs, ix, inPlace, repeat)
		c.Units = top(units[cat], 3)
		c.Components = evidence(c, fl)
		out = append(out, c)
	}
	for _, tp := range ci.topics {
		if tp.Cur < o.MinRepeat || !tp.Emerging {
			continue
		}
		c := Candidate{Kind: "topic", Terms: tp.Terms, Phrases: tp.Phrases, Volume: tp.Cur, Examples: tp.Examples, Units: tp.Units,
			ChangePrev: math.NaN(), ChangeYoY: math.NaN(), Dissatisfaction: math.NaN()}
		if len(tp.Categories) > 0 {
			c.Category = tp.Categories[0].Key
		}
		for _, p := range tp.Places {
			c.Places = append(c.Places, PlaceEvidence{Level: levelOf(ci.parent, p.Key), Place: p.Key, Count: p.N, Q: 1})
		}
		rep, rated, unsat := 0, 0, 0
		for _, i := range tp.reqs {
			r := &ci.reqs[i]
			if repeat[r.ID] {
				rep++
			}
			if r.Rated {
				rated++
				if !r.Satisfied {
					unsat++
				}
			}
		}
		c.RepeatShare = float64(rep) / float64(len(tp.reqs))
		if rated >= 10 {
			c.Dissatisfaction = float64(unsat) / float64(rated)
		}
		minQ := 1.0
		for _, t := range ci.rising {
			for _, x := range tp.Terms {
				if t.Text == x {
					minQ = min(minQ, t.Q)
				}
			}
		}
		c.Expected = float64(tp.Cur) / tp.Lift
		pseudo := []*Anomaly{{Count: tp.Cur, Expected: c.Expected, Q: minQ, Flag: true}}
		for range tp.Places[min(1, len(tp.Places)):] {
			pseudo = append(pseudo, pseudo[0])
		}
		c.Components = evidence(c, pseudo)
		out = append(out, c)
	}
	// scale the components that are relative to the other candidates
	maxVol, maxDis := 0.0, 0.0
	for _, c := range out {
		maxVol = max(maxVol, math.Log1p(float64(c.Volume)))
		if !math.IsNaN(c.Dissatisfaction) {
			maxDis = max(maxDis, c.Dissatisfaction)
		}
	}
	for i := range out {
		c := &out[i]
		c.Score = 0
		for j := range c.Components {
			k := &c.Components[j]
			switch k.Key {
			case "volume":
				if maxVol > 0 {
					k.Points = k.Weight * math.Log1p(k.Value) / maxVol
				}
			case "dissatisfaction":
				if maxDis > 0 && !math.IsNaN(k.Value) {
					k.Points = k.Weight * k.Value / maxDis
				}
			}
			c.Score += k.Points
		}
		sort.SliceStable(c.Components, func(a, b int) bool { return c.Components[a].Points > c.Components[b].Points })
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Category+strings.Join(out[i].Terms, ",") < out[j].Category+strings.Join(out[j].Terms, ",")
	})
	if len(out) > o.MaxCandidates {
		out = out[:o.MaxCandidates]
	}
	for i := range out {
		out[i].Rank = i + 1
		out[i].WhyZh, out[i].WhyEn = why(&out[i], ci.names, ci.baseline)
	}
	return out
}

// evidence scales the components that do not depend on the other candidates.
func evidence(c Candidate, flagged []*Anomaly) []Component {
	comp := map[string]float64{"volume": float64(c.Volume), "dissatisfaction": c.Dissatisfaction, "repeat": c.RepeatShare}
	pts := map[string]float64{"repeat": Weights["repeat"] * c.RepeatShare}
	if len(flagged) > 0 {
		best, bestQ := 0.0, 1.0
		// the growth of the most significant flagged cell (flagged is in
		// order of p), not the largest ratio of some small cell
		best = math.Log2((float64(flagged[0].Count) + 1) / (flagged[0].Expected + 1))
		for _, a := range flagged {
			bestQ = min(bestQ, a.Q)
		}
		comp["growth"], pts["growth"] = best, Weights["growth"]*min(1, max(0, best/2))
		comp["spread"], pts["spread"] = float64(len(flagged)), Weights["spread"]*min(1, math.Log2(1+float64(len(flagged)))/4)
		sig := -math.Log10(max(bestQ, 1e-300))
		comp["significance"], pts["significance"] = sig, Weights["significance"]*min(1, sig/10)
	}
	var out []Component
	for _, k := range componentOrder {
		out = append(out, Component{Key: k, Value: comp[k], Weight: Weights[k], Points: pts[k]})
	}
	return out
}

func placeHas(parent map[string][4]string, grid, level, place string) bool {
	p, ok := parent[grid]
	if !ok {
		return false
	}
	switch level {
	case District:
		return p[0] == place
	case Street:
		return p[1] == place
	case Community:
		return p[2] == place
	case Grid:
		return p[3] == place
	}
	return true
}

// examples picks up to 5 request ids: in the place first, repeats first,
// then by day and id.
func examples(reqs []Req, ix []int, in func(*Req) bool, repeat map[string]bool) []string {
	sorted := append([]int(nil), ix...)
	rank := func(i int) int {
		r := &reqs[i]
		k := 0
		if !in(r) {
			k += 2
		}
		if !repeat[r.ID] {
			k++
		}
		return k
	}
	sort.SliceStable(sorted, func(a, b int) bool {
		ra, rb := rank(sorted[a]), rank(sorted[b])
		if ra != rb {
			return ra < rb
		}
		if reqs[sorted[a]].Day != reqs[sorted[b]].Day {
			return reqs[sorted[a]].Day > reqs[sorted[b]].Day
		}
		return reqs[sorted[a]].ID < reqs[sorted[b]].ID
	})
	var out []string
	for _, i := range sorted {
		if len(out) == 5 {
			break
		}
		out = append(out, reqs[i].ID)
	}
	return out
}

func name(names map[string]string, id string) string {
	if n, ok := names[id]; ok && n != "" {
		return n
	}
	return id
}

// why explains the rank: the subject, then each component with points, largest first.
func why(c *Candidate, names map[string]string, baseline string) (zh, en string) {
	var subjZh, subjEn string
	if c.Kind == "topic" {
		ph := c.Phrases[:min(5, len(c.Phrases))]
		subjZh = fmt.Sprintf("新兴话题「%s」", strings.Join(ph, "、"))
		subjEn = fmt.Sprintf("emerging topic “%s”", strings.Join(ph, ", "))
	} else {
		subjZh = fmt.Sprintf("类别「%s」", name(names, c.Category))
		subjEn = fmt.Sprintf("category “%s”", name(names, c.Category))
	}
	var pz, pe []string
	for _, k := range c.Components {
		if k.Points <= 0 {
			continue
		}
		nm := componentNames[k.Key]
		var vz, ve string
		switch k.Key {
		case "volume":
			vz, ve = fmt.Sprintf("%d 件", int(k.Value)), fmt.Sprintf("%d requests", int(k.Value))
		case "growth":
			f := math.Exp2(k.Value)
			ref := map[string][2]string{"last-year": {"去年同期×总体趋势", "same weeks last year × overall trend"}}[baseline]
			if c.Kind == "topic" {
				ref = [2]string{"此前基线期的占比", "its share in the preceding baseline"}
			}
			if ref[0] == "" {
				ref = [2]string{"基线", "the baseline"}
			}
			vz, ve = fmt.Sprintf("为预期（%s）的 %.1f 倍", ref[0], f), fmt.Sprintf("%.1f× the expected (%s)", f, ref[1])
		case "dissatisfaction":
			vz, ve = fmt.Sprintf("%.0f%%", 100*k.Value), fmt.Sprintf("%.0f%%", 100*k.Value)
		case "repeat":
			vz, ve = fmt.Sprintf("%.0f%%", 100*k.Value), fmt.Sprintf("%.0f%%", 100*k.Value)
		case "spread":
			vz, ve = fmt.Sprintf("%d 处", int(k.Value)), fmt.Sprintf("%d", int(k.Value))
		case "significance":
			vz, ve = fmt.Sprintf("q=%.2g", math.Pow(10, -k.Value)), fmt.Sprintf("q=%.2g", math.Pow(10, -k.Value))
		}
		pz = append(pz, fmt.Sprintf("%s %s（+%.2f）", nm[0], vz, k.Points))
		pe = append(pe, fmt.Sprintf("%s %s (+%.2f)", nm[1], ve, k.Points))
	}
	var where string
	var whereEn string
	if len(c.Places) > 0 {
		var ps []string
		for _, p := range c.Places[:min(3, len(c.Places))] {
			if p.Place != "" {
				ps = append(ps, name(names, p.Place))
			}
		}
		if len(ps) > 0 {
			where = "，集中在" + strings.Join(ps, "、")
			whereEn = ", mostly in " + strings.Join(ps, ", ")
		}
	}
	zh = fmt.Sprintf("第 %d 位：%s%s；得分 %.2f = %s。", c.Rank, subjZh, where, c.Score, strings.Join(pz, " + "))
	en = fmt.Sprintf("#%d: %s%s; score %.2f = %s.", c.Rank, subjEn, whereEn, c.Score, strings.Join(pe, " + "))
	return zh, en
}

// levelOf is Street when some grid lies in a street of that id, else District.
func levelOf(parent map[string][4]string, place string) string {
	for _, p := range parent {
		if p[1] == place {
			return Street
		}
	}
	return District
}
