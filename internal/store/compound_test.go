package store_test

import (
	"reflect"
	"testing"
	"time"

	"whistle/internal/compound"
	"whistle/internal/errs"
	"whistle/internal/store"
)

func TestCompoundsAndPropertyRatings(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		b := `{"type":"Polygon","coordinates":[[[116.3,39.9],[116.31,39.9],[116.31,39.91],[116.3,39.9]]]}`
		c1 := compound.Compound{Name: "翠湖家园", Address: "翠湖路1号", Aliases: []string{"翠湖小区", "翠湖家园东区"}, Boundary: b,
			CommunityID: 4, PropertyUnitID: 60, CommitteeUnitID: 61, Active: true, UpdatedAt: base}
		c2 := compound.Compound{Name: "阳光花园", CommunityID: 4, PropertyUnitID: 62, Active: true, UpdatedAt: base}
		write(t, s, func(tx *store.Tx) error {
			if err := tx.InsertCompound(ctx, &c1); err != nil {
				return err
			}
			return tx.InsertCompound(ctx, &c2)
		})
		if c1.ID == 0 || c2.ID <= c1.ID {
			t.Fatalf("ids %d %d", c1.ID, c2.ID)
		}
		got, err := s.Compound(ctx, c1.ID)
		want := c1
		if err != nil || !got.UpdatedAt.Equal(base.Truncate(time.Millisecond)) {
			t.Fatalf("updated at %v %v", got.UpdatedAt, err)
		}
		got.UpdatedAt, want.UpdatedAt = time.Time{}, time.Time{}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip: %+v %v\nwant %+v", got, err, want)
		}
		c2.Active, c2.Aliases, c2.PropertyUnitID, c2.UpdatedAt = false, []string{"阳光"}, 63, base.Add(time.Hour)
		write(t, s, func(tx *store.Tx) error { return tx.UpdateCompound(ctx, c2) })
		all, err := s.Compounds(ctx)
		if err != nil || len(all) != 2 || all[1].Active || all[1].PropertyUnitID != 63 || all[1].Aliases[0] != "阳光" || all[1].Aliases == nil || all[0].ID != c1.ID {
			t.Fatalf("list: %+v %v", all, err)
		}
		wantCode(t, s.Write(ctx, func(tx *store.Tx) error { return tx.UpdateCompound(ctx, compound.Compound{ID: 999, Name: "x"}) }), errs.NotFound)
		if _, err := s.Compound(ctx, 999); !errs.Is(err, errs.NotFound) {
			t.Fatalf("unknown compound: %v", err)
		}

		// ratings: one per phone per compound per quarter
		rate := func(compoundID, unit int64, score int, phone, quarter string, at time.Time) error {
			return s.Write(ctx, func(tx *store.Tx) error {
				r := compound.Rating{CompoundID: compoundID, UnitID: unit, Score: score, Comment: "评语", PhoneHash: phone, Quarter: quarter, CreatedAt: at, CommunityID: 4}
				return tx.InsertPropertyRating(ctx, &r)
			})
		}
		for _, r := range []struct {
			c     int64
			unit  int64
			score int
			phone string
			q     string
			at    time.Time
		}{
			{c1.ID, 60, 5, "h1", "2026-Q1", base},
			{c1.ID, 60, 4, "h2", "2026-Q1", base.Add(time.Hour)},
			{c1.ID, 60, 2, "h1", "2026-Q2", base.Add(100 * 24 * time.Hour)}, // next quarter: allowed
			{c2.ID, 63, 3, "h1", "2026-Q1", base.Add(2 * time.Hour)},        // another compound: allowed
		} {
			if err := rate(r.c, r.unit, r.score, r.phone, r.q, r.at); err != nil {
				t.Fatal(err)
			}
		}
		wantCode(t, rate(c1.ID, 60, 1, "h1", "2026-Q1", base.Add(3*time.Hour)), errs.Exists)
		if ok, err := s.PropertyRated(ctx, c1.ID, "h1", "2026-Q1"); err != nil || !ok {
			t.Fatalf("rated: %v %v", ok, err)
		}
		if ok, err := s.PropertyRated(ctx, c1.ID, "h3", "2026-Q1"); err != nil || ok {
			t.Fatalf("not rated: %v %v", ok, err)
		}
		sums, err := s.PropertyRatingSummaries(ctx, base, base.Add(30*24*time.Hour))
		if err != nil || len(sums) != 2 || sums[60].Count != 2 || sums[60].Sum != 9 || *sums[60].Mean != 4.5 || sums[60].ByStar[4] != 1 || sums[63].Count != 1 {
			t.Fatalf("summaries: %+v %v", sums, err)
		}
		rs, err := s.PropertyRatings(ctx, 60, 10)
		if err != nil || len(rs) != 3 || rs[0].Score != 2 || rs[0].PhoneHash != "" || rs[2].Comment != "评语" {
			t.Fatalf("ratings: %+v %v", rs, err)
		}
	})
}
