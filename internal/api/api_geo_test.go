package api_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"whistle/internal/core"
	"whistle/internal/errs"
	"whistle/internal/geo"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/pgtest"
)

func TestAPIGeoSQLite(t *testing.T) { apiGeoSuite(t, apiOpen(t, "")) }

func TestAPIGeoPostgres(t *testing.T) { apiGeoSuite(t, apiOpen(t, pgtest.NewDatabase(t))) }

func apiGeoSuite(t *testing.T, e *apiEnv) {
	for _, st := range []struct {
		name string
		fn   func(*apiEnv)
	}{
		{"GeocodeDemo", apiTestGeocodeDemo},
		{"SharedBorders", apiTestSharedBorders},
		{"FallbackAndImport", apiTestFallbackAndImport},
		{"GazetteerAdmin", apiTestGazetteerAdmin},
	} {
		parentT, parentCtx := e.t, e.ctx
		ok := t.Run(st.name, func(t *testing.T) {
			e.t, e.ctx = t, t.Context()
			st.fn(e)
		})
		e.t, e.ctx = parentT, parentCtx
		if !ok {
			return
		}
	}
}

func (e *apiEnv) apiGeocode(q string) core.GeocodeResult {
	e.t.Helper()
	var r core.GeocodeResult
	apiWant(e.t, e.apiDo(e.agent, "GET", "/api/v1/geocode?q="+url.QueryEscape(q), nil), 200, &r)
	return r
}

// apiTestGeocodeDemo: the gazetteer learned the demo city's compounds from
// its closed cases; their addresses geocode to the case's community, also
// written differently.
func apiTestGeocodeDemo(e *apiEnv) {
	t := e.t
	// The demo's cases were stored after the catalogue: the first geocode learns them.
	if r := e.apiGeocode("江川市"); r.Query != "江川市" {
		t.Fatalf("geocode: %+v", r)
	}
	var list struct {
		Stats core.GazetteerStats `json:"stats"`
	}
	apiWant(t, e.apiDo(e.agent, "GET", "/api/v1/gazetteer", nil), 200, &list)
	if list.Stats.Learned == 0 || list.Stats.Observations == 0 {
		t.Fatalf("nothing learned from the demo's closed cases: %+v", list.Stats)
	}
	var stats core.GazetteerStats
	apiWant(t, e.apiDo(e.admin, "POST", "/api/v1/gazetteer/rebuild", nil), 200, &stats)
	if stats.Observations == 0 || stats.Learned == 0 || stats.Entries <= stats.Learned {
		t.Fatalf("gazetteer after rebuild: %+v", stats)
	}
	apiRefused(t, e.apiDo(e.agent, "POST", "/api/v1/gazetteer/rebuild", nil), 403, errs.Forbidden)
	page := e.apiList(e.agent, "state=closed&limit=200")
	tried := 0
	for _, c := range page.Cases {
		addr := c.Location.Address
		i := strings.Index(addr, "号楼")
		if i < 0 || c.Location.CommunityID == 0 {
			continue
		}
		tried++
		full := strings.NewReplacer("0", "０", "1", "１", "2", "２", "3", "３", "4", "４", "5", "５", "6", "６", "7", "７", "8", "８", "9", "９").Replace(addr)
		for _, q := range []string{
			addr,
			strings.TrimPrefix(addr, "江川市"), // no city
			full,                            // full-width digits
			strings.Replace(addr, "号楼", "号院", 1), // 号院 for 号楼
		} {
			r := e.apiGeocode(q)
			if r.Match == nil || r.NeedsChoice || r.Match.Community == nil || r.Match.Community.ID != c.Location.CommunityID {
				t.Fatalf("geocode %q: %+v, want community %d", q, r, c.Location.CommunityID)
			}
			if r.Match.District == nil || r.Match.District.ID != c.Location.DistrictID || r.Match.Lat == nil || r.Match.Confidence < r.Threshold {
				t.Fatalf("geocode %q: match %+v", q, r.Match)
			}
		}
		if tried == 3 {
			break
		}
	}
	if tried == 0 {
		t.Fatal("no closed demo case with a compound address")
	}
	// An address the city does not know asks the agent to choose.
	if r := e.apiGeocode("火星基地七号舱"); r.Match != nil || !r.NeedsChoice {
		t.Fatalf("unknown address matched: %+v", r.Match)
	}
	apiRefused(t, e.apiDo(e.agent, "GET", "/api/v1/geocode", nil), 422, errs.FieldRequired)
	apiRefused(t, e.apiDo(e.agent, "GET", "/api/v1/geocode?q=x&limit=0", nil), 422, errs.Invalid)
	apiRefused(t, e.apiDo(e.agent, "GET", "/api/v1/geocode?q=x&threshold=2", nil), 422, errs.Invalid)
	apiRefused(t, e.apiDo("", "GET", "/api/v1/geocode?q=x", nil), 401, errs.Unauthenticated)
}

// apiTestSharedBorders: a lattice vertex shared by several demo grids
// resolves to the lowest grid id, through the API and in case creation.
func apiTestSharedBorders(e *apiEnv) {
	t := e.t
	var grids struct {
		Places []org.Place `json:"places"`
	}
	apiWant(t, e.apiDo(e.agent, "GET", "/api/v1/places?level=grid&boundaries=1", nil), 200, &grids)
	owners := map[[2]float64][]int64{}
	for _, g := range grids.Places {
		sh, err := geo.Parse(g.Boundary)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range sh.Polys[0][0][1:] {
			owners[v] = append(owners[v], g.ID)
		}
	}
	checked := 0
	for v, ids := range owners {
		if len(ids) < 3 {
			continue
		}
		lowest := ids[0]
		for _, id := range ids {
			lowest = min(lowest, id)
		}
		var j core.Jurisdiction
		apiWant(t, e.apiDo(e.agent, "GET", fmt.Sprintf("/api/v1/jurisdiction?lat=%v&lon=%v", v[1], v[0]), nil), 200, &j)
		if j.Grid == nil || j.Grid.ID != lowest {
			t.Fatalf("vertex %v shared by grids %v resolved to %+v, want %d", v, ids, j.Grid, lowest)
		}
		if j.Unit == nil || j.Unit.Kind != org.KindStreet || j.Unit.PlaceID != j.Street.ID || j.Fallback {
			t.Fatalf("vertex %v: unit %+v fallback %v", v, j.Unit, j.Fallback)
		}
		var loc lifecycle.Location
		apiWant(t, e.apiDo(e.agent, "GET", fmt.Sprintf("/api/v1/locate?lat=%v&lon=%v", v[1], v[0]), nil), 200, &loc)
		if loc.GridID != lowest {
			t.Fatalf("locate at vertex %v = grid %d, want %d", v, loc.GridID, lowest)
		}
		if checked++; checked == 5 {
			break
		}
	}
	if checked == 0 {
		t.Fatal("no vertex shared by three grids")
	}
	apiRefused(t, e.apiDo(e.agent, "GET", "/api/v1/jurisdiction?lat=10&lon=10", nil), 422, errs.OutsideCity)
	apiRefused(t, e.apiDo(e.agent, "GET", "/api/v1/jurisdiction?lat=x&lon=10", nil), 422, errs.InvalidLocation)
}

func square(lon0, lat0, lon1, lat1 float64) string {
	return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%v,%v],[%v,%v],[%v,%v],[%v,%v],[%v,%v]]]}`, lon0, lat0, lon1, lat0, lon1, lat1, lon0, lat1, lon0, lat0)
}

func featureJSON(code, level, parent, name, geom string, aliases ...string) string {
	al := `[]`
	if len(aliases) > 0 {
		al = `["` + strings.Join(aliases, `","`) + `"]`
	}
	return fmt.Sprintf(`{"type":"Feature","properties":{"code":%q,"level":%q,"parent":%q,"name":%q,"aliases":%s},"geometry":%s}`, code, level, parent, name, al, geom)
}

func collectionJSON(fs ...string) []byte {
	return []byte(`{"type":"FeatureCollection","features":[` + strings.Join(fs, ",") + `]}`)
}

// apiTestFallbackAndImport: a district outside the demo city with one
// street covering its west half; points in the east half belong to the
// district and its centre answers (兜底). Then an import of the east half:
// a bad feature in the middle leaves nothing written, a dry run lists the
// problems, a clean import fills the gap.
func apiTestFallbackAndImport(e *apiEnv) {
	t := e.t
	var city struct {
		Places []org.Place `json:"places"`
	}
	apiWant(t, e.apiDo(e.admin, "GET", "/api/v1/places?level=city", nil), 200, &city)
	if len(city.Places) != 1 {
		t.Fatalf("cities: %+v", city.Places)
	}
	var d, s org.Place
	apiWant(t, e.apiDo(e.admin, "POST", "/api/v1/places", map[string]any{"parent_id": city.Places[0].ID, "level": "district", "code": "GEO-D",
		"name": "飞地区", "boundary": square(117.0, 40.0, 117.2, 40.1)}), 201, &d)
	apiWant(t, e.apiDo(e.admin, "POST", "/api/v1/places", map[string]any{"parent_id": d.ID, "level": "street", "code": "GEO-S1",
		"name": "西半街道", "boundary": square(117.0, 40.0, 117.1, 40.1)}), 201, &s)
	var centre org.Unit
	apiWant(t, e.apiDo(e.admin, "POST", "/api/v1/units", map[string]any{"code": "GEO-DC", "name": "飞地区12345中心", "kind": org.KindDistrictCentre,
		"place_id": d.ID}), 201, &centre)
	jur := func(lat, lon float64) core.Jurisdiction {
		var j core.Jurisdiction
		apiWant(t, e.apiDo(e.agent, "GET", fmt.Sprintf("/api/v1/jurisdiction?lat=%v&lon=%v", lat, lon), nil), 200, &j)
		return j
	}
	east := jur(40.05, 117.15)
	if east.District == nil || east.District.ID != d.ID || east.Street != nil || !east.Fallback || east.Unit == nil || east.Unit.ID != centre.ID {
		t.Fatalf("east half: %+v (unit %+v), want district %d with its centre as fallback", east, east.Unit, d.ID)
	}
	west := jur(40.05, 117.05)
	if west.Street == nil || west.Street.ID != s.ID || !west.Fallback || west.Unit == nil || west.Unit.ID != centre.ID {
		t.Fatalf("west half (a street without office): %+v", west)
	}
	// Case creation resolves through the same index.
	c := e.apiCreate(e.agent, e.apiCaseIn(apiPoint{Lat: 40.05, Lon: 117.15}, e.apiPhone()))
	if c.Location.DistrictID != d.ID || c.Location.StreetID != 0 {
		t.Fatalf("case at the fallback point: %+v", c.Location)
	}

	countPlaces := func() int {
		var all struct {
			Places []org.Place `json:"places"`
		}
		apiWant(t, e.apiDo(e.admin, "GET", "/api/v1/places", nil), 200, &all)
		return len(all.Places)
	}
	before := countPlaces()
	good1 := featureJSON("GEO-S2", "street", "GEO-D", "东半街道", square(117.1, 40.0, 117.2, 40.1), "东半")
	good2 := featureJSON("GEO-C1", "community", "GEO-S2", "东半社区", square(117.1, 40.0, 117.2, 40.1))
	bowtie := featureJSON("GEO-G1", "grid", "GEO-C1", "坏网格", `{"type":"Polygon","coordinates":[[[117.1,40.0],[117.2,40.1],[117.2,40.0],[117.1,40.1],[117.1,40.0]]]}`)
	bad := collectionJSON(good1, bowtie, good2)
	b := apiRefused(t, e.apiDo(e.admin, "POST", "/api/v1/boundaries/import", bad), 422, errs.InvalidBoundaries)
	if !strings.Contains(b.Detail, "GEO-G1") || !strings.Contains(b.Detail, geo.ProbSelfIntersect) {
		t.Fatalf("detail %q does not name the bad feature", b.Detail)
	}
	if n := countPlaces(); n != before {
		t.Fatalf("a rejected import wrote %d places", n-before)
	}
	if j := jur(40.05, 117.15); j.Street != nil {
		t.Fatalf("a rejected import changed the map: %+v", j)
	}
	var rep core.ImportReport
	apiWant(t, e.apiDo(e.admin, "POST", "/api/v1/boundaries/import?dry_run=true", bad), 200, &rep)
	if rep.OK || !rep.DryRun || rep.Features != 3 || len(rep.Problems) == 0 || rep.Problems[0].Feature != "GEO-G1" || rep.Problems[0].Where == nil {
		t.Fatalf("dry run report %+v", rep)
	}
	// An overlap with the stored west street is found too.
	over := collectionJSON(featureJSON("GEO-S2", "street", "GEO-D", "东半街道", square(117.09, 40.0, 117.2, 40.1)))
	apiWant(t, e.apiDo(e.admin, "POST", "/api/v1/boundaries/import?dry_run=1", over), 200, &rep)
	if rep.OK || len(rep.Problems) != 1 || rep.Problems[0].Code != geo.ProbOverlap || rep.Problems[0].Other != "GEO-S1" {
		t.Fatalf("overlap dry run %+v", rep)
	}
	apiRefused(t, e.apiDo(e.agent, "POST", "/api/v1/boundaries/import", collectionJSON(good1)), 403, errs.Forbidden)
	apiRefused(t, e.apiDo(e.admin, "POST", "/api/v1/boundaries/import?tolerance_m2=x", collectionJSON(good1)), 422, errs.Invalid)
	apiWant(t, e.apiDo(e.admin, "POST", "/api/v1/boundaries/import?dry_run=true", collectionJSON(good1, good2)), 200, &rep)
	if !rep.OK || rep.Created != 2 || countPlaces() != before {
		t.Fatalf("clean dry run %+v (places %d → %d)", rep, before, countPlaces())
	}
	apiWant(t, e.apiDo(e.admin, "POST", "/api/v1/boundaries/import", collectionJSON(good2, good1)), 200, &rep)
	if !rep.OK || rep.DryRun || rep.Created != 2 || rep.Updated != 0 || countPlaces() != before+2 {
		t.Fatalf("import %+v", rep)
	}
	j := jur(40.05, 117.15)
	if j.Street == nil || j.Street.Code != "GEO-S2" || j.Community == nil || j.Community.Code != "GEO-C1" {
		t.Fatalf("after import: %+v", j)
	}
	// Re-import updates by code; the alias geocodes.
	apiWant(t, e.apiDo(e.admin, "POST", "/api/v1/boundaries/import", collectionJSON(good1)), 200, &rep)
	if rep.Created != 0 || rep.Updated != 1 {
		t.Fatalf("re-import %+v", rep)
	}
	if r := e.apiGeocode("飞地区东半"); r.Match == nil || r.Match.Street == nil || r.Match.Street.Code != "GEO-S2" {
		t.Fatalf("alias geocode: %+v", r)
	}
}

// apiTestGazetteerAdmin: admins add road sections with number ranges; the
// agent's geocoding uses them at once; deleting removes them.
func apiTestGazetteerAdmin(e *apiEnv) {
	t := e.t
	a, b := e.gridA.Loc, e.gridB.Loc
	add := func(body map[string]any) core.GeocodeCandidate {
		var out struct {
			ID int64 `json:"id"`
		}
		apiWant(t, e.apiDo(e.admin, "POST", "/api/v1/gazetteer", body), 201, &out)
		return core.GeocodeCandidate{EntryID: out.ID}
	}
	first := add(map[string]any{"kind": "road", "name": "测绘大道", "place_id": a.CommunityID, "num_from": 1, "num_to": 99, "aliases": []string{"测绘路"}})
	add(map[string]any{"kind": "road", "name": "测绘大道", "place_id": b.CommunityID, "num_from": 100, "num_to": 300, "lat": 40.0, "lon": 116.4})
	r := e.apiGeocode("测绘大道12号")
	if r.Match == nil || r.Match.PlaceID != a.CommunityID || r.Match.Number != 12 || r.Match.Source != "admin" {
		t.Fatalf("测绘大道12号: %+v", r)
	}
	r = e.apiGeocode("测绘大道２００号附近")
	if r.Match == nil || r.Match.PlaceID != b.CommunityID || r.Match.Lat == nil || *r.Match.Lat != 40.0 {
		t.Fatalf("测绘大道200号: %+v", r)
	}
	if r := e.apiGeocode("测绘大道"); r.Match != nil || !r.NeedsChoice || len(r.Candidates) < 2 {
		t.Fatalf("测绘大道 without number: %+v", r)
	}
	var list struct {
		Entries []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"entries"`
		Stats core.GazetteerStats `json:"stats"`
	}
	apiWant(t, e.apiDo(e.agent, "GET", "/api/v1/gazetteer", nil), 200, &list)
	if len(list.Entries) < 2 || list.Stats.Stored < 2 {
		t.Fatalf("list: %+v", list)
	}
	for _, bad := range []struct {
		body   map[string]any
		status int
		code   errs.Code
	}{
		{map[string]any{"kind": "planet", "name": "x", "place_id": a.CommunityID}, 422, errs.Invalid},
		{map[string]any{"kind": "road", "name": " ", "place_id": a.CommunityID}, 422, errs.FieldRequired},
		{map[string]any{"kind": "road", "name": "x", "place_id": 999999}, 422, errs.UnknownPlace},
		{map[string]any{"kind": "road", "name": "x", "place_id": a.CommunityID, "num_from": 5, "num_to": 1}, 422, errs.Invalid},
		{map[string]any{"kind": "road", "name": "x", "place_id": a.CommunityID, "lat": 40}, 422, errs.InvalidLocation},
		{map[string]any{"kind": "road", "name": "x", "place_id": a.CommunityID, "source": "learned"}, 400, errs.InvalidJSON},
	} {
		apiRefused(t, e.apiDo(e.admin, "POST", "/api/v1/gazetteer", bad.body), bad.status, bad.code)
	}
	apiRefused(t, e.apiDo(e.agent, "POST", "/api/v1/gazetteer", map[string]any{"kind": "road", "name": "x", "place_id": a.CommunityID}), 403, errs.Forbidden)
	apiWant(t, e.apiDo(e.admin, "DELETE", fmt.Sprintf("/api/v1/gazetteer/%d", first.EntryID), nil), 204, nil)
	apiRefused(t, e.apiDo(e.admin, "DELETE", fmt.Sprintf("/api/v1/gazetteer/%d", first.EntryID), nil), 404, errs.NotFound)
	if r := e.apiGeocode("测绘大道12号"); len(r.Candidates) == 0 || r.Candidates[0].PlaceID != b.CommunityID {
		t.Fatalf("after delete: %+v", r)
	}
}
