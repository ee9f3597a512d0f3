// Package gazetteer turns address text into a place without an online
// geocoder. Its entries are the city's own names — districts, streets,
// communities and grids, roads with house-number ranges, residential
// compounds (小区), buildings, landmarks and aliases — added by
// administrators, imported with boundaries, and learned from the addresses
// of requests that were resolved to a place (Learn).
//
// Matching is Chinese-aware and fuzzy: text is normalised (full-width
// digits, 号院/号楼/栋 → 号, Chinese numerals before number words), the
// leading administrative chain (省/市/区/街道/社区, with or without its
// suffix) is peeled off and kept as context, and the remaining name is
// aligned against entry names with an edit distance that lets the name sit
// anywhere in the text (typos cost, extra words around the name cost
// little). The confidence in [0,1] combines that similarity with the house
// number (inside the entry's range or not), agreement with the
// administrative context, and how far the best place is ahead of the next
// different place.
package gazetteer

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// Entry kinds.
const (
	KindPlace    = "place"    // a district, street, community or grid by its name
	KindRoad     = "road"     // 路/街/巷/胡同, optionally with a house-number range
	KindCompound = "compound" // 小区 / residential compound / 村
	KindBuilding = "building" // one building of a compound (翠湖家园5号楼)
	KindLandmark = "landmark" // schools, hospitals, parks, stations …
	KindAlias    = "alias"    // another name of a place
)

// Kinds lists the kinds administrators may add.
var Kinds = []string{KindRoad, KindCompound, KindBuilding, KindLandmark, KindAlias}

// Entry is one name of the gazetteer.
type Entry struct {
	ID      int64    `json:"id,omitempty"` // stored entries only
	Kind    string   `json:"kind"`
	Name    string   `json:"name"`
	Aliases []string `json:"aliases,omitempty"`
	PlaceID int64    `json:"place_id"`
	Lat     *float64 `json:"lat,omitempty"`
	Lon     *float64 `json:"lon,omitempty"`
	NumFrom int      `json:"num_from,omitempty"` // house-number range (roads); 0 = none
	NumTo   int      `json:"num_to,omitempty"`
	Source  string   `json:"source,omitempty"`  // place, import, admin, learned
	Support int      `json:"support,omitempty"` // learned: how many requests back it
}

// Place is a node of the place tree as the gazetteer needs it. Lat/Lon is
// a representative point inside its boundary, when known.
type Place struct {
	ID, ParentID int64
	Level, Name  string
	Lat, Lon     *float64
}

// Levels of the place tree (as in package org), top down.
const (
	levelCity      = "city"
	levelDistrict  = "district"
	levelStreet    = "street"
	levelCommunity = "community"
	levelGrid      = "grid"
)

var levelDepth = map[string]int{levelCity: 0, levelDistrict: 1, levelStreet: 2, levelCommunity: 3, levelGrid: 4}

// Index is an immutable, searchable gazetteer.
type Index struct {
	places     map[int64]Place
	entries    []indexed
	byRune     map[rune][]int32      // entry indices containing the rune
	prefixes   map[string]prefixName // administrative names
	prefixLens []int                 // their byte lengths, longest first
}

type indexed struct {
	Entry
	names [][]rune // normalised name and aliases, without their number
	num   int      // the number inside the name (buildings), 0 if none
	chain [4]int64
	depth int
}

type prefixName struct {
	place int64
	short bool // the name without its suffix (临江 for 临江区)
}

// New builds an index over the place tree and extra entries. Every
// district, street, community and grid becomes a place entry.
func New(places []Place, entries []Entry) *Index {
	ix := &Index{places: make(map[int64]Place, len(places)), byRune: map[rune][]int32{}}
	for _, p := range places {
		ix.places[p.ID] = p
	}
	ix.prefixes = map[string]prefixName{}
	addPrefix := func(text string, p prefixName) {
		if old, ok := ix.prefixes[text]; ok && (!old.short || p.short) {
			return // a full name wins over a short one; else the first (lowest id)
		}
		ix.prefixes[text] = p
		if !slices.Contains(ix.prefixLens, len(text)) {
			ix.prefixLens = append(ix.prefixLens, len(text))
		}
	}
	for _, p := range places {
		if p.Level == levelGrid || p.Name == "" {
			continue
		}
		addPrefix(Normalize(p.Name), prefixName{place: p.ID})
		if s := shortName(p.Name, p.Level); len([]rune(s)) >= 2 {
			addPrefix(Normalize(s), prefixName{place: p.ID, short: true})
		}
	}
	slices.SortFunc(ix.prefixLens, func(a, b int) int { return b - a })
	all := make([]Entry, 0, len(places)+len(entries))
	for _, p := range places {
		if p.Level == levelCity || p.Name == "" {
			continue
		}
		e := Entry{Kind: KindPlace, Name: p.Name, PlaceID: p.ID, Source: "place"}
		if s := shortName(p.Name, p.Level); s != "" && len([]rune(s)) >= 2 {
			e.Aliases = []string{s}
		}
		// 翠湖里社区第一网格 is also 翠湖里第一网格.
		if parent, ok := ix.places[p.ParentID]; ok {
			if rest, ok := strings.CutPrefix(p.Name, parent.Name); ok && rest != "" {
				if s := shortName(parent.Name, parent.Level); len([]rune(s)) >= 2 {
					e.Aliases = append(e.Aliases, s+rest)
				}
			}
		}
		all = append(all, e)
	}
	all = append(all, entries...)
	for _, e := range all {
		if _, ok := ix.places[e.PlaceID]; !ok {
			continue
		}
		it := indexed{Entry: e, chain: ix.chain(e.PlaceID), depth: levelDepth[ix.places[e.PlaceID].Level]}
		names := append([]string{e.Name}, e.Aliases...)
		if e.Kind != KindPlace { // 江川市第一人民医院 is also 第一人民医院
			if rest, ctx := ix.peel(Normalize(e.Name), false); len(ctx) > 0 && len([]rune(rest)) >= 2 {
				names = append(names, rest)
			}
		}
		for _, n := range names {
			core, num, _ := splitNumber(Normalize(n))
			if len([]rune(core)) < 2 {
				continue
			}
			if num > 0 && n == e.Name {
				it.num = num
			}
			it.names = append(it.names, []rune(core))
		}
		if len(it.names) == 0 {
			continue
		}
		k := int32(len(ix.entries))
		ix.entries = append(ix.entries, it)
		seen := map[rune]bool{}
		for _, n := range it.names {
			for _, r := range n {
				if !seen[r] {
					seen[r] = true
					ix.byRune[r] = append(ix.byRune[r], k)
				}
			}
		}
	}
	return ix
}

// Len returns the number of searchable entries (places included).
func (ix *Index) Len() int { return len(ix.entries) }

var placeSuffixes = map[string][]string{
	levelCity:      {"市"},
	levelDistrict:  {"区", "县", "市"},
	levelStreet:    {"街道办事处", "街道", "地区", "镇", "乡"},
	levelCommunity: {"社区居委会", "居委会", "村委会", "社区"},
}

func shortName(name, level string) string {
	for _, suf := range placeSuffixes[level] {
		if s, ok := strings.CutSuffix(name, suf); ok {
			return s
		}
	}
	return ""
}

// chain returns the district, street, community and grid of a place.
func (ix *Index) chain(id int64) (c [4]int64) {
	for guard := 0; guard < 8 && id != 0; guard++ {
		p, ok := ix.places[id]
		if !ok {
			break
		}
		if d := levelDepth[p.Level]; d >= 1 {
			c[d-1] = p.ID
		}
		id = p.ParentID
	}
	return c
}

// Candidate is one possible reading of an address.
type Candidate struct {
	Entry      Entry    `json:"entry"`
	PlaceID    int64    `json:"place_id"`
	Chain      [4]int64 `json:"-"` // district, street, community, grid
	Lat        *float64 `json:"lat,omitempty"`
	Lon        *float64 `json:"lon,omitempty"`
	Number     int      `json:"number,omitempty"` // house number read from the query
	Confidence float64  `json:"confidence"`
}

// Result is the answer to a query.
type Result struct {
	Query       string      `json:"query"`
	Normalized  string      `json:"normalized"`
	Match       *Candidate  `json:"match,omitempty"` // set when confident enough
	NeedsChoice bool        `json:"needs_choice"`
	Candidates  []Candidate `json:"candidates"`
}

// DefaultThreshold is the confidence under which the agent must choose.
const DefaultThreshold = 0.7

// trailing words that say where near a place, not which place.
var trailers = []string{"十字路口", "交叉口", "交叉路口", "路口", "附近", "旁边", "对面", "周边", "门口", "东门", "西门", "南门", "北门", "正门", "后门", "楼下", "底商", "一带", "处", "旁"}

// query is a parsed address.
type query struct {
	cores   []qcore // the name part: with full-name prefixes peeled, and with short ones too
	num     int
	context []int64 // places named by the administrative prefix (the longest reading)
	bare    bool    // the longest reading is the administrative prefix alone
}

// qcore is one reading of the name part with the administrative prefix
// peeled off in front of it: an entry is checked against the context of
// its own reading only, so 翠湖嘉园 read whole is not penalised by the
// street 翠湖 that the short-name reading peeled off.
type qcore struct {
	name    []rune
	context []int64
}

func (ix *Index) parse(norm string) query {
	var q query
	// The administrative prefix peeled, full names only or short ones too.
	for _, allowShort := range []bool{false, true} {
		rest, ctx := ix.peel(norm, allowShort)
		core, num, _ := splitNumber(rest)
		core = trimTrailers(core)
		if i := strings.IndexAny(core, "与和跟及"); i > 0 && looksLikeRoad(core[:i]) {
			core = core[:i] // an intersection: the first road
		}
		if num > 0 {
			q.num = num
		}
		if !allowShort || len(ctx) > len(q.context) {
			q.context, q.bare = ctx, core == ""
		}
		if !slices.ContainsFunc(q.cores, func(c qcore) bool { return string(c.name) == core && slices.Equal(c.context, ctx) }) {
			q.cores = append(q.cores, qcore{name: []rune(core), context: ctx})
		}
	}
	return q
}

func looksLikeRoad(s string) bool {
	for _, suf := range roadSuffixes {
		if strings.HasSuffix(s, suf) {
			return true
		}
	}
	return false
}

var roadSuffixes = []string{"路", "大街", "街", "大道", "胡同", "巷", "道"}

// peel removes leading administrative names (province, city, district,
// street, community) and returns the places they name.
func (ix *Index) peel(s string, allowShort bool) (string, []int64) {
	var ctx []int64
	s = strings.TrimPrefix(s, "中国")
	if i := strings.Index(s, "省"); i > 0 && i <= 4*3 {
		s = s[i+len("省"):]
	}
	for progress := true; progress && s != ""; {
		progress = false
		for _, n := range ix.prefixLens { // longest first
			if n >= len(s) {
				continue
			}
			p, ok := ix.prefixes[s[:n]]
			if !ok || (p.short && !allowShort) {
				continue
			}
			rest := s[n:]
			if p.short && startsWithSuffixChar(rest) {
				continue // 临江路 is a road, not 临江(区)+路
			}
			ctx = append(ctx, p.place)
			s = rest
			progress = true
			break
		}
	}
	return s, ctx
}

func startsWithSuffixChar(s string) bool {
	for _, suf := range append(roadSuffixes, "家园", "花园", "小区", "公寓", "新村", "村", "里", "园", "苑", "庄") {
		if strings.HasPrefix(s, suf) {
			return true
		}
	}
	return false
}

// splitNumber cuts "人民路12号附近" into "人民路", 12, "号附近". Only a
// digit run that reads as a house, group or unit number counts (followed
// by 号, 组, 单元, 室, 层, 弄, '-' or the end); "3期" stays in the name.
func splitNumber(s string) (core string, num int, tail string) {
	for i := 0; i < len(s); {
		if s[i] < '0' || s[i] > '9' {
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		rest := s[j:]
		if rest == "" || rest[0] == '-' || hasAnyPrefix(rest, "号", "组", "单元", "室", "层", "弄") {
			n, _ := strconv.Atoi(s[i:j])
			return s[:i], n, rest
		}
		i = j
	}
	return s, 0, ""
}

func hasAnyPrefix(s string, ps ...string) bool {
	for _, p := range ps {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func trimTrailers(s string) string {
	for changed := true; changed; {
		changed = false
		for _, t := range trailers {
			if r, ok := strings.CutSuffix(s, t); ok && r != "" {
				s, changed = r, true
			}
		}
	}
	return s
}

// Geocode reads an address and returns up to limit candidates, best first.
// The best becomes Match when its confidence reaches threshold (0 = the
// default); otherwise NeedsChoice is set and the agent picks.
func (ix *Index) Geocode(text string, limit int, threshold float64) Result {
	if limit <= 0 {
		limit = 5
	}
	if threshold <= 0 {
		threshold = DefaultThreshold
	}
	norm := Normalize(text)
	res := Result{Query: text, Normalized: norm, Candidates: []Candidate{}}
	if norm == "" {
		res.NeedsChoice = true
		return res
	}
	q := ix.parse(norm)
	scores := map[int32]float64{}
	for _, core := range q.cores {
		if len(core.name) == 0 {
			continue
		}
		for _, k := range ix.shortlist(core.name) {
			if s := ix.score(&ix.entries[k], core.name, q.num, core.context); s > scores[k] {
				scores[k] = s
			}
		}
	}
	// The administrative prefix alone names a place: certainly when nothing
	// follows it (江川市临江区滨河街道), as a fallback when the name after it
	// is unknown.
	if len(q.context) > 0 {
		deepest := q.context[len(q.context)-1]
		s := 0.6
		if q.bare {
			s = 1
		}
		for k := range ix.entries {
			if e := &ix.entries[k]; e.Kind == KindPlace && e.PlaceID == deepest {
				scores[int32(k)] = max(scores[int32(k)], s)
			}
		}
	}
	type scored struct {
		k int32
		s float64
	}
	var list []scored
	for k, s := range scores {
		if s >= 0.3 {
			list = append(list, scored{k, s})
		}
	}
	slices.SortFunc(list, func(a, b scored) int {
		if a.s != b.s {
			if a.s > b.s {
				return -1
			}
			return 1
		}
		return int(a.k - b.k)
	})
	// One candidate per place: the best-scoring entry for it.
	seen := map[int64]bool{}
	var cands []Candidate
	for _, sc := range list {
		e := &ix.entries[sc.k]
		if seen[e.PlaceID] && e.Kind != KindBuilding {
			continue
		}
		seen[e.PlaceID] = true
		c := Candidate{Entry: e.Entry, PlaceID: e.PlaceID, Chain: e.chain, Number: q.num, Confidence: sc.s, Lat: e.Lat, Lon: e.Lon}
		if c.Lat == nil {
			p := ix.places[e.PlaceID]
			c.Lat, c.Lon = p.Lat, p.Lon
		}
		cands = append(cands, c)
		if len(cands) >= limit+1 {
			break
		}
	}
	// Ambiguity: a different place close behind lowers the confidence.
	if len(cands) > 1 {
		top, next := cands[0], cands[1]
		if !related(top.Chain, next.Chain) {
			if margin := top.Confidence - next.Confidence; margin < 0.1 {
				cands[0].Confidence = top.Confidence * (0.6 + 4*margin)
			}
		}
	}
	for i := range cands {
		cands[i].Confidence = math.Round(min(1, max(0, cands[i].Confidence))*1000) / 1000
	}
	if len(cands) > limit {
		cands = cands[:limit]
	}
	res.Candidates = cands
	if len(cands) > 0 && cands[0].Confidence >= threshold {
		m := cands[0]
		res.Match = &m
	} else {
		res.NeedsChoice = true
	}
	return res
}

// related reports whether one chain lies within the other (same place at
// every level both name).
func related(a, b [4]int64) bool {
	for i := range a {
		if a[i] != 0 && b[i] != 0 && a[i] != b[i] {
			return false
		}
	}
	return true
}

// shortlist returns the entries sharing the most (rarest) characters with
// core — the only ones worth aligning.
func (ix *Index) shortlist(core []rune) []int32 {
	type kw struct {
		k int32
		w float64
	}
	weight := make([]float64, len(ix.entries))
	var touched []int32
	seen := map[rune]bool{}
	for _, r := range core {
		if seen[r] {
			continue
		}
		seen[r] = true
		post := ix.byRune[r]
		if len(post) == 0 {
			continue
		}
		w := 1 / math.Log(2+float64(len(post)))
		for _, k := range post {
			if weight[k] == 0 {
				touched = append(touched, k)
			}
			weight[k] += w
		}
	}
	const keep = 400
	if len(touched) <= keep {
		return touched
	}
	ks := make([]kw, len(touched))
	for i, k := range touched {
		ks[i] = kw{k, weight[k]}
	}
	slices.SortFunc(ks, func(a, b kw) int {
		if a.w != b.w {
			if a.w > b.w {
				return -1
			}
			return 1
		}
		return int(a.k - b.k)
	})
	out := make([]int32, keep)
	for i := range out {
		out[i] = ks[i].k
	}
	return out
}

// score is the confidence that core (with the house number num, after the
// administrative prefix context) names e.
func (ix *Index) score(e *indexed, core []rune, num int, context []int64) float64 {
	best := 0.0
	for _, n := range e.names {
		d := within(n, core)
		sim := 1 - 0.8*float64(d)/float64(len(n))
		if d > len(n)/2 {
			continue
		}
		// The name should cover the core: extra words cost a little.
		cover := float64(len(n)) / float64(max(len(core), len(n)))
		sim *= 0.3 + 0.7*cover
		if len(core) < len(n) { // the query is a fragment of the name
			sim = min(sim, 1-0.8*float64(edit(n, core))/float64(len(n)))
		}
		best = max(best, sim)
	}
	if best == 0 {
		return 0
	}
	switch {
	case e.num > 0 && num == e.num:
		best = min(1, best+0.02) // the very building
	case e.num > 0:
		best *= 0.5 // another building
	case e.NumFrom > 0 && num > 0 && (num < e.NumFrom || num > e.NumTo):
		best *= 0.85 // outside the road section's numbers
	case e.NumFrom > 0 && num > 0:
		best = min(1, best+0.01)
	}
	// Agreement with the administrative prefix.
	for _, c := range context {
		p := ix.places[c]
		d := levelDepth[p.Level]
		if d < 1 || d > 4 {
			continue
		}
		if e.chain[d-1] != 0 && e.chain[d-1] != c {
			best *= 0.6
		}
	}
	// Deeper places win ties.
	best += 0.0005 * float64(e.depth)
	if e.Support > 0 && e.Support < 3 {
		best *= 0.97 // learned from one or two requests only
	}
	return best
}
