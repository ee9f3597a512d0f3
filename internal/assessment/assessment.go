// Package assessment scores units by the three rates (三率) of the 12345
// hotline: one exam paper (一份卷子) for every street, department and
// enterprise. It is pure: the store counts, this package turns counts into
// rates, composites and rankings under a versioned rule set.
//
// # What counts, and in which period
//
// An order is one dispatch of a case to a lead unit: the dispatch (派单),
// a re-dispatch after an approved return (退单), and a reopen after an
// unsatisfied callback (重办) each start a new order of the unit that then
// leads. An order belongs to the period that holds its dispatch time.
//
//   - 响应率 response = responded orders ÷ received orders. Received: the
//     unit's orders dispatched in the period, except those the centre took
//     back by an approved return (mis-dispatched, not the unit's). Responded:
//     signed for no later than the order's sign-by deadline, and the citizen
//     contacted no later than ContactMinutes after the dispatch (an order
//     replied without any contact — an anonymous citizen without a phone —
//     counts as contacted).
//   - 解决率 resolution = callbacks where the citizen said resolved ÷
//     callbacks. Every callback (回访) counts once, for the unit leading the
//     case when the callback was made, in the period holding the callback
//     time; a callback that reopened the case counts as well.
//   - 满意率 satisfaction = (满意 × 1 + 基本满意 × FairlyScore + 不满意 × 0)
//     ÷ callbacks, over the same callbacks.
//   - composite = (ResponseWeight × response + ResolutionWeight ×
//     resolution + SatisfactionWeight × satisfaction) ÷ total weight × 100,
//     plus TopicPoints per credited 主动治理 topic (capped at MaxBonus), minus
//     OverdueDeduction per received order that went past its reply deadline
//     (capped at MaxDeduction). Only units with enough cases get one (below).
//
// # Too few cases to rank (样本不足，不参与排名)
//
// A rate over two or three cases says little, and a rate over none says
// nothing: following the practice of publishing only units with enough
// cases, a unit is ranked only when it has at least MinOrders received
// orders and at least MinCallbacks callbacks in the period (rule set
// fields, versioned like the rest; the defaults are 10 and 5). Whatever
// the minimums say, a rate that carries weight must have a denominator:
// a unit without orders (response weight > 0) or without callbacks
// (resolution or satisfaction weight > 0) is never ranked.
//
// The decision, for units below the minimum: their rates are computed and
// shown (a rate without a denominator is nil, shown as "—", never as full
// marks), but no composite is computed at all — not a composite over the
// rates that exist with rescaled weights, which would hand a unit with one
// order answered in time and no callback 100 points. Such a unit has no
// Base, Composite, bonus, deduction or rank, and Unranked says why; it is
// listed apart from the ranked units everywhere (pages, API, exports,
// public ranking). Consequently every ranked unit has every weighted rate,
// and its composite always uses all the weights: no rescaling is needed.
//
// Rule sets stored before the minimums existed have none (0): under them
// the denominator rule above still applies.
//
// # Summons, exemptions, versions
//
// For departments, the street ratings of whistle summons (吹哨报到) weigh
// in with SummonsWeight when the rule set says so: composite = (1 − w) ×
// composite + w × summons score; the summons score is shown separately.
//
// Cases approved for exemption (免考核) for a unit are left out of all of
// that unit's counts, and counted separately with their reasons.
//
// Rules are versioned: the rule set in force when a month is published is
// stored with it, so a published month is always recomputed with its own
// rule set.
package assessment

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Rules is one version of the scoring rule set.
type Rules struct {
	Version            int     `json:"version"`
	ResponseWeight     float64 `json:"response_weight"`
	ResolutionWeight   float64 `json:"resolution_weight"`
	SatisfactionWeight float64 `json:"satisfaction_weight"`
	FairlyScore        float64 `json:"fairly_score"`      // 基本满意 counts this much (0..1)
	ContactMinutes     int     `json:"contact_minutes"`   // contact the citizen within this many minutes of dispatch
	TopicPoints        float64 `json:"topic_points"`      // bonus per credited 主动治理 topic
	MaxBonus           float64 `json:"max_bonus"`         // cap on the bonus (0 = no bonus)
	OverdueDeduction   float64 `json:"overdue_deduction"` // points off per overdue order
	MaxDeduction       float64 `json:"max_deduction"`     // cap on deductions (0 = no cap)
	SummonsWeight      float64 `json:"summons_weight"`    // share of the department score from whistle ratings (0..1)
	MinOrders          int     `json:"min_orders"`        // fewer received orders: too few cases to rank
	MinCallbacks       int     `json:"min_callbacks"`     // fewer callbacks: too few cases to rank
	Note               string  `json:"note,omitempty"`
}

// DefaultRules are the rules of version 1: the rule set in force while
// none is stored. A unit needs 10 received orders and 5 callbacks in the
// period to be ranked.
func DefaultRules() Rules {
	return Rules{Version: 1, ResponseWeight: 30, ResolutionWeight: 35, SatisfactionWeight: 35, FairlyScore: 0.8,
		ContactMinutes: 24 * 60, TopicPoints: 1, MaxBonus: 5, OverdueDeduction: 0.5, MaxDeduction: 10, SummonsWeight: 1.0 / 3,
		MinOrders: 10, MinCallbacks: 5}
}

// Reasons a unit is not ranked (Score.Unranked).
const (
	// UnrankedTooFew: fewer orders or callbacks than the rule set's
	// minimum, or none where a weighted rate needs them.
	UnrankedTooFew = "too_few"
)

// Rankable reports whether counts c are enough to rank a unit under r:
// at least MinOrders orders and MinCallbacks callbacks, and at least one
// of each where a rate with a positive weight needs it.
func (r Rules) Rankable(c Counts) bool {
	minO, minC := r.Minimums()
	return c.Orders >= int64(minO) && c.Callbacks >= int64(minC)
}

// Minimums are the orders and callbacks a unit needs to be ranked under r:
// MinOrders and MinCallbacks, but at least one of each where a rate with
// a positive weight needs it.
func (r Rules) Minimums() (orders, callbacks int) {
	orders, callbacks = max(r.MinOrders, 0), max(r.MinCallbacks, 0)
	if r.ResponseWeight > 0 {
		orders = max(orders, 1)
	}
	if r.ResolutionWeight > 0 || r.SatisfactionWeight > 0 {
		callbacks = max(callbacks, 1)
	}
	return orders, callbacks
}

// Validate checks r (the version is not checked: the store assigns it).
func (r Rules) Validate() error {
	var es []error
	for _, f := range []struct {
		name string
		v    float64
	}{{"response_weight", r.ResponseWeight}, {"resolution_weight", r.ResolutionWeight}, {"satisfaction_weight", r.SatisfactionWeight},
		{"topic_points", r.TopicPoints}, {"max_bonus", r.MaxBonus}, {"overdue_deduction", r.OverdueDeduction}, {"max_deduction", r.MaxDeduction}} {
		if f.v < 0 || math.IsNaN(f.v) || math.IsInf(f.v, 0) || f.v > 1000 {
			es = append(es, fmt.Errorf("%s must be between 0 and 1000", f.name))
		}
	}
	if r.ResponseWeight+r.ResolutionWeight+r.SatisfactionWeight <= 0 {
		es = append(es, errors.New("the weights must not all be zero"))
	}
	if r.FairlyScore < 0 || r.FairlyScore > 1 || math.IsNaN(r.FairlyScore) {
		es = append(es, errors.New("fairly_score must be between 0 and 1"))
	}
	if r.SummonsWeight < 0 || r.SummonsWeight > 1 || math.IsNaN(r.SummonsWeight) {
		es = append(es, errors.New("summons_weight must be between 0 and 1"))
	}
	if r.MinOrders < 0 || r.MinOrders > 100000 {
		es = append(es, errors.New("min_orders must be between 0 and 100000"))
	}
	if r.MinCallbacks < 0 || r.MinCallbacks > 100000 {
		es = append(es, errors.New("min_callbacks must be between 0 and 100000"))
	}
	if r.ContactMinutes <= 0 || r.ContactMinutes > 60*24*30 {
		es = append(es, errors.New("contact_minutes must be between 1 and 43200"))
	}
	if len(r.Note) > 500 {
		es = append(es, errors.New("note is longer than 500 characters"))
	}
	return errors.Join(es...)
}

// Counts are what the store counted for one unit in a period.
type Counts struct {
	UnitID    int64 `json:"unit_id"`
	Orders    int64 `json:"orders"`    // received orders (response denominator)
	Responded int64 `json:"responded"` // signed and contacted in time
	Overdue   int64 `json:"overdue"`   // received orders that went past the reply deadline
	Callbacks int64 `json:"callbacks"` // callbacks answered (resolution and satisfaction denominator)
	Resolved  int64 `json:"resolved"`
	Satisfied int64 `json:"satisfied"`
	Fairly    int64 `json:"fairly_satisfied"`
	Exempted  int64 `json:"exempted"` // distinct cases left out by approved exemptions
	Topics    int64 `json:"topics"`   // credited 主动治理 topics
	// Summons ratings (吹哨报到), as points out of 100.
	SummonsRatings int64   `json:"summons_ratings"`
	SummonsPoints  float64 `json:"summons_points"` // sum of the ratings on the 0–100 scale
}

// Add adds o's counts to c.
func (c *Counts) Add(o Counts) {
	c.Orders += o.Orders
	c.Responded += o.Responded
	c.Overdue += o.Overdue
	c.Callbacks += o.Callbacks
	c.Resolved += o.Resolved
	c.Satisfied += o.Satisfied
	c.Fairly += o.Fairly
	c.Exempted += o.Exempted
	c.Topics += o.Topics
	c.SummonsRatings += o.SummonsRatings
	c.SummonsPoints += o.SummonsPoints
}

// Score is one unit's result.
type Score struct {
	Counts
	UnitName     string   `json:"unit_name"`
	Kind         string   `json:"kind"`
	Response     *float64 `json:"response"`     // 0..1, rounded to 4 decimals; nil without orders
	Resolution   *float64 `json:"resolution"`   // 0..1; nil without callbacks
	Satisfaction *float64 `json:"satisfaction"` // 0..1; nil without callbacks
	Base         *float64 `json:"base"`         // weighted rates, 0..100
	Bonus        float64  `json:"bonus"`
	Deduction    float64  `json:"deduction"`
	Summons      *float64 `json:"summons"`            // mean whistle rating 0..100; nil without ratings
	Composite    *float64 `json:"composite"`          // rounded to 2 decimals; nil = not ranked
	Unranked     string   `json:"unranked,omitempty"` // why not ranked (UnrankedTooFew); "" for a ranked unit
	Rank         int      `json:"rank,omitempty"`
	PrevRank     int      `json:"prev_rank,omitempty"`
	PrevComp     *float64 `json:"prev_composite,omitempty"`
	Change       *float64 `json:"change,omitempty"` // composite minus last period's
	RulesVersion int      `json:"rules_version"`
}

// Round rounds x to n decimals, halves away from zero.
func Round(x float64, n int) float64 {
	p := math.Pow(10, float64(n))
	return math.Round(x*p) / p
}

func ratio(num, den float64) *float64 {
	if den <= 0 {
		return nil
	}
	v := Round(num/den, 4)
	return &v
}

// Compute scores one unit under r. Rates are computed from the exact
// counts; the composite uses the unrounded rates and is rounded to 2
// decimals once. A unit with too few cases (see Rules.Rankable) gets its
// rates but no composite, and Unranked says why.
func Compute(c Counts, r Rules, kind string) Score {
	s := Score{Counts: c, Kind: kind, RulesVersion: r.Version}
	s.Response = ratio(float64(c.Responded), float64(c.Orders))
	s.Resolution = ratio(float64(c.Resolved), float64(c.Callbacks))
	s.Satisfaction = ratio(float64(c.Satisfied)+r.FairlyScore*float64(c.Fairly), float64(c.Callbacks))
	if c.SummonsRatings > 0 {
		v := Round(c.SummonsPoints/float64(c.SummonsRatings), 2)
		s.Summons = &v
	}
	if !r.Rankable(c) {
		s.Unranked = UnrankedTooFew
		return s
	}
	// Rankable: every rate with a positive weight has its denominator; a
	// rate without one has weight 0 and adds nothing.
	var sum, w float64
	if c.Orders > 0 {
		sum += r.ResponseWeight * float64(c.Responded) / float64(c.Orders)
	}
	if c.Callbacks > 0 {
		sum += r.ResolutionWeight * float64(c.Resolved) / float64(c.Callbacks)
		sum += r.SatisfactionWeight * (float64(c.Satisfied) + r.FairlyScore*float64(c.Fairly)) / float64(c.Callbacks)
	}
	w = r.ResponseWeight + r.ResolutionWeight + r.SatisfactionWeight
	base := sum / w * 100
	b := Round(base, 2)
	s.Base = &b
	if c.SummonsRatings > 0 && r.SummonsWeight > 0 {
		base = (1-r.SummonsWeight)*base + r.SummonsWeight*c.SummonsPoints/float64(c.SummonsRatings)
	}
	s.Bonus = Round(math.Min(r.TopicPoints*float64(c.Topics), r.MaxBonus), 2)
	ded := r.OverdueDeduction * float64(c.Overdue)
	if r.MaxDeduction > 0 {
		ded = math.Min(ded, r.MaxDeduction)
	}
	s.Deduction = Round(ded, 2)
	comp := Round(base+s.Bonus-s.Deduction, 2)
	s.Composite = &comp
	return s
}

// Rank orders scores per kind: ranked units by composite (highest first,
// equal composites by unit id), unranked units (no composite) last, apart. Rank numbers are
// 1-based within each kind; equal composites share a rank.
func Rank(ss []Score) {
	slices.SortStableFunc(ss, func(a, b Score) int {
		if c := strings.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		switch {
		case a.Composite == nil && b.Composite == nil:
			return cmpInt(a.UnitID, b.UnitID)
		case a.Composite == nil:
			return 1
		case b.Composite == nil:
			return -1
		}
		if *a.Composite != *b.Composite {
			if *a.Composite > *b.Composite {
				return -1
			}
			return 1
		}
		return cmpInt(a.UnitID, b.UnitID)
	})
	kind, n := "", 0
	var last *float64
	rank := 0
	for i := range ss {
		if ss[i].Kind != kind {
			kind, n, last, rank = ss[i].Kind, 0, nil, 0
		}
		if ss[i].Composite == nil {
			ss[i].Rank = 0
			continue
		}
		n++
		if last == nil || *last != *ss[i].Composite {
			rank = n
		}
		last = ss[i].Composite
		ss[i].Rank = rank
	}
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Compare fills month-on-month fields of cur from prev (same units by id).
func Compare(cur, prev []Score) {
	byID := make(map[int64]Score, len(prev))
	for _, p := range prev {
		byID[p.UnitID] = p
	}
	for i := range cur {
		p, ok := byID[cur[i].UnitID]
		if !ok || p.Composite == nil {
			continue
		}
		pc := *p.Composite
		cur[i].PrevComp, cur[i].PrevRank = &pc, p.Rank
		if cur[i].Composite != nil {
			d := Round(*cur[i].Composite-pc, 2)
			cur[i].Change = &d
		}
	}
}

// Period is a half-open time range [From, To) with its label.
type Period struct {
	Label string    `json:"label"` // YYYY-MM for a month, else from..to
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
}

// IsMonth reports whether p is a calendar month.
func (p Period) IsMonth() bool { return len(p.Label) == 7 }

// Month parses YYYY-MM as the calendar month in loc.
func Month(s string, loc *time.Location) (Period, error) {
	t, err := time.ParseInLocation("2006-01", s, loc)
	if err != nil || len(s) != 7 {
		return Period{}, fmt.Errorf("month %q: want YYYY-MM", s)
	}
	return Period{Label: s, From: t, To: t.AddDate(0, 1, 0)}, nil
}

// Range parses two dates (YYYY-MM-DD, inclusive) as a period in loc, at
// most 366 days long.
func Range(from, to string, loc *time.Location) (Period, error) {
	f, err := time.ParseInLocation("2006-01-02", from, loc)
	if err != nil {
		return Period{}, fmt.Errorf("from %q: want YYYY-MM-DD", from)
	}
	t, err := time.ParseInLocation("2006-01-02", to, loc)
	if err != nil {
		return Period{}, fmt.Errorf("to %q: want YYYY-MM-DD", to)
	}
	t = t.AddDate(0, 0, 1)
	if !t.After(f) {
		return Period{}, errors.New("to is before from")
	}
	if t.Sub(f) > 366*24*time.Hour {
		return Period{}, errors.New("a period is at most 366 days")
	}
	return Period{Label: from + ".." + to, From: f, To: t}, nil
}

// Previous returns the month before a month period.
func (p Period) Previous() Period {
	f := p.From.AddDate(0, -1, 0)
	return Period{Label: f.Format("2006-01"), From: f, To: p.From}
}

// Exemption reasons (免考核).
const (
	ReasonUnreasonable = "unreasonable" // unreasonable or unlawful demand
	ReasonOutsideDuty  = "outside_duty" // outside government duty
	ReasonMalicious    = "malicious"    // malicious repeat calls
	ReasonDuplicate    = "duplicate"    // duplicate of another case
)

// Reasons lists the exemption reasons.
var Reasons = []string{ReasonUnreasonable, ReasonOutsideDuty, ReasonMalicious, ReasonDuplicate}

// Exemption states.
const (
	ExemptPending  = "pending"
	ExemptApproved = "approved"
	ExemptRejected = "rejected"
)

// Measures a drill-down can list the cases behind.
const (
	MeasureOrders       = "orders"        // received orders
	MeasureResponded    = "responded"     // responded in time
	MeasureNotResponded = "not_responded" // received but not responded in time
	MeasureOverdue      = "overdue"
	MeasureCallbacks    = "callbacks"
	MeasureResolved     = "resolved"
	MeasureUnresolved   = "unresolved"
	MeasureSatisfied    = "satisfied"
	MeasureFairly       = "fairly_satisfied"
	MeasureUnsatisfied  = "unsatisfied"
	MeasureExempted     = "exempted"
)

// Measures lists the drill-down measures.
var Measures = []string{MeasureOrders, MeasureResponded, MeasureNotResponded, MeasureOverdue, MeasureCallbacks,
	MeasureResolved, MeasureUnresolved, MeasureSatisfied, MeasureFairly, MeasureUnsatisfied, MeasureExempted}

// RankedKinds are the unit kinds ranked against each other.
var RankedKinds = []string{"street", "department", "enterprise", "property"}
