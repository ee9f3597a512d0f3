package store_test

import (
	"context"
	"testing"
	"time"

	"whistle/internal/errs"
	"whistle/internal/store"
)

// TestOpen311Store: keys by hash (revocation once), the service mapping
// (upsert, delete), posted updates once per key and client id — on both
// backends.
func TestOpen311Store(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		var id int64
		if err := s.Write(ctx, func(tx *store.Tx) error {
			var err error
			id, err = tx.InsertOpen311Key(ctx, "fixmystreet", "hash1", "w311_ab", 1, now)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		k, err := s.Open311KeyByHash(ctx, "hash1")
		if err != nil || k.ID != id || k.Name != "fixmystreet" || !k.Active() || !k.CreatedAt.Equal(now) {
			t.Fatalf("key = %+v, %v", k, err)
		}
		if _, err := s.Open311KeyByHash(ctx, "nope"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("unknown hash: %v", err)
		}
		revoke := func() error {
			return s.Write(ctx, func(tx *store.Tx) error { return tx.RevokeOpen311Key(ctx, id, now.Add(time.Hour)) })
		}
		if err := revoke(); err != nil {
			t.Fatal(err)
		}
		if err := revoke(); !errs.Is(err, errs.NotFound) {
			t.Fatalf("second revoke: %v", err)
		}
		keys, err := s.Open311Keys(ctx)
		if err != nil || len(keys) != 1 || keys[0].Active() {
			t.Fatalf("keys = %+v, %v", keys, err)
		}

		svc := store.Open311Service{Code: "pothole", Category: "road.damage", Name: "Pothole", Attributes: `[]`, Active: true, UpdatedAt: now}
		put := func(sv store.Open311Service) {
			if err := s.Write(ctx, func(tx *store.Tx) error { return tx.PutOpen311Service(ctx, sv) }); err != nil {
				t.Fatal(err)
			}
		}
		put(svc)
		svc.Name, svc.Active = "Road pothole", false
		put(svc)
		list, err := s.Open311Services(ctx)
		if err != nil || len(list) != 1 || list[0].Name != "Road pothole" || list[0].Active {
			t.Fatalf("services = %+v, %v", list, err)
		}
		if err := s.Write(ctx, func(tx *store.Tx) error { return tx.DeleteOpen311Service(ctx, "pothole") }); err != nil {
			t.Fatal(err)
		}
		if err := s.Write(ctx, func(tx *store.Tx) error { return tx.DeleteOpen311Service(ctx, "pothole") }); !errs.Is(err, errs.NotFound) {
			t.Fatalf("second delete: %v", err)
		}
	})
}
