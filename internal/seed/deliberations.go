package seed

import (
	"context"
	"fmt"
	"time"

	"whistle/internal/deliberation"
	"whistle/internal/deliberations"
	"whistle/internal/demo"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/services"
)

// demoDeliberations plays six community deliberations (议事协商) of the
// first two street offices through the real service, so that the demo
// shows every state: one closed with both follow-up tasks done, one
// decided with one of two tasks done, one with a meeting scheduled, one on
// the agenda, a residents' proposal awaiting review and one declined.
// Like the patrols and whistles, they are part of the city's activity
// (Options.Activity: the demo command), so the tests' small cities keep
// their inboxes to themselves.
func demoDeliberations(ctx context.Context, svc *services.Services, opts demo.Options) error {
	if !opts.Activity {
		return nil
	}
	type street struct {
		handler   org.Actor
		community int64
		cases     []int64
	}
	var streets []street
	var dept org.Actor
	// A residents' proposal goes to the community's own unit where it has
	// one (deliberations.OwnerFor); the street offices' items here are
	// about communities without one, which the street itself serves.
	communityUnit := map[int64]bool{}
	for _, u := range svc.UnitsList() {
		if u.Kind == org.KindCommunity {
			communityUnit[u.PlaceID] = true
		}
	}
	for _, u := range svc.UnitsList() {
		if u.Kind != org.KindStreet && u.Kind != org.KindDepartment {
			continue
		}
		users, err := svc.St.Users(ctx, u.ID)
		if err != nil {
			return err
		}
		var h org.Actor
		for _, us := range users {
			if us.Has(org.RoleHandler) && !us.Disabled {
				if h, err = svc.Actor(us); err != nil {
					return err
				}
				break
			}
		}
		if h.User.ID == 0 {
			continue
		}
		if u.Kind == org.KindDepartment {
			if dept.User.ID == 0 {
				dept = h
			}
			continue
		}
		if len(streets) == 2 {
			continue
		}
		st := street{handler: h}
		for _, p := range svc.Children(u.PlaceID) {
			if p.Level == org.LevelCommunity && !communityUnit[p.ID] {
				st.community = p.ID
				break
			}
		}
		if st.community == 0 {
			continue
		}
		page, err := svc.Cases.List(ctx, h, lifecycle.CaseFilter{LeadUnitID: u.ID, Limit: 6})
		if err != nil {
			return err
		}
		for _, c := range page.Cases {
			st.cases = append(st.cases, c.ID)
		}
		streets = append(streets, st)
	}
	if len(streets) == 0 || dept.User.ID == 0 {
		return nil // a city without streets or departments has nothing to deliberate
	}
	d, now := svc.Deliberations, svc.Now()
	day := 24 * time.Hour
	// evening is 19:00 on the day days from now (meetings are held after work).
	evening := func(days int) time.Time {
		t := now.AddDate(0, 0, days)
		return time.Date(t.Year(), t.Month(), t.Day(), 19, 0, 0, 0, t.Location())
	}
	// item raises an item from up to two of the street's requests, or, in a
	// city too small to have them, takes it as a residents' proposal.
	item := func(s street, from int, title, summary string) (*deliberations.View, error) {
		if from+1 < len(s.cases) {
			return d.Raise(ctx, s.handler, deliberations.RaiseInput{Title: title, Summary: summary, PlaceID: s.community, CaseIDs: s.cases[from : from+2]})
		}
		id, err := d.Propose(ctx, deliberations.ProposeInput{PlaceID: s.community, Title: title, Summary: summary, Name: "刘桂芬", Phone: "13800138011"})
		if err != nil {
			return nil, err
		}
		return d.Accept(ctx, s.handler, id, 0)
	}
	people := func(s street) []deliberation.Participant {
		return []deliberation.Participant{
			{Kind: deliberation.PartResident, Name: "王秀兰"}, {Kind: deliberation.PartResident, Name: "陈建国"}, {Kind: deliberation.PartResident, Name: "赵丽华"},
			{Kind: deliberation.PartProperty, Name: "物业服务中心"}, {Kind: deliberation.PartOwners, Name: "业主委员会"},
			{Kind: deliberation.PartDept, UnitID: dept.Unit.ID}, {Kind: deliberation.PartStaff, UnitID: s.handler.Unit.ID}, {Kind: deliberation.PartDeputy, Name: "区人大代表"},
		}
	}
	// decided schedules, holds and decides an item, then assigns its tasks.
	decided := func(v *deliberations.View, s street, at time.Time, venue, minutes, motion string, votes deliberation.Votes, tasks []deliberations.TaskInput) (*deliberations.View, error) {
		v, err := d.Schedule(ctx, s.handler, v.Item.ID, deliberations.MeetingInput{Version: v.Item.Version, At: at, Venue: venue, Participants: people(s)})
		if err != nil {
			return nil, err
		}
		v, err = d.Decide(ctx, s.handler, v.Item.ID, deliberations.DecisionInput{Version: v.Item.Version, Minutes: minutes, Motion: motion, Votes: votes, Quorum: 15})
		if err != nil {
			return nil, err
		}
		return d.AddTasks(ctx, s.handler, v.Item.ID, v.Item.Version, tasks)
	}
	done := func(v *deliberations.View, i int, note string) error {
		owner := dept
		if v.Tasks[i].UnitID != dept.Unit.ID {
			for _, s := range streets {
				if s.handler.Unit.ID == v.Tasks[i].UnitID {
					owner = s.handler
				}
			}
		}
		_, err := svc.Insight.CompleteTask(ctx, owner, v.Tasks[i].ID, note)
		return err
	}
	a := streets[0]
	b := streets[len(streets)-1]

	// 1. Closed: parking in the compound, both tasks done.
	v, err := item(a, 0, "小区夜间停车难、占用消防通道", "多位居民反映晚间车辆乱停，消防通道被占。")
	if err != nil {
		return fmt.Errorf("deliberation 1: %w", err)
	}
	v, err = decided(v, a, evening(-20), "社区党群服务中心议事厅", "居民代表、物业、业委会和交通部门就夜间停车逐一发言；物业提出利用闲置场地施划临时车位，业委会同意共同管理。",
		"利用小区东侧闲置场地施划夜间临时停车位，消防通道全天禁停", deliberation.Votes{For: 16, Against: 2, Abstain: 1},
		[]deliberations.TaskInput{{UnitID: dept.Unit.ID, Title: "施划消防通道禁停标线", DueAt: now.Add(10 * day)}, {UnitID: a.handler.Unit.ID, Title: "组织物业施划临时停车位", DueAt: now.Add(14 * day)}})
	if err != nil {
		return fmt.Errorf("deliberation 1: %w", err)
	}
	for i, note := range []string{"禁停标线已施划完毕", "临时车位 24 个已启用"} {
		if err := done(v, i, note); err != nil {
			return fmt.Errorf("deliberation 1: %w", err)
		}
	}
	if _, err := d.Close(ctx, a.handler, v.Item.ID, 0); err != nil {
		return fmt.Errorf("deliberation 1: %w", err)
	}

	// 2. Decided: a garbage sorting station, one of two tasks done.
	v, err = item(b, 2, "垃圾分类驿站选址", "现驿站紧邻住宅楼，夏季异味扰民。")
	if err != nil {
		return fmt.Errorf("deliberation 2: %w", err)
	}
	v, err = decided(v, b, evening(-6), "社区居委会会议室", "三个候选位置逐一踏勘后讨论；居民多数倾向北门外绿化带旁，物业承诺每日两次清洗。",
		"将垃圾分类驿站迁至北门外绿化带旁，物业每日清洗两次", deliberation.Votes{For: 13, Against: 4, Abstain: 2},
		[]deliberations.TaskInput{{UnitID: b.handler.Unit.ID, Title: "完成驿站迁移和围挡", DueAt: now.Add(5 * day)}, {UnitID: dept.Unit.ID, Title: "调整清运路线和时间", DueAt: now.Add(12 * day)}})
	if err != nil {
		return fmt.Errorf("deliberation 2: %w", err)
	}
	if err := done(v, 0, "驿站已迁至北门外，围挡完成"); err != nil {
		return fmt.Errorf("deliberation 2: %w", err)
	}

	// 3. Scheduled: a residents' proposal for a lift, meeting next week.
	id, err := d.Propose(ctx, deliberations.ProposeInput{PlaceID: a.community, Title: "老楼加装电梯意见征集", Summary: "5 号楼老人多，希望加装电梯，需一层住户同意。", Name: "孙玉梅", Phone: "13800138012"})
	if err != nil {
		return fmt.Errorf("deliberation 3: %w", err)
	}
	if v, err = d.Accept(ctx, a.handler, id, 0); err != nil {
		return fmt.Errorf("deliberation 3: %w", err)
	}
	if _, err := d.Schedule(ctx, a.handler, id, deliberations.MeetingInput{Version: v.Item.Version, At: evening(5), Venue: "5 号楼下小院议事厅", Participants: people(a)}); err != nil {
		return fmt.Errorf("deliberation 3: %w", err)
	}

	// 4. On the agenda: noise from a night market.
	if _, err := item(b, 0, "夜市噪声和油烟扰民", "夏季夜市经营至凌晨，临街住户休息受影响。"); err != nil {
		return fmt.Errorf("deliberation 4: %w", err)
	}

	// 5. A residents' proposal awaiting review.
	if _, err := d.Propose(ctx, deliberations.ProposeInput{PlaceID: b.community, Title: "增设儿童游乐设施", Summary: "小区内没有儿童活动场地。", Name: "周小燕", Phone: "13800138013"}); err != nil {
		return fmt.Errorf("deliberation 5: %w", err)
	}

	// 6. Declined: outside what a council decides.
	id, err = d.Propose(ctx, deliberations.ProposeInput{PlaceID: a.community, Title: "取消小区物业费", Summary: "认为物业费过高。", Phone: "13800138014"})
	if err != nil {
		return fmt.Errorf("deliberation 6: %w", err)
	}
	if _, err := d.Decline(ctx, a.handler, id, 0, "物业收费标准由业主大会依法决定，已转业委会答复"); err != nil {
		return fmt.Errorf("deliberation 6: %w", err)
	}
	return nil
}
