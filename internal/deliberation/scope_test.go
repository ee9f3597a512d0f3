package deliberation

import (
	"testing"

	"whistle/internal/org"
)

func TestWhoMay(t *testing.T) {
	street := org.Unit{ID: 7, Kind: org.KindStreet, PlaceID: 30}
	community := org.Unit{ID: 9, Kind: KindCommunity, PlaceID: 31}
	dept := org.Unit{ID: 3, Kind: org.KindDepartment, PlaceID: 1}
	centre := org.Unit{ID: 1, Kind: org.KindCityCentre, PlaceID: 1}
	as := func(u org.Unit, roles ...string) org.Actor {
		return org.Actor{User: org.User{ID: 5, UnitID: u.ID, Roles: roles}, Unit: u}
	}
	it := &Item{UnitID: 7}
	for _, c := range []struct {
		name                 string
		a                    org.Actor
		raise, manage, trust bool
	}{
		{"street handler", as(street, org.RoleHandler), true, true, true},
		{"street leader", as(street, org.RoleLeader), true, true, true},
		{"street grid worker", as(street, org.RoleGridWorker), false, false, false},
		{"community handler", as(community, org.RoleHandler), true, false, false},
		{"department handler", as(dept, org.RoleHandler), false, false, false},
		{"city dispatcher", as(centre, org.RoleDispatcher), false, false, false},
		{"analyst", as(centre, org.RoleAnalyst), false, false, false},
	} {
		if got := MayRaise(c.a); got != c.raise {
			t.Errorf("%s: MayRaise = %v", c.name, got)
		}
		if got := MayManage(c.a, it); got != c.manage {
			t.Errorf("%s: MayManage = %v", c.name, got)
		}
		if got := MayReveal(c.a, it); got != c.trust {
			t.Errorf("%s: MayReveal = %v", c.name, got)
		}
	}
}

func TestInArea(t *testing.T) {
	for _, c := range []struct {
		name  string
		chain [4]int64
		level string
		unit  int64
		want  bool
	}{
		{"the street itself", [4]int64{2, 30, 0, 0}, org.LevelStreet, 30, true},
		{"a community of the street", [4]int64{2, 30, 31, 0}, org.LevelCommunity, 30, true},
		{"a community unit's community", [4]int64{2, 30, 31, 0}, org.LevelCommunity, 31, true},
		{"another street's community", [4]int64{2, 40, 41, 0}, org.LevelCommunity, 30, false},
		{"a grid is too small", [4]int64{2, 30, 31, 32}, org.LevelGrid, 30, false},
		{"a district is too large", [4]int64{2, 0, 0, 0}, org.LevelDistrict, 2, false},
		{"a unit without a place", [4]int64{2, 30, 31, 0}, org.LevelCommunity, 0, false},
	} {
		if got := InArea(c.chain, c.level, c.unit); got != c.want {
			t.Errorf("%s: InArea = %v", c.name, got)
		}
	}
}

func TestScrubPhones(t *testing.T) {
	for in, want := range map[string]string{
		"联系我 13912345678":     "联系我 ***",
		"电话 139-1234-5678 谢谢": "电话 *** 谢谢",
		"座机 010-62345678":     "座机 ***",
		"5 号楼 12 户同意":         "5 号楼 12 户同意",
		"":                    "",
	} {
		if got := ScrubPhones(in); got != want {
			t.Errorf("ScrubPhones(%q) = %q, want %q", in, got, want)
		}
	}
}
