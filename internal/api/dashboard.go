package api

import (
	"net/http"

	"whistle/internal/org"
)

// dashboard answers GET /api/v1/dashboard: the centre's live picture
// (governance.Dashboard), for centre staff and analysts.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, a org.Actor) {
	d, err := s.svc.Insight.Dashboard(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, d)
}
