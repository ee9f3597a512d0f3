package agenda

import (
	"math"
	"time"
)

// Tracking: each topic's matching requests per week before and after its
// start, against a comparison series, and the verdict on its goal.
//
// Weeks are counted from the start day: week k covers the days
// [start+7k, start+7k+7). The "before" series is the BeforeWeeks weeks
// before the start; the "after" series the complete weeks since.

// BeforeWeeks is how many weeks before the start a topic is compared with.
const BeforeWeeks = 12

// MinWeeksEarly is how many complete weeks after the start a goal needs
// before it can be judged met ahead of its date.
const MinWeeksEarly = 4

// Alpha is the significance level of the fall a met goal needs.
const Alpha = 0.05

// Kinds of comparison series.
const (
	SeriesLastYear = "last_year" // the same weeks a year earlier, same criteria
	SeriesPlaces   = "places"    // the same weeks, same categories, in places without the topic
)

// TrackInput is what Track measures: weekly counts of the topic's requests
// Before (oldest first) and After the start, the comparison series over the
// same weeks (CompBefore, CompAfter; empty when there is none), and the
// baseline the goal is measured against: Baseline ("before": the Before
// weeks; "last_year": last year's same weeks as the After weeks, given in
// LastYear).
type TrackInput struct {
	Before, After         []float64
	CompBefore, CompAfter []float64
	Baseline              string
	LastYear              []float64
}

// Tracking is what the numbers say.
type Tracking struct {
	BeforeWeeks int     `json:"before_weeks"`
	AfterWeeks  int     `json:"after_weeks"`
	BeforeMean  float64 `json:"before_mean"` // requests per week before the start
	AfterMean   float64 `json:"after_mean"`  // requests per week since
	Change      float64 `json:"change"`      // AfterMean/BeforeMean − 1 (0 when there was nothing before)

	CompBeforeMean float64 `json:"comp_before_mean"`
	CompAfterMean  float64 `json:"comp_after_mean"`
	CompChange     float64 `json:"comp_change"`
	// DiD is the difference in differences in requests per week:
	// (AfterMean − BeforeMean) − (CompAfterMean − CompBeforeMean) scaled to
	// the topic's level (the comparison's change applied to BeforeMean);
	// DiDRel the same as a ratio: (1+Change)/(1+CompChange) − 1.
	DiD    float64 `json:"did"`
	DiDRel float64 `json:"did_rel"`

	// The goal's measure: the baseline's weekly mean, the relative change
	// of AfterMean against it, and the one-sided p-value that the rate
	// fell (conditional binomial on the two Poisson counts).
	Baseline     string  `json:"baseline"`
	BaselineMean float64 `json:"baseline_mean"`
	GoalChange   float64 `json:"goal_change"`
	P            float64 `json:"p"`
}

func sum(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return sum(xs) / float64(len(xs))
}

func rel(after, before float64) float64 {
	if before <= 0 {
		return 0
	}
	return after/before - 1
}

// Track computes the tracking of in.
func Track(in TrackInput) Tracking {
	t := Tracking{BeforeWeeks: len(in.Before), AfterWeeks: len(in.After)}
	t.BeforeMean, t.AfterMean = mean(in.Before), mean(in.After)
	t.Change = rel(t.AfterMean, t.BeforeMean)
	if len(in.CompBefore) > 0 && len(in.CompAfter) > 0 {
		t.CompBeforeMean, t.CompAfterMean = mean(in.CompBefore), mean(in.CompAfter)
		t.CompChange = rel(t.CompAfterMean, t.CompBeforeMean)
		t.DiD = (t.AfterMean - t.BeforeMean) - t.CompChange*t.BeforeMean
		if t.CompChange > -1 && t.BeforeMean > 0 {
			t.DiDRel = (1+t.Change)/(1+t.CompChange) - 1
		}
	}
	base := in.Before
	t.Baseline = CompareBefore
	if in.Baseline == CompareLastYear && len(in.LastYear) > 0 {
		base, t.Baseline = in.LastYear, CompareLastYear
	}
	t.BaselineMean = mean(base)
	t.GoalChange = rel(t.AfterMean, t.BaselineMean)
	t.P = FallP(sum(in.After), float64(len(in.After)), sum(base), float64(len(base)))
	return t
}

// FallP is the one-sided p-value that a Poisson rate fell: a requests in
// wa weeks after against b in wb weeks before. Under "the rate did not
// change", conditional on n = a + b, a ~ Binomial(n, wa/(wa+wb)), and p =
// P(Bin(n, p0) ≤ a). It is 1 when there is nothing to test.
func FallP(a, wa, b, wb float64) float64 {
	if wa <= 0 || wb <= 0 {
		return 1
	}
	a, b = math.Round(a), math.Round(b)
	n := a + b
	if n <= 0 {
		return 1
	}
	return BinomCDF(int64(a), int64(n), wa/(wa+wb))
}

// BinomCDF is P(X ≤ k) for X ~ Binomial(n, p), summed exactly in log space
// (math.Lgamma) from the smaller tail.
func BinomCDF(k, n int64, p float64) float64 {
	switch {
	case k < 0:
		return 0
	case k >= n:
		return 1
	case p <= 0:
		return 1
	case p >= 1:
		return 0
	}
	lf := func(x int64) float64 { v, _ := math.Lgamma(float64(x) + 1); return v }
	ln, lp, lq := lf(n), math.Log(p), math.Log1p(-p)
	term := func(i int64) float64 {
		return math.Exp(ln - lf(i) - lf(n-i) + float64(i)*lp + float64(n-i)*lq)
	}
	s := 0.0
	if float64(k) <= float64(n)*p {
		for i := int64(0); i <= k; i++ {
			s += term(i)
		}
		return math.Min(1, s)
	}
	for i := k + 1; i <= n; i++ {
		s += term(i)
	}
	return math.Max(0, 1-s)
}

// Verdict is the judgement of a topic's goal at now given its tracking
// (measured on the weeks up to min(now, GoalBy)): met when the change
// against the baseline is at most −Reduction and the fall significant at
// Alpha — by the goal's date, or earlier once MinWeeksEarly weeks are in;
// missed when the date has passed without that. done is false while the
// goal is still open.
func Verdict(t *Topic, tr Tracking, now time.Time) (met, done bool) {
	reached := tr.AfterWeeks > 0 && tr.BaselineMean > 0 && tr.GoalChange <= -t.Goal.Reduction+1e-9 && tr.P < Alpha
	due := !now.Before(t.GoalBy)
	switch {
	case reached && (due || tr.AfterWeeks >= MinWeeksEarly):
		return true, true
	case due:
		return false, true
	}
	return false, false
}

// Outcome makes the outcome of a verdict.
func OutcomeOf(tr Tracking, met bool, now time.Time) *Outcome {
	return &Outcome{JudgedAt: now, Met: met, Change: tr.GoalChange, Before: tr.BaselineMean, After: tr.AfterMean, P: tr.P}
}
