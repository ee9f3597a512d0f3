package web

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"

	"whistle/internal/casework"
	"whistle/internal/errs"
	"whistle/internal/org"
)

type unitLine struct {
	Unit    org.Unit
	Open    int
	Overdue int
}

type supervisorData struct {
	D     casework.Dashboard
	Lines []unitLine
	Chart string
	// Drill holds, bar by bar, where a click on the chart leads ("" = nowhere):
	// the unit's open orders for the first series, its overdue ones for the second.
	Drill string
	// CentreHref is where the centre's own backlog (not yet dispatched) is worked.
	CentreHref string
	// District is the place the map zooms to (0 = the city).
	District int64
	// Forecast is a street office's forecasts for its street (issue #16):
	// the centre and the districts have them on the workbench, which a
	// street office cannot open; nil for everyone else.
	Forecast *forecastView
}

func (s *Server) mayOversee(a org.Actor) bool {
	return a.User.Has(org.RoleSupervisor, org.RoleDispatcher, org.RoleAnalyst, org.RoleAdmin, org.RoleLeader)
}

// supervisorPage: open and overdue orders by unit, today's intake, a map of
// open cases; every unit and number drills down to the cases.
func (s *Server) supervisorPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "supervisor.title")
	if !s.mayOversee(a) {
		s.errorPage(w, r, 403, errs.Message(errs.Forbidden, p.Lang))
		return
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	d, err := s.svc.Cases.Dashboard(ctx, a)
	if err != nil {
		s.render(w, s.explain(p, err), "supervisor", p)
		return
	}
	sd := supervisorData{D: d}
	for _, l := range d.Units {
		u, ok := s.svc.Unit(l.UnitID)
		if !ok {
			u = org.Unit{Name: s.cat.T(p.Lang, "supervisor.at_centre")}
		}
		sd.Lines = append(sd.Lines, unitLine{Unit: u, Open: l.Open, Overdue: l.Overdue})
	}
	top := sd.Lines
	if len(top) > 15 {
		top = top[:15]
	}
	switch {
	case a.User.Has(org.RoleAgent, org.RoleDispatcher) && a.Unit.IsCentre():
		sd.CentreHref = "/queue"
	case a.User.Has(org.RoleDispatcher, org.RoleSupervisor):
		sd.CentreHref = "/review?tab=received"
	}
	if sc := org.ScopeOf(a); !sc.All {
		sd.District = sc.DistrictID
	}
	var names []string
	var open, late []int
	var drillOpen, drillLate []string
	for _, l := range slices.Backward(top) {
		names = append(names, l.Unit.Name)
		open = append(open, l.Open-l.Overdue)
		late = append(late, l.Overdue)
		if l.Unit.ID == 0 {
			drillOpen, drillLate = append(drillOpen, sd.CentreHref), append(drillLate, sd.CentreHref)
			continue
		}
		base := "/cases?unit=" + strconv.FormatInt(l.Unit.ID, 10)
		drillOpen, drillLate = append(drillOpen, base+"&show=open"), append(drillLate, base+"&show=overdue")
	}
	drill, _ := json.Marshal([][]string{drillOpen, drillLate})
	sd.Drill = string(drill)
	chart := map[string]any{
		"tooltip": map[string]any{"trigger": "axis"},
		"legend":  map[string]any{"data": []string{s.cat.T(p.Lang, "supervisor.open_ok"), s.cat.T(p.Lang, "supervisor.overdue")}},
		"grid":    map[string]any{"left": 160, "right": 20},
		"xAxis":   map[string]any{"type": "value"},
		"yAxis":   map[string]any{"type": "category", "data": names},
		"series": []any{
			map[string]any{"name": s.cat.T(p.Lang, "supervisor.open_ok"), "type": "bar", "data": open, "itemStyle": map[string]any{"color": "#1a5fd0"}},
			map[string]any{"name": s.cat.T(p.Lang, "supervisor.overdue"), "type": "bar", "data": late, "itemStyle": map[string]any{"color": "#c8102e"}},
		},
	}
	b, _ := json.Marshal(chart)
	sd.Chart = string(b)
	if sc, err := s.svc.Forecasts.ScopeOf(a); err == nil && sc.StreetID != 0 {
		sd.Forecast = s.forecastFor(ctx, a, p.Lang)
	}
	p.Data = sd
	s.render(w, 200, "supervisor", p)
}

// supervisorData returns every open order in scope with coordinates for
// the map, with how many there are (casework.OpenOrderMap).
func (s *Server) supervisorData(w http.ResponseWriter, r *http.Request, a org.Actor) {
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	m, err := s.svc.Cases.OpenOrderMap(ctx, a)
	if err != nil {
		http.Error(w, errs.Message(errs.CodeOf(err), langOf(r)), errs.Status(errs.CodeOf(err)))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(m)
}
