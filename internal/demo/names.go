package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Word pools for invented but believable place and person names.
var (
	streetBases = strings.Fields(`滨河 鼓楼 钟楼 文庙 东关 西关 南关 北关 金台 玉泉 青云 和平 安定 长春 新华 建设
		光明 胜利 向阳 红星 桃源 杏坛 柳荫 松竹 梅岭 兰亭 荷塘 双井 三里河 八里庄 六铺 七星 九龙 十里堡 龙湾
		石门 白塔 沙河 柏林 榆林 槐荫 桑园 枣林 梨园 稻香 麦庄 谷丰 泉水 清溪 青龙 白马 金牛 银山 铜井 瓦窑
		望湖 临川 川北 江南 江北 东坝 西坝 马坊 杨桥 李桥 高村 陈庄 赵营 孙河 古城 新城 北苑 南苑 东湖 西湖
		凤凰 卧龙 云岗 霞光 翠屏 碧水 长乐 永安 太平 同心`)
	roadSuffixes  = []string{"路", "街", "大街", "南路", "北路", "东路", "西路", "胡同", "巷", "大道", "中路"}
	roadBases     = strings.Fields(`人民 解放 建国 复兴 中山 文化 学院 工农 团结 友谊 幸福 育才 振兴 迎宾 滨江 环城 站前 体育 公园 民主 光华 华严 安华 朝晖 启明 航天 科技 通惠 永定 宏达`)
	commBases     = strings.Fields(`翠湖 锦绣 阳光 枫林 紫荆 丽都 华苑 康乐 安华 和平里 花园村 百万庄 甘家口 团结湖 新源 左家庄 芍药居 安苑 育新 清源 兴隆 海棠 玉兰 青塔 金鱼池 东花市 白纸坊 牛街 椿树 桃园 红莲 广安 天宁寺 展览路 车公庄 月坛 真武庙 大井 卢沟 长辛 太平桥 樱桃园 双榆树 知春 北太平 学院路 小关 惠新 安慧 望花 松榆 劲松 垂杨柳 潘家园 南磨房 十八里 东铁营 洋桥 马家堡 角门 星河 丽泽 青秀 晓月 锦园 富丽 明光 乐园 龙潭 永乐 天坛 体育馆 祈年 景泰 福星 瑞祥`)
	commSuffixes  = []string{"", "东里", "西里", "南里", "北里", "一区", "二区", "三区", "园", "苑", "街"}
	villageFirst  = strings.Fields(`李 王 张 刘 陈 杨 赵 黄 周 吴 徐 孙 马 朱 胡 高 林 何 郭 罗 宋 郑 韩 唐 冯 于 董 程 曹 袁 邓 许 沈 彭 吕 柳 榆 槐 桑 枣 梨 桃 杏 石 沙 河 山 泉 龙 凤 白 红 青 北 南`)
	villageSuffix = []string{"庄", "营", "屯", "店", "坨", "各庄", "家务", "家峪", "家沟", "家堡", "窑", "台", "坊", "辛庄", "家湾"}
	villagePrefix = []string{"", "", "", "前", "后", "东", "西", "南", "北", "大", "小", "上", "下"}
	compoundBases = strings.Fields(`翠湖 阳光 锦绣 枫林 紫荆 丽景 康乐 华府 金色 碧水 书香 星河 明珠 御景 晨曦 悦澜 和谐 怡心 桂香 春晖 绿地 瑞雪 金桥 蓝湾 海德 天悦 嘉和 宏福 润泽 万象 青年 百合 香樟 鹿鸣 观山 望湖 临江 滨江 云锦 雅颂 听涛 梧桐 芳草 新景 润丰 美林 鑫苑 东方 华清 世纪 泰和 恒盛 祥和 丰汇 长城 北辰 南湾 西郊 东坡
		玉兰 海棠 丁香 银杏 紫薇 芙蓉 青枫 翠竹 松涛 柏景 荷风 兰溪 清水 映月 星光 朝阳 曙光 金域 锦华 丽水 翡翠 琥珀 如意 安和 康泰 福润 嘉禾 丰泽 瑞和 博雅 文华 育才 建工 电力 铁路 邮电 化工 机床 纺织 钢厂 农机 交通 税务 教工 医苑 地质`)
	compoundSuf  = []string{"家园", "花园", "小区", "嘉园", "雅苑", "公寓", "新村", "华庭", "名苑", "佳园", "北区", "南区", "一期", "二期", "里"}
	surnames     = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
	givenChars   = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志飞海波宁欣怡晨浩宇子涵梓轩雨欣佳琪思远博文俊杰鑫凯晓东淑珍秀兰德福振华丽娟春梅宏伟永刚雪梅")
	shopNames    = strings.Fields(`老王烧烤 鑫源超市 好邻居便利店 川味小馆 兄弟串吧 福满楼饭庄 便民早点铺 金牌麻辣烫 惠民果蔬店 新潮KTV 悦动健身房 小李汽修 宏达装饰 顺心洗衣店 美佳美容院 好运来酒楼 一品香饺子馆 老北京炸酱面 大碗烩面馆 夜猫子大排档`)
	companyNames = strings.Fields(`江川宏远建筑工程有限公司 江川鑫达物业管理有限公司 江川恒通装饰工程有限公司 江川华泰商贸有限公司 江川金诺教育科技有限公司 江川安居物业服务有限公司 江川速达物流有限公司 江川美好生活健身有限公司 江川博学培训学校 江川顺捷汽车服务有限公司`)
)

// namer hands out unique names from the pools.
type namer struct {
	rng  *rand.Rand
	used map[string]bool
	sb   []string
}

func newNamer(rng *rand.Rand) *namer {
	sb := append([]string(nil), streetBases...)
	rng.Shuffle(len(sb), func(i, j int) { sb[i], sb[j] = sb[j], sb[i] })
	return &namer{rng: rng, used: map[string]bool{}, sb: sb}
}

func pick[T any](rng *rand.Rand, s []T) T { return s[rng.IntN(len(s))] }

func (n *namer) unique(gen func() string) string {
	for range 200 {
		if s := gen(); !n.used[s] {
			n.used[s] = true
			return s
		}
	}
	for i := 2; ; i++ { // pools exhausted: number the name
		if s := fmt.Sprintf("%s%d", gen(), i); !n.used[s] {
			n.used[s] = true
			return s
		}
	}
}

func (n *namer) streetBase() string {
	if len(n.sb) > 0 {
		s := n.sb[0]
		n.sb = n.sb[1:]
		n.used[s] = true
		return s
	}
	return n.unique(func() string { return pick(n.rng, villageFirst) + pick(n.rng, villageSuffix) })
}

func (n *namer) road(base string) string {
	return n.unique(func() string {
		if n.rng.IntN(3) == 0 {
			return base + pick(n.rng, roadSuffixes)
		}
		return pick(n.rng, roadBases) + pick(n.rng, roadSuffixes)
	})
}

func (n *namer) community(base string) string {
	return n.unique(func() string {
		b := pick(n.rng, commBases)
		if n.rng.IntN(6) == 0 {
			b = base
		}
		return b + pick(n.rng, commSuffixes) + "社区"
	})
}

func (n *namer) village() string {
	return n.unique(func() string {
		return pick(n.rng, villagePrefix) + pick(n.rng, villageFirst) + pick(n.rng, villageSuffix) + "村"
	})
}

func (n *namer) compound() string {
	return n.unique(func() string { return pick(n.rng, compoundBases) + pick(n.rng, compoundSuf) })
}

// personName returns a two- or three-character Chinese name.
func personName(rng *rand.Rand) string {
	r := []rune{pick(rng, surnames), pick(rng, givenChars)}
	if rng.IntN(10) < 7 {
		r = append(r, pick(rng, givenChars))
	}
	return string(r)
}

var mobilePrefixes = []string{"130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155", "156", "157", "158", "159", "166", "170", "173", "176", "177", "180", "181", "182", "183", "185", "186", "187", "188", "189", "191", "193", "195", "198", "199"}

// mobile returns a plausible mainland mobile number, 1[3-9]\d{9}.
func mobile(rng *rand.Rand) string {
	return fmt.Sprintf("%s%08d", pick(rng, mobilePrefixes), rng.IntN(100000000))
}

var cnDigits = []string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"}

// cnNum writes 1..99 in Chinese numerals.
func cnNum(n int) string {
	switch {
	case n <= 10:
		return cnDigits[n]
	case n < 20:
		return "十" + cnDigits[n-10]
	case n%10 == 0:
		return cnDigits[n/10] + "十"
	}
	return cnDigits[n/10] + "十" + cnDigits[n%10]
}
