// Package forecasting is the forecasts of 未诉先办 (issue #16) as the
// centre and the streets use them: the requests of this and next month (or
// week) by category × street with 80 % intervals, beside the actual counts,
// for the analysis workbench, the big screen and the API; and the
// back-test behind `whistle eval forecast`. The counts come from the daily
// rollups (store.RequestCounts); the method is package forecast.
//
// Scope is the workbench's: the city's staff and analysts see the city, a
// district centre its district, and a street office its street; anyone
// else is refused. Nothing personal is read.
package forecasting

import (
	"context"
	"math"
	"slices"
	"strconv"

	"whistle/internal/core"
	"whistle/internal/errs"
	"whistle/internal/forecast"
	"whistle/internal/insight"
	"whistle/internal/org"
	"whistle/internal/store"
)

// Service is the forecasting service over the shared core.
type Service struct{ *core.Core }

// New builds the service.
func New(c *core.Core) *Service { return &Service{Core: c} }

// Period lengths.
const (
	Month = "month"
	Week  = "week"
)

// History is how many whole periods the outlook fits on at most (the
// back-test reads the whole store).
var History = map[string]int{Month: 60, Week: 156}

// Scope is the part of the city an actor's forecasts cover.
type Scope struct {
	DistrictID, StreetID int64
}

// ScopeOf is the actor's part of the city: the city (zero Scope) for its
// staff and analysts, a district centre's district, a street office's
// street (handlers, leaders and supervisors of the office).
func (s *Service) ScopeOf(a org.Actor) (Scope, error) {
	if a.IsSystem() {
		return Scope{}, nil
	}
	if d, all, ok := org.CentreDistrict(a); ok {
		if all {
			return Scope{}, nil
		}
		return Scope{DistrictID: d}, nil
	}
	if a.Unit.Kind == org.KindStreet && a.Unit.PlaceID != 0 && a.User.Has(org.RoleHandler, org.RoleLeader, org.RoleSupervisor) {
		return Scope{StreetID: a.Unit.PlaceID}, nil
	}
	return Scope{}, errs.E(errs.Forbidden)
}

// periods is the axis of a period kind: its number for a day, its first
// day, its phase in the season and the method's options.
type periods struct {
	kind  string
	of    func(day int64) int
	start func(n int) int64
	opts  func(first int) forecast.Options
	label func(n int) string
}

func periodsOf(kind string) (periods, error) {
	switch kind {
	case Month, "":
		return periods{kind: Month, of: forecast.MonthOfDay, start: forecast.MonthStart,
			opts: func(first int) forecast.Options { return forecast.MonthOptions(first % 12) },
			label: func(n int) string {
				return strconv.Itoa(n/12) + "-" + twoDigits(n%12+1)
			}}, nil
	case Week:
		return periods{kind: Week, of: forecast.WeekOfDay, start: forecast.WeekStart,
			opts:  func(first int) forecast.Options { return forecast.WeekOptions(forecast.WeekPhase(first)) },
			label: func(n int) string { return insight.Day(forecast.WeekStart(n)).String() }}, nil
	}
	return periods{}, errs.F(errs.Invalid, "period")
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// counts reads the counts of the periods first..last (and the current one,
// partial) in the scope.
func (s *Service) counts(ctx context.Context, p periods, sc Scope, first, last int) ([]forecast.Count, error) {
	f := store.CountFilter{Period: store.CountPeriod(p.kind), From: p.start(first), To: p.start(last), DistrictID: sc.DistrictID, StreetID: sc.StreetID}
	if p.kind == Month {
		for n := first; n <= last+1; n++ {
			f.MonthStarts = append(f.MonthStarts, p.start(n))
		}
	}
	rows, err := s.St.RequestCounts(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]forecast.Count, len(rows))
	for i, r := range rows {
		n := int(r.Period)
		if p.kind == Month {
			n += first
		}
		out[i] = forecast.Count{Period: n, Key: forecast.Key{Category: r.Category, Street: r.StreetID}, N: float64(r.N)}
	}
	return out, nil
}

// span is the whole periods with data before the current one: from the
// first whole period after the first rollup day to the period before now.
// With dataEnd the history ends instead with the last whole period that has
// data (or the one holding the day until, when that is earlier): a
// back-test of an imported history that ended long ago. Without it the
// periods since the last request count as the zeros they are.
func (s *Service) span(ctx context.Context, p periods, maxLen int, dataEnd bool, until int64) (first, last int, ok bool, err error) {
	minDay, has, err := s.St.MinDailyDay(ctx)
	if err != nil || !has {
		return 0, 0, false, err
	}
	first = p.of(minDay)
	if p.start(first) < minDay { // a partial first period
		first++
	}
	last = p.of(int64(insight.DayOf(s.Now()))) - 1
	if dataEnd {
		maxDay, _, err := s.St.MaxDailyDay(ctx)
		if err != nil {
			return 0, 0, false, err
		}
		if until > 0 && until < maxDay {
			maxDay = until
		}
		last = min(last, p.of(maxDay+1)-1)
	}
	if maxLen > 0 && last-first+1 > maxLen {
		first = last - maxLen + 1
	}
	return first, last, last >= first, nil
}

// MinFit is the fewest periods a back-test origin is fit on.
const MinFit = 4

// BacktestResult is a back-test of one period kind over the whole store.
type BacktestResult struct {
	Period string          `json:"period"`
	From   string          `json:"from"` // the first and last period of the history
	To     string          `json:"to"`
	Report forecast.Report `json:"report"`
}

// Backtest runs the rolling-origin back-test of period kind over the
// whole history of the actor's scope before the current period: origins
// origins, horizons 1..horizon. The history may be cut at the day until
// (0: none), for an imported history whose last months are incomplete.
func (s *Service) Backtest(ctx context.Context, a org.Actor, kind string, origins, horizon int, until insight.Day) (*BacktestResult, error) {
	sc, err := s.ScopeOf(a)
	if err != nil {
		return nil, err
	}
	p, err := periodsOf(kind)
	if err != nil {
		return nil, err
	}
	first, last, ok, err := s.span(ctx, p, 0, true, int64(until))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.F(errs.Invalid, "period")
	}
	counts, err := s.counts(ctx, p, sc, first, last)
	if err != nil {
		return nil, err
	}
	panel := forecast.Build(counts, first, last)
	// A short history (the demo's year) has fewer origins: each is fit on
	// at least MinFit periods.
	origins = min(origins, panel.Len()-horizon-MinFit+1)
	rep, err := forecast.Backtest(panel, p.opts(first), origins, horizon)
	if err != nil {
		return nil, errs.F(errs.Invalid, "period")
	}
	return &BacktestResult{Period: p.kind, From: p.label(first), To: p.label(last), Report: rep}, nil
}

// Point is a period of the chart: the actual count (nil: not yet known;
// ToDate for the current period so far) and the forecast with its interval
// (nil for the history).
type Point struct {
	Label  string   `json:"label"`
	Actual *float64 `json:"actual"`
	ToDate *float64 `json:"to_date,omitempty"`
	Mean   *float64 `json:"mean"`
	Lo     *float64 `json:"lo"`
	Hi     *float64 `json:"hi"`
}

// Row is one series' forecast: the last whole period, the current one so
// far, and the forecasts of the current and the next period.
type Row struct {
	Category     string  `json:"category"`
	CategoryName string  `json:"category_name"`
	StreetID     int64   `json:"street_id"`
	StreetName   string  `json:"street_name"`
	Last         float64 `json:"last"`
	ToDate       float64 `json:"to_date"`
	Current      Band    `json:"current"`
	Next         Band    `json:"next"`
}

// Band is a forecast and its 80 % interval.
type Band struct {
	Mean float64 `json:"mean"`
	Lo   float64 `json:"lo"`
	Hi   float64 `json:"hi"`
}

// Outlook is the forecast view of a scope.
type Outlook struct {
	Period    string  `json:"period"`
	Scope     Scope   `json:"scope"`
	ScopeName string  `json:"scope_name"`
	Current   string  `json:"current"` // the current period's label
	Next      string  `json:"next"`
	Seasonal  bool    `json:"seasonal"` // the history holds two seasons: seasonal indices used
	Periods   int     `json:"periods"`  // whole periods fitted on
	Chart     []Point `json:"chart"`    // the scope's total: history, current, next
	Rows      []Row   `json:"rows"`     // by category × street, the busiest next period first
	Series    int     `json:"series"`   // rows before MaxRows cut them
}

// MaxRows bounds the rows of an outlook.
const MaxRows = 60

// chartHistory is how many whole periods the chart shows.
var chartHistory = map[string]int{Month: 12, Week: 26}

// Outlook forecasts the current and the next period (month or week) in the
// actor's scope, by category × street and in total.
func (s *Service) Outlook(ctx context.Context, a org.Actor, kind string) (*Outlook, error) {
	sc, err := s.ScopeOf(a)
	if err != nil {
		return nil, err
	}
	p, err := periodsOf(kind)
	if err != nil {
		return nil, err
	}
	cur := p.of(int64(insight.DayOf(s.Now())))
	out := &Outlook{Period: p.kind, Scope: sc, ScopeName: s.scopeName(sc), Current: p.label(cur), Next: p.label(cur + 1)}
	first, last, ok, err := s.span(ctx, p, History[p.kind], false, 0)
	if err != nil {
		return nil, err
	}
	if !ok {
		return out, nil
	}
	counts, err := s.counts(ctx, p, sc, first, cur)
	if err != nil {
		return nil, err
	}
	panel := forecast.Build(counts, first, last)
	opt := p.opts(first)
	out.Periods = panel.Len()
	out.Seasonal = opt.Season > 1 && panel.Len() >= forecast.MinSeasons*opt.Season
	toDate := map[forecast.Key]float64{}
	var totalToDate float64
	for _, c := range counts {
		if c.Period == cur {
			toDate[c.Key] += c.N
			totalToDate += c.N
		}
	}
	// The total: a panel of one series.
	total := forecast.Panel{Keys: []forecast.Key{{Category: "*"}}, Y: [][]float64{make([]float64, panel.Len())}}
	for _, y := range panel.Y {
		for t, v := range y {
			total.Y[0][t] += v
		}
	}
	tf := forecast.Predict(total, opt, 2)
	from := max(0, panel.Len()-chartHistory[p.kind])
	for t := from; t < panel.Len(); t++ {
		out.Chart = append(out.Chart, Point{Label: p.label(first + t), Actual: ptr(total.Y[0][t])})
	}
	for j := range 2 {
		pt := Point{Label: p.label(cur + j)}
		if len(tf) > 0 {
			pt.Mean, pt.Lo, pt.Hi = ptr(round1(tf[0].Mean[j])), ptr(tf[0].Lo[j]), ptr(tf[0].Hi[j])
		}
		if j == 0 {
			pt.ToDate = ptr(totalToDate)
		}
		out.Chart = append(out.Chart, pt)
	}
	// Series forecasts for the current and the next period.
	fs := forecast.Predict(panel, opt, 2)
	cats := s.CategoryMap()
	for i, f := range fs {
		r := Row{Category: f.Key.Category, StreetID: f.Key.Street, ToDate: toDate[f.Key],
			Current: Band{round1(f.Mean[0]), f.Lo[0], f.Hi[0]}, Next: Band{round1(f.Mean[1]), f.Lo[1], f.Hi[1]}}
		if panel.Len() > 0 {
			r.Last = panel.Y[i][panel.Len()-1]
		}
		r.CategoryName = f.Key.Category
		if c, ok := cats[f.Key.Category]; ok {
			r.CategoryName = c.NameZH
		}
		if pl, ok := s.Place(f.Key.Street); ok {
			r.StreetName = pl.Name
		}
		out.Rows = append(out.Rows, r)
	}
	slices.SortStableFunc(out.Rows, func(a, b Row) int {
		switch {
		case a.Next.Mean > b.Next.Mean:
			return -1
		case a.Next.Mean < b.Next.Mean:
			return 1
		}
		return 0
	})
	out.Series = len(out.Rows)
	if len(out.Rows) > MaxRows {
		out.Rows = out.Rows[:MaxRows]
	}
	return out, nil
}

func (s *Service) scopeName(sc Scope) string {
	id := sc.StreetID
	if id == 0 {
		id = sc.DistrictID
	}
	if id == 0 {
		return ""
	}
	if pl, ok := s.Place(id); ok {
		return pl.Name
	}
	return ""
}

func ptr(f float64) *float64 { return &f }

func round1(f float64) float64 { return math.Round(f*10) / 10 }
