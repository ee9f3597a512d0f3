package casework

import (
	"context"
	"strconv"
	"strings"
	"time"

	"whistle/internal/auth"
	"whistle/internal/core"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
)

// Phone search (来电人历史诉求): finding a citizen's requests by the number
// they call from. It answers "has this person called before, and about
// what", which is what an agent needs on a call and what anyone else could
// use as an oracle on a citizen (who complained about whom). So it is one
// service call, used by the API (GET /cases?phone=) and the agent screen
// (/agent/history) alike, with these rules, in this order:
//
//  1. Role: only roles that take calls — agents and dispatchers of a 12345
//     centre (the city's or a district's; lifecycle gives accept, answer,
//     dispatch and callback to exactly these) — may search. Everyone else
//     (handlers, leaders, supervisors, grid workers, analysts, admins, who
//     take no calls) gets PhoneSearchForbidden, before the number is read.
//  2. The number: a complete number only — an 11-digit mobile or a
//     landline with its area code (11 or 12 digits). A masked number
//     (138****1234), wildcards, a partial or short number is refused
//     (InvalidPhone, 422), so that the search is never a partial match.
//  3. Rate: PhoneSearchMax searches per user per PhoneSearchWindow, counted
//     here so that both front ends share one allowance; beyond it
//     PhoneSearchLimited (429). Refused searches (1, 2) do not count.
//  4. Scope and confidentiality: the actor's scope (org.ScopeOf) as for any
//     list, and a confidential citizen (保密) is matched only for the city
//     centre, for the unit that leads the case, or for the agent who took
//     the call (mayMatchConfidential). A district centre sees a
//     confidential citizen masked on the case itself (CitizenVisibility),
//     but finding that citizen's requests by their number is more than
//     seeing one case, so the search is narrower than the view.
//  5. Audit: every search that ran writes a "search_phone" entry with the
//     searcher, the number of results and the cases found, and the keyed
//     phone hash (the same reference the store keeps) — never the number
//     itself. The results are returned only if the entry was written.
//
// The results are masked exactly as lists are (lifecycle.ViewsFor).

// PhoneSearchMax searches by phone per user within PhoneSearchWindow.
const (
	PhoneSearchMax    = 30
	PhoneSearchWindow = 10 * time.Minute
)

// MaySearchByPhone reports whether the actor's role takes calls: an agent
// or dispatcher of a 12345 centre (city or district) who may see personal
// data at all.
func MaySearchByPhone(a org.Actor) bool {
	return a.User.Has(org.RoleAgent, org.RoleDispatcher) && a.Unit.IsCentre() && !org.ScopeOf(a).NoPII
}

// mayMatchConfidential reports whether a phone search by a matches the
// case of a confidential citizen: the city centre (which takes the calls
// and may reveal confidential citizens), the unit that leads the case, or
// the user who registered it. A district centre's agent does not find a
// confidential citizen whose case a street or department of the district
// holds.
func mayMatchConfidential(a org.Actor, c *lifecycle.Case) bool {
	return a.Unit.Kind == org.KindCityCentre ||
		(c.LeadUnitID != 0 && c.LeadUnitID == a.Unit.ID) ||
		(c.CreatedBy != 0 && c.CreatedBy == a.User.ID)
}

// fullPhone normalises a number for a phone search and refuses anything
// that is not one complete number.
func fullPhone(phone string) (string, error) {
	phone = strings.TrimSpace(phone)
	if strings.ContainsAny(phone, "*%_?xX×＊") {
		return "", &errs.Error{Code: errs.InvalidPhone, Field: "phone", Detail: "a complete number is required: no masks or wildcards"}
	}
	p, err := core.NormalizePhone(phone)
	// Mobiles start with 1, landlines with their area code's 0; service
	// numbers (95…, 400…) are nobody's own line.
	if err != nil || len(p) < 11 || (p[0] != '1' && p[0] != '0') {
		return "", &errs.Error{Code: errs.InvalidPhone, Field: "phone", Detail: "a complete mobile number or a landline with its area code is required"}
	}
	return p, nil
}

// newPhoneLimiter is the per-user allowance of phone searches.
func newPhoneLimiter() *auth.Limiter { return auth.NewLimiter(PhoneSearchMax, PhoneSearchWindow) }

// SearchByPhone lists the cases of the citizen who calls from phone, as
// the actor may see them (see the rules above). f carries the other
// filters, the cursor and the limit of a list; its PhoneHash is set here.
// An empty phone asks for nothing: an empty page, no count, no entry.
func (s *Service) SearchByPhone(ctx context.Context, a org.Actor, phone string, f lifecycle.CaseFilter) (lifecycle.ListPage, error) {
	if !MaySearchByPhone(a) {
		return lifecycle.ListPage{}, errs.E(errs.PhoneSearchForbidden)
	}
	if strings.TrimSpace(phone) == "" {
		return lifecycle.ListPage{}, nil
	}
	p, err := fullPhone(phone)
	if err != nil {
		return lifecycle.ListPage{}, err
	}
	key, now := strconv.FormatInt(a.User.ID, 10), s.Now()
	if !s.phoneSearches.Reserve(key, now) {
		return lifecycle.ListPage{}, &errs.Error{Code: errs.PhoneSearchLimited, Detail: "at most " + strconv.Itoa(PhoneSearchMax) + " searches by phone in " + PhoneSearchWindow.String()}
	}
	f.PhoneHash = s.PhoneHash(p)
	page, err := s.St.Cases(ctx, org.ScopeOf(a), f)
	if err != nil {
		s.phoneSearches.Refund(key, now) // nothing was searched
		return lifecycle.ListPage{}, err
	}
	found := page.Cases[:0]
	ids := []int64{}
	for _, c := range page.Cases {
		if c.Citizen.Confidential && !mayMatchConfidential(a, c) {
			continue
		}
		found = append(found, c)
		ids = append(ids, c.ID)
	}
	detail := map[string]any{"phone_hash": f.PhoneHash, "results": len(found), "cases": ids}
	if f.Cursor != "" {
		detail["continued"] = true
	}
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		return s.Audit(ctx, tx, a, "search_phone", "phone:"+f.PhoneHash[:16], detail)
	})
	if err != nil {
		return lifecycle.ListPage{}, err
	}
	page.Cases = lifecycle.ViewsFor(a, found)
	return page, nil
}

// PhoneSearchRetryAfter is how many seconds a refused phone search should
// wait at most (the window of the allowance; an attempt frees up earlier
// as the oldest search in the window ages out).
func PhoneSearchRetryAfter() int { return int(PhoneSearchWindow / time.Second) }
