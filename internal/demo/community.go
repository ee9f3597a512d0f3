package demo

import (
	"fmt"
	"math/rand/v2"

	"whistle/internal/org"
)

// CommunityCount is how many community units (社区居委会) the demo city
// has (issue #15): the first urban communities of the first streets.
const CommunityCount = 4

// buildCommunities adds the community units with a handler and a leader
// each, and three volunteers' accounts per community (their volunteer
// records, tasks and the care list are seeded by internal/seed). They come
// after every other unit and user, so nothing else changes.
func buildCommunities(ds *Dataset, c *city, rng *rand.Rand) {
	n := 0
	for _, s := range c.streets {
		for _, cm := range s.comms {
			if n == CommunityCount {
				return
			}
			if cm.village || len(cm.grids) == 0 {
				continue
			}
			ui := addUnit(ds, "cm-"+cm.code, s.dist.name+s.name+cm.name+"居民委员会", org.KindCommunity, cm.place, s.office)
			addUser(ds, "h-cm-"+cm.code, personName(rng), ui, org.RoleHandler)
			addUser(ds, "l-cm-"+cm.code, personName(rng), ui, org.RoleLeader)
			for i := 1; i <= 3; i++ {
				addUser(ds, fmt.Sprintf("v-%s-%d", cm.code, i), personName(rng), ui, org.RoleVolunteer)
			}
			n++
			if n%2 == 0 {
				break // two per street
			}
		}
	}
}
