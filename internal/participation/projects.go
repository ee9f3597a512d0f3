package participation

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"whistle/internal/consult"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
)

// ProposeProject proposes a community project of the actor's unit (for a
// social organisation when ProposerOrg names one) at a place in its area;
// the street office of that place decides it.
func (s *Service) ProposeProject(ctx context.Context, a org.Actor, in consult.Project) (*consult.Project, error) {
	if !unitStaff(a) {
		return nil, errs.E(errs.Forbidden)
	}
	p := consult.Project{UnitID: a.Unit.ID, PlaceID: in.PlaceID, ProposerOrg: in.ProposerOrg, Title: in.Title, Need: in.Need, Plan: in.Plan,
		BudgetFen: in.BudgetFen, State: consult.ProjectProposed, ProposedBy: a.User.ID, ProposedAt: s.Now(), Version: 1}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := s.checkPlaces(a.Unit, []int64{p.PlaceID}, "place_id"); err != nil {
		return nil, err
	}
	street, ok := s.streetOf(p.PlaceID)
	if !ok {
		return nil, errs.F(errs.OutsideArea, "place_id")
	}
	p.StreetID = street.ID
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertProject(ctx, &p); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "project_propose", "project:"+itoa(p.ID), map[string]any{"title": p.Title, "budget_fen": p.BudgetFen})
	})
	return &p, err
}

// ProjectView is a project with its reports, spending and evaluations.
type ProjectView struct {
	Project     *consult.Project
	Reports     []consult.Report
	Spending    []consult.Spending
	Evaluations []consult.Evaluation
	StarsMean   float64
}

func (s *Service) view(ctx context.Context, p *consult.Project) (*ProjectView, error) {
	v := &ProjectView{Project: p}
	var err error
	if v.Reports, err = s.St.ProjectReports(ctx, p.ID); err != nil {
		return nil, err
	}
	if v.Spending, err = s.St.ProjectSpending(ctx, p.ID); err != nil {
		return nil, err
	}
	if v.Evaluations, err = s.St.ProjectEvaluations(ctx, p.ID); err != nil {
		return nil, err
	}
	for _, e := range v.Evaluations {
		v.StarsMean += float64(e.Stars) / float64(len(v.Evaluations))
	}
	return v, nil
}

// Project returns a project to its proposing unit, its street and the
// centre of its district (404 for anyone else).
func (s *Service) Project(ctx context.Context, a org.Actor, id int64) (*ProjectView, error) {
	p, err := s.St.Project(ctx, id)
	if err != nil {
		return nil, err
	}
	if !s.mayView(a, p.UnitID, p.StreetID) {
		return nil, notFound("id")
	}
	return s.view(ctx, p)
}

// Projects lists the projects an actor sees: its unit's (proposed or to
// decide); the centre's of its district (the city centre's all).
func (s *Service) Projects(ctx context.Context, a org.Actor) ([]consult.Project, error) {
	if unitStaff(a) {
		return s.St.Projects(ctx, store.ProjectFilter{UnitIDs: []int64{a.Unit.ID}})
	}
	d, all, ok := org.CentreDistrict(a)
	if !ok {
		return nil, errs.E(errs.Forbidden)
	}
	list, err := s.St.Projects(ctx, store.ProjectFilter{Limit: 1000})
	if err != nil || all {
		return list, err
	}
	out := []consult.Project{}
	for _, p := range list {
		if s.unitDistrict(p.StreetID) == d {
			out = append(out, p)
		}
	}
	return out, nil
}

// changeProject runs fn on a project the actor may see, after may allows
// the actor's part (403 otherwise).
func (s *Service) changeProject(ctx context.Context, a org.Actor, id int64, action string, may func(p *consult.Project) bool,
	fn func(tx *store.Tx, p *consult.Project) (any, error)) (*consult.Project, error) {
	var out *consult.Project
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		p, err := tx.Project(ctx, id)
		if err != nil {
			return err
		}
		if !s.mayView(a, p.UnitID, p.StreetID) {
			return notFound("id")
		}
		if !unitStaff(a) || !may(p) {
			return errs.E(errs.Forbidden)
		}
		prev := p.Version
		detail, err := fn(tx, p)
		if err != nil {
			return err
		}
		if err := tx.UpdateProject(ctx, p, prev); err != nil {
			return err
		}
		out = p
		return s.Audit(ctx, tx, a, action, "project:"+itoa(p.ID), detail)
	})
	return out, err
}

// DecideProject approves and funds (approvedFen) or rejects (with a reason)
// a proposed project: the street office of its place.
func (s *Service) DecideProject(ctx context.Context, a org.Actor, id int64, approve bool, approvedFen int64, reason string) (*consult.Project, error) {
	return s.changeProject(ctx, a, id, "project_decide", func(p *consult.Project) bool { return a.Unit.ID == p.StreetID },
		func(_ *store.Tx, p *consult.Project) (any, error) {
			if approve {
				return map[string]any{"approved_fen": approvedFen}, consult.Approve(p, approvedFen, a.User.ID, s.Now())
			}
			return map[string]any{"reason": reason}, consult.Reject(p, reason, a.User.ID, s.Now())
		})
}

func (s *Service) mayReport(a org.Actor) func(p *consult.Project) bool {
	return func(p *consult.Project) bool { return a.Unit.ID == p.UnitID || a.Unit.ID == p.StreetID }
}

// ReportProgress reports an approved project's progress (its unit or its street).
func (s *Service) ReportProgress(ctx context.Context, a org.Actor, id int64, r consult.Report) (*consult.Report, error) {
	r.ProjectID, r.By, r.At = id, a.User.ID, s.Now()
	_, err := s.changeProject(ctx, a, id, "project_report", s.mayReport(a), func(tx *store.Tx, p *consult.Project) (any, error) {
		if err := consult.CheckReport(p, &r); err != nil {
			return nil, err
		}
		// The photos are the reporter's own uploads, linked to the
		// project in the same transaction (no longer orphans).
		if err := tx.LinkProjectPhotos(ctx, id, a.User.ID, r.PhotoIDs); err != nil {
			return nil, err
		}
		return map[string]any{"percent": r.Percent, "photos": len(r.PhotoIDs)}, tx.InsertProjectReport(ctx, &r)
	})
	return &r, err
}

// Spend records a spending line of an approved project (its unit or its street).
func (s *Service) Spend(ctx context.Context, a org.Actor, id int64, sp consult.Spending) (*consult.Spending, error) {
	sp.ProjectID, sp.By, sp.At = id, a.User.ID, s.Now()
	_, err := s.changeProject(ctx, a, id, "project_spend", s.mayReport(a), func(tx *store.Tx, p *consult.Project) (any, error) {
		if err := consult.Spend(p, &sp); err != nil {
			return nil, err
		}
		return map[string]any{"amount_fen": sp.AmountFen, "purpose": sp.Purpose}, tx.InsertSpending(ctx, &sp)
	})
	return &sp, err
}

// FinishProject ends an approved project (its street); residents may then evaluate it.
func (s *Service) FinishProject(ctx context.Context, a org.Actor, id int64) (*consult.Project, error) {
	return s.changeProject(ctx, a, id, "project_finish", func(p *consult.Project) bool { return a.Unit.ID == p.StreetID },
		func(_ *store.Tx, p *consult.Project) (any, error) { return nil, consult.Finish(p, s.Now()) })
}

// PublicProjects lists the approved and finished projects (public).
func (s *Service) PublicProjects(ctx context.Context) ([]consult.Project, error) {
	return s.St.Projects(ctx, store.ProjectFilter{States: []string{consult.ProjectApproved, consult.ProjectFinished}, Limit: 500})
}

// PublicProject returns an approved or finished project (public; others 404).
func (s *Service) PublicProject(ctx context.Context, id int64) (*ProjectView, error) {
	p, err := s.St.Project(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.State != consult.ProjectApproved && p.State != consult.ProjectFinished {
		return nil, notFound("id")
	}
	return s.view(ctx, p)
}

// ProjectPhoto returns a photo of a project's progress reports with its
// bytes: to anyone when the project is public (approved or finished), else
// to those who may see the project (a staff actor, a); other ids 404.
func (s *Service) ProjectPhoto(ctx context.Context, a *org.Actor, projectID, photoID int64) (lifecycle.Attachment, []byte, error) {
	if a == nil {
		if _, err := s.PublicProject(ctx, projectID); err != nil {
			return lifecycle.Attachment{}, nil, err
		}
	} else if _, err := s.Project(ctx, *a, projectID); err != nil {
		return lifecycle.Attachment{}, nil, err
	}
	att, data, err := s.St.ProjectPhoto(ctx, projectID, photoID)
	if err != nil {
		return att, nil, err
	}
	if rel, ok := strings.CutPrefix(att.Storage, "disk:"); ok {
		if data, err = os.ReadFile(filepath.Join(s.Cfg.AttachmentDir, rel)); err != nil {
			return att, nil, errs.Wrap(err)
		}
	}
	return att, data, nil
}

// Evaluate records a resident's evaluation of a finished project: one per phone.
func (s *Service) Evaluate(ctx context.Context, id int64, phone string, e consult.Evaluation) error {
	h, err := s.phoneKey(phone)
	if err != nil {
		return err
	}
	e.ProjectID, e.At = id, s.Now()
	return s.St.Write(ctx, func(tx *store.Tx) error {
		p, err := tx.Project(ctx, id)
		if err != nil {
			return err
		}
		if err := consult.CheckEvaluation(p, &e); err != nil {
			return err
		}
		return tx.InsertEvaluation(ctx, &e, h)
	})
}
