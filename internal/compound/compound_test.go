package compound_test

import (
	"errors"
	"testing"
	"time"

	"whistle/internal/compound"
)

func sq(x0, y0, x1, y1 string) string {
	return `{"type":"Polygon","coordinates":[[[` + x0 + `,` + y0 + `],[` + x1 + `,` + y0 + `],[` + x1 + `,` + y1 + `],[` + x0 + `,` + y1 + `],[` + x0 + `,` + y0 + `]]]}`
}

func f(v float64) *float64 { return &v }

func testIndex() *compound.Index {
	return compound.NewIndex([]compound.Compound{
		{ID: 1, Name: "翠湖家园", Aliases: []string{"翠湖小区"}, Boundary: sq("116.30", "39.90", "116.31", "39.91"), CommunityID: 10, PropertyUnitID: 100, Active: true},
		{ID: 2, Name: "阳光花园", Aliases: []string{"阳光花园东区"}, Boundary: sq("116.31", "39.90", "116.32", "39.91"), CommunityID: 11, PropertyUnitID: 101, Active: true},
		{ID: 3, Name: "阳光花园", CommunityID: 12, PropertyUnitID: 102, Active: true}, // same name, another community, no boundary
		{ID: 4, Name: "旧厂宿舍", CommunityID: 10, PropertyUnitID: 100, Active: false},
		{ID: 5, Name: "金台里", Aliases: []string{"金台"}, CommunityID: 13, PropertyUnitID: 103, Active: true},
	})
}

func TestFind(t *testing.T) {
	ix := testIndex()
	for _, tc := range []struct {
		name      string
		lon, lat  *float64
		approx    bool
		address   string
		community int64
		want      int64
		by        string
		err       error
	}{
		{name: "point inside", lon: f(116.305), lat: f(39.905), want: 1, by: compound.ByBoundary},
		{name: "point beats address", lon: f(116.305), lat: f(39.905), address: "阳光花园东区3号楼", want: 1, by: compound.ByBoundary},
		{name: "shared border: lowest id", lon: f(116.31), lat: f(39.905), want: 1, by: compound.ByBoundary},
		{name: "point outside, address alias", lon: f(116.40), lat: f(39.95), address: "翠湖小区5号楼2单元", want: 1, by: compound.ByAlias},
		{name: "approximate point: address first", lon: f(116.305), lat: f(39.905), approx: true, address: "阳光花园东区3号楼", want: 2, by: compound.ByAlias},
		{name: "approximate point without address", lon: f(116.315), lat: f(39.905), approx: true, want: 2, by: compound.ByBoundary},
		{name: "longest alias wins", address: "朝阳区阳光花园东区8号楼", want: 2, by: compound.ByAlias},
		{name: "same name in two communities: ambiguous", address: "阳光花园3号楼", err: compound.ErrAmbiguous},
		{name: "same name settled by community", address: "阳光花园3号楼", community: 12, want: 3, by: compound.ByAlias},
		{name: "spaces and full-width digits", address: "翠 湖 家 园 ５号楼", want: 1, by: compound.ByAlias},
		{name: "inactive compound never matches", address: "旧厂宿舍1号楼"},
		{name: "short alias contained", address: "金台路甲2号", want: 5, by: compound.ByAlias},
		{name: "nothing", address: "某某路1号"},
		{name: "empty", want: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, ok, err := ix.Find(tc.lon, tc.lat, tc.approx, tc.address, tc.community)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if tc.want == 0 {
				if ok {
					t.Fatalf("matched %+v, want none", m)
				}
				return
			}
			if !ok || m.Compound.ID != tc.want || m.By != tc.by {
				t.Fatalf("got %+v ok=%v, want compound %d by %s", m, ok, tc.want, tc.by)
			}
		})
	}
	if ix.Len() != 4 {
		t.Fatalf("len %d, want the 4 active compounds", ix.Len())
	}
}

func TestCheck(t *testing.T) {
	kinds := map[int64]string{100: "property", 200: "owners_committee", 300: "street"}
	kindOf := func(id int64) string { return kinds[id] }
	isCommunity := func(id int64) bool { return id == 10 }
	ok := compound.Compound{Name: "翠湖家园", CommunityID: 10, PropertyUnitID: 100, CommitteeUnitID: 200, Boundary: sq("1", "1", "2", "2"), Aliases: []string{"翠湖小区"}}
	for _, tc := range []struct {
		name  string
		edit  func(c *compound.Compound)
		field string
	}{
		{name: "valid", edit: func(c *compound.Compound) {}},
		{name: "no name", edit: func(c *compound.Compound) { c.Name = " " }, field: "name"},
		{name: "not a community", edit: func(c *compound.Compound) { c.CommunityID = 11 }, field: "community_id"},
		{name: "property unit of another kind", edit: func(c *compound.Compound) { c.PropertyUnitID = 300 }, field: "property_unit_id"},
		{name: "no property unit", edit: func(c *compound.Compound) { c.PropertyUnitID = 0 }, field: "property_unit_id"},
		{name: "committee of another kind", edit: func(c *compound.Compound) { c.CommitteeUnitID = 100 }, field: "committee_unit_id"},
		{name: "no committee is fine", edit: func(c *compound.Compound) { c.CommitteeUnitID = 0 }},
		{name: "bad boundary", edit: func(c *compound.Compound) { c.Boundary = `{"type":"Point"}` }, field: "boundary"},
		{name: "alias too short", edit: func(c *compound.Compound) { c.Aliases = []string{"翠"} }, field: "aliases"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			c.Aliases = append([]string(nil), ok.Aliases...)
			tc.edit(&c)
			ps := compound.Check(c, kindOf, isCommunity)
			if tc.field == "" {
				if len(ps) != 0 {
					t.Fatalf("problems %v", ps)
				}
				return
			}
			if len(ps) != 1 || ps[0].Field != tc.field {
				t.Fatalf("problems %v, want one on %s", ps, tc.field)
			}
		})
	}
}

func TestQuarterAndRating(t *testing.T) {
	sh := time.FixedZone("CST", 8*3600)
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 3, 31, 16, 30, 0, 0, time.UTC), "2026-Q2"}, // 00:30 on 1 April in Shanghai
		{time.Date(2026, 3, 31, 15, 59, 0, 0, time.UTC), "2026-Q1"},
		{time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), "2026-Q4"},
		{time.Date(2026, 7, 1, 0, 0, 0, 0, sh), "2026-Q3"},
	} {
		if got := compound.Quarter(tc.at, sh); got != tc.want {
			t.Errorf("Quarter(%v) = %s, want %s", tc.at, got, tc.want)
		}
	}
	for _, tc := range []struct {
		score   int
		comment string
		bad     int
	}{{1, "", 0}, {5, "很好", 0}, {0, "", 1}, {6, "", 1}, {3, string(make([]rune, 501)), 1}} {
		if got := compound.CheckRating(tc.score, tc.comment); len(got) != tc.bad {
			t.Errorf("CheckRating(%d) = %v", tc.score, got)
		}
	}
	s := compound.RatingSummary{Count: 3, Sum: 13}
	s.Summarize()
	if s.Mean == nil || *s.Mean != 4.33 {
		t.Fatalf("mean %v", s.Mean)
	}
	s = compound.RatingSummary{}
	if s.Summarize(); s.Mean != nil {
		t.Fatal("mean without ratings")
	}
}
