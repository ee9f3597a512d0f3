package store_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"whistle/internal/errs"
	"whistle/internal/gazetteer"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
)

func sq(x0 float64) string {
	return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%v,39.9],[%v,39.9],[%v,40],[%v,40],[%v,39.9]]]}`, x0, x0+0.1, x0+0.1, x0, x0)
}

func placeByCode(t *testing.T, s *store.Store) map[string]org.Place {
	t.Helper()
	ps, err := s.Places(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]org.Place{}
	for _, p := range ps {
		out[p.Code] = p
	}
	return out
}

func TestImportPlaces(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		write(t, s, func(tx *store.Tx) error {
			return tx.InsertPlace(ctx, &org.Place{Level: org.LevelCity, Code: "C", Name: "市"})
		})
		var n store.ImportCounts
		write(t, s, func(tx *store.Tx) (err error) {
			n, err = tx.ImportPlaces(ctx, []store.PlaceImport{
				{Code: "D1", Name: "一区", Level: org.LevelDistrict, ParentCode: "C", Boundary: sq(116), Aliases: []string{"老一区", "一区政府"}},
				{Code: "S1", Name: "一街道", Level: org.LevelStreet, ParentCode: "D1", Boundary: sq(116)},
			}, base)
			return err
		})
		if n != (store.ImportCounts{Created: 2}) {
			t.Fatalf("counts = %+v", n)
		}
		ps := placeByCode(t, s)
		if d, st := ps["D1"], ps["S1"]; d.ParentID != ps["C"].ID || st.ParentID != d.ID || st.Boundary != sq(116) || d.Name != "一区" {
			t.Fatalf("imported places %+v %+v", d, st)
		}
		es, err := s.GazetteerEntries(ctx)
		if err != nil || len(es) != 2 || es[0].Kind != gazetteer.KindAlias || es[0].PlaceID != ps["D1"].ID || es[0].Source != "import" {
			t.Fatalf("aliases = %+v, %v", es, err)
		}
		// Re-import: update by code, aliases replaced.
		write(t, s, func(tx *store.Tx) (err error) {
			n, err = tx.ImportPlaces(ctx, []store.PlaceImport{
				{Code: "D1", Name: "第一区", Level: org.LevelDistrict, ParentCode: "C", Boundary: sq(117), Aliases: []string{"老一区"}},
			}, base)
			return err
		})
		ps2 := placeByCode(t, s)
		if n != (store.ImportCounts{Updated: 1}) || ps2["D1"].ID != ps["D1"].ID || ps2["D1"].Name != "第一区" || ps2["D1"].Boundary != sq(117) {
			t.Fatalf("update: %+v %+v", n, ps2["D1"])
		}
		if es, _ := s.GazetteerEntries(ctx); len(es) != 1 || es[0].Name != "老一区" {
			t.Fatalf("aliases after re-import = %+v", es)
		}
	})
}

// TestImportAllOrNothing: a bad feature in the middle of an import fails
// the transaction; the features before it (creates and updates, aliases)
// are not written.
func TestImportAllOrNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		write(t, s, func(tx *store.Tx) error {
			if err := tx.InsertPlace(ctx, &org.Place{Level: org.LevelCity, Code: "C", Name: "市"}); err != nil {
				return err
			}
			_, err := tx.ImportPlaces(ctx, []store.PlaceImport{{Code: "D1", Name: "一区", Level: org.LevelDistrict, ParentCode: "C", Boundary: sq(116), Aliases: []string{"老一区"}}}, base)
			return err
		})
		before := placeByCode(t, s)
		esBefore, _ := s.GazetteerEntries(ctx)
		for _, bad := range []struct {
			name string
			p    store.PlaceImport
			code errs.Code
		}{
			{"unknown parent", store.PlaceImport{Code: "S9", Name: "九街道", Level: org.LevelStreet, ParentCode: "NOPE", Boundary: sq(116)}, errs.UnknownPlace},
			{"level clash", store.PlaceImport{Code: "D1", Name: "一区", Level: org.LevelStreet, ParentCode: "D1", Boundary: sq(116)}, errs.Invalid},
		} {
			err := s.Write(ctx, func(tx *store.Tx) error {
				_, err := tx.ImportPlaces(ctx, []store.PlaceImport{
					{Code: "D2", Name: "二区", Level: org.LevelDistrict, ParentCode: "C", Boundary: sq(117), Aliases: []string{"二"}},
					{Code: "D1", Name: "改名区", Level: org.LevelDistrict, ParentCode: "C", Boundary: sq(118)},
					{Code: "S1", Name: "一街道", Level: org.LevelStreet, ParentCode: "D2", Boundary: sq(117)},
					bad.p,
					{Code: "S2", Name: "二街道", Level: org.LevelStreet, ParentCode: "D2", Boundary: sq(117)},
				}, base)
				return err
			})
			wantCode(t, err, bad.code)
			after := placeByCode(t, s)
			if len(after) != len(before) || after["D1"] != before["D1"] {
				t.Fatalf("%s: places changed by a failed import:\n before %+v\n after %+v", bad.name, before, after)
			}
			if es, _ := s.GazetteerEntries(ctx); !slices.EqualFunc(es, esBefore, func(a, b gazetteer.Entry) bool { return a.ID == b.ID && a.Name == b.Name }) {
				t.Fatalf("%s: gazetteer changed by a failed import: %+v", bad.name, es)
			}
		}
	})
}

func TestGazetteerEntries(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		p := org.Place{Level: org.LevelCity, Code: "C", Name: "市"}
		write(t, s, func(tx *store.Tx) error { return tx.InsertPlace(ctx, &p) })
		lat, lon := 39.91234567, 116.7654321
		a := gazetteer.Entry{Kind: gazetteer.KindRoad, Name: "人民路", Aliases: []string{"人民大道", "人民南路"}, PlaceID: p.ID, Lat: &lat, Lon: &lon, NumFrom: 1, NumTo: 99, Source: "admin"}
		b := gazetteer.Entry{Kind: gazetteer.KindCompound, Name: "翠湖家园", PlaceID: p.ID, Source: "admin"}
		write(t, s, func(tx *store.Tx) error {
			if err := tx.InsertGazetteerEntry(ctx, &a, 7, base); err != nil {
				return err
			}
			return tx.InsertGazetteerEntry(ctx, &b, 7, base)
		})
		es, err := s.GazetteerEntries(ctx)
		if err != nil || len(es) != 2 {
			t.Fatalf("entries = %+v, %v", es, err)
		}
		g := es[0]
		if g.ID != a.ID || g.Name != "人民路" || !slices.Equal(g.Aliases, a.Aliases) || g.Lat == nil || *g.Lat != lat || *g.Lon != lon || g.NumFrom != 1 || g.NumTo != 99 || g.Kind != "road" {
			t.Fatalf("entry = %+v", g)
		}
		if es[1].Lat != nil || es[1].Aliases != nil {
			t.Fatalf("entry without coordinates = %+v", es[1])
		}
		write(t, s, func(tx *store.Tx) error { return tx.DeleteGazetteerEntry(ctx, a.ID) })
		wantCode(t, s.Write(ctx, func(tx *store.Tx) error { return tx.DeleteGazetteerEntry(ctx, a.ID) }), errs.NotFound)
		if es, _ := s.GazetteerEntries(ctx); len(es) != 1 || es[0].ID != b.ID {
			t.Fatalf("after delete: %+v", es)
		}
	})
}

func TestResolvedAddresses(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		closed := fullCase() // closed, with address and places
		open := testCase(2)
		open.Location = lifecycle.Location{Address: "未办结", DistrictID: 2}
		noAddr := testCase(3)
		noAddr.ClosedAt, noAddr.State = base.Add(time.Hour), lifecycle.Closed
		noAddr.Location = lifecycle.Location{DistrictID: 2}
		unplaced := testCase(4) // imported history outside every place
		unplaced.ClosedAt, unplaced.State = base.Add(time.Hour), lifecycle.Closed
		unplaced.Location = lifecycle.Location{Address: "1 Main St, Boston"}
		if has, err := s.HasPlacedClosedCases(ctx); err != nil || has {
			t.Fatalf("HasPlacedClosedCases on an empty store = %v, %v", has, err)
		}
		insertCases(t, s, open, unplaced)
		if has, _ := s.HasPlacedClosedCases(ctx); has {
			t.Fatal("HasPlacedClosedCases with only an open case and an unplaced closed one")
		}
		insertCases(t, s, closed, noAddr)
		if has, _ := s.HasPlacedClosedCases(ctx); !has {
			t.Fatal("HasPlacedClosedCases = false with placed closed cases")
		}
		obs, err := s.ResolvedAddresses(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(obs) != 1 {
			t.Fatalf("observations = %+v", obs)
		}
		o := obs[0]
		if o.Address != "朝阳区建国门外大街1号" || o.Lat == nil || *o.Lat != 39.9087 || *o.Lon != 116.3975 ||
			o.DistrictID != 2 || o.StreetID != 3 || o.CommunityID != 4 || o.GridID != 5 {
			t.Fatalf("observation = %+v", o)
		}
	})
}
