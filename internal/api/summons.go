package api

import (
	"net/http"

	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/summons"
)

func (s *Server) raiseWhistle(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in summons.Raise
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	wh, err := s.svc.Whistles.RaiseWhistle(r.Context(), a, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 201, wh)
}

func (s *Server) listWhistles(w http.ResponseWriter, r *http.Request, a org.Actor) {
	ws, err := s.svc.Whistles.Whistles(r.Context(), a, r.URL.Query().Get("as"), r.URL.Query().Get("state"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"whistles": ws})
}

func (s *Server) getWhistle(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	wh, log, err := s.svc.Whistles.Whistle(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"whistle": wh, "log": log})
}

// WhistleActions are the actions exposed as POST /whistles/{id}/<action>.
var WhistleActions = []string{summons.ActAck, summons.ActArrive, summons.ActAct, summons.ActReport, summons.ActLeave, summons.ActClose}

func (s *Server) whistleAct(action string) func(http.ResponseWriter, *http.Request, org.Actor) {
	return func(w http.ResponseWriter, r *http.Request, a org.Actor) {
		id, err := pathID(r, "id")
		if err == nil {
			// The whistle through the scoped read before the body: out of
			// scope is 404 whatever was sent.
			_, _, err = s.svc.Whistles.Whistle(r.Context(), a, id)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		var in summons.Input
		if err := decode(w, r, &in); err != nil {
			s.fail(w, r, err)
			return
		}
		wh, err := s.svc.Whistles.WhistleAct(r.Context(), a, id, action, in)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, 200, wh)
	}
}

func (s *Server) summonsStats(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p, err := s.assessPeriod(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	st, err := s.svc.Whistles.SummonsStats(r.Context(), a, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, st)
}

func (s *Server) getSummonsConfig(w http.ResponseWriter, r *http.Request, a org.Actor) {
	c, err := s.svc.Whistles.SummonsConfig(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, c)
}

func (s *Server) putSummonsConfig(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var c summons.Config
	if err := decode(w, r, &c); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(c.ReportMinutes) == 0 {
		s.fail(w, r, errs.F(errs.FieldRequired, "report_minutes"))
		return
	}
	if err := s.svc.Whistles.SetSummonsConfig(r.Context(), a, c); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, c)
}
