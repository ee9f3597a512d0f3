package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"whistle/internal/lifecycle"
)

// Request types in lifecycle order, with their share of all requests.
var typeShares = []struct {
	typ   string
	share float64
}{
	{"consultation", 0.40}, {"complaint", 0.30}, {"help", 0.15}, {"report", 0.07}, {"suggestion", 0.06}, {"praise", 0.02},
}

// typeIndex maps a request type to its column in profiles.
var typeIndex = map[string]int{"consultation": 0, "help": 1, "complaint": 2, "report": 3, "suggestion": 4, "praise": 5}

// profiles weight categories by request type: consultation, help,
// complaint, report, suggestion, praise.
var profiles = map[string][6]float64{
	"nuisance": {0.4, 0.6, 3.0, 1.2, 0.8, 1.0},
	"service":  {0.8, 3.0, 1.5, 0.3, 0.6, 1.2},
	"policy":   {4.0, 0.6, 0.5, 0.2, 1.2, 0.6},
	"market":   {0.7, 0.8, 2.0, 2.5, 0.6, 0.6},
	"infra":    {0.5, 1.5, 1.0, 1.2, 2.0, 0.8},
	"danger":   {0.02, 3.0, 0.3, 1.5, 0.02, 0.3},
}

// Hourly shape of incoming requests (working days, then rest days).
var (
	hourWeekday = []float64{0.15, 0.08, 0.05, 0.04, 0.04, 0.08, 0.3, 0.7, 1.3, 1.8, 1.9, 1.6, 1.0, 1.2, 1.6, 1.6, 1.5, 1.2, 0.9, 0.9, 0.9, 0.7, 0.45, 0.25}
	hourRestday = []float64{0.2, 0.1, 0.06, 0.05, 0.05, 0.08, 0.2, 0.45, 0.9, 1.3, 1.4, 1.3, 1.0, 1.0, 1.2, 1.2, 1.1, 1.0, 0.9, 1.0, 1.0, 0.8, 0.5, 0.3}
)

// day is one calendar day of the demo year with what shapes its traffic.
type day struct {
	start               time.Time
	month               time.Month
	dom                 int
	rest, holiday       bool
	preHoliday, postHol bool
	rain                int // 2 = rainstorm, 1 = the day after
	cold                bool
	weight              float64
	cum                 float64
	season              []float64 // per leaf
}

// buildDays lays out the days before end with weather and holidays.
func (g *gen) buildDays() {
	startT := g.end.Add(-365 * 24 * time.Hour)
	g.startT = startT
	d0 := time.Date(startT.Year(), startT.Month(), startT.Day(), 0, 0, 0, 0, g.loc)
	off := map[string]bool{}
	for _, y := range g.env.Cal.Years() {
		for _, s := range y.Off {
			off[s] = true
		}
	}
	isHol := func(t time.Time) bool { return off[t.Format("2006-01-02")] }
	wr := g.weather
	coldLeft := 0
	for i := 0; ; i++ {
		t := d0.AddDate(0, 0, i)
		if !t.Before(g.end) {
			break
		}
		d := &day{start: t, month: t.Month(), dom: t.Day()}
		d.holiday = isHol(t)
		d.rest = !g.env.Cal.IsWorkday(t)
		d.preHoliday = !d.holiday && isHol(t.AddDate(0, 0, 1))
		d.postHol = !d.holiday && isHol(t.AddDate(0, 0, -1))
		// Weather: rainstorms in the rainy season, cold spells in deep winter.
		if (d.month == time.June && d.dom >= 15) || d.month == time.July || d.month == time.August {
			if wr.Float64() < 0.09 {
				d.rain = 2
			}
		}
		if i > 0 && g.days[i-1].rain == 2 && d.rain == 0 {
			d.rain = 1
		}
		if d.month == time.December || d.month == time.January || d.month == time.February {
			if coldLeft == 0 && wr.Float64() < 0.05 {
				coldLeft = 3 + wr.IntN(3)
			}
		}
		if coldLeft > 0 {
			d.cold = true
			coldLeft--
		}
		w := 1.0
		switch {
		case d.holiday:
			w = 0.8
		case d.rest:
			w = 0.72
		}
		if d.preHoliday {
			w *= 1.2
		}
		if d.postHol {
			w *= 1.4
		}
		switch d.month {
		case time.January, time.July:
			w *= 1.12
		case time.August, time.December:
			w *= 1.06
		}
		if d.month == time.November && d.dom >= 15 && d.dom <= 25 {
			w *= 1.25 // the heating season starts
		}
		if d.rain == 2 {
			w *= 1.3
		}
		if d.cold {
			w *= 1.15
		}
		w *= 0.92 + 0.16*wr.Float64()
		d.weight = w
		d.season = make([]float64, len(leaves))
		for li := range leaves {
			d.season[li] = seasonFactor(leaves[li].season, d)
		}
		g.days = append(g.days, d)
	}
	cum := 0.0
	for _, d := range g.days {
		cum += d.weight
		d.cum = cum
	}
}

func inRange(d *day, m1 time.Month, d1 int, m2 time.Month, d2 int) bool {
	k := int(d.month)*100 + d.dom
	a, b := int(m1)*100+d1, int(m2)*100+d2
	if a <= b {
		return k >= a && k <= b
	}
	return k >= a || k <= b // wraps over the new year
}

// seasonFactor scales a category's base weight on a given day.
func seasonFactor(key string, d *day) float64 {
	m := d.month
	summer := m >= time.June && m <= time.August
	winter := m == time.December || m <= time.February
	f := 1.0
	switch key {
	case "summer":
		switch {
		case summer:
			f = 1.8
		case m == time.May || m == time.September:
			f = 1.3
		case winter:
			f = 0.6
		}
	case "summerlite":
		if summer {
			f = 1.3
		}
		if d.rain == 2 {
			f *= 1.3
		}
	case "bbq":
		switch {
		case summer:
			f = 3
		case m == time.May || m == time.September:
			f = 1.8
		case m == time.April || m == time.October:
			f = 0.8
		default:
			f = 0.15
		}
	case "night":
		switch {
		case m >= time.May && m <= time.September:
			f = 1.5
		case winter:
			f = 0.8
		}
	case "heating":
		switch {
		case inRange(d, time.November, 15, time.November, 30):
			f = 9
		case m == time.December:
			f = 7
		case m == time.January:
			f = 8.5
		case m == time.February:
			f = 6
		case inRange(d, time.March, 1, time.March, 15):
			f = 3
		case inRange(d, time.November, 1, time.November, 14):
			f = 0.6
		default:
			f = 0.03
		}
		if d.cold {
			f *= 1.8
		}
	case "heatfee":
		f = 0.4
		if inRange(d, time.October, 15, time.December, 15) {
			f = 4
		}
	case "heatstart":
		f = 0.2
		switch {
		case inRange(d, time.October, 15, time.November, 20):
			f = 6
		case inRange(d, time.March, 5, time.March, 20):
			f = 3
		}
		if d.cold {
			f *= 1.5
		}
	case "flood":
		switch {
		case m == time.July || m == time.August:
			f = 3
		case m == time.June || m == time.September:
			f = 1
		case winter:
			f = 0.05
		default:
			f = 0.2
		}
		switch d.rain {
		case 2:
			f *= 5
		case 1:
			f *= 2
		}
	case "power":
		switch {
		case m == time.July || m == time.August:
			f = 1.6
		case m == time.December || m == time.January:
			f = 1.2
		}
		if d.rain == 2 {
			f *= 2
		}
	case "winterlite":
		f = 0.9
		if winter || m == time.November {
			f = 1.4
		}
	case "wage":
		if inRange(d, time.December, 1, time.February, 10) {
			f = 2.5
		}
	case "enrol":
		switch {
		case m == time.May || m == time.June:
			f = 3
		case m >= time.April && m <= time.August:
			f = 2.2
		case m == time.September:
			f = 1.5
		default:
			f = 0.5
		}
	case "school":
		if m == time.July || m == time.August {
			f = 0.3
		}
	case "graduate":
		if m == time.June || m == time.July {
			f = 2
		}
	case "holiday":
		switch {
		case d.holiday:
			f = 3
		case d.preHoliday || d.postHol:
			f = 1.5
		}
	case "spring":
		if m >= time.March && m <= time.May {
			f = 1.5
		}
	case "catkin":
		f = 0.02
		if inRange(d, time.April, 1, time.May, 20) {
			f = 10
		}
	}
	return f
}

// hourFactor shapes a category over the day: night-time nuisances, round-
// the-clock emergencies, evening heating complaints.
func hourFactor(l *leaf, h int) float64 {
	switch l.season {
	case "bbq", "night":
		switch {
		case h >= 19 || h <= 1:
			return 2.5
		case h >= 6 && h <= 17:
			return 0.6
		}
	case "heating":
		if h >= 18 && h <= 23 {
			return 1.3
		}
	}
	if l.profile == "danger" && (h <= 6 || h >= 22) {
		return 2
	}
	return 1
}

// caller is a repeat caller: the same person and phone several times.
type caller struct {
	name, phone string
	grid        *grid
}

// seed is one request before its lifecycle is played.
type seed struct {
	seq     int
	c       lifecycle.Case
	leaf    *leaf
	grid    *grid
	dupOf   int // seq of the parent for duplicates, -1 otherwise
	slots   *slots
	dayIdx  int
	primary bool
}

// sampleTime draws a creation time from the day and hour weights.
func (g *gen) sampleTime(rng *rand.Rand) (time.Time, int, int) {
	total := g.days[len(g.days)-1].cum
	for {
		x := rng.Float64() * total
		lo, hi := 0, len(g.days)-1
		for lo < hi {
			mid := (lo + hi) / 2
			if g.days[mid].cum < x {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		d := g.days[lo]
		hw := hourWeekday
		if d.rest {
			hw = hourRestday
		}
		h := pickWeighted(rng, hw)
		t := time.Date(d.start.Year(), d.start.Month(), d.start.Day(), h, rng.IntN(60), rng.IntN(60), 0, g.loc)
		if !t.Before(g.startT) && t.Before(g.end) {
			return t, lo, h
		}
	}
}

func pickWeighted(rng *rand.Rand, w []float64) int {
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	x := rng.Float64() * sum
	for i, v := range w {
		if x < v {
			return i
		}
		x -= v
	}
	return len(w) - 1
}

func (g *gen) sampleType(rng *rand.Rand) string {
	x := rng.Float64()
	for _, t := range typeShares {
		if x < t.share {
			return t.typ
		}
		x -= t.share
	}
	return typeShares[0].typ
}

func (g *gen) sampleLeaf(rng *rand.Rand, d *day, h int, typ string) *leaf {
	ti := typeIndex[typ]
	w := g.leafW[:0]
	for li := range leaves {
		l := &leaves[li]
		a := profiles[l.profile][ti]
		if len(l.probs) == 0 && (typ == "help" || typ == "complaint" || typ == "report") {
			a = 0
		}
		w = append(w, l.weight*d.season[li]*hourFactor(l, h)*a)
	}
	g.leafW = w
	return &leaves[pickWeighted(rng, w)]
}

var channelShares = []struct {
	ch    string
	share float64
}{
	{"phone", 0.70}, {"app", 0.08}, {"miniprogram", 0.07}, {"web", 0.05}, {"open311", 0.03}, {"email", 0.02}, {"grid", 0.05},
}

// sampleChannel draws the channel. Grid workers patrol by day and report
// problems, not questions, so the grid channel takes a larger share of the
// daytime problem reports to make up about 5% overall.
func (g *gen) sampleChannel(rng *rand.Rand, typ string, h int) string {
	if h >= 8 && h <= 18 && (typ == "complaint" || typ == "help" || typ == "report") && rng.Float64() < 0.13 {
		return "grid"
	}
	x := rng.Float64() * (1 - channelShares[len(channelShares)-1].share)
	for _, c := range channelShares[:len(channelShares)-1] {
		if x < c.share {
			return c.ch
		}
		x -= c.share
	}
	return channelShares[0].ch
}

// sampleGrid picks where a request is about: the dense urban districts
// draw more requests per grid than the townships.
func (g *gen) sampleGrid(rng *rand.Rand) *grid {
	x := rng.Float64() * g.gridCum[len(g.gridCum)-1]
	lo, hi := 0, len(g.gridCum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if g.gridCum[mid] < x {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return g.city.grids[lo]
}

// makeSeeds draws n requests (duplicates included) over the year, less
// the planted ones (see stories.go).
func (g *gen) makeSeeds(n, planted int) []*seed {
	rng := g.reqRng
	var callers []caller
	for range max(20, n/120) {
		callers = append(callers, caller{name: personName(rng), phone: mobile(rng), grid: g.sampleGrid(rng)})
	}
	seeds := make([]*seed, 0, n)
	for len(seeds) < n-planted {
		t, di, h := g.sampleTime(rng)
		typ := g.sampleType(rng)
		l := g.sampleLeaf(rng, g.days[di], h, typ)
		ch := g.sampleChannel(rng, typ, h)
		s := &seed{seq: len(seeds), leaf: l, dupOf: -1, dayIdx: di, primary: true}
		var cz lifecycle.Citizen
		switch x := rng.Float64(); {
		case ch == "grid":
			s.grid = g.sampleGrid(rng)
		case x < 0.07:
			cl := callers[rng.IntN(len(callers))]
			cz = lifecycle.Citizen{Name: cl.name, Phone: cl.phone}
			s.grid = cl.grid
			if rng.IntN(5) == 0 {
				s.grid = g.sampleGrid(rng)
			}
		case x < 0.11:
			cz = lifecycle.Citizen{Anonymous: true}
			s.grid = g.sampleGrid(rng)
		default:
			cz = lifecycle.Citizen{Name: citizenName(rng), Phone: mobile(rng)}
			s.grid = g.sampleGrid(rng)
		}
		if !cz.Anonymous && ch != "grid" && rng.Float64() < 0.06 {
			cz.Confidential = true
		}
		s.c = lifecycle.Case{Channel: ch, Type: typ, Category: l.code, Urgency: l.urgency, Citizen: cz, CreatedAt: t}
		s.slots = g.newSlots(rng, s.grid, t)
		g.locate(rng, s)
		g.compose(rng, s)
		seeds = append(seeds, s)

		// Neighbours report the same problem: a duplicate to merge.
		if len(seeds) < n-planted && ch != "grid" && (typ == "complaint" || typ == "help") && len(l.probs) > 0 && rng.Float64() < 0.06 {
			dt := t.Add(time.Duration(20+rng.IntN(30*60)) * time.Minute)
			if dt.Before(g.end) {
				d := &seed{seq: len(seeds), leaf: l, dupOf: s.seq, grid: s.grid, dayIdx: di}
				d.c = lifecycle.Case{Channel: "phone", Type: typ, Category: l.code, Urgency: l.urgency,
					Citizen: lifecycle.Citizen{Name: citizenName(rng), Phone: mobile(rng)}, CreatedAt: dt}
				if rng.IntN(4) == 0 {
					d.c.Channel = "app"
				}
				sl := *s.slots
				sl.t = dt
				d.slots = &sl
				g.locate(rng, d)
				g.compose(rng, d)
				seeds = append(seeds, d)
			}
		}
	}
	return seeds
}

// citizenName is how an agent records a caller: a full name, or a surname
// with 先生 / 女士.
func citizenName(rng *rand.Rand) string {
	if rng.IntN(10) < 6 {
		return personName(rng)
	}
	if rng.IntN(2) == 0 {
		return string(pick(rng, surnames)) + "先生"
	}
	return string(pick(rng, surnames)) + "女士"
}

// locate sets the request's point and address inside its grid.
func (g *gen) locate(rng *rand.Rand, s *seed) {
	p := g.city.lat.samplePoint(s.grid.rect, rng)
	lat, lon := p.Y, p.X
	cm := s.grid.comm
	st := cm.str
	sl := s.slots
	prefix := cityName + st.dist.name + st.name
	var addr string
	switch s.leaf.where {
	case "road":
		if rng.IntN(3) == 0 {
			addr = prefix + sl.road + "与" + sl.road2 + "交叉口"
		} else {
			addr = prefix + sl.road + sl.roadNo + "附近"
		}
	case "shop":
		addr = prefix + sl.road + sl.roadNo + sl.shop
	default:
		if cm.village {
			addr = prefix + cm.name + sl.bldg + sl.room
		} else {
			addr = prefix + sl.compound + sl.bldg
		}
	}
	s.c.Location = lifecycle.Location{Address: addr, Lat: &lat, Lon: &lon,
		DistrictID: int64(st.dist.place + 1), StreetID: int64(st.place + 1),
		CommunityID: int64(cm.place + 1), GridID: int64(s.grid.place + 1)}
}

// slots are the values a request's text templates draw on.
type slots struct {
	t                                   time.Time
	compound, bldg, unitNo, room        string
	road, road2, roadNo                 string
	shop, company, school, hospital     string
	line, dur, period, when, temp, cash string
	times, street                       string
}

var (
	durations = []string{"三四天", "一个星期", "十来天", "半个多月", "一个多月", "两个多月", "大半年"}
	periods   = []string{"每天晚上十点以后", "凌晨一两点", "早上六点多", "每天傍晚", "一到晚上", "周末全天", "中午午休时间"}
	whens     = []string{"昨天下午", "今天上午", "前天晚上", "上周六", "本月初", "上周", "昨天晚上", "今天早上"}
	temps     = []string{"12度", "14度", "15度", "16度", "16度", "17度"}
	cashes    = []string{"800元", "1500元", "3000多元", "5000元", "8600元", "1.2万元", "2万多元", "460元"}
	hospitals = []string{"江川市第一人民医院", "江川市第三人民医院", "江川市中医医院", "江川市儿童医院", "江川市妇幼保健院", "江川医科大学附属医院"}
)

func (g *gen) newSlots(rng *rand.Rand, gr *grid, t time.Time) *slots {
	cm := gr.comm
	st := cm.str
	s := &slots{t: t, compound: pick(rng, cm.compounds), street: st.name}
	if cm.village {
		s.bldg = cnNum(1+rng.IntN(8)) + "组"
		s.room = fmt.Sprintf("%d号", 1+rng.IntN(60))
	} else {
		s.bldg = fmt.Sprintf("%d号楼", 1+rng.IntN(24))
		s.unitNo = fmt.Sprintf("%d单元", 1+rng.IntN(6))
		s.room = fmt.Sprintf("%d%02d室", 1+rng.IntN(18), 1+rng.IntN(4))
	}
	s.road = pick(rng, st.roads)
	s.road2 = pick(rng, st.roads)
	for i := 0; s.road2 == s.road && i < 5; i++ {
		s.road2 = pick(rng, st.roads)
	}
	if s.road2 == s.road {
		s.road2 = st.base + "路"
	}
	s.roadNo = fmt.Sprintf("%d号", 1+rng.IntN(260))
	s.shop = pick(rng, shopNames)
	s.company = pick(rng, companyNames)
	s.school = st.base + pick(rng, []string{"中心小学", "实验小学", "第一中学", "幼儿园", "学校"})
	s.hospital = pick(rng, hospitals)
	s.line = fmt.Sprintf("%d路", 1+rng.IntN(480))
	s.dur = pick(rng, durations)
	s.period = pick(rng, periods)
	s.when = pick(rng, whens)
	s.temp = pick(rng, temps)
	s.cash = pick(rng, cashes)
	s.times = pick(rng, []string{"多次", "两三次", "好几次"})
	return s
}

// fill replaces {slot}s in a template.
func (s *slots) fill(tmpl string) string {
	if !strings.Contains(tmpl, "{") {
		return tmpl
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		j := strings.IndexByte(tmpl[i:], '}')
		if j < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		b.WriteString(tmpl[:i])
		b.WriteString(s.value(tmpl[i+1 : i+j]))
		tmpl = tmpl[i+j+1:]
	}
}

func (s *slots) value(name string) string {
	switch name {
	case "小区":
		return s.compound
	case "楼":
		return s.bldg
	case "单元":
		return s.unitNo
	case "室":
		return s.room
	case "路":
		return s.road
	case "路2":
		return s.road2
	case "路号":
		return s.roadNo
	case "店":
		return s.shop
	case "公司":
		return s.company
	case "学校":
		return s.school
	case "医院":
		return s.hospital
	case "线路":
		return s.line
	case "持续":
		return s.dur
	case "时段":
		return s.period
	case "时间":
		return s.when
	case "温度":
		return s.temp
	case "金额":
		return s.cash
	case "次数":
		return s.times
	case "街道":
		return s.street
	}
	return name
}

var channelNames = map[string]string{
	"web": "江川市人民政府网站", "app": "“江川通”App", "miniprogram": "12345微信小程序",
	"email": "电子邮件", "open311": "开放接口",
}

// compose writes the request's title and description from its category's
// templates, framed by type and channel.
func (g *gen) compose(rng *rand.Rand, s *seed) {
	l, sl := s.leaf, s.slots
	typ, ch := s.c.Type, s.c.Channel
	verb := map[string]string{"consultation": "咨询", "help": "求助", "complaint": "反映", "report": "举报", "suggestion": "建议", "praise": "表扬"}[typ]
	var open string
	switch {
	case ch == "grid":
		open = pick(rng, []string{"网格员巡查发现：", "网格员日常巡查时发现：", "网格员上报："})
	case ch == "phone":
		open = pick(rng, []string{"市民来电" + verb + "：", "来电人" + verb + "：", "有居民来电" + verb + "：", "市民致电12345" + verb + "：", "来电人称：", "来电人表示："})
	default:
		open = pick(rng, []string{"市民通过" + channelNames[ch] + verb + "：", "网友通过" + channelNames[ch] + "留言" + verb + "：", "市民在" + channelNames[ch] + "留言："})
	}
	var title, desc string
	switch typ {
	case "consultation":
		ask := "咨询" + topic(l) + "问题办理渠道|想咨询{小区}一带的" + topic(l) + "问题应该向哪个部门反映，办理时限是多久"
		if len(l.asks) > 0 {
			ask = pick(rng, l.asks)
		}
		t, d, _ := strings.Cut(ask, "|")
		title = sl.fill(t)
		ctx := pick(rng, []string{"本人家住{街道}{小区}，", "来电人是{街道}居民，", "本人在{街道}居住，", "来电人称家住{小区}，"})
		if strings.Contains(d, "{小区}") || strings.Contains(d, "{街道}") {
			ctx = ""
		}
		desc = open + sl.fill(ctx+d) + pick(rng, []string{"，请给予解答。", "，希望得到答复。", "，请工作人员告知。", "，请相关部门解答。"})
	case "suggestion":
		title = pick(rng, []string{"关于" + topic(l) + "问题的建议", "建议加强" + topic(l) + "治理", "建议改进" + topic(l) + "管理"})
		desc = open + sl.fill("{小区}一带") + topic(l) + "问题比较突出，" + pick(rng, []string{
			"建议相关部门加强日常巡查，建立长效管理机制。",
			"建议加大相关设施投入，从根本上解决问题。",
			"建议公开办理流程和进度，方便群众监督。",
			"建议多部门联合整治，避免问题反复出现。",
			"建议在社区设置意见箱，定期收集居民意见并及时反馈。",
		})
	case "praise":
		u := g.ds.Units[g.route(l.route, s.grid)].Name
		title = "表扬" + u + "工作人员"
		desc = open + sl.when + "反映" + sl.fill("{小区}") + "附近的" + topic(l) + "问题，" + u +
			pick(rng, []string{"工作人员接单后第一时间与其联系并到现场处置，问题已经解决，特此表扬。",
				"工作人员态度热情、办事高效，当天就把问题解决了，特此表扬。",
				"的同志多次上门协调，问题得到妥善解决，向他们表示感谢。"})
	default:
		t, d, _ := strings.Cut(pick(rng, l.probs), "|")
		title = sl.fill(t)
		if typ == "report" {
			title = "举报" + title
		}
		impact := pick(rng, []string{"", "", "此前曾" + sl.times + "向物业和社区反映，一直没有得到解决。",
			"给周边居民的生活带来很大困扰。", "大家意见很大。", "存在一定安全隐患。", "这种情况已经持续{持续}了。",
			"{时间}又出现了同样的情况。", "附近就是{学校}，每天孩子们上下学都要经过。", "小区里老人多，出行很不方便。",
			"{时间}打过一次电话，至今没有人来处理。", "周边好几栋楼的住户都有同样的问题。"})
		demand := map[string][]string{
			"complaint": {"希望相关部门尽快核实处理。", "要求有关部门尽快解决并给予答复。", "请相关部门加强监管，彻底解决。",
				"希望尽快派人来看看。", "请尽快处理，并把处理结果告知本人。", "希望能从根本上解决，不要再反复。"},
			"help": {"请求相关部门尽快协调解决。", "希望尽快派人到现场查看处理。", "家中有老人孩子，请尽快帮助解决。",
				"自己实在没有办法了，请帮帮忙。", "请求帮助联系相关单位处理。"},
			"report": {"希望相关部门依法查处。", "请有关部门核实后依法处理。", "请尽快派人查处，来电人愿意配合调查。", "希望严肃处理，保护群众权益。"},
		}[typ]
		desc = open + sl.fill(d) + "。" + sl.fill(impact)
		// Callers often bring up a second, neighbouring problem.
		if sib := g.sibling(rng, l); sib != nil && len(sib.probs) > 0 && rng.Float64() < 0.12 {
			_, d2, _ := strings.Cut(pick(rng, sib.probs), "|")
			desc += "另外，" + sl.fill(d2) + "。"
		}
		desc += pick(rng, demand)
	}
	s.c.Title, s.c.Description = title, desc
	// The agent files some requests under a neighbouring category: the
	// labels a classifier learns from are not perfect.
	if sib := g.sibling(rng, l); sib != nil && rng.Float64() < 0.06 {
		s.c.Category = sib.code
	}
}

// sibling is a random other leaf of l's branch (nil if it has none).
func (g *gen) sibling(rng *rand.Rand, l *leaf) *leaf {
	if g.siblings == nil {
		g.siblings = map[string][]*leaf{}
		for i := range leaves {
			b := leaves[i].code[:strings.LastIndexByte(leaves[i].code, '.')]
			g.siblings[b] = append(g.siblings[b], &leaves[i])
		}
	}
	sibs := g.siblings[l.code[:strings.LastIndexByte(l.code, '.')]]
	if len(sibs) < 2 {
		return nil
	}
	for {
		if o := pick(rng, sibs); o != l {
			return o
		}
	}
}

// topic is the category's name without a trailing 问题, for "…问题" phrases.
func topic(l *leaf) string { return strings.TrimSuffix(l.zh, "问题") }
