package casework

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
)

// DefaultQueueThreshold is the classifier probability a queue suggestion
// must reach to be confident when the centre set no auto-dispatch
// threshold for the category.
const DefaultQueueThreshold = 0.8

// MaxQueue is how many waiting submissions the queue shows at most (the
// nearest deadlines); Queue.Total says how many are waiting in all.
const MaxQueue = 500

// MaxBulkDispatch is how many cases one bulk dispatch may name.
const MaxBulkDispatch = 200

// Why a queue suggestion is not confident (QueueItem.Why, and the detail
// of a refused bulk dispatch).
const (
	WhyNotWaiting     = "not_waiting"     // no longer submitted or received
	WhyNoSuggestion   = "no_suggestion"   // no classifier model, or no category for the text
	WhyDisagrees      = "disagrees"       // the classifier's category is not the case's
	WhyBelowThreshold = "below_threshold" // the classifier is less sure than the threshold
	WhyNoLeadUnit     = "no_lead_unit"    // the duty list names no lead unit
	WhyAmbiguous      = "ambiguous"       // the duty list names several lead units
)

// QueueItem is one online submission waiting for the centre, with what
// the classifier and the duty list suggest for it.
type QueueItem struct {
	Case *lifecycle.Case `json:"case"`
	// Due is the deadline that matters now: accept-by while submitted,
	// dispatch-by once received.
	Due time.Time `json:"due"`
	// The classifier's first category and its probability ("" without a model).
	Category    string  `json:"suggested_category,omitempty"`
	Probability float64 `json:"probability"`
	// Threshold is the probability a confident suggestion must reach: the
	// category's auto-dispatch threshold, or DefaultQueueThreshold.
	Threshold float64 `json:"threshold"`
	// The duty list's lead unit (0 = none), co-handlers and numbered reason.
	UnitID    int64   `json:"unit_id,omitempty"`
	CoUnitIDs []int64 `json:"co_unit_ids,omitempty"`
	Reason    string  `json:"reason,omitempty"`
	Ambiguous bool    `json:"ambiguous"`
	// Confident: the classifier agrees with the case's category at or over
	// the threshold and the duty list names one unambiguous lead unit.
	// Why says what is missing when it is not (one of the Why… codes).
	Confident bool   `json:"confident"`
	Why       string `json:"why,omitempty"`
}

// Queue is the centre's waiting online submissions, nearest deadline first.
type Queue struct {
	Items []QueueItem `json:"items"`
	Total int         `json:"total"` // waiting in all (Items holds at most MaxQueue)
}

// mayWorkQueue: agents and dispatchers of a centre.
func mayWorkQueue(a org.Actor) bool {
	return a.User.Has(org.RoleAgent, org.RoleDispatcher) && a.Unit.IsCentre()
}

// WaitingQueue lists the online submissions waiting for the centre within
// the actor's scope (submitted, or received and not yet dispatched),
// nearest accept/dispatch deadline first, each with the classifier's and
// the duty list's suggestion and whether it is confident enough to be
// accepted and dispatched in bulk (AcceptAndDispatch).
func (s *Service) WaitingQueue(ctx context.Context, a org.Actor) (Queue, error) {
	if !mayWorkQueue(a) {
		return Queue{}, errs.E(errs.Forbidden)
	}
	thresholds, err := s.queueThresholds(ctx)
	if err != nil {
		return Queue{}, err
	}
	q := Queue{Items: []QueueItem{}}
	f := lifecycle.CaseFilter{States: []lifecycle.State{lifecycle.Submitted, lifecycle.Received}, Sort: "due", Limit: 200}
	for {
		pg, err := s.St.Cases(ctx, org.ScopeOf(a), f)
		if err != nil {
			return Queue{}, err
		}
		for _, c := range pg.Cases {
			q.Total++
			if len(q.Items) >= MaxQueue {
				continue
			}
			it, _, err := s.queueItem(ctx, c, thresholds)
			if err != nil {
				return Queue{}, err
			}
			it.Case = lifecycle.ViewFor(a, c)
			q.Items = append(q.Items, it)
		}
		if pg.Next == "" {
			break
		}
		f.Cursor = pg.Next
	}
	// The store orders by the case's current deadline; make the order the
	// one the page shows (accept-by or dispatch-by) whatever it keeps.
	slices.SortStableFunc(q.Items, func(x, y QueueItem) int { return x.Due.Compare(y.Due) })
	return q, nil
}

// queueThresholds returns the centre's auto-dispatch threshold by category.
func (s *Service) queueThresholds(ctx context.Context) (map[string]float64, error) {
	settings, err := s.dispatch.AutoDispatchSettings(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, st := range settings {
		if st.Threshold > 0 {
			out[st.Category] = st.Threshold
		}
	}
	return out, nil
}

// queueItem suggests for one waiting case, and, when confident, the steps
// that accept (if still submitted) and dispatch it.
func (s *Service) queueItem(ctx context.Context, c *lifecycle.Case, thresholds map[string]float64) (QueueItem, []ActInput, error) {
	it := QueueItem{Threshold: DefaultQueueThreshold}
	switch c.State {
	case lifecycle.Submitted:
		it.Due = c.AcceptBy
	case lifecycle.Received:
		it.Due = c.DispatchBy
	default:
		it.Why = WhyNotWaiting
		return it, nil, nil
	}
	text := strings.TrimSpace(c.Title + " " + c.Description)
	if sug, err := s.dispatch.Suggest(ctx, text, 1); err == nil && len(sug) > 0 {
		it.Category, it.Probability = sug[0].Code, sug[0].Probability
	} else if err != nil && !errs.Is(err, errs.NoModel) && !errs.Is(err, errs.FieldTooLong) && !errs.Is(err, errs.FieldRequired) {
		return it, nil, err
	}
	if t, ok := thresholds[it.Category]; ok {
		it.Threshold = t
	}
	if _, ok := s.Category(c.Category); ok {
		place := c.Location.GridID
		for _, p := range []int64{c.Location.CommunityID, c.Location.StreetID, c.Location.DistrictID} {
			if place == 0 {
				place = p
			}
		}
		d, err := s.dispatch.RouteSuggestionAt(ctx, c.Category, place, c.Title+" "+c.Description, c.Location)
		if err != nil && !errs.Is(err, errs.UnknownPlace) {
			return it, nil, err
		}
		if err == nil && d.Matched {
			it.UnitID, it.CoUnitIDs, it.Reason, it.Ambiguous = d.LeadUnitID, d.CoUnitIDs, d.Reason, d.Ambiguous
		} else if err == nil {
			it.Reason = d.Reason
		}
	}
	switch {
	case it.Category == "":
		it.Why = WhyNoSuggestion
	case it.Category != c.Category:
		it.Why = WhyDisagrees
	case it.Probability < it.Threshold:
		it.Why = WhyBelowThreshold
	case it.UnitID == 0:
		it.Why = WhyNoLeadUnit
	case it.Ambiguous:
		it.Why = WhyAmbiguous
	default:
		it.Confident = true
	}
	if !it.Confident {
		return it, nil, nil
	}
	note := fmt.Sprintf("批量派单：分类置信度 %.2f；%s", it.Probability, it.Reason)
	var steps []ActInput
	if c.State == lifecycle.Submitted {
		steps = append(steps, ActInput{Action: lifecycle.ActAccept, Note: note})
	}
	steps = append(steps, ActInput{Action: lifecycle.ActDispatch, UnitID: it.UnitID, CoUnitIDs: it.CoUnitIDs, Note: note})
	return it, steps, nil
}

// QueueResult is what AcceptAndDispatch did with one case.
type QueueResult struct {
	ID     int64     `json:"id"`
	Number string    `json:"number,omitempty"`
	Done   bool      `json:"done"`
	UnitID int64     `json:"unit_id,omitempty"` // the unit it was dispatched to
	Code   errs.Code `json:"code,omitempty"`    // why it was refused
	Detail string    `json:"detail,omitempty"`
	Err    error     `json:"-"`
}

// AcceptAndDispatch accepts (when still submitted) and dispatches each of
// the named waiting submissions to its suggested lead unit, when the
// suggestion is confident (as WaitingQueue shows it, decided again now).
// Each case is one decision in its own transaction: a case that moved on,
// is out of scope or is no longer confident is refused with its reason and
// the others go ahead. The actor must be an agent or dispatcher of a
// centre; the actions are taken in the actor's name.
func (s *Service) AcceptAndDispatch(ctx context.Context, a org.Actor, ids []int64) ([]QueueResult, error) {
	if !mayWorkQueue(a) {
		return nil, errs.E(errs.Forbidden)
	}
	if len(ids) == 0 {
		return nil, errs.F(errs.FieldRequired, "ids")
	}
	if len(ids) > MaxBulkDispatch {
		return nil, &errs.Error{Code: errs.Invalid, Field: "ids", Detail: fmt.Sprintf("at most %d cases at once", MaxBulkDispatch)}
	}
	thresholds, err := s.queueThresholds(ctx)
	if err != nil {
		return nil, err
	}
	scope := org.ScopeOf(a)
	seen := map[int64]bool{}
	out := make([]QueueResult, 0, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if err := ctx.Err(); err != nil {
			return out, err
		}
		r := s.acceptAndDispatchOne(ctx, a, scope, id, thresholds)
		if r.Err != nil {
			if errs.CodeOf(r.Err) == errs.Internal {
				return out, r.Err
			}
			r.Code = errs.CodeOf(r.Err)
			var e *errs.Error
			if errors.As(r.Err, &e) {
				r.Detail = e.Detail
			}
		}
		out = append(out, r)
	}
	return out, nil
}

func (s *Service) acceptAndDispatchOne(ctx context.Context, a org.Actor, scope org.Scope, id int64, thresholds map[string]float64) QueueResult {
	r := QueueResult{ID: id}
	if id <= 0 {
		r.Err = errs.E(errs.NotFound)
		return r
	}
	c, err := s.St.Case(ctx, id, scope)
	if err != nil {
		r.Err = err
		return r
	}
	r.Number = c.Number
	it, ins, err := s.queueItem(ctx, c, thresholds)
	if err != nil {
		r.Err = err
		return r
	}
	if !it.Confident {
		code := errs.Conflict
		if c.State != lifecycle.Submitted && c.State != lifecycle.Received {
			code = errs.InvalidTransition
		}
		r.Err = &errs.Error{Code: code, Detail: it.Why}
		return r
	}
	var steps []step
	for _, in := range ins {
		st, err := s.prepare(ctx, in)
		if err != nil {
			r.Err = err
			return r
		}
		steps = append(steps, st)
	}
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		cur, err := tx.Case(ctx, id, scope)
		if err != nil {
			return err
		}
		// The case was decided on as it was read; if it moved on since,
		// the rules refuse the steps below and nothing is written.
		if cur.State != c.State || cur.Category != c.Category {
			return errs.D(errs.Conflict, "the case changed; reload the queue")
		}
		env := s.Env()
		for _, st := range steps {
			if _, err := s.applyTx(ctx, tx, cur, st, a, scope, env); err != nil {
				return err
			}
		}
		return tx.SetTimers(ctx, cur.ID, lifecycle.Timers(cur))
	})
	if err != nil {
		r.Err = err
		return r
	}
	r.Done, r.UnitID = true, it.UnitID
	return r
}
