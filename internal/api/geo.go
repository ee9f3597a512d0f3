package api

import (
	"net/http"
	"strconv"

	"whistle/internal/errs"
	"whistle/internal/gazetteer"
	"whistle/internal/org"
)

// Jurisdiction, geocoding, gazetteer and boundary import.

// maxBoundaries bounds a boundary import body (a city's grids with detailed rings).
const maxBoundaries = 256 << 20

func (s *Server) importBoundaries(w http.ResponseWriter, r *http.Request, a org.Actor) {
	dry, err := queryBool(r, "dry_run")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	tol := 0.0
	if v := r.URL.Query().Get("tolerance_m2"); v != "" {
		if tol, err = strconv.ParseFloat(v, 64); err != nil {
			s.fail(w, r, errs.F(errs.Invalid, "tolerance_m2"))
			return
		}
	}
	// Administrators only: the route's gate refuses anyone else before the
	// body is read; ImportBoundaries checks again.
	b, err := readAll(r, maxBoundaries)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rep, err := s.svc.ImportBoundaries(r.Context(), a, b, dry != nil && *dry, tol)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, rep)
}

func (s *Server) jurisdiction(w http.ResponseWriter, r *http.Request, a org.Actor) {
	lat, err1 := strconv.ParseFloat(r.URL.Query().Get("lat"), 64)
	lon, err2 := strconv.ParseFloat(r.URL.Query().Get("lon"), 64)
	if err1 != nil || err2 != nil {
		s.fail(w, r, errs.F(errs.InvalidLocation, "lat"))
		return
	}
	j, err := s.svc.Jurisdiction(lat, lon)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, j)
}

func (s *Server) geocode(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if org.ScopeOf(a).None {
		s.fail(w, r, errs.E(errs.Forbidden))
		return
	}
	q := r.URL.Query()
	limit, threshold := 0, 0.0
	var err error
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 {
			s.fail(w, r, errs.F(errs.Invalid, "limit"))
			return
		}
	}
	if v := q.Get("threshold"); v != "" {
		if threshold, err = strconv.ParseFloat(v, 64); err != nil || threshold <= 0 {
			s.fail(w, r, errs.F(errs.Invalid, "threshold"))
			return
		}
	}
	res, err := s.svc.GeocodeThreshold(r.Context(), q.Get("q"), limit, threshold)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, res)
}

func (s *Server) listGazetteer(w http.ResponseWriter, r *http.Request, a org.Actor) {
	es, err := s.svc.GazetteerEntries(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"entries": es, "stats": s.svc.GazetteerStats()})
}

// gazetteerInput is what an admin sends to add an entry.
type gazetteerInput struct {
	Kind    string   `json:"kind"`
	Name    string   `json:"name"`
	Aliases []string `json:"aliases"`
	PlaceID int64    `json:"place_id"`
	Lat     *float64 `json:"lat"`
	Lon     *float64 `json:"lon"`
	NumFrom int      `json:"num_from"`
	NumTo   int      `json:"num_to"`
}

func (s *Server) addGazetteer(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in gazetteerInput
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	e, err := s.svc.AddGazetteerEntry(r.Context(), a, gazetteer.Entry{Kind: in.Kind, Name: in.Name, Aliases: in.Aliases,
		PlaceID: in.PlaceID, Lat: in.Lat, Lon: in.Lon, NumFrom: in.NumFrom, NumTo: in.NumTo})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 201, e)
}

func (s *Server) deleteGazetteer(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.svc.DeleteGazetteerEntry(r.Context(), a, id); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) rebuildGazetteer(w http.ResponseWriter, r *http.Request, a org.Actor) {
	st, err := s.svc.RebuildGazetteer(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, st)
}
