package insight

import (
	"errors"
	"time"
)

// Day is a civil date in Asia/Shanghai, counted in days since 1970-01-01.
// China keeps no daylight-saving time, so the zone is a fixed UTC+8 and no
// time-zone database is needed.
type Day int32

var shanghai = time.FixedZone("Asia/Shanghai", 8*3600)

// DayOf is the civil date in Asia/Shanghai of the instant t.
func DayOf(t time.Time) Day {
	y, m, d := t.In(shanghai).Date()
	return DateDay(y, m, d)
}

// DateDay is the Day of a calendar date.
func DateDay(y int, m time.Month, d int) Day {
	return Day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// Time is midnight of the day in Asia/Shanghai.
func (d Day) Time() time.Time {
	return time.Unix(int64(d)*86400, 0).UTC().Add(-8 * time.Hour).In(shanghai)
}

// String is YYYY-MM-DD.
func (d Day) String() string { return time.Unix(int64(d)*86400, 0).UTC().Format("2006-01-02") }

// Place levels, from the top; the same words as org's levels.
const (
	City      = "city"
	District  = "district"
	Street    = "street"
	Community = "community"
	Grid      = "grid"
)

// Levels lists the levels the analysis aggregates to.
var Levels = []string{City, District, Street, Community, Grid}

// Cell is one daily rollup row: the requests received on Day in Category at
// the lowest known place (Grid, with its parents) handled by Unit. Empty
// place fields mean "not placed at that level". Rated and Unsatisfied count
// the callbacks (回访) with a rating and those rated unsatisfied; Reopened
// counts requests reopened after such a callback.
type Cell struct {
	Day       Day
	Category  string
	District  string
	Street    string
	Community string
	Grid      string
	Unit      string
	N         int
	Reopened  int
	Rated     int
	Unsatis   int
}

// Req is a lightweight request record for text, repeats and examples.
// PhoneKey and AddressKey are keyed hashes (never the phone or address
// itself); empty means unknown.
type Req struct {
	ID         string
	Day        Day
	Category   string
	Unit       string
	Grid       string
	Lat, Lon   float64
	Text       string
	PhoneKey   string
	AddressKey string
	Reopened   bool
	Rated      bool
	Satisfied  bool
}

// Input is everything one analysis reads.
type Input struct {
	Cells []Cell
	Reqs  []Req
	// Neighbours lists, for each grid, the grids that share a border with it
	// (or lie within the chosen centroid distance). Symmetry is not assumed:
	// the relation is made symmetric.
	Neighbours map[string][]string
	// Names maps place, category and unit ids to display names for the
	// explanations; ids without a name are shown as they are.
	Names map[string]string
}

// Options set the period and the thresholds. Zero values take the defaults.
type Options struct {
	From, To Day // the period analysed, inclusive
	// DataFrom is the first day the rollups cover; zero means the earliest
	// day among the cells. Baselines that start before it are not used.
	DataFrom Day
	// Q is the false-discovery rate for every family of tests (default 0.05).
	Q float64
	// MinTotal is the least current+baseline count for a cell to be tested
	// (default 10). The filter is on the sum, which is independent of the
	// test statistic under the null hypothesis, so it keeps the test valid.
	MinTotal int
	// RecentPeriods is how many preceding periods make the baseline when the
	// same weeks last year are not covered (default 3).
	RecentPeriods int
	// TermBaselineDays is the baseline window for rising terms, ending the
	// day before From (default 3 × the period length, at least 28).
	TermBaselineDays int
	// MinTermDocs is the least current+baseline documents for a term to be
	// tested (default 8).
	MinTermDocs int
	// MaxTermDocs bounds the requests read for terms in each window (the
	// period and the term baseline); larger windows are sampled evenly
	// (default 100 000).
	MaxTermDocs int
	// MinRepeat is the least number of requests that make a repeat (default 3).
	MinRepeat int
	// MaxCandidates bounds the ranked list (default 20).
	MaxCandidates int
}

// ErrPeriod is returned when To is before From.
var ErrPeriod = errors.New("insight: the period ends before it starts")

func (o Options) withDefaults() Options {
	if o.Q <= 0 || o.Q >= 1 {
		o.Q = 0.05
	}
	if o.MinTotal <= 0 {
		o.MinTotal = 10
	}
	if o.RecentPeriods <= 0 {
		o.RecentPeriods = 3
	}
	if o.TermBaselineDays <= 0 {
		o.TermBaselineDays = max(28, 3*int(o.To-o.From+1))
	}
	if o.MinTermDocs <= 0 {
		o.MinTermDocs = 8
	}
	if o.MaxTermDocs <= 0 {
		o.MaxTermDocs = 100000
	}
	if o.MinRepeat <= 0 {
		o.MinRepeat = 3
	}
	if o.MaxCandidates <= 0 {
		o.MaxCandidates = 20
	}
	return o
}

// Report is the result of one analysis.
type Report struct {
	From, To     Day
	Baseline     string  // "last-year" (same weeks 52 weeks earlier) or "recent" (preceding periods) or "none"
	Trend        float64 // R: city total now ÷ city total in the baseline
	Dispersion   float64 // φ, estimated on the placebo comparison (≥ 1)
	Tested       int     // cells tested
	Anomalies    []Anomaly
	Rising       []Term
	Falling      []Term
	Topics       []Topic
	PlaceRepeats []PlaceRepeat
	CallerRepeat []CallerRepeat
	Reopened     []ReopenedGroup
	Units        []UnitTrend
	Hotspots     []Hotspot
	Candidates   []Candidate

	// BaselinePeriods is how many periods of the period's length the
	// baseline spans (1 for last year, up to RecentPeriods for the
	// preceding periods, 0 without one): Trend × BaselinePeriods is the
	// period's volume against one baseline period.
	BaselinePeriods int
}
