package gazetteer_test

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"

	"whistle/internal/demo"
	"whistle/internal/gazetteer"
	"whistle/internal/shareddata"
)

func demoCity(t testing.TB, requests int) ([]gazetteer.Place, []gazetteer.Observation) {
	t.Helper()
	ds := demo.Generate(demo.Options{Seed: 11, Requests: requests})
	var ps []gazetteer.Place
	for _, p := range ds.Places {
		ps = append(ps, gazetteer.Place{ID: p.ID, ParentID: p.ParentID, Level: p.Level, Name: p.Name})
	}
	var obs []gazetteer.Observation
	for _, r := range ds.Requests {
		l := r.Case.Location
		obs = append(obs, gazetteer.Observation{Address: l.Address, Lat: l.Lat, Lon: l.Lon,
			DistrictID: l.DistrictID, StreetID: l.StreetID, CommunityID: l.CommunityID, GridID: l.GridID})
	}
	return ps, obs
}

// TestLearnDemo learns from 80 % of the demo city's resolved requests and
// geocodes the addresses of the other 20 %: confident answers must be right
// (community for compound and village addresses, street for road ones),
// and the best candidate must at least name the right street.
func TestLearnDemo(t *testing.T) {
	ps, obs := demoCity(t, 6000)
	cut := len(obs) * 4 / 5
	entries := gazetteer.Learn(ps, obs[:cut])
	if len(entries) < 500 {
		t.Fatalf("learned only %d entries", len(entries))
	}
	ix := gazetteer.New(ps, entries)
	total, streetRight, confident, wrongConfident := 0, 0, 0, 0
	for _, o := range obs[cut:] {
		if o.Address == "" {
			continue
		}
		res := ix.Geocode(o.Address, 5, 0)
		total++
		level := 2 // community for compound addresses
		if !strings.Contains(o.Address, "号楼") && !strings.Contains(o.Address, "组") {
			level = 1 // roads, shops on roads, crossings
		}
		truth := [4]int64{o.DistrictID, o.StreetID, o.CommunityID, o.GridID}
		if len(res.Candidates) > 0 && res.Candidates[0].Chain[1] == truth[1] {
			streetRight++
		}
		if res.Match != nil {
			confident++
			if res.Match.Chain[level] != truth[level] {
				wrongConfident++
				t.Logf("confident but wrong: %q → %s (%v)", o.Address, res.Match.Entry.Name, res.Match.Chain)
			}
		}
	}
	t.Logf("%d addresses: best candidate in the right street %d, confident %d, confident but wrong %d", total, streetRight, confident, wrongConfident)
	if streetRight*100 < total*97 {
		t.Errorf("best candidate in the right street for only %d of %d", streetRight, total)
	}
	if confident*100 < total*85 {
		t.Errorf("only %d of %d confident", confident, total)
	}
	if wrongConfident*100 > confident {
		t.Errorf("%d of %d confident answers wrong", wrongConfident, confident)
	}
}

// A small hand-made city: two districts, each with one street, communities
// and grids, compounds of the same name in both, a road in two sections and
// a building.
func smallCity() *gazetteer.Index {
	f := func(v float64) *float64 { return &v }
	ps := []gazetteer.Place{
		{ID: 1, Level: "city", Name: "江川市"},
		{ID: 2, ParentID: 1, Level: "district", Name: "临江区"},
		{ID: 3, ParentID: 1, Level: "district", Name: "鼓楼区"},
		{ID: 10, ParentID: 2, Level: "street", Name: "滨河街道"},
		{ID: 11, ParentID: 3, Level: "street", Name: "钟楼街道"},
		{ID: 20, ParentID: 10, Level: "community", Name: "翠湖里社区", Lat: f(39.9), Lon: f(116.3)},
		{ID: 21, ParentID: 10, Level: "community", Name: "锦绣社区"},
		{ID: 22, ParentID: 11, Level: "community", Name: "安华社区"},
		{ID: 30, ParentID: 21, Level: "grid", Name: "锦绣社区第一网格"},
		{ID: 31, ParentID: 21, Level: "grid", Name: "锦绣社区第二网格"},
	}
	es := []gazetteer.Entry{
		{Kind: gazetteer.KindCompound, Name: "阳光家园", PlaceID: 20, Lat: f(39.91), Lon: f(116.31)},
		{Kind: gazetteer.KindCompound, Name: "阳光家园", PlaceID: 22},
		{Kind: gazetteer.KindCompound, Name: "翠湖嘉园", PlaceID: 21, Aliases: []string{"翠湖新村"}},
		{Kind: gazetteer.KindBuilding, Name: "翠湖嘉园5号楼", PlaceID: 31},
		{Kind: gazetteer.KindRoad, Name: "人民路", PlaceID: 20, NumFrom: 1, NumTo: 99},
		{Kind: gazetteer.KindRoad, Name: "人民路", PlaceID: 21, NumFrom: 100, NumTo: 199},
		{Kind: gazetteer.KindLandmark, Name: "江川市第一人民医院", PlaceID: 21},
	}
	return gazetteer.New(ps, es)
}

func TestGeocodeVariants(t *testing.T) {
	ix := smallCity()
	cases := []struct {
		q         string
		place     int64 // best candidate's place
		confident bool
	}{
		{"江川市临江区滨河街道翠湖嘉园5号楼", 31, true},
		{"翠湖嘉园5号楼", 31, true},           // no 市/区/街道 prefix
		{"临江区翠湖嘉园５号楼", 31, true},        // full-width digit
		{"翠湖嘉园5号院", 31, true},           // 号院 for 号楼
		{"翠湖嘉园5号", 31, true},            // bare 号
		{"翠湖嘉园五号楼", 31, true},           // Chinese numeral
		{"翠湖嘉园 5 栋 2 单元 301", 31, true}, // 栋, spaces, unit and room
		{"翠湖嘉园6号楼", 21, true},           // another building: the compound
		{"翠湖佳园5号楼", 31, true},           // one-character typo (嘉 → 佳)
		{"江川临江区翠湖嘉园", 21, true},         // city without 市
		{"临江翠湖嘉园", 21, true},            // district without 区
		{"翠湖新村东门", 21, true},            // alias with trailing words
		{"人民路12号", 20, true},            // first section of the road
		{"人民路120号附近", 21, true},         // second section
		{"人民路与建设路交叉口", 20, false},       // which section? the agent chooses
		{"阳光家园", 20, false},             // two compounds of that name
		{"鼓楼区阳光家园3号楼", 22, true},        // the district decides
		{"临江区阳光家园", 20, true},
		{"江川市临江区滨河街道", 10, true}, // only the administrative chain
		{"江川市第一人民医院", 21, true},  // a landmark
		{"锦绣社区", 21, true},       // a community by name
		{"锦绣", 21, true},         // … and by its short name
		{"锦绣第二网格", 31, true},
	}
	for _, c := range cases {
		res := ix.Geocode(c.q, 5, 0)
		if len(res.Candidates) == 0 {
			t.Errorf("%q: no candidates", c.q)
			continue
		}
		best := res.Candidates[0]
		if best.PlaceID != c.place {
			t.Errorf("%q: best %s (place %d, %.3f), want place %d; %+v", c.q, best.Entry.Name, best.PlaceID, best.Confidence, c.place, res.Candidates)
		}
		if (res.Match != nil) != c.confident || res.NeedsChoice == c.confident {
			t.Errorf("%q: match=%v needs_choice=%v (confidence %.3f), want confident=%v", c.q, res.Match != nil, res.NeedsChoice, best.Confidence, c.confident)
		}
		if best.Confidence < 0 || best.Confidence > 1 {
			t.Errorf("%q: confidence %v outside [0,1]", c.q, best.Confidence)
		}
	}
	// Ambiguity lists both places for the agent.
	res := ix.Geocode("阳光家园", 5, 0)
	if len(res.Candidates) < 2 || res.Candidates[1].PlaceID != 22 {
		t.Errorf("阳光家园: candidates %+v, want both compounds", res.Candidates)
	}
	// Coordinates: the entry's own, else its place's.
	if m := ix.Geocode("临江区阳光家园", 5, 0).Match; m == nil || m.Lat == nil || *m.Lat != 39.91 {
		t.Errorf("阳光家园 coordinates = %+v", m)
	}
	if m := ix.Geocode("人民路12号", 5, 0).Match; m == nil || m.Lat == nil || *m.Lat != 39.9 || m.Number != 12 || m.Chain != [4]int64{2, 10, 20, 0} {
		t.Errorf("人民路12号 = %+v", m)
	}
	// A stricter threshold turns a typo into a choice.
	if r := ix.Geocode("翠湖佳园5号楼", 5, 0.99); r.Match != nil || !r.NeedsChoice {
		t.Errorf("threshold 0.99 still matched %+v", r.Match)
	}
	// Nonsense and empty queries.
	for _, q := range []string{"", "   ", "？？？", "完全不相干的一句话"} {
		if r := ix.Geocode(q, 5, 0); r.Match != nil || !r.NeedsChoice {
			t.Errorf("%q matched %+v", q, r.Match)
		}
	}
	if r := ix.Geocode("阳光家园", 1, 0); len(r.Candidates) != 1 {
		t.Errorf("limit 1 gave %d candidates", len(r.Candidates))
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"翠湖家园５号楼":   "翠湖家园5号",
		"翠湖家园5号院":   "翠湖家园5号",
		"翠湖家园 5 栋":  "翠湖家园5号",
		"十二号楼":      "12号",
		"二十三幢":      "23号",
		"一百零五号":     "105号",
		"三组12号":     "3组12号",
		"和平里一区":     "和平里一区",
		"听涛一期":      "听涛一期",
		"七星路":       "七星路",
		"ＡＢＣ小区（东门）": "abc小区东门",
		"人民路、建设路":   "人民路建设路",
		"望京SOHO T1": "望京sohot1",
		"12-3号":     "12-3号",
	} {
		if got := gazetteer.Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLearnRoads: a road seen in two streets yields a section per street
// with the house numbers seen there.
func TestLearnRoads(t *testing.T) {
	ps := []gazetteer.Place{
		{ID: 1, Level: "city", Name: "江川市"}, {ID: 2, ParentID: 1, Level: "district", Name: "临江区"},
		{ID: 10, ParentID: 2, Level: "street", Name: "滨河街道"}, {ID: 11, ParentID: 2, Level: "street", Name: "钟楼街道"},
	}
	lat, lon := 39.9, 116.3
	var obs []gazetteer.Observation
	for n := 1; n <= 10; n++ {
		obs = append(obs, gazetteer.Observation{Address: "临江区人民路" + itoa(n) + "号", DistrictID: 2, StreetID: 10, Lat: &lat, Lon: &lon})
		obs = append(obs, gazetteer.Observation{Address: "江川市临江区人民路" + itoa(100+n) + "号附近", DistrictID: 2, StreetID: 11})
	}
	obs = append(obs, gazetteer.Observation{Address: "临江区滨河街道", DistrictID: 2, StreetID: 10}) // a place, not learned
	es := gazetteer.Learn(ps, obs)
	if len(es) != 2 {
		t.Fatalf("learned %+v, want two sections of 人民路", es)
	}
	for _, e := range es {
		if e.Kind != gazetteer.KindRoad || e.Name != "人民路" || e.Support != 10 {
			t.Errorf("entry %+v", e)
		}
	}
	if es[0].PlaceID != 10 || es[0].NumFrom != 1 || es[0].NumTo != 10 || es[0].Lat == nil ||
		es[1].PlaceID != 11 || es[1].NumFrom != 101 || es[1].NumTo != 110 || es[1].Lat != nil {
		t.Errorf("sections %+v %+v", es[0], es[1])
	}
	ix := gazetteer.New(ps, es)
	if m := ix.Geocode("人民路105号", 5, 0).Match; m == nil || m.PlaceID != 11 {
		t.Errorf("人民路105号 → %+v, want the second section", m)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// BenchmarkGeocode measures address lookups against the demo city's
// gazetteer learned from 60,000 requests: go test -bench Geocode ./internal/gazetteer
func BenchmarkGeocode(b *testing.B) {
	ps, obs := demoCity(b, 60000)
	entries := gazetteer.Learn(ps, obs)
	ix := gazetteer.New(ps, entries)
	var qs []string
	for _, o := range obs[:4096] {
		if o.Address != "" {
			qs = append(qs, o.Address)
		}
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ix.Geocode(qs[i%len(qs)], 5, 0)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
	b.ReportMetric(float64(ix.Len()), "entries")
}

// BenchmarkLearn measures learning from 60,000 resolved requests (done at
// every catalogue reload).
func BenchmarkLearn(b *testing.B) {
	ps, obs := demoCity(b, 60000)
	b.ResetTimer()
	for b.Loop() {
		gazetteer.Learn(ps, obs)
	}
	b.ReportMetric(float64(len(obs)), "requests")
}

// TestRealMessagesNotConfident reads 4,326 real citizen messages of another
// (anonymised) city — their subjects full of districts, roads, compounds
// and villages — against the demo city's gazetteer: the matcher must stay
// in bounds on real text and must almost never claim a confident match for
// a place the city does not have.
func TestRealMessagesNotConfident(t *testing.T) {
	f, err := os.Open(shareddata.Data(t, "zhengwu", "messages.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ps, obs := demoCity(t, 6000)
	ix := gazetteer.New(ps, gazetteer.Learn(ps, obs))
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n, confident := 0, 0
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 5 || cols[0] == "id" {
			continue
		}
		n++
		r := ix.Geocode(cols[2], 5, 0)
		for _, c := range r.Candidates {
			if c.Confidence < 0 || c.Confidence > 1 {
				t.Fatalf("%q: confidence %v", cols[2], c.Confidence)
			}
		}
		if r.Match != nil {
			confident++
			if confident <= 5 {
				t.Logf("confident: %q → %s (%.2f)", cols[2], r.Match.Entry.Name, r.Match.Confidence)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d real messages, %d confident matches in the demo city", n, confident)
	if n < 4000 {
		t.Fatalf("read only %d messages", n)
	}
	if confident*100 > n*2 {
		t.Errorf("%d of %d foreign messages matched confidently", confident, n)
	}
}
