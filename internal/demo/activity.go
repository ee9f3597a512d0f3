package demo

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	gridrules "whistle/internal/grid"
	"whistle/internal/summons"
)

// Patrol is one generated grid patrol (网格巡查): who walked which grid
// when, the track, and the findings that became requests.
type Patrol struct {
	GridID   int64             `json:"grid_id"` // place ID
	User     string            `json:"user"`    // username of the grid worker
	Start    time.Time         `json:"start"`
	End      time.Time         `json:"end"`
	Note     string            `json:"note,omitempty"`
	Points   []gridrules.Point `json:"points"`
	Findings []Finding         `json:"findings,omitempty"`
}

// Finding is a problem a patrol reported: the grid-channel request (index
// into Requests) it became.
type Finding struct {
	Request int       `json:"request"`
	Item    string    `json:"item"`
	At      time.Time `json:"at"`
}

// Whistle is one generated 街乡吹哨: the street's raise and every act that
// followed up to the demo's end, for the loader to play through the
// summons rules.
type Whistle struct {
	Street string        `json:"street"` // username of the street's raiser
	At     time.Time     `json:"at"`
	Raise  summons.Raise `json:"raise"` // CaseIDs are request indices + 1
	Acts   []WhistleAct  `json:"acts"`
}

// WhistleAct is one act on a whistle: a summoned department's (ack,
// arrive, act, report, leave) or the street's close.
type WhistleAct struct {
	At     time.Time     `json:"at"`
	User   string        `json:"user"`
	Action string        `json:"action"`
	In     summons.Input `json:"in"`
}

// patrolDays is how far back patrols go.
const patrolDays = 42

// findingItem maps a category to the 十无 item a grid worker files it under.
func findingItem(code string) string {
	for _, m := range []struct{ sub, item string }{
		{"build", "illegal_building"}, {"stall", "road_occupation"}, {"ads", "illegal_signs"}, {"parking", "illegal_parking"},
		{"bike", "illegal_parking"}, {"road", "damaged_road"}, {"manhole", "damaged_road"}, {"wire", "overhead_wires"},
		{"cable", "overhead_wires"}, {"unlicensed", "illegal_business"}, {"bbq", "illegal_business"}, {"commercial", "illegal_business"},
		{"collapse", "damaged_facade"}, {"housing.safety", "damaged_facade"},
	} {
		if strings.Contains(code, m.sub) {
			return m.item
		}
	}
	return "piled_materials"
}

var patrolNotes = []string{"", "", "日常巡查", "重点巡查背街小巷", "雨后排查积水点位", "巡查沿街商户门前三包", "夜间巡查", "配合社区开展环境整治巡查"}

// makePatrols lays out the last six weeks of patrols: one patrol behind
// every grid-channel request, and routine walks of every worker's grids
// on most working days.
func (g *gen) makePatrols(seeds []*seed, rng *rand.Rand) []Patrol {
	from := g.end.AddDate(0, 0, -patrolDays)
	// A small demo (as tests load) has proportionally fewer rounds.
	round := 0.85 * min(1, 2*float64(len(seeds))/DefaultRequests)
	var out []Patrol
	busy := map[string]bool{} // worker|day already on patrol
	walk := func(gr *grid, user int, start, end time.Time) Patrol {
		p := Patrol{GridID: int64(gr.place + 1), User: g.ds.Users[user].Username, Start: start, End: end, Note: pick(rng, patrolNotes)}
		n := 8 + rng.IntN(9)
		step := end.Sub(start) / time.Duration(n+1)
		for k := 1; k <= n; k++ {
			q := g.city.lat.samplePoint(gr.rect, rng)
			p.Points = append(p.Points, gridrules.Point{At: start.Add(time.Duration(k) * step).Truncate(time.Second), Lat: q.Y, Lon: q.X})
		}
		return p
	}
	for i, sd := range seeds {
		c := sd.c
		if c.Channel != "grid" || c.CreatedAt.Before(from) {
			continue
		}
		start := c.CreatedAt.Add(-time.Duration(15+rng.IntN(60)) * time.Minute)
		end := c.CreatedAt.Add(time.Duration(20+rng.IntN(70)) * time.Minute)
		if !end.Before(g.end) {
			end = g.end.Add(-time.Minute)
		}
		half := 0
		if c.CreatedAt.In(g.loc).Hour() >= 13 {
			half = 1
		}
		key := fmt.Sprintf("%d|%s|%d", sd.grid.worker, c.CreatedAt.In(g.loc).Format("0102"), half)
		if busy[key] || !end.After(c.CreatedAt) {
			continue
		}
		busy[key] = true
		p := walk(sd.grid, sd.grid.worker, start, end)
		p.Findings = []Finding{{Request: i, Item: findingItem(c.Category), At: c.CreatedAt}}
		out = append(out, p)
	}
	for _, st := range g.city.streets {
		var gs []*grid
		for _, cm := range st.comms {
			gs = append(gs, cm.grids...)
		}
		for di, d := range g.days {
			if d.start.Before(from.Add(-24*time.Hour)) || d.rest {
				continue
			}
			for _, w := range st.workers {
				mine := slices.DeleteFunc(slices.Clone(gs), func(x *grid) bool { return x.worker != w })
				if len(mine) == 0 {
					continue
				}
				// A morning and an afternoon round, each of another grid.
				for half, h0 := range []int{8*60 + 30, 14 * 60} {
					key := fmt.Sprintf("%d|%s|%d", w, d.start.Format("0102"), half)
					if busy[key] || rng.Float64() > round {
						continue
					}
					start := d.start.Add(time.Duration(h0+rng.IntN(120)) * time.Minute)
					end := start.Add(time.Duration(40+rng.IntN(80)) * time.Minute)
					if start.Before(from) || !end.Before(g.end) {
						continue
					}
					busy[key] = true
					out = append(out, walk(mine[(2*di+half+rng.IntN(2))%len(mine)], w, start, end))
				}
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Patrol) int { return a.Start.Compare(b.Start) })
	return out
}

var (
	whistleNeeds = []string{
		"{路}沿线占道经营、店外经营反复回潮，需城管执法、市场监管部门联合执法",
		"{小区}{楼}外墙空鼓脱落，存在安全隐患，需住建部门现场鉴定并督促产权单位处置",
		"{路}与{路2}路口雨后积水严重，需水务、排水部门现场排查管网",
		"{小区}周边渣土车夜间遗撒、工地夜间施工扰民，需住建、城管部门联合检查",
		"{小区}地下空间群租问题突出，需公安、住建、消防部门联合整治",
		"{路}{路号}一带无证经营餐饮，油烟扰民，需市场监管、生态环境部门现场执法",
		"{小区}老旧管网频繁爆裂，需供水企业和住建部门会商改造方案",
		"{小区}供暖温度长期不达标，需热力企业和住建部门现场查找原因",
		"{路}架空线杂乱、部分线缆垂落，需通信、供电企业现场规整",
		"{小区}违建拆除后渣土堆放未清运，需城管部门协调清运",
	}
	whistleReports = []string{"已到现场核查，对违法行为立案查处，责令限期整改。", "已组织专业人员现场检测，出具处置意见并督促落实。",
		"已会同街道制定整治方案，首批问题已整改完毕。", "已现场处置，并安排专人每日巡查，防止反弹。", "已对涉事单位下达整改通知书，整改情况将持续跟踪。",
		"已抢修完毕，恢复正常。"}
	whistleActs      = []string{"正在现场开展联合检查。", "已调派执法人员和车辆到场。", "正在组织抢修。", "正在现场取证。"}
	whistleSummaries = []string{"各部门按时报到，问题已现场解决。", "联合执法效果明显，转入常态化管理。", "问题已解决，个别部门响应较慢。",
		"已形成长效整治机制，街道将持续跟踪。"}
)

// makeWhistles lays out the last three months of whistles: every street
// summons departments a few times, from its own orders or on its own.
func (g *gen) makeWhistles(seeds []*seed, rng *rand.Rand) []Whistle {
	from := g.end.AddDate(0, -3, 0)
	cfg := summons.DefaultConfig()
	byStreet := map[*street][]int{}
	for i, sd := range seeds {
		if sd.dupOf >= 0 || sd.c.CreatedAt.Before(from.AddDate(0, 0, -14)) || (sd.c.Type != "complaint" && sd.c.Type != "help") {
			continue
		}
		byStreet[sd.grid.comm.str] = append(byStreet[sd.grid.comm.str], i)
	}
	var out []Whistle
	for _, st := range g.city.streets {
		n := 2 + rng.IntN(4)
		for range n {
			day := rng.Float64() * g.end.Sub(from).Hours()
			at := from.Add(time.Duration(day) * time.Hour)
			lt := at.In(g.loc)
			at = time.Date(lt.Year(), lt.Month(), lt.Day(), 8+rng.IntN(9), rng.IntN(60), 0, 0, g.loc)
			if !at.Before(g.end) {
				continue
			}
			sl := g.newSlots(rng, pick(rng, pick(rng, st.comms).grids), at)
			w := Whistle{Street: g.ds.Users[g.om.handler[st.office]].Username, At: at}
			if rng.IntN(4) == 0 {
				w.Street = g.ds.Users[g.om.leader[st.office]].Username
			}
			r := summons.Raise{Source: summons.SourceOwn, Kind: pick(rng, []string{summons.KindOrdinary, summons.KindOrdinary, summons.KindJoint, summons.KindUrgent}),
				Need: sl.fill(pick(rng, whistleNeeds)), Address: cityName + st.dist.name + st.name + sl.road + sl.roadNo, PlaceID: int64(st.place + 1)}
			units := map[int]bool{}
			// From the street's own recent orders, when it has some.
			var cands []int
			for _, i := range byStreet[st] {
				if c := seeds[i].c.CreatedAt; c.Before(at) && c.After(at.AddDate(0, 0, -14)) {
					cands = append(cands, i)
				}
			}
			if len(cands) > 0 && rng.IntN(5) < 3 {
				r.Source = summons.SourceCases
				for range 1 + rng.IntN(3) {
					i := pick(rng, cands)
					if !slices.Contains(r.CaseIDs, int64(i+1)) {
						r.CaseIDs = append(r.CaseIDs, int64(i+1))
						if u := g.route(seeds[i].leaf.route, seeds[i].grid); g.ds.Units[u].Kind != "street" && g.ds.Units[u].Kind != "property" {
							units[u] = true
						}
					}
				}
				r.Address = seeds[r.CaseIDs[0]-1].c.Location.Address
				r.Need = "关于工单" + seeds[r.CaseIDs[0]-1].c.Title + "，" + pick(rng, []string{"问题涉及多个部门职责，需相关部门到场共同处置",
					"街道多次协调未果，需职能部门到现场执法", "群众反映强烈，需相关部门现场会商解决方案"})
			}
			for len(units) < 1+rng.IntN(3) {
				if rng.IntN(2) == 0 {
					units[pick(rng, []int{st.dist.depts["cgzf"], st.dist.depts["zjw"], st.dist.depts["scjg"]})] = true
				} else {
					units[pick(rng, []int{g.om.cityDept["cgzf"], g.om.cityDept["sthj"], g.om.cityDept["swj"], g.om.ent["water"], g.om.ent["power"], g.om.ent["heat"], g.om.ent["tel"], g.om.cityDept["gaj"]})] = true
				}
			}
			var us []int
			for u := range units {
				us = append(us, u)
			}
			slices.Sort(us)
			for _, u := range us {
				r.UnitIDs = append(r.UnitIDs, int64(u+1))
			}
			w.Raise = r
			reportBy := at.Add(cfg.Within(r.Kind))
			// The departments' acts, each on its own clock.
			var acts []WhistleAct
			last := at
			for _, u := range us {
				who := g.ds.Users[g.om.handler[u]].Username
				q := g.level(u, at)
				t := at.Add(time.Duration(3+rng.IntN(40)) * time.Minute)
				acts = append(acts, WhistleAct{At: t, User: who, Action: summons.ActAck})
				arrive := at.Add(time.Duration((0.3 + 0.65*rng.Float64()) * float64(reportBy.Sub(at))))
				if rng.Float64() < 0.05+0.3*(1-q) {
					arrive = reportBy.Add(time.Duration(10+rng.IntN(180)) * time.Minute)
				}
				if !arrive.After(t) {
					arrive = t.Add(time.Minute)
				}
				acts = append(acts, WhistleAct{At: arrive, User: who, Action: summons.ActArrive, In: summons.Input{Place: r.Address}})
				t = arrive.Add(time.Duration(10+rng.IntN(50)) * time.Minute)
				acts = append(acts, WhistleAct{At: t, User: who, Action: summons.ActAct, In: summons.Input{Note: pick(rng, whistleActs)}})
				t = t.Add(time.Duration(60+rng.IntN(600)) * time.Minute)
				acts = append(acts, WhistleAct{At: t, User: who, Action: summons.ActReport, In: summons.Input{Note: pick(rng, whistleReports)}})
				last = later(last, t)
			}
			closeAt := last.Add(time.Duration(30+rng.IntN(24*60)) * time.Minute)
			var ratings []summons.Rating
			for _, u := range us {
				stars := 5.0
				if q := g.level(u, at); rng.Float64() > q {
					stars = float64(2 + rng.IntN(3))
				}
				for _, a := range acts {
					if a.Action == summons.ActArrive && a.User == g.ds.Users[g.om.handler[u]].Username && a.At.After(reportBy) {
						stars = min(stars, 3)
					}
				}
				ratings = append(ratings, summons.Rating{UnitID: int64(u + 1), Score: stars, Scale: summons.ScaleStars})
			}
			acts = append(acts, WhistleAct{At: closeAt, User: w.Street, Action: summons.ActClose, In: summons.Input{Note: pick(rng, whistleSummaries), Ratings: ratings}})
			for _, u := range us {
				acts = append(acts, WhistleAct{At: closeAt.Add(time.Duration(5+rng.IntN(60)) * time.Minute), User: g.ds.Users[g.om.handler[u]].Username, Action: summons.ActLeave})
			}
			slices.SortStableFunc(acts, func(a, b WhistleAct) int {
				if c := a.At.Compare(b.At); c != 0 {
					return c
				}
				return order(a.Action) - order(b.Action)
			})
			// Only what happened before the demo's end.
			for _, a := range acts {
				if !a.At.Before(g.end) {
					break
				}
				w.Acts = append(w.Acts, a)
			}
			out = append(out, w)
		}
	}
	slices.SortStableFunc(out, func(a, b Whistle) int { return a.At.Compare(b.At) })
	return out
}

func order(action string) int {
	return slices.Index([]string{summons.ActAck, summons.ActArrive, summons.ActAct, summons.ActReport, summons.ActClose, summons.ActLeave}, action)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
