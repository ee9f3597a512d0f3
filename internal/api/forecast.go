package api

import (
	"net/http"

	"whistle/internal/org"
)

// forecast answers GET /api/v1/forecast?period=month|week (issue #16): the
// requests of the current and the next period by category × street with
// their 80 % intervals, and the scope's total beside its actual counts, in
// the actor's part of the city (forecasting.ScopeOf: the city, a district
// centre's district, a street office's street; others 403).
func (s *Server) forecast(w http.ResponseWriter, r *http.Request, a org.Actor) {
	o, err := s.svc.Forecasts.Outlook(r.Context(), a, r.URL.Query().Get("period"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, o)
}
