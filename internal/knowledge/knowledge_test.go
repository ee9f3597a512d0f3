package knowledge

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"whistle/internal/shareddata"
)

func TestTerms(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"居住证", []string{"居住", "住证"}},
		{"办理居住证，请带照片", []string{"办理", "理居", "居住", "住证", "请带", "带照", "照片"}},
		{"医保 App", []string{"医保", "app"}},
		{"水", []string{"水"}},
		{"", nil},
	} {
		got := Terms(tc.in)
		if !slices.Equal(got, tc.want) {
			t.Errorf("Terms(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// digits and letters are split from Chinese runs
	if got := Terms("需要3张"); !slices.Equal(got, []string{"需要", "3", "张"}) {
		t.Errorf("Terms mixed = %q", got)
	}
}

func TestRef(t *testing.T) {
	for _, tc := range []struct {
		in string
		id int64
		ok bool
	}{{"KB-17", 17, true}, {"kb-3", 3, true}, {"42", 42, true}, {"KB-", 0, false}, {"KB-0", 0, false}, {"abc", 0, false}, {"-5", 0, false}} {
		id, ok := ParseRef(tc.in)
		if ok != tc.ok || (ok && id != tc.id) {
			t.Errorf("ParseRef(%q) = %d, %v", tc.in, id, ok)
		}
	}
	if Ref(17) != "KB-17" {
		t.Fatal(Ref(17))
	}
}

var day = func(s string) time.Time { t, _ := time.Parse("2006-01-02", s); return t }

var articles = []Article{
	{ID: 1, Title: "居住证办理流程", Body: "办理居住证需携带身份证、居住登记凭证，到居住地派出所或社区服务站申请，十五个工作日内领取。", Categories: []string{"police.hukou"}},
	{ID: 2, Title: "供暖期起止时间", Body: "本市供暖期为每年11月15日至次年3月15日，遇寒冷天气可提前供暖。", Categories: []string{"heating"}},
	{ID: 3, Title: "2025年新生入学登记", Body: "小学入学信息采集时间为5月，需准备户口簿、房产证明。", Categories: []string{"education"}, ValidFrom: day("2025-04-01"), ValidTo: day("2025-09-01")},
	{ID: 4, Title: "2026年新生入学登记", Body: "小学入学信息采集时间为5月，需准备户口簿、房产证明或租房合同。", Categories: []string{"education"}, ValidFrom: day("2026-04-01"), ValidTo: day("2026-09-01")},
	{ID: 5, Title: "医保报销比例", Body: "职工医保门诊报销起付线1800元，退休人员报销比例更高。", Categories: []string{"health.insurance"}},
	{ID: 6, Title: "占道经营的处理", Body: "占道经营由街道城管执法队处理，可拨打12345反映具体地点和时间。"},
}

func TestSearch(t *testing.T) {
	ix := Build(articles)
	ids := func(hs []Hit) []int64 {
		var out []int64
		for _, h := range hs {
			out = append(out, h.Article.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		q     Query
		first int64
		not   []int64
	}{
		{"chinese words without spaces", Query{Text: "我想问一下怎么办居住证"}, 1, nil},
		{"heating", Query{Text: "今年什么时候开始供暖"}, 2, nil},
		{"validity: 2025", Query{Text: "孩子上小学入学登记要什么材料", At: day("2025-05-10")}, 3, []int64{4}},
		{"validity: 2026", Query{Text: "孩子上小学入学登记要什么材料", At: day("2026-05-10")}, 4, []int64{3}},
		{"category filter", Query{Text: "报销", Category: "health.insurance.outpatient"}, 5, nil},
		{"uncategorised article covers any category", Query{Text: "门口占道经营", Category: "urban.stall"}, 6, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs := ix.Search(tc.q)
			if len(hs) == 0 || hs[0].Article.ID != tc.first {
				t.Fatalf("hits %v, want %d first", ids(hs), tc.first)
			}
			for _, n := range tc.not {
				if slices.Contains(ids(hs), n) {
					t.Fatalf("hits %v include %d", ids(hs), n)
				}
			}
		})
	}
	if hs := ix.Search(Query{Text: "报销", Category: "education"}); len(hs) != 0 {
		t.Fatalf("category education: %v", ids(hs))
	}
	if hs := ix.Search(Query{Text: "！？"}); len(hs) != 0 {
		t.Fatalf("punctuation matched %v", ids(hs))
	}
	if hs := ix.Search(Query{Text: "小学", Limit: 1}); len(hs) != 1 {
		t.Fatalf("limit: %v", ids(hs))
	}
	if hs := Build(nil).Search(Query{Text: "居住证"}); hs == nil || len(hs) != 0 {
		t.Fatal("empty index")
	}
}

func TestValidate(t *testing.T) {
	ok := Article{Title: "t", Body: "b"}
	if _, _, v := ok.Validate(); !v {
		t.Fatal("valid article refused")
	}
	for field, a := range map[string]Article{
		"title":    {Body: "b"},
		"body":     {Title: "t", Body: "  "},
		"valid_to": {Title: "t", Body: "b", ValidFrom: day("2026-01-02"), ValidTo: day("2026-01-01")},
	} {
		if f, _, v := a.Validate(); v || f != field {
			t.Errorf("want %s refused, got %q %v", field, f, v)
		}
	}
}

// replies loads replies.tsv: message subject, message detail, government reply.
func replies(t testing.TB) [][3]string {
	t.Helper()
	f, err := os.Open(shareddata.Data(t, "zhengwu", "replies.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][3]string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<23)
	sc.Scan()
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 6 || strings.TrimSpace(c[4]) == "" || strings.TrimSpace(c[5]) == "" {
			continue
		}
		out = append(out, [3]string{c[2], c[4], c[5]})
	}
	return out
}

// hitAt indexes the government replies as articles and searches each
// message's own text (detail only, not its subject): a hit when the reply to
// that message is in the first k results.
// Every step-th message is searched (all replies are indexed).
func hitAt(rs [][3]string, withTitle bool, k, step int) (hit1, hitK float64) {
	arts := make([]Article, len(rs))
	for i, r := range rs {
		arts[i] = Article{ID: int64(i + 1), Body: r[2]}
		if withTitle {
			arts[i].Title = r[0]
		}
	}
	ix := Build(arts)
	var n1, nk, n int
	for i := 0; i < len(rs); i += step {
		r := rs[i]
		n++
		hs := ix.Search(Query{Text: r[1], Limit: k})
		for j, h := range hs {
			if h.Article.ID == int64(i+1) {
				nk++
				if j == 0 {
					n1++
				}
				break
			}
		}
	}
	return float64(n1) / float64(n), float64(nk) / float64(n)
}

// TestRepliesHitAt5 checks search on 2,816 real messages and the
// government's replies to them (replies.tsv): searching a message's detail
// must find the reply written for it among the first five results. The
// test searches every 4th message; BenchmarkRepliesHitAt5 reports the
// figures over all of them.
func TestRepliesHitAt5(t *testing.T) {
	rs := replies(t)
	if len(rs) < 2000 {
		t.Fatalf("only %d replies", len(rs))
	}
	h1, h5 := hitAt(rs, false, 5, 4)
	t.Logf("%d replies as articles (body only), every 4th message searched: hit@1 %.3f, hit@5 %.3f", len(rs), h1, h5)
	if h5 < 0.6 {
		t.Fatalf("hit@5 %.3f below 0.6", h5)
	}
	t1, t5 := hitAt(rs, true, 5, 4)
	t.Logf("%d replies as articles (titled with the message subject): hit@1 %.3f, hit@5 %.3f", len(rs), t1, t5)
	if t5 < h5 {
		t.Fatalf("titles made search worse: %.3f < %.3f", t5, h5)
	}
}

func BenchmarkSearchReplies(b *testing.B) {
	rs := replies(b)
	arts := make([]Article, len(rs))
	for i, r := range rs {
		arts[i] = Article{ID: int64(i + 1), Title: r[0], Body: r[2]}
	}
	ix := Build(arts)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ix.Search(Query{Text: rs[i%len(rs)][1], Limit: 5})
	}
}

func BenchmarkBuildReplies(b *testing.B) {
	rs := replies(b)
	arts := make([]Article, len(rs))
	for i, r := range rs {
		arts[i] = Article{ID: int64(i + 1), Title: r[0], Body: r[2]}
	}
	for b.Loop() {
		Build(arts)
	}
}

// BenchmarkRepliesHitAt5 reports hit@1/hit@5 over all 2,816 messages of
// replies.tsv (replies indexed as article bodies only, and titled with the
// message subject).
func BenchmarkRepliesHitAt5(b *testing.B) {
	rs := replies(b)
	for b.Loop() {
		h1, h5 := hitAt(rs, false, 5, 1)
		t1, t5 := hitAt(rs, true, 5, 1)
		b.ReportMetric(h1, "hit@1_body")
		b.ReportMetric(h5, "hit@5_body")
		b.ReportMetric(t1, "hit@1_titled")
		b.ReportMetric(t5, "hit@5_titled")
	}
}
