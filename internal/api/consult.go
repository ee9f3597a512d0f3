package api

import (
	"net/http"

	"whistle/internal/consult"
	"whistle/internal/org"
)

// 问需于民 and 项目制 (issue #15): the staff's actions on surveys, the
// practical-matters list and community projects. Residents answer, propose,
// vote and evaluate on the portal's pages.

func (s *Server) listSurveys(w http.ResponseWriter, r *http.Request, a org.Actor) {
	list, err := s.svc.Consult.Surveys(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"surveys": list})
}

func (s *Server) createSurvey(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in consult.Survey
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	sv, err := s.svc.Consult.CreateSurvey(r.Context(), a, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 201, sv)
}

func (s *Server) getSurvey(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.svc.Consult.SurveyResults(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"survey": res.Survey, "results": res.Result, "groups": res.Groups})
}

func (s *Server) editSurvey(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err == nil {
		_, err = s.svc.Consult.Survey(r.Context(), a, id) // out of scope: 404 whatever was sent
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in consult.Survey
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	sv, err := s.svc.Consult.EditSurvey(r.Context(), a, id, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, sv)
}

func (s *Server) surveyAct(action string) func(http.ResponseWriter, *http.Request, org.Actor) {
	return func(w http.ResponseWriter, r *http.Request, a org.Actor) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		var sv *consult.Survey
		if action == "publish" {
			sv, err = s.svc.Consult.PublishSurvey(r.Context(), a, id)
		} else {
			sv, err = s.svc.Consult.CloseSurvey(r.Context(), a, id)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, 200, sv)
	}
}

func (s *Server) listProjects(w http.ResponseWriter, r *http.Request, a org.Actor) {
	list, err := s.svc.Consult.Projects(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"projects": list})
}

func (s *Server) proposeProject(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in consult.Project
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.svc.Consult.ProposeProject(r.Context(), a, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 201, p)
}

func (s *Server) getProject(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.svc.Consult.Project(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"project": v.Project, "reports": v.Reports, "spending": v.Spending, "evaluations": v.Evaluations, "stars_mean": v.StarsMean})
}

// projectInput is the body of the project actions: decide (approve,
// approved_fen, reason), report (note, percent), spend (amount_fen,
// purpose), finish (nothing).
type projectInput struct {
	Approve     bool   `json:"approve"`
	ApprovedFen int64  `json:"approved_fen"`
	Reason      string `json:"reason"`
	Note        string `json:"note"`
	Percent     int    `json:"percent"`
	AmountFen   int64  `json:"amount_fen"`
	Purpose     string `json:"purpose"`
}

func (s *Server) projectAct(action string) func(http.ResponseWriter, *http.Request, org.Actor) {
	return func(w http.ResponseWriter, r *http.Request, a org.Actor) {
		id, err := pathID(r, "id")
		if err == nil {
			_, err = s.svc.Consult.Project(r.Context(), a, id) // out of scope: 404 whatever was sent
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		var in projectInput
		if action != "finish" || r.ContentLength > 0 {
			if err := decode(w, r, &in); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		var out any
		switch action {
		case "decide":
			out, err = s.svc.Consult.DecideProject(r.Context(), a, id, in.Approve, in.ApprovedFen, in.Reason)
		case "report":
			out, err = s.svc.Consult.ReportProgress(r.Context(), a, id, consult.Report{Note: in.Note, Percent: in.Percent})
		case "spend":
			out, err = s.svc.Consult.Spend(r.Context(), a, id, consult.Spending{AmountFen: in.AmountFen, Purpose: in.Purpose})
		case "finish":
			out, err = s.svc.Consult.FinishProject(r.Context(), a, id)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, 200, out)
	}
}

// practicalInput is the body of the centre's practical-matters actions.
type practicalInput struct {
	Year          int    `json:"year"`
	Title         string `json:"title"`
	VotesPerPhone int    `json:"votes_per_phone"`
	Keep          bool   `json:"keep"`
	Note          string `json:"note"`
	N             int    `json:"n"`
}

func (s *Server) listRounds(w http.ResponseWriter, r *http.Request, a org.Actor) {
	rs, err := s.svc.Consult.Rounds(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"rounds": rs})
}

func (s *Server) getRound(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.svc.Consult.Round(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"round": v.Round, "items": v.Items, "ranked": v.Ranked})
}

func (s *Server) practicalAct(action string) func(http.ResponseWriter, *http.Request, org.Actor) {
	return func(w http.ResponseWriter, r *http.Request, a org.Actor) {
		var id int64
		var err error
		if action != "open" {
			if id, err = pathID(r, "id"); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		var in practicalInput
		if action != "voting" || r.ContentLength > 0 {
			if err := decode(w, r, &in); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		var out any
		status := 200
		switch action {
		case "open":
			out, err = s.svc.Consult.OpenRound(r.Context(), a, in.Year, in.Title, in.VotesPerPhone)
			status = 201
		case "shortlist":
			out, err = s.svc.Consult.Shortlist(r.Context(), a, id, in.Keep, in.Note)
		case "voting":
			out, err = s.svc.Consult.OpenVoting(r.Context(), a, id)
		case "adopt":
			var ps []consult.Project
			ps, err = s.svc.Consult.Adopt(r.Context(), a, id, in.N)
			out = map[string]any{"projects": ps}
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, status, out)
	}
}
