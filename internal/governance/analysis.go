package governance

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"math"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"whistle/internal/errs"
	"whistle/internal/gazetteer"
	"whistle/internal/geo"
	"whistle/internal/insight"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
)

// MaxPeriodDays bounds the period of one analysis.
const MaxPeriodDays = 400

// MaxDocsPerWindow bounds the request texts read for each window (the
// period and the term baseline); larger windows are sampled evenly.
const MaxDocsPerWindow = 100000

// AnalysisMaxAge is how old a stored analysis may be for LatestAnalysis
// to return it instead of running a new one.
var AnalysisMaxAge = 6 * time.Hour

// UnitKey is the key of a unit's display name in Analysis.Names (place ids
// and unit ids are both decimal numbers; the report names units by id).
func UnitKey(id string) string { return "unit:" + id }

// Analyze runs the analysis f asks for, within the actor's part of the
// city, and keeps the result (insight_runs) for later views.
func (s *Service) Analyze(ctx context.Context, a org.Actor, f Filter) (*Analysis, error) {
	f, sc, err := s.checkFilter(a, f)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	an, err := s.analyze(ctx, f, sc)
	if err != nil {
		return nil, err
	}
	an.CreatedAt = s.Now()
	an.Took = time.Since(start)
	doc, err := json.Marshal(an)
	if err != nil {
		return nil, err
	}
	run := &store.InsightRun{Params: f.Key(), From: int64(f.From), To: int64(f.To), CreatedAt: an.CreatedAt, Took: an.Took, Doc: string(doc)}
	if err := s.St.Write(ctx, func(tx *store.Tx) error { return tx.PutInsightRun(ctx, run) }); err != nil {
		return nil, err
	}
	an.RunID = run.ID
	return an, nil
}

// LatestAnalysis returns the newest stored analysis of the same filter if
// it is younger than AnalysisMaxAge, else runs a new one.
func (s *Service) LatestAnalysis(ctx context.Context, a org.Actor, f Filter) (*Analysis, error) {
	f, _, err := s.checkFilter(a, f)
	if err != nil {
		return nil, err
	}
	r, ok, err := s.St.LatestInsightRun(ctx, f.Key())
	if err != nil {
		return nil, err
	}
	if ok && s.Now().Sub(r.CreatedAt) < AnalysisMaxAge {
		an := &Analysis{}
		if err := json.Unmarshal([]byte(r.Doc), an); err == nil && an.Report != nil {
			an.RunID = r.ID
			return an, nil
		}
	}
	return s.Analyze(ctx, a, f)
}

// scope is where an analysis reads: the place's chain (district, street,
// community, grid; zeros above the place's level are its parents).
type scope struct {
	chain [4]int64
	level int // 0 city, 1 district … 4 grid
}

// checkFilter refuses actors who may not analyse, confines a district
// centre to its district and validates the filter.
func (s *Service) checkFilter(a org.Actor, f Filter) (Filter, scope, error) {
	var sc scope
	district, err := analysisDistrict(a)
	if err != nil {
		return f, sc, err
	}
	var problems []*errs.Error
	if f.To < f.From || int(f.To-f.From)+1 > MaxPeriodDays || f.From <= 0 {
		problems = append(problems, &errs.Error{Code: errs.InvalidPeriod, Field: "to", Detail: "from ≤ to, at most " + strconv.Itoa(MaxPeriodDays) + " days"})
	}
	if f.PlaceID == 0 && district != 0 {
		f.PlaceID = district
	}
	if f.PlaceID != 0 {
		p, ok := s.Place(f.PlaceID)
		ch, _ := s.Chain(f.PlaceID)
		switch {
		case !ok || p.Level == org.LevelCity:
			if ok { // the city itself is the whole city
				f.PlaceID = 0
				if district != 0 {
					f.PlaceID = district
					ch, _ = s.Chain(district)
					sc.chain, sc.level = ch, 1
				}
				break
			}
			problems = append(problems, errs.F(errs.UnknownPlace, "place"))
		case district != 0 && ch[0] != district:
			problems = append(problems, errs.F(errs.OutsideArea, "place"))
		default:
			sc.chain = ch
			for i := 3; i >= 0; i-- {
				if ch[i] != 0 {
					sc.level = i + 1
					break
				}
			}
		}
	}
	cats := s.CategoryMap()
	var clean []string
	for _, c := range f.Categories {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if _, ok := cats[c]; !ok {
			problems = append(problems, &errs.Error{Code: errs.UnknownCategory, Field: "category", Detail: c})
			continue
		}
		clean = append(clean, c)
	}
	sort.Strings(clean)
	f.Categories = slicesCompact(clean)
	if len(problems) > 0 {
		return f, sc, errs.All(problems...)
	}
	return f, sc, nil
}

func slicesCompact(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func (sc scope) daily(from, to insight.Day, cats []string) store.DailyFilter {
	f := store.DailyFilter{From: int64(from), To: int64(to), Categories: cats}
	switch sc.level {
	case 1:
		f.DistrictID = sc.chain[0]
	case 2:
		f.StreetID = sc.chain[1]
	case 3:
		f.CommunityID = sc.chain[2]
	case 4:
		f.GridID = sc.chain[3]
	}
	return f
}

func (sc scope) contains(l lifecycle.Location) bool {
	switch sc.level {
	case 3:
		return l.CommunityID == sc.chain[2]
	case 4:
		return l.GridID == sc.chain[3]
	}
	return true
}

func id(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

func (s *Service) analyze(ctx context.Context, f Filter, sc scope) (*Analysis, error) {
	L := insight.Day(f.To - f.From + 1)
	dataFrom, ok, err := s.St.Analysis.MinDailyDay(ctx)
	if err != nil {
		return nil, err
	}
	first := f.From
	if ok {
		first = insight.Day(dataFrom)
	}
	// The period, its preceding periods and the same weeks last year
	// (with their own preceding period), clipped to the data.
	from := max(f.From-364-3*L, first)
	termDays := max(28, 3*int(L))
	opt := insight.Options{From: f.From, To: f.To, DataFrom: first, TermBaselineDays: termDays, MaxTermDocs: MaxDocsPerWindow}
	// Light records: the period and the term baseline, each sampled.
	tfrom := f.From - insight.Day(termDays)
	totals, err := s.St.Analysis.DailyTotals(ctx, sc.daily(tfrom, f.To, f.Categories))
	if err != nil {
		return nil, err
	}
	var nCur, nBase int64
	for _, t := range totals {
		if insight.Day(t.Day) >= f.From {
			nCur += t.N
		} else {
			nBase += t.N
		}
	}
	an := &Analysis{Filter: f, Requests: int(nCur)}
	// The sampled texts are read while the rollups are summed: two reads
	// of their own tables, each about half of the time before the
	// analysis proper on a big city's year.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type light struct {
		reqs    []insight.Req
		sampled int
		err     error
	}
	// The two windows are read at once too, each on a read connection of
	// its own; their records are joined in window order below.
	var lights [2]chan light
	for i, w := range []struct {
		from, to insight.Day
		n        int64
	}{{tfrom, f.From - 1, nBase}, {f.From, f.To, nCur}} {
		lights[i] = make(chan light, 1)
		go func() {
			var l light
			defer func() { lights[i] <- l }()
			lf := store.LightFilter{From: w.from.Time(), To: (w.to + 1).Time(), DistrictID: sc.chain[0], StreetID: sc.chain[1], Categories: f.Categories}
			if w.n > MaxDocsPerWindow {
				lf.Every = (w.n + MaxDocsPerWindow - 1) / MaxDocsPerWindow
			}
			cs, err := s.St.Analysis.LightCases(ctx, lf)
			if err != nil {
				l.err = err
				cancel()
				return
			}
			l.reqs = make([]insight.Req, 0, len(cs))
			for _, c := range cs {
				if sc.contains(c.Location) {
					l.reqs = append(l.reqs, s.req(c))
				}
			}
			if i == 1 {
				l.sampled = len(l.reqs)
			}
		}()
	}
	cc := newClassCells(insight.DayClasses(opt, first))
	err = s.St.Analysis.FoldDaily(ctx, sc.daily(from, f.To, f.Categories), cc.add)
	if err != nil {
		cancel()
	}
	base, cur := <-lights[0], <-lights[1]
	// The error that stopped the others first (theirs is the cancelling).
	failed := []error{err, base.err, cur.err}
	for _, e := range failed {
		if e != nil && !errors.Is(e, context.Canceled) {
			return nil, e
		}
	}
	for _, e := range failed {
		if e != nil {
			return nil, e
		}
	}
	reqs := append(base.reqs, cur.reqs...)
	in := insight.Input{Cells: cc.cells(), Names: map[string]string{}, Reqs: reqs}
	an.Sampled = cur.sampled
	in.Neighbours, an.GridPoints = s.neighbours(in.Reqs)
	s.names(in.Names, in.Cells)
	rep, err := insight.Analyze(in, opt)
	if err != nil {
		return nil, err
	}
	rep.Anomalies, an.AnomaliesOmitted = quietCells(rep.Anomalies, MaxQuietCells)
	an.Report = rep
	an.Names = mentioned(rep, in.Names)
	return an, nil
}

// MaxQuietCells bounds the tested cells an analysis keeps that are not
// flagged: the busiest of them. A year of a city tests tens of thousands of
// cells (75 000 at 50 000 requests in BenchmarkAnalyzeYear), nearly all
// unremarkable, and kept whole they made the stored run 16 MB; the
// workbench shows the 30 busiest and the export the rest of these.
const MaxQuietCells = 2000

// quietCells keeps every flagged cell and the max busiest others, in the
// report's order, and returns how many it left out.
func quietCells(as []insight.Anomaly, max int) ([]insight.Anomaly, int) {
	quiet := 0
	for i := range as {
		if !as[i].Flag {
			quiet++
		}
	}
	if quiet <= max {
		return as, 0
	}
	counts := make([]int, 0, quiet)
	for i := range as {
		if !as[i].Flag {
			counts = append(counts, as[i].Count)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(counts)))
	floor := counts[max-1] // keep counts above it, and at it while room is left
	atFloor := 0
	for _, c := range counts[:max] {
		if c == floor {
			atFloor++
		}
	}
	out := make([]insight.Anomaly, 0, len(as)-quiet+max)
	for _, a := range as {
		switch {
		case a.Flag, a.Count > floor:
			out = append(out, a)
		case a.Count == floor && atFloor > 0:
			atFloor--
			out = append(out, a)
		}
	}
	return out, len(as) - len(out)
}

// classCells sums rollup rows into the analysis's cells: the rows of one
// category, place and unit whose days the analysis treats alike
// (insight.DayClasses) make one cell. A year of the city is millions of
// rows but a few classes of days, so the analysis gets one cell per class
// instead of one per day, with the same report (TestDayClasses).
type classCells struct {
	class func(insight.Day) (insight.Day, bool)
	// A row's cell is found by small numbers, not by hashing its six
	// strings: a year of a big city is millions of rollup rows. Rows come
	// a day's block at a time, sorted by place, then category and unit, so
	// a row's day and place are usually those of the row before and are
	// looked up only when they change. Each class keeps, per place, its
	// categories' counts in one slice indexed by the category's number: the
	// rows of a block walk those slices forward instead of missing the
	// cache on every row (as a map of a million cells did). The first unit
	// met in a place and category has the slot; other units (a category
	// handled by two units in one grid) are kept aside in a map.
	classes  map[insight.Day]int32
	starts   []insight.Day
	counts   [][][]cellCounts // class → place number → category number
	others   map[otherKey]*cellCounts
	places   map[[4]int64]int32
	placeIDs [][4]int64
	cats     map[string]int32
	catNames []string
	// the row before
	seenDay, seenPlace bool
	day                int64
	dayClass           int32 // -1: the day is in no window
	place              [4]int64
	placeSlot          int32
	cat                string
	catSlot            int32
}

// cellCounts are one cell's sums; seen: a row of the cell was met (a row
// of no requests still makes its cell, as rows are never deleted).
type cellCounts struct {
	unit                        int64
	n, reopened, rated, unsatis int64
	seen                        bool
}

type otherKey struct {
	class, place, cat int32
	unit              int64
}

func newClassCells(class func(insight.Day) (insight.Day, bool)) *classCells {
	return &classCells{class: class, classes: map[insight.Day]int32{}, others: map[otherKey]*cellCounts{},
		places: map[[4]int64]int32{}, cats: map[string]int32{}}
}

func (cc *classCells) add(r *store.DailyRow) {
	if !cc.seenDay || r.Day != cc.day {
		cc.seenDay, cc.day, cc.dayClass = true, r.Day, -1
		if d, ok := cc.class(insight.Day(r.Day)); ok {
			k, ok := cc.classes[d]
			if !ok {
				k = int32(len(cc.starts))
				cc.classes[d] = k
				cc.starts = append(cc.starts, d)
				cc.counts = append(cc.counts, make([][]cellCounts, len(cc.placeIDs)))
			}
			cc.dayClass = k
		}
	}
	if cc.dayClass < 0 {
		return
	}
	if p := [4]int64{r.DistrictID, r.StreetID, r.CommunityID, r.GridID}; !cc.seenPlace || p != cc.place {
		k, ok := cc.places[p]
		if !ok {
			k = int32(len(cc.placeIDs))
			cc.places[p] = k
			cc.placeIDs = append(cc.placeIDs, p)
			for i := range cc.counts {
				cc.counts[i] = append(cc.counts[i], nil)
			}
		}
		cc.seenPlace, cc.place, cc.placeSlot = true, p, k
	}
	if r.Category != cc.cat || len(cc.catNames) == 0 {
		k, ok := cc.cats[r.Category]
		if !ok {
			k = int32(len(cc.catNames))
			cc.cats[r.Category] = k
			cc.catNames = append(cc.catNames, r.Category)
		}
		cc.cat, cc.catSlot = r.Category, k
	}
	byCat := cc.counts[cc.dayClass][cc.placeSlot]
	if int(cc.catSlot) >= len(byCat) {
		byCat = append(byCat, make([]cellCounts, int(cc.catSlot)+1-len(byCat))...)
		cc.counts[cc.dayClass][cc.placeSlot] = byCat
	}
	c := &byCat[cc.catSlot]
	switch {
	case !c.seen:
		c.seen, c.unit = true, r.UnitID
	case c.unit != r.UnitID:
		k := otherKey{cc.dayClass, cc.placeSlot, cc.catSlot, r.UnitID}
		if c = cc.others[k]; c == nil {
			c = &cellCounts{unit: r.UnitID, seen: true}
			cc.others[k] = c
		}
	}
	c.n += r.N
	c.reopened += r.Reopened
	c.rated += r.Rated
	c.unsatis += r.Unsatisfied
}

// cells returns the summed cells: one per class, place, category and unit
// met in a row of that class.
func (cc *classCells) cells() []insight.Cell {
	n := len(cc.others)
	for _, byPlace := range cc.counts {
		for _, byCat := range byPlace {
			for i := range byCat {
				if byCat[i].seen {
					n++
				}
			}
		}
	}
	out := make([]insight.Cell, 0, n)
	// Each place's and unit's ids as text once, not once a cell.
	places := make([][4]string, len(cc.placeIDs))
	for i, p := range cc.placeIDs {
		places[i] = [4]string{id(p[0]), id(p[1]), id(p[2]), id(p[3])}
	}
	units := map[int64]string{}
	cell := func(class, place, cat int32, c *cellCounts) {
		p := &places[place]
		u, ok := units[c.unit]
		if !ok {
			u = id(c.unit)
			units[c.unit] = u
		}
		out = append(out, insight.Cell{Day: cc.starts[class], Category: cc.catNames[cat], District: p[0], Street: p[1],
			Community: p[2], Grid: p[3], Unit: u, N: int(c.n), Reopened: int(c.reopened), Rated: int(c.rated), Unsatis: int(c.unsatis)})
	}
	for class, byPlace := range cc.counts {
		for place, byCat := range byPlace {
			for cat := range byCat {
				if byCat[cat].seen {
					cell(int32(class), int32(place), int32(cat), &byCat[cat])
				}
			}
		}
	}
	keys := slices.SortedFunc(maps.Keys(cc.others), func(a, b otherKey) int {
		return cmp.Or(cmp.Compare(a.class, b.class), cmp.Compare(a.place, b.place), cmp.Compare(a.cat, b.cat), cmp.Compare(a.unit, b.unit))
	})
	for _, k := range keys {
		cell(k.class, k.place, k.cat, cc.others[k])
	}
	return out
}

// req is the light record of a case: no name, no phone, no address.
func (s *Service) req(c *lifecycle.Case) insight.Req {
	r := insight.Req{ID: c.Number, Day: insight.DayOf(c.CreatedAt), Category: c.Category, Unit: id(c.LeadUnitID),
		Grid: id(c.Location.GridID), Text: c.Title + "\n" + c.Description, PhoneKey: c.Citizen.PhoneHash,
		Reopened: c.ReopenCount > 0, Rated: c.Satisfaction != "", Satisfied: c.Satisfaction != "" && c.Satisfaction != lifecycle.Unsatisfied}
	if r.ID == "" {
		r.ID = strconv.FormatInt(c.ID, 10)
	}
	if c.Location.Lat != nil && c.Location.Lon != nil {
		r.Lat, r.Lon = *c.Location.Lat, *c.Location.Lon
	}
	r.AddressKey = s.AddressKey(c.Location.Address)
	return r
}

// AddressKey is the keyed hash of a normalised address ("" for none): the
// same address written differently (spaces, full-width digits) gives the
// same key, and the key reveals nothing without the server's key.
func (s *Service) AddressKey(address string) string {
	n := gazetteer.Normalize(address)
	if n == "" {
		return ""
	}
	return s.PhoneHash("address:" + n)
}

// mentioned keeps the names of the ids the report mentions (the stored
// run and the JSON stay small): places, categories, and units under
// UnitKey.
func mentioned(rep *insight.Report, names map[string]string) map[string]string {
	out := map[string]string{}
	keep := func(id string) {
		if n, ok := names[id]; ok && id != "" {
			out[id] = n
		}
	}
	unit := func(id string) { keep(UnitKey(id)) }
	counts := func(cs []insight.Count, f func(string)) {
		for _, c := range cs {
			f(c.Key)
		}
	}
	for _, a := range rep.Anomalies {
		keep(a.Category)
		keep(a.Place)
	}
	for _, t := range rep.Topics {
		counts(t.Categories, keep)
		counts(t.Places, keep)
		counts(t.Units, unit)
	}
	for _, r := range rep.PlaceRepeats {
		keep(r.Category)
		keep(r.Grid)
	}
	for _, r := range rep.CallerRepeat {
		counts(r.Categories, keep)
	}
	for _, r := range rep.Reopened {
		keep(r.Category)
		unit(r.Unit)
	}
	for _, u := range rep.Units {
		unit(u.Unit)
	}
	for _, h := range rep.Hotspots {
		keep(h.Category)
		for _, g := range h.Grids {
			keep(g)
		}
		counts(h.Streets, keep)
		counts(h.Categories, keep)
	}
	for _, c := range rep.Candidates {
		keep(c.Category)
		for _, p := range c.Places {
			keep(p.Place)
		}
		counts(c.Units, unit)
	}
	return out
}

// names fills the display names of the places, units and categories.
func (s *Service) names(names map[string]string, cells []insight.Cell) {
	for pid, p := range s.PlaceMap() {
		names[strconv.FormatInt(pid, 10)] = p.Name
	}
	for _, u := range s.UnitsList() {
		names[UnitKey(strconv.FormatInt(u.ID, 10))] = u.Name
	}
	for code, c := range s.CategoryMap() {
		names[code] = c.NameZH
	}
}

var neighbourCache struct {
	sync.Mutex
	core  any
	gen   uint64
	nb    map[string][]string
	shape map[string]bool // grids with a boundary
}

// neighbours lists, for each grid, the grids adjacent to it: where grids
// have boundaries, those whose boundaries touch (bounding boxes within a
// small tolerance: the edge and corner neighbours of a grid of cells,
// computed once per catalogue generation); where they have none, those
// whose requests' mean coordinates lie within 1.5 × the median distance
// to the nearest such grid; grids with neither are joined to the other
// such grids of their community. It also returns the points it used.
func (s *Service) neighbours(reqs []insight.Req) (map[string][]string, map[string][2]float64) {
	nb, shaped := s.boundaryNeighbours()
	out := make(map[string][]string, len(nb))
	for k, v := range nb {
		out[k] = v
	}
	type acc struct {
		lat, lon float64
		n        int
	}
	sums := map[string]*acc{}
	for i := range reqs {
		r := &reqs[i]
		if r.Grid == "" || shaped[r.Grid] {
			continue
		}
		a := sums[r.Grid]
		if a == nil {
			a = &acc{}
			sums[r.Grid] = a
		}
		if r.Lat != 0 || r.Lon != 0 {
			a.lat, a.lon, a.n = a.lat+r.Lat, a.lon+r.Lon, a.n+1
		}
	}
	points := map[string][2]float64{}
	var ids []string
	for g, a := range sums {
		if a.n > 0 {
			points[g] = [2]float64{a.lat / float64(a.n), a.lon / float64(a.n)}
			ids = append(ids, g)
		}
	}
	sort.Strings(ids)
	dist := func(a, b [2]float64) float64 {
		dy := a[0] - b[0]
		dx := (a[1] - b[1]) * math.Cos(a[0]*math.Pi/180)
		return math.Hypot(dx, dy)
	}
	if len(ids) > 1 {
		nn := make([]float64, len(ids))
		for i := range ids {
			nn[i] = math.Inf(1)
			for j := range ids {
				if i != j {
					nn[i] = math.Min(nn[i], dist(points[ids[i]], points[ids[j]]))
				}
			}
		}
		sorted := append([]float64(nil), nn...)
		sort.Float64s(sorted)
		r := 1.5 * sorted[len(sorted)/2]
		for i := range ids {
			for j := i + 1; j < len(ids); j++ {
				if dist(points[ids[i]], points[ids[j]]) <= r {
					out[ids[i]] = append(out[ids[i]], ids[j])
					out[ids[j]] = append(out[ids[j]], ids[i])
				}
			}
		}
	}
	// Grids with neither a boundary nor coordinates: their community.
	byCommunity := map[int64][]string{}
	for g := range sums {
		if _, ok := points[g]; ok {
			continue
		}
		gid, _ := strconv.ParseInt(g, 10, 64)
		if ch, ok := s.Chain(gid); ok && ch[2] != 0 {
			byCommunity[ch[2]] = append(byCommunity[ch[2]], g)
		}
	}
	for _, gs := range byCommunity {
		sort.Strings(gs)
		for i := range gs {
			for j := i + 1; j < len(gs); j++ {
				out[gs[i]] = append(out[gs[i]], gs[j])
				out[gs[j]] = append(out[gs[j]], gs[i])
			}
		}
	}
	return out, points
}

func (s *Service) boundaryNeighbours() (map[string][]string, map[string]bool) {
	neighbourCache.Lock()
	defer neighbourCache.Unlock()
	if neighbourCache.core == any(s.Core) && neighbourCache.gen == s.Generation() && neighbourCache.nb != nil {
		return neighbourCache.nb, neighbourCache.shape
	}
	type box struct {
		id                     string
		minX, minY, maxX, maxY float64
	}
	var boxes []box
	shaped := map[string]bool{}
	for pid, p := range s.PlaceMap() {
		if p.Level != org.LevelGrid || p.Boundary == "" {
			continue
		}
		sh, err := geo.Parse(p.Boundary)
		if err != nil {
			continue
		}
		boxes = append(boxes, box{strconv.FormatInt(pid, 10), sh.MinX, sh.MinY, sh.MaxX, sh.MaxY})
		shaped[strconv.FormatInt(pid, 10)] = true
	}
	sort.Slice(boxes, func(i, j int) bool { return boxes[i].minX < boxes[j].minX })
	nb := map[string][]string{}
	for i := range boxes {
		a := boxes[i]
		eps := 0.01 * math.Min(a.maxX-a.minX, a.maxY-a.minY)
		for j := i + 1; j < len(boxes) && boxes[j].minX <= a.maxX+eps; j++ {
			b := boxes[j]
			if b.minY > a.maxY+eps || b.maxY < a.minY-eps || b.maxX < a.minX-eps {
				continue
			}
			nb[a.id] = append(nb[a.id], b.id)
			nb[b.id] = append(nb[b.id], a.id)
		}
	}
	neighbourCache.core, neighbourCache.gen, neighbourCache.nb, neighbourCache.shape = any(s.Core), s.Generation(), nb, shaped
	return nb, shaped
}

// CaseLink is the case list with the filters that select the requests
// behind a number: the category, the place (its level decides the
// parameter), the days. place is a place id as the report gives it ("" for
// the whole city).
func CaseLink(category, place string, level string, from, to insight.Day) string {
	q := url.Values{}
	if category != "" {
		q.Set("category", category)
	}
	if place != "" {
		switch level {
		case insight.District, insight.Street, insight.Community, insight.Grid:
			q.Set(level, place)
		default:
			q.Set("place", place)
		}
	}
	q.Set("from", from.String())
	q.Set("to", to.String())
	return "/cases?" + q.Encode()
}

// Drill is the link to the requests behind a number of an analysis: the
// category and place of the cell over the analysis's period.
func (an *Analysis) Drill(category, level, place string) string {
	return CaseLink(category, place, level, an.Filter.From, an.Filter.To)
}

// MarshalJSON writes the analysis with the report's NaN and infinite
// values (unknown changes and rates) as null.
func (an Analysis) MarshalJSON() ([]byte, error) {
	type plain Analysis
	p := plain(an)
	p.Report = nil
	var rep json.RawMessage = []byte("null")
	if an.Report != nil {
		rep = appendFinite(make([]byte, 0, 1<<16), an.Report)
	}
	return json.Marshal(struct {
		plain
		Report json.RawMessage `json:"report"`
	}{p, rep})
}

// UnmarshalJSON reads what MarshalJSON wrote, null numbers of the report
// back to NaN.
func (an *Analysis) UnmarshalJSON(b []byte) error {
	type plain Analysis
	var w struct {
		plain
		Report json.RawMessage `json:"report"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*an = Analysis(w.plain)
	if len(w.Report) == 0 || string(w.Report) == "null" {
		an.Report = nil
		return nil
	}
	rep := &insight.Report{}
	if err := json.Unmarshal(w.Report, rep); err != nil {
		return err
	}
	var tree any
	if err := json.Unmarshal(w.Report, &tree); err != nil {
		return err
	}
	restoreNaN(reflectValue(rep), tree)
	an.Report = rep
	return nil
}
