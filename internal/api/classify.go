package api

import (
	"net/http"

	"whistle/internal/classify"
	"whistle/internal/dispatch"
	"whistle/internal/errs"
	"whistle/internal/org"
)

// classify answers the categories a request's text is most probably about.
func (s *Server) classify(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in struct {
		Text string `json:"text"`
		K    int    `json:"k"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	sug, version, err := s.svc.Dispatch.Classify(r.Context(), in.Text, in.K)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if sug == nil {
		sug = []classify.Suggestion{}
	}
	writeJSON(w, 200, map[string]any{"suggestions": sug, "model_version": version})
}

// classifierInfo is the current model, the stored versions and the
// auto-dispatch settings.
func (s *Server) classifierInfo(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var model *classify.StoredModel
	if m, err := s.svc.Dispatch.Classifier(r.Context()); err == nil {
		model = &m
	} else if !errs.Is(err, errs.NoModel) {
		s.fail(w, r, err)
		return
	}
	versions, err := s.svc.Dispatch.ClassifierVersions(r.Context(), 20)
	if err != nil {
		s.fail(w, r, errs.Wrap(err))
		return
	}
	if versions == nil {
		versions = []classify.StoredModel{}
	}
	settings, err := s.svc.Dispatch.AutoDispatchSettings(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"model": model, "versions": versions, "auto_dispatch": settings})
}

func (s *Server) trainClassifier(w http.ResponseWriter, r *http.Request, a org.Actor) {
	m, err := s.svc.Dispatch.RetrainClassifier(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 201, m)
}

func (s *Server) putAutoDispatch(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in struct {
		Settings []dispatch.AutoDispatchSetting `json:"settings"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.svc.Dispatch.SetAutoDispatch(r.Context(), a, in.Settings)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"settings": out})
}
