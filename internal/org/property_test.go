package org

import (
	"reflect"
	"testing"
)

// Property companies and owners' committees see only what is dispatched
// to them, like an enterprise; none of their roles acts for a centre.
func TestPropertyScopes(t *testing.T) {
	prop := Unit{ID: 60, Kind: KindProperty, SupervisorID: 3}
	oc := Unit{ID: 61, Kind: KindOwnersCommittee}
	ent := Unit{ID: 50, Kind: KindEnterprise}
	u := func(roles ...string) User { return User{ID: 9, Roles: roles} }
	for _, tc := range []struct {
		name string
		a    Actor
		want Scope
	}{
		{"property handler sees its unit", Actor{User: u(RoleHandler), Unit: prop, DistrictID: 20}, Scope{UnitID: 60}},
		{"property leader sees its unit", Actor{User: u(RoleLeader), Unit: prop}, Scope{UnitID: 60}},
		{"same as an enterprise handler", Actor{User: u(RoleHandler), Unit: ent}, Scope{UnitID: 50}},
		{"owners' committee handler sees its unit", Actor{User: u(RoleHandler), Unit: oc}, Scope{UnitID: 61}},
		{"an agent at a property company is no centre", Actor{User: u(RoleAgent), Unit: prop}, Scope{None: true}},
		{"a dispatcher at a property company is no centre", Actor{User: u(RoleDispatcher), Unit: prop}, Scope{None: true}},
		{"an admin at a property company sees nothing", Actor{User: u(RoleAdmin), Unit: prop}, Scope{None: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ScopeOf(tc.a); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ScopeOf = %+v, want %+v", got, tc.want)
			}
			if CentreStaff(tc.a) && !tc.a.User.Has(RoleAdmin) {
				t.Fatal("property staff act for a centre")
			}
			if CityDecider(tc.a) && !tc.a.User.Has(RoleAdmin) {
				t.Fatal("property staff decide city-wide")
			}
		})
	}
}
