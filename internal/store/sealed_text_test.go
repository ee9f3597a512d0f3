package store_test

import (
	"strings"
	"testing"

	"whistle/internal/deliberation"
	"whistle/internal/org"
	"whistle/internal/sealed"
	"whistle/internal/store"
	"whistle/internal/volunteering"
)

// TestOtherPersonalDataResealed: after a key rotation the Resealer moves
// the personal data outside cases — a volunteer's name and phone, a cared-
// for person's name, phone and address and a visit's note, a deliberation's
// proposer and the resident named at its meeting (inside its document), a
// webhook's secret — to the new primary; the counts per key say when the
// old key seals nothing more ('whistle keys drop' asks them), and every
// value opens with the new key alone. Before this, a rotation and a drop
// left all of them unreadable.
func TestOtherPersonalDataResealed(t *testing.T) {
	eachKeyedBackend(t, func(t *testing.T, s keyedStore) {
		city := org.Place{Level: org.LevelCity, Code: "209900", Name: "市"}
		unit := org.Unit{Code: "CM", Name: "幸福社区居委会", Kind: org.KindCommunity}
		user := org.User{Username: "sq", DisplayName: "社区", Roles: []string{org.RoleHandler}}
		vol := &volunteering.Volunteer{Name: "司马晴川", Phone: "13655556666", Skills: []string{"care"}, State: volunteering.Pending, CreatedAt: base}
		subj := &volunteering.Subject{Name: "独居老人甲", Phone: "13700001111", Address: "幸福里3号楼2单元", CareType: "elderly",
			Consent: volunteering.Consent{By: "本人", Method: "signed", At: base}, EveryDays: 7, CreatedAt: base}
		visit := &volunteering.Visit{At: base, Note: "血压偏高，已提醒复诊"}
		it := &deliberation.Item{Title: "加装电梯", State: deliberation.Scheduled, Source: deliberation.FromResident, PlaceID: 31,
			Proposer: deliberation.Proposer{Name: "王五", Phone: "13912345678"}, CreatedAt: base, UpdatedAt: base, Version: 1,
			Meeting: &deliberation.Meeting{At: base, Venue: "议事厅", Participants: []deliberation.Participant{{Kind: deliberation.PartResident, Name: "赵六"}}}}
		sub := &store.Subscription{Kind: "webhook", Name: "区平台", URL: "https://example.org/hook", Secret: "hmac-secret-0123456789", Active: true, CreatedAt: base, UpdatedAt: base}
		write(t, s.Store, func(tx *store.Tx) error {
			if err := insertUserIn(tx, &city, &unit, &user); err != nil {
				return err
			}
			vol.UnitID, subj.UnitID, it.UnitID, sub.CreatedBy = unit.ID, unit.ID, unit.ID, user.ID
			subj.Consent.RecordedBy = user.ID
			if err := tx.InsertVolunteer(ctx, vol); err != nil {
				return err
			}
			if err := tx.InsertCareSubject(ctx, subj); err != nil {
				return err
			}
			visit.SubjectID, visit.UnitID, visit.UserID = subj.ID, unit.ID, user.ID
			if err := tx.InsertCareVisit(ctx, visit); err != nil {
				return err
			}
			if err := tx.InsertDeliberation(ctx, it, "h"); err != nil {
				return err
			}
			return tx.InsertSubscription(ctx, sub)
		})
		// 2 + 3 + 1 + 3 (proposer name, phone, the resident in the doc) + 1
		const values = 10
		if counts, err := s.SealedTextCounts(ctx); err != nil || counts["k1"] != values || len(counts) != 1 {
			t.Fatalf("counts under k1: %v %v", counts, err)
		}
		k2 := s.rotate(t)
		// A row written after the rotation is already under k2.
		late := &volunteering.Volunteer{UnitID: unit.ID, Name: "后来者", Phone: "13600000000", State: volunteering.Pending, CreatedAt: base}
		write(t, s.Store, func(tx *store.Tx) error { return tx.InsertVolunteer(ctx, late) })
		if n, err := s.ResealText(ctx, 2); err != nil || n != 5 {
			t.Fatalf("re-sealed %d rows, want 5: %v", n, err)
		}
		if counts, err := s.SealedTextCounts(ctx); err != nil || counts["k1"] != 0 || counts["k2"] != values+2 {
			t.Fatalf("counts after the pass: %v %v", counts, err)
		}
		if n, err := s.ResealText(ctx, 2); err != nil || n != 0 {
			t.Fatalf("a second pass re-sealed %d: %v", n, err)
		}
		var key string
		if err := rawDB(t, s.Store).QueryRow("SELECT seal_key FROM deliberations").Scan(&key); err != nil || key != "k2" {
			t.Errorf("deliberations.seal_key = %q %v, want k2", key, err)
		}
		s2, only2 := s.reopenWith(t, k2)
		if v, err := s2.Volunteer(ctx, vol.ID); err != nil || v.Name != vol.Name || v.Phone != vol.Phone {
			t.Errorf("volunteer with k2 alone: %+v %v", v, err)
		}
		if v, err := s2.CareSubject(ctx, subj.ID); err != nil || v.Name != subj.Name || v.Phone != subj.Phone || v.Address != subj.Address {
			t.Errorf("care subject with k2 alone: %+v %v", v, err)
		}
		if d, err := s2.Deliberation(ctx, it.ID); err != nil || d.Proposer.Phone != "13912345678" || d.Meeting.Participants[0].Name != "赵六" {
			t.Errorf("deliberation with k2 alone: %+v %v", d, err)
		}
		if got, err := s2.Subscription(ctx, sub.ID); err != nil || got.Secret != sub.Secret {
			t.Errorf("subscription with k2 alone: %+v %v", got, err)
		}
		var note string
		if err := rawDB(t, s2).QueryRow("SELECT note FROM care_visits").Scan(&note); err != nil || sealed.KeyID(note) != "k2" || strings.Contains(note, "血压") {
			t.Errorf("visit note stored as %q %v", note, err)
		}
		if clear, err := only2.Open(note); err != nil || clear != visit.Note {
			t.Errorf("visit note opens to %q %v", clear, err)
		}
	})
}
