package participation

import (
	"context"
	"strconv"

	"whistle/internal/consult"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/store"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// OpenRound opens a year's practical-matters list (the city centre's
// dispatchers and administrators).
func (s *Service) OpenRound(ctx context.Context, a org.Actor, year int, title string, votesPerPhone int) (*consult.Round, error) {
	if !org.CityDecider(a) {
		return nil, errs.E(errs.Forbidden)
	}
	r, err := consult.NewRound(year, title, votesPerPhone, s.Now())
	if err != nil {
		return nil, err
	}
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertRound(ctx, &r); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "practical_round", "round:"+itoa(r.ID), r)
	})
	return &r, err
}

// Rounds lists the rounds, latest first (public).
func (s *Service) Rounds(ctx context.Context) ([]consult.Round, error) { return s.St.Rounds(ctx) }

// RoundView is a round with its items (public: no proposer is kept but
// a hash, and none is shown).
type RoundView struct {
	Round  *consult.Round
	Items  []consult.Item
	Ranked []consult.Item // the ballot by votes
}

// Round returns a round with its items (public).
func (s *Service) Round(ctx context.Context, id int64) (*RoundView, error) {
	r, err := s.St.Round(ctx, id)
	if err != nil {
		return nil, err
	}
	items, err := s.St.Items(ctx, id)
	if err != nil {
		return nil, err
	}
	return &RoundView{Round: r, Items: items, Ranked: consult.Ranked(items)}, nil
}

// Propose records a resident's proposal (phone-identified; the portal
// limits how often an address proposes).
func (s *Service) Propose(ctx context.Context, roundID int64, phone, title, detail string, placeID int64) (*consult.Item, error) {
	h, err := s.phoneKey(phone)
	if err != nil {
		return nil, err
	}
	if _, ok := s.Place(placeID); !ok && placeID != 0 {
		return nil, errs.F(errs.UnknownPlace, "place_id")
	}
	var it consult.Item
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		r, err := tx.Round(ctx, roundID)
		if err != nil {
			return err
		}
		if it, err = consult.Propose(r, title, detail, placeID, s.Now()); err != nil {
			return err
		}
		return tx.InsertItem(ctx, &it, "p:"+h)
	})
	return &it, err
}

// Shortlist puts a proposal on the ballot, or turns it down, with a note
// (the city centre).
func (s *Service) Shortlist(ctx context.Context, a org.Actor, itemID int64, keep bool, note string) (*consult.Item, error) {
	if !org.CityDecider(a) {
		return nil, errs.E(errs.Forbidden)
	}
	var out *consult.Item
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		it, err := tx.Item(ctx, itemID)
		if err != nil {
			return err
		}
		r, err := tx.Round(ctx, it.RoundID)
		if err != nil {
			return err
		}
		if err := consult.Shortlist(r, it, keep, note); err != nil {
			return err
		}
		if err := tx.UpdateItem(ctx, it); err != nil {
			return err
		}
		out = it
		return s.Audit(ctx, tx, a, "practical_shortlist", "item:"+itoa(it.ID), map[string]any{"state": it.State, "note": it.Note})
	})
	return out, err
}

// OpenVoting starts the residents' vote on the shortlist (the city centre).
func (s *Service) OpenVoting(ctx context.Context, a org.Actor, roundID int64) (*consult.Round, error) {
	if !org.CityDecider(a) {
		return nil, errs.E(errs.Forbidden)
	}
	var out *consult.Round
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		r, err := tx.Round(ctx, roundID)
		if err != nil {
			return err
		}
		items, err := tx.Items(ctx, roundID)
		if err != nil {
			return err
		}
		n := 0
		for _, it := range items {
			if it.State == consult.ItemShortlisted {
				n++
			}
		}
		if err := consult.OpenVoting(r, n); err != nil {
			return err
		}
		if err := tx.UpdateRound(ctx, r); err != nil {
			return err
		}
		out = r
		return s.Audit(ctx, tx, a, "practical_voting", "round:"+itoa(r.ID), nil)
	})
	return out, err
}

// Vote records a phone's vote for a shortlisted item: once per item, at
// most the round's votes per phone.
func (s *Service) Vote(ctx context.Context, itemID int64, phone string) error {
	h, err := s.phoneKey(phone)
	if err != nil {
		return err
	}
	return s.St.Write(ctx, func(tx *store.Tx) error {
		it, err := tx.Item(ctx, itemID)
		if err != nil {
			return err
		}
		r, err := tx.Round(ctx, it.RoundID)
		if err != nil {
			return err
		}
		used, err := tx.PhoneVotes(ctx, r.ID, h)
		if err != nil {
			return err
		}
		voted := false
		for _, id := range used {
			voted = voted || id == itemID
		}
		if err := consult.CheckVote(r, it, voted, len(used)); err != nil {
			return err
		}
		return tx.InsertVote(ctx, r.ID, itemID, h, s.Now())
	})
}

// Adopt decides a round: the top n items of the ballot are adopted and
// each becomes a community project of its street, proposed for the
// street office to approve and fund, in the same transaction.
func (s *Service) Adopt(ctx context.Context, a org.Actor, roundID int64, n int) ([]consult.Project, error) {
	if !org.CityDecider(a) {
		return nil, errs.E(errs.Forbidden)
	}
	var out []consult.Project
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		out = nil
		r, err := tx.Round(ctx, roundID)
		if err != nil {
			return err
		}
		items, err := tx.Items(ctx, roundID)
		if err != nil {
			return err
		}
		ranked, err := consult.Adopt(r, items, n, s.Now())
		if err != nil {
			return err
		}
		for i := range ranked {
			it := &ranked[i]
			if it.State == consult.ItemAdopted {
				street, ok := s.streetOf(it.PlaceID)
				if !ok {
					return &errs.Error{Code: errs.OutsideArea, Field: "place_id", Detail: "item " + itoa(it.ID) + " has no street"}
				}
				p := consult.Project{UnitID: street.ID, StreetID: street.ID, PlaceID: it.PlaceID, ProposerOrg: r.Title,
					Title: it.Title, Need: it.Title, Plan: it.Detail, State: consult.ProjectProposed, ItemID: it.ID, ProposedBy: a.User.ID,
					ProposedAt: s.Now(), Version: 1}
				if p.Plan == "" {
					p.Plan = it.Note
				}
				if err := p.Validate(); err != nil {
					return err
				}
				if err := tx.InsertProject(ctx, &p); err != nil {
					return err
				}
				it.ProjectID = p.ID
				out = append(out, p)
			}
			if err := tx.UpdateItem(ctx, it); err != nil {
				return err
			}
		}
		if err := tx.UpdateRound(ctx, r); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "practical_adopt", "round:"+itoa(r.ID), map[string]any{"n": n, "projects": len(out)})
	})
	return out, err
}
