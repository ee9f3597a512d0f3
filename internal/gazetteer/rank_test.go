package gazetteer_test

import (
	"testing"

	"whistle/internal/gazetteer"
)

// TestExactNameOutranksStreet: a compound or landmark named exactly in the
// address outranks a street whose bare (short) name begins the address —
// also when the street lies elsewhere.
func TestExactNameOutranksStreet(t *testing.T) {
	ps := []gazetteer.Place{
		{ID: 1, Level: "city", Name: "江川市"},
		{ID: 2, ParentID: 1, Level: "district", Name: "临江区"},
		{ID: 3, ParentID: 1, Level: "district", Name: "鼓楼区"},
		{ID: 10, ParentID: 2, Level: "street", Name: "滨河街道"},
		{ID: 11, ParentID: 3, Level: "street", Name: "翠湖街道"},
		{ID: 12, ParentID: 3, Level: "street", Name: "东坡镇"},
		{ID: 20, ParentID: 10, Level: "community", Name: "锦绣社区"},
		{ID: 21, ParentID: 11, Level: "community", Name: "安华社区"},
		{ID: 22, ParentID: 12, Level: "community", Name: "东坡村"},
	}
	es := []gazetteer.Entry{
		{Kind: gazetteer.KindCompound, Name: "翠湖嘉园", PlaceID: 20},
		{Kind: gazetteer.KindCompound, Name: "翠湖北区", PlaceID: 20},
		{Kind: gazetteer.KindLandmark, Name: "东坡中学", PlaceID: 20},
		{Kind: gazetteer.KindRoad, Name: "翠湖路", PlaceID: 21},
	}
	ix := gazetteer.New(ps, es)
	for _, c := range []struct {
		q     string
		place int64
	}{
		{"翠湖嘉园", 20},
		{"翠湖嘉园3号楼", 20},
		{"翠湖北区5号楼2单元", 20},
		{"翠湖北区东门", 20},
		{"东坡中学门口", 20},
		{"江川市临江区翠湖北区", 20},
		{"翠湖路12号", 21},
		{"翠湖街道", 11},
		{"鼓楼区翠湖街道安华社区", 21},
	} {
		res := ix.Geocode(c.q, 5, 0)
		if len(res.Candidates) == 0 {
			t.Errorf("%q: no candidates", c.q)
			continue
		}
		if best := res.Candidates[0]; best.PlaceID != c.place || res.Match == nil {
			t.Errorf("%q: best %s (place %d, %.3f, confident %v), want place %d; %+v", c.q, best.Entry.Name, best.PlaceID, best.Confidence, res.Match != nil, c.place, res.Candidates)
		}
	}
}
