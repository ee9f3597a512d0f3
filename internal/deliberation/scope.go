package deliberation

import (
	"regexp"

	"whistle/internal/org"
)

// Who may do what. Deliberation is the street's (or a community's) own
// work: the handlers and leaders of a street office unit — or of a
// community unit, where the city has them — raise items for places in
// their area, answer residents' proposals, schedule the meetings, record
// the decisions and hand out the follow-up tasks. The centre reads them
// (the city everywhere, a district centre in its district); a unit that
// owns a follow-up task or sat at the meeting reads the item too. Nobody
// else knows it exists.

// KindCommunity is the unit kind of a community (居委会) where the city
// has such units; the rules accept it without depending on it.
const KindCommunity = "community"

// OwnerKind reports whether units of this kind may own deliberations.
func OwnerKind(kind string) bool { return kind == org.KindStreet || kind == KindCommunity }

// MayRaise reports whether a may raise items (for its own unit).
func MayRaise(a org.Actor) bool {
	return OwnerKind(a.Unit.Kind) && a.User.Has(org.RoleHandler, org.RoleLeader)
}

// MayManage reports whether a may move item it: the owner unit's handlers
// and leaders.
func MayManage(a org.Actor, it *Item) bool {
	return a.Unit.ID != 0 && a.Unit.ID == it.UnitID && a.User.Has(org.RoleHandler, org.RoleLeader)
}

// MayReveal reports whether a may see the residents' names (and the
// proposer's contact) unmasked, an audited act: the owner unit's staff
// whose role needs personal data.
func MayReveal(a org.Actor, it *Item) bool {
	return a.Unit.ID != 0 && a.Unit.ID == it.UnitID && org.MayRevealPII(a)
}

// InArea reports whether a place (by its district/street/community/grid
// chain and level) lies in the area of an owner unit whose jurisdiction is
// unitPlace: the street itself or one of its communities (a community
// unit: its community).
func InArea(chain [4]int64, level string, unitPlace int64) bool {
	if level != org.LevelStreet && level != org.LevelCommunity {
		return false
	}
	return unitPlace != 0 && (chain[1] == unitPlace || chain[2] == unitPlace)
}

var phoneRun = regexp.MustCompile(`1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}|0\d{2,3}-?\d{7,8}`)

// ScrubPhones masks telephone numbers in a text shown to the public (a
// resident's proposal may carry one).
func ScrubPhones(s string) string {
	return phoneRun.ReplaceAllStringFunc(s, func(m string) string { return "***" })
}
