package agenda

import (
	"slices"

	"whistle/internal/org"
)

// Who may do what with topics. Topics are the city centre's agenda: the
// city's deciders (administrators and the city centre's dispatchers,
// org.CityDecider) create, edit, add tasks to and close them. Analysts
// propose candidates in the analysis and read every topic, but do not
// create them (the choice is the centre's, not the analyst's). A district
// centre's staff read the topics that reach into their district; a unit's
// handlers and leaders read the topics their unit leads or partners on and
// see its tasks in their inbox.

// MayManageTopics reports whether a may create, edit, add tasks to and close
// topics.
func MayManageTopics(a org.Actor) bool { return org.CityDecider(a) }

// MayListTopics reports whether a may open the list of topics at all (then
// narrowed by MaySeeTopic).
func MayListTopics(a org.Actor) bool {
	return org.CentreStaff(a) || a.User.Has(org.RoleHandler, org.RoleLeader)
}

// MaySeeTopic reports whether a may see topic t, whose places lie in
// districts (none: city-wide).
func MaySeeTopic(a org.Actor, t *Topic, districts []int64) bool {
	if org.CityStaff(a) {
		return true
	}
	if d, _, ok := org.CentreDistrict(a); ok && d != 0 {
		if len(districts) == 0 || slices.Contains(districts, d) {
			return true
		}
	}
	if a.User.Has(org.RoleHandler, org.RoleLeader) && a.Unit.ID != 0 {
		return t.LeadUnitID == a.Unit.ID || slices.Contains(t.PartnerUnitIDs, a.Unit.ID)
	}
	return false
}

// Judgeable reports whether a topic still waits for a verdict.
func (t *Topic) Judgeable() bool { return t.State == Active && t.Outcome == nil }
