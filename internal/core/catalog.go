package core

import (
	"context"
	"sync"

	"whistle/internal/geo"
	"whistle/internal/org"
	"whistle/internal/store"
)

// catalog is an in-memory copy of the slowly changing organisation data:
// places (with parsed boundaries), units and categories. It is reloaded
// after administrative changes and periodically (other nodes may change it).
type catalog struct {
	mu         sync.RWMutex
	places     map[int64]org.Place
	children   map[int64][]int64
	shapes     map[int64]*geo.Shape
	root       int64
	units      map[int64]org.Unit
	unitByCode map[string]int64
	categories map[string]org.Category
	geo        *geoCatalog // spatial indexes and gazetteer (geo.go)
}

// loadCatalog reads the catalogue; entries the gazetteer learned from
// resolved requests are carried over from prev (nil: learn them anew).
func loadCatalog(ctx context.Context, st *store.Store, prev *catalog) (*catalog, error) {
	ps, err := st.Places(ctx, true)
	if err != nil {
		return nil, err
	}
	us, err := st.Units(ctx)
	if err != nil {
		return nil, err
	}
	cs, err := st.Categories(ctx)
	if err != nil {
		return nil, err
	}
	c := &catalog{places: map[int64]org.Place{}, children: map[int64][]int64{}, shapes: map[int64]*geo.Shape{},
		units: map[int64]org.Unit{}, unitByCode: map[string]int64{}, categories: map[string]org.Category{}}
	for _, p := range ps {
		if p.Boundary != "" {
			if sh, err := geo.Parse(p.Boundary); err == nil {
				c.shapes[p.ID] = sh
			}
		}
		p.Boundary = ""
		c.places[p.ID] = p
		if p.ParentID == 0 {
			if c.root == 0 {
				c.root = p.ID
			}
		} else {
			c.children[p.ParentID] = append(c.children[p.ParentID], p.ID)
		}
	}
	for _, u := range us {
		c.units[u.ID] = u
		c.unitByCode[u.Code] = u.ID
	}
	for _, cat := range cs {
		c.categories[cat.Code] = cat
	}
	if c.geo, err = buildGeo(ctx, st, c, prev); err != nil {
		return nil, err
	}
	return c, nil
}

// chain returns the district, street, community and grid ids above and
// including place id.
func (c *catalog) chain(id int64) (loc [4]int64, ok bool) {
	p, ok := c.places[id]
	if !ok {
		return loc, false
	}
	for guard := 0; guard < 10 && p.ID != 0; guard++ {
		switch p.Level {
		case org.LevelDistrict:
			loc[0] = p.ID
		case org.LevelStreet:
			loc[1] = p.ID
		case org.LevelCommunity:
			loc[2] = p.ID
		case org.LevelGrid:
			loc[3] = p.ID
		}
		p = c.places[p.ParentID]
	}
	return loc, true
}

// hasBoundaries reports whether districts carry polygons, so that
// coordinates can be resolved (and checked against the city).
func (c *catalog) hasBoundaries() bool {
	for _, d := range c.children[c.root] {
		if c.shapes[d] != nil {
			return true
		}
	}
	return false
}

// locate finds the deepest place containing (lon, lat) through the
// spatial indexes (see geoCatalog.locate); 0 when outside every district.
func (c *catalog) locate(lon, lat float64) int64 { return c.geo.locate(lon, lat) }

// districtOf returns the district a unit belongs to (0 for city level).
func (c *catalog) districtOf(u org.Unit) int64 {
	loc, _ := c.chain(u.PlaceID)
	return loc[0]
}
