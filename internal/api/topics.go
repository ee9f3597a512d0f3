package api

import (
	"net/http"

	"whistle/internal/governance"
	"whistle/internal/org"
)

// 每月一题 topics (governance): list, create, read, edit, add tasks, close,
// tracking and the monthly report's data.

func (s *Server) listTopics(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var states []string
	if st := r.URL.Query().Get("state"); st != "" {
		states = []string{st}
	}
	ts, err := s.svc.Insight.Topics(r.Context(), a, states...)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"topics": ts})
}

func (s *Server) createTopic(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in governance.TopicInput
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.svc.Insight.CreateTopic(r.Context(), a, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 201, v)
}

func (s *Server) getTopic(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.svc.Insight.Topic(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, v)
}

func (s *Server) patchTopic(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in governance.TopicPatch
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.svc.Insight.UpdateTopic(r.Context(), a, id, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, t)
}

func (s *Server) addTopicTask(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in governance.TaskInput
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.svc.Insight.AddTask(r.Context(), a, id, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 201, t)
}

func (s *Server) closeTopic(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in struct {
		Note string `json:"note"`
	}
	if r.ContentLength != 0 {
		if err := decode(w, r, &in); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	t, err := s.svc.Insight.CloseTopic(r.Context(), a, id, in.Note)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, t)
}

func (s *Server) topicTracking(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	tr, err := s.svc.Insight.Track(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, tr)
}

func (s *Server) topicReport(w http.ResponseWriter, r *http.Request, a org.Actor) {
	rep, err := s.svc.Insight.ReportData(r.Context(), a, r.URL.Query().Get("month"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, rep)
}
