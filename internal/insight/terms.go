package insight

import (
	"slices"
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
	Phrases    []string // the terms re-assembled where they overlap: 共享单车 + 单车乱停 → 共享单车乱停
	Cur, Base  int      // requests containing any of the terms
	Lift       float64  // share now ÷ share in the baseline (smoothed)
	Examples   []string // representative request ids: most of the topic's terms first
	Categories []Count
	Places     []Count // streets (from the requests' grids; districts where no street is known)
	Units      []Count
	// The taxonomy as context: within the topic's main category, the share
	// of requests with the topic's terms now against the baseline, its G²
	// p-value, BH-adjusted across topics. A topic is Emerging when that
	// share rose significantly — a category's seasonal rise (all heating
	// requests say 暖气 in winter) makes rising terms but no emerging topic.
	InCategoryLift float64
	P, Q           float64
	Emerging       bool
	reqs           []int
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
		这个 那个 这些 一些 好好 一下 就是 还是 这样 如果 只能 居民 群众 百姓 老百姓 小区 业主 市长 书记 县长 区长 信箱 留言 回复 感谢 麻烦 帮助 年月 月日`) {
		stopTerms[s] = true
	}
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// grams appends the terms of a text to dst, repeated as often as they
// occur: every 2–4-gram inside a run of Han characters, and every Latin or
// mixed word of 2+ characters (lower-cased) that is not only digits. The Han
// grams share the text's memory.
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
	return dst
}

// distinct sorts and de-duplicates terms in place.
func distinct(s []string) []string {
	sort.Strings(s)
	return slices.Compact(s)
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

type termCount struct{ cur, base, last int32 }

// termStats counts, for every term, the documents of the period (cur) and of
// the baseline (base) that contain it.
// termStats counts, for every term, the documents of the period (cur) and of
// the baseline (base) that contain it. A window with more than maxDocs
// requests is sampled evenly (every k-th request in input order), which
// keeps the shares unbiased and bounds the time.
func termStats(reqs []Req, cur, base window, maxDocs int) (counts map[string]*termCount, curDocs, baseDocs []int) {
	c1, c2, b1, b2 := 0, 0, 0, 0
	for i := range reqs {
		if cur.has(reqs[i].Day) {
			c1++
			b1 += len(reqs[i].Text)
		} else if base.has(reqs[i].Day) {
			c2++
			b2 += len(reqs[i].Text)
		}
	}
	k1, k2 := (c1+maxDocs-1)/maxDocs, (c2+maxDocs-1)/maxDocs
	// distinct terms grow with the text read: about one per Han character
	// (three bytes) in a board of long messages, fewer in short ones
	counts = make(map[string]*termCount, min(1<<18, (b1/max(k1, 1)+b2/max(k2, 1))/3))
	curDocs = make([]int, 0, c1/max(k1, 1)+1)
	baseDocs = make([]int, 0, c2/max(k2, 1)+1)
	i1, i2 := 0, 0
	var buf []string
	for i := range reqs {
		r := &reqs[i]
		inCur, inBase := cur.has(r.Day), base.has(r.Day)
		switch {
		case inCur:
			i1++
			if (i1-1)%k1 != 0 {
				continue
			}
			curDocs = append(curDocs, i)
		case inBase:
			i2++
			if (i2-1)%k2 != 0 {
				continue
			}
			baseDocs = append(baseDocs, i)
		default:
			continue
		}
		buf = grams(r.Text, buf)
		stamp := int32(i + 1)
		for _, g := range buf {
			c := counts[g]
			if c == nil {
				c = &termCount{}
				counts[g] = c
			}
			if c.last == stamp {
				continue // a document counts once
			}
			c.last = stamp
			if inCur {
				c.cur++
			} else {
				c.base++
			}
		}
	}
	return counts, curDocs, baseDocs
}

// terms tests every term seen in at least MinTermDocs documents. Given the
// k = a + b documents that contain it, under H0 (its share did not change)
// the number a in the period is hypergeometric, and the exact binomial
// Bin(k, N1/(N1+N2)) bounds its tails (slightly conservatively); the
// two-sided p-value is twice the smaller tail. G² of the 2×2 table is kept
// to rank the terms (its χ² approximation alone flagged 7 % of pure-noise
// runs at q = 0.05). The false-discovery rate is controlled across all
// tested terms; the discoveries split into rising and falling. A discovered
// term is suppressed when a longer discovered term in the same direction
// contains it and covers at least 70 % of its documents.
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
		k, p0 := a+b, N1/(N1+N2)
		p := min(1, 2*min(binomUpper(a, k, p0), 1-binomUpper(a+1, k, p0)))
		all = append(all, Term{Text: t, Cur: int(c.cur), Base: int(c.base), CurShare: a / N1, BaseShare: b / N2,
			Lift: ((a + 0.5) / (N1 + 1)) / ((b + 0.5) / (N2 + 1)), G2: g, P: p})
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

// maxTopicTerms bounds the places in topic formation; topicPool is the
// number of the globally strongest rising terms they are chosen from;
// sameDocs is the overlap (both ways) at which terms count as one phrase.
const (
	maxTopicTerms = 60
	topicPool     = 300
	sameDocs      = 0.9
	minTopicLift  = 2
)

// termDocs lists, for each term of index, the positions in docs of the
// documents that contain it — one pass, the grams of each document looked
// up in the index (as termStats counted them).
func termDocs(reqs []Req, docs []int, index map[string]int) [][]int {
	out := make([][]int, len(index))
	last := make([]int, len(index))
	var buf []string
	for di, ri := range docs {
		buf = grams(reqs[ri].Text, buf)
		for _, g := range buf {
			if ti, ok := index[g]; ok && last[ti] != di+1 {
				last[ti] = di + 1
				out[ti] = append(out[ti], di)
			}
		}
	}
	return out
}

// topicTerms chooses the terms that form topics, with the taxonomy as
// context. A big seasonal category that rises (heating in winter) makes
// hundreds of rising fragments with the strongest G², which would fill every
// place and leave a new phrase in one street of another category out. So
// the pool is the topicPool strongest rising terms; each term's main
// category is the one holding most of its current documents; its score is
// the 2×2 G² of its share within that category now against the baseline
// (negative when the share fell, 0 when the category has no documents in a
// window). Terms with less than half of their documents in their main
// category (about none) and terms whose smoothed share within it less than
// doubled (its vocabulary rising with it; broad words like these, joined to
// a new phrase, bury its rise under their baseline) are left out, unless
// the category has no baseline documents. The rest are ranked by the score
// (ties: global G², then text).
// Walking down the ranking, a term whose current documents and those of an
// earlier group's first term overlap ≥ sameDocs both ways joins that group
// (one phrase cut in fragments takes one place); otherwise it starts a new
// group while fewer than maxTopicTerms exist. It returns the terms of the
// groups in rank order, their current documents (positions in curDocs), and
// for each the index of its group's first term.
func topicTerms(reqs []Req, curDocs, baseDocs []int, rising []Term) (ts []Term, docs [][]int, rep []int, cat []string) {
	pool := rising[:min(len(rising), topicPool)]
	if len(pool) == 0 {
		return nil, nil, nil, nil
	}
	index := make(map[string]int, len(pool))
	for i, t := range pool {
		index[t.Text] = i
	}
	pdocs := termDocs(reqs, curDocs, index)
	// documents per category in each window, and each term's main category
	curCat := map[string]int{}
	for _, i := range curDocs {
		curCat[reqs[i].Category]++
	}
	main := make([]string, len(pool))
	inMain := make([]int, len(pool))
	mains := map[string]bool{}
	per := map[string]int{}
	for ti, ds := range pdocs {
		clear(per)
		for _, d := range ds {
			per[reqs[curDocs[d]].Category]++
		}
		for c, n := range per {
			if n > inMain[ti] || n == inMain[ti] && c < main[ti] {
				main[ti], inMain[ti] = c, n
			}
		}
		mains[main[ti]] = true
	}
	baseCat := map[string]int{}
	baseIn := make([]int, len(pool)) // baseline documents of the main category with the term
	last := make([]int, len(pool))
	var buf []string
	for di, ri := range baseDocs {
		cat := reqs[ri].Category
		if !mains[cat] {
			continue
		}
		baseCat[cat]++
		buf = grams(reqs[ri].Text, buf)
		for _, g := range buf {
			if ti, ok := index[g]; ok && last[ti] != di+1 && main[ti] == cat {
				last[ti] = di + 1
				baseIn[ti]++
			}
		}
	}
	score := make([]float64, len(pool))
	vocab := make([]bool, len(pool))
	for ti := range pool {
		a, m1, b, m2 := float64(inMain[ti]), float64(curCat[main[ti]]), float64(baseIn[ti]), float64(baseCat[main[ti]])
		if m1 > 0 && m2 > 0 {
			score[ti] = g2(a, m1, b, m2)
			if a/m1 < b/m2 {
				score[ti] = -score[ti]
			}
			vocab[ti] = (a+0.5)/(m1+1) < minTopicLift*(b+0.5)/(m2+1)
		}
	}
	order := make([]int, len(pool))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if score[a] != score[b] {
			return score[a] > score[b]
		}
		if pool[a].G2 != pool[b].G2 {
			return pool[a].G2 > pool[b].G2
		}
		return pool[a].Text < pool[b].Text
	})
	// collapse near-identical fragments, then cut
	var firsts []int           // pool index of each group's first term
	members := map[int][]int{} // group's first term → its terms in rank order
	for _, ti := range order {
		if 2*inMain[ti] < len(pdocs[ti]) || vocab[ti] {
			continue // about no category, or its category's own vocabulary
		}
		joined := false
		for _, f := range firsts {
			if sameSet(pdocs[ti], pdocs[f]) {
				members[f] = append(members[f], ti)
				joined = true
				break
			}
		}
		if !joined && len(firsts) < maxTopicTerms {
			firsts = append(firsts, ti)
			members[ti] = []int{ti}
		}
	}
	for _, f := range firsts {
		r := len(ts)
		for _, ti := range members[f] {
			ts = append(ts, pool[ti])
			docs = append(docs, pdocs[ti])
			rep = append(rep, r)
			cat = append(cat, main[ti])
		}
	}
	return ts, docs, rep, cat
}

// sameSet reports whether two sorted document lists overlap by at least
// sameDocs of each.
func sameSet(a, b []int) bool {
	lo, hi := min(len(a), len(b)), max(len(a), len(b))
	if lo == 0 || float64(lo) < sameDocs*float64(hi) {
		return false
	}
	return float64(intersect(a, b)) >= sameDocs*float64(hi)
}

// topics groups the terms topicTerms chooses: two groups join when at
// least 3 requests of the period contain the first terms of both and those
// are at least half of the rarer term's requests (overlap coefficient ≥
// 0.5); topics are the connected components, with all the terms of their
// groups.
func topics(reqs []Req, curDocs, baseDocs []int, rising []Term, parent map[string][4]string, o Options) []Topic {
	ts, docs, rep, cat := topicTerms(reqs, curDocs, baseDocs, rising)
	if len(ts) == 0 {
		return nil
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
		if rep[i] != i {
			uf[find(i)] = find(rep[i])
			continue
		}
		for j := i + 1; j < len(ts); j++ {
			if rep[j] != j || cat[j] != cat[i] {
				continue
			}
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
			} else if ok && p[0] != "" {
				places[p[0]]++ // no street known: the district
			}
			if r.Unit != "" {
				units[r.Unit]++
			}
		}
		tp.Cur = len(list)
		tp.Phrases = assemble(tp.Terms)
		tp.Categories, tp.Places, tp.Units = top(cats, 3), top(places, 3), top(units, 3)
		out = append(out, tp)
	}
	// baseline documents with any of the topic's terms, and the lift;
	// the same within the topic's main category
	n1, n2 := len(curDocs), len(baseDocs)
	// (the baseline's documents with a topic's terms found, like the
	// current ones, by looking their grams up)
	type cc struct{ cur, base, tcur, tbase int }
	perCat := make([]cc, len(out))
	curCat, baseCat := map[string]int{}, map[string]int{}
	for _, i := range curDocs {
		curCat[reqs[i].Category]++
	}
	for _, i := range baseDocs {
		baseCat[reqs[i].Category]++
	}
	topicOf := map[string]int{}
	for ti := range out {
		if len(out[ti].Categories) > 0 {
			perCat[ti].cur = curCat[out[ti].Categories[0].Key]
			perCat[ti].base = baseCat[out[ti].Categories[0].Key]
		}
		for _, t := range out[ti].Terms {
			topicOf[t] = ti
		}
	}
	last := make([]int, len(out))
	var buf []string
	for di, i := range baseDocs {
		buf = grams(reqs[i].Text, buf)
		for _, g := range buf {
			ti, ok := topicOf[g]
			if !ok || last[ti] == di+1 {
				continue
			}
			last[ti] = di + 1
			out[ti].Base++
			if len(out[ti].Categories) > 0 && reqs[i].Category == out[ti].Categories[0].Key {
				perCat[ti].tbase++
			}
		}
	}
	var ps []float64
	for ti := range out {
		t := &out[ti]
		t.Lift = ((float64(t.Cur) + 0.5) / float64(n1+1)) / ((float64(t.Base) + 0.5) / float64(n2+1))
		if len(t.Categories) > 0 {
			perCat[ti].tcur = t.Categories[0].N
		}
		c := perCat[ti]
		a, m1, b, m2 := float64(c.tcur), float64(c.cur), float64(c.tbase), float64(c.base)
		t.InCategoryLift = ((a + 0.5) / (m1 + 1)) / ((b + 0.5) / (m2 + 1))
		t.P = 1
		if m1 > 0 && m2 > 0 && a/m1 > b/m2 {
			t.P = binomUpper(a, a+b, m1/(m1+m2)) // exact, conditional on a+b
		}
		ps = append(ps, t.P)
	}
	for ti, q := range bh(ps) {
		out[ti].Q = q
		out[ti].Emerging = q <= o.Q
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

// assemble joins terms that overlap (a suffix of one is a prefix of the
// other, at least two characters) into phrases, longest overlap first, and
// drops terms inside a phrase.
func assemble(terms []string) []string {
	ps := make([][]rune, len(terms))
	for i, t := range terms {
		ps[i] = []rune(t)
	}
	for {
		bi, bj, bk := -1, -1, 1
		for i := range ps {
			for j := range ps {
				if i == j {
					continue
				}
				for k := min(len(ps[i]), len(ps[j])) - 1; k > bk; k-- {
					if string(ps[i][len(ps[i])-k:]) == string(ps[j][:k]) {
						bi, bj, bk = i, j, k
						break
					}
				}
			}
		}
		if bi < 0 {
			break
		}
		merged := append(append([]rune{}, ps[bi]...), ps[bj][bk:]...)
		ps[bi] = merged
		ps = append(ps[:bj], ps[bj+1:]...)
	}
	var out []string
	for i, p := range ps {
		inside := false
		for j, q := range ps {
			if i != j && len(q) > len(p) && strings.Contains(string(q), string(p)) {
				inside = true
				break
			}
		}
		if !inside {
			out = append(out, string(p))
		}
	}
	return out
}
