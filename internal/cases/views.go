package cases

import (
	"crypto/subtle"

	"context"
	"slices"
	"time"
	"whistle/internal/errs"

	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
)

// Places returns the places of one level with their boundaries, sorted by id.
func (s *Service) Places(ctx context.Context, level string) ([]org.Place, error) {
	ps, err := s.st.Places(ctx, true)
	if err != nil {
		return nil, err
	}
	out := ps[:0]
	for _, p := range ps {
		if p.Level == level {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b org.Place) int { return int(a.ID - b.ID) })
	return out, nil
}

// Children returns the children of a place, sorted by id.
func (s *Service) Children(id int64) []org.Place {
	c := s.cat.Load()
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []org.Place
	for _, ch := range c.children[id] {
		out = append(out, c.places[ch])
	}
	slices.SortFunc(out, func(a, b org.Place) int { return int(a.ID - b.ID) })
	return out
}

// HandlingUnitFor suggests the unit that handles requests about a place by
// default: the street office of its street, else the district's centre
// (兜底). Zero when nothing fits. The duty list refines this.
func (s *Service) HandlingUnitFor(loc lifecycle.Location) (org.Unit, bool) {
	c := s.cat.Load()
	c.mu.RLock()
	defer c.mu.RUnlock()
	var best org.Unit
	for _, u := range c.units {
		switch {
		case loc.StreetID != 0 && u.Kind == org.KindStreet && u.PlaceID == loc.StreetID:
			if best.Kind != org.KindStreet || u.ID < best.ID {
				best = u
			}
		case loc.DistrictID != 0 && u.Kind == org.KindDistrictCentre && u.PlaceID == loc.DistrictID && best.Kind != org.KindStreet:
			if best.ID == 0 || u.ID < best.ID {
				best = u
			}
		}
	}
	return best, best.ID != 0
}

// CitizenStep is one line of the timeline a citizen sees: no internal
// notes, no staff names.
type CitizenStep struct {
	At   time.Time `json:"at"`
	Text string    `json:"text"`
}

// CitizenTimeline turns a case's events into the steps its citizen may see.
func (s *Service) CitizenTimeline(evs []lifecycle.Event, lang string) []CitizenStep {
	en := lang == "en"
	var steps []CitizenStep
	for _, e := range evs {
		if t := s.citizenText(e, en); t != "" {
			steps = append(steps, CitizenStep{At: e.At.In(s.cfg.Loc), Text: t})
		}
	}
	return steps
}

func (s *Service) citizenText(e lifecycle.Event, en bool) string {
	unitName := func() string {
		if id, ok := e.Data["unit_id"].(float64); ok {
			if u, ok := s.Unit(int64(id)); ok {
				return u.Name
			}
		}
		return ""
	}
	pick := func(zh, eng string) string {
		if en {
			return eng
		}
		return zh
	}
	switch e.Action {
	case lifecycle.ActCreate:
		return pick("您的诉求已提交", "Your request was submitted")
	case lifecycle.ActAccept:
		return pick("热线中心已受理", "The hotline centre accepted your request")
	case lifecycle.ActAnswer:
		return pick("热线中心已直接答复：", "The hotline centre answered: ") + e.Note
	case lifecycle.ActDispatch:
		return pick("已派至 ", "Sent to ") + unitName() + pick(" 办理", " for handling")
	case lifecycle.ActApproveReturn:
		if n := unitName(); n != "" {
			return pick("已改派至 ", "Re-sent to ") + n + pick(" 办理", " for handling")
		}
		return pick("热线中心正在重新派单", "The centre is re-dispatching your request")
	case lifecycle.ActSign:
		return pick("承办单位已签收", "The handling unit signed for it")
	case lifecycle.ActContact:
		if e.FromState == lifecycle.Signed {
			return pick("承办单位已与您联系", "The handling unit contacted you")
		}
	case lifecycle.ActApproveExtension:
		return pick("办理期限已延长", "The reply deadline was extended")
	case lifecycle.ActReply:
		return pick("承办单位已答复：", "The handling unit replied: ") + e.Note
	case lifecycle.ActCallback:
		if e.Data["reopen"] == true {
			return pick("根据您的回访意见，已重新交办", "Sent back for another round after your feedback")
		}
		return pick("回访完成，诉求已办结", "Callback done; the request is closed")
	case lifecycle.ActClose:
		return pick("诉求已办结", "The request is closed")
	case lifecycle.ActMerge:
		return pick("与相同诉求合并办理", "Merged with the same request from others; you will get its answer")
	}
	return ""
}

// Dashboard is what a supervisor sees first: open and overdue orders by
// unit, and today's intake, within the actor's scope.
type Dashboard struct {
	Units       []store.UnitLoad `json:"units"`
	TodayIntake int              `json:"today_intake"`
	Open        int              `json:"open"`
	Overdue     int              `json:"overdue"`
}

// Dashboard computes the supervisor's dashboard.
func (s *Service) Dashboard(ctx context.Context, a org.Actor) (Dashboard, error) {
	now := s.Now()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, s.cfg.Loc)
	loads, intake, err := s.st.UnitLoads(ctx, org.ScopeOf(a), day, now)
	if err != nil {
		return Dashboard{}, err
	}
	d := Dashboard{Units: loads, TodayIntake: intake}
	for _, l := range loads {
		d.Open += l.Open
		d.Overdue += l.Overdue
	}
	return d, nil
}

// PublicFigures are the city's figures for one month that anyone may see.
type PublicFigures struct {
	Month    string         `json:"month"`
	Received int            `json:"received"`
	Closed   int            `json:"closed"`
	ByType   map[string]int `json:"by_type"`
}

// MonthFigures computes the public figures of the month containing t.
func (s *Service) MonthFigures(ctx context.Context, t time.Time) (PublicFigures, error) {
	t = t.In(s.cfg.Loc)
	from := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, s.cfg.Loc)
	to := from.AddDate(0, 1, 0)
	f, err := s.st.MonthFigures(ctx, from, to)
	if err != nil {
		return PublicFigures{}, err
	}
	return PublicFigures{Month: from.Format("2006-01"), Received: f.Received, Closed: f.Closed, ByType: f.ByType}, nil
}

// RateAnswer records a citizen's own verdict on a replied request from the
// portal (number + phone, as for a look-up): it is the callback (回访). An
// unsatisfied verdict sends the request back (重办) while the reopen limit
// allows, and closes it otherwise.
func (s *Service) RateAnswer(ctx context.Context, number, phone string, resolved bool, satisfaction string) (*lifecycle.Case, error) {
	p, err := NormalizePhone(phone)
	if err != nil {
		return nil, errs.E(errs.NotFound)
	}
	c, err := s.st.CaseByNumber(ctx, number, org.Scope{All: true})
	if err != nil {
		return nil, err
	}
	if c.Citizen.PhoneHash == "" || subtle.ConstantTimeCompare([]byte(c.Citizen.PhoneHash), []byte(s.phones.Hash(p))) != 1 {
		return nil, errs.E(errs.NotFound)
	}
	in := ActInput{Action: lifecycle.ActCallback, Resolved: &resolved, Satisfaction: satisfaction,
		Reopen: satisfaction == lifecycle.Unsatisfied && c.ReopenCount < s.cfg.ReopenLimit}
	out, _, err := s.act(ctx, Citizen(), org.Scope{All: true}, c.ID, in)
	return out, err
}

// Validate checks a new request as Create would, without storing anything
// (so that uploads are only kept for a request that will be taken).
func (s *Service) Validate(in NewCase) error {
	_, err := s.build(in)
	return err
}

// LocationOf returns the district/street/community/grid chain of a place.
func (s *Service) LocationOf(placeID int64) (lifecycle.Location, bool) {
	ch, ok := s.cat.Load().chain(placeID)
	if !ok {
		return lifecycle.Location{}, false
	}
	return lifecycle.Location{DistrictID: ch[0], StreetID: ch[1], CommunityID: ch[2], GridID: ch[3]}, true
}

// PlaceByAddress places a request that has an address but no coordinates or
// place: a confident gazetteer match gives its coordinates when known, else
// its place. Below the threshold the request is left as it is.
func (s *Service) PlaceByAddress(ctx context.Context, in *NewCase) {
	if in.Lat != nil || in.PlaceID != 0 || in.Address == "" {
		return
	}
	res, err := s.Geocode(ctx, in.Address, 1)
	if err != nil || res.Match == nil {
		return
	}
	if res.Match.Lat != nil && res.Match.Lon != nil {
		in.Lat, in.Lon = res.Match.Lat, res.Match.Lon
		return
	}
	in.PlaceID = res.Match.PlaceID
}
