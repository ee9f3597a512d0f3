// Package replyquality checks a unit's written reply to a citizen before
// the citizen sees it (答复质量, issue #16): does it answer this request
// (relevance), every point of it (completeness), with a legal or policy
// basis where one is asked for, with a concrete date or action, in a
// proper tone, and is it more than a near-copy of another reply
// (boilerplate)? Each dimension gets a score in [0, 1], a level and a
// reason in Chinese and English that the unit sees; the unit may still
// submit. Pure rules: no SQL, no HTTP.
package replyquality

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"unicode"
)

// Dimensions.
const (
	Relevance    = "relevance"    // 答非所问
	Completeness = "completeness" // 漏答
	Basis        = "basis"        // 依据
	Concrete     = "concrete"     // 具体时间、措施
	Tone         = "tone"         // 语气
	Original     = "original"     // 套话、雷同
)

// Dimensions lists them in the order they are shown.
var Dimensions = []string{Relevance, Completeness, Basis, Concrete, Tone, Original}

// Levels.
const (
	Good = "good"
	Warn = "warn"
	Bad  = "bad"
)

// Score is one dimension's verdict.
type Score struct {
	Dim      string  `json:"dim"`
	Value    float64 `json:"value"` // 0 (worst) … 1 (best)
	Level    string  `json:"level"`
	ReasonZH string  `json:"reason_zh"`
	ReasonEN string  `json:"reason_en"`
}

// Check is the verdict on one reply.
type Check struct {
	Scores  []Score `json:"scores"`
	Overall float64 `json:"overall"` // the mean of the scores
	// NearCopy is set when the reply is a near-copy of a past one.
	NearCopy bool `json:"near_copy"`
}

// Score returns the named dimension's score.
func (c Check) Score(dim string) (Score, bool) {
	for _, s := range c.Scores {
		if s.Dim == dim {
			return s, true
		}
	}
	return Score{}, false
}

// ---- text ----

// runes keeps the letters and digits of s (lower-cased, full-width folded)
// and turns everything else into a single separator.
func runes(s string) []rune {
	out := make([]rune, 0, len(s)/2)
	sep := true
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		}
		r = unicode.ToLower(r)
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			out = append(out, r)
			sep = false
		} else if !sep {
			out = append(out, ' ')
			sep = true
		}
	}
	return out
}

// bigrams are the text's character bigrams that do not cross a separator,
// counted.
func bigrams(s string) map[string]int {
	rs := runes(s)
	m := make(map[string]int, len(rs))
	for i := 0; i+1 < len(rs); i++ {
		if rs[i] == ' ' || rs[i+1] == ' ' {
			continue
		}
		m[string(rs[i:i+2])]++
	}
	return m
}

// ---- corpus ----

// Corpus is what the checks learn from a body of past texts (messages and
// replies): how common each bigram is, so that the words every reply says
// (您好, 答复如下, 感谢) weigh little and the request's own words (a
// place, a street, a project) weigh much.
type Corpus struct {
	df   map[string]int
	docs int
}

// NewCorpus learns the document frequencies of texts.
func NewCorpus(texts []string) *Corpus {
	c := &Corpus{df: map[string]int{}}
	for _, t := range texts {
		c.Add(t)
	}
	return c
}

// Add counts one more text.
func (c *Corpus) Add(text string) {
	for g := range bigrams(text) {
		c.df[g]++
	}
	c.docs++
}

func (c *Corpus) idf(g string) float64 {
	return math.Log(float64(c.docs+1) / float64(c.df[g]+1))
}

// vector is a text's sublinear TF-IDF vector, L2-normalised.
func (c *Corpus) vector(text string) map[string]float64 {
	v := map[string]float64{}
	var norm float64
	for g, n := range bigrams(text) {
		w := (1 + math.Log(float64(n))) * c.idf(g)
		if w <= 0 {
			continue
		}
		v[g] = w
		norm += w * w
	}
	if norm > 0 {
		norm = math.Sqrt(norm)
		for g := range v {
			v[g] /= norm
		}
	}
	return v
}

func dot(a, b map[string]float64) float64 {
	if len(b) < len(a) {
		a, b = b, a
	}
	var s float64
	for g, w := range a {
		s += w * b[g]
	}
	return s
}

// Relevance scores reply as the answer to message, in the units of the
// cosine of their TF-IDF vectors of character bigrams, corrected by the
// names the reply echoes or brings (see Signals): a reply about another
// request shares little but the words of every reply, and names places,
// streets or companies the request never mentions.
func (c *Corpus) Relevance(message, reply string) float64 {
	return c.Signals(message, reply).Score()
}

// Signals are what relevance is made of.
type Signals struct {
	// Cosine of the message's and the reply's TF-IDF vectors of character
	// bigrams.
	Cosine float64
	// Echoed are the names in the reply (a place, road, community,
	// company, school …: see nameRe) that the message also has; Foreign
	// are those it does not have.
	Echoed, Foreign []string
}

// RelevanceWeights weigh the signals (cosine, log(1+echoed names),
// log(1+foreign names)): fitted as a pairwise logistic model (a message's
// own reply against other replies of its category) on the 2,816 real
// replies of zhengwu/replies.tsv in 5 folds (the folds' mean, rounded),
// rescaled so the cosine weighs 1;
// Evaluate refits them in cross-validation (docs/REPLIES.md).
var RelevanceWeights = [3]float64{1, 0.1, -0.02}

// Score combines the signals with RelevanceWeights.
func (s Signals) Score() float64 { return s.score(RelevanceWeights) }

func (s Signals) score(w [3]float64) float64 {
	x := s.features()
	return w[0]*x[0] + w[1]*x[1] + w[2]*x[2]
}

func (s Signals) features() [3]float64 {
	return [3]float64{s.Cosine, math.Log1p(float64(len(s.Echoed))), math.Log1p(float64(len(s.Foreign)))}
}

// nameRe finds names: the two Chinese characters before a suffix of a
// place, road, housing estate or organisation (和平路, 花坪街道, 蓉华苑,
// 岭小学, 有限公司) — a name's core, the same whatever words come before
// it in the message or the reply.
var nameRe = regexp.MustCompile(`\p{Han}{2}(?:镇|乡|村|街道|社区|小区|路|街|大道|公司|学校|医院|中学|小学|幼儿园|花园|花苑|广场)`)

// names are the distinct names of text, at most maxNames.
func names(text string) map[string]bool {
	const maxNames = 64
	m := map[string]bool{}
	for _, n := range nameRe.FindAllString(text, maxNames) {
		m[n] = true
	}
	return m
}

// Signals measures the signals of relevance of reply to message.
func (c *Corpus) Signals(message, reply string) Signals {
	return signals(c.vector(message), c.vector(reply), names(message), names(reply))
}

func signals(mv, rv map[string]float64, mn, rn map[string]bool) Signals {
	s := Signals{Cosine: dot(mv, rv)}
	for n := range rn {
		if mn[n] {
			s.Echoed = append(s.Echoed, n)
		} else {
			s.Foreign = append(s.Foreign, n)
		}
	}
	slices.Sort(s.Echoed)
	slices.Sort(s.Foreign)
	return s
}

// Scorer scores many messages against many replies without recomputing
// vectors and names.
type Scorer struct {
	c    *Corpus
	memo map[string]scored
}

type scored struct {
	vec   map[string]float64
	names map[string]bool
}

// NewScorer returns a Scorer over c.
func (c *Corpus) NewScorer() *Scorer { return &Scorer{c: c, memo: map[string]scored{}} }

// Relevance is Corpus.Relevance with the vectors kept.
func (s *Scorer) Relevance(message, reply string) float64 {
	return s.Signals(message, reply).Score()
}

// Signals is Corpus.Signals with the vectors kept.
func (s *Scorer) Signals(message, reply string) Signals {
	m, r := s.get(message), s.get(reply)
	return signals(m.vec, r.vec, m.names, r.names)
}

func (s *Scorer) get(t string) scored {
	if v, ok := s.memo[t]; ok {
		return v
	}
	v := scored{s.c.vector(t), names(t)}
	s.memo[t] = v
	return v
}

// ---- points of a message ----

var (
	pointSplit = regexp.MustCompile(`[？?！!；;。\n]|(?:[一二三四五六七八九十]是)|(?:第[一二三四五六七八九十]+[，、,])|(?:\d+[、.．)）])`)
	asks       = regexp.MustCompile(`[？?]|请问|能否|可否|是否|为什么|为何|怎么|如何|何时|什么时候|多久|希望|要求|请求|恳请|建议|请.{0,6}(解决|处理|答复|落实|查处|核实|回复|整改|办理)`)
)

// Points are the message's distinct asks: the sentences (or enumerated
// items) that put a question or a request, each with its own words (the
// bigrams that carry weight in the corpus). At most 8.
func (c *Corpus) Points(message string) [][]string {
	var out [][]string
	for _, part := range pointSplit.Split(message, -1) {
		if len([]rune(part)) < 6 || !asks.MatchString(part) {
			continue
		}
		var gs []string
		for g := range bigrams(part) {
			if c.df[g] <= max(1, c.docs/20) { // in at most one text in twenty
				gs = append(gs, g)
			}
		}
		if len(gs) >= 2 {
			slices.Sort(gs)
			out = append(out, gs)
		}
		if len(out) == 8 {
			break
		}
	}
	return out
}

// ---- the check ----

var (
	lawCite    = regexp.MustCompile(`《[^》]{2,40}(法|条例|规定|办法|意见|通知|细则|标准|规范|规划|决定|方案)[^》]{0,10}》`)
	basisWords = regexp.MustCompile(`(根据|依据|按照|依照|参照|遵照).{0,20}(规定|政策|法|条例|办法|文件|标准|要求)|政策规定|相关规定|法律规定`)
	needsBasis = regexp.MustCompile(`政策|规定|是否合法|合法吗|合理吗|违法|违规|依据|标准|补贴|补偿|赔偿|待遇|资格|收费|罚款|退休|社保|养老金|公积金|户口|落户|拆迁|征收|产权|过户`)
	dateWords  = regexp.MustCompile(`\d{4}年\d{1,2}月(\d{1,2}日)?|\d{1,2}月\d{1,2}日|\d{1,2}月(底|中旬|上旬|下旬)|\d+个?(工作日|日|天|周|月)内|年底前|月底前|近期|下一步`)
	actionWord = regexp.MustCompile(`已(经)?(派|安排|组织|责令|督促|约谈|完成|整改|清理|修复|维修|拆除|查处|处罚|协调|落实|办理|发放|恢复)|将(于|在|继续|进一步|加快|尽快|安排|组织|督促)|责令|立即|现场(查看|核实|勘查|处置)|实地(查看|调查|核实)`)
	politeWord = regexp.MustCompile(`您好|你好|感谢|谢谢|理解|支持|关心`)
	rudeWord   = regexp.MustCompile(`不归我|与我(单位|局|部门)无关|不属于我(单位|局|部门)|自行(解决|协商|处理)|无法解决|不予(理睬|回复)|请勿|纠缠|无理`)
	stockReply = regexp.MustCompile(`已有相关单位作出回复|请您耐心等待|已转(交|至)相关部门|已收悉。?$`)
)

// Options tune Check.
type Options struct {
	// Past replies (of the same unit, or all) for the boilerplate check;
	// a reply that is a near-copy (Jaccard ≥ NearCopy of 5-character
	// shingles) of one of them is flagged.
	Past     []string
	NearCopy float64 // default 0.8
	// Nearest, when Past is empty, is the highest Jaccard index with
	// another reply, measured beforehand (Evaluate does, for a corpus).
	Nearest float64
	// PastSigs are past replies' signatures (a store keeps those, not the
	// texts): their Jaccard index with the reply is estimated.
	PastSigs []Signature
}

// Check scores reply as the answer to message.
func (c *Corpus) Check(message, reply string, opt Options) Check {
	if opt.NearCopy <= 0 {
		opt.NearCopy = 0.8
	}
	var ch Check
	add := func(dim string, v float64, zh, en string) {
		v = math.Max(0, math.Min(1, v))
		lvl := Good
		switch {
		case v < 0.4:
			lvl = Bad
		case v < 0.7:
			lvl = Warn
		}
		ch.Scores = append(ch.Scores, Score{Dim: dim, Value: math.Round(v*100) / 100, Level: lvl, ReasonZH: zh, ReasonEN: en})
	}

	// Relevance: 0.05 or less is another subject; 0.25 and more is this
	// one (in the cosine's units; the scale of the real replies,
	// docs/REPLIES.md).
	sg := c.Signals(message, reply)
	rv := (sg.Score() - 0.05) / 0.2
	switch {
	case rv >= 0.7:
		add(Relevance, rv, "答复紧扣诉求内容", "the reply is about what was asked")
	case rv < 0.4 && len(sg.Foreign) > 0 && len(sg.Echoed) == 0:
		add(Relevance, rv, fmt.Sprintf("答复提到的%s在诉求中没有出现，请核对是否答复了本诉求", quoteNames(sg.Foreign, "、")),
			fmt.Sprintf("the reply names %s, which the request does not mention: check it answers this request", quoteNames(sg.Foreign, ", ")))
	case rv >= 0.4:
		add(Relevance, rv, "答复与诉求的关联不够紧密，请对照诉求的地点、对象和事项", "the reply shares little with the request: check its place, subject and matter")
	default:
		add(Relevance, rv, "答复与诉求内容几乎无关，疑似答非所问", "the reply hardly mentions what was asked: it may answer another request")
	}

	// Completeness: each point's own words found in the reply.
	pts := c.Points(message)
	rb := bigrams(reply)
	if len(pts) == 0 {
		add(Completeness, 1, "诉求未列出需逐项答复的问题", "the request puts no separate questions")
	} else {
		answered := 0
		for _, p := range pts {
			hit := 0
			for _, g := range p {
				if rb[g] > 0 {
					hit++
				}
			}
			if float64(hit)/float64(len(p)) >= 0.25 {
				answered++
			}
		}
		v := float64(answered) / float64(len(pts))
		if answered == len(pts) {
			add(Completeness, v, "诉求中的问题均有回应", "every question of the request is taken up")
		} else {
			add(Completeness, v, fmt.Sprintf("诉求提出%d个问题，答复只回应了%d个", len(pts), answered),
				fmt.Sprintf("the request asks %d things; the reply takes up %d", len(pts), answered))
		}
	}

	// Basis: where the request asks about a rule, a right or money.
	cited := lawCite.MatchString(reply) || basisWords.MatchString(reply)
	switch {
	case cited:
		add(Basis, 1, "答复引用了法律、政策或规定依据", "the reply cites its legal or policy basis")
	case needsBasis.MatchString(message):
		add(Basis, 0.3, "诉求涉及政策或权益，答复未说明法律或政策依据", "the request is about a rule or a right; the reply gives no legal or policy basis")
	default:
		add(Basis, 0.8, "诉求未涉及政策依据", "the request does not turn on a rule")
	}

	// Concreteness: a date and an action.
	d, a := dateWords.MatchString(reply), actionWord.MatchString(reply)
	switch {
	case d && a:
		add(Concrete, 1, "答复有具体时间和措施", "the reply gives dates and actions")
	case a:
		add(Concrete, 0.6, "答复有措施但没有具体时间", "the reply gives actions but no date")
	case d:
		add(Concrete, 0.5, "答复有时间但没有具体措施", "the reply gives a date but no action")
	default:
		add(Concrete, 0.1, "答复没有具体时间和措施", "the reply gives neither a date nor an action")
	}

	// Tone.
	switch {
	case rudeWord.MatchString(reply):
		add(Tone, 0.2, "答复有推诿或生硬的表述", "the reply pushes the citizen away or is curt")
	case politeWord.MatchString(reply):
		add(Tone, 1, "语气得体", "a proper tone")
	default:
		add(Tone, 0.6, "答复缺少问候或致谢", "the reply has no greeting or thanks")
	}

	// Boilerplate: a stock phrase, or a near-copy of a past reply.
	best := opt.Nearest
	if len(opt.Past) > 0 {
		sh := shingles(reply)
		for _, p := range opt.Past {
			if j := jaccard(sh, shingles(p)); j > best {
				best = j
			}
		}
	}
	if len(opt.PastSigs) > 0 {
		sig := SignatureOf(reply)
		for _, p := range opt.PastSigs {
			best = max(best, sig.Similarity(p))
		}
	}
	switch {
	case best >= opt.NearCopy:
		ch.NearCopy = true
		add(Original, 1-best, "答复与以往答复几乎相同，疑似套用", "the reply is a near-copy of an earlier one")
	case stockReply.MatchString(reply) && len([]rune(reply)) < 80:
		add(Original, 0.2, "答复是通用套话，没有具体内容", "the reply is a stock phrase with nothing specific")
	default:
		add(Original, 1-best/2, "答复为针对性内容", "the reply is written for this request")
	}

	var sum float64
	for _, s := range ch.Scores {
		sum += s.Value
	}
	ch.Overall = math.Round(sum/float64(len(ch.Scores))*100) / 100
	return ch
}

// quoteNames lists at most three names in quotes.
func quoteNames(ns []string, sep string) string {
	out := ""
	for i, n := range ns {
		if i == 3 {
			out += sep + "…"
			break
		}
		if i > 0 {
			out += sep
		}
		out += "“" + n + "”"
	}
	return out
}
