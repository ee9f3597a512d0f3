package community

import (
	"context"
	"strconv"
	"strings"
	"time"

	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/store"
	"whistle/internal/volunteering"
)

// The care list (关爱对象) is the most sensitive data of the system: only
// the handlers and leaders of the community unit that keeps it see it;
// everyone else — the centre, administrators, other communities, the
// street, volunteers — is answered 404, as if it did not exist. Every
// view is written to the audit log, and no export reads it.

// CareItem is one person on the list with the visit plan's state.
type CareItem struct {
	volunteering.Subject
	NextVisit   time.Time
	OverdueDays int
}

// CareList returns the actor's community's care list, most overdue first,
// and records the view.
func (s *Service) CareList(ctx context.Context, a org.Actor) ([]CareItem, error) {
	unit, err := ownCommunity(a)
	if err != nil {
		return nil, err
	}
	ss, err := s.St.CareSubjects(ctx, unit)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	out := make([]CareItem, 0, len(ss))
	for _, x := range volunteering.Overdue(ss, now) {
		out = append(out, s.careItem(x, now))
	}
	for _, x := range ss {
		if volunteering.OverdueDays(x, now) == 0 {
			out = append(out, s.careItem(x, now))
		}
	}
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		return s.Audit(ctx, tx, a, "care_list_view", "unit:"+strconv.FormatInt(unit, 10), map[string]int{"subjects": len(out)})
	})
	return out, err
}

func (s *Service) careItem(x volunteering.Subject, now time.Time) CareItem {
	x.CreatedAt, x.LastVisit, x.Consent.At = inLoc(x.CreatedAt, s.Cfg.Loc), inLoc(x.LastVisit, s.Cfg.Loc), inLoc(x.Consent.At, s.Cfg.Loc)
	return CareItem{Subject: x, NextVisit: volunteering.NextVisit(x).In(s.Cfg.Loc), OverdueDays: volunteering.OverdueDays(x, now)}
}

// OverdueVisits counts the actor's community's people whose visit is
// overdue (the alert on the staff's pages; computed on read from the
// visits, so it is never stale). Others get 0.
func (s *Service) OverdueVisits(ctx context.Context, a org.Actor) (int, error) {
	unit, err := ownCommunity(a)
	if err != nil {
		return 0, nil
	}
	ss, err := s.St.CareSubjects(ctx, unit)
	return len(volunteering.Overdue(ss, s.Now())), err
}

// CareDetail is one person with the visits made.
type CareDetail struct {
	CareItem
	Visits []volunteering.Visit
}

// CareSubject returns one person of the actor's community's list with
// the visits, and records the view.
func (s *Service) CareSubject(ctx context.Context, a org.Actor, id int64) (CareDetail, error) {
	unit, err := ownCommunity(a)
	if err != nil {
		return CareDetail{}, err
	}
	x, err := s.St.CareSubject(ctx, id)
	if err != nil || x.UnitID != unit || !x.RemovedAt.IsZero() {
		return CareDetail{}, errs.E(errs.NotFound)
	}
	vs, err := s.St.CareVisits(ctx, id, 200)
	if err != nil {
		return CareDetail{}, err
	}
	for i := range vs {
		vs[i].At = vs[i].At.In(s.Cfg.Loc)
	}
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		return s.Audit(ctx, tx, a, "care_view", "care:"+strconv.FormatInt(id, 10), nil)
	})
	return CareDetail{CareItem: s.careItem(x, s.Now()), Visits: vs}, err
}

// AddCareSubject puts a person on the actor's community's list, with the
// consent recorded (who agreed, how, when) by the actor.
func (s *Service) AddCareSubject(ctx context.Context, a org.Actor, x volunteering.Subject) (volunteering.Subject, error) {
	unit, err := ownCommunity(a)
	if err != nil {
		return x, err
	}
	x.ID, x.UnitID, x.CreatedAt, x.Consent.RecordedBy = 0, unit, s.Now(), a.User.ID
	x.Name, x.Phone, x.Address = strings.TrimSpace(x.Name), strings.TrimSpace(x.Phone), strings.TrimSpace(x.Address)
	if err := volunteering.ValidateSubject(x); err != nil {
		return x, err
	}
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertCareSubject(ctx, &x); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "care_add", "care:"+strconv.FormatInt(x.ID, 10), map[string]any{"care_type": x.CareType, "consent": x.Consent})
	})
	return x, err
}

// VisitInput is a visit the community's staff record: made by the actor,
// or by a grid worker (VisitorUserID) or a volunteer of the community
// (VolunteerID).
type VisitInput struct {
	At            time.Time
	Note          string
	VisitorUserID int64
	VolunteerID   int64
}

// RecordVisit records a visit to a person of the actor's community's list.
func (s *Service) RecordVisit(ctx context.Context, a org.Actor, subjectID int64, in VisitInput) (volunteering.Visit, error) {
	unit, err := ownCommunity(a)
	if err != nil {
		return volunteering.Visit{}, err
	}
	if in.At.IsZero() {
		in.At = s.Now()
	}
	v := volunteering.Visit{SubjectID: subjectID, UnitID: unit, UserID: a.User.ID, At: in.At, Note: strings.TrimSpace(in.Note)}
	if err := volunteering.ValidateVisit(v, s.Now()); err != nil {
		return v, err
	}
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		x, err := tx.CareSubject(ctx, subjectID)
		if err != nil || x.UnitID != unit || !x.RemovedAt.IsZero() {
			return errs.E(errs.NotFound)
		}
		if in.VisitorUserID != 0 {
			u, err := tx.User(ctx, in.VisitorUserID)
			if err != nil || u.Disabled || !u.Has(org.RoleGridWorker, org.RoleHandler, org.RoleLeader) {
				return errs.F(errs.Invalid, "visitor_user_id")
			}
			v.UserID = u.ID
		}
		if in.VolunteerID != 0 {
			vol, err := tx.Volunteer(ctx, in.VolunteerID)
			if err != nil || vol.UnitID != unit || vol.State != volunteering.Active {
				return errs.F(errs.Invalid, "volunteer_id")
			}
			v.VolunteerID = vol.ID
			if vol.UserID != 0 {
				v.UserID = vol.UserID
			}
		}
		if err := tx.InsertCareVisit(ctx, &v); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "care_visit", "care:"+strconv.FormatInt(subjectID, 10), map[string]any{"visit": v.ID, "by_volunteer": v.VolunteerID != 0})
	})
	return v, err
}

// RemoveCareSubject takes a person off the actor's community's list for
// reason (volunteering.RemovalReasons): the name, phone and address and
// every visit's note are erased in the same transaction, with an audit
// entry that holds the reason and counts, never the data. The row stays,
// without them, so the ledger's visit counts for past months do not
// change. The person is then gone from every page (404), like any record
// the actor may not see.
func (s *Service) RemoveCareSubject(ctx context.Context, a org.Actor, id int64, reason string) error {
	unit, err := ownCommunity(a)
	if err != nil {
		return err
	}
	return s.St.Write(ctx, func(tx *store.Tx) error {
		x, err := tx.CareSubject(ctx, id)
		if err != nil || x.UnitID != unit || !x.RemovedAt.IsZero() {
			return errs.E(errs.NotFound)
		}
		if err := volunteering.ValidateRemoval(x, reason); err != nil {
			return err
		}
		notes, err := tx.RemoveCareSubject(ctx, id, reason, s.Now())
		if err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "care_remove", "care:"+strconv.FormatInt(id, 10), map[string]any{"reason": reason, "visits": x.Visits, "notes_erased": notes})
	})
}
