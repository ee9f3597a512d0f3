package casework

import (
	"context"
	"fmt"
	"strings"

	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

// AutoDispatched says what TryAutoDispatch did.
type AutoDispatched struct {
	Done        bool    `json:"done"`
	Category    string  `json:"category,omitempty"`
	Probability float64 `json:"probability,omitempty"`
	UnitID      int64   `json:"unit_id,omitempty"`
	Reason      string  `json:"reason,omitempty"` // why it was, or was not, dispatched
}

// TryAutoDispatch dispatches a stored online submission without an agent
// when autoDispatchPlan says so (see there). Anything else leaves the case
// to the agents, unchanged. New submissions are dispatched as they are
// created (SubmitPublic); this is for cases that are already stored.
func (s *Service) TryAutoDispatch(ctx context.Context, id int64) (AutoDispatched, error) {
	c, err := s.St.Case(ctx, id, org.Scope{All: true})
	if err != nil {
		return AutoDispatched{}, err
	}
	out, steps, err := s.autoDispatchPlan(ctx, c)
	if err != nil || !out.Done {
		return out, err
	}
	for _, in := range steps {
		if _, _, err := s.act(ctx, org.System(), org.Scope{All: true}, c.ID, in); err != nil {
			out.Done = false
			return out, err
		}
	}
	return out, nil
}

// autoDispatchPlan decides whether the system dispatches an online
// submission: only when the centre turned automatic dispatch on for the
// classifier's category, the classifier is at least as confident as the
// category's threshold, the case is in that category, and the duty list
// names one lead unit without ambiguity. It returns the steps (accept when
// submitted, then dispatch) without taking them.
func (s *Service) autoDispatchPlan(ctx context.Context, c *lifecycle.Case) (AutoDispatched, []ActInput, error) {
	if c.State != lifecycle.Submitted && c.State != lifecycle.Received {
		return AutoDispatched{Reason: "not waiting for dispatch"}, nil, nil
	}
	code, prob, ok := s.dispatch.AutoDispatchable(ctx, strings.TrimSpace(c.Title+" "+c.Description))
	out := AutoDispatched{Category: code, Probability: prob}
	switch {
	case !ok:
		out.Reason = "automatic dispatch is off for the category or below its threshold"
		return out, nil, nil
	case code != c.Category:
		out.Reason = "the classifier disagrees with the request's category"
		return out, nil, nil
	}
	place := c.Location.GridID
	for _, p := range []int64{c.Location.CommunityID, c.Location.StreetID, c.Location.DistrictID} {
		if place == 0 {
			place = p
		}
	}
	d, err := s.dispatch.RouteSuggestionAt(ctx, c.Category, place, c.Title+" "+c.Description, c.Location)
	if err != nil {
		return out, nil, err
	}
	if !d.Matched || d.LeadUnitID == 0 || d.Ambiguous {
		out.Reason = "the duty list gives no single lead unit"
		return out, nil, nil
	}
	note := fmt.Sprintf("自动派单：分类置信度 %.2f；%s", prob, d.Reason)
	var steps []ActInput
	if c.State == lifecycle.Submitted {
		steps = append(steps, ActInput{Action: lifecycle.ActAccept, Note: note})
	}
	steps = append(steps, ActInput{Action: lifecycle.ActDispatch, UnitID: d.LeadUnitID, CoUnitIDs: d.CoUnitIDs, Note: note})
	out.Done, out.UnitID, out.Reason = true, d.LeadUnitID, note
	return out, steps, nil
}
