package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"whistle/internal/agenda"
	"whistle/internal/lifecycle"
)

// Story is a pattern planted in the demo year for the analysis (package
// insight) to find on its own: nothing of it is stored, only the requests
// it made (and, for the spring story, the 每月一题 topic the centre adopted).
// Tests and the seed name the stories through Dataset.Stories; the analysis
// is never told.
type Story struct {
	// Key is one of StoryRising, StoryRepeat, StoryHotspot, StorySeasonal,
	// StorySpring.
	Key    string `json:"key"`
	Zh, En string
	// Category is the story's category (leaf code); Categories lists every
	// category it covers (the seasonal story covers several).
	Category   string   `json:"category"`
	Categories []string `json:"categories"`
	// Phrase is what the planted texts share ("" when nothing).
	Phrase string `json:"phrase,omitempty"`
	// From and To bound the planted requests, [From, To); for the
	// seasonal story, the last winter's heating season inside the year.
	From, To time.Time
	// Peak is the end of the rise: the demo's last day for the stories of
	// the last four weeks, the topic's start for the spring story.
	Peak time.Time
	// Where: the street (rising), the grids (hotspot: the block; repeat:
	// the address's grid; spring: the chain's stores), the address (repeat).
	DistrictID, StreetID int64   `json:",omitempty"`
	GridIDs              []int64 `json:",omitempty"`
	Address              string  `json:",omitempty"`
	// Requests are the case IDs (Requests index + 1) of the planted
	// requests, in time order; empty in demos too small to plant (fewer
	// than DefaultRequests/4 requests).
	Requests []int64 `json:"requests"`
	// Topic and Tasks (spring story only): the 每月一题 topic the centre
	// adopted at Peak and its tasks. IDs are zero; the seed stores them.
	Topic *agenda.Topic `json:"topic,omitempty"`
	Tasks []agenda.Task `json:"tasks,omitempty"`
}

// Story keys.
const (
	StoryRising   = "rising"   // a topic rising in one street over the last four weeks
	StoryRepeat   = "repeat"   // one address with the same category again and again
	StoryHotspot  = "hotspot"  // a block of adjacent grids with several times the usual complaints
	StorySeasonal = "seasonal" // heating in winter (the generator's seasons; nothing planted)
	StorySpring   = "spring"   // rose in spring, adopted as 每月一题 in mid-April, fell by June
)

// Story returns the dataset's story with the key, or nil.
func (ds *Dataset) Story(key string) *Story {
	for i := range ds.Stories {
		if ds.Stories[i].Key == key {
			return &ds.Stories[i]
		}
	}
	return nil
}

// plan is how one story is planted.
type plan struct {
	story  *Story
	leaf   *leaf
	probs  []string // "title|description" templates, {slots} as in the catalogue
	grids  []*grid
	weekly []int     // requests per week, oldest first; the last week ends at anchor
	anchor time.Time // midnight ending the last week
	night  bool      // at night (a construction site's noise)
	types  []string  // request types to draw from
	// slots fixes the address (repeat) or the store (spring) per grid.
	slots func(s *slots, gr *grid)
	// callers is a fixed pool some requests come from (repeat).
	callers []caller
}

// planted is one planted request before it becomes a seed.
type planted struct {
	p    *plan
	t    time.Time
	grid *grid
}

func leafByCode(code string) *leaf {
	for i := range leaves {
		if leaves[i].code == code {
			return &leaves[i]
		}
	}
	panic("demo: no leaf " + code)
}

// midnight is the start of t's day in loc.
func midnight(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// springStart is the day the spring topic was adopted: 15 April of the
// demo year when the year holds the rise before it and the three months
// after it, otherwise 200 days before the end.
func springStart(end time.Time, loc *time.Location) time.Time {
	lo, hi := end.AddDate(0, 0, -290), end.AddDate(0, 0, -92)
	for y := end.Year(); y >= end.Year()-1; y-- {
		a := time.Date(y, time.April, 15, 0, 0, 0, 0, loc)
		if !a.Before(lo) && !a.After(hi) {
			return a
		}
	}
	return midnight(end.AddDate(0, 0, -200), loc)
}

// planStories lays out the stories: their places from the city, their
// dates from the end, their sizes from the number of requests.
func (g *gen) planStories(n int, rng *rand.Rand) []*plan {
	c := g.city
	e0 := midnight(g.end, g.loc)
	scale := float64(n) / DefaultRequests
	if n < DefaultRequests/4 {
		scale = 0
	}
	sized := func(w []int) []int {
		out := make([]int, len(w))
		for i, x := range w {
			out[i] = int(math.Round(float64(x) * scale))
		}
		return out
	}
	ids := func(gs []*grid) []int64 {
		out := make([]int64, len(gs))
		for i, gr := range gs {
			out[i] = int64(gr.place + 1)
		}
		return out
	}
	var plans []*plan

	// Rising: the operator of a street's e-bike charging cabinets left;
	// residents charge from their windows (飞线充电) and call about it.
	{
		st := c.districts[1].streets[min(2, len(c.districts[1].streets)-1)]
		var gs []*grid
		for _, cm := range st.comms {
			gs = append(gs, cm.grids...)
		}
		s := &Story{Key: StoryRising, Category: "safety.fireexit", Categories: []string{"safety.fireexit"},
			Phrase:     "电动自行车充电柜",
			Zh:         st.dist.name + st.name + "的电动自行车充电柜停用，居民飞线充电，消防隐患诉求近四周激增",
			En:         "The e-bike charging cabinets of " + st.name + " (" + st.dist.name + ") stopped; residents charge from their windows and call about the fire risk, rising sharply over the last four weeks",
			DistrictID: int64(st.dist.place + 1), StreetID: int64(st.place + 1), GridIDs: ids(gs), Peak: e0}
		plans = append(plans, &plan{story: s, leaf: leafByCode(s.Category), grids: gs, anchor: e0,
			weekly: sized([]int{1, 1, 2, 2, 10, 16, 24, 30}), types: []string{"complaint", "complaint", "complaint", "help", "report"},
			probs: []string{
				"{小区}电动自行车充电柜停用|{小区}的电动自行车充电柜{持续}前停用了，一直没人来修，有人从楼上拉电线飞线充电，楼道里停满了电动自行车",
				"{小区}飞线充电隐患大|{小区}的电动自行车充电柜停用后，好几户从窗户吊下电线给电动自行车飞线充电，晚上整夜充电，一旦起火后果不堪设想",
				"{小区}电动自行车充电柜没人管|{小区}的电动自行车充电柜刷卡没有反应，物业说充电运营公司已经撤走，大家只好把电动自行车推进楼道充电",
			}})
	}

	// Repeat: the lift of one building breaks down again and again.
	{
		d := c.districts[2]
		var cm *community
		for _, st := range d.streets[min(1, len(d.streets)-1):] {
			for _, x := range st.comms {
				if !x.village && cm == nil {
					cm = x
				}
			}
		}
		compound, bldg, unitNo := cm.compounds[0], "6号楼", "2单元"
		gr := cm.grids[0]
		st := cm.str
		addr := cityName + st.dist.name + st.name + compound + bldg
		s := &Story{Key: StoryRepeat, Category: "property.elevator", Categories: []string{"property.elevator"},
			Phrase:     compound + bldg + unitNo + "电梯",
			Zh:         compound + bldg + unitNo + "电梯反复故障停运，居民一再来电（" + st.dist.name + st.name + "）",
			En:         "The lift of " + compound + " " + bldg + " " + unitNo + " breaks down again and again; residents keep calling (" + st.name + ", " + st.dist.name + ")",
			DistrictID: int64(st.dist.place + 1), StreetID: int64(st.place + 1), GridIDs: []int64{int64(gr.place + 1)}, Address: addr, Peak: e0}
		var pool []caller
		for range 3 {
			pool = append(pool, caller{name: personName(rng), phone: mobile(rng), grid: gr})
		}
		weekly := make([]int, 24)
		for i := range 20 {
			if i%5 != 2 { // about one a week, a few weeks quiet
				weekly[i] = 1
			}
		}
		copy(weekly[20:], []int{2, 1, 2, 2})
		plans = append(plans, &plan{story: s, leaf: leafByCode(s.Category), grids: []*grid{gr}, anchor: e0,
			weekly: sized(weekly), types: []string{"complaint", "complaint", "help"}, callers: pool,
			slots: func(sl *slots, _ *grid) { sl.compound, sl.bldg, sl.unitNo = compound, bldg, unitNo },
			probs: []string{
				"{小区}{楼}电梯又坏了|{小区}{楼}{单元}电梯{时间}又停运了，这段时间已经坏了{次数}，每次修好没几天又出故障，高层老人只能困在家里",
				"{小区}{楼}{单元}电梯反复故障|{小区}{楼}{单元}电梯反复故障停运，维保单位来了就是重启一下，根本没有彻底修好",
				"{小区}{楼}电梯困人隐患|{小区}{楼}{单元}电梯运行时突然停顿、平层不准，{时间}又停在两层之间，居民不敢再坐",
			}})
	}

	// Hotspot: a metro station's construction site works through the
	// night; the grids around it call about the noise.
	{
		d := c.districts[0]
		cm := d.streets[min(4, len(d.streets)-1)].comms[0]
		ax, ay := float64(cm.rect.I1)*0.32, float64(cm.rect.J1)*0.37
		gs := slices.Clone(c.grids)
		dist := func(gr *grid) float64 {
			x := float64(gr.rect.I0+gr.rect.I1) / 2 * 0.32
			y := float64(gr.rect.J0+gr.rect.J1) / 2 * 0.37
			return math.Hypot(x-ax, y-ay)
		}
		slices.SortStableFunc(gs, func(a, b *grid) int {
			da, db := dist(a), dist(b)
			switch {
			case da < db:
				return -1
			case da > db:
				return 1
			}
			return a.place - b.place
		})
		gs = gs[:9]
		slices.SortFunc(gs, func(a, b *grid) int { return a.place - b.place })
		site := "地铁6号线" + cm.str.base + "站工地"
		s := &Story{Key: StoryHotspot, Category: "noise.construction", Categories: []string{"noise.construction"},
			Phrase:     site,
			Zh:         site + "连续夜间施工，周边九个网格的施工噪音投诉近四周是平时的数倍",
			En:         "The metro line 6 construction site at " + cm.str.base + " works through the night; the nine grids around it have several times the usual construction-noise complaints over the last four weeks",
			DistrictID: int64(d.place + 1), StreetID: int64(cm.str.place + 1), GridIDs: ids(gs), Peak: e0}
		plans = append(plans, &plan{story: s, leaf: leafByCode(s.Category), grids: gs, anchor: e0, night: true,
			weekly: sized([]int{1, 1, 2, 2, 10, 12, 14, 14}), types: []string{"complaint", "complaint", "complaint", "report"},
			probs: []string{
				"{小区}附近" + site + "夜间施工|{小区}旁边的" + site + "{时段}还在施工，打桩机、渣土车声音很大，严重影响居民休息",
				site + "噪音扰民|" + site + "每天夜里十一点以后还在浇筑混凝土，{小区}{楼}的居民整夜睡不着，已经持续{持续}了",
				"{小区}紧邻" + site + "|{小区}{楼}正对" + site + "，凌晨还有大型机械作业，噪音和灯光直射卧室",
			}})
	}

	// Spring: the gym chain 康辰健身 closed its stores; members ask for
	// refunds of their prepaid cards. The centre adopted it as 每月一题 on
	// the day of the peak; the calls fell back within two months.
	{
		a := springStart(g.end, g.loc)
		var gs []*grid
		names := []string{}
		for _, di := range []int{0, 1, 2, 5} {
			d := c.districts[di]
			st := d.streets[rng.IntN(len(d.streets))]
			cm := st.comms[rng.IntN(len(st.comms))]
			gs = append(gs, cm.grids[rng.IntN(len(cm.grids))])
			names = append(names, st.base+"店")
		}
		roads := make([]string, len(gs))
		for i, gr := range gs {
			roads[i] = pick(rng, gr.comm.str.roads)
		}
		storeOf := func(gr *grid) int { return indexOf(gs, gr) }
		s := &Story{Key: StorySpring, Category: "market.prepaid", Categories: []string{"market.prepaid"},
			Phrase:  "康辰健身",
			Zh:      "连锁健身房康辰健身闭店，会员预付卡无法退费，诉求二至四月攀升，四月中旬列为每月一题后回落",
			En:      "The gym chain 康辰健身 closed its stores and members could not get their prepaid cards refunded; calls rose from February to April, the centre made it its topic of the month in mid-April, and they fell back by June",
			GridIDs: ids(gs), Peak: a}
		plans = append(plans, &plan{story: s, leaf: leafByCode(s.Category), grids: gs, anchor: a.AddDate(0, 0, 70),
			weekly: sized([]int{2, 3, 5, 7, 9, 12, 15, 18, 21, 24, 20, 15, 11, 8, 5, 4, 3, 2, 1, 1}),
			types:  []string{"complaint", "complaint", "complaint", "complaint", "help"},
			slots: func(sl *slots, gr *grid) {
				i := storeOf(gr)
				sl.shop, sl.road = "康辰健身"+names[i], roads[i]
				sl.roadNo = fmt.Sprintf("%d号", 20+17*i)
			},
			probs: []string{
				"{店}突然闭店|本人在{店}办理了健身年卡，充值{金额}，{时间}门店突然闭店停业，预付卡余额至今没有退回",
				"康辰健身预付卡退费难|康辰健身{店}闭店后，会员卡里还有{金额}余额，客服电话一直打不通，要求退还预付卡余额",
				"康辰健身私教课不给退费|{时间}在{店}买了私教课，还剩二十多节，门店闭店后既不能上课也不给退费",
			}})
		s.Topic, s.Tasks = g.springTopic(s, a, gs)
	}
	return plans
}

// springTopic is the 每月一题 topic the centre adopted at start, and the
// tasks it gave the market regulators (done, with their reports).
func (g *gen) springTopic(s *Story, start time.Time, stores []*grid) (*agenda.Topic, []agenda.Task) {
	by := int64(0)
	for _, u := range g.ds.Users {
		if u.Username == "sup-city" {
			by = u.ID
		}
	}
	lead := int64(g.om.cityDept["scjg"] + 1)
	var partners []int64
	for _, gr := range stores {
		if id := int64(gr.comm.str.dist.depts["scjg"] + 1); !slices.Contains(partners, id) {
			partners = append(partners, id)
		}
	}
	at := start.Add(9*time.Hour + 30*time.Minute)
	t := &agenda.Topic{
		Title:          "预付卡退费难（康辰健身闭店）",
		Summary:        "康辰健身连锁门店闭店后，会员预付卡、私教课无法退费，二月以来诉求持续攀升。市市场监管局牵头，会同门店所在区市场监管局约谈经营者、登记会员退费、排查预付式消费经营者，目标三个月内相关诉求下降50%。",
		State:          agenda.Active,
		LeadUnitID:     lead,
		PartnerUnitIDs: partners,
		Criteria:       agenda.Criteria{Categories: []string{s.Category}, Keywords: []string{"康辰健身", "闭店"}},
		Goal:           agenda.Goal{Reduction: 0.5, Months: 3, Comparison: "before"},
		Source:         "manual",
		StartedAt:      at,
		GoalBy:         at.AddDate(0, 3, 0),
		CreatedBy:      by, CreatedAt: at, UpdatedAt: at, Version: 1,
	}
	task := func(unit int64, days, doneDays int, title, detail, note string) agenda.Task {
		due, done := at.AddDate(0, 0, days), at.AddDate(0, 0, doneDays).Add(6*time.Hour)
		return agenda.Task{Kind: agenda.KindTopic, State: agenda.TaskDone, UnitID: unit, Title: title, Detail: detail,
			Category: s.Category, PlaceIDs: s.GridIDs, DueAt: due, Note: note, DoneAt: done,
			CreatedBy: by, CreatedAt: at, UpdatedAt: done, Version: 2}
	}
	tasks := []agenda.Task{
		task(lead, 14, 9, "约谈康辰健身经营者，督促公布退费方案",
			"约谈康辰健身实际控制人，责令其公布会员退费方案和时间表，并在各门店张贴公告。",
			"已约谈康辰健身实际控制人，经营者承诺分三批退还会员预付卡余额，退费方案已在各门店和公众号公示；首批退费已到账。"),
		task(partners[0], 21, 18, "登记会员退费申请，逐一回访来电会员",
			"在门店所在区设立登记点，登记会员退费申请；对12345来电会员逐一电话回访，告知退费进度。",
			"已在四个门店设立登记点，登记退费申请一千余份；来电会员已全部回访，告知退费安排。"),
		task(partners[len(partners)-1], 45, 40, "排查健身、培训类预付式消费经营者",
			"对辖区健身、培训类经营者开展预付式消费专项排查，督促落实资金存管，发布消费风险提示。",
			"已排查健身、培训类经营者86家，督促12家落实预付资金存管，发布预付式消费风险提示三期。"),
	}
	return t, tasks
}

// plantTimes draws every planted request's time and grid, before the
// ordinary requests are drawn, so the total stays n.
func (g *gen) plantTimes(plans []*plan, rng *rand.Rand) []planted {
	var out []planted
	for _, p := range plans {
		p.story.From = p.anchor.AddDate(0, 0, -7*len(p.weekly))
		p.story.To = p.anchor
		for wi, k := range p.weekly {
			w0 := p.anchor.AddDate(0, 0, -7*(len(p.weekly)-wi))
			for range k {
				d := w0.AddDate(0, 0, rng.IntN(7))
				var h int
				if p.night {
					h = []int{21, 22, 22, 23, 23, 0, 0, 1, 2, 5}[rng.IntN(10)]
				} else {
					hw := hourWeekday
					if !g.env.Cal.IsWorkday(d) {
						hw = hourRestday
					}
					h = pickWeighted(rng, hw)
				}
				t := time.Date(d.Year(), d.Month(), d.Day(), h, rng.IntN(60), rng.IntN(60), 0, g.loc)
				if t.Before(g.startT) || !t.Before(g.end) {
					continue
				}
				out = append(out, planted{p: p, t: t, grid: p.grids[rng.IntN(len(p.grids))]})
			}
		}
	}
	return out
}

// plantSeeds turns the planted requests into seeds numbered from seq.
func (g *gen) plantSeeds(ps []planted, seq int, rng *rand.Rand) []*seed {
	out := make([]*seed, 0, len(ps))
	for _, x := range ps {
		p := x.p
		lf := *p.leaf
		lf.probs = p.probs
		typ := pick(rng, p.types)
		ch := "phone"
		switch r := rng.Float64(); {
		case r < 0.1:
			ch = "app"
		case r < 0.2:
			ch = "miniprogram"
		}
		cz := lifecycle.Citizen{Name: citizenName(rng), Phone: mobile(rng)}
		if len(p.callers) > 0 && rng.Float64() < 0.6 {
			cl := pick(rng, p.callers)
			cz = lifecycle.Citizen{Name: cl.name, Phone: cl.phone}
		}
		di := int(midnight(x.t, g.loc).Sub(g.days[0].start).Hours()+12) / 24
		s := &seed{seq: seq + len(out), leaf: p.leaf, grid: x.grid, dupOf: -1, dayIdx: max(0, min(di, len(g.days)-1)), primary: true}
		s.c = lifecycle.Case{Channel: ch, Type: typ, Category: p.leaf.code, Urgency: p.leaf.urgency, Citizen: cz, CreatedAt: x.t}
		s.slots = g.newSlots(rng, x.grid, x.t)
		if p.slots != nil {
			p.slots(s.slots, x.grid)
		}
		s.leaf = &lf
		g.locate(rng, s)
		g.compose(rng, s)
		s.leaf = p.leaf
		s.c.Category = p.leaf.code // the agent files these right
		out = append(out, s)
	}
	return out
}

// finishStories records the planted requests' case IDs and judges the
// spring topic on the generated requests.
func (g *gen) finishStories(plans []*plan, seeds []*seed, pos []int, planted map[int]*plan) {
	for _, sd := range seeds {
		if p := planted[sd.seq]; p != nil {
			p.story.Requests = append(p.story.Requests, int64(pos[sd.seq]+1))
		}
	}
	for _, p := range plans {
		slices.Sort(p.story.Requests)
		if p.story.Topic != nil {
			judge(p.story.Topic, g.ds.Requests, g.end)
		}
		g.ds.Stories = append(g.ds.Stories, *p.story)
	}
	// The seasonal story plants nothing: heating follows seasonFactor.
	// Its winter is the one whose 15 January the year holds (a 365-day
	// year holds exactly one), cut to the year.
	peak := time.Date(g.end.Year(), time.January, 15, 0, 0, 0, 0, g.loc)
	if peak.Before(g.startT) {
		peak = peak.AddDate(1, 0, 0)
	}
	if !peak.Before(g.end) {
		peak = peak.AddDate(-1, 0, 0)
	}
	from := time.Date(peak.Year()-1, time.November, 15, 0, 0, 0, 0, g.loc)
	to := time.Date(peak.Year(), time.March, 16, 0, 0, 0, 0, g.loc)
	if from.Before(g.startT) {
		from = g.startT
	}
	if to.After(g.end) {
		to = g.end
	}
	g.ds.Stories = append(g.ds.Stories, Story{Key: StorySeasonal, Category: "heating.cold",
		Categories: []string{"heating.temp", "heating.cold", "heating.leak"},
		Zh:         "供暖季（11月15日至次年3月15日）暖气不热、室温不达标诉求集中，夏季几乎为零",
		En:         "Heating complaints (radiators not warm, rooms too cold) crowd the heating season, 15 November to 15 March, and almost vanish in summer",
		From:       from, To: to, Peak: peak})
	s := &g.ds.Stories[len(g.ds.Stories)-1]
	s.Topic, s.Tasks = g.heatingTopic(s)
}

// heatingTopic is the 每月一题 topic in progress when the demo ends in a
// heating season (its start three days after the season's, at least a
// week before the end): the city's housing commission leads, the heating
// company and the districts' commissions act; nothing is judged yet. Its
// requests are the season's own (nothing planted); the topic is there so
// that the wall screen, the topics page and the owners' inboxes show a
// topic at work.
func (g *gen) heatingTopic(s *Story) (*agenda.Topic, []agenda.Task) {
	season := time.Date(g.end.Year(), time.November, 15, 0, 0, 0, 0, g.loc)
	if season.After(g.end) {
		season = season.AddDate(-1, 0, 0)
	}
	at := season.AddDate(0, 0, 3).Add(9*time.Hour + 30*time.Minute)
	if at.Before(g.startT) || g.end.Sub(at) < 7*24*time.Hour || g.end.After(season.AddDate(0, 4, 0)) {
		return nil, nil // the demo does not end in a heating season
	}
	by := int64(0)
	for _, u := range g.ds.Users {
		if u.Username == "sup-city" {
			by = u.ID
		}
	}
	lead, heat := int64(g.om.cityDept["zjw"]+1), int64(g.om.ent["heat"]+1)
	t := &agenda.Topic{
		Title:          "供暖季室温不达标集中整治",
		Summary:        "供暖季开始后，暖气不热、室温不达标诉求集中涌现。市住建委牵头，会同供热企业逐户排查室温不达标小区、限时维修，目标较去年同期下降30%。",
		State:          agenda.Active,
		LeadUnitID:     lead,
		PartnerUnitIDs: []int64{heat},
		Criteria:       agenda.Criteria{Categories: s.Categories},
		Goal:           agenda.Goal{Reduction: 0.3, Months: 3, Comparison: "last_year"},
		Source:         "manual",
		StartedAt:      at,
		GoalBy:         at.AddDate(0, 3, 0),
		CreatedBy:      by, CreatedAt: at, UpdatedAt: at, Version: 1,
	}
	task := func(unit int64, days int, title, detail string) agenda.Task {
		return agenda.Task{Kind: agenda.KindTopic, State: agenda.TaskOpen, UnitID: unit, Title: title, Detail: detail,
			Category: s.Category, DueAt: at.AddDate(0, 0, days), CreatedBy: by, CreatedAt: at, UpdatedAt: at, Version: 1}
	}
	return t, []agenda.Task{
		task(heat, 21, "排查室温不达标小区，限时维修",
			"对诉求集中的小区逐户测温，管网失衡的当日调节，设备故障的48小时内修复，整改情况报市住建委。"),
		task(lead, 28, "约谈诉求集中的供热站，通报整改进度",
			"对室温不达标诉求最多的供热站负责人约谈，每周通报整改进度和诉求变化。"),
	}
}

// judge sets a topic's outcome from the requests that match its criteria
// (its categories, and any keyword in the title or description): weekly
// requests in the four weeks before the start against the weeks from the
// start to the goal's date. A topic whose date lies ahead of the end, or
// with nothing before its start (a demo too small to plant), stays active.
func judge(t *agenda.Topic, reqs []Request, end time.Time) {
	if t.GoalBy.After(end) {
		return
	}
	before, after := 0, 0
	b0 := t.StartedAt.AddDate(0, 0, -28)
	for i := range reqs {
		c := &reqs[i].Case
		if !slices.Contains(t.Criteria.Categories, c.Category) || c.CreatedAt.Before(b0) || !c.CreatedAt.Before(t.GoalBy) {
			continue
		}
		hit := len(t.Criteria.Keywords) == 0
		for _, k := range t.Criteria.Keywords {
			if strings.Contains(c.Title, k) || strings.Contains(c.Description, k) {
				hit = true
			}
		}
		if !hit {
			continue
		}
		if c.CreatedAt.Before(t.StartedAt) {
			before++
		} else {
			after++
		}
	}
	if before == 0 {
		return
	}
	w1, w2 := 4.0, t.GoalBy.Sub(t.StartedAt).Hours()/(24*7)
	o := &agenda.Outcome{JudgedAt: t.GoalBy.Add(24 * time.Hour), Before: float64(before) / w1, After: float64(after) / w2,
		P: binomLower(after, before+after, w2/(w1+w2))}
	o.Change = o.After/o.Before - 1
	o.Met = o.Change <= -t.Goal.Reduction && o.P < 0.05
	o.Note = fmt.Sprintf("开始前4周%d件，开始后%.0f周%d件", before, w2, after)
	t.Outcome = o
	t.State = agenda.Missed
	if o.Met {
		t.State = agenda.Met
	}
	t.UpdatedAt = o.JudgedAt
	t.Version++
}

// binomLower is P(X ≤ x) for X ~ Binomial(n, p).
func binomLower(x, n int, p float64) float64 {
	sum := 0.0
	for k := 0; k <= x; k++ {
		lg := func(v int) float64 { r, _ := math.Lgamma(float64(v) + 1); return r }
		sum += math.Exp(lg(n) - lg(k) - lg(n-k) + float64(k)*math.Log(p) + float64(n-k)*math.Log1p(-p))
	}
	return min(1, sum)
}
