package consult

import (
	"sort"
	"strings"
	"time"

	"whistle/internal/errs"
)

// Round states of the annual practical-matters list (民生实事).
const (
	RoundProposing = "proposing" // residents propose, the centre shortlists
	RoundVoting    = "voting"    // residents vote on the shortlist
	RoundDecided   = "decided"   // the centre adopted the top items
)

// Item states.
const (
	ItemProposed    = "proposed"
	ItemShortlisted = "shortlisted"
	ItemRejected    = "rejected" // not shortlisted
	ItemAdopted     = "adopted"
	ItemNotAdopted  = "not_adopted"
)

// DefaultVotesPerPhone is how many items one phone may vote for in a round.
const DefaultVotesPerPhone = 3

// Round is one year's practical-matters list.
type Round struct {
	ID            int64     `json:"id"`
	Year          int       `json:"year"`
	Title         string    `json:"title"`
	VotesPerPhone int       `json:"votes_per_phone"`
	State         string    `json:"state"`
	CreatedAt     time.Time `json:"created_at"`
	DecidedAt     time.Time `json:"decided_at,omitzero"`
}

// Item is one proposed practical matter.
type Item struct {
	ID         int64     `json:"id"`
	RoundID    int64     `json:"round_id"`
	Title      string    `json:"title"`
	Detail     string    `json:"detail"`
	PlaceID    int64     `json:"place_id"`
	State      string    `json:"state"`
	Note       string    `json:"note"` // the centre's note on shortlisting
	Votes      int       `json:"votes"`
	ProjectID  int64     `json:"project_id,omitempty"`
	ProposedAt time.Time `json:"proposed_at"`
}

// NewRound checks a new round.
func NewRound(year int, title string, votes int, now time.Time) (Round, error) {
	if year < 2000 || year > 2100 {
		return Round{}, field(errs.Invalid, "year")
	}
	if votes == 0 {
		votes = DefaultVotesPerPhone
	}
	if votes < 1 || votes > 20 {
		return Round{}, field(errs.Invalid, "votes_per_phone")
	}
	title = strings.TrimSpace(title)
	if tooLong(title, MaxTitle) {
		return Round{}, field(errs.FieldTooLong, "title")
	}
	return Round{Year: year, Title: title, VotesPerPhone: votes, State: RoundProposing, CreatedAt: now}, nil
}

// Propose checks a resident's proposal in a round.
func Propose(r *Round, title, detail string, placeID int64, now time.Time) (Item, error) {
	if r.State != RoundProposing {
		return Item{}, &errs.Error{Code: errs.InvalidTransition, Detail: "round " + r.State}
	}
	title, detail = strings.TrimSpace(title), strings.TrimSpace(detail)
	switch {
	case title == "":
		return Item{}, field(errs.FieldRequired, "title")
	case tooLong(title, MaxTitle):
		return Item{}, field(errs.FieldTooLong, "title")
	case tooLong(detail, MaxIntro):
		return Item{}, field(errs.FieldTooLong, "detail")
	case placeID == 0:
		return Item{}, field(errs.FieldRequired, "place_id")
	}
	return Item{RoundID: r.ID, Title: title, Detail: detail, PlaceID: placeID, State: ItemProposed, ProposedAt: now}, nil
}

// Shortlist puts a proposal on the ballot (or turns it down) with a note.
func Shortlist(r *Round, it *Item, keep bool, note string) error {
	if r.State == RoundDecided || it.State != ItemProposed && it.State != ItemShortlisted && it.State != ItemRejected {
		return &errs.Error{Code: errs.InvalidTransition, Detail: it.State}
	}
	if tooLong(note, MaxIntro) {
		return field(errs.FieldTooLong, "note")
	}
	if keep {
		it.State = ItemShortlisted
	} else {
		it.State = ItemRejected
	}
	it.Note = strings.TrimSpace(note)
	return nil
}

// OpenVoting starts the vote; there must be something to vote on.
func OpenVoting(r *Round, shortlisted int) error {
	if r.State != RoundProposing {
		return &errs.Error{Code: errs.InvalidTransition, Detail: r.State}
	}
	if shortlisted == 0 {
		return &errs.Error{Code: errs.Invalid, Field: "items", Detail: "nothing shortlisted"}
	}
	r.State = RoundVoting
	return nil
}

// CheckVote checks one phone's vote for an item: in a voting round, on the
// shortlist, not twice for the same item, not more than the round allows.
func CheckVote(r *Round, it *Item, votedForItem bool, votesUsed int) error {
	switch {
	case r.State != RoundVoting:
		return &errs.Error{Code: errs.InvalidTransition, Detail: "round " + r.State}
	case it.RoundID != r.ID || it.State != ItemShortlisted:
		return &errs.Error{Code: errs.NotFound, Field: "item_id"}
	case votedForItem:
		return &errs.Error{Code: errs.Exists, Field: "phone", Detail: "already voted for this item"}
	case votesUsed >= r.VotesPerPhone:
		return &errs.Error{Code: errs.RateLimited, Field: "phone", Detail: "no votes left this year"}
	}
	return nil
}

// Ranked orders shortlisted items by votes (most first; the earlier
// proposal first on ties).
func Ranked(items []Item) []Item {
	var out []Item
	for _, it := range items {
		if it.State == ItemShortlisted || it.State == ItemAdopted || it.State == ItemNotAdopted {
			out = append(out, it)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Votes != out[j].Votes {
			return out[i].Votes > out[j].Votes
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Adopt decides a voting round: the top n shortlisted items are adopted,
// the rest of the shortlist is not. It returns the adopted items (which
// become projects) in rank order.
func Adopt(r *Round, items []Item, n int, now time.Time) ([]Item, error) {
	if r.State != RoundVoting {
		return nil, &errs.Error{Code: errs.InvalidTransition, Detail: r.State}
	}
	ranked := Ranked(items)
	if n < 1 || n > len(ranked) {
		return nil, &errs.Error{Code: errs.Invalid, Field: "n"}
	}
	for i := range ranked {
		if i < n {
			ranked[i].State = ItemAdopted
		} else {
			ranked[i].State = ItemNotAdopted
		}
	}
	r.State, r.DecidedAt = RoundDecided, now
	return ranked, nil
}
