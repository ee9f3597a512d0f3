package store_test

import (
	"reflect"
	"testing"
	"time"

	"whistle/internal/errs"
	"whistle/internal/knowledge"
	"whistle/internal/store"
)

func TestArticles(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ms := func(t time.Time) time.Time { return time.UnixMilli(t.UnixMilli()).UTC() }
		a := knowledge.Article{Title: "居住证办理流程", Body: "携带身份证到社区服务站申请。", Categories: []string{"police.hukou", "housing"},
			ValidFrom: base, ValidTo: base.Add(90 * 24 * time.Hour), OwnerUnitID: 3, CreatedBy: 1, CreatedAt: base, UpdatedAt: base}
		b := knowledge.Article{Title: "供暖期", Body: "11月15日至次年3月15日。", CreatedAt: base, UpdatedAt: base}
		write(t, s, func(tx *store.Tx) error {
			if err := tx.InsertArticle(ctx, &a); err != nil {
				return err
			}
			return tx.InsertArticle(ctx, &b)
		})
		if a.ID == 0 || b.ID <= a.ID || a.Version != 1 {
			t.Fatalf("ids %d %d version %d", a.ID, b.ID, a.Version)
		}
		got, err := s.Article(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := a
		want.ValidFrom, want.ValidTo, want.CreatedAt, want.UpdatedAt = ms(a.ValidFrom), ms(a.ValidTo), ms(a.CreatedAt), ms(a.UpdatedAt)
		got.ValidFrom, got.ValidTo, got.CreatedAt, got.UpdatedAt = got.ValidFrom.UTC(), got.ValidTo.UTC(), got.CreatedAt.UTC(), got.UpdatedAt.UTC()
		if !reflect.DeepEqual(*got, want) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", *got, want)
		}
		if gb, _ := s.Article(ctx, b.ID); !gb.ValidFrom.IsZero() || !gb.ValidTo.IsZero() || gb.Categories != nil {
			t.Fatalf("open validity: %+v", gb)
		}

		// optimistic update
		upd := *got
		upd.Body, upd.Version, upd.UpdatedAt = "新流程", 2, base.Add(time.Hour)
		write(t, s, func(tx *store.Tx) error { return tx.UpdateArticle(ctx, &upd, 1) })
		stale := upd
		stale.Version = 2
		wantCode(t, s.Write(ctx, func(tx *store.Tx) error { return tx.UpdateArticle(ctx, &stale, 1) }), errs.Conflict)
		if g, _ := s.Article(ctx, a.ID); g.Body != "新流程" || g.Version != 2 {
			t.Fatalf("after update: %+v", g)
		}

		// delete hides it
		write(t, s, func(tx *store.Tx) error { return tx.DeleteArticle(ctx, b.ID, base) })
		if _, err := s.Article(ctx, b.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("deleted article: %v", err)
		}
		wantCode(t, s.Write(ctx, func(tx *store.Tx) error { return tx.DeleteArticle(ctx, b.ID, base) }), errs.NotFound)
		nb := b
		nb.Version = 2
		wantCode(t, s.Write(ctx, func(tx *store.Tx) error { return tx.UpdateArticle(ctx, &nb, 1) }), errs.NotFound)
		all, err := s.Articles(ctx)
		if err != nil || len(all) != 1 || all[0].ID != a.ID {
			t.Fatalf("articles: %+v %v", all, err)
		}
	})
}
