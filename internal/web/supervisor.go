package web

import (
	"encoding/json"
	"net/http"
	"slices"

	"whistle/internal/casework"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
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
	var names []string
	var open, late []int
	for _, l := range slices.Backward(top) {
		names = append(names, l.Unit.Name)
		open = append(open, l.Open-l.Overdue)
		late = append(late, l.Overdue)
	}
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
	p.Data = sd
	s.render(w, 200, "supervisor", p)
}

// supervisorData returns the open cases with coordinates for the map
// (nearest deadline first, at most 500).
func (s *Server) supervisorData(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !s.mayOversee(a) {
		http.Error(w, errs.Message(errs.Forbidden, langOf(r)), 403)
		return
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	open := true
	pg, err := s.svc.Cases.List(ctx, a, lifecycle.CaseFilter{Open: &open, Sort: "due", Limit: 500})
	if err != nil {
		http.Error(w, errs.Message(errs.CodeOf(err), langOf(r)), errs.Status(errs.CodeOf(err)))
		return
	}
	type point struct {
		ID      int64   `json:"id"`
		Number  string  `json:"number"`
		Lat     float64 `json:"lat"`
		Lon     float64 `json:"lon"`
		Overdue bool    `json:"overdue"`
	}
	pts := []point{}
	for _, c := range pg.Cases {
		if c.Location.Lat != nil && c.Location.Lon != nil {
			pts = append(pts, point{ID: c.ID, Number: c.Number, Lat: *c.Location.Lat, Lon: *c.Location.Lon, Overdue: c.Overdue})
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"points": pts})
}
