package web_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"whistle/internal/casework"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

// TestOneViewOfPersonalData: the API and the case page show a citizen's
// personal data by the same rule — analysts see none, a confidential
// citizen is withheld from the handling street, the centre sees it masked.
func TestOneViewOfPersonalData(t *testing.T) {
	s := newSite(t)
	ctx := t.Context()
	svc := s.app.Svc
	agent := s.actor(s.logins[org.RoleAgent])
	handler := s.actor(s.logins[org.RoleHandler])
	if handler.Unit.Kind != org.KindStreet {
		t.Fatalf("demo handler %s is not in a street office", handler.User.Username)
	}
	mk := func(confidential bool) int64 {
		c, _, err := svc.Cases.Create(ctx, agent, casework.NewCase{Channel: "phone", Type: "complaint", Category: "urban.stall",
			Description: "小区门口有人占道摆摊，影响通行。", CitizenName: "王小明", CitizenPhone: "13812341234", Confidential: confidential, PlaceID: handler.Unit.PlaceID}, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Cases.Act(ctx, agent, c.ID, casework.ActInput{Action: lifecycle.ActDispatch, UnitID: handler.Unit.ID}); err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	plain, secret := mk(false), mk(true)

	type seen struct{ name, phone string }
	api := func(role string, id int64) seen {
		t.Helper()
		res, err := s.client(role).Get(fmt.Sprintf("%s/api/v1/cases/%d", s.base, id))
		if err != nil {
			t.Fatal(err)
		}
		b := body(t, res)
		if res.StatusCode != 200 {
			t.Fatalf("%s GET case %d: %d %s", role, id, res.StatusCode, b)
		}
		var c struct {
			Citizen struct{ Name, Phone string } `json:"citizen"`
		}
		if err := json.Unmarshal([]byte(b), &c); err != nil {
			t.Fatal(err)
		}
		return seen{c.Citizen.Name, c.Citizen.Phone}
	}
	page := func(role string, id int64) string {
		t.Helper()
		res, err := s.client(role).Get(fmt.Sprintf("%s/cases/%d", s.base, id))
		if err != nil {
			t.Fatal(err)
		}
		b := body(t, res)
		if res.StatusCode != 200 {
			t.Fatalf("%s case page %d: %d", role, id, res.StatusCode)
		}
		i := strings.Index(b, `id="citizen"`)
		if i < 0 {
			t.Fatalf("%s case page %d has no citizen", role, id)
		}
		return b[i:min(len(b), i+600)]
	}
	tests := []struct {
		role       string
		id         int64
		api        seen
		pageHas    []string
		pageHasNot []string
	}{
		{org.RoleAgent, plain, seen{"王**", "138****1234"}, []string{"王**", "138****1234", "/reveal"}, nil},
		{org.RoleAgent, secret, seen{"王**", "138****1234"}, []string{"王**", "138****1234", "/reveal"}, nil},
		{org.RoleAnalyst, plain, seen{"", ""}, []string{"个人信息不向本角色显示"}, []string{"王", "1234", "/reveal"}},
		{org.RoleAnalyst, secret, seen{"", ""}, []string{"个人信息不向本角色显示"}, []string{"王", "1234", "/reveal"}},
		{org.RoleHandler, plain, seen{"王**", "138****1234"}, []string{"王**", "138****1234", "/reveal"}, nil},
		{org.RoleHandler, secret, seen{lifecycle.WithheldName, lifecycle.WithheldPhone}, []string{"保密诉求人"}, []string{"王", "1234", "/reveal"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.role, tt.id), func(t *testing.T) {
			if got := api(tt.role, tt.id); got != tt.api {
				t.Errorf("API shows %+v, want %+v", got, tt.api)
			}
			p := page(tt.role, tt.id)
			for _, w := range tt.pageHas {
				if !strings.Contains(p, w) {
					t.Errorf("page lacks %q: %s", w, p)
				}
			}
			for _, w := range tt.pageHasNot {
				if strings.Contains(p, w) {
					t.Errorf("page shows %q: %s", w, p)
				}
			}
		})
	}
}
