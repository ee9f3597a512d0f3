package api_test

import (
	"testing"

	"whistle/internal/errs"
)

// Case numbers are sequential, so failed citizen look-ups are limited per
// address: a known phone number cannot walk through a day's requests.
func TestAPIPublicLookupLimited(t *testing.T) {
	e := apiOpen(t, "")
	phone := e.apiPhone()
	c := e.apiCreate(e.agent, e.apiCaseIn(e.gridA, phone))
	lookup := func(number string) apiResp {
		return e.apiDo("", "POST", "/api/v1/public/lookup", map[string]any{"number": number, "phone": phone})
	}
	if r := lookup(c.Number); r.Status != 200 {
		t.Fatalf("own case: %s", r)
	}
	for i := 0; i < 20; i++ {
		apiRefused(t, lookup("2000010100001"), 404, errs.NotFound)
	}
	apiRefused(t, lookup("2000010100001"), 429, errs.RateLimited)
	apiRefused(t, lookup(c.Number), 429, errs.RateLimited) // even a right guess, once over the limit
}
