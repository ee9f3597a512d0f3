package services_test

import (
	"testing"
	"time"

	"whistle/internal/calendar"
	"whistle/internal/casework"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/summons"
)

// TestWhistleLinksCasesInStreetArea: a street links to its whistle the cases
// about places in its area, also those a department leads; cases of
// another street's area stay hidden (not found).
func TestWhistleLinksCasesInStreetArea(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := t.Context()
		w := openWorld(t, dsn, time.Date(2026, 3, 2, 9, 0, 0, 0, calendar.ChinaStandardTime()))
		var other org.Unit
		for _, u := range w.svc.UnitsList() {
			if u.Kind == org.KindStreet && u.ID != w.street.ID && u.PlaceID != 0 {
				other = u
				break
			}
		}
		if other.ID == 0 {
			t.Fatal("no second street")
		}
		w.at(3, 10, 8, 0)
		// In the street's area, led by a department.
		inArea := w.create()
		inArea = w.act(w.dispatcher, inArea.ID, casework.ActInput{Action: lifecycle.ActDispatch, UnitID: w.dept.ID})
		if inArea.Location.StreetID != w.street.PlaceID || inArea.LeadUnitID != w.dept.ID {
			t.Fatalf("case street %d lead %d", inArea.Location.StreetID, inArea.LeadUnitID)
		}
		// In another street's area, led by the same department.
		w.phone++
		outside, _, err := w.svc.Cases.Create(ctx, w.agent, casework.NewCase{Channel: "phone", Type: "complaint", Category: w.category, Urgency: "general",
			Description: "路灯不亮", CitizenPhone: "13900009999", PlaceID: other.PlaceID}, "")
		if err != nil {
			t.Fatal(err)
		}
		w.act(w.dispatcher, outside.ID, casework.ActInput{Action: lifecycle.ActDispatch, UnitID: w.dept.ID})

		raise := func(ids ...int64) (*summons.Whistle, error) {
			return w.svc.Whistles.RaiseWhistle(ctx, w.streetH, summons.Raise{Source: summons.SourceCases, CaseIDs: ids, Address: "幸福路12号", Need: "联合执法",
				Kind: summons.KindJoint, UnitIDs: []int64{w.dept.ID}})
		}
		wh, err := raise(inArea.ID)
		if err != nil {
			t.Fatalf("linking a case in the street's area led by a department: %v", err)
		}
		if len(wh.CaseIDs) != 1 || wh.CaseIDs[0] != inArea.ID {
			t.Errorf("whistle cases %v", wh.CaseIDs)
		}
		if _, err := raise(outside.ID); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("linking another street's case: %v, want not_found", err)
		}
		if _, err := raise(inArea.ID, outside.ID); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("linking one foreign case among others: %v, want not_found", err)
		}
	})
}
