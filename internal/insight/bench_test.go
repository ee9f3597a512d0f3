package insight

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
)

// benchCity is 12 months and 4 weeks of daily rollups (so the period has its
// same weeks last year) for a city of 16 districts, 300 streets, 1,000
// communities and 2,000 grids (a 50×40 lattice) with 60 categories: about
// 8,000 requests a day (≈ 3 million a year) in ≈ 6,000 rollup rows a day,
// plus the request records of the period and its 12-week term baseline.
func benchCity(b *testing.B) Input {
	rng := rand.New(rand.NewPCG(7, 7))
	const W, H, days, rowsPerDay = 50, 40, 392, 6000
	grids := make([]string, W*H)
	parents := make([][4]string, W*H)
	nb := map[string][]string{}
	for y := range H {
		for x := range W {
			i := y*W + x
			grids[i] = fmt.Sprintf("g%d", i)
			street := i * 300 / (W * H)
			parents[i] = [4]string{fmt.Sprintf("d%d", street/19), fmt.Sprintf("s%d", street), fmt.Sprintf("c%d", i/2), grids[i]}
		}
	}
	for y := range H {
		for x := range W {
			i := y*W + x
			for _, d := range [][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
				nx, ny := x+d[0], y+d[1]
				if nx >= 0 && ny >= 0 && nx < W && ny < H {
					nb[grids[i]] = append(nb[grids[i]], grids[ny*W+nx])
				}
			}
		}
	}
	cats := make([]string, 60)
	for i := range cats {
		cats[i] = "cat" + strconv.Itoa(i)
	}
	words := []string{"路面破损", "夜间施工噪音", "物业乱收费", "暖气不热", "自来水停水", "停车难", "树木修剪", "押金不退还",
		"电梯故障", "垃圾清运不及时", "占道经营", "油烟扰民", "公交线路调整", "学校周边交通", "医保报销", "拖欠工资"}
	fill := []string{"请尽快处理", "多次反映无果", "影响日常生活", "就在楼下", "已经持续一周"}
	first := Day(DateDay(2025, 11, 3))
	from := first + days - 28
	var in Input
	in.Neighbours = nb
	in.Cells = make([]Cell, 0, days*rowsPerDay)
	id := 0
	for d := first; d < first+days; d++ {
		for range rowsPerDay {
			g := rng.IntN(W * H)
			c := rng.IntN(60)
			n := 1 + poisson(rng, 0.35)
			p := parents[g]
			rated := rng.IntN(n + 1)
			cell := Cell{Day: d, Category: cats[c], District: p[0], Street: p[1], Community: p[2], Grid: p[3],
				Unit: "u" + strconv.Itoa(c%40), N: n, Rated: rated, Unsatis: rng.IntN(rated + 1)}
			in.Cells = append(in.Cells, cell)
			if d >= from-84 {
				for range n {
					id++
					in.Reqs = append(in.Reqs, Req{ID: strconv.Itoa(id), Day: d, Category: cell.Category, Unit: cell.Unit, Grid: cell.Grid,
						Text:       words[c%len(words)] + "，" + fill[rng.IntN(len(fill))] + words[rng.IntN(len(words))],
						AddressKey: "a" + strconv.Itoa(rng.IntN(1<<24)), PhoneKey: "p" + strconv.Itoa(rng.IntN(1<<24))})
				}
			}
		}
	}
	b.Logf("%d rollup rows, %d request records", len(in.Cells), len(in.Reqs))
	return in
}

// BenchmarkAnalyzeYear: one full analysis of the last four weeks against
// the same weeks last year, over 12 months of rollups.
func BenchmarkAnalyzeYear(b *testing.B) {
	in := benchCity(b)
	last := in.Cells[len(in.Cells)-1].Day
	opt := Options{From: last - 27, To: last}
	b.ResetTimer()
	for b.Loop() {
		r, err := Analyze(in, opt)
		if err != nil {
			b.Fatal(err)
		}
		if r.Baseline != "last-year" || r.Tested == 0 {
			b.Fatalf("baseline %s, %d tested", r.Baseline, r.Tested)
		}
	}
}
