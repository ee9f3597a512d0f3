package ranking

import (
	"context"
	"math"
	"slices"
	"strings"

	"whistle/internal/assessment"
)

// ReplyQuality is one unit's replies checked in the period (答复质量,
// issue #16): the mean score of each dimension and the count of weak
// replies and near-copies. Shown beside the three rates, never part of
// their formula.
type ReplyQuality struct {
	UnitID     int64              `json:"unit_id"`
	UnitName   string             `json:"unit_name"`
	Kind       string             `json:"kind"`
	Replies    int64              `json:"replies"`
	Overall    float64            `json:"overall"`
	Means      map[string]float64 `json:"means"`
	Weak       int64              `json:"weak"`
	NearCopies int64              `json:"near_copies"`
}

// replyQuality sums the period's reply checks by unit (of kind, "" = all),
// weakest mean first.
func (s *Service) replyQuality(ctx context.Context, p assessment.Period, kind string) ([]ReplyQuality, error) {
	rows, err := s.St.ReplyQualityByUnit(ctx, p.From, p.To)
	if err != nil {
		return nil, err
	}
	r2 := func(v float64) float64 { return math.Round(v*100) / 100 }
	out := []ReplyQuality{}
	for _, r := range rows {
		u, ok := s.Unit(r.UnitID)
		if !ok || (kind != "" && u.Kind != kind) {
			continue
		}
		q := ReplyQuality{UnitID: r.UnitID, UnitName: u.Name, Kind: u.Kind, Replies: r.Replies, Overall: r2(r.Overall),
			Means: map[string]float64{}, Weak: r.Weak, NearCopies: r.NearCopies}
		for d, v := range r.Means {
			q.Means[d] = r2(v)
		}
		out = append(out, q)
	}
	slices.SortStableFunc(out, func(a, b ReplyQuality) int {
		if a.Overall != b.Overall {
			if a.Overall < b.Overall {
				return -1
			}
			return 1
		}
		return strings.Compare(a.UnitName, b.UnitName)
	})
	return out, nil
}
