package forecasting_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"whistle/internal/auth"
	"whistle/internal/core"
	"whistle/internal/demo"
	"whistle/internal/errs"
	"whistle/internal/forecasting"
	"whistle/internal/org"
	"whistle/internal/pgtest"
	"whistle/internal/seed"
	"whistle/internal/services"
	"whistle/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestOutlookScopes: on the demo city, the city's dispatcher gets the
// city's forecasts (a year of monthly counts, this and next month's
// forecast with a band holding its mean), a street office its street's
// alone, a district centre its district's, and a grid worker nothing; the
// back-test runs over the store.
func TestOutlookScopes(t *testing.T) {
	ctx := t.Context()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "w.db"), store.Options{SQLiteSync: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, time.March, 10, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	svc, err := services.New(ctx, st, core.Config{Now: func() time.Time { return now }, PhoneKey: []byte("forecast-test-key"), ReopenLimit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Demo(ctx, svc, demo.Options{Seed: 5, Requests: 1500, End: now}, auth.FastHasher(), nil); err != nil {
		t.Fatal(err)
	}
	find := func(kind, role string) org.Actor {
		t.Helper()
		for _, u := range svc.UnitsList() {
			if u.Kind != kind {
				continue
			}
			users, err := st.Users(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, us := range users {
				if us.Has(role) {
					a, err := svc.Actor(us)
					if err != nil {
						t.Fatal(err)
					}
					return a
				}
			}
		}
		t.Fatalf("no %s in a %s unit", role, kind)
		return org.Actor{}
	}
	city, err := svc.Forecasts.Outlook(ctx, find(org.KindCityCentre, org.RoleDispatcher), forecasting.Month)
	if err != nil {
		t.Fatal(err)
	}
	if city.Scope != (forecasting.Scope{}) || city.Current != "2026-03" || city.Next != "2026-04" {
		t.Errorf("city outlook: scope %+v, periods %s %s", city.Scope, city.Current, city.Next)
	}
	var actual, forecasts int
	var total float64
	for _, p := range city.Chart {
		if p.Actual != nil {
			actual++
			total += *p.Actual
		}
		if p.Mean != nil {
			forecasts++
			if *p.Lo > *p.Mean || *p.Hi < *p.Mean || *p.Mean <= 0 {
				t.Errorf("forecast %s: %v (%v–%v)", p.Label, *p.Mean, *p.Lo, *p.Hi)
			}
		}
	}
	if actual != 11 || forecasts != 2 || total < 1000 {
		t.Errorf("city chart: %d whole months with %v requests, %d forecasts; want 11, most of 1500, 2", actual, total, forecasts)
	}
	if len(city.Rows) == 0 || city.Series < len(city.Rows) || city.Rows[0].Next.Mean < city.Rows[len(city.Rows)-1].Next.Mean {
		t.Errorf("city rows: %d of %d, not the busiest first", len(city.Rows), city.Series)
	}

	street := find(org.KindStreet, org.RoleHandler)
	so, err := svc.Forecasts.Outlook(ctx, street, forecasting.Week)
	if err != nil {
		t.Fatal(err)
	}
	if so.Scope.StreetID != street.Unit.PlaceID || so.ScopeName == "" {
		t.Errorf("street office's scope %+v %q, want street %d", so.Scope, so.ScopeName, street.Unit.PlaceID)
	}
	for _, r := range so.Rows {
		if r.StreetID != street.Unit.PlaceID {
			t.Errorf("a street office sees %s in street %d", r.Category, r.StreetID)
		}
	}

	var district org.Actor
	for _, u := range svc.UnitsList() {
		if u.Kind == org.KindDistrictCentre && district.Unit.ID == 0 {
			if district, err = svc.Actor(org.User{ID: 9999, Username: "dc", Roles: []string{org.RoleDispatcher}, UnitID: u.ID}); err != nil {
				t.Fatal(err)
			}
		}
	}
	do, err := svc.Forecasts.Outlook(ctx, district, forecasting.Month)
	if err != nil || do.Scope.DistrictID != district.DistrictID {
		t.Errorf("district centre: %+v, %v", do, err)
	}
	for _, r := range do.Rows {
		if ch, _ := svc.Chain(r.StreetID); r.StreetID != 0 && ch[0] != district.DistrictID {
			t.Errorf("a district centre sees street %d of another district", r.StreetID)
		}
	}

	if _, err := svc.Forecasts.Outlook(ctx, find(org.KindStreet, org.RoleGridWorker), forecasting.Month); errs.CodeOf(err) != errs.Forbidden {
		t.Errorf("grid worker: %v, want forbidden", err)
	}
	if _, err := svc.Forecasts.Outlook(ctx, org.System(), "year"); errs.CodeOf(err) != errs.Invalid {
		t.Errorf("a period of a year: %v, want invalid", err)
	}
	bt, err := svc.Forecasts.Backtest(ctx, org.System(), forecasting.Week, 10, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	if bt.Report.Series == 0 || bt.Report.Origins != 10 || bt.Report.Points == 0 || bt.Report.Season != 1 {
		t.Errorf("back-test: %+v", bt.Report)
	}
}
