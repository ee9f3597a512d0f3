package api

import (
	"net/http"
	"strings"
	"time"

	"whistle/internal/errs"
	"whistle/internal/governance"
	"whistle/internal/insight"
	"whistle/internal/org"
)

// Tasks in their owners' inboxes (topic and proactive tasks) and the
// 未诉先办 proposals the centre reviews.

// parseDay reads a YYYY-MM-DD date of field.
func parseDay(v, field string) (insight.Day, error) {
	t, err := time.Parse("2006-01-02", strings.TrimSpace(v))
	if err != nil {
		return 0, errs.F(errs.Invalid, field)
	}
	return insight.DateDay(t.Date()), nil
}

func (s *Server) myTasks(w http.ResponseWriter, r *http.Request, a org.Actor) {
	ts, err := s.svc.Insight.Inbox(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"tasks": nonNil(ts)})
}

func (s *Server) getTask(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.svc.Insight.TaskOf(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, t)
}

func (s *Server) taskDone(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err == nil {
		// out of scope is 404 whatever was sent
		_, err = s.svc.Insight.TaskOf(r.Context(), a, id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in struct {
		Note string `json:"note"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.svc.Insight.CompleteTask(r.Context(), a, id, in.Note)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, t)
}

func (s *Server) listProactive(w http.ResponseWriter, r *http.Request, a org.Actor) {
	ts, err := s.svc.Insight.Proposals(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"tasks": nonNil(ts)})
}

func (s *Server) proposeProactive(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in struct {
		From string `json:"from"`
		To   string `json:"to"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	from, err := parseDay(in.From, "from")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	to, err := parseDay(in.To, "to")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ts, err := s.svc.Insight.ProposeProactive(r.Context(), a, from, to)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 201, map[string]any{"tasks": nonNil(ts)})
}

func (s *Server) reviewProactive(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in struct {
		Approve *bool  `json:"approve"`
		Note    string `json:"note"`
		UnitID  int64  `json:"unit_id"`
		Due     string `json:"due"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Approve == nil {
		s.fail(w, r, errs.F(errs.FieldRequired, "approve"))
		return
	}
	o := governance.ReviewOverrides{UnitID: in.UnitID}
	if in.Due != "" {
		d, err := parseDay(in.Due, "due")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		y, m, dd := d.Time().Date()
		o.Due = time.Date(y, m, dd, 18, 0, 0, 0, s.svc.Insight.Location())
	}
	t, err := s.svc.Insight.ReviewProactive(r.Context(), a, id, *in.Approve, in.Note, o)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, t)
}
