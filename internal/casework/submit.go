package casework

import (
	"context"
	"errors"
	"slices"
	"strings"

	"whistle/internal/core"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

// PublicChannels are the channels citizens submit through themselves.
var PublicChannels = []string{"web", "app", "miniprogram", "open311"}

// SubmitPublic takes a citizen's own submission (the portal page, the
// public API): one workflow for every online front end. The citizen must
// give a phone number (to follow the request) and a place (an address or a
// point); a category left empty is the classifier's first guess; an
// address is placed through the gazetteer; the duty list's suggestion and
// the repeat counts are recorded; and when the centre has turned automatic
// dispatch on for the category and the duty list names one unit, the
// request is accepted and dispatched in the same commit that stores it.
// Attachments are ids of photos the citizen uploaded for it. With an
// idempotency key a retry returns the first result (replayed).
func (s *Service) SubmitPublic(ctx context.Context, in NewCase, idemKey string) (*lifecycle.Case, bool, error) {
	if err := s.preparePublic(ctx, &in); err != nil {
		return nil, false, err
	}
	c, replayed, err := s.create(ctx, core.Citizen(), in, idemKey, func(ctx context.Context, c *lifecycle.Case) (org.Actor, []ActInput, error) {
		// The state the case will be created in (submitted) decides the
		// steps; it is set by the rules inside the write.
		probe := *c
		probe.State = lifecycle.Submitted
		_, steps, err := s.autoDispatchPlan(ctx, &probe)
		if err != nil {
			// The request is taken all the same; agents dispatch it.
			s.Log.Warn("automatic dispatch", "err", err)
			return org.System(), nil, nil
		}
		return org.System(), steps, nil
	})
	var se *stepError
	if errors.As(err, &se) {
		// The rules refused the automatic dispatch (the organisation
		// changed since it was planned): the request is taken all the
		// same, and agents dispatch it.
		s.Log.Warn("automatic dispatch refused", "err", se.err)
		return s.create(ctx, core.Citizen(), in, idemKey, nil)
	}
	return c, replayed, err
}

// CallOutcome is what an agent does with a call as it is taken, in the
// same commit: dispatch it (派单), answer it directly (直接答复), or merge
// it into an open case it duplicates. The zero value only records it.
type CallOutcome struct {
	Dispatch   bool
	UnitID     int64
	CoUnitIDs  []int64
	Answer     bool
	AnswerNote string
	Article    string // knowledge article the answer cites ("KB-12")
	MergeInto  int64  // parent case
	MergeNote  string
}

// TakeCall records a request an agent takes (phone and other staffed
// channels) and does what the agent decided with it, in one commit:
// nothing is stored when either step is refused. An address without a
// point or place is placed through the gazetteer first.
func (s *Service) TakeCall(ctx context.Context, a org.Actor, in NewCase, out CallOutcome, idemKey string) (*lifecycle.Case, bool, error) {
	var steps []ActInput
	switch {
	case out.MergeInto != 0:
		steps = append(steps, ActInput{Action: lifecycle.ActMerge, ParentID: out.MergeInto, Note: out.MergeNote})
	case out.Dispatch:
		if out.UnitID == 0 {
			return nil, false, errs.F(errs.FieldRequired, "unit_id")
		}
		steps = append(steps, ActInput{Action: lifecycle.ActDispatch, UnitID: out.UnitID, CoUnitIDs: out.CoUnitIDs})
	case out.Answer:
		if strings.TrimSpace(out.AnswerNote) == "" {
			return nil, false, errs.F(errs.FieldRequired, "answer")
		}
		steps = append(steps, ActInput{Action: lifecycle.ActAnswer, Note: out.AnswerNote, Article: out.Article})
	}
	s.PlaceByAddress(ctx, &in)
	if len(steps) == 0 {
		return s.create(ctx, a, in, idemKey, nil)
	}
	c, replayed, err := s.create(ctx, a, in, idemKey, func(context.Context, *lifecycle.Case) (org.Actor, []ActInput, error) {
		return a, steps, nil
	})
	var se *stepError
	if errors.As(err, &se) {
		err = se.err // the agent is told why; nothing was stored
	}
	return c, replayed, err
}

// CheckPublic checks a citizen's submission as SubmitPublic would, without
// storing anything (so that photos are only kept for a request that will
// be taken). Every field is checked: the error names the first problem and
// carries all of them, one per field (errs.FieldsOf), so a form can mark
// each wrong field at once.
func (s *Service) CheckPublic(ctx context.Context, in NewCase) error {
	return s.preparePublic(ctx, &in)
}

// preparePublic normalises and checks a citizen's submission as
// SubmitPublic takes it, reporting every problem at once: a missing phone
// first, then a missing place, then the case's own checks (Build).
func (s *Service) preparePublic(ctx context.Context, in *NewCase) error {
	if !slices.Contains(PublicChannels, in.Channel) {
		in.Channel = "web" // citizens submit online, whatever they say
	}
	in.RelatedTo = nil
	in.Anonymous = false // the phone is needed to follow the request
	in.Category = strings.TrimSpace(in.Category)
	described := !lifecycle.Blank(in.Description)
	if in.Category == "" && described {
		// Citizens need not know the taxonomy: the classifier's first
		// guess, which the centre confirms at acceptance.
		in.Category = s.dispatch.GuessCategory(ctx, in.Title+" "+in.Description)
	}
	s.PlaceByAddress(ctx, in)
	_, problems, err := s.build(*in)
	if err != nil {
		return err
	}
	var first, rest []*errs.Error
	for _, p := range problems {
		switch {
		case p.Field == "citizen_phone" && p.Code == errs.FieldRequired:
			first = append(first, p)
		case p.Field == "category" && p.Code == errs.FieldRequired && !described:
			// The category is optional for citizens: it is guessed from
			// the description, whose own absence is the problem.
		default:
			rest = append(rest, p)
		}
	}
	if in.Lat == nil && in.PlaceID == 0 && strings.TrimSpace(in.Address) == "" {
		first = append(first, errs.F(errs.FieldRequired, "address"))
	}
	return errs.All(append(first, rest...)...)
}
