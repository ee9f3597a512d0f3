package demo

import (
	"whistle/internal/org"
)

// branch is a non-leaf category.
type branch struct{ code, zh, en string }

// leaf is a leaf category with everything the generator needs: the unit
// that owns it (route: "street", "dist:<key>", "city:<key>", "ent:<key>"),
// a plausible wrong unit (alt, for returns), the request-type profile, the
// seasonality key, the kind of place ("home", "road", "shop", "any"), and
// text templates ("title|description"; {slots} are filled per request).
type leaf struct {
	code, zh, en, urgency string
	route, alt            string
	profile, season       string
	where                 string
	weight                float64
	probs, asks           []string
	fix                   string
}

var branches = []branch{
	{"urban", "市容环境", "City appearance"},
	{"noise", "噪声扰民", "Noise"},
	{"heating", "供暖", "Heating"},
	{"water", "供水", "Water supply"},
	{"drain", "排水", "Drainage"},
	{"power", "供电", "Power supply"},
	{"gas", "燃气", "Gas"},
	{"property", "物业管理", "Property management"},
	{"housing", "房屋管理", "Housing"},
	{"traffic", "交通出行", "Transport"},
	{"traffic.bus", "公共交通", "Public transport"},
	{"market", "市场监管", "Market regulation"},
	{"labor", "劳动保障", "Labour and social security"},
	{"education", "教育", "Education"},
	{"health", "医疗卫生", "Health"},
	{"civil", "民政服务", "Civil affairs"},
	{"eco", "生态环境", "Environment"},
	{"green", "园林绿化", "Landscaping"},
	{"safety", "公共安全", "Public safety"},
	{"telecom", "通信服务", "Telecommunications"},
	{"culture", "文化旅游", "Culture and tourism"},
	{"police", "社会治安", "Public order"},
	{"planning", "规划国土", "Planning and land"},
}

var leaves = []leaf{
	// 市容环境
	{code: "urban.stall", zh: "占道经营", en: "Street vending", urgency: "general", route: "street", alt: "dist:cgzf", profile: "nuisance", season: "summer", where: "road", weight: 3,
		probs: []string{"{路}占道经营|{路}{路号}附近{时段}有多个流动摊贩占用人行道摆摊售卖水果、小吃，行人只能走机动车道", "{小区}门口商贩占道|{小区}东门外有商贩长期摆摊，堵塞小区出入口，垃圾随地丢弃"},
		asks:  []string{"咨询便民摊点设置|想了解{街道}辖区内是否有规范设置的便民摊点，个人如何申请"}, fix: "已组织城管队员对占道摊贩进行劝离，并安排专人每日巡查"},
	{code: "urban.bbq", zh: "露天烧烤", en: "Outdoor barbecue", urgency: "general", route: "street", alt: "dist:cgzf", profile: "nuisance", season: "bbq", where: "shop", weight: 1.6,
		probs: []string{"{店}露天烧烤扰民|{路}{路号}的{店}在店外露天烧烤，{时段}油烟很大，食客喧哗，烟味飘进{小区}居民家中", "{小区}楼下夜间烧烤|{小区}{楼}楼下有烧烤摊{时段}营业，浓烟呛人"},
		asks:  []string{"咨询露天烧烤管理规定|想了解本市对露天烧烤的管理规定，商户在门前摆放烧烤炉是否允许"}, fix: "已对商户进行约谈并责令其撤除室外烧烤设施，商户已整改"},
	{code: "urban.muck", zh: "渣土遗撒", en: "Spilled construction waste", urgency: "general", route: "dist:cgzf", alt: "street", profile: "infra", season: "none", where: "road", weight: 1.2,
		probs: []string{"{路}渣土车遗撒|{时段}有渣土车经过{路}时沿途遗撒泥土，路面满是泥浆，车辆经过尘土飞扬", "{路}与{路2}路口渣土堆放|{路}与{路2}交叉口有人倾倒建筑渣土，堆了很大一堆无人清理"},
		asks:  []string{"咨询装修垃圾清运|家里装修产生的建筑垃圾应该如何清运，是否需要付费"}, fix: "已对涉事运输车辆进行查处，并安排环卫作业单位清扫冲洗路面"},
	{code: "urban.garbage", zh: "垃圾清运", en: "Garbage collection", urgency: "general", route: "street", alt: "dist:cgzf", profile: "nuisance", season: "summer", where: "home", weight: 3,
		probs: []string{"{小区}垃圾未及时清运|{小区}{楼}旁的垃圾桶已经满溢，垃圾{持续}没人清运，气味难闻，招来很多蚊蝇", "{小区}垃圾站异味|{小区}垃圾站位置紧挨居民楼，清运不及时，夏天异味严重"},
		asks:  []string{"咨询大件垃圾处理|想咨询旧家具等大件垃圾应该如何预约清运"}, fix: "已协调环卫部门完成清运，并调整为每日两次清运"},
	{code: "urban.ads", zh: "小广告", en: "Illegal flyers", urgency: "general", route: "street", alt: "dist:cgzf", profile: "nuisance", season: "none", where: "home", weight: 1,
		probs: []string{"{小区}楼道小广告泛滥|{小区}{楼}楼道内墙面贴满了开锁、办证、疏通下水道的小广告，屡贴屡犯", "{路}电线杆小广告|{路}沿线电线杆、公交站牌上被贴满小广告，影响市容"}},
	{code: "urban.sorting", zh: "垃圾分类", en: "Waste sorting", urgency: "general", route: "street", alt: "dist:cgzf", profile: "policy", season: "none", where: "home", weight: 1.2,
		probs: []string{"{小区}垃圾分类不到位|{小区}的垃圾桶没有分类标识，厨余垃圾和其他垃圾混装混运"},
		asks:  []string{"咨询垃圾分类投放|想了解家里的过期药品、废旧电池属于哪类垃圾，应该投放到哪里", "咨询垃圾分类时间|{小区}垃圾定时定点投放的时间是几点到几点"}},
	{code: "urban.build", zh: "违法建设", en: "Illegal construction", urgency: "complex", route: "street", alt: "dist:cgzf", profile: "market", season: "spring", where: "home", weight: 1.5,
		probs: []string{"{小区}私搭乱建|{小区}{楼}一层住户在院内私自搭建彩钢房，占用公共绿地", "{小区}顶楼违建|{小区}{楼}顶楼住户在楼顶加盖房屋，施工{持续}，担心影响房屋结构安全"},
		asks:  []string{"咨询违建认定|想咨询在自家院内搭建阳光房是否属于违法建设，需要办理哪些手续"}, fix: "经现场核查属于违法建设，已下达限期拆除通知，当事人已自行拆除"},
	{code: "urban.bike", zh: "共享单车乱停放", en: "Shared bikes parking", urgency: "general", route: "city:jtw", alt: "street", profile: "nuisance", season: "summer", where: "road", weight: 1.2,
		probs: []string{"{路}地铁站口共享单车堆积|{路}地铁站出口共享单车乱停乱放，堆满人行道，行人无法通行"},
		asks:  []string{"咨询共享单车押金退还|共享单车押金申请退还{持续}仍未到账，想咨询该向哪里反映"}},
	// 噪声
	{code: "noise.construction", zh: "施工噪音", en: "Construction noise", urgency: "general", route: "dist:zjw", alt: "dist:cgzf", profile: "nuisance", season: "night", where: "home", weight: 3,
		probs: []string{"{小区}附近工地夜间施工|{小区}旁边的工地{时段}还在施工，打桩机、搅拌车声音很大，严重影响居民休息", "{路}道路施工噪音扰民|{路}道路改造工程夜间施工，切割路面的噪音很大，已经持续{持续}了"},
		asks:  []string{"咨询夜间施工许可|想了解{小区}旁边的工地是否办理了夜间施工许可，允许施工到几点"}, fix: "已到现场督促施工单位停止夜间违规作业，并对其进行了处罚"},
	{code: "noise.commercial", zh: "商业噪音", en: "Commercial noise", urgency: "general", route: "street", alt: "dist:cgzf", profile: "nuisance", season: "night", where: "shop", weight: 1.8,
		probs: []string{"{店}音响噪音扰民|{路}的{店}在门口摆放大功率音响招揽顾客，{时段}声音很大", "{小区}底商噪音|{小区}{楼}底商{店}营业到深夜，顾客喧哗、空调外机噪音很大"}, fix: "已约谈商户负责人，商户已撤除门口音响并调整营业时间"},
	{code: "noise.life", zh: "社会生活噪音", en: "Neighbourhood noise", urgency: "general", route: "street", alt: "city:gaj", profile: "nuisance", season: "night", where: "home", weight: 2.2,
		probs: []string{"{小区}广场舞噪音|{小区}旁边小广场{时段}有人跳广场舞，音响声音很大，家中老人孩子无法休息", "{小区}邻居装修噪音|{小区}{楼}{单元}有住户装修，周末和中午也在电钻施工，已经持续{持续}了"},
		asks:  []string{"咨询装修施工时间规定|想咨询居民楼装修施工允许的时间段是几点到几点"}, fix: "已联系社区居委会与相关居民沟通，双方达成一致，调低了音量并缩短了活动时间"},
	{code: "noise.traffic", zh: "交通噪声", en: "Traffic noise", urgency: "general", route: "city:jtw", alt: "city:sthj", profile: "infra", season: "none", where: "home", weight: 0.6,
		probs: []string{"{路}交通噪声大|{小区}紧邻{路}，夜间大货车通行噪音很大，希望加装隔音屏障"}},
	// 供暖
	{code: "heating.temp", zh: "室温不达标", en: "Room temperature too low", urgency: "utilities", route: "ent:heat", alt: "street", profile: "service", season: "heating", where: "home", weight: 4,
		probs: []string{"{小区}{楼}室温不达标|{小区}{楼}{单元}{室}家中室温只有{温度}，达不到18度的标准，家里有老人和孩子", "{小区}整栋楼室温偏低|{小区}{楼}多户居民反映室温只有{温度}左右，已经持续{持续}了"},
		asks:  []string{"咨询室温标准|想咨询供暖期间室内温度的标准是多少，达不到标准能否退费"}, fix: "已入户测温并对管网进行排气、调整阀门开度，复测室温已达到18度以上"},
	{code: "heating.cold", zh: "暖气不热", en: "Radiator not warm", urgency: "utilities", route: "ent:heat", alt: "street", profile: "service", season: "heating", where: "home", weight: 4,
		probs: []string{"{小区}{楼}暖气不热|{小区}{楼}{单元}{室}暖气片上热下凉，摸上去温乎，已经持续{持续}了", "{小区}暖气时冷时热|{小区}{楼}暖气{时段}几乎不热，屋里要穿羽绒服"},
		asks:  []string{"咨询暖气排气方法|家里暖气片不热，想咨询如何自行排气，或者如何预约维修"}, fix: "维修人员已上门对暖气片进行排气并清洗过滤网，暖气已恢复正常"},
	{code: "heating.leak", zh: "供暖管道漏水", en: "Heating pipe leak", urgency: "utilities", route: "ent:heat", alt: "street", profile: "service", season: "heating", where: "home", weight: 1.5,
		probs: []string{"{小区}暖气管道漏水|{小区}{楼}{单元}楼道内暖气管道漏水，水流到楼梯上，已经结冰", "{小区}{楼}地下室供暖管线跑水|{小区}{楼}地下室供暖管线破裂跑水，地下室已经积水"}, fix: "抢修人员已到场关阀更换破损管段，恢复供暖"},
	{code: "heating.fee", zh: "供暖费", en: "Heating fees", urgency: "general", route: "ent:heat", alt: "street", profile: "policy", season: "heatfee", where: "home", weight: 1.6,
		probs: []string{"{小区}供暖费收取不合理|{小区}物业代收供暖费，收费标准比公布的价格高，且不给开具正式发票"},
		asks:  []string{"咨询供暖费缴纳方式|想咨询今年供暖费的缴纳时间、缴费标准以及能否线上缴纳", "咨询供暖费减免政策|想咨询低保家庭供暖费是否有减免补贴，需要带哪些材料"}},
	{code: "heating.start", zh: "供暖时间", en: "Heating season dates", urgency: "general", route: "dist:zjw", alt: "ent:heat", profile: "policy", season: "heatstart", where: "home", weight: 1.4,
		probs: []string{"{小区}请求提前供暖|最近气温骤降，{小区}家中非常冷，家里有老人，希望能够提前供暖"},
		asks:  []string{"咨询今年供暖开始时间|想了解今年供暖季什么时候开始试供暖，何时正式供暖", "咨询停暖时间|天气还比较冷，想咨询今年是否会延长供暖"}},
	// 供水
	{code: "water.outage", zh: "停水", en: "Water outage", urgency: "utilities", route: "ent:water", alt: "street", profile: "service", season: "summerlite", where: "home", weight: 2.5,
		probs: []string{"{小区}突然停水|{小区}从{时间}开始停水，事先没有任何通知，家里做饭、洗漱都成了问题", "{小区}{楼}反复停水|{小区}{楼}近{持续}反复停水，物业说是管道问题，一直没有修好"},
		asks:  []string{"咨询停水恢复时间|{小区}今天停水，想了解是什么原因、预计什么时候恢复供水"}, fix: "已组织抢修破损管线，供水已恢复正常"},
	{code: "water.pressure", zh: "水压低", en: "Low water pressure", urgency: "utilities", route: "ent:water", alt: "street", profile: "service", season: "summerlite", where: "home", weight: 1.4,
		probs: []string{"{小区}高层水压低|{小区}{楼}高层住户{时段}水压很低，热水器无法启动", "{小区}{楼}水流很小|{小区}{楼}{单元}{室}家中水龙头出水很小，已经持续{持续}了"}, fix: "已对二次供水泵房设备进行检修并调整出水压力，水压已恢复正常"},
	{code: "water.quality", zh: "水质问题", en: "Water quality", urgency: "utilities", route: "ent:water", alt: "city:wjw", profile: "service", season: "none", where: "home", weight: 1,
		probs: []string{"{小区}自来水发黄|{小区}{楼}家中自来水发黄、有异味，烧开后有白色沉淀，担心影响健康"},
		asks:  []string{"咨询水质检测|想咨询家中自来水水质如何申请检测，是否收费"}, fix: "已对管网进行冲洗并取样检测，水质各项指标符合国家标准"},
	{code: "water.meter", zh: "水费水表", en: "Water bills and meters", urgency: "general", route: "ent:water", alt: "street", profile: "policy", season: "none", where: "home", weight: 1,
		probs: []string{"{小区}水费异常|{小区}{楼}{室}本月水费是平时的三四倍，家里没有漏水，怀疑水表有问题"},
		asks:  []string{"咨询阶梯水价|想了解本市居民阶梯水价的标准，多人口家庭如何申请增加用水量"}},
	// 排水
	{code: "drain.overflow", zh: "污水冒溢", en: "Sewage overflow", urgency: "utilities", route: "city:swj", alt: "street", profile: "service", season: "summerlite", where: "road", weight: 1.6,
		probs: []string{"{路}污水井冒溢|{路}{路号}附近污水井往外冒污水，臭气熏天，行人只能绕行", "{小区}化粪池满溢|{小区}{楼}旁化粪池满溢，污水流到路面上"}, fix: "已安排管道疏通车疏掏管道，污水冒溢问题已解决"},
	{code: "drain.flood", zh: "积水内涝", en: "Waterlogging", urgency: "utilities", route: "city:swj", alt: "street", profile: "service", season: "flood", where: "road", weight: 1.5,
		probs: []string{"{路}下凹桥积水|今天暴雨后{路}下凹桥区积水很深，有车辆熄火被困", "{小区}雨后积水严重|{小区}每次下雨院内积水都有半尺深，地下车库进水"},
		asks:  []string{"咨询暴雨期间道路封闭情况|想了解今天暴雨期间哪些下凹桥区临时封闭，出行如何绕行"}, fix: "已启动排水泵站抽排积水，道路已恢复通行"},
	{code: "drain.blocked", zh: "下水道堵塞", en: "Blocked drain", urgency: "general", route: "street", alt: "city:swj", profile: "service", season: "none", where: "home", weight: 1.5,
		probs: []string{"{小区}楼道下水堵塞|{小区}{楼}{单元}下水主管道堵塞，低层住户家中返水", "{小区}雨水箅子堵塞|{小区}门口雨水箅子被垃圾堵死，下雨就积水"}, fix: "已协调物业对下水主管道进行疏通，排水已恢复通畅"},
	// 供电
	{code: "power.outage", zh: "停电", en: "Power outage", urgency: "utilities", route: "ent:power", alt: "street", profile: "service", season: "power", where: "home", weight: 2.2,
		probs: []string{"{小区}突然停电|{小区}{楼}从{时间}开始停电，没有接到任何通知，冰箱里的东西都化了", "{小区}频繁停电|{小区}近{持续}频繁跳闸停电，一天停好几次"},
		asks:  []string{"咨询计划停电安排|想了解{小区}所在区域近期是否有计划停电，具体时间是什么"}, fix: "抢修人员已更换故障设备，恢复供电"},
	{code: "power.voltage", zh: "电压不稳", en: "Unstable voltage", urgency: "utilities", route: "ent:power", alt: "street", profile: "service", season: "power", where: "home", weight: 0.8,
		probs: []string{"{小区}电压不稳|{小区}{楼}{时段}电压不稳，灯光忽明忽暗，空调无法启动"}, fix: "已对台区变压器进行调档并平衡三相负荷，电压已恢复正常"},
	{code: "power.ev", zh: "充电桩安装", en: "EV charger installation", urgency: "general", route: "ent:power", alt: "street", profile: "policy", season: "none", where: "home", weight: 1,
		probs: []string{"{小区}物业阻挠安装充电桩|在{小区}有固定车位，申请安装充电桩，物业以各种理由不予配合"},
		asks:  []string{"咨询充电桩报装流程|想咨询个人在小区车位安装充电桩需要什么材料、报装流程是什么"}},
	// 燃气
	{code: "gas.supply", zh: "燃气停供", en: "Gas supply interruption", urgency: "utilities", route: "ent:gas", alt: "street", profile: "service", season: "winterlite", where: "home", weight: 1,
		probs: []string{"{小区}燃气停供|{小区}{楼}燃气从{时间}开始停供，家里无法做饭", "{小区}燃气表故障|{小区}{楼}{室}燃气表显示有余额但无法供气"}, fix: "已上门更换燃气表电池并恢复供气"},
	{code: "gas.fee", zh: "燃气缴费", en: "Gas bills", urgency: "general", route: "ent:gas", alt: "street", profile: "policy", season: "none", where: "home", weight: 0.8,
		asks: []string{"咨询燃气缴费方式|想咨询燃气卡丢失后如何补办，线上充值后怎么写卡", "咨询燃气阶梯价格|想了解居民燃气阶梯价格标准和年度用气量"}},
	{code: "gas.facility", zh: "燃气设施老化", en: "Ageing gas facilities", urgency: "utilities", route: "ent:gas", alt: "street", profile: "infra", season: "winterlite", where: "home", weight: 0.8,
		probs: []string{"{小区}燃气管道锈蚀|{小区}{楼}外墙燃气立管锈蚀严重，担心存在安全隐患"},
		asks:  []string{"咨询燃气安全检查|想咨询燃气公司入户安检是否收费，如何辨别真假安检人员"}, fix: "已对锈蚀管段进行更换，并对该楼燃气设施进行了全面安检"},
	// 物业管理
	{code: "property.service", zh: "物业服务", en: "Property services", urgency: "general", route: "street", alt: "dist:zjw", profile: "nuisance", season: "none", where: "home", weight: 3,
		probs: []string{"{小区}物业不作为|{小区}物业管理混乱，楼道灯坏了{持续}没人修，门禁也坏了", "{小区}物业服务差|{小区}物业公司服务态度差，报修后迟迟不来，院内卫生也很差"},
		asks:  []string{"咨询更换物业公司程序|{小区}业主对现物业不满意，想咨询更换物业公司需要什么程序"}, fix: "已约谈物业公司负责人，楼道灯和门禁已修复，物业承诺加强日常管理"},
	{code: "property.fee", zh: "物业费纠纷", en: "Property fees", urgency: "general", route: "street", alt: "dist:zjw", profile: "market", season: "none", where: "home", weight: 1.2,
		probs: []string{"{小区}物业擅自涨价|{小区}物业未经业主大会同意擅自上调物业费，不交就不给办理门禁卡"},
		asks:  []string{"咨询物业费标准|想了解普通住宅物业费的政府指导价标准"}},
	{code: "property.elevator", zh: "电梯故障", en: "Lift breakdown", urgency: "general", route: "city:scjg", alt: "street", profile: "service", season: "none", where: "home", weight: 1.8,
		probs: []string{"{小区}{楼}电梯经常故障|{小区}{楼}电梯近{持续}经常出故障停运，高层老人无法下楼", "{小区}电梯异响|{小区}{楼}{单元}电梯运行时有异响和抖动，居民不敢乘坐"},
		asks:  []string{"咨询老楼加装电梯政策|想咨询老旧小区加装电梯的申请条件、补贴政策和办理流程"}, fix: "已督促维保单位更换故障部件，电梯已检验合格恢复运行"},
	{code: "property.parking", zh: "小区停车", en: "Residential parking", urgency: "general", route: "street", alt: "city:jgj", profile: "nuisance", season: "none", where: "home", weight: 1.6,
		probs: []string{"{小区}消防通道被占|{小区}{楼}前消防通道长期被私家车占用，物业不管", "{小区}地锁占用公共车位|{小区}有住户私自在公共区域安装地锁占用车位"}, fix: "已协调物业清理私装地锁，并在消防通道施划禁停标线"},
	{code: "property.fund", zh: "维修资金", en: "Maintenance fund", urgency: "complex", route: "dist:zjw", alt: "street", profile: "policy", season: "none", where: "home", weight: 0.8,
		asks: []string{"咨询公共维修资金使用|{小区}{楼}屋面漏雨需要维修，想咨询如何申请使用住宅专项维修资金"}},
	// 房屋管理
	{code: "housing.safety", zh: "房屋安全", en: "Building safety", urgency: "general", route: "dist:zjw", alt: "street", profile: "infra", season: "none", where: "home", weight: 1,
		probs: []string{"{小区}楼体外墙脱落|{小区}{楼}外墙保温层大面积脱落，楼下是人行通道，存在安全隐患", "{小区}楼房出现裂缝|{小区}{楼}墙体出现多处裂缝，担心房屋安全"}, fix: "已组织专业机构进行安全鉴定，并对脱落部位进行了排险处理"},
	{code: "housing.leak", zh: "房屋漏雨", en: "Leaking roof", urgency: "general", route: "street", alt: "dist:zjw", profile: "service", season: "flood", where: "home", weight: 1.3,
		probs: []string{"{小区}顶楼漏雨|{小区}{楼}顶楼住户家中每逢下雨就漏水，墙皮脱落，已经持续{持续}了"}, fix: "已协调物业对屋面防水进行修补，漏雨问题已解决"},
	{code: "housing.rent", zh: "租赁纠纷", en: "Rental disputes", urgency: "general", route: "dist:zjw", alt: "dist:scjg", profile: "market", season: "spring", where: "home", weight: 1.3,
		probs: []string{"{公司}拒退押金|通过中介租住{小区}的房屋，合同到期后中介以各种理由拒绝退还押金{金额}"},
		asks:  []string{"咨询租房合同备案|想咨询租房合同如何办理登记备案，办理居住证需要什么材料"}},
	{code: "housing.renovation", zh: "老旧小区改造", en: "Old estate renovation", urgency: "complex", route: "dist:zjw", alt: "street", profile: "policy", season: "none", where: "home", weight: 1,
		probs: []string{"{小区}改造工程进度慢|{小区}老旧小区综合整治工程已开工{持续}，施工进度缓慢，楼道里堆满材料"},
		asks:  []string{"咨询老旧小区改造计划|想了解{小区}是否列入今年的老旧小区综合整治计划"}},
	{code: "housing.property", zh: "不动产登记", en: "Property registration", urgency: "complex", route: "city:ghzr", alt: "dist:zjw", profile: "policy", season: "none", where: "any", weight: 0.8,
		probs: []string{"{小区}多年办不下房产证|购买{小区}的商品房已经多年，开发商一直未办理不动产权证"},
		asks:  []string{"咨询不动产继承登记|想咨询父母去世后房屋继承办理不动产登记需要哪些材料"}},
	// 交通
	{code: "traffic.bus.route", zh: "公交线路", en: "Bus routes", urgency: "general", route: "ent:bus", alt: "city:jtw", profile: "infra", season: "none", where: "road", weight: 1.2,
		probs: []string{"{线路}发车间隔过长|{线路}公交车早高峰发车间隔太长，{路}站经常等半个多小时"},
		asks:  []string{"咨询公交线路调整|听说{线路}要调整线路，想了解调整后是否还经过{路}"}},
	{code: "traffic.bus.service", zh: "公交服务", en: "Bus service", urgency: "general", route: "ent:bus", alt: "city:jtw", profile: "nuisance", season: "none", where: "road", weight: 1,
		probs: []string{"{线路}司机甩站|{时间}在{路}站等候{线路}公交车，司机未停靠直接驶过", "{线路}司机服务态度差|{时间}乘坐{线路}公交车时，司机态度恶劣，对乘客大声呵斥"}},
	{code: "traffic.bus.stop", zh: "公交站台设施", en: "Bus stops", urgency: "general", route: "ent:bus", alt: "city:jtw", profile: "infra", season: "none", where: "road", weight: 0.6,
		probs: []string{"{路}公交站牌损坏|{路}公交站站牌损坏，候车亭顶棚破损，雨天无处避雨"}},
	{code: "traffic.taxi", zh: "出租车", en: "Taxis", urgency: "general", route: "city:jtw", alt: "city:scjg", profile: "nuisance", season: "holiday", where: "road", weight: 1,
		probs: []string{"出租车拒载绕路|{时间}在{路}乘坐出租车，司机故意绕路多收费{金额}", "出租车拒载|{时间}在火车站打车，出租车司机嫌路程近拒载"},
		asks:  []string{"咨询出租车遗失物品|{时间}乘坐出租车时手机遗落在车上，想咨询如何查找"}},
	{code: "traffic.parking", zh: "违章停车", en: "Illegal parking", urgency: "general", route: "city:jgj", alt: "street", profile: "nuisance", season: "none", where: "road", weight: 2.2,
		probs: []string{"{路}违章停车严重|{路}两侧车辆违章停放，占用非机动车道，早晚高峰严重拥堵", "{小区}门口车辆乱停|{小区}门口经常有车辆乱停，堵住小区出入口，救护车都进不来"}, fix: "已加强该路段巡逻管控，对违停车辆依法处罚，并协调施划停车泊位"},
	{code: "traffic.road", zh: "道路破损", en: "Damaged roads", urgency: "general", route: "city:jtw", alt: "street", profile: "infra", season: "spring", where: "road", weight: 1.8,
		probs: []string{"{路}路面坑洼|{路}{路号}附近路面出现多个坑洼，雨后积水，电动车经过容易摔倒", "{路}人行道方砖松动|{路}人行道方砖松动破损，踩上去溅水，老人容易绊倒"}, fix: "已组织道路养护单位对破损路面进行修补"},
	{code: "traffic.signal", zh: "信号灯故障", en: "Traffic light faults", urgency: "general", route: "city:jgj", alt: "city:jtw", profile: "infra", season: "none", where: "road", weight: 1,
		probs: []string{"{路}与{路2}路口信号灯不亮|{路}与{路2}交叉口信号灯不亮，路口车辆抢行，非常危险", "{路}信号灯配时不合理|{路}与{路2}路口行人绿灯时间太短，老人过马路来不及"}, fix: "已对信号机故障进行维修并优化配时方案"},
	{code: "traffic.congestion", zh: "交通拥堵", en: "Congestion", urgency: "general", route: "city:jgj", alt: "city:jtw", profile: "infra", season: "none", where: "road", weight: 1,
		probs: []string{"{路}早晚高峰拥堵|{路}与{路2}路口早晚高峰拥堵严重，通过一个路口需要二十多分钟"}},
	// 市场监管
	{code: "market.food", zh: "食品安全", en: "Food safety", urgency: "general", route: "dist:scjg", alt: "street", profile: "market", season: "summer", where: "shop", weight: 2,
		probs: []string{"{店}食品卫生问题|{时间}在{路}的{店}就餐，发现饭菜中有异物，后厨卫生状况很差", "{店}销售过期食品|{时间}在{店}购买的面包已经过期，商家拒绝退换"}, fix: "已对该商户进行现场检查，责令整改并立案调查"},
	{code: "market.price", zh: "价格问题", en: "Pricing", urgency: "general", route: "dist:scjg", alt: "street", profile: "market", season: "holiday", where: "shop", weight: 1.3,
		probs: []string{"{店}价格欺诈|{店}商品标价与结账价格不一致，多收了{金额}", "{店}不明码标价|{路}的{店}商品不明码标价，结账时随意要价"}},
	{code: "market.consumer", zh: "消费纠纷", en: "Consumer disputes", urgency: "general", route: "dist:scjg", alt: "street", profile: "market", season: "holiday", where: "shop", weight: 2.5,
		probs: []string{"{店}拒绝退货|{时间}在{店}购买的商品有质量问题，商家拒绝退换", "网购商品质量纠纷|在网上购买的家电收到后无法使用，商家一直推诿不予处理"},
		asks:  []string{"咨询消费维权途径|想咨询购买的商品出现质量问题，商家不给处理，应该通过什么途径维权"}, fix: "经调解，商家同意为消费者办理退货退款"},
	{code: "market.prepaid", zh: "预付卡", en: "Prepaid cards", urgency: "complex", route: "dist:scjg", alt: "street", profile: "market", season: "none", where: "shop", weight: 1.8,
		probs: []string{"{店}关门预付卡无法退款|在{店}办理了预付卡{金额}，现在商家突然关门，卡里余额无法使用", "{公司}拒退预付课时费|在{公司}预交了课时费{金额}，机构停课后拒绝退费"}, fix: "已协调经营者与消费者达成退款协议"},
	{code: "market.unlicensed", zh: "无证经营", en: "Unlicensed business", urgency: "general", route: "dist:scjg", alt: "street", profile: "market", season: "none", where: "shop", weight: 0.8,
		probs: []string{"{小区}无证黑作坊|{小区}{楼}地下室有人开设食品加工作坊，无任何证照，卫生条件很差"}},
	// 劳动保障
	{code: "labor.wage", zh: "欠薪", en: "Unpaid wages", urgency: "general", route: "city:rsj", alt: "street", profile: "market", season: "wage", where: "any", weight: 2.2,
		probs: []string{"{公司}拖欠工资|在{公司}工作，公司已经拖欠{持续}工资共计{金额}，多次索要无果", "{公司}拖欠农民工工资|在{公司}承建的工地务工，工程结束后包工头拖欠{金额}工资不给"},
		asks:  []string{"咨询欠薪维权途径|单位拖欠工资，想咨询应该去哪里投诉，需要准备哪些材料"}, fix: "已约谈用人单位，单位已将拖欠工资全部支付到位"},
	{code: "labor.insurance", zh: "社会保险", en: "Social insurance", urgency: "general", route: "city:rsj", alt: "street", profile: "policy", season: "none", where: "any", weight: 2.5,
		probs: []string{"{公司}未缴纳社保|在{公司}工作一年多，公司一直未给缴纳社会保险"},
		asks:  []string{"咨询社保转移接续|从外地来江川工作，想咨询养老保险关系如何转移接续", "咨询灵活就业参保|想咨询灵活就业人员如何缴纳养老保险和医疗保险", "咨询退休待遇|想了解办理退休手续需要的材料以及养老金的计算方法"}},
	{code: "labor.contract", zh: "劳动合同", en: "Labour contracts", urgency: "general", route: "city:rsj", alt: "dist:scjg", profile: "market", season: "none", where: "any", weight: 1.2,
		probs: []string{"{公司}违法解除劳动合同|{公司}无故辞退员工，不支付经济补偿"},
		asks:  []string{"咨询劳动合同解除补偿|想咨询公司提出解除劳动合同，经济补偿应如何计算"}},
	{code: "labor.job", zh: "就业服务", en: "Employment services", urgency: "general", route: "city:rsj", alt: "street", profile: "policy", season: "graduate", where: "any", weight: 1,
		asks: []string{"咨询失业保险金申领|想咨询失业保险金的申领条件和领取期限", "咨询高校毕业生就业政策|想了解应届高校毕业生在江川就业的落户和补贴政策"}},
	// 教育
	{code: "education.enroll", zh: "入学入园", en: "School enrolment", urgency: "general", route: "city:jw", alt: "street", profile: "policy", season: "enrol", where: "any", weight: 2,
		probs: []string{"孩子入学学位紧张|孩子今年上小学，户籍在{小区}，但被告知对口的{学校}学位已满"},
		asks:  []string{"咨询小学入学政策|孩子今年满六周岁，想咨询非本市户籍子女入学需要准备哪些材料", "咨询幼儿园入园|想了解{街道}辖区普惠性幼儿园的报名时间和条件"}},
	{code: "education.training", zh: "校外培训", en: "Private tutoring", urgency: "general", route: "city:jw", alt: "dist:scjg", profile: "market", season: "summer", where: "shop", weight: 1,
		probs: []string{"{公司}违规开展学科培训|{公司}在{小区}{楼}民宅内违规开展学科类培训，每班二三十个学生"}},
	{code: "education.fee", zh: "学校收费", en: "School fees", urgency: "general", route: "city:jw", alt: "street", profile: "market", season: "enrol", where: "any", weight: 0.8,
		probs: []string{"{学校}乱收费|{学校}要求家长统一购买教辅资料，并收取额外的课后服务费"}},
	{code: "education.safety", zh: "校园周边安全", en: "School surroundings", urgency: "general", route: "street", alt: "city:jgj", profile: "infra", season: "school", where: "road", weight: 0.7,
		probs: []string{"{学校}门口交通混乱|{学校}门口上下学时段车辆乱停乱放，学生过马路很危险"}},
	// 医疗卫生
	{code: "health.hospital", zh: "医疗服务", en: "Hospital services", urgency: "general", route: "city:wjw", alt: "city:ybj", profile: "nuisance", season: "winterlite", where: "any", weight: 1.8,
		probs: []string{"{医院}挂号难|在{医院}就诊，现场挂号排队两个多小时，网上号源一放出就被抢光", "{医院}医生态度差|{时间}在{医院}急诊就诊，医生态度冷漠，对病情解释不清"},
		asks:  []string{"咨询医院预约挂号|想了解{医院}的预约挂号渠道以及专家门诊出诊时间"}},
	{code: "health.insurance", zh: "医保报销", en: "Medical insurance", urgency: "general", route: "city:ybj", alt: "city:rsj", profile: "policy", season: "none", where: "any", weight: 1.8,
		asks: []string{"咨询异地就医备案|想咨询在外地就医如何办理异地就医备案和直接结算", "咨询医保报销比例|想了解门诊特殊病的医保报销比例和起付标准", "咨询医保卡补办|医保卡丢失了，想咨询如何挂失和补办"}},
	{code: "health.vaccine", zh: "疫苗接种", en: "Vaccination", urgency: "general", route: "city:wjw", alt: "street", profile: "policy", season: "winterlite", where: "any", weight: 0.8,
		asks: []string{"咨询流感疫苗接种|想咨询{街道}社区卫生服务中心是否可以接种流感疫苗，老年人是否免费"}},
	{code: "health.vector", zh: "病媒生物", en: "Pests", urgency: "general", route: "street", alt: "city:wjw", profile: "nuisance", season: "summer", where: "home", weight: 1,
		probs: []string{"{小区}老鼠蟑螂多|{小区}垃圾站附近老鼠很多，{时段}常看到老鼠窜来窜去", "{小区}蚊虫滋生|{小区}院内积水坑蚊虫滋生，居民晚上不敢开窗"}, fix: "已组织专业消杀队伍对小区进行消杀，并清理积水和卫生死角"},
	// 民政
	{code: "civil.elderly", zh: "养老服务", en: "Elderly care", urgency: "general", route: "city:mzj", alt: "street", profile: "policy", season: "none", where: "home", weight: 1.5,
		probs: []string{"{小区}养老驿站服务差|{小区}附近的养老驿站助餐服务饭菜质量差，价格还上涨了"},
		asks:  []string{"咨询高龄津贴申领|家中老人今年满八十岁，想咨询高龄津贴如何申领", "咨询居家养老服务|想了解独居老人能否申请上门助浴、助洁服务"}},
	{code: "civil.subsidy", zh: "低保救助", en: "Subsistence allowance", urgency: "complex", route: "city:mzj", alt: "street", profile: "policy", season: "winterlite", where: "home", weight: 1.2,
		probs: []string{"低保申请迟迟未批|{时间}向{街道}提交了低保申请，至今已{持续}没有结果"},
		asks:  []string{"咨询低保申请条件|家中生活困难，想咨询申请最低生活保障的条件和需要的材料"}},
	{code: "civil.disabled", zh: "残疾人服务", en: "Disability services", urgency: "general", route: "city:mzj", alt: "street", profile: "policy", season: "none", where: "home", weight: 0.7,
		asks: []string{"咨询残疾人补贴|想咨询重度残疾人护理补贴的申请条件和发放标准"}},
	{code: "civil.marriage", zh: "婚姻登记", en: "Marriage registration", urgency: "general", route: "city:mzj", alt: "street", profile: "policy", season: "holiday", where: "any", weight: 0.7,
		asks: []string{"咨询结婚登记预约|想咨询在江川办理结婚登记是否需要预约，需要带什么材料"}},
	// 生态环境
	{code: "eco.air", zh: "大气污染", en: "Air pollution", urgency: "general", route: "city:sthj", alt: "street", profile: "market", season: "winterlite", where: "any", weight: 1.2,
		probs: []string{"{公司}排放刺鼻气体|{路}附近的{公司}{时段}排放刺鼻气体，周边居民不敢开窗", "{小区}附近焚烧垃圾|{小区}附近空地{时段}有人焚烧垃圾，浓烟很大"}, fix: "已对涉事企业开展执法检查，责令其停产整改"},
	{code: "eco.fume", zh: "餐饮油烟", en: "Cooking fumes", urgency: "general", route: "dist:cgzf", alt: "city:sthj", profile: "nuisance", season: "summer", where: "shop", weight: 1.6,
		probs: []string{"{店}油烟扰民|{小区}{楼}底商{店}油烟直排，油烟飘进居民家中，窗户都不敢开"}, fix: "已责令商户安装油烟净化设施并定期清洗，经复查已整改到位"},
	{code: "eco.river", zh: "河道污染", en: "River pollution", urgency: "general", route: "city:swj", alt: "city:sthj", profile: "infra", season: "summer", where: "road", weight: 0.7,
		probs: []string{"{路}附近河道发臭|{路}附近河道水质发黑发臭，河面漂浮垃圾"}},
	{code: "eco.dust", zh: "扬尘污染", en: "Dust pollution", urgency: "general", route: "dist:zjw", alt: "dist:cgzf", profile: "nuisance", season: "spring", where: "road", weight: 1.2,
		probs: []string{"{路}工地扬尘|{路}的工地土方未覆盖，车辆出入不冲洗，刮风时扬尘很大"}, fix: "已督促施工单位对裸露土方进行苫盖并落实车辆冲洗措施"},
	// 园林绿化
	{code: "green.prune", zh: "树木修剪", en: "Tree pruning", urgency: "general", route: "street", alt: "city:ylj", profile: "infra", season: "summerlite", where: "home", weight: 1.6,
		probs: []string{"{小区}树木遮挡采光|{小区}{楼}前的大树长得太高，遮挡低层住户采光，树枝还碰到了电线", "{路}行道树枝杈过低|{路}行道树枝杈过低，遮挡路灯和交通标志"}, fix: "已协调园林养护单位对树木进行修剪"},
	{code: "green.catkin", zh: "杨柳飞絮", en: "Poplar catkins", urgency: "general", route: "city:ylj", alt: "street", profile: "infra", season: "catkin", where: "home", weight: 0.9,
		probs: []string{"{小区}杨柳絮严重|{小区}院内杨树、柳树飞絮严重，孩子过敏咳嗽，存在火灾隐患"},
		asks:  []string{"咨询飞絮治理|想了解今年杨柳飞絮期什么时候结束，有关部门采取了哪些治理措施"}},
	{code: "green.damage", zh: "绿地损坏", en: "Damaged green space", urgency: "general", route: "city:ylj", alt: "street", profile: "infra", season: "none", where: "home", weight: 0.7,
		probs: []string{"{小区}绿地被毁种菜|{小区}公共绿地被部分居民毁绿种菜，还堆放杂物"}},
	{code: "green.pest", zh: "病虫害", en: "Tree pests", urgency: "general", route: "city:ylj", alt: "street", profile: "infra", season: "summer", where: "road", weight: 0.6,
		probs: []string{"{路}行道树虫害|{路}行道树上美国白蛾等虫害严重，虫子掉落到行人身上"}},
	// 公共安全 (emergency)
	{code: "safety.gasleak", zh: "燃气泄漏", en: "Gas leak", urgency: "emergency", route: "ent:gas", alt: "street", profile: "danger", season: "winterlite", where: "home", weight: 0.5,
		probs: []string{"{小区}{楼}楼道有燃气味|{小区}{楼}{单元}楼道内有很浓的燃气味，怀疑燃气泄漏"}, fix: "抢险人员已到场关闭阀门，查出泄漏点并完成维修，经检测无泄漏"},
	{code: "safety.collapse", zh: "路面塌陷", en: "Road collapse", urgency: "emergency", route: "city:jtw", alt: "city:swj", profile: "danger", season: "flood", where: "road", weight: 0.3,
		probs: []string{"{路}路面塌陷|{路}{路号}附近路面突然塌陷，出现一个大坑，车辆经过十分危险"}, fix: "已设置围挡警示并组织抢修，塌陷路面已修复"},
	{code: "safety.manhole", zh: "井盖缺失", en: "Missing manhole cover", urgency: "emergency", route: "city:swj", alt: "street", profile: "danger", season: "none", where: "road", weight: 0.7,
		probs: []string{"{路}井盖缺失|{路}{路号}附近人行道上的井盖丢失，晚上看不清容易掉进去", "{小区}井盖破损|{小区}{楼}旁的井盖破裂塌陷，孩子经常在附近玩耍"}, fix: "已设置警示标志并补装井盖"},
	{code: "safety.elevator", zh: "电梯困人", en: "Trapped in lift", urgency: "emergency", route: "city:scjg", alt: "street", profile: "danger", season: "none", where: "home", weight: 0.4,
		probs: []string{"{小区}{楼}电梯困人|{小区}{楼}{单元}电梯突然停在两层之间，里面困着人，物业联系不上维保单位"}, fix: "维保人员已到场将被困人员安全救出，并对电梯进行检修"},
	{code: "safety.wire", zh: "电线坠落", en: "Fallen power line", urgency: "emergency", route: "ent:power", alt: "ent:tel", profile: "danger", season: "flood", where: "road", weight: 0.4,
		probs: []string{"{路}电线掉落|{路}{路号}附近有电线掉落在人行道上，担心漏电伤人"}, fix: "抢修人员已断电处置并重新架设线路"},
	{code: "safety.tree", zh: "树木倒伏", en: "Fallen tree", urgency: "emergency", route: "city:ylj", alt: "street", profile: "danger", season: "flood", where: "road", weight: 0.4,
		probs: []string{"{路}大树倒伏|今天大风后{路}一棵大树倒伏，压住了路边停放的车辆，阻断交通"}, fix: "已组织抢险队伍清理倒伏树木，道路恢复通行"},
	{code: "safety.fireexit", zh: "消防安全隐患", en: "Fire hazards", urgency: "general", route: "street", alt: "city:yjj", profile: "infra", season: "winterlite", where: "home", weight: 1,
		probs: []string{"{小区}楼道堆放杂物|{小区}{楼}楼道内堆满杂物，还有人在楼道给电动车充电", "{小区}电动车飞线充电|{小区}{楼}有居民从楼上拉电线给电动车充电"}, fix: "已组织社区和物业清理楼道杂物，并对飞线充电行为进行劝阻"},
	// 通信
	{code: "telecom.signal", zh: "手机信号差", en: "Poor mobile signal", urgency: "general", route: "ent:tel", alt: "street", profile: "service", season: "none", where: "home", weight: 0.8,
		probs: []string{"{小区}手机信号差|{小区}{楼}室内手机信号很差，经常打不了电话"}},
	{code: "telecom.broadband", zh: "宽带故障", en: "Broadband faults", urgency: "general", route: "ent:tel", alt: "street", profile: "service", season: "none", where: "home", weight: 0.8,
		probs: []string{"{小区}宽带频繁断网|{小区}{楼}宽带近{持续}频繁断网，报修后一直没人上门"}},
	{code: "telecom.cable", zh: "线缆杂乱", en: "Messy cables", urgency: "general", route: "ent:tel", alt: "street", profile: "infra", season: "none", where: "road", weight: 0.6,
		probs: []string{"{路}架空线缆杂乱|{路}沿线架空线缆杂乱，有的已经垂落到人头高度"}},
	// 文化旅游
	{code: "culture.tourism", zh: "旅游投诉", en: "Tourism complaints", urgency: "general", route: "city:wlj", alt: "dist:scjg", profile: "market", season: "holiday", where: "any", weight: 0.8,
		probs: []string{"旅行社强制购物|参加{公司}组织的旅游团，导游强制游客购物", "景区门票价格问题|江川某景区门票未明码标价，节假日临时涨价"}},
	{code: "culture.venue", zh: "文体设施", en: "Sports and culture venues", urgency: "general", route: "street", alt: "city:wlj", profile: "infra", season: "summerlite", where: "home", weight: 0.7,
		probs: []string{"{小区}健身器材损坏|{小区}健身器材多处损坏，存在安全隐患"},
		asks:  []string{"咨询公共体育场馆开放|想了解{街道}附近的公共体育场馆开放时间和预约方式"}},
	// 社会治安
	{code: "police.fraud", zh: "电信诈骗", en: "Phone fraud", urgency: "general", route: "city:gaj", alt: "dist:scjg", profile: "market", season: "none", where: "any", weight: 0.8,
		probs: []string{"遭遇电信诈骗|{时间}接到自称客服的电话，被骗转账{金额}"}},
	{code: "police.dog", zh: "不文明养犬", en: "Irresponsible dog owners", urgency: "general", route: "city:gaj", alt: "street", profile: "nuisance", season: "summerlite", where: "home", weight: 1,
		probs: []string{"{小区}遛狗不拴绳|{小区}有居民遛狗不拴绳，大型犬追咬行人，狗粪也不清理"}},
	// 规划国土
	{code: "planning.permit", zh: "规划审批", en: "Planning permits", urgency: "complex", route: "city:ghzr", alt: "dist:zjw", profile: "policy", season: "none", where: "any", weight: 0.7,
		probs: []string{"{小区}旁规划建设变电站|听说{小区}旁要建变电站，居民担心辐射问题，希望公开规划信息"},
		asks:  []string{"咨询规划公示|想了解{小区}周边地块的规划用途和公示信息在哪里查询"}},
}

// buildCategories turns the branches and leaves into org categories,
// parents before children.
func buildCategories() []org.Category {
	var out []org.Category
	for _, b := range branches {
		out = append(out, org.Category{Code: b.code, Parent: org.ParentCode(b.code), NameZH: b.zh, NameEN: b.en, Active: true})
		for _, l := range leaves {
			if org.ParentCode(l.code) == b.code {
				out = append(out, org.Category{Code: l.code, Parent: b.code, NameZH: l.zh, NameEN: l.en,
					Urgency: l.urgency, Leaf: true, Active: true})
			}
		}
	}
	return out
}

// Taxonomy returns the category tree of a city hotline that the demo uses:
// a sensible starting taxonomy for a new installation too.
func Taxonomy() []org.Category { return buildCategories() }
