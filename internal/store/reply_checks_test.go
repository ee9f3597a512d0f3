package store_test

import (
	"slices"
	"testing"
	"time"

	"whistle/internal/lifecycle"
	"whistle/internal/replyquality"
	"whistle/internal/store"
)

func TestReplyChecks(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		corpus := replyquality.NewCorpus([]string{"路灯不亮请维修", "您好，感谢您的监督"})
		stock := "网友：您好！留言已收悉，我们已将您反映的问题转相关部门进行处理，敬请关注后续回复，谢谢！"
		good := "您好，关于和平路12号小区门口路灯不亮的问题，我局已于5月3日派人维修，路灯已恢复照明。"
		mk := func(caseID, unit int64, reply string, at time.Time, past ...replyquality.Signature) *store.ReplyCheck {
			return &store.ReplyCheck{CaseID: caseID, UnitID: unit, UserID: 5, RepliedAt: at,
				Check:     corpus.Check("和平路12号路灯不亮，请尽快维修。", reply, replyquality.Options{PastSigs: past}),
				Signature: replyquality.SignatureOf(reply)}
		}
		first := mk(1001, 10, stock, base)
		write(t, s, func(tx *store.Tx) error { return tx.InsertReplyCheck(ctx, first) })
		if first.ID == 0 {
			t.Fatal("no id")
		}
		got, found, err := s.ReplyCheckOf(ctx, 1001)
		if err != nil || !found || got.UnitID != 10 || !msEqual(got.RepliedAt, base) || !slices.Equal(got.Signature, first.Signature) ||
			got.Check.Overall != first.Check.Overall || len(got.Check.Scores) != 6 || got.Check.Scores[0].ReasonZH == "" {
			t.Fatalf("loaded %+v %v %v", got, found, err)
		}
		if _, found, err := s.ReplyCheckOf(ctx, 1002); found || err != nil {
			t.Fatalf("case without a check: %v %v", found, err)
		}

		// Another unit's copy is found by its bands; the unit's own past
		// replies by the unit; an unrelated reply of a third unit not at all.
		sigs, err := s.ReplySignatures(ctx, 20, first.Signature.Bands(), 50, 50)
		if err != nil || len(sigs) != 1 || !slices.Equal(sigs[0], first.Signature) {
			t.Fatalf("band candidates: %d %v", len(sigs), err)
		}
		copyOf := mk(1002, 20, stock+"。", base.Add(time.Hour), sigs...)
		if !copyOf.Check.NearCopy {
			t.Fatalf("a copy not flagged: %+v", copyOf.Check)
		}
		write(t, s, func(tx *store.Tx) error { return tx.InsertReplyCheck(ctx, copyOf) })
		other := mk(1003, 30, good, base.Add(2*time.Hour))
		write(t, s, func(tx *store.Tx) error { return tx.InsertReplyCheck(ctx, other) })
		if sigs, err := s.ReplySignatures(ctx, 20, replyquality.SignatureOf(good).Bands(), 50, 50); err != nil || len(sigs) != 2 {
			t.Fatalf("own and candidates: %d %v", len(sigs), err)
		}
		if sigs, err := s.ReplySignatures(ctx, 20, nil, 0, 50); err != nil || len(sigs) != 0 {
			t.Fatalf("bounded to nothing: %d %v", len(sigs), err)
		}
		// A second reply to case 1001 (after a reopening) is its latest verdict.
		again := mk(1001, 10, good, base.Add(3*time.Hour))
		write(t, s, func(tx *store.Tx) error { return tx.InsertReplyCheck(ctx, again) })
		m, err := s.ReplyChecksOf(ctx, []int64{1001, 1002, 1004})
		if err != nil || len(m) != 2 || m[1001].ID != again.ID || m[1002].ID != copyOf.ID {
			t.Fatalf("latest of cases: %+v %v", m, err)
		}

		rows, err := s.ReplyQualityByUnit(ctx, base, base.Add(24*time.Hour))
		if err != nil || len(rows) != 3 {
			t.Fatalf("by unit: %+v %v", rows, err)
		}
		u10 := rows[0]
		wantMean := (first.Check.Overall + again.Check.Overall) / 2
		if u10.UnitID != 10 || u10.Replies != 2 || !nearly(u10.Overall, wantMean) || len(u10.Means) != 6 || u10.Weak != 1 {
			t.Errorf("unit 10: %+v (want mean %.3f)", u10, wantMean)
		}
		if rows[1].UnitID != 20 || rows[1].NearCopies != 1 || rows[1].Weak != 1 || rows[2].NearCopies != 0 {
			t.Errorf("units 20, 30: %+v", rows[1:])
		}
		if rows, err := s.ReplyQualityByUnit(ctx, base.Add(time.Minute), base.Add(150*time.Minute)); err != nil || len(rows) != 2 {
			t.Errorf("a window: %+v %v", rows, err)
		}

		c := fullCase()
		insertCases(t, s, c)
		texts, err := s.ReplyCorpusTexts(ctx, 10)
		if err != nil || !slices.Equal(texts, []string{c.Description, c.ReplyText}) {
			t.Fatalf("corpus texts %q %v", texts, err)
		}

		// The case's reply, submitted before the check existed, is found
		// once (its latest reply) until it has a verdict.
		write(t, s, func(tx *store.Tx) error {
			for i, at := range []time.Time{base.Add(-time.Hour), base.Add(time.Hour)} {
				if err := tx.AppendEvent(ctx, &lifecycle.Event{CaseID: c.ID, Seq: i + 1, Action: lifecycle.ActReply, ActorUserID: 9, ActorUnitID: 10, At: at}); err != nil {
					return err
				}
			}
			return nil
		})
		un, err := s.UncheckedReplies(ctx, base, 10)
		if err != nil || len(un) != 1 || un[0].CaseID != c.ID || un[0].UnitID != 10 || un[0].UserID != 9 || un[0].Reply != c.ReplyText ||
			un[0].Message != c.Title+"。"+c.Description || !msEqual(un[0].RepliedAt, base.Add(time.Hour)) {
			t.Fatalf("unchecked: %+v %v", un, err)
		}
		write(t, s, func(tx *store.Tx) error {
			return tx.InsertReplyCheck(ctx, mk(c.ID, 10, c.ReplyText, base.Add(time.Hour)))
		})
		if un, err := s.UncheckedReplies(ctx, time.Time{}, 10); err != nil || len(un) != 0 {
			t.Fatalf("after the check: %+v %v", un, err)
		}
	})
}

func nearly(a, b float64) bool { return a-b < 1e-6 && b-a < 1e-6 }
