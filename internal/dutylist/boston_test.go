package dutylist

import (
	"compress/gzip"
	"encoding/csv"
	"io"
	"os"
	"sort"
	"strings"
	"testing"

	"whistle/internal/org"
	"whistle/internal/shareddata"
)

// bostonCase is one Boston 311 request of 2015: the reason (parent
// category), type (leaf), neighbourhood, the queue that handled it, and the
// month it was opened.
type bostonCase struct {
	reason, typ, hood, queue string
	month                    int
}

func (b bostonCase) category() string {
	clean := func(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), ".", "·") }
	return clean(b.reason) + "." + clean(b.typ)
}

func loadBoston(t testing.TB) []bostonCase {
	t.Helper()
	f, err := os.Open(shareddata.Data(t, "boston_2015_requests.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(zr)
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	var out []bostonCase
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		get := func(k string) string { return rec[col[k]] }
		open := get("OPEN_DT") // MM/DD/YYYY ...
		if len(open) < 2 || get("QUEUE") == "" || get("TYPE") == "" {
			continue
		}
		m := int(open[0]-'0')*10 + int(open[1]-'0')
		out = append(out, bostonCase{reason: get("REASON"), typ: get("TYPE"), hood: get("neighborhood"), queue: get("QUEUE"), month: m})
	}
	return out
}

// mostFrequent returns the most frequent key (ties: the smallest).
func mostFrequent(c map[string]int) (string, int) {
	best, n := "", -1
	for k, v := range c {
		if v > n || (v == n && k < best) {
			best, n = k, v
		}
	}
	return best, n
}

// bostonLists learns two duty lists from the training requests: by type
// only (with a reason-prefix fallback for unseen types), and the same plus
// neighbourhood rules where a neighbourhood's usual queue differs from the
// type's.
func bostonLists(train []bostonCase, unitCode map[string]string, hoodID map[string]int64) (generic, specific List) {
	byType := map[string]map[string]int{}
	byReason := map[string]map[string]int{}
	byTypeHood := map[[2]string]map[string]int{}
	inc := func(m map[string]int, k string) { m[k]++ }
	for _, c := range train {
		cat := c.category()
		if byType[cat] == nil {
			byType[cat] = map[string]int{}
		}
		inc(byType[cat], c.queue)
		r := strings.SplitN(cat, ".", 2)[0]
		if byReason[r] == nil {
			byReason[r] = map[string]int{}
		}
		inc(byReason[r], c.queue)
		if c.hood != "" {
			k := [2]string{cat, c.hood}
			if byTypeHood[k] == nil {
				byTypeHood[k] = map[string]int{}
			}
			inc(byTypeHood[k], c.queue)
		}
	}
	id := 1
	var rules []Rule
	keys := func(m map[string]map[string]int) []string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return ks
	}
	for _, r := range keys(byReason) {
		q, _ := mostFrequent(byReason[r])
		rules = append(rules, Rule{ID: id, Category: r, Prefix: true, Lead: Target{Unit: unitCode[q]}})
		id++
	}
	for _, cat := range keys(byType) {
		q, _ := mostFrequent(byType[cat])
		rules = append(rules, Rule{ID: id, Category: cat, Lead: Target{Unit: unitCode[q]}})
		id++
	}
	generic = List{Version: 1, Rules: rules}
	var ths [][2]string
	for k := range byTypeHood {
		ths = append(ths, k)
	}
	sort.Slice(ths, func(i, j int) bool { return ths[i][0]+"|"+ths[i][1] < ths[j][0]+"|"+ths[j][1] })
	specific = List{Version: 2, Rules: append([]Rule(nil), rules...)}
	for _, k := range ths {
		q, n := mostFrequent(byTypeHood[k])
		tq, _ := mostFrequent(byType[k[0]])
		if q != tq && n >= 5 {
			specific.Rules = append(specific.Rules, Rule{ID: id, Category: k[0], PlaceID: hoodID[k[1]], Lead: Target{Unit: unitCode[q]}})
			id++
		}
	}
	return generic, specific
}

// TestBostonRouting learns duty lists from Boston's 2015 requests of
// January–September (type → queue, and type × neighbourhood → queue where
// it differs) and routes October–December's requests: the neighbourhood
// rules, being more specific, must win where they apply and route more
// requests to the queue that really handled them; the dry run must count
// exactly the changed requests.
func TestBostonRouting(t *testing.T) {
	all := loadBoston(t)
	if len(all) < 100000 {
		t.Fatalf("only %d requests", len(all))
	}
	unitCode := map[string]string{}
	var units []org.Unit
	hoodID := map[string]int64{}
	for _, c := range all {
		if _, ok := unitCode[c.queue]; !ok {
			id := int64(len(units) + 1)
			unitCode[c.queue] = "q" + c.queue
			units = append(units, org.Unit{ID: id, Code: "q" + c.queue, Name: c.queue, Kind: org.KindDepartment})
		}
		if _, ok := hoodID[c.hood]; !ok && c.hood != "" {
			hoodID[c.hood] = int64(len(hoodID) + 1)
		}
	}
	var train, test []bostonCase
	for _, c := range all {
		if c.month <= 9 {
			train = append(train, c)
		} else {
			test = append(test, c)
		}
	}
	generic, specific := bostonLists(train, unitCode, hoodID)
	if p := Validate(specific.Rules, units, nil, nil); len(p) != 0 {
		t.Fatalf("learned rules invalid: %v", p[:min(len(p), 5)])
	}
	dir := NewDirectory(units)
	unitOf := map[string]int64{}
	for _, u := range units {
		unitOf[u.Name] = u.ID
	}
	var rs []Routed
	var okG, okS, placeRuled int
	for _, c := range test {
		in := Input{Category: c.category(), DistrictID: hoodID[c.hood]}
		g, s := Decide(generic, dir, in), Decide(specific, dir, in)
		actual := unitOf[c.queue]
		if g.LeadUnitID == actual {
			okG++
		}
		if s.LeadUnitID == actual {
			okS++
		}
		if s.RuleID > len(generic.Rules) {
			placeRuled++
		}
		rs = append(rs, Routed{Number: c.typ, Actual: actual, Old: g, New: s})
	}
	accG, accS := float64(okG)/float64(len(test)), float64(okS)/float64(len(test))
	t.Logf("Boston 2015: %d training, %d test requests; %d type rules, %d neighbourhood rules; accuracy type-only %.3f, with neighbourhood rules %.3f (%d requests routed by a neighbourhood rule)",
		len(train), len(test), len(generic.Rules), len(specific.Rules)-len(generic.Rules), accG, accS, placeRuled)
	if placeRuled == 0 || accS <= accG || accG < 0.5 {
		t.Fatalf("neighbourhood rules did not help: %.3f vs %.3f", accS, accG)
	}
	d := Diff(2, 1, rs, dir, 3)
	sum := 0
	for _, tr := range d.Transitions {
		sum += tr.Count
	}
	if d.Cases != len(test) || d.Changed == 0 || sum != d.Changed || d.AgreeNew != okS || d.AgreeOld != okG {
		t.Fatalf("dry run: %+v (sum %d)", d, sum)
	}
	t.Logf("dry run: %d of %d requests change queue; top change %s → %s (%d)", d.Changed, d.Cases, d.Transitions[0].FromName, d.Transitions[0].ToName, d.Transitions[0].Count)
}

// BenchmarkDecideBoston times one routing decision under the list learned
// from Boston 2015 (462 rules).
func BenchmarkDecideBoston(b *testing.B) {
	all := loadBoston(b)
	unitCode := map[string]string{}
	var units []org.Unit
	hoodID := map[string]int64{}
	for _, c := range all {
		if _, ok := unitCode[c.queue]; !ok {
			unitCode[c.queue] = "q" + c.queue
			units = append(units, org.Unit{ID: int64(len(units) + 1), Code: "q" + c.queue, Name: c.queue})
		}
		if _, ok := hoodID[c.hood]; !ok && c.hood != "" {
			hoodID[c.hood] = int64(len(hoodID) + 1)
		}
	}
	_, specific := bostonLists(all, unitCode, hoodID)
	dir := NewDirectory(units)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c := all[i%len(all)]
		Decide(specific, dir, Input{Category: c.category(), DistrictID: hoodID[c.hood]})
	}
}
