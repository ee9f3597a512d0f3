package api_test

import (
	"fmt"
	"testing"

	"whistle/internal/errs"
)

// The property API: compounds listed by centre staff and kept by the
// centre's deciders, the property board, and residents' ratings once a
// quarter on the public routes.
func TestPropertyAPI(t *testing.T) {
	e := apiOpen(t, "")
	var list struct {
		Compounds []struct {
			ID             int64  `json:"id"`
			Name           string `json:"name"`
			PropertyUnitID int64  `json:"property_unit_id"`
			CommunityID    int64  `json:"community_id"`
			PropertyName   string `json:"property_name"`
		} `json:"compounds"`
	}
	apiWant(t, e.apiDo(e.agent, "GET", "/api/v1/compounds", nil), 200, &list)
	if len(list.Compounds) < 4 || list.Compounds[0].PropertyName == "" {
		t.Fatalf("demo compounds: %+v", list.Compounds)
	}
	c := list.Compounds[0]
	body := map[string]any{"name": "新建小区", "aliases": []string{"新建小区北区"}, "community_id": c.CommunityID, "property_unit_id": c.PropertyUnitID, "active": true}
	apiRefused(t, e.apiDo(e.agent, "POST", "/api/v1/compounds", body), 403, errs.Forbidden)
	bad := map[string]any{"name": "", "community_id": c.CommunityID, "property_unit_id": 1}
	apiRefused(t, e.apiDo(e.dispatcher, "POST", "/api/v1/compounds", bad), 422, errs.FieldRequired)
	var made struct {
		ID           int64  `json:"id"`
		PropertyName string `json:"property_name"`
	}
	apiWant(t, e.apiDo(e.dispatcher, "POST", "/api/v1/compounds", body), 201, &made)
	if made.ID == 0 || made.PropertyName != c.PropertyName {
		t.Fatalf("created %+v", made)
	}
	body["active"] = false
	apiWant(t, e.apiDo(e.dispatcher, "PUT", fmt.Sprintf("/api/v1/compounds/%d", made.ID), body), 200, &made)
	apiRefused(t, e.apiDo(e.dispatcher, "PUT", "/api/v1/compounds/99999", body), 404, errs.NotFound)

	var board struct {
		Rows []struct {
			Compounds []string `json:"compounds"`
		} `json:"rows"`
	}
	month := e.app.Svc.Now().AddDate(0, -1, 0).Format("2006-01")
	apiWant(t, e.apiDo(e.dispatcher, "GET", "/api/v1/property/board?month="+month, nil), 200, &board)
	if len(board.Rows) < 3 {
		t.Fatalf("board rows %+v", board.Rows)
	}
	apiRefused(t, e.apiDo(e.dispatcher, "GET", "/api/v1/property/board?month=13", nil), 422, errs.Invalid)

	var pub struct {
		Compounds []struct {
			ID int64 `json:"id"`
		} `json:"compounds"`
	}
	apiWant(t, e.apiDo("", "GET", "/api/v1/public/compounds", nil), 200, &pub)
	if len(pub.Compounds) != len(list.Compounds) { // the new one is inactive
		t.Fatalf("public compounds %d, want %d", len(pub.Compounds), len(list.Compounds))
	}
	rate := map[string]any{"compound_id": c.ID, "score": 5, "comment": "好", "phone": "13911112222"}
	apiWant(t, e.apiDo("", "POST", "/api/v1/public/property-ratings", rate), 201, nil)
	apiRefused(t, e.apiDo("", "POST", "/api/v1/public/property-ratings", rate), 409, errs.Exists)
	rate["score"], rate["phone"] = 0, "13911113333"
	apiRefused(t, e.apiDo("", "POST", "/api/v1/public/property-ratings", rate), 422, errs.Invalid)
}
