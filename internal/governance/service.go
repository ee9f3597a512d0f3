// Package governance is 每月一题 and 未诉先办 as the centre works them: the
// analysis over the daily rollups (package insight), the dashboard and the
// big screen, topics chosen from the candidates with their tasks, goals and
// tracking, and proactive tasks proposed from last year's history. Every
// user action is one method here, which owns its scope and its view of
// personal data (the analysis never returns a citizen's name or phone).
package governance

import (
	"encoding/json"
	"time"

	"whistle/internal/core"
	"whistle/internal/errs"
	"whistle/internal/insight"
	"whistle/internal/org"
	"whistle/internal/ranking"
)

// Service is the governance service over the shared core.
type Service struct {
	*core.Core
	Ranking *ranking.Service // credits 主动治理 topics that met their goal
}

// New builds the governance service.
func New(c *core.Core, r *ranking.Service) *Service { return &Service{Core: c, Ranking: r} }

// Filter is what an analysis covers: the days From..To (inclusive, civil
// dates in Asia/Shanghai), a place (a district or street id; 0 = the whole
// city, or the actor's district) and categories (codes or prefixes; none =
// all).
type Filter struct {
	From       insight.Day `json:"from"`
	To         insight.Day `json:"to"`
	PlaceID    int64       `json:"place_id,omitempty"`
	Categories []string    `json:"categories,omitempty"`
}

// Key is the filter's canonical form, under which finished analyses are kept.
func (f Filter) Key() string {
	b, _ := json.Marshal(f)
	return string(b)
}

// DefaultFilter is the analysis the dashboard and the workbench open with:
// the 28 days up to yesterday (four whole weeks), the whole city.
func DefaultFilter(now time.Time) Filter {
	to := insight.DayOf(now) - 1
	return Filter{From: to - 27, To: to}
}

// Analysis is one finished analysis: the report, with the display names of
// the ids it mentions.
type Analysis struct {
	RunID    int64             `json:"run_id,omitempty"` // the stored run (insight_runs.id)
	Filter   Filter            `json:"filter"`
	Report   *insight.Report   `json:"report"`
	Names    map[string]string `json:"names"`
	Requests int               `json:"requests"` // requests in the period (all, before sampling)
	Sampled  int               `json:"sampled"`  // request texts read for terms and examples
	// AnomaliesOmitted is how many tested cells, neither flagged nor among
	// the MaxQuietCells busiest, the report leaves out (Report.Tested
	// counts them all).
	AnomaliesOmitted int `json:"anomalies_omitted,omitempty"`
	// GridPoints is a point (lat, lon) for the grids without a boundary:
	// the mean of their requests' coordinates, for the hotspot map.
	GridPoints map[string][2]float64 `json:"grid_points,omitempty"`
	CreatedAt  time.Time             `json:"created_at"`
	Took       time.Duration         `json:"took"`
}

// analysisDistrict is the part of the city the actor may analyse: the whole
// city (0) for the city's staff and analysts, the district for a district
// centre's staff; anyone else is refused.
func analysisDistrict(a org.Actor) (int64, error) {
	d, all, ok := org.CentreDistrict(a)
	if !ok {
		return 0, errs.E(errs.Forbidden)
	}
	if all {
		return 0, nil
	}
	return d, nil
}
