package api

import (
	"net/http"
	"slices"
	"testing"

	"whistle/internal/errs"
	"whistle/internal/lifecycle"
)

// FuzzCaseFilter: any query string of the case lists becomes a filter or a
// 400 invalid naming the parameter; a filter holds only known states, a limit in
// 0..200, a known sort, and is read the same way twice.
func FuzzCaseFilter(f *testing.F) {
	for _, q := range []string{
		"state=received,dispatched&open=true&limit=20&sort=due", "overdue=1&supervised=false&return_pending=t&extension_pending=F",
		"unit_id=3&district_id=2&street_id=9", "from=2026-01-01T00:00:00%2B08:00&to=2026-12-31T23:59:59Z", "limit=0", "limit=201",
		"limit=-1", "sort=id", "state=,,", "state=closed,nope", "unit_id=9223372036854775808", "open=maybe", "from=2026-13-01",
		"cursor=abc&category=urban.stall&type=complaint&channel=phone", "%zz", "a=1&a=2&state=received&state=closed", "",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		r, err := http.NewRequest("GET", "/api/v1/cases?"+q, nil)
		if err != nil {
			return
		}
		fl, err := filterFrom(r)
		if err != nil {
			var e *errs.Error
			if !errsAs(err, &e) || e.Code != errs.Invalid || e.Field == "" {
				t.Fatalf("%q: %#v", q, err)
			}
			return
		}
		for _, st := range fl.States {
			if !slices.Contains(lifecycle.States, st) {
				t.Fatalf("%q: unknown state %q", q, st)
			}
		}
		if fl.Limit < 0 || fl.Limit > 200 || (fl.Sort != "" && fl.Sort != "created" && fl.Sort != "due") {
			t.Fatalf("%q: %+v", q, fl)
		}
		again, _ := filterFrom(r)
		if !filterEqual(fl, again) {
			t.Fatalf("%q read twice: %+v, %+v", q, fl, again)
		}
	})
}

func errsAs(err error, e **errs.Error) bool {
	x, ok := err.(*errs.Error)
	*e = x
	return ok
}

func filterEqual(a, b lifecycle.CaseFilter) bool {
	eqb := func(x, y *bool) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return slices.Equal(a.States, b.States) && a.Limit == b.Limit && a.Sort == b.Sort && a.Cursor == b.Cursor &&
		a.LeadUnitID == b.LeadUnitID && a.DistrictID == b.DistrictID && a.StreetID == b.StreetID &&
		a.CreatedFrom.Equal(b.CreatedFrom) && a.CreatedTo.Equal(b.CreatedTo) &&
		eqb(a.Open, b.Open) && eqb(a.Overdue, b.Overdue) && eqb(a.Supervised, b.Supervised) &&
		eqb(a.ReturnPending, b.ReturnPending) && eqb(a.ExtPending, b.ExtPending)
}
