package replyquality

import (
	"math"
	"strings"
	"testing"
)

var corpus = NewCorpus([]string{
	"您好，您反映的问题已收悉，现答复如下：感谢您的支持。",
	"您好，关于您反映的问题，我们高度重视，现答复如下。",
	"和平路12号小区门口路灯不亮已经一周，请尽快维修。",
	"幸福街道菜市场北门每晚摆摊经营，油烟和噪音扰民，希望相关部门处理。",
	"您好，关于和平路12号小区门口路灯不亮的问题，我局已于5月3日派人维修，路灯已恢复照明。感谢您的监督。",
	"请问退休人员养老金调整的政策规定是什么？为什么我的养老金没有调整？",
	"您好，根据《关于2019年调整退休人员基本养老金的通知》，调整已于7月发放到位。",
	"您好！留言已收悉",
	"学校附近有人私搭乱建",
	"地铁站B口共享单车乱停乱放堵塞人行道",
})

func TestRelevance(t *testing.T) {
	msg := "和平路12号小区门口路灯不亮已经一周，请尽快维修。"
	own := corpus.Relevance(msg, "您好，关于和平路12号小区门口路灯不亮的问题，我局已于5月3日派人维修，路灯已恢复照明。")
	other := corpus.Relevance(msg, "您好，关于幸福街道菜市场北门摆摊经营的问题，城管已于5月3日现场查处。")
	stock := corpus.Relevance(msg, "您好！留言已收悉")
	if !(own > 0.3 && own > 3*other && own > 3*stock) {
		t.Fatalf("own %.3f, another request's reply %.3f, a stock phrase %.3f", own, other, stock)
	}
	if sc := corpus.NewScorer(); math.Abs(sc.Relevance(msg, "路灯")-corpus.Relevance(msg, "路灯")) > 1e-12 {
		t.Fatal("the scorer and the corpus disagree")
	}
}

func TestCheckDimensions(t *testing.T) {
	for _, tc := range []struct {
		name, msg, reply string
		want             map[string]string // dimension → level
	}{
		{"a good reply", "和平路12号小区门口路灯不亮已经一周，请尽快维修。",
			"您好，关于和平路12号小区门口路灯不亮的问题，我局已于5月3日派人维修，路灯已恢复照明。感谢您的监督。",
			map[string]string{Relevance: Good, Concrete: Good, Tone: Good, Original: Good, Completeness: Good}},
		{"answers another request", "和平路12号小区门口路灯不亮已经一周，请尽快维修。",
			"您好，关于地铁站B口共享单车乱停乱放的问题，已责令企业清理。",
			map[string]string{Relevance: Bad}},
		{"a stock phrase", "学校附近有人私搭乱建，请尽快处理。", "您好！留言已收悉",
			map[string]string{Original: Bad, Concrete: Bad}},
		{"a policy question without basis", "请问退休人员养老金调整的政策规定是什么？",
			"您好，您的养老金已经调整，感谢您的关心。",
			map[string]string{Basis: Bad}},
		{"a policy question with basis", "请问退休人员养老金调整的政策规定是什么？",
			"您好，根据《关于2019年调整退休人员基本养老金的通知》，调整已于7月发放到位。",
			map[string]string{Basis: Good}},
		{"pushes the citizen away", "地铁站B口共享单车乱停乱放堵塞人行道，请处理。",
			"此事不属于我单位职责，请自行协商解决。",
			map[string]string{Tone: Bad}},
		{"one of two questions", "请问菜市场北门的摊贩什么时候清理？为什么路灯一直不修？",
			"您好，菜市场北门的摊贩已于5月3日清理完毕。",
			map[string]string{Completeness: Warn}},
	} {
		ch := corpus.Check(tc.msg, tc.reply, Options{})
		if len(ch.Scores) != len(Dimensions) {
			t.Fatalf("%s: %d scores", tc.name, len(ch.Scores))
		}
		for dim, lvl := range tc.want {
			s, _ := ch.Score(dim)
			if s.Level != lvl || s.ReasonZH == "" || s.ReasonEN == "" {
				t.Errorf("%s: %s = %+v, want %s", tc.name, dim, s, lvl)
			}
		}
	}
}

func TestNearCopies(t *testing.T) {
	base := "您的留言已收悉！我们已将您反映的问题转相关部门进行处理，敬请关注后续回复，谢谢！"
	texts := []string{
		base,
		"关于和平路12号小区门口路灯不亮的问题，我局已于5月3日派人维修，路灯已恢复照明。",
		base + "！",
		strings.Replace(base, "谢谢", "感谢", 1),
		"您好，根据《关于2019年调整退休人员基本养老金的通知》，调整已于7月发放到位。",
		"",
	}
	got := NearCopies(texts, 0.8)
	if len(got) != 1 || len(got[0]) != 3 || got[0][0] != 0 || got[0][1] != 2 || got[0][2] != 3 {
		t.Fatalf("groups %v, want [[0 2 3]]", got)
	}
	if s := Similar(texts[0], texts[1]); s > 0.1 {
		t.Fatalf("different replies similar at %.2f", s)
	}
	// The check flags a near-copy of a past reply.
	ch := corpus.Check("学校附近有人私搭乱建，请处理。", texts[3], Options{Past: texts[:1]})
	if s, _ := ch.Score(Original); s.Level != Bad {
		t.Fatalf("a near-copy of a past reply: %+v", s)
	}
}

func TestEvaluate(t *testing.T) {
	ex := []Example{
		{ID: "1", Category: "a", Message: "和平路12号小区门口路灯不亮已经一周，请尽快维修。", Reply: "关于和平路12号小区门口路灯不亮的问题，已于5月3日维修。"},
		{ID: "2", Category: "a", Message: "幸福街道菜市场北门每晚摆摊经营，油烟和噪音扰民。", Reply: "关于菜市场北门摆摊经营、油烟噪音问题，城管已现场查处。"},
		{ID: "3", Category: "a", Message: "地铁站B口共享单车乱停乱放堵塞人行道。", Reply: "地铁站B口的共享单车已责令企业清理。"},
		{ID: "4", Category: "b", Message: "学校附近有人私搭乱建。", Reply: "您好！留言已收悉"},
		{ID: "5", Category: "b", Message: "暖气不热，室温只有十五度。", Reply: "您好！留言已收悉"},
	}
	r := Evaluate(ex, 0.8)
	if r.Replies != 5 || r.Pairs != 3*2+2*1 {
		t.Fatalf("replies %d pairs %d", r.Replies, r.Pairs)
	}
	if r.AUCByCategory["a"] != 1 || r.AUCByCategory["b"] != 0.5 {
		t.Fatalf("AUC by category %v", r.AUCByCategory)
	}
	if r.NearCopies != 2 || len(r.Groups) != 1 || strings.Join(r.Groups[0].IDs, ",") != "4,5" {
		t.Fatalf("near-copies %d %+v", r.NearCopies, r.Groups)
	}
	if len(r.Dimensions) != len(Dimensions) {
		t.Fatalf("dimensions %+v", r.Dimensions)
	}
}

// Names the reply echoes raise relevance, names the request never
// mentions lower it, and a weak reply that names only foreign places says
// which.
func TestRelevanceNames(t *testing.T) {
	msg := "和平路12号小区门口路灯不亮已经一周，请尽快维修。"
	echo := corpus.Signals(msg, "您好，已派人到和平路查看。")
	foreign := corpus.Signals(msg, "您好，已派人到解放路查看。")
	if len(echo.Echoed) != 1 || len(echo.Foreign) != 0 || len(foreign.Echoed) != 0 || len(foreign.Foreign) != 1 {
		t.Fatalf("names: echo %+v, foreign %+v", echo, foreign)
	}
	if !(echo.Score() > echo.Cosine && foreign.Score() < foreign.Cosine && echo.Score() > foreign.Score()) {
		t.Fatalf("echo %.3f (cosine %.3f), foreign %.3f (cosine %.3f)", echo.Score(), echo.Cosine, foreign.Score(), foreign.Cosine)
	}
	ch := corpus.Check(msg, "您好，关于解放路的问题，已处理。", Options{})
	rel, _ := ch.Score(Relevance)
	if rel.Level != Bad || !strings.Contains(rel.ReasonZH, "“解放路”") || !strings.Contains(rel.ReasonEN, "解放路") {
		t.Fatalf("relevance %+v", rel)
	}
}

// The pairwise fit finds the weights that rank own replies first: here the
// second feature separates them and the third is noise against it.
func TestFitPairwise(t *testing.T) {
	var ps []pairs
	for i := 0; i < 50; i++ {
		p := pairs{own: [3]float32{0.1, 1, 0.5}}
		for j := 0; j < 5; j++ {
			p.others = append(p.others, [3]float32{0.1, 0, float32(j % 2)})
		}
		ps = append(ps, p)
	}
	w := fitPairwise(ps, 1)
	if !(w[1] > 1 && w[1] > 10*math.Abs(w[2])) {
		t.Fatalf("weights %v", w)
	}
}

// One check of a long request and reply (the work done inside a reply's
// write transaction): go test -bench Check -cpu 1 ./internal/replyquality
func BenchmarkCheck(b *testing.B) {
	msg := strings.Repeat("和平路12号小区门口路灯不亮已经一周，幸福街道菜市场北门每晚摆摊经营，请尽快维修。", 20)
	reply := strings.Repeat("您好，关于和平路12号小区门口路灯不亮的问题，我局已于5月3日派人维修，路灯已恢复照明。", 20)
	past := []Signature{SignatureOf(reply + "。"), SignatureOf("您好！留言已收悉")}
	b.ReportAllocs()
	for b.Loop() {
		corpus.Check(msg, reply, Options{PastSigs: past})
	}
}

// The cross-validation gives a figure per fold on a body large enough,
// and none (not NaN) when no fold has pairs.
func TestCrossValidate(t *testing.T) {
	var ex []Example
	places := []string{"和平路", "解放路", "幸福街道", "光明小区", "人民路", "建设路", "胜利街", "朝阳社区", "东风路", "新华路", "长江路", "黄河路"}
	for i, p := range places {
		ex = append(ex, Example{ID: p, Category: "a", Message: p + "路灯不亮，请维修。", Reply: "您好，" + p + "的路灯已修复。"})
		ex = append(ex, Example{ID: p + "2", Category: "b", Message: p + "噪音扰民，请处理。", Reply: []string{"您好！留言已收悉", "您好，" + p + "噪音已处理。"}[i%2]})
	}
	r := Evaluate(ex, 0.8)
	if len(r.CV.Folds) != CVFolds || r.CV.Mean < 0.9 || math.IsNaN(r.CV.SD) {
		t.Fatalf("cross-validation %+v", r.CV)
	}
	var lone []Example
	for i, e := range ex {
		e.Category = e.ID + string(rune('a'+i))
		lone = append(lone, e)
	}
	if cv := Evaluate(lone, 0.8).CV; len(cv.Folds) != 0 || cv.Mean != 0 {
		t.Fatalf("no pairs: %+v", cv)
	}
}
