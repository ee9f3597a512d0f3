package casework

import (
	"crypto/subtle"

	"context"
	"time"
	"whistle/internal/core"
	"whistle/internal/errs"

	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

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
			steps = append(steps, CitizenStep{At: e.At.In(s.Cfg.Loc), Text: t})
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
	Units       []lifecycle.UnitLoad `json:"units"`
	TodayIntake int                  `json:"today_intake"`
	Open        int                  `json:"open"`
	Overdue     int                  `json:"overdue"`
}

// Dashboard computes the supervisor's dashboard.
func (s *Service) Dashboard(ctx context.Context, a org.Actor) (Dashboard, error) {
	now := s.Now()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, s.Cfg.Loc)
	loads, intake, err := s.St.UnitLoads(ctx, org.ScopeOf(a), day, now)
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

// MaxMapPoints is how many open orders the supervisor's map draws at most;
// OrderMap says when it drew fewer than it has.
const MaxMapPoints = 20000

// MapPoint is one open order on the map.
type MapPoint struct {
	ID      int64   `json:"id"`
	Number  string  `json:"number"`
	Lat     float64 `json:"lat"`
	Lon     float64 `json:"lon"`
	Overdue bool    `json:"overdue"`
}

// OrderMap is every open order in the actor's scope that has coordinates.
type OrderMap struct {
	Points []MapPoint `json:"points"`
	// Open counts the open orders in scope, Located those with
	// coordinates; Points holds Located of them unless over MaxMapPoints
	// (then Capped, and the nearest deadlines first).
	Open    int  `json:"open"`
	Located int  `json:"located"`
	Capped  bool `json:"capped"`
	// DistrictID is the district the map shows (a district supervisor's);
	// 0 = the whole city.
	DistrictID int64 `json:"district_id,omitempty"`
}

// mayOversee: the roles that watch the open orders of their scope.
func mayOversee(a org.Actor) bool {
	return a.User.Has(org.RoleSupervisor, org.RoleDispatcher, org.RoleAnalyst, org.RoleAdmin, org.RoleLeader)
}

// OpenOrderMap returns the open orders in the actor's scope with their
// coordinates, for the supervisor's map, nearest deadline first.
func (s *Service) OpenOrderMap(ctx context.Context, a org.Actor) (OrderMap, error) {
	if !mayOversee(a) {
		return OrderMap{}, errs.E(errs.Forbidden)
	}
	sc := org.ScopeOf(a)
	m := OrderMap{Points: []MapPoint{}}
	if !sc.All {
		m.DistrictID = sc.DistrictID
	}
	open := true
	f := lifecycle.CaseFilter{Open: &open, Sort: "due", Limit: 200}
	for {
		pg, err := s.St.Cases(ctx, sc, f)
		if err != nil {
			return OrderMap{}, err
		}
		for _, c := range pg.Cases {
			m.Open++
			if c.Location.Lat == nil || c.Location.Lon == nil {
				continue
			}
			m.Located++
			if len(m.Points) >= MaxMapPoints {
				m.Capped = true
				continue
			}
			m.Points = append(m.Points, MapPoint{ID: c.ID, Number: c.Number, Lat: *c.Location.Lat, Lon: *c.Location.Lon, Overdue: c.Overdue})
		}
		if pg.Next == "" {
			return m, nil
		}
		f.Cursor = pg.Next
	}
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
	t = t.In(s.Cfg.Loc)
	from := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, s.Cfg.Loc)
	to := from.AddDate(0, 1, 0)
	f, err := s.St.MonthFigures(ctx, from, to)
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
	c, err := s.St.CaseByNumber(ctx, number, org.Scope{All: true})
	if err != nil {
		return nil, err
	}
	if c.Citizen.PhoneHash == "" || subtle.ConstantTimeCompare([]byte(c.Citizen.PhoneHash), []byte(s.PhoneHash(p))) != 1 {
		return nil, errs.E(errs.NotFound)
	}
	in := ActInput{Action: lifecycle.ActCallback, Resolved: &resolved, Satisfaction: satisfaction,
		Reopen: satisfaction == lifecycle.Unsatisfied && c.ReopenCount < s.Cfg.ReopenLimit}
	out, _, err := s.act(ctx, core.Citizen(), org.Scope{All: true}, c.ID, in)
	return out, err
}

// Validate checks a new request as Create would, without storing anything
// (so that uploads are only kept for a request that will be taken).
func (s *Service) Validate(in NewCase) error {
	_, err := s.Build(in)
	return err
}

// PlaceByAddress places a request that has an address but no coordinates or
// place: a confident gazetteer match gives its place, and Build an
// approximate point for it (the entry's, else the place's). Below the
// threshold the request is left as it is.
func (s *Service) PlaceByAddress(ctx context.Context, in *NewCase) {
	if in.Lat != nil || in.PlaceID != 0 || in.Address == "" {
		return
	}
	res, err := s.Geocode(ctx, in.Address, 1)
	if err != nil || res.Match == nil {
		return
	}
	in.PlaceID = res.Match.PlaceID
}

// Counts returns the number of cases in each state and of open overdue
// cases, city-wide (for the operators' metrics).
func (s *Service) Counts(ctx context.Context) (map[string]int64, int64, error) {
	byState, err := s.St.CountByState(ctx)
	if err != nil {
		return nil, 0, err
	}
	overdue, err := s.St.CountOverdue(ctx)
	return byState, overdue, err
}
