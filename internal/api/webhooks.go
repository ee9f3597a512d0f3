package api

import (
	"net/http"

	"whistle/internal/delivery"
	"whistle/internal/org"
)

// Webhooks (issue #13): administrators manage the subscribers of the
// outbox, look at deliveries and dead letters, and replay them.

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request, a org.Actor) {
	hs, err := s.svc.Events.Webhooks(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, hs)
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in delivery.WebhookInput
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	h, err := s.svc.Events.CreateWebhook(r.Context(), a, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 201, h)
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h, err := s.svc.Events.Webhook(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, h)
}

func (s *Server) putWebhook(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in delivery.WebhookInput
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	h, err := s.svc.Events.UpdateWebhook(r.Context(), a, id, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, h)
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.svc.Events.DeleteWebhook(r.Context(), a, id); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) webhookDeliveries(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	limit, err := queryInt(r, "limit", 1, 500)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ds, err := s.svc.Events.Deliveries(r.Context(), a, id, r.URL.Query().Get("state"), limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, ds)
}

// replayWebhook replays the webhook's dead letters: one (delivery_id) or
// all (no body, or delivery_id 0).
func (s *Server) replayWebhook(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in struct {
		DeliveryID int64 `json:"delivery_id"`
	}
	if r.ContentLength != 0 {
		if err := decode(w, r, &in); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	n, err := s.svc.Events.Replay(r.Context(), a, id, in.DeliveryID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]int64{"replayed": n})
}
