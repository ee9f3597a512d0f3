package demo

import (
	"testing"

	"whistle/internal/org"
)

// The demo's logins have a user for every role and, among the handlers, a
// department's as well as a street's; the street's comes last, so a caller
// keeping one user per role keeps it.
func TestLoginsHaveADepartmentHandler(t *testing.T) {
	ds := Generate(Options{Seed: 7, Requests: 10, End: testEnd})
	kinds := []string{}
	roles := map[string]bool{}
	for _, u := range Logins(ds) {
		roles[u.Roles[0]] = true
		if u.Roles[0] == org.RoleHandler {
			kinds = append(kinds, ds.Units[u.UnitID-1].Kind)
		}
	}
	for _, r := range org.AllRoles {
		if !roles[r] && r != org.RoleSystem && r != "citizen" {
			t.Errorf("no login for role %s", r)
		}
	}
	if len(kinds) != 2 || kinds[0] != org.KindDepartment || kinds[1] != org.KindStreet {
		t.Errorf("handler logins by unit kind: %v, want [department street]", kinds)
	}
}
