package api

import (
	"net/http"
	"strconv"

	"whistle/internal/compound"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/property"
)

// Property services (物业, issue #15): managed compounds, the property
// board and residents' ratings.

func (s *Server) listCompounds(w http.ResponseWriter, r *http.Request, a org.Actor) {
	cs, err := s.svc.Property.Compounds(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"compounds": cs})
}

func (s *Server) createCompound(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in compound.Compound
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	in.ID = 0
	v, err := s.svc.Property.SaveCompound(r.Context(), a, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/compounds/"+strconv.FormatInt(v.ID, 10))
	writeJSON(w, http.StatusCreated, v)
}

func (s *Server) putCompound(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(w, r, errs.F(errs.NotFound, "id"))
		return
	}
	var in compound.Compound
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	in.ID = id
	v, err := s.svc.Property.SaveCompound(r.Context(), a, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, v)
}

func (s *Server) propertyBoard(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p, err := s.svc.Ranking.AssessMonthPeriod(r.URL.Query().Get("month"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b, err := s.svc.Property.Board(r.Context(), a, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, b)
}

func (s *Server) publicCompounds(w http.ResponseWriter, r *http.Request) {
	cs, err := s.svc.Property.PublicCompounds(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if cs == nil {
		cs = []property.PublicCompound{}
	}
	writeJSON(w, 200, map[string]any{"compounds": cs})
}

// publicPropertyRate takes a resident's rating of their property company
// (rate-limited like the portal's submissions).
func (s *Server) publicPropertyRate(w http.ResponseWriter, r *http.Request) {
	var in property.RateInput
	ip, ok := s.publicBody(w, r, &in, maxJSON)
	if !ok {
		return
	}
	rt, err := s.svc.Property.Rate(r.Context(), in)
	s.submitted(ip)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, rt)
}
