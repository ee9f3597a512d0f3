package org

import (
	"reflect"
	"testing"
)

func TestScopeOf(t *testing.T) {
	city := Unit{ID: 1, Kind: KindCityCentre}
	dc := Unit{ID: 2, Kind: KindDistrictCentre}
	street := Unit{ID: 3, Kind: KindStreet}
	dept := Unit{ID: 4, Kind: KindDepartment}
	u := func(roles ...string) User { return User{ID: 9, Roles: roles, GridIDs: []int64{7, 8}} }
	cases := []struct {
		name string
		a    Actor
		want Scope
	}{
		{"agent at the city centre sees all", Actor{User: u(RoleAgent), Unit: city}, Scope{All: true}},
		{"dispatcher at the city centre sees all", Actor{User: u(RoleDispatcher), Unit: city}, Scope{All: true}},
		{"analyst sees all without personal data", Actor{User: u(RoleAnalyst), Unit: city}, Scope{All: true, NoPII: true}},
		{"district supervisor sees the district", Actor{User: u(RoleSupervisor), Unit: dc, DistrictID: 20}, Scope{DistrictID: 20, UnitID: 2}},
		{"district agent sees the district", Actor{User: u(RoleAgent), Unit: dc, DistrictID: 20}, Scope{DistrictID: 20, UnitID: 2}},
		{"street handler sees its unit", Actor{User: u(RoleHandler), Unit: street, DistrictID: 20}, Scope{UnitID: 3}},
		{"department leader sees its unit", Actor{User: u(RoleLeader), Unit: dept}, Scope{UnitID: 4}},
		{"grid worker sees its reports and grids", Actor{User: u(RoleGridWorker), Unit: street}, Scope{UserID: 9, GridIDs: []int64{7, 8}}},
		{"admin outside the centre sees nothing", Actor{User: u(RoleAdmin), Unit: street}, Scope{None: true}},
		{"no role sees nothing", Actor{User: u(), Unit: city}, Scope{None: true}},
		{"system sees all", System(), Scope{All: true}},
	}
	for _, c := range cases {
		if got := ScopeOf(c.a); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestMayRevealPII(t *testing.T) {
	city := Unit{ID: 1, Kind: KindCityCentre}
	street := Unit{ID: 3, Kind: KindStreet}
	for _, c := range []struct {
		roles []string
		unit  Unit
		want  bool
	}{
		{[]string{RoleAgent}, city, true},
		{[]string{RoleHandler}, street, true},
		{[]string{RoleAnalyst}, city, false},
		{[]string{RoleSupervisor}, city, false},
		{[]string{RoleGridWorker}, street, false},
		{[]string{RoleAdmin}, city, false},
	} {
		if got := MayRevealPII(Actor{User: User{Roles: c.roles}, Unit: c.unit}); got != c.want {
			t.Errorf("%v: got %v", c.roles, got)
		}
	}
}

func TestMasks(t *testing.T) {
	for in, want := range map[string]string{"13812341234": "138****1234", "01065551234": "010****1234", "12345": "*2345", "123": "****", "": ""} {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"张三丰": "张**", "王五": "王*", "李": "李*", "": ""} {
		if got := MaskName(in); got != want {
			t.Errorf("MaskName(%q) = %q, want %q", in, got, want)
		}
	}
	if ParentCode("urban.stall") != "urban" || ParentCode("urban") != "" || ParentCode("a.b.c") != "a.b" {
		t.Error("ParentCode")
	}
}

// TestCentreReach: district centre staff act for the centre in their own
// district only; city staff everywhere; nobody else as the centre.
func TestCentreReach(t *testing.T) {
	city := Unit{ID: 1, Kind: KindCityCentre}
	dc := Unit{ID: 2, Kind: KindDistrictCentre}
	street := Unit{ID: 3, Kind: KindStreet}
	u := func(roles ...string) User { return User{ID: 9, Roles: roles} }
	const A, B = 20, 30
	cases := []struct {
		name               string
		a                  Actor
		inA, inB, cityWide bool // CentreStaffIn for district A, B, 0
		editA, editCity    bool // MayEditArticle for district A, 0
	}{
		{"city agent", Actor{User: u(RoleAgent), Unit: city}, true, true, true, true, true},
		{"city dispatcher", Actor{User: u(RoleDispatcher), Unit: city}, true, true, true, true, true},
		{"city supervisor", Actor{User: u(RoleSupervisor), Unit: city}, true, true, true, true, true},
		{"admin", Actor{User: u(RoleAdmin), Unit: street, DistrictID: A}, true, true, true, true, true},
		{"analyst reads city-wide, edits nothing", Actor{User: u(RoleAnalyst), Unit: dc, DistrictID: A}, true, true, true, false, false},
		{"system", System(), true, true, true, false, false},
		{"district A supervisor", Actor{User: u(RoleSupervisor), Unit: dc, DistrictID: A}, true, false, false, true, false},
		{"district A dispatcher", Actor{User: u(RoleDispatcher), Unit: dc, DistrictID: A}, true, false, false, true, false},
		{"district A agent", Actor{User: u(RoleAgent), Unit: dc, DistrictID: A}, true, false, false, true, false},
		{"district centre without a district", Actor{User: u(RoleSupervisor), Unit: dc}, false, false, false, false, false},
		{"district centre handler", Actor{User: u(RoleHandler), Unit: dc, DistrictID: A}, false, false, false, false, false},
		{"street leader", Actor{User: u(RoleLeader), Unit: street, DistrictID: A}, false, false, false, false, false},
		{"grid worker", Actor{User: u(RoleGridWorker), Unit: street, DistrictID: A}, false, false, false, false, false},
	}
	for _, c := range cases {
		got := [5]bool{CentreStaffIn(c.a, A), CentreStaffIn(c.a, B), CentreStaffIn(c.a, 0), MayEditArticle(c.a, A), MayEditArticle(c.a, 0)}
		want := [5]bool{c.inA, c.inB, c.cityWide, c.editA, c.editCity}
		if got != want {
			t.Errorf("%s: in A, in B, city-wide, edit A, edit city = %v, want %v", c.name, got, want)
		}
		if CityStaff(c.a) != c.cityWide {
			t.Errorf("%s: CityStaff = %v, want %v", c.name, CityStaff(c.a), c.cityWide)
		}
		if d, all, ok := CentreDistrict(c.a); ok != (c.inA || c.inB) || all != c.cityWide || (ok && !all && d != A) {
			t.Errorf("%s: CentreDistrict = %d %v %v", c.name, d, all, ok)
		}
	}
}
