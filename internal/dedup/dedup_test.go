package dedup

import (
	"bufio"
	"math"
	"os"
	"strings"
	"testing"

	"whistle/internal/shareddata"
)

func ptr(f float64) *float64 { return &f }

// offset returns a point about north metres north and east metres east of (lat, lon).
func offset(lat, lon, north, east float64) (*float64, *float64) {
	return ptr(lat + north/111195.0), ptr(lon + east/(111195.0*math.Cos(lat*math.Pi/180)))
}

func TestDistance(t *testing.T) {
	// Tian'anmen to the Forbidden City's north gate: about 1.6 km.
	d := DistanceM(39.9087, 116.3975, 39.9231, 116.3972)
	if d < 1550 || d > 1650 {
		t.Fatalf("distance %.0f m", d)
	}
	lat, lon := offset(39.9, 116.4, 60, 80)
	if d := DistanceM(39.9, 116.4, *lat, *lon); math.Abs(d-100) > 1 {
		t.Fatalf("offset distance %.2f, want 100", d)
	}
	minLat, maxLat, minLon, maxLon := BoundingBox(39.9, 116.4, 100)
	if !(minLat < 39.9 && *lat < maxLat && minLon < 116.4 && *lon < maxLon) {
		t.Fatal("bounding box misses a point 100 m away")
	}
}

func TestRelation(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"urban.stall", "urban.stall", "same"},
		{"urban.stall", "urban.litter", "sibling"},
		{"urban.stall", "noise.night", ""},
		{"traffic.bus.route", "traffic.bus.stop", "sibling"},
		{"traffic.bus.route", "traffic.parking", ""},
		{"urban", "noise", ""},
	} {
		if got := Relation(tc.a, tc.b); got != tc.want {
			t.Errorf("Relation(%s, %s) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
}

const (
	stall1 = "幸福里小区南门每天晚上有人摆摊卖烧烤，油烟很大，占道经营影响通行，希望城管管一管。"
	stall2 = "幸福里小区南门晚上摆摊卖烧烤的又来了，油烟大还占道，行人没法走，请处理。"
	other  = "我想咨询一下孩子上小学需要准备哪些入学材料，户口不在本区能否就近入学。"
)

func TestScore(t *testing.T) {
	lat, lon := 39.9, 116.4
	req := Request{ID: 1, Category: "urban.stall", Lat: ptr(lat), Lon: ptr(lon), Text: stall1, CommunityID: 7}
	at := func(n, e float64) (*float64, *float64) { return offset(lat, lon, n, e) }
	la, lo := at(30, 40) // 50 m
	fa, fo := at(90, 80) // ~120 m
	cands := []Request{
		{ID: 1, Category: "urban.stall", Lat: ptr(lat), Lon: ptr(lon), Text: stall1},       // itself
		{ID: 2, Category: "urban.stall", Lat: la, Lon: lo, Text: stall2},                   // near, same, similar
		{ID: 3, Category: "urban.stall", Lat: fa, Lon: fo, Text: stall2},                   // outside radius
		{ID: 4, Category: "urban.litter", Lat: la, Lon: lo, Text: stall2},                  // sibling
		{ID: 5, Category: "noise.night", Lat: la, Lon: lo, Text: stall2},                   // unrelated category
		{ID: 6, Category: "urban.stall", Lat: la, Lon: lo, Text: other},                    // different text
		{ID: 7, Category: "urban.stall", Text: stall2, CommunityID: 7},                     // no coordinates, same community
		{ID: 8, Category: "urban.stall", Text: stall2, CommunityID: 8},                     // no coordinates, elsewhere
		{ID: 9, Category: "urban.stall", Lat: ptr(lat), Lon: ptr(lon), Text: stall1 + "！"}, // same place, same text
	}
	got := Score(req, cands, Config{})
	ids := map[int64]Match{}
	for _, m := range got {
		ids[m.ID] = m
	}
	for _, want := range []int64{2, 4, 9} {
		if _, ok := ids[want]; !ok {
			t.Errorf("candidate %d missing from %+v", want, got)
		}
	}
	for _, not := range []int64{1, 3, 5, 6, 8} {
		if _, ok := ids[not]; ok {
			t.Errorf("candidate %d listed: %+v", not, ids[not])
		}
	}
	if got[0].ID != 9 || got[0].TextScore != 1 {
		t.Fatalf("best match %+v, want 9 with text 1", got[0])
	}
	if ids[2].Score <= ids[4].Score || ids[4].Relation != "sibling" || ids[2].Relation != "same" {
		t.Fatalf("same category should outrank sibling: %+v vs %+v", ids[2], ids[4])
	}
	if d := ids[2].DistanceM; d < 49 || d > 51 {
		t.Fatalf("distance %v", d)
	}
	// Same community without coordinates counts when the request has none.
	req.Lat, req.Lon = nil, nil
	got = Score(req, cands, Config{})
	if len(got) == 0 || !got[0].SameCommun {
		t.Fatalf("without coordinates: %+v", got)
	}
	// A wider radius takes in the far one; a stricter text threshold drops the sibling's near one.
	req.Lat, req.Lon = ptr(lat), ptr(lon)
	wide := Score(req, cands, Config{RadiusM: 200})
	found := false
	for _, m := range wide {
		found = found || m.ID == 3
	}
	if !found {
		t.Fatalf("radius 200 m: %+v", wide)
	}
	if strict := Score(req, cands, Config{MinText: 0.99}); len(strict) != 1 || strict[0].ID != 9 {
		t.Fatalf("text threshold 0.99: %+v", strict)
	}
	if lim := Score(req, cands, Config{Limit: 1}); len(lim) != 1 {
		t.Fatalf("limit: %+v", lim)
	}
}

// TestRealRepeats uses messages.tsv: messages sent by different people with
// the same subject are real repeated requests. Their details must be more
// similar to each other than to unrelated messages.
func TestRealRepeats(t *testing.T) {
	f, err := os.Open(shareddata.Data(t, "zhengwu", "messages.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bySubject := map[string][]string{}
	var all []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	sc.Scan() // header
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 5 {
			continue
		}
		text := c[2] + "。" + c[4]
		bySubject[c[2]] = append(bySubject[c[2]], text)
		all = append(all, text)
	}
	var pairs, flagged, unrelatedFlagged, unrelated int
	i := 0
	cfgMin := Config{}.WithDefaults().MinText
	for _, texts := range bySubject {
		if len(texts) < 2 {
			continue
		}
		pairs++
		if TextSimilarity(texts[0], texts[1]) >= cfgMin {
			flagged++
		}
		// an unrelated message, deterministically chosen
		o := all[(i*7919)%len(all)]
		i++
		if o == texts[0] || o == texts[1] {
			continue
		}
		unrelated++
		if TextSimilarity(texts[0], o) >= cfgMin {
			unrelatedFlagged++
		}
	}
	if pairs < 20 {
		t.Fatalf("only %d repeated subjects in the data", pairs)
	}
	recall := float64(flagged) / float64(pairs)
	fp := float64(unrelatedFlagged) / float64(unrelated)
	t.Logf("repeated-subject pairs: %d, above text threshold %.2f: %.0f%%; unrelated pairs above it: %.1f%%", pairs, cfgMin, 100*recall, 100*fp)
	if recall < 0.7 || fp > 0.1 {
		t.Fatalf("text similarity separates repeats poorly: recall %.2f, false positives %.2f", recall, fp)
	}
}

// BenchmarkScore5000 scores a request against 5,000 open candidates with
// real texts (messages.tsv), all within the radius and in the same category:
// the worst case of one duplicate check.
func BenchmarkScore5000(b *testing.B) {
	f, err := os.Open(shareddata.Data(b, "zhengwu", "messages.tsv"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var texts []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	sc.Scan()
	for sc.Scan() {
		if c := strings.Split(sc.Text(), "\t"); len(c) >= 5 {
			texts = append(texts, c[2]+"。"+c[4])
		}
	}
	cands := make([]Request, 5000)
	for i := range cands {
		lat, lon := offset(39.9, 116.4, float64(i%90), float64(i%70))
		cands[i] = Request{ID: int64(i + 1), Category: "urban.stall", Lat: lat, Lon: lon, Text: texts[i%len(texts)]}
	}
	req := Request{Category: "urban.stall", Lat: ptr(39.9), Lon: ptr(116.4), Text: texts[0]}
	for b.Loop() {
		Score(req, cands, Config{})
	}
}
