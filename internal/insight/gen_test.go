package insight

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"
)

// city is a generated city: a W×W lattice of grids, communities of 4×4
// grids, streets of 8×8, districts of 16×16; neighbours share a border.
type city struct {
	w       int
	grids   []string
	weight  []float64 // population share, cumulative
	parents map[string][4]string
	nb      map[string][]string
}

func gridID(x, y int) string { return fmt.Sprintf("g%02d-%02d", x, y) }
func streetOf(x, y int) string {
	return fmt.Sprintf("s%d-%d", x/8, y/8)
}

func newCity(w int, rng *rand.Rand) *city {
	c := &city{w: w, parents: map[string][4]string{}, nb: map[string][]string{}}
	cum := 0.0
	for y := 0; y < w; y++ {
		for x := 0; x < w; x++ {
			g := gridID(x, y)
			c.grids = append(c.grids, g)
			cum += 0.5 + rng.Float64()
			c.weight = append(c.weight, cum)
			c.parents[g] = [4]string{fmt.Sprintf("d%d-%d", x/16, y/16), streetOf(x, y), fmt.Sprintf("c%d-%d", x/4, y/4), g}
			for _, d := range [][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
				nx, ny := x+d[0], y+d[1]
				if nx >= 0 && ny >= 0 && nx < w && ny < w {
					c.nb[g] = append(c.nb[g], gridID(nx, ny))
				}
			}
		}
	}
	for i := range c.weight {
		c.weight[i] /= cum
	}
	return c
}

func (c *city) pick(rng *rand.Rand) string {
	u := rng.Float64()
	i := sort.SearchFloat64s(c.weight, u)
	return c.grids[min(i, len(c.grids)-1)]
}

func poisson(rng *rand.Rand, lambda float64) int {
	n := 0
	for lambda > 20 {
		n += poisson(rng, 20)
		lambda -= 20
	}
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return n + k
		}
		k++
	}
}

var genCats = []string{"roads", "noise", "property", "heating", "water", "parking", "greening", "refund"}

var catPhrases = map[string][]string{
	"roads":    {"路面破损坑洼", "井盖缺失", "人行道砖松动"},
	"noise":    {"夜间施工噪音", "广场舞音响扰民", "装修噪音"},
	"property": {"物业服务差", "电梯经常故障", "物业乱收费"},
	"heating":  {"暖气不热", "供暖温度不达标", "暖气管道漏水"},
	"water":    {"自来水停水", "水压太低", "水质发黄"},
	"parking":  {"停车难", "占用消防通道", "路边乱停车"},
	"greening": {"树木修剪", "绿地被占用", "杂草丛生"},
	"refund":   {"培训机构退费", "健身房关门", "押金不退还"},
}

var fillers = []string{"请尽快处理", "麻烦相关部门看看", "多次反映无果", "望早日解决", "影响日常生活", "就在楼下", "已经持续一周", "老人孩子受影响"}

// plan says what to plant. Zero plan is pure noise.
type plan struct {
	seasonal    bool     // heating is a winter category (×4 mid-Nov to mid-Mar, ×0.1 otherwise)
	doubleFrom  Day      // heating doubles from this day (0: never)
	street      string   // rising topic in one street …
	streetFrom  Day      // … from this day to the end
	cluster     []string // grids with four times the noise complaints …
	clusterFrom Day
	repeatAddr  string // an address with water complaints again and again …
	repeatFrom  Day
	fadeStreet  string // a topic that rose in [fadeFrom, fadeTo] and fell
	fadeFrom    Day
	fadeTo      Day
	unhappyUnit string // this unit's callbacks turn unsatisfied from unhappyFrom
	unhappyFrom Day
}

const (
	risingText = "共享单车乱停放堵塞人行道"
	fadeText   = "预付卡商家跑路无法退款"
)

// generate draws requests for every day in [from, to] that keep(day)
// accepts: rate requests a day in each category on average, Poisson.
func generate(seed uint64, w int, from, to Day, rate float64, p plan, keep func(Day) bool) (*city, []Req) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	c := newCity(w, rng)
	var reqs []Req
	id := 0
	add := func(d Day, cat, grid, text, addr string, unit string, unhappy bool) {
		id++
		r := Req{ID: fmt.Sprintf("R%07d", id), Day: d, Category: cat, Grid: grid, Unit: unit, Text: text,
			AddressKey: "a" + strconv.Itoa(rng.IntN(1<<30)), PhoneKey: "p" + strconv.Itoa(rng.IntN(1<<30))}
		if addr != "" {
			r.AddressKey = addr
		}
		if rng.Float64() < 0.6 {
			r.Rated = true
			ps := 0.85
			if unhappy {
				ps = 0.55
			}
			r.Satisfied = rng.Float64() < ps
			r.Reopened = !r.Satisfied && rng.Float64() < 0.3
		}
		reqs = append(reqs, r)
	}
	text := func(cat string) string {
		ph := catPhrases[cat]
		return ph[rng.IntN(len(ph))] + "，" + fillers[rng.IntN(len(fillers))] + "。" + fillers[rng.IntN(len(fillers))]
	}
	inStreet := func(street string) string {
		for {
			g := c.pick(rng)
			if c.parents[g][1] == street {
				return g
			}
		}
	}
	for d := from; d <= to; d++ {
		if keep != nil && !keep(d) {
			continue
		}
		t := time.Unix(int64(d)*86400, 0).UTC()
		for _, cat := range genCats {
			lam := rate
			if cat == "heating" && p.seasonal {
				m, dd := t.Month(), t.Day()
				winter := m == time.December || m <= time.February || (m == time.November && dd >= 15) || (m == time.March && dd < 15)
				if winter {
					lam *= 4
				} else {
					lam *= 0.1
				}
				if p.doubleFrom != 0 && d >= p.doubleFrom {
					lam *= 2
				}
			}
			n := poisson(rng, lam)
			for range n {
				g := c.pick(rng)
				add(d, cat, g, text(cat), "", "u-"+cat, cat == "water" && p.unhappyUnit != "" && d >= p.unhappyFrom)
			}
		}
		if p.street != "" && d >= p.streetFrom {
			for range poisson(rng, 3) {
				add(d, "parking", inStreet(p.street), risingText+"，"+fillers[rng.IntN(len(fillers))], "", "u-parking", false)
			}
		}
		if p.fadeStreet != "" && d >= p.fadeFrom && d <= p.fadeTo {
			for range poisson(rng, 3) {
				add(d, "refund", inStreet(p.fadeStreet), fadeText+"，"+fillers[rng.IntN(len(fillers))], "", "u-refund", false)
			}
		}
		if len(p.cluster) > 0 && d >= p.clusterFrom {
			for _, g := range p.cluster {
				// five times the grid's usual noise complaints on top
				lam := 5 * rate * c.weightOf(g)
				for range poisson(rng, lam) {
					add(d, "noise", g, text("noise"), "", "u-noise", false)
				}
			}
		}
		if p.repeatAddr != "" && d >= p.repeatFrom && (d-p.repeatFrom)%5 == 0 {
			add(d, "water", c.grids[len(c.grids)/2], "自来水管破裂漏水，"+fillers[rng.IntN(len(fillers))], p.repeatAddr, "u-water", false)
		}
	}
	return c, reqs
}

func (c *city) weightOf(g string) float64 {
	for i, x := range c.grids {
		if x == g {
			if i == 0 {
				return c.weight[0]
			}
			return c.weight[i] - c.weight[i-1]
		}
	}
	return 0
}

// rollup turns requests into daily cells, as the store's rollup will.
func rollup(c *city, reqs []Req) []Cell {
	type k struct {
		d          Day
		cat, g, un string
	}
	m := map[k]*Cell{}
	var keys []k
	for _, r := range reqs {
		key := k{r.Day, r.Category, r.Grid, r.Unit}
		x := m[key]
		if x == nil {
			p := c.parents[r.Grid]
			x = &Cell{Day: r.Day, Category: r.Category, District: p[0], Street: p[1], Community: p[2], Grid: r.Grid, Unit: r.Unit}
			m[key] = x
			keys = append(keys, key)
		}
		x.N++
		if r.Rated {
			x.Rated++
			if !r.Satisfied {
				x.Unsatis++
			}
		}
		if r.Reopened {
			x.Reopened++
		}
	}
	out := make([]Cell, 0, len(keys))
	for _, key := range keys {
		out = append(out, *m[key])
	}
	return out
}

func sscanf(g string, x, y *int) (int, error) { return fmt.Sscanf(g, "g%d-%d", x, y) }
