package api

import (
	"net/http"
	"strconv"

	"whistle/internal/deliberations"
	"whistle/internal/errs"
	"whistle/internal/org"
)

// 议事协商 (issue #15): the street's items and their steps, and the
// public view and residents' proposals (rate-limited per address).

func (s *Server) listDeliberations(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var states []string
	if st := r.URL.Query().Get("state"); st != "" {
		states = []string{st}
	}
	items, err := s.svc.Deliberations.List(r.Context(), a, states...)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if items == nil {
		items = []deliberations.Summary{}
	}
	writeJSON(w, 200, map[string]any{"deliberations": items})
}

func (s *Server) raiseDeliberation(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in deliberations.RaiseInput
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.svc.Deliberations.Raise(r.Context(), a, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 201, v)
}

func (s *Server) getDeliberation(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.svc.Deliberations.Get(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, v)
}

func (s *Server) revealDeliberation(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.svc.Deliberations.Reveal(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, v)
}

// deliberationStep answers POST /deliberations/{id}/{accept|decline|
// schedule|decide|tasks|close}: each body carries the version read.
func (s *Server) deliberationStep(step string) func(http.ResponseWriter, *http.Request, org.Actor) {
	return func(w http.ResponseWriter, r *http.Request, a org.Actor) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d, ctx := s.svc.Deliberations, r.Context()
		var v *deliberations.View
		switch step {
		case "accept", "close":
			var in struct {
				Version int64 `json:"version"`
			}
			if err := decode(w, r, &in); err != nil {
				s.fail(w, r, err)
				return
			}
			if step == "accept" {
				v, err = d.Accept(ctx, a, id, in.Version)
			} else {
				v, err = d.Close(ctx, a, id, in.Version)
			}
		case "decline":
			var in struct {
				Version int64  `json:"version"`
				Reason  string `json:"reason"`
			}
			if err := decode(w, r, &in); err != nil {
				s.fail(w, r, err)
				return
			}
			v, err = d.Decline(ctx, a, id, in.Version, in.Reason)
		case "schedule":
			var in deliberations.MeetingInput
			if err := decode(w, r, &in); err != nil {
				s.fail(w, r, err)
				return
			}
			v, err = d.Schedule(ctx, a, id, in)
		case "decide":
			var in deliberations.DecisionInput
			if err := decode(w, r, &in); err != nil {
				s.fail(w, r, err)
				return
			}
			v, err = d.Decide(ctx, a, id, in)
		case "tasks":
			var in struct {
				Version int64                     `json:"version"`
				Tasks   []deliberations.TaskInput `json:"tasks"`
			}
			if err := decode(w, r, &in); err != nil {
				s.fail(w, r, err)
				return
			}
			v, err = d.AddTasks(ctx, a, id, in.Version, in.Tasks)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, 200, v)
	}
}

func (s *Server) publicDeliberations(w http.ResponseWriter, r *http.Request) {
	var place int64
	if v := r.URL.Query().Get("place"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			s.fail(w, r, errs.F(errs.Invalid, "place"))
			return
		}
		place = n
	}
	items, err := s.svc.Deliberations.PublicList(r.Context(), place)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"deliberations": items})
}

func (s *Server) publicDeliberation(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	it, err := s.svc.Deliberations.PublicGet(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, it)
}

func (s *Server) proposeDeliberation(w http.ResponseWriter, r *http.Request) {
	var in deliberations.ProposeInput
	ip, ok := s.publicBody(w, r, &in, maxJSON)
	if !ok {
		return
	}
	id, err := s.svc.Deliberations.Propose(r.Context(), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.submitted(ip)
	writeJSON(w, 201, map[string]any{"id": id, "state": "proposed"})
}
