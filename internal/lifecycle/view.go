package lifecycle

import "whistle/internal/org"

// Visibility is how much of a case's citizen an actor may see.
type Visibility int

// Visibilities, from least to most.
const (
	// CitizenHidden: roles that never see personal data (analysts) get
	// neither name nor phone.
	CitizenHidden Visibility = iota
	// CitizenWithheld: a confidential citizen (保密) outside the centre.
	CitizenWithheld
	// CitizenMasked: name and phone masked (王*, 138****1234); roles that
	// need them may reveal them, audited.
	CitizenMasked
)

// Withheld name and phone of a confidential citizen, as the API has always
// shown them.
const (
	WithheldName  = "保密"
	WithheldPhone = "***********"
)

// CitizenVisibility is the one rule for how much of a case's citizen an
// actor sees, used by every front end.
func CitizenVisibility(a org.Actor, c *Case) Visibility {
	switch {
	case org.ScopeOf(a).NoPII:
		return CitizenHidden
	case c.Citizen.Confidential && !a.Unit.IsCentre():
		return CitizenWithheld
	}
	return CitizenMasked
}

// MayReveal reports whether the actor may see the citizen of c in clear
// (the view is audited by the caller).
func MayReveal(a org.Actor, c *Case) bool {
	return org.MayRevealPII(a) && CitizenVisibility(a, c) == CitizenMasked
}

// ViewFor returns a copy of c as the actor may see it: the phone hash
// never, the citizen's name and phone hidden, withheld or masked by
// CitizenVisibility. c itself is not changed.
func ViewFor(a org.Actor, c *Case) *Case {
	if c == nil {
		return nil
	}
	m := *c
	m.Citizen.PhoneHash = ""
	switch CitizenVisibility(a, c) {
	case CitizenHidden:
		m.Citizen.Name, m.Citizen.Phone = "", ""
	case CitizenWithheld:
		m.Citizen.Name, m.Citizen.Phone = WithheldName, WithheldPhone
	default:
		m.Citizen.Name, m.Citizen.Phone = org.MaskName(c.Citizen.Name), org.MaskPhone(c.Citizen.Phone)
	}
	return &m
}

// ViewsFor applies ViewFor to every case.
func ViewsFor(a org.Actor, cs []*Case) []*Case {
	out := make([]*Case, len(cs))
	for i, c := range cs {
		out[i] = ViewFor(a, c)
	}
	return out
}
