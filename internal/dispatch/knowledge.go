package dispatch

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"whistle/internal/audit"
	"whistle/internal/core"
	"whistle/internal/errs"
	"whistle/internal/knowledge"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
)

// kbMaxAge is how old this node's knowledge index may get before a search
// rebuilds it from the store (another node may have changed articles).
const kbMaxAge = time.Minute

type kbIndex struct {
	*knowledge.Index
	built time.Time
}

// reloadKnowledge rebuilds the in-memory index from the store.
func (s *Service) reloadKnowledge(ctx context.Context) error {
	arts, err := s.St.Articles(ctx)
	if err != nil {
		return err
	}
	s.rt.kb.Store(&kbIndex{knowledge.Build(arts), s.Now()})
	return nil
}

func (s *Service) knowledgeIndex(ctx context.Context) (*knowledge.Index, error) {
	ix := s.rt.kb.Load()
	if ix == nil || s.Now().Sub(ix.built) > kbMaxAge {
		if err := s.reloadKnowledge(ctx); err != nil {
			return nil, err
		}
		ix = s.rt.kb.Load()
	}
	return ix.Index, nil
}

// mayEditKnowledge: administrators and centre staff (agents, dispatchers,
// supervisors of the city or a district centre) may edit some article;
// which ones is articleDistrict and org.MayEditArticle.
func mayEditKnowledge(a org.Actor) bool {
	return a.User.Has(org.RoleAdmin) || (a.Unit.IsCentre() && a.User.Has(org.RoleAgent, org.RoleDispatcher, org.RoleSupervisor))
}

// articleDistrict is the district an article belongs to: its owner unit's
// district, 0 (city-wide) for an article without an owner or owned by a
// city-level unit.
func (s *Service) articleDistrict(art *knowledge.Article) int64 {
	if art.OwnerUnitID == 0 {
		return 0
	}
	u, ok := s.Unit(art.OwnerUnitID)
	if !ok {
		return 0
	}
	ch, _ := s.Chain(u.PlaceID)
	return ch[0]
}

// mayReadKnowledge: every staff member (not citizens).
func mayReadKnowledge(a org.Actor) bool { return a.User.ID != 0 && len(a.User.Roles) > 0 }

// ArticleInput is an article's editable content.
type ArticleInput struct {
	Title       string    `json:"title"`
	Body        string    `json:"body"`
	Categories  []string  `json:"categories,omitempty"`
	ValidFrom   time.Time `json:"valid_from,omitzero"`
	ValidTo     time.Time `json:"valid_to,omitzero"`
	OwnerUnitID int64     `json:"owner_unit_id,omitempty"`
	Version     int64     `json:"version,omitempty"` // on update: the version edited (optimistic check)
}

func (s *Service) article(in ArticleInput, a *knowledge.Article) error {
	a.Title, a.Body = lifecycle.Trim(in.Title), lifecycle.Trim(in.Body)
	a.ValidFrom, a.ValidTo = in.ValidFrom.Truncate(time.Millisecond), in.ValidTo.Truncate(time.Millisecond)
	a.OwnerUnitID = in.OwnerUnitID
	a.Categories = nil
	for _, c := range in.Categories {
		if _, ok := s.Category(c); !ok {
			return errs.F(errs.UnknownCategory, "categories")
		}
		if !slices.Contains(a.Categories, c) {
			a.Categories = append(a.Categories, c)
		}
	}
	if a.OwnerUnitID != 0 {
		if _, ok := s.Unit(a.OwnerUnitID); !ok {
			return errs.F(errs.UnknownUnit, "owner_unit_id")
		}
	}
	if f, d, ok := a.Validate(); !ok {
		code := errs.Invalid
		switch d {
		case "required":
			code = errs.FieldRequired
		case "max 200 characters", "max 20000 characters":
			code = errs.FieldTooLong
		}
		return &errs.Error{Code: code, Field: f, Detail: d}
	}
	return nil
}

func (s *Service) auditArticle(ctx context.Context, tx *store.Tx, a org.Actor, action string, art *knowledge.Article) error {
	detail, _ := json.Marshal(map[string]any{"title": art.Title, "version": art.Version})
	return tx.Audit(ctx, audit.Entry{At: s.Now(), UserID: a.User.ID, Action: action, Target: fmt.Sprintf("article:%d", art.ID), Detail: string(detail)})
}

// CreateArticle adds an article (audited).
func (s *Service) CreateArticle(ctx context.Context, a org.Actor, in ArticleInput) (*knowledge.Article, error) {
	if !mayEditKnowledge(a) {
		return nil, errs.E(errs.Forbidden)
	}
	if in.OwnerUnitID == 0 && !org.MayEditArticle(a, 0) {
		in.OwnerUnitID = a.Unit.ID // a district centre writes for its district
	}
	now := s.Now()
	art := &knowledge.Article{CreatedBy: a.User.ID, CreatedAt: now, UpdatedAt: now}
	if err := s.article(in, art); err != nil {
		return nil, err
	}
	if !org.MayEditArticle(a, s.articleDistrict(art)) {
		return nil, errs.F(errs.Forbidden, "owner_unit_id")
	}
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertArticle(ctx, art); err != nil {
			return err
		}
		return s.auditArticle(ctx, tx, a, "article_create", art)
	})
	if err != nil {
		return nil, err
	}
	return art, s.reloadKnowledge(ctx)
}

// UpdateArticle edits an article (audited); in.Version must be the version
// edited, else errs.Conflict.
func (s *Service) UpdateArticle(ctx context.Context, a org.Actor, id int64, in ArticleInput) (*knowledge.Article, error) {
	if !mayEditKnowledge(a) {
		return nil, errs.E(errs.Forbidden)
	}
	if in.Version <= 0 {
		return nil, errs.F(errs.FieldRequired, "version")
	}
	var out *knowledge.Article
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		art, err := tx.Article(ctx, id)
		if err != nil {
			return err
		}
		if !org.MayEditArticle(a, s.articleDistrict(art)) {
			return errs.E(errs.Forbidden)
		}
		if art.Version != in.Version {
			return errs.E(errs.Conflict)
		}
		if in.OwnerUnitID == 0 && !org.MayEditArticle(a, 0) {
			in.OwnerUnitID = art.OwnerUnitID // a district centre keeps its article in its district
		}
		if err := s.article(in, art); err != nil {
			return err
		}
		if !org.MayEditArticle(a, s.articleDistrict(art)) {
			return errs.F(errs.Forbidden, "owner_unit_id")
		}
		art.Version, art.UpdatedAt = in.Version+1, s.Now()
		if err := tx.UpdateArticle(ctx, art, in.Version); err != nil {
			return err
		}
		out = art
		return s.auditArticle(ctx, tx, a, "article_update", art)
	})
	if err != nil {
		return nil, err
	}
	return out, s.reloadKnowledge(ctx)
}

// DeleteArticle withdraws an article (audited); cases that cite it keep
// the reference.
func (s *Service) DeleteArticle(ctx context.Context, a org.Actor, id int64) error {
	if !mayEditKnowledge(a) {
		return errs.E(errs.Forbidden)
	}
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		art, err := tx.Article(ctx, id)
		if err != nil {
			return err
		}
		if !org.MayEditArticle(a, s.articleDistrict(art)) {
			return errs.E(errs.Forbidden)
		}
		if err := tx.DeleteArticle(ctx, id, s.Now()); err != nil {
			return err
		}
		return s.auditArticle(ctx, tx, a, "article_delete", art)
	})
	if err != nil {
		return err
	}
	return s.reloadKnowledge(ctx)
}

// Article returns an article.
func (s *Service) Article(ctx context.Context, a org.Actor, id int64) (*knowledge.Article, error) {
	if !mayReadKnowledge(a) {
		return nil, errs.E(errs.Forbidden)
	}
	return s.St.Article(ctx, id)
}

// KnowledgeQuery selects articles for SearchKnowledge.
type KnowledgeQuery struct {
	Text     string
	Category string
	At       time.Time // validity instant; zero = now
	All      bool      // include articles not valid at At
	Limit    int
}

// SearchKnowledge searches the knowledge base (character bigrams, BM25).
// An empty text lists the articles (valid ones unless All), newest first.
func (s *Service) SearchKnowledge(ctx context.Context, a org.Actor, q KnowledgeQuery) ([]knowledge.Hit, error) {
	if !mayReadKnowledge(a) {
		return nil, errs.E(errs.Forbidden)
	}
	if core.TooLong(q.Text, s.Cfg.MaxDescription+s.Cfg.MaxTitle+1) {
		return nil, errs.F(errs.FieldTooLong, "q")
	}
	if q.Limit <= 0 || q.Limit > 100 {
		q.Limit = 10
	}
	at := q.At
	if at.IsZero() {
		at = s.Now()
	}
	if q.All {
		at = time.Time{}
	}
	if strings.TrimSpace(q.Text) == "" {
		arts, err := s.St.Articles(ctx)
		if err != nil {
			return nil, err
		}
		out := []knowledge.Hit{}
		for i := len(arts) - 1; i >= 0 && len(out) < q.Limit; i-- {
			if (at.IsZero() || arts[i].ValidAt(at)) && arts[i].Covers(q.Category) {
				out = append(out, knowledge.Hit{Article: arts[i]})
			}
		}
		return out, nil
	}
	ix, err := s.knowledgeIndex(ctx)
	if err != nil {
		return nil, err
	}
	return ix.Search(knowledge.Query{Text: q.Text, Category: q.Category, At: at, Limit: q.Limit}), nil
}

// SuggestArticles proposes articles valid now for a request's text (and
// category, when known): what the agent may answer a consultation from.
func (s *Service) SuggestArticles(ctx context.Context, a org.Actor, text, category string, limit int) ([]knowledge.Hit, error) {
	if strings.TrimSpace(text) == "" {
		return nil, errs.F(errs.FieldRequired, "text")
	}
	if category != "" {
		if _, ok := s.Category(category); !ok {
			return nil, errs.F(errs.UnknownCategory, "category")
		}
	}
	if limit <= 0 {
		limit = 5
	}
	return s.SearchKnowledge(ctx, a, KnowledgeQuery{Text: text, Category: category, Limit: limit})
}

// AnswerArticle checks the article a direct answer cites: it must exist and
// be valid now. It returns the article and its reference normalised to
// "KB-<id>"; nil for other actions or when no article is cited.
func (s *Service) AnswerArticle(ctx context.Context, action lifecycle.Action, ref string) (*knowledge.Article, string, error) {
	if action != lifecycle.ActAnswer || strings.TrimSpace(ref) == "" {
		return nil, ref, nil
	}
	id, ok := knowledge.ParseRef(ref)
	if !ok {
		return nil, ref, errs.F(errs.UnknownArticle, "article")
	}
	art, err := s.St.Article(ctx, id)
	if errs.Is(err, errs.NotFound) {
		return nil, ref, errs.F(errs.UnknownArticle, "article")
	}
	if err != nil {
		return nil, ref, err
	}
	if !art.ValidAt(s.Now()) {
		return nil, ref, &errs.Error{Code: errs.ArticleNotValid, Field: "article", Detail: knowledge.Ref(id)}
	}
	return art, knowledge.Ref(id), nil
}
