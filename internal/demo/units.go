package demo

import (
	"fmt"
	"math/rand/v2"

	"whistle/internal/org"
)

// DemoPassword is the password of every demo user.
const DemoPassword = "whistle-demo"

// cityDepts are the city-level departments (委办局), by routing key.
var cityDepts = []struct{ key, name string }{
	{"cgzf", "江川市城市管理综合行政执法局"},
	{"zjw", "江川市住房和城乡建设委员会"},
	{"scjg", "江川市市场监督管理局"},
	{"sthj", "江川市生态环境局"},
	{"swj", "江川市水务局"},
	{"jtw", "江川市交通委员会"},
	{"gaj", "江川市公安局"},
	{"jgj", "江川市公安局公安交通管理局"},
	{"wjw", "江川市卫生健康委员会"},
	{"jw", "江川市教育委员会"},
	{"rsj", "江川市人力资源和社会保障局"},
	{"mzj", "江川市民政局"},
	{"ylj", "江川市园林绿化局"},
	{"ghzr", "江川市规划和自然资源委员会"},
	{"ybj", "江川市医疗保障局"},
	{"wlj", "江川市文化和旅游局"},
	{"yjj", "江川市应急管理局"},
}

// enterprises are the public-service enterprises, by routing key.
var enterprises = []struct{ key, name string }{
	{"water", "江川市自来水集团有限责任公司"},
	{"power", "国网江川市供电公司"},
	{"gas", "江川市燃气集团有限责任公司"},
	{"heat", "江川市热力集团有限责任公司"},
	{"tel", "江川通信公司"},
	{"bus", "江川市公共交通集团有限公司"},
}

// districtDepts are the departments every district has, by routing key.
var districtDepts = []struct{ key, suffix string }{
	{"cgzf", "城市管理综合行政执法局"},
	{"zjw", "住房和城乡建设委员会"},
	{"scjg", "市场监督管理局"},
}

// orgModel indexes the units and users the generator routes work to.
type orgModel struct {
	cityCentre  int
	cityDept    map[string]int // key → unit index
	ent         map[string]int
	handler     map[int]int // unit index → handler user index
	leader      map[int]int // unit index → leader user index
	agents      []int
	dispatchers []int
	citySup     int
}

func addUnit(ds *Dataset, code, name, kind string, place, sup int) int {
	u := org.Unit{ID: int64(len(ds.Units) + 1), Code: code, Name: name, Kind: kind, PlaceID: int64(place + 1)}
	if sup >= 0 {
		u.SupervisorID = int64(sup + 1)
	}
	ds.Units = append(ds.Units, u)
	return len(ds.Units) - 1
}

func addUser(ds *Dataset, username, display string, unit int, roles ...string) int {
	ds.Users = append(ds.Users, User{User: org.User{ID: int64(len(ds.Users) + 1), Username: username,
		DisplayName: display, UnitID: int64(unit + 1), Roles: roles}, Password: DemoPassword})
	return len(ds.Users) - 1
}

// buildOrg creates the units and users for the city.
func buildOrg(ds *Dataset, c *city, rng *rand.Rand) *orgModel {
	m := &orgModel{cityDept: map[string]int{}, ent: map[string]int{}, handler: map[int]int{}, leader: map[int]int{}}
	m.cityCentre = addUnit(ds, "jc12345", "江川市12345市民服务热线中心", org.KindCityCentre, 0, -1)
	for _, d := range c.districts {
		d.centre = addUnit(ds, "dc-"+d.code, d.name+"12345市民服务热线分中心", org.KindDistrictCentre, d.place, m.cityCentre)
	}
	for _, s := range c.streets {
		name := s.dist.name + s.name + "办事处"
		if s.town {
			name = s.dist.name + s.name + "人民政府"
		}
		s.office = addUnit(ds, "st-"+s.code, name, org.KindStreet, s.place, s.dist.centre)
	}
	for _, d := range cityDepts {
		m.cityDept[d.key] = addUnit(ds, "city-"+d.key, d.name, org.KindDepartment, 0, m.cityCentre)
	}
	for _, e := range enterprises {
		m.ent[e.key] = addUnit(ds, "ent-"+e.key, e.name, org.KindEnterprise, 0, m.cityCentre)
	}
	for _, d := range c.districts {
		for _, dd := range districtDepts {
			d.depts[dd.key] = addUnit(ds, "d"+d.code+"-"+dd.key, d.name+dd.suffix, org.KindDepartment, d.place, d.centre)
		}
	}

	// Users of the city centre.
	addUser(ds, "admin", "系统管理员", m.cityCentre, org.RoleAdmin)
	addUser(ds, "analyst", "数据分析员"+personName(rng), m.cityCentre, org.RoleAnalyst)
	for i := 1; i <= 10; i++ {
		m.agents = append(m.agents, addUser(ds, fmt.Sprintf("agent%02d", i), personName(rng), m.cityCentre, org.RoleAgent))
	}
	for i := 1; i <= 3; i++ {
		m.dispatchers = append(m.dispatchers, addUser(ds, fmt.Sprintf("dispatcher%02d", i), personName(rng), m.cityCentre, org.RoleDispatcher))
	}
	for _, d := range c.districts {
		d.sup = addUser(ds, "sup-"+d.code, personName(rng), d.centre, org.RoleSupervisor)
	}
	m.citySup = addUser(ds, "sup-city", personName(rng), m.cityCentre, org.RoleSupervisor)
	// A handler and a leader in every unit that handles work.
	for ui := range ds.Units {
		u := ds.Units[ui]
		if u.IsCentre() {
			continue
		}
		m.handler[ui] = addUser(ds, "h-"+u.Code, personName(rng), ui, org.RoleHandler)
		m.leader[ui] = addUser(ds, "l-"+u.Code, personName(rng), ui, org.RoleLeader)
	}
	// Grid workers: three per street, the street's grids dealt out among them.
	for _, s := range c.streets {
		var gs []*grid
		for _, cm := range s.comms {
			gs = append(gs, cm.grids...)
		}
		n := min(3, len(gs))
		for w := range n {
			ui := addUser(ds, fmt.Sprintf("g-%s-%d", s.code, w+1), personName(rng), s.office, org.RoleGridWorker)
			s.workers = append(s.workers, ui)
		}
		for gi, g := range gs {
			w := s.workers[gi*n/len(gs)]
			g.worker = w
			ds.Users[w].GridIDs = append(ds.Users[w].GridIDs, int64(g.place+1))
		}
	}
	return m
}

// Logins lists one example user for every role, for printing at start-up
// and for the login page of a demo city. Handlers work in street offices
// and in departments alike, so a department's handler comes too, just
// before the street's (callers that keep one user per role keep the
// street's).
func Logins(ds *Dataset) []User {
	var out []User
	seen := map[string]bool{}
	for _, r := range org.AllRoles {
		if r == org.RoleHandler {
			for _, u := range ds.Users {
				if len(u.Roles) > 0 && u.Roles[0] == r && ds.Units[u.UnitID-1].Kind == org.KindDepartment {
					seen["department:"+u.Username] = true
					out = append(out, u)
					break
				}
			}
		}
		for _, u := range ds.Users {
			if len(u.Roles) > 0 && u.Roles[0] == r && !seen[r] && !seen["department:"+u.Username] {
				seen[r] = true
				out = append(out, u)
				break
			}
		}
	}
	return out
}
