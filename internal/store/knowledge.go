package store

import (
	"context"
	"strings"
	"time"

	"whistle/internal/errs"
	"whistle/internal/knowledge"
)

const articleSelect = "SELECT id, title, body, categories, valid_from, valid_to, owner_unit_id, version, created_by, created_at, updated_at FROM kb_articles"

func scanArticle(sc interface{ Scan(...any) error }) (*knowledge.Article, error) {
	var a knowledge.Article
	var cats string
	var from, to, c, u int64
	if err := sc.Scan(&a.ID, &a.Title, &a.Body, &cats, &from, &to, &a.OwnerUnitID, &a.Version, &a.CreatedBy, &c, &u); err != nil {
		return nil, err
	}
	if cats != "" {
		a.Categories = strings.Split(cats, ",")
	}
	if from != 0 {
		a.ValidFrom = fromMS(from)
	}
	if to != 0 {
		a.ValidTo = fromMS(to)
	}
	a.CreatedAt, a.UpdatedAt = fromMS(c), fromMS(u)
	return &a, nil
}

func optMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return ms(t)
}

// InsertArticle stores a new article (version 1) and sets its id.
func (q Queries) InsertArticle(ctx context.Context, a *knowledge.Article) error {
	a.Version = 1
	return q.row(ctx, "INSERT INTO kb_articles(title, body, categories, valid_from, valid_to, owner_unit_id, version, created_by, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id",
		a.Title, a.Body, strings.Join(a.Categories, ","), optMS(a.ValidFrom), optMS(a.ValidTo), a.OwnerUnitID, a.Version, a.CreatedBy, ms(a.CreatedAt), ms(a.UpdatedAt)).Scan(&a.ID)
}

// UpdateArticle saves a, whose Version the caller bumped from prevVersion;
// a concurrent change fails with errs.Conflict, a deleted or unknown
// article with errs.NotFound.
func (q Queries) UpdateArticle(ctx context.Context, a *knowledge.Article, prevVersion int64) error {
	res, err := q.exec(ctx, "UPDATE kb_articles SET title = ?, body = ?, categories = ?, valid_from = ?, valid_to = ?, owner_unit_id = ?, version = ?, updated_at = ? WHERE id = ? AND version = ? AND deleted = 0",
		a.Title, a.Body, strings.Join(a.Categories, ","), optMS(a.ValidFrom), optMS(a.ValidTo), a.OwnerUnitID, a.Version, ms(a.UpdatedAt), a.ID, prevVersion)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		if _, err := q.Article(ctx, a.ID); err != nil {
			return err
		}
		return errs.E(errs.Conflict)
	}
	return nil
}

// DeleteArticle withdraws an article (kept for the cases that cite it).
func (q Queries) DeleteArticle(ctx context.Context, id int64, at time.Time) error {
	res, err := q.exec(ctx, "UPDATE kb_articles SET deleted = 1, updated_at = ? WHERE id = ? AND deleted = 0", ms(at), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E(errs.NotFound)
	}
	return nil
}

// Article returns an article that is not deleted.
func (q Queries) Article(ctx context.Context, id int64) (*knowledge.Article, error) {
	a, err := scanArticle(q.row(ctx, articleSelect+" WHERE id = ? AND deleted = 0", id))
	return a, notFound(err)
}

// Articles returns every article that is not deleted, by id.
func (q Queries) Articles(ctx context.Context) ([]knowledge.Article, error) {
	rows, err := q.query(ctx, articleSelect+" WHERE deleted = 0 ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []knowledge.Article{}
	for rows.Next() {
		a, err := scanArticle(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, rows.Err()
}
