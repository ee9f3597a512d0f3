package participation

import (
	"context"
	"strings"

	"whistle/internal/consult"
	"whistle/internal/errs"
	"whistle/internal/insight"
	"whistle/internal/org"
	"whistle/internal/store"
)

// CreateSurvey drafts a survey of the actor's unit.
func (s *Service) CreateSurvey(ctx context.Context, a org.Actor, in consult.Survey) (*consult.Survey, error) {
	if !unitStaff(a) {
		return nil, errs.E(errs.Forbidden)
	}
	sv := consult.Survey{UnitID: a.Unit.ID, CreatedBy: a.User.ID, State: consult.Draft, CreatedAt: s.Now(), Version: 1}
	if err := consult.Edit(&sv, in); err != nil {
		return nil, err
	}
	if err := s.checkPlaces(a.Unit, sv.PlaceIDs, "place_ids"); err != nil {
		return nil, err
	}
	sv.Version = 1
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertSurvey(ctx, &sv); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "survey_create", "survey:"+itoa(sv.ID), map[string]any{"title": sv.Title})
	})
	if err != nil {
		return nil, err
	}
	return &sv, nil
}

// ownSurvey loads a survey for a change by its unit's staff: 404 outside
// the viewers, 403 for a viewer who may not change it.
func (s *Service) ownSurvey(ctx context.Context, tx *store.Tx, a org.Actor, id int64) (*consult.Survey, error) {
	sv, err := tx.Survey(ctx, id)
	if err != nil {
		return nil, err
	}
	if !s.mayView(a, sv.UnitID) {
		return nil, notFound("id")
	}
	if !unitStaff(a) || a.Unit.ID != sv.UnitID {
		return nil, errs.E(errs.Forbidden)
	}
	return sv, nil
}

func (s *Service) changeSurvey(ctx context.Context, a org.Actor, id int64, action string, fn func(sv *consult.Survey) error) (*consult.Survey, error) {
	var out *consult.Survey
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		sv, err := s.ownSurvey(ctx, tx, a, id)
		if err != nil {
			return err
		}
		prev := sv.Version
		if err := fn(sv); err != nil {
			return err
		}
		if err := tx.UpdateSurvey(ctx, sv, prev); err != nil {
			return err
		}
		out = sv
		return s.Audit(ctx, tx, a, action, "survey:"+itoa(id), map[string]any{"state": sv.State})
	})
	return out, err
}

// EditSurvey replaces a draft's content.
func (s *Service) EditSurvey(ctx context.Context, a org.Actor, id int64, in consult.Survey) (*consult.Survey, error) {
	if err := s.checkPlaces(a.Unit, in.PlaceIDs, "place_ids"); err != nil && unitStaff(a) {
		return nil, err
	}
	return s.changeSurvey(ctx, a, id, "survey_edit", func(sv *consult.Survey) error { return consult.Edit(sv, in) })
}

// PublishSurvey puts a draft before the residents.
func (s *Service) PublishSurvey(ctx context.Context, a org.Actor, id int64) (*consult.Survey, error) {
	return s.changeSurvey(ctx, a, id, "survey_publish", func(sv *consult.Survey) error { return consult.Publish(sv, s.Now()) })
}

// CloseSurvey stops a survey taking answers.
func (s *Service) CloseSurvey(ctx context.Context, a org.Actor, id int64) (*consult.Survey, error) {
	return s.changeSurvey(ctx, a, id, "survey_close", func(sv *consult.Survey) error { return consult.Close(sv, s.Now()) })
}

// Surveys lists the surveys an actor sees: a unit's own; the centre's of
// its district (the city centre's all).
func (s *Service) Surveys(ctx context.Context, a org.Actor) ([]consult.Survey, error) {
	if unitStaff(a) {
		return s.St.Surveys(ctx, store.SurveyFilter{UnitIDs: []int64{a.Unit.ID}})
	}
	d, all, ok := org.CentreDistrict(a)
	if !ok {
		return nil, errs.E(errs.Forbidden)
	}
	list, err := s.St.Surveys(ctx, store.SurveyFilter{Limit: 1000})
	if err != nil || all {
		return list, err
	}
	out := []consult.Survey{}
	for _, sv := range list {
		if s.unitDistrict(sv.UnitID) == d {
			out = append(out, sv)
		}
	}
	return out, nil
}

// Survey returns a survey its viewers may see (404 for anyone else).
func (s *Service) Survey(ctx context.Context, a org.Actor, id int64) (*consult.Survey, error) {
	sv, err := s.St.Survey(ctx, id)
	if err != nil {
		return nil, err
	}
	if !s.mayView(a, sv.UnitID) {
		return nil, notFound("id")
	}
	return sv, nil
}

// Results is a survey's tally with its free-text answers grouped by the
// terms they share (the same terms as the monthly analysis, #9).
type Results struct {
	Survey *consult.Survey
	consult.Result
	Groups map[int][]insight.TextGroup // by question index (text questions)
}

func (s *Service) results(ctx context.Context, sv *consult.Survey) (*Results, error) {
	as, err := s.St.SurveyAnswers(ctx, sv.ID)
	if err != nil {
		return nil, err
	}
	r := &Results{Survey: sv, Result: consult.Tally(sv, as), Groups: map[int][]insight.TextGroup{}}
	for i, q := range r.Questions {
		if q.Kind == consult.Text && len(q.Texts) > 0 {
			r.Groups[i] = insight.GroupTexts(q.Texts, 8)
		}
	}
	return r, nil
}

// SurveyResults returns the live results for the survey's viewers.
func (s *Service) SurveyResults(ctx context.Context, a org.Actor, id int64) (*Results, error) {
	sv, err := s.Survey(ctx, a, id)
	if err != nil {
		return nil, err
	}
	return s.results(ctx, sv)
}

// PublicSurveys lists the surveys residents see (published or closed),
// those open first; place (0: all) keeps the surveys whose audience
// holds it or lies in it.
func (s *Service) PublicSurveys(ctx context.Context, place int64) ([]consult.Survey, error) {
	list, err := s.St.Surveys(ctx, store.SurveyFilter{States: []string{consult.Published, consult.Closed}, Limit: 500})
	if err != nil {
		return nil, err
	}
	now := s.Now()
	var open, ended []consult.Survey
	for _, sv := range list {
		if place != 0 && !s.audience(&sv, place) {
			continue
		}
		if sv.OpenAt(now) {
			open = append(open, sv)
		} else {
			ended = append(ended, sv)
		}
	}
	return append(open, ended...), nil
}

// PublicSurvey returns a survey residents see (a draft is 404).
func (s *Service) PublicSurvey(ctx context.Context, id int64) (*consult.Survey, error) {
	sv, err := s.St.Survey(ctx, id)
	if err != nil {
		return nil, err
	}
	if !sv.Listed() {
		return nil, notFound("id")
	}
	return sv, nil
}

// PublicResults returns the results of a survey residents see.
func (s *Service) PublicResults(ctx context.Context, id int64) (*Results, error) {
	sv, err := s.PublicSurvey(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.results(ctx, sv)
}

// Respondent is who answers: a phone, or (where the survey allows
// anonymous answers) the token of a browser cookie.
type Respondent struct {
	Phone  string
	Cookie string
}

// Answer records one resident's answer: one per phone (kept only as a
// keyed hash), or, when the survey allows it and no phone is given, one
// per browser cookie. A second answer is errs.Exists.
func (s *Service) Answer(ctx context.Context, id int64, who Respondent, rs []consult.Reply) error {
	// The replies are checked first (the form shows what is missing), then
	// who answers.
	var key string
	var whoErr error
	switch {
	case strings.TrimSpace(who.Phone) != "":
		h, err := s.phoneKey(who.Phone)
		key, whoErr = "p:"+h, err
	case who.Cookie != "":
		key = "c:" + s.PhoneHash("cookie:"+who.Cookie)
	default:
		whoErr = errs.F(errs.FieldRequired, "phone")
	}
	return s.St.Write(ctx, func(tx *store.Tx) error {
		sv, err := tx.Survey(ctx, id)
		if err != nil {
			return err
		}
		if !sv.Listed() {
			return notFound("id")
		}
		if err := consult.CheckAnswer(sv, rs, s.Now()); err != nil {
			return err
		}
		if whoErr != nil {
			return whoErr
		}
		if strings.HasPrefix(key, "c:") && !sv.AllowAnonymous {
			return errs.F(errs.FieldRequired, "phone")
		}
		return tx.InsertSurveyAnswer(ctx, id, key, rs, s.Now())
	})
}

// Answered reports whether a phone or cookie has answered a survey (to
// show the results instead of the form).
func (s *Service) Answered(ctx context.Context, id int64, who Respondent) bool {
	var key string
	if who.Phone != "" {
		h, err := s.phoneKey(who.Phone)
		if err != nil {
			return false
		}
		key = "p:" + h
	} else if who.Cookie != "" {
		key = "c:" + s.PhoneHash("cookie:"+who.Cookie)
	} else {
		return false
	}
	ok, _ := s.St.SurveyAnswered(ctx, id, key)
	return ok
}
