package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"whistle/internal/dispatch"
	"whistle/internal/knowledge"
	"whistle/internal/org"
)

// ---- knowledge base (知识库) ----

type kbData struct {
	Tabs  []adminLink
	Q     string
	All   bool
	Hits  []kbRow
	Units []org.Unit
	Edit  int64 // the article being edited (0 = a new one)
}

type kbRow struct {
	knowledge.Article
	Score    float64
	State    string // valid, expired, pending
	From, To string // validity as dates ("" = open)
}

const kbDate = "2006-01-02"

// kbRows shows validity as dates: ValidTo is exclusive, so the last day
// shown is the day before.
func (s *Server) kbRows(hits []knowledge.Hit) []kbRow {
	loc, now := s.svc.Location(), s.svc.Now()
	out := make([]kbRow, 0, len(hits))
	for _, h := range hits {
		r := kbRow{Article: h.Article, Score: h.Score, State: "valid"}
		if !h.Article.ValidFrom.IsZero() {
			r.From = h.Article.ValidFrom.In(loc).Format(kbDate)
		}
		if !h.Article.ValidTo.IsZero() {
			r.To = h.Article.ValidTo.Add(-time.Millisecond).In(loc).Format(kbDate)
		}
		switch {
		case !h.Article.ValidTo.IsZero() && !now.Before(h.Article.ValidTo):
			r.State = "expired"
		case !h.Article.ValidFrom.IsZero() && now.Before(h.Article.ValidFrom):
			r.State = "pending"
		}
		out = append(out, r)
	}
	return out
}

func (s *Server) kbRender(w http.ResponseWriter, r *http.Request, a org.Actor, p *page, status int, edit int64) {
	q := r.URL.Query()
	d := &kbData{Tabs: dispatchTabs(a, "/admin/kb"), Q: strings.TrimSpace(q.Get("q")), All: q.Get("all") == "1", Units: s.svc.UnitsList(), Edit: edit}
	hits, err := s.svc.Dispatch.SearchKnowledge(r.Context(), a, dispatch.KnowledgeQuery{Text: d.Q, All: d.All, Limit: 100})
	if err != nil && status < 400 {
		status = s.explain(p, err)
	}
	d.Hits = s.kbRows(hits)
	p.Data = d
	s.render(w, status, "admin_kb", p)
}

// kbPage lists or searches the articles; ?edit=<id> fills the form with one.
func (s *Server) kbPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !mayKBPage(a) {
		s.forbidden(w, r)
		return
	}
	p := s.newPage(r, &a, "admin2.kb.title")
	edit, _ := strconv.ParseInt(r.URL.Query().Get("edit"), 10, 64)
	if edit > 0 {
		art, err := s.svc.Dispatch.Article(r.Context(), a, edit)
		if err != nil {
			s.kbRender(w, r, a, p, s.explain(p, err), 0)
			return
		}
		row := s.kbRows([]knowledge.Hit{{Article: *art}})[0]
		p.Form = url.Values{"title": {art.Title}, "body": {art.Body}, "categories": {strings.Join(art.Categories, " ")},
			"valid_from": {row.From}, "valid_to": {row.To}, "owner_unit_id": {strconv.FormatInt(art.OwnerUnitID, 10)},
			"version": {strconv.FormatInt(art.Version, 10)}}
	}
	s.kbRender(w, r, a, p, 200, edit)
}

// kbInput reads the article form; dates are whole days, the "to" day
// included.
func (s *Server) kbInput(r *http.Request) (dispatch.ArticleInput, error) {
	in := dispatch.ArticleInput{Title: r.PostFormValue("title"), Body: r.PostFormValue("body"), OwnerUnitID: formInt(r, "owner_unit_id"), Version: formInt(r, "version")}
	in.Categories = strings.FieldsFunc(r.PostFormValue("categories"), func(c rune) bool { return c == ',' || c == '，' || c == '、' || c == ' ' || c == '\n' })
	var err error
	if in.ValidFrom, err = s.formDate(r.PostForm, "valid_from"); err != nil {
		return in, err
	}
	if in.ValidTo, err = s.formDate(r.PostForm, "valid_to"); err != nil {
		return in, err
	}
	if !in.ValidTo.IsZero() {
		in.ValidTo = in.ValidTo.AddDate(0, 0, 1)
	}
	return in, nil
}

func (s *Server) kbDone(w http.ResponseWriter, r *http.Request, a org.Actor, edit int64, err error, doneKey string) {
	p := s.newPage(r, &a, "admin2.kb.title")
	if err != nil {
		status := s.explain(p, err)
		p.Form = r.PostForm
		s.kbRender(w, r, a, p, status, edit)
		return
	}
	http.Redirect(w, r, withFlash("/admin/kb", s.cat.T(p.Lang, doneKey)), http.StatusSeeOther)
}

func (s *Server) kbCreate(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !mayKBPage(a) {
		s.forbidden(w, r)
		return
	}
	if r.ParseForm() != nil {
		s.errorPage(w, r, 400, s.cat.T(langOf(r), "error.bad_form"))
		return
	}
	in, err := s.kbInput(r)
	if err == nil {
		_, err = s.svc.Dispatch.CreateArticle(r.Context(), a, in)
	}
	s.kbDone(w, r, a, 0, err, "admin.saved")
}

func (s *Server) kbUpdate(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !mayKBPage(a) {
		s.forbidden(w, r)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || r.ParseForm() != nil {
		s.errorPage(w, r, 400, s.cat.T(langOf(r), "error.bad_form"))
		return
	}
	in, err := s.kbInput(r)
	if err == nil {
		_, err = s.svc.Dispatch.UpdateArticle(r.Context(), a, id, in)
	}
	s.kbDone(w, r, a, id, err, "admin.saved")
}

func (s *Server) kbDelete(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !mayKBPage(a) {
		s.forbidden(w, r)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || r.ParseForm() != nil {
		s.errorPage(w, r, 400, s.cat.T(langOf(r), "error.bad_form"))
		return
	}
	err = s.svc.Dispatch.DeleteArticle(r.Context(), a, id)
	s.kbDone(w, r, a, 0, err, "admin2.kb.deleted")
}
