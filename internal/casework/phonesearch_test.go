package casework

import (
	"testing"

	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

func TestFullPhone(t *testing.T) {
	tests := []struct {
		in, want string // want "" = refused (invalid_phone on field phone)
	}{
		{"13812341234", "13812341234"},
		{" 138 1234 1234 ", "13812341234"},
		{"+86 138-1234-1234", "13812341234"},
		{"１３８１２３４１２３４", "13812341234"},
		{"010-12345678", "01012345678"},
		{"0571-87654321", "057187654321"},
		{"138****1234", ""},
		{"138＊＊＊＊1234", ""},
		{"1381234123*", ""},
		{"1381234123%", ""},
		{"1381234123_", ""},
		{"1381234123?", ""},
		{"138xxxx1234", ""},
		{"%", ""},
		{"1381234123", ""}, // ten digits
		{"1381234", ""},
		{"81234123", ""}, // a local number without its area code
		{"12345", ""},
		{"95588", ""},
		{"400-123-4567", ""},
		{"800-123-4567", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := fullPhone(tt.in)
		if tt.want == "" {
			if !errs.Is(err, errs.InvalidPhone) || len(errs.FieldsOf(err)) != 1 || errs.FieldsOf(err)[0].Field != "phone" {
				t.Errorf("fullPhone(%q) = %q, %v; want invalid_phone on phone", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("fullPhone(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestMaySearchByPhone(t *testing.T) {
	city := org.Unit{ID: 1, Kind: org.KindCityCentre}
	district := org.Unit{ID: 2, Kind: org.KindDistrictCentre}
	street := org.Unit{ID: 3, Kind: org.KindStreet}
	dept := org.Unit{ID: 4, Kind: org.KindDepartment}
	as := func(u org.Unit, roles ...string) org.Actor {
		return org.Actor{User: org.User{ID: 9, Roles: roles}, Unit: u, DistrictID: 7}
	}
	tests := []struct {
		name string
		a    org.Actor
		want bool
	}{
		{"city agent", as(city, org.RoleAgent), true},
		{"city dispatcher", as(city, org.RoleDispatcher), true},
		{"district agent", as(district, org.RoleAgent), true},
		{"district dispatcher", as(district, org.RoleDispatcher), true},
		{"city supervisor", as(city, org.RoleSupervisor), false},
		{"district supervisor", as(district, org.RoleSupervisor), false},
		{"city admin", as(city, org.RoleAdmin), false},
		{"analyst", as(city, org.RoleAnalyst), false},
		{"district agent and analyst (no personal data)", as(district, org.RoleAgent, org.RoleAnalyst), false},
		{"street handler", as(street, org.RoleHandler), false},
		{"street leader", as(street, org.RoleLeader), false},
		{"agent role in a street office", as(street, org.RoleAgent), false},
		{"department handler", as(dept, org.RoleHandler), false},
		{"grid worker", as(street, org.RoleGridWorker), false},
		{"system", org.System(), false},
		{"no roles", as(city), false},
	}
	for _, tt := range tests {
		if got := MaySearchByPhone(tt.a); got != tt.want {
			t.Errorf("%s: MaySearchByPhone = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestMayMatchConfidential(t *testing.T) {
	city := org.Actor{User: org.User{ID: 1, Roles: []string{org.RoleAgent}}, Unit: org.Unit{ID: 1, Kind: org.KindCityCentre}}
	district := org.Actor{User: org.User{ID: 2, Roles: []string{org.RoleAgent}}, Unit: org.Unit{ID: 2, Kind: org.KindDistrictCentre}}
	colleague := org.Actor{User: org.User{ID: 3, Roles: []string{org.RoleDispatcher}}, Unit: org.Unit{ID: 2, Kind: org.KindDistrictCentre}}
	tests := []struct {
		name string
		a    org.Actor
		c    lifecycle.Case
		want bool
	}{
		{"city centre, a street leads", city, lifecycle.Case{LeadUnitID: 5, CreatedBy: 2}, true},
		{"city centre, not dispatched", city, lifecycle.Case{CreatedBy: 2}, true},
		{"district centre, a street leads", district, lifecycle.Case{LeadUnitID: 5, CreatedBy: 1}, false},
		{"district centre leads", district, lifecycle.Case{LeadUnitID: 2, CreatedBy: 1}, true},
		{"district agent registered it", district, lifecycle.Case{LeadUnitID: 5, CreatedBy: 2}, true},
		{"a colleague registered it, a street leads", colleague, lifecycle.Case{LeadUnitID: 5, CreatedBy: 2}, false},
		{"not dispatched, nobody recorded", district, lifecycle.Case{}, false},
	}
	for _, tt := range tests {
		if got := mayMatchConfidential(tt.a, &tt.c); got != tt.want {
			t.Errorf("%s: mayMatchConfidential = %v, want %v", tt.name, got, tt.want)
		}
	}
}
