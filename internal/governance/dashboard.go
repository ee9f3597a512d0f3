package governance

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"sync"
	"time"

	"whistle/internal/agenda"
	"whistle/internal/assessment"
	"whistle/internal/geo"
	"whistle/internal/insight"
	"whistle/internal/org"
	"whistle/internal/store"
)

// The dashboard and the big screen (数字红墙): what the centre's wall shows,
// in one call. Nothing in it names a citizen: the ticker shows a request's
// number, category, street and time; the hotspots show grids and counts.

// Dashboard is the centre's live picture, within the actor's part of the
// city (a district centre sees its district).
type Dashboard struct {
	At           time.Time `json:"at"`
	DistrictID   int64     `json:"district_id,omitempty"`
	DistrictName string    `json:"district_name,omitempty"`

	// Today's intake so far (cases created since midnight, Asia/Shanghai),
	// by hour (index = hour of the day), and yesterday's by hour and up to
	// the same time of day.
	Today          int64   `json:"today"`
	TodayHours     []int64 `json:"today_hours"`
	YesterdayHours []int64 `json:"yesterday_hours"`
	YesterdaySoFar int64   `json:"yesterday_so_far"`

	Open    int64 `json:"open"`    // open orders now
	Overdue int64 `json:"overdue"` // open orders past a deadline

	// Days are the daily requests of the 30 whole days to yesterday, from
	// the daily rollups (a day without requests is 0).
	Days  []DayCount `json:"days"`
	Rates Rates      `json:"rates"`

	Hotspots Hotspots      `json:"hotspots"`
	Topics   []TopicLine   `json:"topics"`
	Ticker   []TickerEntry `json:"ticker"`

	Took time.Duration `json:"took_ns"`
}

// DayCount is one day's requests.
type DayCount struct {
	Date string `json:"date"` // YYYY-MM-DD
	N    int64  `json:"n"`
}

// Rates are the three rates of the assessment (一份卷子), each with the
// period it is computed over. Resolution and satisfaction come from the
// rollups over the requests received in From..To that were rated at the
// callback (resolved ÷ rated; (rated − unsatisfied) ÷ rated). Response
// cannot come from the rollups: it is the latest published assessment
// month's (responded ÷ orders over the units in scope), nil when no month
// is published.
type Rates struct {
	From         string   `json:"from"`
	To           string   `json:"to"`
	Rated        int64    `json:"rated"`
	Resolved     int64    `json:"resolved"`
	Unsatisfied  int64    `json:"unsatisfied"`
	Resolution   *float64 `json:"resolution"`
	Satisfaction *float64 `json:"satisfaction"`

	ResponseMonth string   `json:"response_month,omitempty"`
	Orders        int64    `json:"orders"`
	Responded     int64    `json:"responded"`
	Response      *float64 `json:"response"`
}

// Hotspots are the spatial hotspots of the newest stored default analysis
// (DefaultFilter), none when no analysis is stored.
type Hotspots struct {
	From     string        `json:"from,omitempty"`
	To       string        `json:"to,omitempty"`
	RunAt    time.Time     `json:"run_at,omitzero"`
	Clusters []HotspotView `json:"clusters"`
}

// HotspotView is one cluster of grids.
type HotspotView struct {
	Category       string     `json:"category,omitempty"` // "" = all categories
	CategoryName   string     `json:"category_name,omitempty"`
	CategoryNameEN string     `json:"category_name_en,omitempty"`
	Count          int        `json:"count"`
	Expected       float64    `json:"expected"`
	MaxZ           float64    `json:"max_z"`
	Streets        []string   `json:"streets,omitempty"`
	Grids          []GridSpot `json:"grids"`
}

// GridSpot is a grid of a hotspot: its name, a point inside it and its
// outline (the first polygon's outer ring, lon/lat pairs) when known.
type GridSpot struct {
	ID   int64        `json:"id"`
	Name string       `json:"name"`
	Lat  float64      `json:"lat"`
	Lon  float64      `json:"lon"`
	Ring [][2]float64 `json:"ring,omitempty"`
}

// TopicLine is a topic in progress.
type TopicLine struct {
	ID        int64     `json:"id"`
	Title     string    `json:"title"`
	LeadUnit  string    `json:"lead_unit"`
	StartedAt time.Time `json:"started_at"`
	GoalBy    time.Time `json:"goal_by,omitzero"`
	Tasks     int64     `json:"tasks"`      // every task but rejected and withdrawn ones
	TasksDone int64     `json:"tasks_done"` // reported done
}

// TickerEntry is one newly received request: number, category, street,
// time (HH:MM, Asia/Shanghai) — never who or what they wrote.
type TickerEntry struct {
	Number         string `json:"number"`
	Category       string `json:"category"`
	CategoryName   string `json:"category_name"`
	CategoryNameEN string `json:"category_name_en,omitempty"`
	Street         string `json:"street,omitempty"`
	Time           string `json:"time"`
}

// Dashboard limits.
const (
	TickerSize      = 10
	dashboardDays   = 30
	maxHotspots     = 12
	maxHotspotGrids = 60
)

// Dashboard computes the dashboard for centre staff and analysts; a
// district centre's staff see their district.
func (s *Service) Dashboard(ctx context.Context, a org.Actor) (*Dashboard, error) {
	district, err := analysisDistrict(a)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	now := s.Now()
	loc := s.Location()
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	yMidnight := midnight.AddDate(0, 0, -1)
	d := &Dashboard{At: now, DistrictID: district}
	if district != 0 {
		if p, ok := s.Place(district); ok {
			d.DistrictName = p.Name
		}
	}

	// Today's and yesterday's intake by hour: index reads of those days only.
	if d.TodayHours, err = s.St.IntakeByHour(ctx, midnight, midnight.AddDate(0, 0, 1), district); err != nil {
		return nil, err
	}
	for _, n := range d.TodayHours {
		d.Today += n
	}
	if d.YesterdayHours, err = s.St.IntakeByHour(ctx, yMidnight, midnight, district); err != nil {
		return nil, err
	}
	if d.YesterdaySoFar, err = s.St.CountCreated(ctx, yMidnight, yMidnight.Add(now.Sub(midnight)), district); err != nil {
		return nil, err
	}
	if d.Open, d.Overdue, err = s.St.OpenCounts(ctx, district); err != nil {
		return nil, err
	}

	// The 30 whole days to yesterday from the rollups, and the rates over them.
	today := insight.DayOf(now)
	from, to := today-dashboardDays, today-1
	totals, err := s.St.DailyTotals(ctx, store.DailyFilter{From: int64(from), To: int64(to), DistrictID: district})
	if err != nil {
		return nil, err
	}
	byDay := map[int64]store.DayTotal{}
	for _, t := range totals {
		byDay[t.Day] = t
		d.Rates.Rated += t.Rated
		d.Rates.Resolved += t.Resolved
		d.Rates.Unsatisfied += t.Unsatisfied
	}
	for day := from; day <= to; day++ {
		d.Days = append(d.Days, DayCount{Date: dayString(day), N: byDay[int64(day)].N})
	}
	d.Rates.From, d.Rates.To = dayString(from), dayString(to)
	if r := d.Rates.Rated; r > 0 {
		d.Rates.Resolution = ratio(d.Rates.Resolved, r)
		d.Rates.Satisfaction = ratio(r-d.Rates.Unsatisfied, r)
	}
	if err := s.responseRate(ctx, district, &d.Rates); err != nil {
		return nil, err
	}
	if err := s.dashboardHotspots(ctx, now, district, &d.Hotspots); err != nil {
		return nil, err
	}
	if d.Topics, err = s.topicLines(ctx, district); err != nil {
		return nil, err
	}
	latest, err := s.St.LatestIntake(ctx, yMidnight, district, TickerSize)
	if err != nil {
		return nil, err
	}
	d.Ticker = []TickerEntry{}
	for _, it := range latest {
		e := TickerEntry{Number: it.Number, Category: it.Category, CategoryName: it.Category, Time: it.CreatedAt.In(loc).Format("15:04")}
		if c, ok := s.Category(it.Category); ok {
			e.CategoryName, e.CategoryNameEN = c.NameZH, c.NameEN
		}
		if p, ok := s.Place(it.StreetID); ok && it.StreetID != 0 {
			e.Street = p.Name
		}
		d.Ticker = append(d.Ticker, e)
	}
	d.Took = time.Since(start)
	return d, nil
}

// ratio is a ÷ b to four places, nil when b is not positive.
func ratio(a, b int64) *float64 {
	if b <= 0 {
		return nil
	}
	f := assessment.Round(float64(a)/float64(b), 4)
	return &f
}

func dayString(d insight.Day) string {
	return time.Unix(int64(d)*86400, 0).UTC().Format("2006-01-02")
}

// responseRate fills the response rate of the newest published assessment
// month: the frozen scores' responded ÷ orders over the units in scope.
func (s *Service) responseRate(ctx context.Context, district int64, r *Rates) error {
	months, err := s.St.AssessMonths(ctx)
	if err != nil || len(months) == 0 {
		return err
	}
	pm, ok, err := s.St.AssessMonth(ctx, months[0].Period)
	if err != nil || !ok {
		return err
	}
	var scores []assessment.Score
	if err := json.Unmarshal([]byte(pm.Results), &scores); err != nil {
		return err
	}
	r.ResponseMonth = pm.Period
	for _, sc := range scores {
		if district != 0 {
			u, ok := s.Unit(sc.UnitID)
			if !ok {
				continue
			}
			if ch, ok := s.Chain(u.PlaceID); !ok || ch[0] != district {
				continue
			}
		}
		r.Orders += sc.Orders
		r.Responded += sc.Responded
	}
	if r.Orders > 0 {
		r.Response = ratio(r.Responded, r.Orders)
	}
	return nil
}

// storedAnalysis is the part of a stored Analysis the screen reads.
type storedAnalysis struct {
	Report struct {
		Hotspots []insight.Hotspot
	} `json:"report"`
}

// hotspotCache keeps the last drawn hotspots by stored run (the grids'
// outlines are read once per run, not on every refresh).
var hotspotCache struct {
	sync.Mutex
	run, district int64
	gen           uint64
	val           Hotspots
}

func (s *Service) dashboardHotspots(ctx context.Context, now time.Time, district int64, out *Hotspots) error {
	out.Clusters = []HotspotView{}
	f := DefaultFilter(now)
	var run store.InsightRun
	var found bool
	var err error
	if district != 0 { // the district's own analysis first, else the city's
		df := f
		df.PlaceID = district
		if run, found, err = s.St.LatestInsightRun(ctx, df.Key()); err != nil {
			return err
		}
	}
	if !found {
		if run, found, err = s.St.LatestInsightRun(ctx, f.Key()); err != nil || !found {
			return err
		}
	}
	hotspotCache.Lock()
	if hotspotCache.run == run.ID && hotspotCache.district == district && hotspotCache.gen == s.Generation() {
		*out = hotspotCache.val
		hotspotCache.Unlock()
		return nil
	}
	hotspotCache.Unlock()

	var a storedAnalysis
	if err := json.Unmarshal([]byte(run.Doc), &a); err != nil {
		return err
	}
	out.From, out.To, out.RunAt = dayString(insight.Day(run.From)), dayString(insight.Day(run.To)), run.CreatedAt
	hs := a.Report.Hotspots
	sort.SliceStable(hs, func(i, j int) bool { return hs[i].Count > hs[j].Count })
	for _, h := range hs {
		if len(out.Clusters) == maxHotspots {
			break
		}
		v := HotspotView{Category: h.Category, Count: h.Count, Expected: h.Expected, MaxZ: h.MaxZ, Grids: []GridSpot{}}
		if c, ok := s.Category(h.Category); ok {
			v.CategoryName, v.CategoryNameEN = c.NameZH, c.NameEN
		}
		for _, g := range h.Grids {
			if len(v.Grids) == maxHotspotGrids {
				break
			}
			id, err := strconv.ParseInt(g, 10, 64)
			if err != nil {
				continue
			}
			if district != 0 {
				if ch, ok := s.Chain(id); !ok || ch[0] != district {
					continue
				}
			}
			p, err := s.St.Place(ctx, id)
			if err != nil {
				continue
			}
			spot := GridSpot{ID: id, Name: p.Name}
			if sh, err := geo.Parse(p.Boundary); err == nil && p.Boundary != "" {
				spot.Lon, spot.Lat = sh.InteriorPoint()
				if len(sh.Polys) > 0 && len(sh.Polys[0]) > 0 {
					spot.Ring = sh.Polys[0][0]
				}
			} else {
				continue // a grid without an outline cannot be drawn
			}
			v.Grids = append(v.Grids, spot)
		}
		if len(v.Grids) == 0 {
			continue
		}
		for _, st := range h.Streets {
			if id, err := strconv.ParseInt(st.Key, 10, 64); err == nil {
				if p, ok := s.Place(id); ok {
					v.Streets = append(v.Streets, p.Name)
				}
			}
		}
		out.Clusters = append(out.Clusters, v)
	}
	hotspotCache.Lock()
	hotspotCache.run, hotspotCache.district, hotspotCache.gen, hotspotCache.val = run.ID, district, s.Generation(), *out
	hotspotCache.Unlock()
	return nil
}

// topicLines lists the topics in progress with their lead unit and task
// counts; a district centre sees the city-wide topics, those led by a unit
// of its district and those about places in it.
func (s *Service) topicLines(ctx context.Context, district int64) ([]TopicLine, error) {
	ts, err := s.St.Topics(ctx, agenda.Active)
	if err != nil {
		return nil, err
	}
	var keep []*agenda.Topic
	var ids []int64
	for _, t := range ts {
		if district != 0 && !s.topicInDistrict(t, district) {
			continue
		}
		keep, ids = append(keep, t), append(ids, t.ID)
	}
	counts, err := s.St.TopicTaskCounts(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := []TopicLine{}
	for _, t := range keep {
		l := TopicLine{ID: t.ID, Title: t.Title, StartedAt: t.StartedAt, GoalBy: t.GoalBy}
		if u, ok := s.Unit(t.LeadUnitID); ok {
			l.LeadUnit = u.Name
		}
		for st, n := range counts[t.ID] {
			if st == agenda.TaskRejected || st == agenda.TaskCanceled || st == agenda.TaskProposed {
				continue
			}
			l.Tasks += n
			if st == agenda.TaskDone {
				l.TasksDone += n
			}
		}
		out = append(out, l)
	}
	return out, nil
}

func (s *Service) topicInDistrict(t *agenda.Topic, district int64) bool {
	if len(t.Criteria.PlaceIDs) == 0 {
		return true
	}
	if u, ok := s.Unit(t.LeadUnitID); ok {
		if ch, ok := s.Chain(u.PlaceID); ok && ch[0] == district {
			return true
		}
	}
	for _, p := range t.Criteria.PlaceIDs {
		if ch, ok := s.Chain(p); ok && ch[0] == district {
			return true
		}
	}
	return false
}
