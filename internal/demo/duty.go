package demo

import (
	"strings"

	"whistle/internal/dutylist"
	"whistle/internal/knowledge"
)

// target turns a leaf's route key ("street", "dist:<key>", "city:<key>",
// "ent:<key>") into a duty-list target.
func target(route string) dutylist.Target {
	kind, key, _ := strings.Cut(route, ":")
	switch kind {
	case "street":
		return dutylist.Target{Role: dutylist.RoleStreet}
	case "dist":
		return dutylist.Target{Role: dutylist.RoleDistrictDept, Key: key}
	case "city":
		return dutylist.Target{Unit: "city-" + key}
	case "ent":
		return dutylist.Target{Unit: "ent-" + key}
	}
	return dutylist.Target{Role: dutylist.RoleDistrictCentre}
}

// DutyRules is the demo city's dispatch catalogue: a catch-all to the
// district branch centre (rule 1), one rule per leaf category to the unit
// that owns it (rules 101…, in taxonomy order), and a few rules that show
// keywords, co-handlers and an ambiguity the history tie-breaker settles.
func DutyRules() []dutylist.Rule {
	rules := []dutylist.Rule{{ID: 1, Lead: dutylist.Target{Role: dutylist.RoleDistrictCentre}, Label: "兜底：区分中心"}}
	for i, l := range leaves {
		r := dutylist.Rule{ID: 101 + i, Category: l.code, Lead: target(l.route), Label: l.zh}
		if l.code == "urban.stall" {
			r.Co = []dutylist.Target{{Role: dutylist.RoleDistrictDept, Key: "cgzf"}}
		}
		rules = append(rules, r)
	}
	n := 101 + len(leaves)
	rules = append(rules,
		// 早市/夜市占道 also concerns market regulation.
		dutylist.Rule{ID: n, Category: "urban.stall", Keywords: []string{"早市", "夜市"}, Lead: dutylist.Target{Role: dutylist.RoleStreet},
			Co: []dutylist.Target{{Role: dutylist.RoleDistrictDept, Key: "cgzf"}, {Role: dutylist.RoleDistrictDept, Key: "scjg"}}, Label: "早夜市占道"},
		// Dog nuisances: the police and the street office both claim them —
		// equally specific, same priority: ambiguous, settled from history.
		dutylist.Rule{ID: n + 1, Category: "police.dog", Lead: dutylist.Target{Role: dutylist.RoleStreet}, Label: "不文明养犬（街道）"},
		// Any noise category mentioning a construction site goes to urban management.
		dutylist.Rule{ID: n + 2, Category: "noise", Prefix: true, Keywords: []string{"工地", "施工"}, Lead: dutylist.Target{Role: dutylist.RoleDistrictDept, Key: "cgzf"},
			Co: []dutylist.Target{{Role: dutylist.RoleStreet}}, Label: "施工噪声"},
	)
	rules = append(rules, PropertyRules()...) // 物业 (property.go)
	return rules
}

// Articles is the demo knowledge base: answers to common consultations,
// by category.
func Articles() []knowledge.Article {
	return []knowledge.Article{
		{Title: "供暖季起止时间", Categories: []string{"heating.start"},
			Body: "本市供暖季为每年11月15日至次年3月15日。气温连续5日低于5℃时可提前试供暖，具体以市城市管理委员会公告为准。"},
		{Title: "供暖费缴纳方式与标准", Categories: []string{"heating.fee"},
			Body: "居民供暖费按建筑面积每平方米24元收取，可于每年10月31日前通过热力集团营业厅、手机银行或“江川热力”小程序线上缴纳。低保、特困家庭可向街道申请减免。"},
		{Title: "居民阶梯水价", Categories: []string{"water.meter"},
			Body: "居民用水实行阶梯水价：年用水量180立方米以内每立方米5元，181至260立方米每立方米7元，260立方米以上每立方米9元。户籍人口5人以上的家庭，可持户口簿到自来水集团营业厅申请增加用水基数。"},
		{Title: "大件垃圾预约清运", Categories: []string{"urban.garbage", "urban.muck"},
			Body: "旧家具、床垫等大件垃圾请勿随意堆放，可拨打物业或社区居委会电话预约，由环卫作业单位定期上门清运；装修垃圾应袋装后投放到小区指定的装修垃圾暂存点，清运费用按各区标准收取。"},
		{Title: "垃圾分类投放指引", Categories: []string{"urban.sorting"},
			Body: "过期药品、废旧电池、废灯管属于有害垃圾，请投放到红色有害垃圾桶；厨余垃圾投放到绿色桶，可回收物投放到蓝色桶，其他垃圾投放到灰色桶。小区实行定时定点投放的，以小区公示时间为准。"},
		{Title: "老旧小区加装电梯申请流程", Categories: []string{"property.elevator"},
			Body: "加装电梯须经本单元房屋专有部分面积占比三分之二以上且人数占比三分之二以上的业主参与表决，并经参与表决业主四分之三以上同意。申请材料报街道办事处审核，市级财政按每部电梯64万元给予补贴。"},
		{Title: "非本市户籍适龄儿童小学入学", Categories: []string{"education.enroll"},
			Body: "非本市户籍适龄儿童入学需准备：父母在本市的居住证、就业证明或营业执照、实际住所居住证明、全家户口簿。每年5月在区教委入学服务平台进行信息采集，审核通过后由区教委统筹安排学位。"},
		{Title: "异地就医备案办理", Categories: []string{"health.insurance"},
			Body: "参保人员可通过国家医保服务平台APP或“江川医保”公众号办理异地就医备案，备案后在就医地定点医疗机构可直接结算。临时外出就医备案有效期6个月。"},
		{Title: "欠薪投诉途径", Categories: []string{"labor.wage"},
			Body: "用人单位拖欠工资的，劳动者可向用人单位所在区人力资源和社会保障局劳动保障监察大队投诉，需携带身份证、劳动合同或工资条等劳动关系证明、欠薪数额及时间的证明材料；也可向劳动人事争议仲裁委员会申请仲裁。"},
		{Title: "高龄津贴申领", Categories: []string{"civil.elderly"},
			Body: "年满80周岁的本市户籍老人可申领高龄津贴：80至89周岁每人每月100元，90至99周岁每人每月500元，100周岁以上每人每月800元。由本人或家属持身份证、户口簿到户籍所在社区服务站申请。"},
	}
}
