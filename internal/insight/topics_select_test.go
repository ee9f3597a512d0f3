package insight

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestTopicsSeasonalFragments: the taxonomy as context in choosing the terms
// that form topics. A big category rises (heating in winter against the 12
// weeks before, as with only one year of data) and its six long templates
// make some 80 near-identical fragments, each with a far larger city-wide G²
// than a new phrase in one street of another category (80 requests in the
// period, 6 in the baseline). Chosen by global G², the fragments took every
// place and the new phrase was no topic; chosen by their rise within their
// main category, the fragments (whose share of heating did not change) make
// way, and the phrase is an emerging topic in its street.
func TestTopicsSeasonalFragments(t *testing.T) {
	const phrase = "电动自行车充电柜停用"
	heating := []string{
		"供暖期间室温标准是多少达不到能否退费",
		"家里暖气片上热下凉询问自行排气方法",
		"暖气时冷时热屋里要穿羽绒服老人受冻",
		"地下室供暖管线破裂跑水楼梯上结冰了",
		"热力集团有限责任公司工作人员不上门",
		"换热站循环泵故障整栋楼温度偏低",
	}
	other := map[string][]string{
		"roads":  {"路面破损坑洼", "井盖缺失", "人行道砖松动"},
		"noise":  {"夜间施工噪音", "广场舞音响扰民", "装修噪音"},
		"water":  {"自来水停水", "水压太低", "水质发黄"},
		"safety": {"楼道堆放杂物", "消防通道被占", "灭火器过期"},
	}
	cats := []string{"noise", "roads", "safety", "water"}
	from := DateDay(2026, 11, 9)
	to := from + 27
	for _, tc := range []struct {
		name   string
		winter float64 // heating requests a day in the period (10 before)
	}{
		{"no season", 10},
		{"heating rises tenfold", 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, 11))
			c := newCity(32, rng)
			street := "s2-1"
			var reqs []Req
			add := func(d Day, cat, grid, text string) {
				reqs = append(reqs, Req{ID: fmt.Sprintf("R%06d", len(reqs)+1), Day: d, Category: cat, Grid: grid, Unit: "u-" + cat, Text: text,
					AddressKey: fmt.Sprint("a", rng.IntN(1<<30)), PhoneKey: fmt.Sprint("p", rng.IntN(1<<30))})
			}
			inStreet := func() string {
				for {
					if g := c.pick(rng); c.parents[g][1] == street {
						return g
					}
				}
			}
			// the new phrase: 6 requests spread over the baseline, 80 in the period
			ebike := map[Day]int{}
			for i := range 6 {
				ebike[from-84+Day(i*14)]++
			}
			for i := range 80 {
				ebike[from+Day(i%28)]++
			}
			for d := from - 84; d <= to; d++ {
				lam := 10.0
				if d >= from {
					lam = tc.winter
				}
				for range poisson(rng, lam) {
					add(d, "heating", c.pick(rng), heating[rng.IntN(len(heating))]+"，"+fillers[rng.IntN(len(fillers))])
				}
				for _, cat := range cats {
					for range poisson(rng, 50) {
						ph := other[cat]
						add(d, cat, c.pick(rng), ph[rng.IntN(len(ph))]+"，"+fillers[rng.IntN(len(fillers))])
					}
				}
				for range ebike[d] {
					add(d, "safety", inStreet(), phrase+"，"+fillers[rng.IntN(len(fillers))])
				}
			}
			in := Input{Cells: rollup(c, reqs), Reqs: reqs, Neighbours: c.nb}
			r, err := Analyze(in, Options{From: from, To: to})
			if err != nil {
				t.Fatal(err)
			}
			if r.Baseline != "recent" {
				t.Fatalf("baseline %s", r.Baseline)
			}
			// how many heating fragments outrank the phrase city-wide
			above, rank := 0, 0
			for i, x := range r.Rising {
				if strings.Contains(phrase, x.Text) && utf8.RuneCountInString(x.Text) >= 3 {
					rank = i + 1
					break
				}
				if strings.Contains(strings.Join(heating, "|"), x.Text) {
					above++
				}
			}
			t.Logf("%d rising terms; the phrase's best term ranks %d by G², after %d heating fragments; %d topics", len(r.Rising), rank, above, len(r.Topics))
			if rank == 0 {
				t.Fatalf("%q not rising: %v", phrase, termTexts(r.Rising))
			}
			if tc.winter > 10 && above < maxTopicTerms {
				t.Fatalf("only %d heating fragments above the phrase: the planted season does not fill the old topic places", above)
			}
			var tp *Topic
			for i := range r.Topics {
				for _, term := range r.Topics[i].Terms {
					if strings.Contains(phrase, term) && utf8.RuneCountInString(term) >= 3 {
						tp = &r.Topics[i]
					}
				}
			}
			if tp == nil {
				t.Fatalf("no topic from %q among %d topics", phrase, len(r.Topics))
			}
			t.Logf("terms %v", tp.Terms)
			t.Logf("topic %v: %d now, %d before, categories %v, places %v, in-category lift %.1f, q %.2g", tp.Phrases, tp.Cur, tp.Base, tp.Categories, tp.Places, tp.InCategoryLift, tp.Q)
			if !tp.Emerging || len(tp.Categories) == 0 || tp.Categories[0].Key != "safety" || len(tp.Places) == 0 || tp.Places[0].Key != street {
				t.Errorf("topic %v: emerging %v, categories %v, places %v; want emerging, safety, %s", tp.Phrases, tp.Emerging, tp.Categories, tp.Places, street)
			}
			if !strings.Contains(strings.Join(tp.Phrases, "|"), "电动自行车充电柜") {
				t.Errorf("phrases %v do not re-assemble %q", tp.Phrases, phrase)
			}
			// the seasonal fragments make no emerging topic
			for _, x := range r.Topics {
				if x.Emerging && len(x.Categories) > 0 && x.Categories[0].Key == "heating" {
					t.Errorf("heating topic %v emerging (in-category lift %.2f, q %.2g)", x.Phrases, x.InCategoryLift, x.Q)
				}
			}
		})
	}
}
