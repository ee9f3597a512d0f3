package demo

import (
	"encoding/json"
	"math/rand/v2"
	"slices"

	"whistle/internal/compound"
	"whistle/internal/dutylist"
	"whistle/internal/org"
)

// Property services (物业, issue #15): a few managed compounds (小区) of
// the city's urban streets, each with its property service company
// (物业服务企业) and some with an owners' committee (业主委员会); part of
// the year's property requests are about these compounds and go, as the
// duty list's property rules say, to the compound's company — which then
// signs, contacts, replies and is called back like any unit, so the
// property group of the exam paper has figures.

// propertyCompanies are the demo's property companies and how many
// compounds each manages (all in one street, so the street supervises).
var propertyCompanies = []struct {
	key, name string
	compounds int
	committee bool // the first compound has an owners' committee
}{
	{"anju", "江川安居物业服务有限公司", 2, true},
	{"wanjia", "江川万家物业管理有限公司", 2, false},
	{"cuicheng", "翠城物业服务有限公司", 1, true},
	{"chengtou", "江川城投物业管理有限公司", 1, false},
}

// PropertyCategories are the categories the duty list sends to a
// compound's property company (rules 901…).
var PropertyCategories = []string{"property.service", "property.parking"}

// propertyShare is the share of the property requests (in
// PropertyCategories) that are moved into the managed compounds.
const propertyShare = 0.8

// PropertyRules are the duty list's property rules: a request in one of
// PropertyCategories inside a managed compound goes to its property
// company (outside any compound the category's own rule decides).
func PropertyRules() []dutylist.Rule {
	var out []dutylist.Rule
	for i, c := range PropertyCategories {
		out = append(out, dutylist.Rule{ID: 901 + i, Category: c, Lead: dutylist.Target{Role: dutylist.RoleProperty}, Label: "小区物业服务（物业服务企业）"})
	}
	return out
}

type managed struct {
	c    compound.Compound
	key  string // the company's routing key ("wy-anju", in om.ent)
	grid *grid
	cell rect
}

// addProperty adds the property companies, owners' committees and their
// users, the compounds (ds.Compounds), and moves part of the ordinary
// property requests (not duplicates, nor their parents, nor grid
// findings) into the compounds, routed to the compound's company.
func (g *gen) addProperty(seeds []*seed, rng *rand.Rand) {
	ds := g.ds
	// Candidate streets: urban streets with a non-village community.
	type spot struct {
		st    *street
		comms []*community
	}
	var spots []spot
	for _, st := range g.city.streets {
		if st.town || !st.dist.urban {
			continue
		}
		var cs []*community
		for _, cm := range st.comms {
			if !cm.village && len(cm.compounds) > 0 && len(cm.grids) > 0 {
				cs = append(cs, cm)
			}
		}
		if len(cs) > 0 {
			spots = append(spots, spot{st, cs})
		}
	}
	if len(spots) == 0 {
		return
	}
	perm := rng.Perm(len(spots))
	var ms []managed
	first := len(ds.Units)
	for ci, pc := range propertyCompanies {
		sp := spots[perm[ci%len(spots)]]
		st := sp.st
		unit := addUnit(ds, "wy-"+pc.key, pc.name, org.KindProperty, st.place, st.office)
		g.om.ent["wy-"+pc.key] = unit
		g.om.handler[unit] = addUser(ds, "h-wy-"+pc.key, personName(rng), unit, org.RoleHandler)
		g.om.leader[unit] = addUser(ds, "l-wy-"+pc.key, personName(rng), unit, org.RoleLeader)
		used := map[string]bool{}
		for k := range pc.compounds {
			cm := sp.comms[(k+ci)%len(sp.comms)]
			name := cm.compounds[0]
			for _, n := range cm.compounds {
				if !used[n] {
					name = n
					break
				}
			}
			if used[name] {
				continue
			}
			used[name] = true
			gr := cm.grids[rng.IntN(len(cm.grids))]
			cell := rect{I0: gr.rect.I0 + rng.IntN(gr.rect.w()), J0: gr.rect.J0 + rng.IntN(gr.rect.h())}
			cell.I1, cell.J1 = cell.I0+1, cell.J0+1
			var ring [][2]float64
			for _, p := range g.city.lat.ring(cell) {
				ring = append(ring, [2]float64{p.X, p.Y})
			}
			b, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": [][][2]float64{ring}})
			c := compound.Compound{ID: int64(len(ms) + 1), Name: name, Address: cityName + st.dist.name + st.name + pick(rng, st.roads) + pick(rng, []string{"1号", "8号", "16号", "26号", "甲2号"}),
				Aliases: []string{name + "小区"}, Boundary: string(b), CommunityID: int64(cm.place + 1), PropertyUnitID: int64(unit + 1), Active: true}
			if pc.committee && k == 0 {
				oc := addUnit(ds, "yw-"+pc.key, name+"业主委员会", org.KindOwnersCommittee, cm.place, st.office)
				g.om.handler[oc] = addUser(ds, "h-yw-"+pc.key, personName(rng), oc, org.RoleHandler)
				c.CommitteeUnitID = int64(oc + 1)
			}
			ms = append(ms, managed{c: c, key: "wy-" + pc.key, grid: gr, cell: cell})
		}
	}
	g.quality = append(g.quality, buildQuality(len(ds.Units)-first, rng)...)
	g.actors = buildActors(ds)
	for _, m := range ms {
		ds.Compounds = append(ds.Compounds, m.c)
	}

	parents := map[int]bool{}
	for _, s := range seeds {
		if s.dupOf >= 0 {
			parents[s.dupOf] = true
		}
	}
	for _, s := range seeds {
		if s.dupOf >= 0 || parents[s.seq] || s.c.Channel == "grid" || !slices.Contains(PropertyCategories, s.leaf.code) || rng.Float64() >= propertyShare {
			continue
		}
		// each company alike, then one of its compounds
		key := ms[rng.IntN(len(ms))].key
		if k := propertyCompanies[rng.IntN(len(propertyCompanies))].key; slices.ContainsFunc(ms, func(m managed) bool { return m.key == "wy-"+k }) {
			key = "wy-" + k
		}
		var mine []managed
		for _, m := range ms {
			if m.key == key {
				mine = append(mine, m)
			}
		}
		m := mine[rng.IntN(len(mine))]
		lf := *s.leaf
		lf.route, lf.where = "ent:"+m.key, "any" // the compound's company, not the street (属地)
		s.leaf, s.grid = &lf, m.grid
		s.slots = g.newSlots(rng, m.grid, s.c.CreatedAt)
		s.slots.compound = m.c.Name
		g.locate(rng, s)
		p := g.city.lat.samplePoint(m.cell, rng)
		lat, lon := p.Y, p.X
		s.c.Location.Lat, s.c.Location.Lon = &lat, &lon
		g.compose(rng, s)
	}
}
