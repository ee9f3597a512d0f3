package governance

import (
	"context"
	"slices"
	"strings"

	"whistle/internal/agenda"
	"whistle/internal/insight"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
)

// MaxTrackCases bounds the requests read for a topic with keywords (their
// texts are matched one by one); past it the series say Capped.
const MaxTrackCases = 200000

// WeekPoint is one week of a topic's tracking: Index < 0 before the start.
type WeekPoint struct {
	Index int     `json:"index"`
	Start string  `json:"start"` // YYYY-MM-DD
	Count float64 `json:"count"`
	Comp  float64 `json:"comp"` // the comparison series (0 when there is none)
}

// TrackRates are the resolution and satisfaction rates of the matching
// requests (nil when nothing was counted).
type TrackRates struct {
	ResolvedBefore  *float64 `json:"resolved_before,omitempty"`
	ResolvedAfter   *float64 `json:"resolved_after,omitempty"`
	SatisfiedBefore *float64 `json:"satisfied_before,omitempty"`
	SatisfiedAfter  *float64 `json:"satisfied_after,omitempty"`
}

// TopicTracking is a topic's weekly series and what they say.
type TopicTracking struct {
	agenda.Tracking
	Start      string      `json:"start"`      // the start day, YYYY-MM-DD
	Until      string      `json:"until"`      // the last day counted
	Comparison string      `json:"comparison"` // agenda.SeriesLastYear, agenda.SeriesPlaces or "" (none)
	Source     string      `json:"source"`     // "rollups" or "texts" (keywords matched in the requests)
	Capped     bool        `json:"capped,omitempty"`
	Weeks      []WeekPoint `json:"weeks"`
	Rates      TrackRates  `json:"rates"`
}

// dayTotals is one series of daily totals over [from, from+len).
type dayTotals []store.DayTotal

// placeFilter makes the rollup filter of a place.
func (s *Service) placeFilter(id int64, f store.DailyFilter) store.DailyFilter {
	p, _ := s.Place(id)
	switch p.Level {
	case org.LevelDistrict:
		f.DistrictID = id
	case org.LevelStreet:
		f.StreetID = id
	case org.LevelCommunity:
		f.CommunityID = id
	case org.LevelGrid:
		f.GridID = id
	}
	return f
}

// outerPlaces drops the places that lie inside another of them, so that
// summing over the places counts each request once.
func (s *Service) outerPlaces(ids []int64) []int64 {
	var out []int64
	for _, p := range ids {
		pl, ok := s.Place(p)
		if !ok || pl.Level == org.LevelCity {
			return nil // the whole city
		}
		ch, _ := s.Chain(p)
		inner := false
		for _, q := range ids {
			if q != p && slices.Contains(ch[:], q) {
				inner = true
			}
		}
		if !inner {
			out = append(out, p)
		}
	}
	return out
}

// rollup sums the rollups of the criteria's categories over [from, to]
// by day: in the places (in) and, when there are places, elsewhere (out).
func (s *Service) rollup(ctx context.Context, c agenda.Criteria, from, to insight.Day) (in, out dayTotals, err error) {
	n := int(to - from + 1)
	if n <= 0 {
		return nil, nil, nil
	}
	in = make(dayTotals, n)
	add := func(dst dayTotals, f store.DailyFilter, sign int64) error {
		rows, err := s.St.Analysis.DailyTotals(ctx, f)
		if err != nil {
			return err
		}
		for _, r := range rows {
			i := r.Day - int64(from)
			if i < 0 || i >= int64(n) {
				continue
			}
			d := &dst[i]
			d.N += sign * r.N
			d.Reopened += sign * r.Reopened
			d.Rated += sign * r.Rated
			d.Unsatisfied += sign * r.Unsatisfied
			d.Resolved += sign * r.Resolved
		}
		return nil
	}
	base := store.DailyFilter{From: int64(from), To: int64(to), Categories: c.Categories}
	places := s.outerPlaces(c.PlaceIDs)
	if len(places) == 0 {
		return in, nil, add(in, base, 1)
	}
	for _, p := range places {
		if err := add(in, s.placeFilter(p, base), 1); err != nil {
			return nil, nil, err
		}
	}
	out = make(dayTotals, n)
	if err := add(out, base, 1); err != nil {
		return nil, nil, err
	}
	for i := range out {
		out[i].N -= in[i].N
		out[i].Reopened -= in[i].Reopened
		out[i].Rated -= in[i].Rated
		out[i].Unsatisfied -= in[i].Unsatisfied
		out[i].Resolved -= in[i].Resolved
	}
	return in, out, nil
}

func inPlaces(c *lifecycle.Case, places []int64) bool {
	l := c.Location
	for _, p := range places {
		if p == l.DistrictID || p == l.StreetID || p == l.CommunityID || p == l.GridID {
			return true
		}
	}
	return false
}

func matchesKeywords(c *lifecycle.Case, kws []string) bool {
	for _, k := range kws {
		if strings.Contains(c.Title, k) || strings.Contains(c.Description, k) {
			return true
		}
	}
	return false
}

// texts counts the requests of the criteria's categories whose text holds
// a keyword over [from, to] by day, in the places and elsewhere.
func (s *Service) texts(ctx context.Context, c agenda.Criteria, from, to insight.Day) (in, out []float64, capped bool, err error) {
	n := int(to - from + 1)
	if n <= 0 {
		return nil, nil, false, nil
	}
	cases, err := s.St.Analysis.LightCases(ctx, store.LightFilter{From: from.Time(), To: (to + 1).Time(), Categories: c.Categories, Limit: MaxTrackCases + 1})
	if err != nil {
		return nil, nil, false, err
	}
	if len(cases) > MaxTrackCases {
		cases, capped = cases[:MaxTrackCases], true
	}
	places := s.outerPlaces(c.PlaceIDs)
	in = make([]float64, n)
	if len(places) > 0 {
		out = make([]float64, n)
	}
	for _, k := range cases {
		if !matchesKeywords(k, c.Keywords) {
			continue
		}
		i := int(insight.DayOf(k.CreatedAt) - from)
		if i < 0 || i >= n {
			continue
		}
		switch {
		case len(places) == 0 || inPlaces(k, places):
			in[i]++
		default:
			out[i]++
		}
	}
	return in, out, capped, nil
}

func counts(d dayTotals) []float64 {
	if d == nil {
		return nil
	}
	out := make([]float64, len(d))
	for i, x := range d {
		out[i] = float64(x.N)
	}
	return out
}

// weekly folds daily counts into weeks of 7 days.
func weekly(days []float64) []float64 {
	if days == nil {
		return nil
	}
	out := make([]float64, len(days)/7)
	for i := range out {
		for _, v := range days[7*i : 7*i+7] {
			out[i] += v
		}
	}
	return out
}

// track measures topic t on the complete weeks since its start up to the
// day until (inclusive) against the BeforeWeeks weeks before it.
func (s *Service) track(ctx context.Context, t *agenda.Topic, until insight.Day) (*TopicTracking, error) {
	start := insight.DayOf(t.StartedAt)
	after := 0
	if until >= start {
		after = int(until-start+1) / 7
	}
	from, to := start-7*agenda.BeforeWeeks, start+insight.Day(7*after)-1
	out := &TopicTracking{Start: start.String(), Until: to.String(), Source: "rollups"}
	days, ex, err := s.rollup(ctx, t.Criteria, from, to)
	if err != nil {
		return nil, err
	}
	topicDays, elsewhere := counts(days), counts(ex)
	if len(t.Criteria.Keywords) > 0 {
		out.Source = "texts"
		topicDays, elsewhere, out.Capped, err = s.texts(ctx, t.Criteria, from, to)
	}
	if err != nil {
		return nil, err
	}
	// The comparison: last year's same weeks (52 weeks earlier, same
	// weekdays) when the rollups reach back that far, else the places
	// without the topic.
	var comp []float64
	ly := insight.Day(364)
	covered, err := s.covered(ctx, from-ly)
	if err != nil {
		return nil, err
	}
	if covered {
		if len(t.Criteria.Keywords) > 0 {
			comp, _, _, err = s.texts(ctx, t.Criteria, from-ly, to-ly)
		} else {
			var d dayTotals
			d, _, err = s.rollup(ctx, t.Criteria, from-ly, to-ly)
			comp = counts(d)
		}
		if err != nil {
			return nil, err
		}
		out.Comparison = agenda.SeriesLastYear
	} else if elsewhere != nil {
		comp, out.Comparison = elsewhere, agenda.SeriesPlaces
	}
	wk, cw := weekly(topicDays), weekly(comp)
	nb := agenda.BeforeWeeks
	in := agenda.TrackInput{Before: wk[:nb], After: wk[nb:], Baseline: t.Goal.Comparison}
	if cw != nil {
		in.CompBefore, in.CompAfter = cw[:nb], cw[nb:]
		if out.Comparison == agenda.SeriesLastYear {
			in.LastYear = cw[nb:]
		}
	}
	out.Tracking = agenda.Track(in)
	for i, v := range wk {
		p := WeekPoint{Index: i - nb, Start: (from + insight.Day(7*i)).String(), Count: v}
		if cw != nil {
			p.Comp = cw[i]
		}
		out.Weeks = append(out.Weeks, p)
	}
	var b, a store.DayTotal
	for i, d := range days {
		x := &a
		if i < 7*nb {
			x = &b
		}
		x.N, x.Rated, x.Unsatisfied, x.Resolved = x.N+d.N, x.Rated+d.Rated, x.Unsatisfied+d.Unsatisfied, x.Resolved+d.Resolved
	}
	out.Rates = TrackRates{ResolvedBefore: ratio(b.Resolved, b.N), ResolvedAfter: ratio(a.Resolved, a.N),
		SatisfiedBefore: ratio(b.Rated-b.Unsatisfied, b.Rated), SatisfiedAfter: ratio(a.Rated-a.Unsatisfied, a.Rated)}
	return out, nil
}

// covered reports whether the rollups reach back to day (any request in
// the city on that day or the six after it).
func (s *Service) covered(ctx context.Context, day insight.Day) (bool, error) {
	rows, err := s.St.Analysis.DailyTotals(ctx, store.DailyFilter{From: int64(day), To: int64(day) + 6})
	if err != nil {
		return false, err
	}
	for _, r := range rows {
		if r.N > 0 {
			return true, nil
		}
	}
	return false, nil
}
