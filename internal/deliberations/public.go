package deliberations

import (
	"context"
	"slices"
	"time"

	"whistle/internal/agenda"
	"whistle/internal/deliberation"
	"whistle/internal/errs"
	"whistle/internal/org"
)

// The portal's view: items on the agenda and after, for a community, with
// the decision, the vote counts and the tasks' progress — and no personal
// data (no names, no minutes, phone numbers scrubbed from the texts).

// PublicTask is a follow-up task as the public sees it.
type PublicTask struct {
	Title    string    `json:"title"`
	UnitName string    `json:"unit_name"`
	DueAt    time.Time `json:"due_at"`
	Done     bool      `json:"done"`
	DoneAt   time.Time `json:"done_at,omitzero"`
}

// PublicItem is an item as the portal shows it.
type PublicItem struct {
	ID           int64                  `json:"id"`
	Title        string                 `json:"title"`
	Summary      string                 `json:"summary,omitempty"`
	State        string                 `json:"state"`
	PlaceID      int64                  `json:"place_id"`
	PlaceName    string                 `json:"place_name"`
	UnitName     string                 `json:"unit_name"`
	MeetingAt    time.Time              `json:"meeting_at,omitzero"`
	Venue        string                 `json:"venue,omitempty"`
	Participants int                    `json:"participants"`
	ByKind       map[string]int         `json:"participants_by_kind,omitempty"`
	Decision     *deliberation.Decision `json:"decision,omitempty"`
	Tasks        []PublicTask           `json:"tasks,omitempty"`
	Done         int                    `json:"tasks_done"`
	Total        int                    `json:"tasks_total"`
}

func (s *Service) public(it *deliberation.Item, ts []*agenda.Task) PublicItem {
	p := PublicItem{ID: it.ID, Title: deliberation.ScrubPhones(it.Title), Summary: deliberation.ScrubPhones(it.Summary), State: it.State,
		PlaceID: it.PlaceID, PlaceName: s.placeName(it.PlaceID), UnitName: s.unitName(it.UnitID)}
	if m := it.Meeting; m != nil {
		p.MeetingAt, p.Venue, p.Participants, p.ByKind = m.At, m.Venue, len(m.Participants), deliberation.CountByKind(m.Participants)
	}
	if d := it.Decision; d != nil {
		c := *d
		c.Motion = deliberation.ScrubPhones(c.Motion)
		p.Decision = &c
	}
	for _, t := range ts {
		pt := PublicTask{Title: deliberation.ScrubPhones(t.Title), UnitName: s.unitName(t.UnitID), DueAt: t.DueAt, Done: t.State == agenda.TaskDone}
		if pt.Done {
			pt.DoneAt = t.DoneAt
			p.Done++
		}
		p.Tasks = append(p.Tasks, pt)
	}
	p.Total = len(ts)
	return p
}

// publicStates are the states the portal shows.
var publicStates = []string{deliberation.Accepted, deliberation.Scheduled, deliberation.Decided, deliberation.Closed}

// PublicList lists the public items about a place and the places under it
// (0: the whole city), newest first, with their progress (no task list).
func (s *Service) PublicList(ctx context.Context, placeID int64) ([]PublicItem, error) {
	f := deliberation.Filter{States: publicStates, Limit: 200}
	if placeID != 0 {
		p, ok := s.Place(placeID)
		if !ok {
			return nil, errs.F(errs.UnknownPlace, "place")
		}
		f.PlaceIDs = append(f.PlaceIDs, p.ID)
		if p.Level == org.LevelStreet {
			for _, c := range s.Children(p.ID) {
				f.PlaceIDs = append(f.PlaceIDs, c.ID)
			}
		}
	}
	items, err := s.St.Deliberations(ctx, f)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	pr, err := s.St.DeliberationProgress(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]PublicItem, 0, len(items))
	for _, it := range items {
		p := s.public(it, nil)
		p.Done, p.Total = pr[it.ID][0], pr[it.ID][1]
		out = append(out, p)
	}
	return out, nil
}

// PublicGet returns one public item with its tasks (errs.NotFound for a
// proposal not yet accepted, a declined one, or none).
func (s *Service) PublicGet(ctx context.Context, id int64) (PublicItem, error) {
	it, err := s.St.Deliberation(ctx, id)
	if err != nil {
		return PublicItem{}, err
	}
	if !deliberation.Public(it.State) {
		return PublicItem{}, errs.E(errs.NotFound)
	}
	ts, err := s.St.DeliberationTasks(ctx, id)
	if err != nil {
		return PublicItem{}, err
	}
	return s.public(it, ts), nil
}

// PublicPlaces lists the places that have public items, by name.
func (s *Service) PublicPlaces(ctx context.Context) ([]org.Place, error) {
	items, err := s.St.Deliberations(ctx, deliberation.Filter{States: publicStates, Limit: 2000})
	if err != nil {
		return nil, err
	}
	var out []org.Place
	for _, it := range items {
		if p, ok := s.Place(it.PlaceID); ok && !slices.ContainsFunc(out, func(x org.Place) bool { return x.ID == p.ID }) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(x, y org.Place) int { return int(x.ID - y.ID) })
	return out, nil
}

// ProposalPlaces lists the communities (and streets without communities)
// a resident may propose for.
func (s *Service) ProposalPlaces() []org.Place {
	var out []org.Place
	for _, p := range s.PlaceMap() {
		if p.Level == org.LevelCommunity {
			if _, ok := s.OwnerFor(p.ID); ok {
				out = append(out, p)
			}
		}
	}
	slices.SortFunc(out, func(x, y org.Place) int { return int(x.ID - y.ID) })
	return out
}
