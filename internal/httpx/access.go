package httpx

import (
	"slices"
	"strings"

	"whistle/internal/org"
)

// Access is a route's first gate, declared beside the route in the API's
// and the pages' route blocks and checked before the handler reads a body
// or a query: who may call the route at all. A refused role gets 403 (the
// API) or a 403 page, whatever it sent; nobody signed in gets 401 or the
// login page. The services keep their own checks (scope, unit kind, the
// lifecycle's table): the gate is the first check, not the only one.
// internal/app/testdata/authz.tsv lists every route × role, and a test
// holds the routes to it.
type Access struct {
	public  bool     // anyone, signed in or not
	account bool     // any account, volunteers' included
	roles   []string // nil: anyone signed in; else one of these roles
}

// Public: anyone, signed in or not.
var Public = Access{public: true}

// SignedIn: anyone signed in with a staff role (the services scope what
// each sees); a volunteer-only account (org.StaffUser) is refused: it opens
// only the routes that name org.RoleVolunteer.
var SignedIn = Access{}

// Account: anyone signed in, a volunteer-only account included — for
// what every account needs of its own (its password, its second factor).
var Account = Access{account: true}

// Roles: signed-in users holding at least one of roles.
func Roles(roles ...string) Access {
	if len(roles) == 0 {
		panic("httpx.Roles: no role")
	}
	return Access{roles: slices.Clone(roles)}
}

// Admin: administrators only.
var Admin = Roles(org.RoleAdmin)

// IsPublic tells whether the route needs no sign-in.
func (a Access) IsPublic() bool { return a.public }

// Allows tells whether a signed-in user passes the gate.
func (a Access) Allows(u org.User) bool {
	if a.account {
		return slices.ContainsFunc(u.Roles, org.ValidRole)
	}
	return a.public || (a.roles == nil && org.StaffUser(u)) || u.Has(a.roles...)
}

// String is the rule as the matrix file writes it: public, signed-in, or
// the roles joined by "|".
func (a Access) String() string {
	switch {
	case a.public:
		return "public"
	case a.account:
		return "account"
	case a.roles == nil:
		return "signed-in"
	}
	return strings.Join(a.roles, "|")
}
