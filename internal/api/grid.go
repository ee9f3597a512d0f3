package api

import (
	"net/http"
	"time"

	"whistle/internal/errs"
	"whistle/internal/grid"
	"whistle/internal/org"
)

func (s *Server) assignGrid(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in struct {
		UserID int64  `json:"user_id"`
		Duty   string `json:"duty"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	g, err := s.svc.Patrols.AssignGrid(r.Context(), a, id, in.UserID, in.Duty)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 201, g)
}

func (s *Server) listGridAssignments(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	gs, err := s.svc.Patrols.GridAssignments(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"assignments": gs})
}

func (s *Server) startPatrol(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in struct {
		GridID int64  `json:"grid_id"`
		Note   string `json:"note"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.svc.Patrols.StartPatrol(r.Context(), a, in.GridID, in.Note)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 201, p)
}

func (s *Server) getPatrol(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, pts, fs, err := s.svc.Patrols.Patrol(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"patrol": p, "points": pts, "findings": fs})
}

func (s *Server) patrolPositions(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.svc.Patrols.CheckOwn(r.Context(), a, id); err != nil { // scope before body
		s.fail(w, r, err)
		return
	}
	var in struct {
		Points []grid.Point `json:"points"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.svc.Patrols.AddPositions(r.Context(), a, id, in.Points)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, p)
}

func (s *Server) patrolFinding(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.svc.Patrols.CheckOwn(r.Context(), a, id); err != nil { // scope before body
		s.fail(w, r, err)
		return
	}
	var in grid.FindingInput
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	f, c, err := s.svc.Patrols.ReportFinding(r.Context(), a, id, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 201, map[string]any{"finding": f, "case": c})
}

func (s *Server) endPatrol(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.svc.Patrols.EndPatrol(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, p)
}

func (s *Server) gridCoverage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var from, to time.Time
	if q := r.URL.Query(); q.Get("from") != "" || q.Get("to") != "" {
		p, err := s.svc.Ranking.AssessRangePeriod(q.Get("from"), q.Get("to"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		from, to = p.From, p.To
	}
	cov, err := s.svc.Patrols.Coverage(r.Context(), a, from, to)
	if err != nil {
		s.fail(w, r, errs.Wrap(err))
		return
	}
	writeJSON(w, 200, map[string]any{"streets": cov})
}
