package api

import (
	"net/http"
	"strconv"

	"whistle/internal/dispatch"
	"whistle/internal/org"
)

// searchKnowledge: GET /knowledge?q=&category=&at=&all=&limit=
func (s *Server) searchKnowledge(w http.ResponseWriter, r *http.Request, a org.Actor) {
	q := r.URL.Query()
	at, err := queryTime(r, "at", s.svc.Location())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	all, err := queryBool(r, "all")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	limit, err := queryInt(r, "limit", 1, 100)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	hs, err := s.svc.Dispatch.SearchKnowledge(r.Context(), a, dispatch.KnowledgeQuery{Text: q.Get("q"), Category: q.Get("category"), At: at, All: all != nil && *all, Limit: limit})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"hits": hs})
}

func (s *Server) suggestKnowledge(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in struct {
		Text     string `json:"text"`
		Category string `json:"category,omitempty"`
		Limit    int    `json:"limit,omitempty"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Limit < 0 || in.Limit > 100 {
		in.Limit = 0
	}
	hs, err := s.svc.Dispatch.SuggestArticles(r.Context(), a, in.Text, in.Category, in.Limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"hits": hs})
}

func (s *Server) createArticle(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in dispatch.ArticleInput
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	art, err := s.svc.Dispatch.CreateArticle(r.Context(), a, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/knowledge/"+strconv.FormatInt(art.ID, 10))
	writeJSON(w, http.StatusCreated, art)
}

func (s *Server) getArticle(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	art, err := s.svc.Dispatch.Article(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, art)
}

func (s *Server) putArticle(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in dispatch.ArticleInput
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	art, err := s.svc.Dispatch.UpdateArticle(r.Context(), a, id, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, art)
}

func (s *Server) deleteArticle(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.svc.Dispatch.DeleteArticle(r.Context(), a, id); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
