// Package org describes the city's organisation: the tree of places, the
// units that handle work, the people in them with their roles, the category
// taxonomy, and the visibility rule that scopes every read and write.
package org

import (
	"slices"
	"strings"
)

// Place levels, from the city down to the grid.
const (
	LevelCity      = "city"
	LevelDistrict  = "district"
	LevelStreet    = "street" // 街道 / 乡镇
	LevelCommunity = "community"
	LevelGrid      = "grid"
)

// Levels lists place levels from top to bottom.
var Levels = []string{LevelCity, LevelDistrict, LevelStreet, LevelCommunity, LevelGrid}

// Place is one node of the place tree. Boundary is a GeoJSON Polygon or
// MultiPolygon geometry (may be empty).
type Place struct {
	ID       int64  `json:"id"`
	ParentID int64  `json:"parent_id,omitempty"`
	Level    string `json:"level"`
	Code     string `json:"code"`
	Name     string `json:"name"`
	Boundary string `json:"boundary,omitempty"`
}

// Unit kinds.
const (
	KindCityCentre     = "city_centre"     // 市12345中心
	KindDistrictCentre = "district_centre" // 区12345中心 / 区政府 (兜底)
	KindStreet         = "street"          // 街道办事处 / 乡镇政府
	KindDepartment     = "department"      // 委办局 (city or district level)
	KindEnterprise     = "enterprise"      // 公共服务企业
)

// Unit is an organisation that receives, handles or supervises work.
// PlaceID is its jurisdiction (the city for city departments, a district for
// district departments and centres, a street for street offices).
// SupervisorID is the unit that supervises it (a street's district centre;
// the city centre for district centres and city-level units).
type Unit struct {
	ID           int64  `json:"id"`
	Code         string `json:"code"`
	Name         string `json:"name"`
	Kind         string `json:"kind"`
	PlaceID      int64  `json:"place_id"`
	SupervisorID int64  `json:"supervisor_id,omitempty"`
}

// IsCentre reports whether the unit is a 12345 centre (city or district).
func (u Unit) IsCentre() bool { return u.Kind == KindCityCentre || u.Kind == KindDistrictCentre }

// Roles.
const (
	RoleAgent      = "agent"      // 话务员
	RoleDispatcher = "dispatcher" // 中心派单/审核
	RoleSupervisor = "supervisor" // 区级督办
	RoleHandler    = "handler"    // 承办人
	RoleLeader     = "leader"     // 单位负责人
	RoleGridWorker = "grid_worker"
	RoleAnalyst    = "analyst"
	RoleAdmin      = "admin"
	RoleSystem     = "system"  // the scheduler and other internal actors
	RoleCitizen    = "citizen" // a citizen on the public portal (never held by a user)
)

// AllRoles lists the roles a user may hold.
var AllRoles = []string{RoleAgent, RoleDispatcher, RoleSupervisor, RoleHandler, RoleLeader, RoleGridWorker, RoleAnalyst, RoleAdmin, RoleVolunteer}

// ValidRole reports whether r is a role a user may hold.
func ValidRole(r string) bool { return slices.Contains(AllRoles, r) }

// User is a person (or a system, for API tokens) acting for a unit.
type User struct {
	ID          int64    `json:"id"`
	Username    string   `json:"username"`
	DisplayName string   `json:"display_name"`
	UnitID      int64    `json:"unit_id"`
	Roles       []string `json:"roles"`
	GridIDs     []int64  `json:"grid_ids,omitempty"` // grids a grid worker patrols
	Disabled    bool     `json:"disabled,omitempty"`
}

// Has reports whether the user holds any of roles.
func (u User) Has(roles ...string) bool {
	for _, r := range roles {
		if slices.Contains(u.Roles, r) {
			return true
		}
	}
	return false
}

// Actor is who performs an action: a user with the unit it acts for. The
// unit is loaded with it so rules can reason about centres and districts.
type Actor struct {
	User User
	Unit Unit
	// DistrictID is the district the actor's unit belongs to (0 for city-level units).
	DistrictID int64
}

// System is the actor used by the scheduler.
func System() Actor {
	return Actor{User: User{Username: "system", DisplayName: "系统", Roles: []string{RoleSystem}}}
}

// IsSystem reports whether the actor is the internal system actor.
func (a Actor) IsSystem() bool { return a.User.Has(RoleSystem) }

// Scope is what an actor may see, as a filter the store turns into SQL.
type Scope struct {
	All        bool    `json:"all,omitempty"`         // city centre: every case
	DistrictID int64   `json:"district_id,omitempty"` // district supervisors: cases in the district or led by its units
	UnitID     int64   `json:"unit_id,omitempty"`     // unit handlers: cases the unit leads, co-handles or is copied on
	UserID     int64   `json:"user_id,omitempty"`     // grid workers: cases they reported
	GridIDs    []int64 `json:"grid_ids,omitempty"`    // grid workers: cases in their grids
	NoPII      bool    `json:"no_pii,omitempty"`      // analysts: never personal data
	None       bool    `json:"none,omitempty"`        // sees nothing
}

// ScopeOf derives the actor's visibility. A user with several roles gets
// the widest visibility among them.
func ScopeOf(a Actor) Scope {
	u := a.User
	switch {
	case a.IsSystem():
		return Scope{All: true}
	case u.Has(RoleAgent, RoleDispatcher, RoleAdmin) && a.Unit.Kind == KindCityCentre:
		return Scope{All: true}
	case u.Has(RoleAnalyst):
		return Scope{All: true, NoPII: true}
	case u.Has(RoleSupervisor, RoleAgent, RoleDispatcher) && a.Unit.Kind == KindDistrictCentre:
		return Scope{DistrictID: a.DistrictID, UnitID: a.Unit.ID}
	case u.Has(RoleSupervisor) && a.Unit.Kind == KindCityCentre:
		return Scope{All: true}
	case u.Has(RoleHandler, RoleLeader, RoleSupervisor):
		return Scope{UnitID: a.Unit.ID}
	case u.Has(RoleGridWorker):
		return Scope{UserID: u.ID, GridIDs: u.GridIDs}
	}
	return Scope{None: true}
}

// MayRevealPII reports whether the actor's role needs citizens' names and
// phone numbers (to call them back or contact them). Revealing is still an
// explicit, audited act.
func MayRevealPII(a Actor) bool {
	return a.User.Has(RoleAgent, RoleDispatcher, RoleHandler, RoleLeader) && !ScopeOf(a).NoPII
}

// Category is one node of the multi-level taxonomy. Code is a dot-separated
// path ("urban.stall"); Parent is the code without its last segment.
type Category struct {
	Code    string `json:"code"`
	Parent  string `json:"parent,omitempty"`
	NameZH  string `json:"name_zh"`
	NameEN  string `json:"name_en,omitempty"`
	Urgency string `json:"urgency,omitempty"` // default urgency class for requests in it
	Leaf    bool   `json:"leaf"`
	Active  bool   `json:"active"`
}

// ParentCode returns the parent code of a dotted category code ("" at the top).
func ParentCode(code string) string {
	if i := strings.LastIndexByte(code, '.'); i >= 0 {
		return code[:i]
	}
	return ""
}

// MaskPhone masks a phone number: 13812341234 → 138****1234.
func MaskPhone(p string) string {
	r := []rune(p)
	switch {
	case len(r) == 0:
		return ""
	case len(r) >= 11:
		return string(r[:3]) + "****" + string(r[len(r)-4:])
	case len(r) > 4:
		return strings.Repeat("*", len(r)-4) + string(r[len(r)-4:])
	}
	return "****"
}

// MaskName masks a personal name: 张三丰 → 张**.
func MaskName(n string) string {
	r := []rune(n)
	if len(r) == 0 {
		return ""
	}
	return string(r[:1]) + strings.Repeat("*", max(1, len(r)-1))
}

// CentreStaff may act for a 12345 centre at all: city staff (below) and
// the agents, dispatchers and supervisors of a district centre. It says
// nothing about where: a district centre's staff reach only their own
// district (CentreStaffIn). Use it only to open a page or a list that is
// then narrowed by CentreDistrict.
func CentreStaff(a Actor) bool {
	return CityStaff(a) || DistrictCentreStaff(a)
}

// CityStaff may see and act city-wide as the centre: the system,
// administrators, analysts (who never see personal data, see ScopeOf) and
// the agents, dispatchers and supervisors of the city centre.
func CityStaff(a Actor) bool {
	return a.IsSystem() || a.User.Has(RoleAnalyst, RoleAdmin) ||
		(a.User.Has(RoleDispatcher, RoleAgent, RoleSupervisor) && a.Unit.Kind == KindCityCentre)
}

// DistrictCentreStaff are the agents, dispatchers and supervisors of a
// district centre who are not also city staff: they act for the centre in
// their district (a.DistrictID) only.
func DistrictCentreStaff(a Actor) bool {
	return !CityStaff(a) && a.User.Has(RoleDispatcher, RoleAgent, RoleSupervisor) && a.Unit.Kind == KindDistrictCentre
}

// CentreDistrict is where the actor's centre role reaches: all (city staff),
// one district (district centre staff; district > 0), or nowhere (ok false).
func CentreDistrict(a Actor) (district int64, all, ok bool) {
	switch {
	case CityStaff(a):
		return 0, true, true
	case DistrictCentreStaff(a) && a.DistrictID != 0:
		return a.DistrictID, false, true
	}
	return 0, false, false
}

// CentreStaffIn reports whether the actor may act as the centre for
// something in district (0 = city level: a city department, a city-wide
// article): city staff anywhere, district centre staff in their own
// district only, and never for the city level.
func CentreStaffIn(a Actor, district int64) bool {
	d, all, ok := CentreDistrict(a)
	return ok && (all || (district != 0 && district == d))
}

// CityDecider may change rules, publish months and decide exemptions.
func CityDecider(a Actor) bool {
	return a.User.Has(RoleAdmin) || (a.User.Has(RoleDispatcher) && a.Unit.Kind == KindCityCentre)
}

// MayEditArticle reports whether the actor may create, edit or delete a
// knowledge article of district (0 = city-wide): administrators and the
// city centre's agents, dispatchers and supervisors any article; a
// district centre's the articles of their own district only. Analysts
// read but never edit.
func MayEditArticle(a Actor, district int64) bool {
	if a.User.Has(RoleAdmin) {
		return true
	}
	if !a.User.Has(RoleAgent, RoleDispatcher, RoleSupervisor) {
		return false
	}
	switch a.Unit.Kind {
	case KindCityCentre:
		return true
	case KindDistrictCentre:
		return district != 0 && district == a.DistrictID
	}
	return false
}

// Unit kinds of property services (物业, issue #15). Their staff act like
// an enterprise's: a handler or leader sees only the cases dispatched to
// (led by, co-handled by or copied to) the unit — ScopeOf's UnitID scope.
const (
	KindProperty        = "property"         // 物业服务企业
	KindOwnersCommittee = "owners_committee" // 业主委员会
)

// Community units and volunteers (issue #15, 共建共治共享).
const (
	// KindCommunity is a 社区居委会: its jurisdiction (PlaceID) is a
	// community-level place and its supervisor the street office. Its
	// handlers and leaders keep the community's volunteers, tasks and care
	// list; they see the community's own records and nothing of others'.
	KindCommunity = "community"
	// RoleVolunteer (志愿者) is a resident with an account in a community
	// unit: it opens only the volunteer pages (sign-up, tasks, check-in and
	// out, hours and points), never a staff page or API.
	RoleVolunteer = "volunteer"
)

// StaffUser reports whether u holds a role other than volunteer: the gate of
// every signed-in staff page and API route (httpx.SignedIn).
func StaffUser(u User) bool {
	return slices.ContainsFunc(u.Roles, func(r string) bool { return r != RoleVolunteer && ValidRole(r) })
}

// CommunityStaff reports whether the actor is a handler or leader of a
// community unit (its own community's volunteers, tasks, care list).
func CommunityStaff(a Actor) bool {
	return a.Unit.Kind == KindCommunity && a.User.Has(RoleHandler, RoleLeader)
}
