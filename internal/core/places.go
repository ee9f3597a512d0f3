package core

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"whistle/internal/errs"
	"whistle/internal/gazetteer"
	"whistle/internal/geo"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
)

// Jurisdiction (where a request belongs): spatial indexes from point to
// district/street/community/grid, the responsible unit with the district
// centre as fallback (兜底), boundary import, and the gazetteer.

// learnLimit caps how many resolved requests the gazetteer learns from.
const learnLimit = 200_000

// thresholdSetting is the settings key of the geocoding threshold.
const thresholdSetting = "geocode.threshold"

// geoCatalog is the part of the catalogue that answers "where".
type geoCatalog struct {
	levels         [4]*geo.Index // district, street, community, grid
	gaz            *gazetteer.Index
	threshold      float64
	learned        int // entries learned from resolved requests
	learnedEntries []gazetteer.Entry
	observed       int                  // resolved requests read
	stored         int                  // stored (admin, import) entries
	points         map[int64][2]float64 // a representative point (lat, lon) inside each place with a boundary
}

// buildGeo builds the spatial indexes and the gazetteer. Learning from
// resolved requests is the costly part (about a second for 60,000 closed
// cases): it runs at start and on RebuildGazetteer; other reloads (after
// administrative changes) reuse prev's learned entries.
func buildGeo(ctx context.Context, st *store.Store, c *catalog, prev *catalog) (*geoCatalog, error) {
	g := &geoCatalog{threshold: gazetteer.DefaultThreshold, points: map[int64][2]float64{}}
	var items [4][]geo.Item
	gp := make([]gazetteer.Place, 0, len(c.places))
	for _, p := range c.places {
		place := gazetteer.Place{ID: p.ID, ParentID: p.ParentID, Level: p.Level, Name: p.Name}
		if sh := c.shapes[p.ID]; sh != nil {
			if d := slices.Index(org.Levels, p.Level); d >= 1 && d <= 4 {
				items[d-1] = append(items[d-1], geo.Item{ID: p.ID, Shape: sh})
			}
			lon, lat := sh.InteriorPoint()
			lat, lon = math.Round(lat*1e6)/1e6, math.Round(lon*1e6)/1e6
			place.Lat, place.Lon = &lat, &lon
			g.points[p.ID] = [2]float64{lat, lon}
		}
		gp = append(gp, place)
	}
	slices.SortFunc(gp, func(a, b gazetteer.Place) int { return int(a.ID - b.ID) })
	for i := range items {
		g.levels[i] = geo.NewIndex(items[i])
	}
	stored, err := st.GazetteerEntries(ctx)
	if err != nil {
		return nil, err
	}
	// Reuse what prev learned; a store that had nothing to learn from (a
	// fresh start, or the demo just loaded) is looked at again.
	if prev != nil && prev.geo != nil && prev.geo.observed > 0 {
		g.learnedEntries, g.observed = prev.geo.learnedEntries, prev.geo.observed
	} else if has, err := st.HasPlacedClosedCases(ctx); err != nil {
		return nil, err
	} else if has {
		obs, err := st.ResolvedAddresses(ctx, learnLimit)
		if err != nil {
			return nil, err
		}
		g.learnedEntries, g.observed = gazetteer.Learn(gp, obs), len(obs)
	}
	g.stored, g.learned = len(stored), len(g.learnedEntries)
	g.gaz = gazetteer.New(gp, append(stored, g.learnedEntries...))
	if v, err := st.Setting(ctx, thresholdSetting); err != nil {
		return nil, err
	} else if f, err := strconv.ParseFloat(v, 64); err == nil && f > 0 && f <= 1 {
		g.threshold = f
	}
	return g, nil
}

// locate returns the deepest place containing (lon, lat): the grid if one
// contains it, else the community, else the street, else the district (a
// point inside a district but outside all its streets belongs to the
// district, whose centre is the fallback unit); 0 outside every district.
// Border rule: a point on an edge counts as inside, and among several
// polygons of one level containing it the lowest place id wins.
func (g *geoCatalog) locate(lon, lat float64) int64 {
	for i := 3; i >= 0; i-- {
		if id, ok := g.levels[i].Lookup(lon, lat); ok {
			return id
		}
	}
	return 0
}

// PlaceRef names a place.
type PlaceRef struct {
	ID    int64  `json:"id"`
	Code  string `json:"code"`
	Name  string `json:"name"`
	Level string `json:"level"`
}

// PlaceChain is a place with the district, street, community and grid above it.
type PlaceChain struct {
	District  *PlaceRef `json:"district,omitempty"`
	Street    *PlaceRef `json:"street,omitempty"`
	Community *PlaceRef `json:"community,omitempty"`
	Grid      *PlaceRef `json:"grid,omitempty"`
}

func (c *catalog) placeChain(ids [4]int64) PlaceChain {
	ref := func(id int64) *PlaceRef {
		p, ok := c.places[id]
		if !ok || id == 0 {
			return nil
		}
		return &PlaceRef{ID: p.ID, Code: p.Code, Name: p.Name, Level: p.Level}
	}
	return PlaceChain{District: ref(ids[0]), Street: ref(ids[1]), Community: ref(ids[2]), Grid: ref(ids[3])}
}

// Jurisdiction is where a point belongs and who answers for it.
type Jurisdiction struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
	PlaceChain
	// Unit is the street office of the street, or — for a point outside
	// every street — the district centre (兜底).
	Unit     *org.Unit `json:"unit,omitempty"`
	Fallback bool      `json:"fallback"`
}

// Jurisdiction resolves a coordinate to its places and responsible unit.
// Outside every district it fails with outside_city.
func (s *Core) Jurisdiction(lat, lon float64) (Jurisdiction, error) {
	if !(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) {
		return Jurisdiction{}, errs.F(errs.InvalidLocation, "lat")
	}
	cat := s.cat.Load()
	id := cat.locate(lon, lat)
	if id == 0 {
		return Jurisdiction{}, errs.E(errs.OutsideCity)
	}
	ch, _ := cat.chain(id)
	j := Jurisdiction{Lat: lat, Lon: lon, PlaceChain: cat.placeChain(ch)}
	if ch[1] != 0 {
		j.Unit = cat.unitOf(org.KindStreet, ch[1])
	}
	if j.Unit == nil {
		j.Unit, j.Fallback = cat.unitOf(org.KindDistrictCentre, ch[0]), true
	}
	return j, nil
}

// unitOf returns the unit of kind at place (lowest id), nil if none.
func (c *catalog) unitOf(kind string, place int64) *org.Unit {
	var best *org.Unit
	for _, u := range c.units {
		if u.Kind == kind && u.PlaceID == place && (best == nil || u.ID < best.ID) {
			u := u
			best = &u
		}
	}
	return best
}

// ---- geocoding ----

// GeocodeCandidate is one reading of an address.
type GeocodeCandidate struct {
	Name       string   `json:"name"` // the gazetteer entry matched
	Kind       string   `json:"kind"`
	Source     string   `json:"source"`             // place, import, admin, learned
	EntryID    int64    `json:"entry_id,omitempty"` // stored entries
	PlaceID    int64    `json:"place_id"`
	Lat        *float64 `json:"lat,omitempty"`
	Lon        *float64 `json:"lon,omitempty"`
	Number     int      `json:"number,omitempty"` // house number read from the query
	Confidence float64  `json:"confidence"`
	PlaceChain
}

// GeocodeResult is the answer to an address query. Match is set when the
// best candidate reaches the threshold; otherwise NeedsChoice asks the
// agent to pick among Candidates.
type GeocodeResult struct {
	Query       string             `json:"query"`
	Normalized  string             `json:"normalized"`
	Threshold   float64            `json:"threshold"`
	NeedsChoice bool               `json:"needs_choice"`
	Match       *GeocodeCandidate  `json:"match,omitempty"`
	Candidates  []GeocodeCandidate `json:"candidates"`
}

// Geocode reads an address with the configured threshold (setting
// geocode.threshold, default 0.7). limit defaults to 5 (at most 20).
func (s *Core) Geocode(ctx context.Context, q string, limit int) (GeocodeResult, error) {
	return s.GeocodeThreshold(ctx, q, limit, 0)
}

// GeocodeThreshold is Geocode with an explicit threshold in (0,1] (0 = configured).
func (s *Core) GeocodeThreshold(ctx context.Context, q string, limit int, threshold float64) (GeocodeResult, error) {
	if err := ctx.Err(); err != nil {
		return GeocodeResult{}, err
	}
	q = strings.TrimSpace(q)
	if q == "" {
		return GeocodeResult{}, errs.F(errs.FieldRequired, "q")
	}
	if utf8.RuneCountInString(q) > 200 {
		return GeocodeResult{}, &errs.Error{Code: errs.FieldTooLong, Field: "q", Detail: "max 200 characters"}
	}
	if limit < 0 || limit > 20 {
		return GeocodeResult{}, &errs.Error{Code: errs.Invalid, Field: "limit", Detail: "1 to 20"}
	}
	if !(threshold >= 0 && threshold <= 1) {
		return GeocodeResult{}, &errs.Error{Code: errs.Invalid, Field: "threshold", Detail: "0 to 1"}
	}
	if limit == 0 {
		limit = 5
	}
	cat := s.cat.Load()
	if cat.geo.observed == 0 {
		// Nothing learned yet (a fresh start, or the demo loaded after
		// the catalogue): learn as soon as there are closed cases.
		if has, err := s.St.HasPlacedClosedCases(ctx); err != nil {
			return GeocodeResult{}, err
		} else if has {
			if err := s.relearn(ctx, true); err != nil {
				return GeocodeResult{}, err
			}
			cat = s.cat.Load()
		}
	}
	if threshold == 0 {
		threshold = cat.geo.threshold
	}
	r := cat.geo.gaz.Geocode(q, limit, threshold)
	out := GeocodeResult{Query: r.Query, Normalized: r.Normalized, Threshold: threshold, NeedsChoice: r.NeedsChoice, Candidates: []GeocodeCandidate{}}
	for _, c := range r.Candidates {
		out.Candidates = append(out.Candidates, GeocodeCandidate{Name: c.Entry.Name, Kind: c.Entry.Kind, Source: c.Entry.Source, EntryID: c.Entry.ID,
			PlaceID: c.PlaceID, Lat: c.Lat, Lon: c.Lon, Number: c.Number, Confidence: c.Confidence, PlaceChain: cat.placeChain(c.Chain)})
	}
	if r.Match != nil && len(out.Candidates) > 0 {
		m := out.Candidates[0]
		out.Match = &m
	}
	return out, nil
}

// GazetteerStats describes the gazetteer in force.
type GazetteerStats struct {
	Entries      int     `json:"entries"`      // searchable, places included
	Stored       int     `json:"stored"`       // added by admins or imported
	Learned      int     `json:"learned"`      // learned from resolved requests
	Observations int     `json:"observations"` // resolved requests read
	Threshold    float64 `json:"threshold"`
}

// GazetteerStats returns the current gazetteer's figures.
func (s *Core) GazetteerStats() GazetteerStats {
	g := s.cat.Load().geo
	return GazetteerStats{Entries: g.gaz.Len(), Stored: g.stored, Learned: g.learned, Observations: g.observed, Threshold: g.threshold}
}

// RebuildGazetteer re-reads places, stored entries and the resolved
// requests and rebuilds the indexes and the gazetteer (admin). Learning
// otherwise happens once, when the service starts.
func (s *Core) RebuildGazetteer(ctx context.Context, a org.Actor) (GazetteerStats, error) {
	if err := RequireAdmin(a); err != nil {
		return GazetteerStats{}, err
	}
	if err := s.relearn(ctx, false); err != nil {
		return GazetteerStats{}, err
	}
	return s.GazetteerStats(), nil
}

// relearn reloads the catalogue, learning from resolved requests anew —
// unless onlyUnlearned and another caller has just done so.
func (s *Core) relearn(ctx context.Context, onlyUnlearned bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if onlyUnlearned && s.cat.Load().geo.observed > 0 {
		return nil
	}
	c, err := loadCatalog(ctx, s.St, nil)
	if err != nil {
		return err
	}
	s.cat.Store(c)
	return nil
}

// GazetteerEntries lists the stored (admin and imported) entries.
func (s *Core) GazetteerEntries(ctx context.Context, a org.Actor) ([]gazetteer.Entry, error) {
	if org.ScopeOf(a).None {
		return nil, errs.E(errs.Forbidden)
	}
	es, err := s.St.GazetteerEntries(ctx)
	if es == nil {
		es = []gazetteer.Entry{}
	}
	return es, err
}

// AddGazetteerEntry stores an entry (admin): a road (with an optional
// house-number range), compound, building, landmark or alias of a place.
func (s *Core) AddGazetteerEntry(ctx context.Context, a org.Actor, e gazetteer.Entry) (gazetteer.Entry, error) {
	if err := RequireAdmin(a); err != nil {
		return e, err
	}
	e.Name = strings.TrimSpace(e.Name)
	switch {
	case !slices.Contains(gazetteer.Kinds, e.Kind):
		return e, &errs.Error{Code: errs.Invalid, Field: "kind", Detail: strings.Join(gazetteer.Kinds, ", ")}
	case e.Name == "":
		return e, errs.F(errs.FieldRequired, "name")
	case utf8.RuneCountInString(e.Name) > 100:
		return e, &errs.Error{Code: errs.FieldTooLong, Field: "name", Detail: "max 100 characters"}
	case len(e.Aliases) > 20:
		return e, &errs.Error{Code: errs.Invalid, Field: "aliases", Detail: "at most 20"}
	case (e.Lat == nil) != (e.Lon == nil):
		return e, errs.F(errs.InvalidLocation, "lat")
	case e.Lat != nil && !(*e.Lat >= -90 && *e.Lat <= 90 && *e.Lon >= -180 && *e.Lon <= 180):
		return e, errs.F(errs.InvalidLocation, "lat")
	case e.NumFrom < 0 || e.NumTo < e.NumFrom || (e.NumFrom == 0) != (e.NumTo == 0):
		return e, &errs.Error{Code: errs.Invalid, Field: "num_from", Detail: "a range 1 ≤ num_from ≤ num_to, or neither"}
	}
	var aliases []string
	for _, al := range e.Aliases {
		al = strings.TrimSpace(al)
		if al == "" || strings.Contains(al, "|") || utf8.RuneCountInString(al) > 100 {
			return e, &errs.Error{Code: errs.Invalid, Field: "aliases", Detail: "non-empty, at most 100 characters, no '|'"}
		}
		aliases = append(aliases, al)
	}
	e.Aliases = aliases
	if _, ok := s.Place(e.PlaceID); !ok {
		return e, errs.F(errs.UnknownPlace, "place_id")
	}
	e.ID, e.Source, e.Support = 0, "admin", 0
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertGazetteerEntry(ctx, &e, a.User.ID, s.Now()); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "add_gazetteer", fmt.Sprintf("gazetteer:%d", e.ID), map[string]any{"kind": e.Kind, "name": e.Name, "place_id": e.PlaceID})
	})
	if err != nil {
		return e, err
	}
	return e, s.Reload(ctx)
}

// DeleteGazetteerEntry removes a stored entry (admin).
func (s *Core) DeleteGazetteerEntry(ctx context.Context, a org.Actor, id int64) error {
	if err := RequireAdmin(a); err != nil {
		return err
	}
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteGazetteerEntry(ctx, id); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "delete_gazetteer", fmt.Sprintf("gazetteer:%d", id), nil)
	})
	if err != nil {
		return err
	}
	return s.Reload(ctx)
}

// ---- boundary import ----

// ImportReport is the outcome of a boundary import (or its dry run).
type ImportReport struct {
	DryRun   bool          `json:"dry_run"`
	OK       bool          `json:"ok"`
	Features int           `json:"features"`
	Created  int           `json:"created"`
	Updated  int           `json:"updated"`
	Problems []geo.Problem `json:"problems"`
}

// ImportError carries the problems of a rejected import.
type ImportError struct{ Report ImportReport }

func (e *ImportError) Error() string {
	return fmt.Sprintf("%d problems in the boundaries", len(e.Report.Problems))
}

// Unwrap makes the error carry the invalid_boundaries code, with the
// first problems spelled out in its detail (a dry run lists them all).
func (e *ImportError) Unwrap() error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems", len(e.Report.Problems))
	for i, p := range e.Report.Problems {
		if i == 20 {
			b.WriteString("; …")
			break
		}
		b.WriteString("; " + p.Feature)
		if p.Name != "" {
			b.WriteString(" " + p.Name)
		}
		b.WriteString(": " + p.Code + " — " + p.Message)
		if p.Where != nil {
			fmt.Fprintf(&b, " at (%g, %g)", p.Where[0], p.Where[1])
		}
	}
	return &errs.Error{Code: errs.InvalidBoundaries, Detail: b.String()}
}

// ImportBoundaries validates a GeoJSON FeatureCollection of places (format:
// see package geo, "Boundary import format") against the stored places
// and, unless dryRun, writes every place in one transaction: all of it or
// — when any problem is found — nothing (an *ImportError with the list).
// toleranceM2 bounds accepted overlaps and gaps (0 = 1 m²).
func (s *Core) ImportBoundaries(ctx context.Context, a org.Actor, data []byte, dryRun bool, toleranceM2 float64) (ImportReport, error) {
	rep := ImportReport{DryRun: dryRun, Problems: []geo.Problem{}}
	if err := RequireAdmin(a); err != nil {
		return rep, err
	}
	if !(toleranceM2 >= 0 && toleranceM2 <= 1e6) {
		return rep, &errs.Error{Code: errs.Invalid, Field: "tolerance_m2", Detail: "0 to 1,000,000"}
	}
	fs, probs := geo.ParseImport(data)
	rep.Features = len(fs)
	stored, err := s.St.Places(ctx, true)
	if err != nil {
		return rep, err
	}
	existing := make([]geo.Existing, 0, len(stored))
	codes := map[string]bool{}
	codeOf := map[int64]string{}
	for _, p := range stored {
		codeOf[p.ID] = p.Code
	}
	for _, p := range stored {
		existing = append(existing, geo.Existing{Code: p.Code, Name: p.Name, Level: p.Level, Parent: codeOf[p.ParentID], Boundary: p.Boundary})
		codes[p.Code] = true
	}
	if len(probs) == 0 {
		probs = geo.ValidateImport(fs, existing, geo.ImportOptions{ToleranceM2: toleranceM2})
	}
	if len(probs) > 0 {
		rep.Problems = probs
		if dryRun {
			return rep, nil
		}
		return rep, &ImportError{Report: rep}
	}
	// Parents before children.
	slices.SortStableFunc(fs, func(x, y geo.Feature) int {
		return slices.Index(org.Levels, x.Level) - slices.Index(org.Levels, y.Level)
	})
	ps := make([]store.PlaceImport, len(fs))
	for i, f := range fs {
		ps[i] = store.PlaceImport{Code: f.Code, Name: f.Name, Level: f.Level, ParentCode: f.Parent, Boundary: f.Geometry, Aliases: f.Aliases}
		if codes[f.Code] {
			rep.Updated++
		} else {
			rep.Created++
		}
	}
	rep.OK = true
	if dryRun {
		return rep, nil
	}
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		n, err := tx.ImportPlaces(ctx, ps, s.Now())
		if err != nil {
			return err
		}
		rep.Created, rep.Updated = n.Created, n.Updated
		return s.Audit(ctx, tx, a, "import_boundaries", "places", map[string]int{"features": len(ps), "created": n.Created, "updated": n.Updated})
	})
	if err != nil {
		rep.OK = false
		return rep, err
	}
	return rep, s.Reload(ctx)
}

// Places returns the places of one level with their boundaries, sorted by id.
func (s *Core) Places(ctx context.Context, level string) ([]org.Place, error) {
	ps, err := s.St.Places(ctx, true)
	if err != nil {
		return nil, err
	}
	out := ps[:0]
	for _, p := range ps {
		if p.Level == level {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b org.Place) int { return int(a.ID - b.ID) })
	return out, nil
}

// Children returns the children of a place, sorted by id.
func (s *Core) Children(id int64) []org.Place {
	c := s.cat.Load()
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []org.Place
	for _, ch := range c.children[id] {
		out = append(out, c.places[ch])
	}
	slices.SortFunc(out, func(a, b org.Place) int { return int(a.ID - b.ID) })
	return out
}

// HandlingUnitFor suggests the unit that handles requests about a place by
// default: the street office of its street, else the district's centre
// (兜底). Zero when nothing fits. The duty list refines this.
func (s *Core) HandlingUnitFor(loc lifecycle.Location) (org.Unit, bool) {
	c := s.cat.Load()
	c.mu.RLock()
	defer c.mu.RUnlock()
	var best org.Unit
	for _, u := range c.units {
		switch {
		case loc.StreetID != 0 && u.Kind == org.KindStreet && u.PlaceID == loc.StreetID:
			if best.Kind != org.KindStreet || u.ID < best.ID {
				best = u
			}
		case loc.DistrictID != 0 && u.Kind == org.KindDistrictCentre && u.PlaceID == loc.DistrictID && best.Kind != org.KindStreet:
			if best.ID == 0 || u.ID < best.ID {
				best = u
			}
		}
	}
	return best, best.ID != 0
}

// LocationOf returns the district/street/community/grid chain of a place.
func (s *Core) LocationOf(placeID int64) (lifecycle.Location, bool) {
	ch, ok := s.cat.Load().chain(placeID)
	if !ok {
		return lifecycle.Location{}, false
	}
	return lifecycle.Location{DistrictID: ch[0], StreetID: ch[1], CommunityID: ch[2], GridID: ch[3]}, true
}

// ApproxLocation places a request known by a place (and its address
// text) but without coordinates at a representative point, so that maps
// and the duplicate check see it: the point of the gazetteer entry the
// address names within that place (a compound, landmark or road section),
// else a point inside the place's boundary, else inside the smallest place
// above it that has one. The point is marked approximate; the places are
// those of placeID, deepened by the point's grid and community only where
// they lie within it. ok is false for an unknown place or a city without
// boundaries.
func (s *Core) ApproxLocation(placeID int64, address string) (lifecycle.Location, bool) {
	cat := s.cat.Load()
	ch, ok := cat.chain(placeID)
	if !ok || cat.geo == nil {
		return lifecycle.Location{}, false
	}
	loc := lifecycle.Location{DistrictID: ch[0], StreetID: ch[1], CommunityID: ch[2], GridID: ch[3], Approximate: true}
	var pt [2]float64
	found := false
	if a := strings.TrimSpace(address); a != "" && utf8.RuneCountInString(a) <= 200 {
		for _, c := range cat.geo.gaz.Geocode(a, 5, cat.geo.threshold).Candidates {
			if c.Entry.Lat != nil && c.Entry.Lon != nil && within(c.Chain, ch) {
				pt, found = [2]float64{*c.Entry.Lat, *c.Entry.Lon}, true
				break
			}
		}
	}
	for id, guard := placeID, 0; !found && id != 0 && guard < 8; guard++ {
		pt, found = cat.geo.points[id]
		p, ok := cat.places[id]
		if !ok {
			break
		}
		id = p.ParentID
	}
	if !found {
		return lifecycle.Location{}, false
	}
	lat, lon := pt[0], pt[1]
	loc.Lat, loc.Lon = &lat, &lon
	if id := cat.locate(lon, lat); id != 0 {
		if pc, ok := cat.chain(id); ok && within(pc, ch) {
			loc.DistrictID, loc.StreetID, loc.CommunityID, loc.GridID = pc[0], pc[1], pc[2], pc[3]
		}
	}
	return loc, true
}

// within reports whether chain a lies within chain b: the same place at
// every level b names.
func within(a, b [4]int64) bool {
	for i := range b {
		if b[i] != 0 && a[i] != b[i] {
			return false
		}
	}
	return true
}

// PlacePoint resolves a point to its district, street, community and grid.
// placed is false when the city has no boundaries to resolve against; a
// point outside every district is an error.
func (s *Core) PlacePoint(lat, lon float64) (ch [4]int64, placed bool, err error) {
	cat := s.cat.Load()
	if !cat.hasBoundaries() {
		return ch, false, nil
	}
	id := cat.locate(lon, lat)
	if id == 0 {
		return ch, false, errs.F(errs.OutsideCity, "lat")
	}
	ch, _ = cat.chain(id)
	return ch, true, nil
}

// Categories lists the taxonomy.
func (s *Core) Categories() []org.Category {
	cat := s.cat.Load()
	out := make([]org.Category, 0, len(cat.categories))
	for _, c := range cat.categories {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b org.Category) int { return strings.Compare(a.Code, b.Code) })
	return out
}

// GridPlace returns a grid place and the street office unit above it.
func (s *Core) GridPlace(gridID int64) (org.Place, org.Unit, error) {
	p, ok := s.Place(gridID)
	if !ok || p.Level != org.LevelGrid {
		return p, org.Unit{}, errs.F(errs.UnknownPlace, "grid_id")
	}
	ch, _ := s.Chain(gridID)
	for _, u := range s.UnitsList() {
		if u.Kind == org.KindStreet && u.PlaceID == ch[1] {
			return p, u, nil
		}
	}
	return p, org.Unit{}, errs.D(errs.UnknownUnit, "no street office for grid %d", gridID)
}

// AllPlaces returns every place of the city, with boundaries when asked.
func (s *Core) AllPlaces(ctx context.Context, withBoundaries bool) ([]org.Place, error) {
	return s.St.Places(ctx, withBoundaries)
}

// PlaceDetail returns one place with its boundary.
func (s *Core) PlaceDetail(ctx context.Context, id int64) (org.Place, error) {
	return s.St.Place(ctx, id)
}
