package insight

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Term is a character n-gram (2–4 Han characters) or a Latin/digit word
// whose share of requests changed between the baseline and the period.
type Term struct {
	Text      string
	Cur, Base int     // documents containing it
	CurShare  float64 // Cur ÷ documents in the period
	BaseShare float64 // Base ÷ documents in the baseline (0 when none)
	Lift      float64 // (Cur+0.5)/(N1+1) ÷ (Base+0.5)/(N2+1)
	G2        float64
	P, Q      float64
}

// Topic is a group of rising terms that occur in the same requests.
type Topic struct {
	Terms      []string
	Cur, Base  int      // requests containing any of the terms
	Lift       float64  // share now ÷ share in the baseline (smoothed)
	Examples   []string // representative request ids: most of the topic's terms first
	Categories []Count
	Places     []Count // streets (from the requests' grids)
	Units      []Count
	reqs       []int
}

// Count is a labelled number.
type Count struct {
	Key string
	N   int
}

// stopRunes may not begin or end a term: function words and the
// board's boilerplate.
var stopRunes = map[rune]bool{}

// stopTerms are dropped as terms (greetings, the form of a complaint).
var stopTerms = map[string]bool{}

func init() {
	for _, r := range "的了是在我你他她它们这那和与及也都就有为对把被让请吗呢吧啊么个一不很还又要会能可到从给而或但并等于之其此该其已没每所以如何" {
		stopRunes[r] = true
	}
	for _, s := range strings.Fields(`你好 您好 请问 市民 反映 问题 希望 领导 相关 部门 情况 解决 谢谢 尊敬 现在 已经 没有 如何 什么 怎么 可以 能否 是否
		我们 他们 目前 今年 去年 时间 进行 处理 要求 投诉 咨询 关于 由于 因为 所以 但是 非常 严重 一直 多次 政府 工作 有关 及时 尽快 影响 存在
		这个 那个 这些 一些 没有 居民 群众 百姓 老百姓 小区 业主 市长 书记 县长 区长 信箱 留言 回复 感谢 麻烦 帮助 年月 月日`) {
		stopTerms[s] = true
	}
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// grams appends the distinct terms of a text to dst: every 2–4-gram inside
// a run of Han characters, and every Latin or mixed word of 2+ characters
// (lower-cased) that is not only digits. The strings share the text's memory.
func grams(text string, dst []string) []string {
	dst = dst[:0]
	// Han runs
	var pos [5]int // byte offsets of the last runes in the run
	run := 0
	for i, r := range text {
		if !isHan(r) {
			run = 0
			continue
		}
		copy(pos[:4], pos[1:])
		pos[4] = i
		run++
		end := i + utf8.RuneLen(r)
		for n := 2; n <= 4 && n <= run; n++ {
			dst = append(dst, text[pos[5-n]:end])
		}
	}
	// words
	start := -1
	digits := true
	for i, r := range text + " " {
		if r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if start < 0 {
				start, digits = i, true
			}
			if !unicode.IsDigit(r) {
				digits = false
			}
			continue
		}
		if start >= 0 && i-start >= 2 && !digits {
			dst = append(dst, strings.ToLower(text[start:i]))
		}
		start = -1
	}
	sort.Strings(dst)
	return compactStrings(dst)
}

func compactStrings(s []string) []string {
	if len(s) == 0 {
		return s
	}
	j := 1
	for i := 1; i < len(s); i++ {
		if s[i] != s[j-1] {
			s[j] = s[i]
			j++
		}
	}
	return s[:j]
}

func stopTerm(t string) bool {
	if stopTerms[t] {
		return true
	}
	first, _ := utf8.DecodeRuneInString(t)
	last, _ := utf8.DecodeLastRuneInString(t)
	if stopRunes[first] || stopRunes[last] {
		return true
	}
	for s := range stopTerms {
		if len(s) < len(t) && strings.Contains(t, s) {
			return true
		}
	}
	return false
}

type termCount struct{ cur, base int32 }

// termStats counts, for every term, the documents of the period (cur) and of
// the baseline (base) that contain it.
func termStats(reqs []Req, cur, base window) (map[string]*termCount, []int, int, int) {
	counts := make(map[string]*termCount, 1<<16)
	var curDocs []int
	n1, n2 := 0, 0
	var buf []string
	for i := range reqs {
		r := &reqs[i]
		inCur, inBase := cur.has(r.Day), base.has(r.Day)
		if !inCur && !inBase {
			continue
		}
		if inCur {
			n1++
			curDocs = append(curDocs, i)
		} else {
			n2++
		}
		buf = grams(r.Text, buf)
		for _, g := range buf {
			c := counts[g]
			if c == nil {
				c = &termCount{}
				counts[g] = c
			}
			if inCur {
				c.cur++
			} else {
				c.base++
			}
		}
	}
	return counts, curDocs, n1, n2
}

// terms tests every term seen in at least MinTermDocs documents with the
// two-sided G² of its 2×2 table, controls the false-discovery rate across
// all tested terms, and splits the discoveries into rising and falling.
// A discovered term is suppressed when a longer discovered term in the same
// direction contains it and covers at least 70 % of its documents.
func terms(counts map[string]*termCount, n1, n2 int, o Options) (rising, falling []Term) {
	if n1 == 0 || n2 == 0 {
		return nil, nil
	}
	N1, N2 := float64(n1), float64(n2)
	var all []Term
	var ps []float64
	for t, c := range counts {
		if int(c.cur+c.base) < o.MinTermDocs || stopTerm(t) {
			continue
		}
		a, b := float64(c.cur), float64(c.base)
		g := g2(a, N1, b, N2)
		all = append(all, Term{Text: t, Cur: int(c.cur), Base: int(c.base), CurShare: a / N1, BaseShare: b / N2,
			Lift: ((a + 0.5) / (N1 + 1)) / ((b + 0.5) / (N2 + 1)), G2: g, P: chi1Upper(g)})
		ps = append(ps, all[len(all)-1].P)
	}
	qs := bh(ps)
	for i := range all {
		all[i].Q = qs[i]
		if qs[i] > o.Q {
			continue
		}
		if all[i].CurShare > all[i].BaseShare {
			rising = append(rising, all[i])
		} else {
			falling = append(falling, all[i])
		}
	}
	return suppress(rising, func(t Term) int { return t.Cur }), suppress(falling, func(t Term) int { return t.Base })
}

func suppress(ts []Term, docs func(Term) int) []Term {
	sort.Slice(ts, func(i, j int) bool {
		li, lj := utf8.RuneCountInString(ts[i].Text), utf8.RuneCountInString(ts[j].Text)
		if li != lj {
			return li > lj
		}
		return ts[i].Text < ts[j].Text
	})
	var kept []Term
	for _, t := range ts {
		drop := false
		for _, k := range kept {
			if len(k.Text) > len(t.Text) && strings.Contains(k.Text, t.Text) && float64(docs(k)) >= 0.7*float64(docs(t)) {
				drop = true
				break
			}
		}
		if !drop {
			kept = append(kept, t)
		}
	}
	sort.Slice(kept, func(i, j int) bool {
		if kept[i].G2 != kept[j].G2 {
			return kept[i].G2 > kept[j].G2
		}
		return kept[i].Text < kept[j].Text
	})
	return kept
}

// maxTopicTerms bounds the rising terms grouped into topics.
const maxTopicTerms = 60

// topics groups the strongest rising terms: two terms join when at least 3
// requests of the period contain both and those are at least half of the
// rarer term's requests (overlap coefficient ≥ 0.5); topics are the
// connected components.
func topics(reqs []Req, curDocs []int, base window, rising []Term, parent map[string][4]string) []Topic {
	ts := rising
	if len(ts) > maxTopicTerms {
		ts = ts[:maxTopicTerms]
	}
	if len(ts) == 0 {
		return nil
	}
	docs := make([][]int, len(ts)) // per term, indexes into curDocs
	for di, ri := range curDocs {
		text := strings.ToLower(reqs[ri].Text)
		for ti, t := range ts {
			if strings.Contains(text, t.Text) {
				docs[ti] = append(docs[ti], di)
			}
		}
	}
	uf := make([]int, len(ts))
	for i := range uf {
		uf[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for uf[i] != i {
			uf[i] = uf[uf[i]]
			i = uf[i]
		}
		return i
	}
	for i := range ts {
		for j := i + 1; j < len(ts); j++ {
			both := intersect(docs[i], docs[j])
			if both >= 3 && float64(both) >= 0.5*float64(min(len(docs[i]), len(docs[j]))) {
				uf[find(i)] = find(j)
			}
		}
	}
	groups := map[int][]int{}
	for i := range ts {
		groups[find(i)] = append(groups[find(i)], i)
	}
	var out []Topic
	for _, g := range groups {
		var tp Topic
		hits := map[int]int{}
		for _, ti := range g {
			tp.Terms = append(tp.Terms, ts[ti].Text)
			for _, d := range docs[ti] {
				hits[d]++
			}
		}
		type dh struct{ d, h int }
		var list []dh
		for d, h := range hits {
			list = append(list, dh{d, h})
		}
		sort.Slice(list, func(i, j int) bool {
			if list[i].h != list[j].h {
				return list[i].h > list[j].h
			}
			return reqs[curDocs[list[i].d]].ID < reqs[curDocs[list[j].d]].ID
		})
		cats, places, units := map[string]int{}, map[string]int{}, map[string]int{}
		for _, x := range list {
			r := &reqs[curDocs[x.d]]
			tp.reqs = append(tp.reqs, curDocs[x.d])
			if len(tp.Examples) < 5 {
				tp.Examples = append(tp.Examples, r.ID)
			}
			cats[r.Category]++
			if p, ok := parent[r.Grid]; ok && p[1] != "" {
				places[p[1]]++
			}
			if r.Unit != "" {
				units[r.Unit]++
			}
		}
		tp.Cur = len(list)
		tp.Categories, tp.Places, tp.Units = top(cats, 3), top(places, 3), top(units, 3)
		out = append(out, tp)
	}
	// baseline documents with any of the topic's terms, and the lift
	n1, n2 := len(curDocs), 0
	for i := range reqs {
		if !base.has(reqs[i].Day) {
			continue
		}
		n2++
		low := strings.ToLower(reqs[i].Text)
		for ti := range out {
			for _, t := range out[ti].Terms {
				if strings.Contains(low, t) {
					out[ti].Base++
					break
				}
			}
		}
	}
	for ti := range out {
		t := &out[ti]
		t.Lift = ((float64(t.Cur) + 0.5) / float64(n1+1)) / ((float64(t.Base) + 0.5) / float64(n2+1))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Cur != out[j].Cur {
			return out[i].Cur > out[j].Cur
		}
		return out[i].Terms[0] < out[j].Terms[0]
	})
	return out
}

func intersect(a, b []int) int {
	n, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			n++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return n
}

func top(m map[string]int, k int) []Count {
	var out []Count
	for key, n := range m {
		if key != "" {
			out = append(out, Count{key, n})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Key < out[j].Key
	})
	if len(out) > k {
		out = out[:k]
	}
	return out
}
