package store_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/pgtest"
	"whistle/internal/store"
)

// TestLightCasesDecodeWhatTheAnalysisReads: the light records (a partial
// decode of the document) carry every field the analysis reads exactly as
// the full case does, texts opened, and never the citizen's name or phone;
// the filters, the even sample and the limit select what they say.
func TestLightCasesDecodeWhatTheAnalysisReads(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "whistle.db")
			if backend == "postgres" {
				dsn = pgtest.NewDatabase(t)
			}
			s := openStore(t, dsn)
			ctx := t.Context()
			lat, lon, yes := 39.9, 116.4, true
			at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
			var made []*lifecycle.Case
			if err := s.Write(ctx, func(tx *store.Tx) error {
				for i := range 12 {
					c := &lifecycle.Case{Number: fmt.Sprintf("L%04d", i), Channel: "web", Type: "complaint", Urgency: "general",
						Category: []string{"urban.stall", "urban.noise", "water.pressure"}[i%3], State: lifecycle.Closed,
						Title: fmt.Sprintf("标题%d", i), Description: fmt.Sprintf("夜间施工噪音扰民 %d", i),
						Location:   lifecycle.Location{Address: fmt.Sprintf("幸福路%d号", i), Lat: &lat, Lon: &lon, DistrictID: 1 + int64(i%2), StreetID: 11, CommunityID: 111, GridID: 1111},
						Citizen:    lifecycle.Citizen{Name: "王小明", Phone: "13800001111", PhoneHash: "hash"},
						LeadUnitID: 7, ReopenCount: i % 2, Resolved: &yes, Satisfaction: lifecycle.Unsatisfied,
						CreatedAt: at.Add(time.Duration(i) * time.Hour), UpdatedAt: at, ClosedAt: at.Add(48 * time.Hour), Version: 1}
					if err := tx.InsertCase(ctx, c); err != nil {
						return err
					}
					made = append(made, c)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			all := store.LightFilter{From: at, To: at.Add(24 * time.Hour)}
			got, err := s.LightCases(ctx, all)
			if err != nil || len(got) != len(made) {
				t.Fatalf("%d light cases, %v", len(got), err)
			}
			for i, l := range got {
				full, err := s.Case(ctx, made[i].ID, org.Scope{All: true})
				if err != nil {
					t.Fatal(err)
				}
				if l.ID != full.ID || l.Number != full.Number || l.Category != full.Category || l.Title != full.Title || l.Description != full.Description ||
					l.Location.Address != full.Location.Address || *l.Location.Lat != *full.Location.Lat || l.Location.GridID != full.Location.GridID ||
					l.LeadUnitID != full.LeadUnitID || l.ReopenCount != full.ReopenCount || l.Satisfaction != full.Satisfaction ||
					*l.Resolved != *full.Resolved || !l.CreatedAt.Equal(full.CreatedAt) || l.State != full.State || l.Citizen.PhoneHash != "hash" {
					t.Errorf("light %+v\nfull %+v", l, full)
				}
				if l.Citizen.Name != "" || l.Citizen.Phone != "" {
					t.Errorf("light case %d carries the citizen: %+v", l.ID, l.Citizen)
				}
			}
			f := all
			f.DistrictID, f.Categories = 1, []string{"urban"}
			if got, _ := s.LightCases(ctx, f); len(got) != 4 {
				t.Errorf("district 1, urban.*: %d, want 4", len(got))
			}
			f = all
			f.Every, f.Limit = 3, 2
			if got, _ := s.LightCases(ctx, f); len(got) != 2 || got[0].ID%3 != 0 || got[1].ID%3 != 0 {
				t.Errorf("every third, two: %d", len(got))
			}
			// Without a limit the sample is read by its ids and put in
			// time order: cases whose ids do not follow their times (an
			// import's history) come where their times put them.
			if err := s.Write(ctx, func(tx *store.Tx) error {
				for i := range 9 {
					c := &lifecycle.Case{Number: fmt.Sprintf("R%04d", i), Channel: "web", Type: "complaint", Urgency: "general",
						Category: "urban.noise", State: lifecycle.Closed, Title: "倒序", Description: "倒序",
						Location: lifecycle.Location{DistrictID: 1, StreetID: 11, CommunityID: 111, GridID: 1111}, LeadUnitID: 7,
						CreatedAt: at.Add(11*time.Hour + 30*time.Minute - time.Duration(i)*75*time.Minute), UpdatedAt: at, ClosedAt: at.Add(48 * time.Hour), Version: 1}
					if err := tx.InsertCase(ctx, c); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			every, err := s.LightCases(ctx, store.LightFilter{From: all.From, To: all.To, Every: 3})
			if err != nil {
				t.Fatal(err)
			}
			whole, err := s.LightCases(ctx, all)
			if err != nil {
				t.Fatal(err)
			}
			var want []int64
			for _, c := range whole {
				if c.ID%3 == 0 {
					want = append(want, c.ID)
				}
			}
			var have []int64
			for _, c := range every {
				have = append(have, c.ID)
			}
			if len(want) != 7 || fmt.Sprint(have) != fmt.Sprint(want) {
				t.Errorf("every third in time order: %v, want %v", have, want)
			}
		})
	}
}
