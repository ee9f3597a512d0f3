package store_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"whistle/internal/classify"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/store"
)

func TestClassifierModels(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		if _, found, err := s.LatestClassifierModel(ctx, true); err != nil || found {
			t.Fatalf("empty store: found=%v err=%v", found, err)
		}
		blob := func(n int) []byte { return bytes.Repeat([]byte{byte(n), 0, 0xff}, 1000+n) }
		for i := 1; i <= 3; i++ {
			m := &classify.StoredModel{Algorithm: "svm", TrainedAt: base.Add(time.Duration(i) * time.Hour), TrainMS: int64(100 * i),
				Examples: 1000 * i, Labels: 7, Eval: json.RawMessage(`{"top1":0.9}`), CreatedBy: int64(i), Data: blob(i)}
			write(t, s, func(tx *store.Tx) error { return tx.InsertClassifierModel(ctx, m) })
			if m.Version != int64(i) {
				t.Fatalf("version = %d, want %d", m.Version, i)
			}
		}
		got, found, err := s.LatestClassifierModel(ctx, true)
		if err != nil || !found {
			t.Fatalf("latest: found=%v err=%v", found, err)
		}
		if got.Version != 3 || got.Algorithm != "svm" || got.Examples != 3000 || got.Labels != 7 || got.TrainMS != 300 || got.CreatedBy != 3 ||
			!msEqual(got.TrainedAt, base.Add(3*time.Hour)) || string(got.Eval) != `{"top1":0.9}` || !bytes.Equal(got.Data, blob(3)) {
			t.Fatalf("latest = %+v", got)
		}
		info, _, err := s.LatestClassifierModel(ctx, false)
		if err != nil || info.Version != 3 || info.Data != nil {
			t.Fatalf("latest without data = %+v, %v", info, err)
		}
		list, err := s.ClassifierModels(ctx, 2)
		if err != nil || len(list) != 2 || list[0].Version != 3 || list[1].Version != 2 || list[0].Data != nil {
			t.Fatalf("list = %+v, %v", list, err)
		}
		var pruned int64
		write(t, s, func(tx *store.Tx) error {
			var err error
			pruned, err = tx.PruneClassifierModels(ctx, 2)
			return err
		})
		if pruned != 1 {
			t.Fatalf("pruned %d, want 1", pruned)
		}
		list, _ = s.ClassifierModels(ctx, 10)
		if len(list) != 2 || list[1].Version != 2 {
			t.Fatalf("after prune = %+v", list)
		}
		// The next version continues after the newest, never reusing one.
		m := &classify.StoredModel{Algorithm: "lr", TrainedAt: base, Data: []byte{1}}
		write(t, s, func(tx *store.Tx) error { return tx.InsertClassifierModel(ctx, m) })
		if m.Version != 4 {
			t.Fatalf("version after prune = %d, want 4", m.Version)
		}
		if got, _, _ := s.LatestClassifierModel(ctx, false); string(got.Eval) != "{}" {
			t.Fatalf("empty evaluation stored as %q, want {}", got.Eval)
		}
		// A failing write leaves no version behind.
		err = s.Write(ctx, func(tx *store.Tx) error {
			if err := tx.InsertClassifierModel(ctx, &classify.StoredModel{Algorithm: "svm", TrainedAt: base, Data: []byte{2}}); err != nil {
				return err
			}
			return errs.E(errs.Invalid)
		})
		wantCode(t, err, errs.Invalid)
		if got, _, _ := s.LatestClassifierModel(ctx, false); got.Version != 4 {
			t.Fatalf("rolled-back insert left version %d", got.Version)
		}
	})
}

func TestAutoDispatchSettings(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		if got, err := s.AutoDispatchSettings(ctx); err != nil || len(got) != 0 {
			t.Fatalf("empty: %+v, %v", got, err)
		}
		write(t, s, func(tx *store.Tx) error {
			if err := tx.PutAutoDispatch(ctx, classify.AutoDispatch{Category: "urban.stall", Enabled: true, Threshold: 0.9, UpdatedBy: 1, UpdatedAt: base}); err != nil {
				return err
			}
			return tx.PutAutoDispatch(ctx, classify.AutoDispatch{Category: "env.noise", Enabled: false, Threshold: 0.75, UpdatedBy: 1, UpdatedAt: base})
		})
		write(t, s, func(tx *store.Tx) error {
			return tx.PutAutoDispatch(ctx, classify.AutoDispatch{Category: "env.noise", Enabled: true, Threshold: 0.8, UpdatedBy: 2, UpdatedAt: base.Add(time.Hour)})
		})
		got, err := s.AutoDispatchSettings(ctx)
		if err != nil || len(got) != 2 {
			t.Fatalf("settings = %+v, %v", got, err)
		}
		if a := got[0]; a.Category != "env.noise" || !a.Enabled || a.Threshold != 0.8 || a.UpdatedBy != 2 || !msEqual(a.UpdatedAt, base.Add(time.Hour)) {
			t.Fatalf("env.noise = %+v", a)
		}
		if a := got[1]; a.Category != "urban.stall" || !a.Enabled || a.Threshold != 0.9 {
			t.Fatalf("urban.stall = %+v", a)
		}
	})
}

func TestClosedCaseTexts(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		var cs []*lifecycle.Case
		for i := 1; i <= 5; i++ {
			c := testCase(i)
			c.Title, c.Description = "标题", "描述"
			c.Category = []string{"urban.stall", "env.noise"}[i%2]
			if i != 2 {
				c.State, c.ClosedAt = lifecycle.Closed, base
			}
			if i == 4 {
				c.CloseReason = lifecycle.CloseMerged
			}
			cs = append(cs, c)
		}
		insertCases(t, s, cs...)
		got, err := s.ClosedCaseTexts(ctx, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		// case 2 is open, case 4 was merged
		if len(got) != 3 || got[0].CaseID != cs[0].ID || got[1].CaseID != cs[2].ID || got[2].CaseID != cs[4].ID {
			t.Fatalf("got %+v", got)
		}
		if got[0].Category != "env.noise" || got[0].Text != "标题\n描述" {
			t.Fatalf("first = %+v", got[0])
		}
		page, err := s.ClosedCaseTexts(ctx, cs[0].ID, 1)
		if err != nil || len(page) != 1 || page[0].CaseID != cs[2].ID {
			t.Fatalf("page after first = %+v, %v", page, err)
		}
	})
}
