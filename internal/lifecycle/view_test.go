package lifecycle

import (
	"testing"

	"whistle/internal/org"
)

func TestViewFor(t *testing.T) {
	city := org.Unit{ID: 1, Kind: org.KindCityCentre}
	district := org.Unit{ID: 2, Kind: org.KindDistrictCentre, PlaceID: 10}
	street := org.Unit{ID: 3, Kind: org.KindStreet, PlaceID: 11}
	actor := func(u org.Unit, roles ...string) org.Actor {
		return org.Actor{User: org.User{ID: 9, Roles: roles, UnitID: u.ID}, Unit: u, DistrictID: 10}
	}
	plain := Case{Citizen: Citizen{Name: "王小明", Phone: "13812341234", PhoneHash: "h"}}
	secret := Case{Citizen: Citizen{Name: "王小明", Phone: "13812341234", PhoneHash: "h", Confidential: true}}
	tests := []struct {
		name        string
		a           org.Actor
		c           Case
		vis         Visibility
		wantName    string
		wantPhone   string
		mayReveal   bool
		wantConfTag bool
	}{
		{"agent sees masked", actor(city, org.RoleAgent), plain, CitizenMasked, "王**", "138****1234", true, false},
		{"street handler sees masked", actor(street, org.RoleHandler), plain, CitizenMasked, "王**", "138****1234", true, false},
		{"supervisor sees masked, may not reveal", actor(district, org.RoleSupervisor), plain, CitizenMasked, "王**", "138****1234", false, false},
		{"analyst sees nothing", actor(city, org.RoleAnalyst), plain, CitizenHidden, "", "", false, false},
		{"analyst sees nothing of a confidential citizen", actor(city, org.RoleAnalyst), secret, CitizenHidden, "", "", false, true},
		{"street: confidential withheld", actor(street, org.RoleHandler), secret, CitizenWithheld, WithheldName, WithheldPhone, false, true},
		{"district centre: confidential masked", actor(district, org.RoleDispatcher), secret, CitizenMasked, "王**", "138****1234", true, true},
		{"city agent: confidential masked", actor(city, org.RoleAgent), secret, CitizenMasked, "王**", "138****1234", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			if got := CitizenVisibility(tt.a, &c); got != tt.vis {
				t.Fatalf("visibility %d, want %d", got, tt.vis)
			}
			v := ViewFor(tt.a, &c)
			if v.Citizen.Name != tt.wantName || v.Citizen.Phone != tt.wantPhone || v.Citizen.PhoneHash != "" {
				t.Fatalf("view %+v, want %q %q and no hash", v.Citizen, tt.wantName, tt.wantPhone)
			}
			if v.Citizen.Confidential != tt.wantConfTag {
				t.Fatalf("confidential flag %v", v.Citizen.Confidential)
			}
			if c.Citizen.Phone != "13812341234" || c.Citizen.PhoneHash != "h" {
				t.Fatal("ViewFor changed the case it was given")
			}
			if got := MayReveal(tt.a, &c); got != tt.mayReveal {
				t.Fatalf("MayReveal %v, want %v", got, tt.mayReveal)
			}
		})
	}
	if ViewFor(actor(city, org.RoleAgent), nil) != nil {
		t.Fatal("nil case")
	}
}
