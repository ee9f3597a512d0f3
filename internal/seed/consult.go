package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"whistle/internal/consult"
	"whistle/internal/org"
	"whistle/internal/services"
	"whistle/internal/store"
)

// consultDemo gives the demo city its 问需于民 and 项目制 records (issue
// #15), deterministically: three surveys of two streets (two open, one
// closed) with a few hundred answers, last year's practical-matters list
// decided (its adopted items became projects, one under way, one finished
// and rated) and this year's in its vote, and two projects proposed by a
// street's community and a social organisation (one awaiting the street,
// one rejected). Everything goes through the participation service but the
// answers and votes of the past, written with their own times.
func consultDemo(ctx context.Context, svc *services.Services) error {
	var streets []org.Actor
	var centre org.Actor
	for _, u := range svc.UnitsList() {
		users, err := svc.St.Users(ctx, u.ID)
		if err != nil {
			return err
		}
		for _, us := range users {
			a, err := svc.Actor(us)
			if err != nil {
				return err
			}
			switch {
			case u.Kind == org.KindCityCentre && us.Has(org.RoleDispatcher) && centre.User.ID == 0:
				centre = a
			case u.Kind == org.KindStreet && us.Has(org.RoleHandler) && u.PlaceID != 0 && (len(streets) == 0 || streets[len(streets)-1].Unit.ID != u.ID) && len(streets) < 2:
				streets = append(streets, a)
			}
		}
	}
	if len(streets) < 2 || centre.User.ID == 0 {
		return fmt.Errorf("consult demo: %d streets with a handler, centre %d", len(streets), centre.User.ID)
	}
	rng := rand.New(rand.NewPCG(15, 2026))
	now := svc.Now()
	p := svc.Consult
	place := func(a org.Actor, i int) int64 {
		cs := svc.Children(a.Unit.PlaceID)
		if len(cs) == 0 {
			return a.Unit.PlaceID
		}
		return cs[i%len(cs)].ID
	}
	phone := func(i int) string { return fmt.Sprintf("139%08d", 10000000+i*7919%90000000) }

	// Surveys.
	texts := []string{"希望增加停车位", "晚上停车太难，希望增加停车位", "建议错时开放单位停车场", "电动车充电桩不够", "楼下充电桩太少", "希望规范共享单车停放",
		"共享单车乱停影响出行", "建议增加路灯", "路灯太暗", "没意见", "希望加装电梯", "老楼加装电梯费用希望政府补贴"}
	surveys := []struct {
		street  int
		title   string
		intro   string
		qs      []consult.Question
		answers int
		closed  bool
		anon    bool
	}{
		{0, "社区停车与充电设施意见征集", "为改善社区停车和电动车充电条件，请居民朋友留下宝贵意见。", []consult.Question{
			{Kind: consult.Single, Text: "您是否支持错时共享停车？", Options: []string{"支持", "反对", "无所谓"}, Required: true},
			{Kind: consult.Multi, Text: "您最关心哪些问题？", Options: []string{"车位数量", "停车收费", "充电桩", "消防通道"}},
			{Kind: consult.Scale, Text: "您觉得停车难的程度", Required: true},
			{Kind: consult.Text, Text: "其他意见和建议"},
		}, 180, false, false},
		{1, "老旧小区加装电梯意愿调查", "", []consult.Question{
			{Kind: consult.Single, Text: "您所在楼栋是否需要加装电梯？", Options: []string{"需要", "不需要", "看费用"}, Required: true},
			{Kind: consult.Scale, Text: "您愿意承担费用的程度"},
			{Kind: consult.Text, Text: "您的顾虑"},
		}, 120, false, true},
		{0, "口袋公园设计方案征求意见", "方案已公示，征集期已结束。", []consult.Question{
			{Kind: consult.Single, Text: "您更喜欢哪个方案？", Options: []string{"方案一：儿童活动为主", "方案二：老年健身为主", "方案三：绿地休闲为主"}, Required: true},
			{Kind: consult.Scale, Text: "对整体设计的满意度", Required: true},
		}, 90, true, false},
	}
	for k, d := range surveys {
		a := streets[d.street]
		in := consult.Survey{Title: d.title, Intro: d.intro, Questions: d.qs, PlaceIDs: []int64{place(a, k), place(a, k+1)},
			OpensAt: now.AddDate(0, 0, -20), ClosesAt: now.AddDate(0, 0, 10), AllowAnonymous: d.anon}
		sv, err := p.CreateSurvey(ctx, a, in)
		if err != nil {
			return fmt.Errorf("survey %q: %w", d.title, err)
		}
		if sv, err = p.PublishSurvey(ctx, a, sv.ID); err != nil {
			return err
		}
		err = svc.St.Write(ctx, func(tx *store.Tx) error {
			for i := range d.answers {
				rs := make([]consult.Reply, len(d.qs))
				for j, q := range d.qs {
					switch q.Kind {
					case consult.Single:
						// skewed: the first options more often
						rs[j].Choices = []int{min(rng.IntN(len(q.Options)+2), rng.IntN(len(q.Options)))}
					case consult.Multi:
						for o := range q.Options {
							if rng.IntN(3) == 0 {
								rs[j].Choices = append(rs[j].Choices, o)
							}
						}
					case consult.Scale:
						rs[j].Scale = 1 + min(4, rng.IntN(3)+rng.IntN(3))
					case consult.Text:
						if rng.IntN(3) == 0 {
							rs[j].Text = texts[rng.IntN(len(texts))]
						}
					}
				}
				at := now.AddDate(0, 0, -19).Add(time.Duration(i) * 90 * time.Minute)
				if err := consult.CheckAnswer(sv, rs, at); err != nil {
					return fmt.Errorf("answer %d: %w", i, err)
				}
				key := "p:" + svc.PhoneHash(phone(k*1000+i))
				if d.anon && i%3 == 0 {
					key = "c:" + svc.PhoneHash(fmt.Sprintf("cookie:demo-%d-%d", k, i))
				}
				if err := tx.InsertSurveyAnswer(ctx, sv.ID, key, rs, at); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if d.closed {
			if _, err := p.CloseSurvey(ctx, a, sv.ID); err != nil {
				return err
			}
		}
	}

	// Last year's practical-matters list, decided: its items became projects.
	last, err := p.OpenRound(ctx, centre, now.Year()-1, "民生实事项目征集", 3)
	if err != nil {
		return err
	}
	lastItems := []struct {
		title, detail string
		street, votes int
	}{
		{"老旧小区楼道照明改造", "更换楼道声控灯，解决夜间出行不便", 0, 48},
		{"社区养老驿站助餐服务", "为高龄老人提供午餐配送", 1, 61},
		{"背街小巷路面修缮", "修补破损路面和井盖", 0, 22},
		{"增设电动自行车充电棚", "集中充电，消除飞线充电隐患", 1, 35},
	}
	var lastIDs []int64
	for i, it := range lastItems {
		x, err := p.Propose(ctx, last.ID, phone(5000+i), it.title, it.detail, place(streets[it.street], i))
		if err != nil {
			return err
		}
		if _, err := p.Shortlist(ctx, centre, x.ID, true, "符合民生实事条件"); err != nil {
			return err
		}
		lastIDs = append(lastIDs, x.ID)
	}
	if _, err := p.OpenVoting(ctx, centre, last.ID); err != nil {
		return err
	}
	for i, it := range lastItems {
		for v := range it.votes {
			if err := p.Vote(ctx, lastIDs[i], phone(6000+v*3+i%3)); err != nil {
				return fmt.Errorf("vote: %w", err)
			}
		}
	}
	projects, err := p.Adopt(ctx, centre, last.ID, 2)
	if err != nil {
		return err
	}
	streetOf := func(pr consult.Project) org.Actor {
		for _, a := range streets {
			if a.Unit.ID == pr.StreetID {
				return a
			}
		}
		return streets[0]
	}
	for i, pr := range projects {
		a := streetOf(pr)
		if _, err := p.DecideProject(ctx, a, pr.ID, true, int64(80000+i*40000)*100, ""); err != nil {
			return err
		}
		steps := []struct {
			note    string
			percent int
			fen     int64
			purpose string
		}{{"完成需求摸排和方案设计", 20, 12000_00, "方案设计"}, {"主体施工完成", 70, 38000_00, "材料与施工"}, {"验收完成，投入使用", 100, 15000_00, "验收与尾款"}}
		for j, st := range steps {
			if i == 0 && j == 2 {
				break // the first is still under way
			}
			if _, err := p.ReportProgress(ctx, a, pr.ID, consult.Report{Note: st.note, Percent: st.percent}); err != nil {
				return err
			}
			if _, err := p.Spend(ctx, a, pr.ID, consult.Spending{AmountFen: st.fen, Purpose: st.purpose}); err != nil {
				return err
			}
		}
		if i == 1 {
			if _, err := p.FinishProject(ctx, a, pr.ID); err != nil {
				return err
			}
			comments := []string{"老人吃饭方便多了", "饭菜可口，价格实惠", "希望增加配送时段", "", "服务很周到"}
			for e := range 24 {
				stars := 5 - min(rng.IntN(4), rng.IntN(3))
				if err := p.Evaluate(ctx, pr.ID, phone(8000+e), consult.Evaluation{Stars: stars, Comment: comments[e%len(comments)]}); err != nil {
					return err
				}
			}
		}
	}

	// This year's list, in its vote.
	cur, err := p.OpenRound(ctx, centre, now.Year(), "民生实事项目征集", 3)
	if err != nil {
		return err
	}
	curItems := []struct {
		title  string
		street int
		keep   bool
	}{{"口袋公园建设", 0, true}, {"社区食堂", 1, true}, {"加装无障碍坡道", 0, true}, {"小区门口增设信号灯", 1, true}, {"修建地下停车场", 0, false}}
	var curIDs []int64
	for i, it := range curItems {
		x, err := p.Propose(ctx, cur.ID, phone(9000+i), it.title, "", place(streets[it.street], i))
		if err != nil {
			return err
		}
		note := "纳入投票"
		if !it.keep {
			note = "投资规模超出社区项目范围，转相关部门研究"
		}
		if _, err := p.Shortlist(ctx, centre, x.ID, it.keep, note); err != nil {
			return err
		}
		if it.keep {
			curIDs = append(curIDs, x.ID)
		}
	}
	if _, err := p.OpenVoting(ctx, centre, cur.ID); err != nil {
		return err
	}
	for v := range 90 {
		for k := range 1 + v%3 {
			_ = p.Vote(ctx, curIDs[(v+k*k+rng.IntN(2))%len(curIDs)], phone(12000+v)) // a repeat is refused, as on the portal
		}
	}

	// Projects a community and a social organisation proposed.
	a := streets[0]
	if _, err := p.ProposeProject(ctx, a, consult.Project{Title: "楼门文化墙美化", Need: "楼门墙面破旧，居民希望美化", Plan: "组织居民共同设计绘制",
		PlaceID: place(a, 0), BudgetFen: 18000_00, ProposerOrg: "阳光社工服务中心"}); err != nil {
		return err
	}
	rej, err := p.ProposeProject(ctx, a, consult.Project{Title: "社区健身器材更新", Need: "器材老化", Plan: "更换全部器材", PlaceID: place(a, 1), BudgetFen: 260000_00})
	if err != nil {
		return err
	}
	_, err = p.DecideProject(ctx, a, rej.ID, false, 0, "已纳入区体育局全民健身工程统一更新")
	return err
}
