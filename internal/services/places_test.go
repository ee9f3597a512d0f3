package services_test

import (
	"testing"
	"time"

	"whistle/internal/calendar"
	"whistle/internal/casework"
	"whistle/internal/dedup"
	"whistle/internal/gazetteer"
	"whistle/internal/org"
)

// TestAddressOnlyCallGetsPoint: a call placed by address text only, or by a
// place the agent picked among the address's readings, gets an approximate
// point, so that a second call about the same compound finds the first as
// a likely duplicate.
func TestAddressOnlyCallGetsPoint(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := t.Context()
		w := openWorld(t, dsn, time.Date(2026, 3, 2, 9, 0, 0, 0, calendar.ChinaStandardTime()))
		var admin org.Actor
		for _, u := range w.svc.UnitsList() {
			users, _ := w.st.Users(ctx, u.ID)
			for _, us := range users {
				if us.Has(org.RoleAdmin) && admin.User.ID == 0 {
					admin, _ = w.svc.Actor(us)
				}
			}
		}
		// A compound known at street level (its residents spread over
		// several communities), without a point of its own.
		if _, err := w.svc.Admin.AddGazetteerEntry(ctx, admin, gazetteer.Entry{Kind: gazetteer.KindCompound, Name: "鹿鸣苑测试小区", PlaceID: w.street.PlaceID}); err != nil {
			t.Fatal(err)
		}
		call := func(addr string, place int64) int64 {
			t.Helper()
			w.phone++
			c, _, err := w.svc.Cases.TakeCall(ctx, w.agent, casework.NewCase{Channel: "phone", Type: "complaint", Category: w.category, Urgency: "general",
				Title: "楼道灯不亮", Description: "鹿鸣苑测试小区楼道灯坏了好几天没人修", Address: addr, PlaceID: place, CitizenPhone: "1390000" + itoa(1000+w.phone)}, casework.CallOutcome{}, "")
			if err != nil {
				t.Fatal(err)
			}
			l := c.Location
			if l.Lat == nil || l.Lon == nil || !l.Approximate || l.StreetID != w.street.PlaceID {
				t.Fatalf("%q (place %d): location %+v, want an approximate point in the street", addr, place, l)
			}
			if j, err := w.svc.Jurisdiction(*l.Lat, *l.Lon); err != nil || j.Street == nil || j.Street.ID != w.street.PlaceID {
				t.Errorf("%q: the point lies in %+v, %v; want the street", addr, j.Street, err)
			}
			return c.ID
		}
		first := call("鹿鸣苑测试小区3号楼", 0)
		second := call("鹿鸣苑测试小区5号楼东门", w.street.PlaceID) // the agent picked the reading
		ms, err := w.svc.Dispatch.Duplicates(ctx, w.agent, second, dedup.Config{})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, m := range ms {
			found = found || m.ID == first
		}
		if !found {
			t.Errorf("duplicates of the second call %+v, want the first (%d)", ms, first)
		}
	})
}
