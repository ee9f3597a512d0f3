package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

// gen holds the state of one Generate call.
type gen struct {
	ds       *Dataset
	city     *city
	om       *orgModel
	env      lifecycle.Env
	loc      *time.Location
	end      time.Time
	startT   time.Time
	days     []*day
	gridCum  []float64
	leafW    []float64
	actors   []org.Actor
	distOf   map[int64]*district // district centre unit ID → district
	quality  []quality           // by unit index
	siblings map[string][]*leaf  // branch code → its leaves

	weather, reqRng, pathRng *rand.Rand
}

// route resolves a routing key for a place to a unit index.
func (g *gen) route(key string, gr *grid) int {
	kind, k, _ := strings.Cut(key, ":")
	switch kind {
	case "dist":
		return gr.comm.str.dist.depts[k]
	case "city":
		return g.om.cityDept[k]
	case "ent":
		return g.om.ent[k]
	}
	return gr.comm.str.office
}

// sim plays one request through the rules while choosing its steps, so the
// steps respect every deadline the rules compute.
type sim struct {
	g      *gen
	rng    *rand.Rand
	c      lifecycle.Case
	steps  []Step
	now    time.Time
	stop   lifecycle.State
	halted bool
	err    error
	fired  []lifecycle.Timer
}

func (s *sim) actorName(u int) string {
	if u < 0 {
		return "system"
	}
	return s.g.ds.Users[u].Username
}

func (s *sim) actor(u int) org.Actor {
	if u < 0 {
		return org.System()
	}
	return s.g.actors[u]
}

// create records the creation step.
func (s *sim) create(by int) {
	env := s.g.env
	env.Now = s.c.CreatedAt
	lifecycle.Created(&s.c, s.actor(by), env)
	s.now = s.c.CreatedAt
	s.steps = append(s.steps, Step{At: s.now, Actor: s.actorName(by), Cmd: lifecycle.Command{Action: lifecycle.ActCreate}, ParentIndex: -1})
	s.checkStop()
}

func (s *sim) checkStop() {
	if s.stop != "" && s.c.State == s.stop {
		s.halted = true
	}
}

// do applies cmd at time at (never before the previous step) unless the
// demo's end has come or the case has reached its stop state; it reports
// whether the path goes on.
func (s *sim) do(at time.Time, by int, cmd lifecycle.Command, parent int) bool {
	if s.halted {
		return false
	}
	at = at.Truncate(time.Second)
	if at.Before(s.now) {
		at = s.now
	}
	if !at.Before(s.g.end) {
		s.halted = true
		return false
	}
	s.fire(at)
	if s.err != nil || s.halted {
		s.halted = true
		return false
	}
	return s.apply(at, by, cmd, parent)
}

func (s *sim) apply(at time.Time, by int, cmd lifecycle.Command, parent int) bool {
	env := s.g.env
	env.Now = at
	s.steps = append(s.steps, Step{At: at, Actor: s.actorName(by), Cmd: cmd, ParentIndex: parent})
	s.now = at
	if _, err := lifecycle.Apply(&s.c, cmd, s.actor(by), env); err != nil {
		s.err = fmt.Errorf("step %d %s: %w", len(s.steps)-1, cmd.Action, err)
		s.halted = true
		return false
	}
	s.checkStop()
	return !s.halted
}

// fire applies the scheduler's overdue commands for every deadline that
// passes before upTo, as the scheduler would.
func (s *sim) fire(upTo time.Time) {
	for s.err == nil {
		var next *lifecycle.Timer
		for _, t := range lifecycle.Timers(&s.c) {
			if t.Kind == lifecycle.TimerReplySoon || !t.DueAt.Before(upTo) || s.wasFired(t) {
				continue
			}
			if next == nil || t.DueAt.Before(next.DueAt) {
				tt := t
				next = &tt
			}
		}
		if next == nil {
			return
		}
		s.fired = append(s.fired, *next)
		cmd, ok := lifecycle.Fire(&s.c, *next)
		if !ok {
			continue
		}
		at := next.DueAt.Add(time.Minute)
		if !at.Before(upTo) {
			at = next.DueAt
		}
		if at.Before(s.now) {
			at = s.now
		}
		s.apply(at, -1, cmd, -1)
	}
}

func (s *sim) wasFired(t lifecycle.Timer) bool {
	for _, f := range s.fired {
		if f.Kind == t.Kind && f.DueAt.Equal(t.DueAt) {
			return true
		}
	}
	return false
}

func (s *sim) mins(lo, hi int) time.Duration {
	return time.Duration(lo+s.rng.IntN(hi-lo+1)) * time.Minute
}

// office moves t into office hours (08:00–21:00) unless the case is urgent.
func (s *sim) office(t time.Time) time.Time {
	if s.c.Urgency == "emergency" || s.c.Urgency == "utilities" {
		return t
	}
	lt := t.In(s.g.loc)
	h := lt.Hour()
	switch {
	case h < 8:
		return time.Date(lt.Year(), lt.Month(), lt.Day(), 8, s.rng.IntN(60), s.rng.IntN(60), 0, s.g.loc)
	case h >= 21:
		return time.Date(lt.Year(), lt.Month(), lt.Day()+1, 8, s.rng.IntN(60), s.rng.IntN(60), 0, s.g.loc)
	}
	return t
}

// before keeps t at least a margin before the deadline dl (when there is room).
func (s *sim) before(t, dl time.Time, margin time.Duration) time.Time {
	if dl.IsZero() {
		return t
	}
	if lim := dl.Add(-margin); t.After(lim) && lim.After(s.now) {
		return lim
	}
	return t
}

func (s *sim) agent() int      { return pick(s.rng, s.g.om.agents) }
func (s *sim) dispatcher() int { return pick(s.rng, s.g.om.dispatchers) }

func (s *sim) centreUser() int {
	if s.rng.IntN(10) < 6 {
		return s.agent()
	}
	return s.dispatcher()
}

func (s *sim) handler(unit int) int {
	if s.rng.IntN(10) < 8 {
		return s.g.om.handler[unit]
	}
	return s.g.om.leader[unit]
}

// supervisor is who supervises the case: its supervising district centre,
// or the city centre.
func (s *sim) supervisor() int {
	if d := s.g.distOf[s.c.SupervisingUnitID]; d != nil {
		return d.sup
	}
	if s.rng.IntN(2) == 0 {
		return s.g.om.citySup
	}
	return s.dispatcher()
}

func (s *sim) unitRef(u int) *org.Unit { return &s.g.ds.Units[u] }

// Path texts.
var (
	answerNotes = []string{
		"已依据知识库向来电人解答相关政策和办理渠道，来电人表示清楚。",
		"已告知来电人办理流程、所需材料及咨询电话，来电人表示满意。",
		"已根据知识库答复口径进行解答，并告知线上办理入口。",
	}
	progressNotes = []string{
		"已到现场查看，正在协调相关方处理。", "已联系物业公司，约定近期上门维修。",
		"已制定整改方案，正在组织实施。", "已约谈相关责任人，督促其限期整改。",
		"已安排工作人员持续跟进，待处理完毕后答复诉求人。",
	}
	superviseNotes = []string{"该工单群众反映强烈，请加快办理进度。", "请承办单位高度重视，按时限办结。", "已超期，请立即办理并说明原因。", "同类问题反复出现，请举一反三、彻底解决。"}
	explainTexts   = []string{"该事项涉及的政策已有明确规定，需按程序办理", "经核实，相关设施产权不属于我单位，已告知诉求人产权单位联系方式", "该问题需纳入年度计划统筹安排，已将诉求记录在案", "经现场核实，相关行为符合现行规定"}
	unresolvable   = []string{"涉及历史遗留问题，需纳入老旧小区综合整治统筹解决", "属于民事纠纷，已建议诉求人通过法律途径解决", "诉求超出现行政策规定，暂无法满足", "涉事企业已注销，暂无法找到责任主体"}
	rejectReasons  = []string{"诉求点位权属不清，建议改派属地街道办理。", "该问题涉及多个部门，我单位无法单独解决，申请退单。", "经初步核实，诉求事项不属于我单位职责范围。"}
	extReasons     = []string{"问题涉及多个部门协调，需现场会商，申请延期办理。", "维修所需材料需要采购，预计需延长工期。", "需等待专业机构检测鉴定结果，申请延期。", "需召开业主大会表决，申请延长办理时限。"}
)

// play generates the steps of one request. idx is its index in Requests;
// parent the index of the case it duplicates (-1 if none); stop the open
// state to leave it in ("" to play it to the end).
func (g *gen) play(idx int, sd *seed, parent int, stop lifecycle.State) *sim {
	s := &sim{g: g, rng: g.pathRng, c: sd.c, stop: stop}
	s.c.ID = int64(idx + 1)
	l := sd.leaf
	online := indexOf(lifecycle.OnlineChannels, sd.c.Channel) >= 0
	creator := s.agent()
	switch {
	case sd.c.Channel == "grid":
		creator = sd.grid.worker
	case online:
		creator = -1 // submitted by the citizen through the portal
	}
	s.create(creator)
	stalled := stop != ""

	if online {
		at := s.now.Add(s.mins(5, 100))
		if !stalled && s.rng.Float64() < 0.03 {
			at = s.c.AcceptBy.Add(s.mins(10, 180))
		}
		if !s.do(at, s.agent(), lifecycle.Command{Action: lifecycle.ActAccept}, -1) {
			return s
		}
	}
	if parent >= 0 {
		s.do(s.now.Add(s.mins(5, 90)), s.centreUser(), lifecycle.Command{Action: lifecycle.ActMerge,
			ParentID: int64(parent + 1), Note: fmt.Sprintf("与工单%s反映同一问题，合并办理。", g.ds.Requests[parent].Case.Number)}, parent)
		return s
	}
	if !stalled {
		direct := (sd.c.Type == "consultation" && s.rng.Float64() < 0.62) || (sd.c.Type == "praise" && s.rng.Float64() < 0.6)
		if direct {
			note := pick(s.rng, answerNotes)
			if sd.c.Type == "praise" {
				note = "已记录市民表扬，并转达被表扬单位。"
			}
			s.do(s.now.Add(s.mins(2, 15)), s.agent(), lifecycle.Command{Action: lifecycle.ActAnswer, Note: note,
				Article: fmt.Sprintf("KB-%s-%02d", l.code, 1+s.rng.IntN(3))}, -1)
			return s
		}
	}

	// Dispatch, perhaps first to the wrong unit.
	right := g.route(l.route, sd.grid)
	// 属地: most problems at a place go to the street or township that
	// holds it, with the department as a co-handling unit now and then.
	var dept = -1
	if street := sd.grid.comm.str.office; right != street && l.where != "any" && s.rng.Float64() < 0.8 {
		dept, right = right, street
	}
	lead := right
	scenario := ""
	if !stalled {
		switch x := s.rng.Float64(); {
		case x < 0.03 && l.alt != "":
			scenario = "return-approved"
			lead = g.route(l.alt, sd.grid)
		case x < 0.05:
			scenario = "return-rejected"
		case x < 0.12 && (sd.c.Urgency == "general" || sd.c.Urgency == "complex"):
			scenario = "extension"
		}
		if lead == right && scenario == "return-approved" {
			scenario = ""
		}
	}
	var co []org.Unit
	if dept >= 0 && dept != lead && s.rng.Float64() < 0.25 {
		co = append(co, g.ds.Units[dept])
	} else if s.rng.Float64() < 0.08 {
		alt := g.route(l.alt, sd.grid)
		if l.alt == "" || alt == lead {
			alt = sd.grid.comm.str.office
		}
		if alt != lead {
			co = append(co, g.ds.Units[alt])
		}
	}
	at := s.now.Add(s.mins(5, 90))
	switch sd.c.Urgency {
	case "emergency":
		at = s.now.Add(s.mins(2, 20))
	case "utilities":
		at = s.now.Add(s.mins(4, 60))
	default:
		at = s.office(at)
	}
	if stalled && sd.c.Urgency != "emergency" {
		at = s.now.Add(s.mins(3, 40))
	}
	if !s.do(at, s.centreUser(), lifecycle.Command{Action: lifecycle.ActDispatch, Unit: s.unitRef(lead), CoUnits: co}, -1) {
		return s
	}
	supervised := !stalled && s.rng.Float64() < 0.04

	// 退单.
	if scenario == "return-approved" || scenario == "return-rejected" {
		if s.rng.IntN(2) == 0 && !s.sign(lead, stalled, g.level(lead, s.now)) {
			return s
		}
		window := s.c.ReturnBy.Sub(s.now)
		if window > 2*time.Minute {
			at := s.now.Add(time.Duration(s.rng.Float64() * float64(min(window-time.Minute, 5*time.Hour))))
			reason := pick(s.rng, rejectReasons)
			if scenario == "return-approved" {
				reason = "经核实，该诉求属于" + g.ds.Units[right].Name + "职责范围，非我单位职责，申请退单。"
			}
			if !s.do(at, s.handler(lead), lifecycle.Command{Action: lifecycle.ActRequestReturn, Reason: reason}, -1) {
				return s
			}
			at = s.now.Add(s.mins(15, 180))
			if scenario == "return-approved" {
				if s.rng.IntN(5) == 0 {
					// Back to the centre, then dispatched afresh.
					if !s.do(at, s.dispatcher(), lifecycle.Command{Action: lifecycle.ActApproveReturn, Note: "同意退单，退回中心重新派单。"}, -1) {
						return s
					}
					if !s.do(s.now.Add(s.mins(10, 60)), s.dispatcher(), lifecycle.Command{Action: lifecycle.ActDispatch, Unit: s.unitRef(right)}, -1) {
						return s
					}
				} else if !s.do(at, s.dispatcher(), lifecycle.Command{Action: lifecycle.ActApproveReturn, Unit: s.unitRef(right),
					Note: "同意退单，改派" + g.ds.Units[right].Name + "办理。"}, -1) {
					return s
				}
				lead = right
			} else if !s.do(at, s.dispatcher(), lifecycle.Command{Action: lifecycle.ActRejectReturn,
				Note: "经核实，诉求事项属于贵单位职责范围，请按照首接负责制认真办理。"}, -1) {
				return s
			}
		}
	}

	for round := 0; ; round++ {
		q := g.level(lead, s.now)
		if s.c.State == lifecycle.Dispatched && !s.sign(lead, stalled, q) {
			return s
		}
		hasPhone := !s.c.Citizen.Anonymous && s.c.Citizen.Phone != ""
		if hasPhone || stalled || s.rng.IntN(3) == 0 {
			at := s.now.Add(s.mins(10, 300))
			if !stalled && s.rng.Float64() < 0.01+0.35*(1-q)*(1-q) {
				// Contacted only the next day or later: not responded in time.
				at = s.now.Add(s.mins(25*60, 60*60))
			}
			if sd.c.Urgency == "emergency" {
				at = s.now.Add(s.mins(3, 15))
			}
			at = s.before(s.office(at), s.c.ReplyBy, 20*time.Minute)
			means := pick(s.rng, []string{"phone", "phone", "phone", "phone", "phone", "phone", "visit", "sms"})
			if !s.do(at, s.handler(lead), lifecycle.Command{Action: lifecycle.ActContact, Means: means}, -1) {
				return s
			}
		}
		if supervised && round == 0 {
			if !s.do(s.now.Add(s.mins(30, 600)), s.supervisor(), lifecycle.Command{Action: lifecycle.ActSupervise, Note: pick(s.rng, superviseNotes)}, -1) {
				return s
			}
		}
		for _, cu := range s.c.CoUnitIDs {
			ui := int(cu - 1)
			at := s.before(s.office(s.now.Add(s.mins(30, 24*60))), s.c.ReplyBy, 2*time.Hour)
			if !s.do(at, s.g.om.handler[ui], lifecycle.Command{Action: lifecycle.ActAssist,
				Note: g.ds.Units[ui].Name + "已配合现场核查，相关情况已反馈主办单位。"}, -1) {
				return s
			}
		}
		nprog := 0
		if sd.c.Urgency == "general" || sd.c.Urgency == "complex" {
			nprog = s.rng.IntN(3)
		}
		if stalled && stop == lifecycle.Handling {
			nprog = 1
		}
		for range nprog {
			span := s.c.ReplyBy.Sub(s.now)
			at := s.now.Add(time.Duration(s.rng.Float64() * 0.4 * float64(max(span, time.Hour))))
			if !s.do(s.office(at), s.handler(lead), lifecycle.Command{Action: lifecycle.ActProgress, Note: pick(s.rng, progressNotes)}, -1) {
				return s
			}
		}
		if scenario == "extension" && round == 0 {
			span := s.c.ReplyBy.Sub(s.now)
			if span > time.Hour {
				at := s.now.Add(time.Duration((0.2 + 0.6*s.rng.Float64()) * float64(span)))
				to := g.env.Cal.AddWorkdays(s.c.ReplyBy, 3+s.rng.IntN(8))
				if !s.do(at, s.handler(lead), lifecycle.Command{Action: lifecycle.ActRequestExtension, ReplyBy: to, Reason: pick(s.rng, extReasons)}, -1) {
					return s
				}
				at = s.now.Add(s.mins(30, 360))
				if s.rng.Float64() < 0.7 {
					if !s.do(at, s.dispatcher(), lifecycle.Command{Action: lifecycle.ActApproveExtension, Note: "同意延期。"}, -1) {
						return s
					}
				} else if !s.do(at, s.dispatcher(), lifecycle.Command{Action: lifecycle.ActRejectExtension, Note: "延期理由不充分，请在原时限内办结。"}, -1) {
					return s
				}
			}
		}

		// 答复.
		span := s.c.ReplyBy.Sub(s.now)
		var at time.Time
		switch {
		case sd.c.Urgency == "emergency":
			at = s.now.Add(s.mins(10, 80))
		case span <= 0:
			at = s.now.Add(s.mins(20, 240))
		default:
			// Streets carry most of the work and reply later in the time
			// limit; the weaker a unit, the closer to the deadline.
			lo := 0.1 + 0.3*(1-q)
			if g.ds.Units[lead].Kind == org.KindStreet {
				lo += 0.3
			}
			at = s.now.Add(time.Duration((lo + (0.97-lo)*s.rng.Float64()) * float64(span)))
			at = s.office(at)
		}
		late := !stalled && s.rng.Float64() < 0.005+0.2*(1-q)*(1-q)
		if late {
			at = s.c.ReplyBy.Add(s.mins(30, 48*60))
		} else {
			at = s.before(at, s.c.ReplyBy, 5*time.Minute)
		}
		result, note, reason := g.replyText(s, sd, lead, round)
		if !s.do(at, s.handler(lead), lifecycle.Command{Action: lifecycle.ActReply, Result: result, Note: note, Reason: reason}, -1) {
			return s
		}

		// 回访.
		at = s.now.Add(s.mins(4*60, 3*24*60))
		if lt := at.In(g.loc); lt.Hour() < 9 || lt.Hour() >= 20 {
			at = time.Date(lt.Year(), lt.Month(), lt.Day()+1, 9+s.rng.IntN(8), s.rng.IntN(60), 0, 0, g.loc)
		}
		switch {
		case !hasPhone && s.c.Citizen.Anonymous:
			s.do(at, s.dispatcher(), lifecycle.Command{Action: lifecycle.ActClose, Reason: "匿名诉求，无法回访，予以结案。"}, -1)
			return s
		case !hasPhone:
			s.do(at, s.dispatcher(), lifecycle.Command{Action: lifecycle.ActClose, Reason: "网格员上报事项，经核实已处置完毕，予以结案。"}, -1)
			return s
		case s.rng.Float64() < 0.02:
			s.do(at, s.dispatcher(), lifecycle.Command{Action: lifecycle.ActClose, Reason: "三次回访均未接通，予以结案。"}, -1)
			return s
		}
		sat, resolved := g.satisfaction(s.rng, result, round, sd.c.Type, g.level(lead, at))
		reopen := sat == lifecycle.Unsatisfied && s.c.ReopenCount < g.env.ReopenLimit && s.rng.Float64() < 0.45
		cmd := lifecycle.Command{Action: lifecycle.ActCallback, Satisfaction: sat, Resolved: &resolved, Reopen: reopen}
		if reopen {
			cmd.Note = "诉求人表示问题未解决，重新派单办理。"
		}
		if !s.do(at, s.agent(), cmd, -1) || !reopen {
			return s
		}
	}
}

// sign records 签收, occasionally late (more often for weaker units).
func (s *sim) sign(lead int, stalled bool, q float64) bool {
	at := s.now.Add(s.mins(5, 100))
	if s.c.Urgency == "emergency" {
		at = s.now.Add(s.mins(2, 20))
	}
	if !s.c.SignBy.IsZero() && !stalled && s.rng.Float64() < 0.005+0.08*(1-q) {
		at = s.c.SignBy.Add(s.mins(10, 240))
	} else {
		at = s.before(at, s.c.SignBy, time.Minute)
	}
	return s.do(at, s.handler(lead), lifecycle.Command{Action: lifecycle.ActSign}, -1)
}

// Reply parts: a reply is composed from an opening, how the unit met the
// citizen, what it checked where, what it did and a closing, so that the
// replies of one category read like the work of different people.
var (
	replyOpen = []string{"接单后", "收到工单后", "高度重视，接单后", "签收工单后", "接到派单后", "对该诉求高度重视，"}
	replyMeet = []string{"及时与诉求人取得联系", "第一时间电话联系诉求人", "联系诉求人了解具体情况", "与诉求人电话沟通", "安排专人与诉求人对接"}
	replySite = []string{"并到现场核实", "并派工作人员到{地点}现场查看", "会同社区工作人员到{地点}实地核查", "组织人员赴{地点}进行勘查",
		"到{地点}走访周边居民了解情况", "协调相关方到{地点}现场办公"}
	replyAfter = []string{"", "，后续将加强日常巡查，防止问题反弹", "，已纳入台账跟踪管理", "，已在社区公示栏张贴告示",
		"，并对相关责任人进行了批评教育", "，已安排网格员定期回头看"}
	replyClose = []string{"诉求人对处理结果表示认可。", "诉求人表示满意。", "已将处理结果告知诉求人。", "诉求人表示认可，同意结案。",
		"诉求人对办理结果无异议。", "已向诉求人反馈办理结果。"}
	replyExplainClose = []string{"已向诉求人做好解释说明，诉求人表示理解。", "已向诉求人耐心解释，诉求人表示知晓。",
		"已向诉求人说明相关规定及后续安排。", "已将有关情况详细告知诉求人。"}
	consultReply = []string{"就所咨询的问题进行了详细解答", "告知了相关政策规定和办理流程", "说明了办理条件、所需材料和办理地点",
		"解答了诉求人关心的问题并提供了咨询电话", "讲解了线上办理入口和操作步骤"}
	consultClose = []string{"诉求人表示问题已解决。", "并协助其完成办理，诉求人表示满意。", "诉求人表示清楚。", "诉求人表示知晓。"}
	fixGeneric   = []string{"经协调处理，问题已解决", "已督促责任单位完成整改", "已组织人员处置完毕", "相关问题已整改到位", "经现场协调，问题已妥善处理"}
)

// replyText chooses the reply's result and writes it. The weaker the
// unit, the fewer problems it solves.
func (g *gen) replyText(s *sim, sd *seed, lead, round int) (result, note, reason string) {
	unit := g.ds.Units[lead].Name
	rng := s.rng
	place := sd.slots.compound
	if sd.leaf.where == "road" || sd.leaf.where == "shop" || rng.IntN(3) == 0 {
		place = sd.slots.road
	}
	meet := pick(rng, replyMeet)
	if !s.c.ContactedAt.IsZero() && rng.IntN(3) == 0 {
		meet = "于" + s.c.ContactedAt.In(g.loc).Format("1月2日") + "与诉求人取得联系"
	}
	fill := func(t string) string { return strings.ReplaceAll(t, "{地点}", place) }
	switch sd.c.Type {
	case "praise":
		return lifecycle.ResultExplained, unit + pick(rng, []string{"已收悉群众表扬，将继续做好服务工作。", "感谢市民的肯定，将再接再厉，持续提升服务水平。",
			"已将表扬转达相关工作人员，并在单位内部通报。"}), ""
	case "suggestion":
		if rng.IntN(3) == 0 {
			return lifecycle.ResultResolved, "感谢市民的建议，" + unit + pick(rng, []string{"已采纳并落实相关措施", "已结合" + place + "实际情况落实整改", "已将建议纳入近期工作安排并组织实施"}) + "，" + pick(rng, replyClose), ""
		}
		return lifecycle.ResultExplained, "感谢市民的建议，" + unit + pick(rng, []string{"已转相关科室研究，在今后工作中予以参考采纳", "将在制定年度计划时统筹考虑", "已记录在案，将适时组织论证"}) + "，" + pick(rng, replyExplainClose), ""
	case "consultation":
		body := unit + pick(rng, replyOpen) + meet + "，" + pick(rng, consultReply) + "，"
		if rng.IntN(10) < 7 {
			return lifecycle.ResultResolved, body + pick(rng, consultClose[:2]), ""
		}
		return lifecycle.ResultExplained, body + pick(rng, consultClose[2:]), ""
	}
	q := g.level(lead, s.now)
	x := rng.Float64()
	if round > 0 {
		x *= 0.8
	}
	resolved := 0.5 + 0.42*q
	switch {
	case x < resolved:
		fix := sd.leaf.fix
		if fix == "" || rng.IntN(3) == 0 {
			fix = pick(rng, fixGeneric)
		}
		return lifecycle.ResultResolved, unit + pick(rng, replyOpen) + meet + fill(pick(rng, replySite)) + "，" + fix + pick(rng, replyAfter) + "。" + pick(rng, replyClose), ""
	case x < resolved+0.6*(1-resolved):
		return lifecycle.ResultExplained, unit + pick(rng, replyOpen) + meet + fill(pick(rng, replySite)) + "，" + pick(rng, explainTexts) + "，" + pick(rng, replyExplainClose), ""
	}
	r := pick(rng, unresolvable)
	return lifecycle.ResultUnresolvable, unit + pick(rng, replyOpen) + fill(pick(rng, replySite)) + "，因" + r + "，暂时无法解决，" + pick(rng, replyExplainClose), r
}

// satisfaction draws the callback answer from the reply's result.
func (g *gen) satisfaction(rng *rand.Rand, result string, round int, typ string, q float64) (string, bool) {
	x := rng.Float64()
	if round > 0 {
		x *= 0.7
	}
	// Citizens of a weaker unit are less often satisfied.
	x = min(x+0.3*(0.75-q), 0.999)
	if x < 0 {
		x = 0
	}
	var sat string
	switch {
	case typ == "praise" || typ == "suggestion" || typ == "consultation":
		sat = pickSat(x, 0.86, 0.97)
	case result == lifecycle.ResultResolved:
		sat = pickSat(x, 0.88, 0.97)
	case result == lifecycle.ResultExplained:
		sat = pickSat(x, 0.62, 0.84)
	default:
		sat = pickSat(x, 0.25, 0.55)
	}
	resolved := false
	switch result {
	case lifecycle.ResultResolved:
		resolved = sat != lifecycle.Unsatisfied || rng.IntN(3) == 0
	case lifecycle.ResultExplained:
		resolved = sat != lifecycle.Unsatisfied && rng.IntN(2) == 0
	}
	return sat, resolved
}

func pickSat(x, a, b float64) string {
	switch {
	case x < a:
		return lifecycle.Satisfied
	case x < b:
		return lifecycle.FairlySatisfied
	}
	return lifecycle.Unsatisfied
}
