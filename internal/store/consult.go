package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"time"

	"whistle/internal/consult"
	"whistle/internal/errs"
)

// Surveys, the practical-matters list and community projects (issue #15).

func int64Args(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

func splitIDs(s string) []int64 {
	var out []int64
	for _, p := range splitList(s) {
		if id, err := strconv.ParseInt(p, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// ---- surveys ----

const surveyCols = "s.id, s.unit_id, s.created_by, s.title, s.intro, s.questions, s.place_ids, s.opens_at, s.closes_at, s.allow_anonymous, s.state, s.created_at, s.published_at, s.closed_at, s.version, (SELECT COUNT(*) FROM survey_answers a WHERE a.survey_id = s.id)"

func scanSurvey(sc interface{ Scan(...any) error }) (*consult.Survey, error) {
	s := &consult.Survey{}
	var qs, places string
	var opens, closes, created, published, closed int64
	var anon int
	if err := sc.Scan(&s.ID, &s.UnitID, &s.CreatedBy, &s.Title, &s.Intro, &qs, &places, &opens, &closes, &anon, &s.State, &created, &published, &closed, &s.Version, &s.Answers); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(qs), &s.Questions); err != nil {
		return nil, err
	}
	s.PlaceIDs = splitIDs(places)
	s.OpensAt, s.ClosesAt, s.CreatedAt, s.PublishedAt, s.ClosedAt = fromMS(opens), fromMS(closes), fromMS(created), fromMS(published), fromMS(closed)
	s.AllowAnonymous = anon == 1
	return s, nil
}

func (q Queries) surveyPlaces(ctx context.Context, s *consult.Survey) error {
	if _, err := q.exec(ctx, "DELETE FROM survey_places WHERE survey_id = ?", s.ID); err != nil {
		return err
	}
	seen := map[int64]bool{}
	for _, p := range s.PlaceIDs {
		if seen[p] {
			continue
		}
		seen[p] = true
		if _, err := q.exec(ctx, "INSERT INTO survey_places(survey_id, place_id) VALUES (?,?)", s.ID, p); err != nil {
			return err
		}
	}
	return nil
}

// InsertSurvey stores a new survey and sets s.ID.
func (q Queries) InsertSurvey(ctx context.Context, s *consult.Survey) error {
	qs, err := json.Marshal(s.Questions)
	if err != nil {
		return err
	}
	if err := q.row(ctx, "INSERT INTO surveys(unit_id, created_by, title, intro, questions, place_ids, opens_at, closes_at, allow_anonymous, state, created_at, published_at, closed_at, version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
		s.UnitID, s.CreatedBy, s.Title, s.Intro, string(qs), joinIDs(s.PlaceIDs), ms(s.OpensAt), ms(s.ClosesAt), b2i(s.AllowAnonymous), s.State, ms(s.CreatedAt), ms(s.PublishedAt), ms(s.ClosedAt), s.Version).Scan(&s.ID); err != nil {
		return err
	}
	return q.surveyPlaces(ctx, s)
}

// UpdateSurvey saves s, whose version the rules bumped from prevVersion; a
// concurrent change fails with errs.Conflict.
func (q Queries) UpdateSurvey(ctx context.Context, s *consult.Survey, prevVersion int64) error {
	qs, err := json.Marshal(s.Questions)
	if err != nil {
		return err
	}
	res, err := q.exec(ctx, "UPDATE surveys SET title = ?, intro = ?, questions = ?, place_ids = ?, opens_at = ?, closes_at = ?, allow_anonymous = ?, state = ?, published_at = ?, closed_at = ?, version = ? WHERE id = ? AND version = ?",
		s.Title, s.Intro, string(qs), joinIDs(s.PlaceIDs), ms(s.OpensAt), ms(s.ClosesAt), b2i(s.AllowAnonymous), s.State, ms(s.PublishedAt), ms(s.ClosedAt), s.Version, s.ID, prevVersion)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E(errs.Conflict)
	}
	return q.surveyPlaces(ctx, s)
}

// Survey loads a survey with its number of answers (locked in a PostgreSQL write).
func (q Queries) Survey(ctx context.Context, id int64) (*consult.Survey, error) {
	s, err := scanSurvey(q.row(ctx, "SELECT "+surveyCols+" FROM surveys s WHERE s.id = ?"+q.forUpdate(), id))
	return s, notFound(err)
}

// SurveyFilter selects surveys: of these units (none: any unit), in these
// states (none: any), newest first.
type SurveyFilter struct {
	UnitIDs []int64
	States  []string
	Limit   int // default 200
}

// Surveys lists surveys.
func (q Queries) Surveys(ctx context.Context, f SurveyFilter) ([]consult.Survey, error) {
	query := "SELECT " + surveyCols + " FROM surveys s WHERE 1 = 1"
	var args []any
	if len(f.UnitIDs) > 0 {
		query += " AND s.unit_id IN (" + marks(len(f.UnitIDs)) + ")"
		args = append(args, int64Args(f.UnitIDs)...)
	}
	if len(f.States) > 0 {
		query += " AND s.state IN (" + marks(len(f.States)) + ")"
		for _, st := range f.States {
			args = append(args, st)
		}
	}
	if f.Limit <= 0 {
		f.Limit = 200
	}
	query += " ORDER BY s.created_at DESC, s.id DESC LIMIT " + strconv.Itoa(f.Limit)
	out := []consult.Survey{}
	err := q.scanRows(ctx, query, args, func(r *sql.Rows) error {
		s, err := scanSurvey(r)
		if err == nil {
			out = append(out, *s)
		}
		return err
	})
	return out, err
}

// InsertSurveyAnswer stores one respondent's replies; a second answer of
// the same respondent fails with errs.Exists.
func (q Queries) InsertSurveyAnswer(ctx context.Context, surveyID int64, respondent string, rs []consult.Reply, at time.Time) error {
	b, err := json.Marshal(rs)
	if err != nil {
		return err
	}
	_, err = q.exec(ctx, "INSERT INTO survey_answers(survey_id, respondent, replies, at) VALUES (?,?,?,?)", surveyID, respondent, string(b), ms(at))
	return uniq(err, "respondent")
}

// SurveyAnswered reports whether a respondent has answered a survey.
func (q Queries) SurveyAnswered(ctx context.Context, surveyID int64, respondent string) (bool, error) {
	var n int
	err := q.row(ctx, "SELECT COUNT(*) FROM survey_answers WHERE survey_id = ? AND respondent = ?", surveyID, respondent).Scan(&n)
	return n > 0, err
}

// SurveyAnswers returns every answer's replies, in the order given.
func (q Queries) SurveyAnswers(ctx context.Context, surveyID int64) ([][]consult.Reply, error) {
	out := [][]consult.Reply{}
	err := q.scanRows(ctx, "SELECT replies FROM survey_answers WHERE survey_id = ? ORDER BY id", []any{surveyID}, func(r *sql.Rows) error {
		var b string
		if err := r.Scan(&b); err != nil {
			return err
		}
		var rs []consult.Reply
		if err := json.Unmarshal([]byte(b), &rs); err != nil {
			return err
		}
		out = append(out, rs)
		return nil
	})
	return out, err
}

// SurveyLedgerRow is a survey in a ledger: who asked, when, how many answered.
type SurveyLedgerRow struct {
	ID          int64
	UnitID      int64
	Title       string
	State       string
	PlaceIDs    []int64
	OpensAt     time.Time
	ClosesAt    time.Time
	PublishedAt time.Time
	Questions   int
	Answers     int
	// AnswersInPeriod counts the answers given in [from, to).
	AnswersInPeriod int
}

// SurveysForLedger lists the surveys (published or closed, not drafts)
// whose audience holds one of placeIDs (the caller passes a unit's places,
// its subtree expanded) and whose open period overlaps [from, to).
func (q Queries) SurveysForLedger(ctx context.Context, placeIDs []int64, from, to time.Time) ([]SurveyLedgerRow, error) {
	out := []SurveyLedgerRow{}
	if len(placeIDs) == 0 {
		return out, nil
	}
	args := append([]any{ms(from), ms(to)}, int64Args(placeIDs)...)
	args = append(args, ms(to), ms(from))
	err := q.scanRows(ctx, "SELECT s.id, s.unit_id, s.title, s.state, s.place_ids, s.opens_at, s.closes_at, s.published_at, s.questions,"+
		" (SELECT COUNT(*) FROM survey_answers a WHERE a.survey_id = s.id),"+
		" (SELECT COUNT(*) FROM survey_answers a WHERE a.survey_id = s.id AND a.at >= ? AND a.at < ?)"+
		" FROM surveys s WHERE s.state IN ('published', 'closed')"+
		" AND s.id IN (SELECT survey_id FROM survey_places WHERE place_id IN ("+marks(len(placeIDs))+"))"+
		" AND s.opens_at < ? AND s.closes_at > ? ORDER BY s.opens_at, s.id", args, func(r *sql.Rows) error {
		var row SurveyLedgerRow
		var places, qs string
		var opens, closes, published int64
		if err := r.Scan(&row.ID, &row.UnitID, &row.Title, &row.State, &places, &opens, &closes, &published, &qs, &row.Answers, &row.AnswersInPeriod); err != nil {
			return err
		}
		var questions []consult.Question
		_ = json.Unmarshal([]byte(qs), &questions)
		row.Questions = len(questions)
		row.PlaceIDs = splitIDs(places)
		row.OpensAt, row.ClosesAt, row.PublishedAt = fromMS(opens), fromMS(closes), fromMS(published)
		out = append(out, row)
		return nil
	})
	return out, err
}

// ---- the practical-matters list ----

const roundCols = "id, year, title, votes_per_phone, state, created_at, decided_at"

func scanRound(sc interface{ Scan(...any) error }) (*consult.Round, error) {
	r := &consult.Round{}
	var created, decided int64
	if err := sc.Scan(&r.ID, &r.Year, &r.Title, &r.VotesPerPhone, &r.State, &created, &decided); err != nil {
		return nil, err
	}
	r.CreatedAt, r.DecidedAt = fromMS(created), fromMS(decided)
	return r, nil
}

// InsertRound stores a new round (one per year: errs.Exists) and sets r.ID.
func (q Queries) InsertRound(ctx context.Context, r *consult.Round) error {
	err := q.row(ctx, "INSERT INTO practical_rounds(year, title, votes_per_phone, state, created_at, decided_at) VALUES (?,?,?,?,?,?) RETURNING id",
		r.Year, r.Title, r.VotesPerPhone, r.State, ms(r.CreatedAt), ms(r.DecidedAt)).Scan(&r.ID)
	return uniq(err, "year")
}

// Round loads a round (locked in a PostgreSQL write).
func (q Queries) Round(ctx context.Context, id int64) (*consult.Round, error) {
	r, err := scanRound(q.row(ctx, "SELECT "+roundCols+" FROM practical_rounds WHERE id = ?"+q.forUpdate(), id))
	return r, notFound(err)
}

// Rounds lists the rounds, the latest year first.
func (q Queries) Rounds(ctx context.Context) ([]consult.Round, error) {
	out := []consult.Round{}
	err := q.scanRows(ctx, "SELECT "+roundCols+" FROM practical_rounds ORDER BY year DESC", nil, func(r *sql.Rows) error {
		x, err := scanRound(r)
		if err == nil {
			out = append(out, *x)
		}
		return err
	})
	return out, err
}

// UpdateRound saves a round's state.
func (q Queries) UpdateRound(ctx context.Context, r *consult.Round) error {
	_, err := q.exec(ctx, "UPDATE practical_rounds SET state = ?, decided_at = ? WHERE id = ?", r.State, ms(r.DecidedAt), r.ID)
	return err
}

const itemCols = "id, round_id, title, detail, place_id, state, note, votes, project_id, proposed_at"

func scanItem(sc interface{ Scan(...any) error }) (*consult.Item, error) {
	it := &consult.Item{}
	var at int64
	if err := sc.Scan(&it.ID, &it.RoundID, &it.Title, &it.Detail, &it.PlaceID, &it.State, &it.Note, &it.Votes, &it.ProjectID, &at); err != nil {
		return nil, err
	}
	it.ProposedAt = fromMS(at)
	return it, nil
}

// InsertItem stores a proposal (proposer: the proposer's phone hash) and sets it.ID.
func (q Queries) InsertItem(ctx context.Context, it *consult.Item, proposer string) error {
	return q.row(ctx, "INSERT INTO practical_items(round_id, title, detail, place_id, state, note, votes, project_id, proposer, proposed_at) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id",
		it.RoundID, it.Title, it.Detail, it.PlaceID, it.State, it.Note, it.Votes, it.ProjectID, proposer, ms(it.ProposedAt)).Scan(&it.ID)
}

// Item loads a proposal (locked in a PostgreSQL write).
func (q Queries) Item(ctx context.Context, id int64) (*consult.Item, error) {
	it, err := scanItem(q.row(ctx, "SELECT "+itemCols+" FROM practical_items WHERE id = ?"+q.forUpdate(), id))
	return it, notFound(err)
}

// Items lists a round's proposals in the order proposed.
func (q Queries) Items(ctx context.Context, roundID int64) ([]consult.Item, error) {
	out := []consult.Item{}
	err := q.scanRows(ctx, "SELECT "+itemCols+" FROM practical_items WHERE round_id = ? ORDER BY id", []any{roundID}, func(r *sql.Rows) error {
		it, err := scanItem(r)
		if err == nil {
			out = append(out, *it)
		}
		return err
	})
	return out, err
}

// UpdateItem saves a proposal's state, note and project.
func (q Queries) UpdateItem(ctx context.Context, it *consult.Item) error {
	_, err := q.exec(ctx, "UPDATE practical_items SET state = ?, note = ?, project_id = ? WHERE id = ?", it.State, it.Note, it.ProjectID, it.ID)
	return err
}

// PhoneVotes returns the items a phone voted for in a round.
func (q Queries) PhoneVotes(ctx context.Context, roundID int64, phoneHash string) ([]int64, error) {
	var out []int64
	err := q.scanRows(ctx, "SELECT item_id FROM practical_votes WHERE round_id = ? AND phone_hash = ? ORDER BY item_id", []any{roundID, phoneHash}, func(r *sql.Rows) error {
		var id int64
		err := r.Scan(&id)
		out = append(out, id)
		return err
	})
	return out, err
}

// InsertVote records a phone's vote for an item and counts it; a second
// vote of the phone for the item fails with errs.Exists.
func (q Queries) InsertVote(ctx context.Context, roundID, itemID int64, phoneHash string, at time.Time) error {
	if _, err := q.exec(ctx, "INSERT INTO practical_votes(item_id, phone_hash, round_id, at) VALUES (?,?,?,?)", itemID, phoneHash, roundID, ms(at)); err != nil {
		return uniq(err, "phone")
	}
	_, err := q.exec(ctx, "UPDATE practical_items SET votes = votes + 1 WHERE id = ?", itemID)
	return err
}

// ---- community projects ----

const projectCols = "id, unit_id, street_id, place_id, proposer_org, title, need, plan, budget_fen, approved_fen, spent_fen, state, reason, item_id, proposed_by, decided_by, proposed_at, decided_at, finished_at, version"

func scanProject(sc interface{ Scan(...any) error }) (*consult.Project, error) {
	p := &consult.Project{}
	var proposed, decided, finished int64
	if err := sc.Scan(&p.ID, &p.UnitID, &p.StreetID, &p.PlaceID, &p.ProposerOrg, &p.Title, &p.Need, &p.Plan, &p.BudgetFen, &p.ApprovedFen, &p.SpentFen, &p.State, &p.Reason, &p.ItemID,
		&p.ProposedBy, &p.DecidedBy, &proposed, &decided, &finished, &p.Version); err != nil {
		return nil, err
	}
	p.ProposedAt, p.DecidedAt, p.FinishedAt = fromMS(proposed), fromMS(decided), fromMS(finished)
	return p, nil
}

// InsertProject stores a new project and sets p.ID.
func (q Queries) InsertProject(ctx context.Context, p *consult.Project) error {
	return q.row(ctx, "INSERT INTO projects(unit_id, street_id, place_id, proposer_org, title, need, plan, budget_fen, approved_fen, spent_fen, state, reason, item_id, proposed_by, decided_by, proposed_at, decided_at, finished_at, version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
		p.UnitID, p.StreetID, p.PlaceID, p.ProposerOrg, p.Title, p.Need, p.Plan, p.BudgetFen, p.ApprovedFen, p.SpentFen, p.State, p.Reason, p.ItemID, p.ProposedBy, p.DecidedBy, ms(p.ProposedAt), ms(p.DecidedAt), ms(p.FinishedAt), p.Version).Scan(&p.ID)
}

// Project loads a project (locked in a PostgreSQL write).
func (q Queries) Project(ctx context.Context, id int64) (*consult.Project, error) {
	p, err := scanProject(q.row(ctx, "SELECT "+projectCols+" FROM projects WHERE id = ?"+q.forUpdate(), id))
	return p, notFound(err)
}

// UpdateProject saves p, whose version the rules bumped from prevVersion
// (spending alone keeps the version: pass p.Version); a concurrent change
// fails with errs.Conflict.
func (q Queries) UpdateProject(ctx context.Context, p *consult.Project, prevVersion int64) error {
	res, err := q.exec(ctx, "UPDATE projects SET approved_fen = ?, spent_fen = ?, state = ?, reason = ?, decided_by = ?, decided_at = ?, finished_at = ?, version = ? WHERE id = ? AND version = ?",
		p.ApprovedFen, p.SpentFen, p.State, p.Reason, p.DecidedBy, ms(p.DecidedAt), ms(p.FinishedAt), p.Version, p.ID, prevVersion)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E(errs.Conflict)
	}
	return nil
}

// ProjectFilter selects projects: proposed by or decided by one of these
// units (none: any), in these states (none: any), newest first.
type ProjectFilter struct {
	UnitIDs []int64
	States  []string
	Limit   int // default 200
}

// Projects lists projects.
func (q Queries) Projects(ctx context.Context, f ProjectFilter) ([]consult.Project, error) {
	query := "SELECT " + projectCols + " FROM projects WHERE 1 = 1"
	var args []any
	if len(f.UnitIDs) > 0 {
		m := marks(len(f.UnitIDs))
		query += " AND (unit_id IN (" + m + ") OR street_id IN (" + m + "))"
		args = append(append(args, int64Args(f.UnitIDs)...), int64Args(f.UnitIDs)...)
	}
	if len(f.States) > 0 {
		query += " AND state IN (" + marks(len(f.States)) + ")"
		for _, st := range f.States {
			args = append(args, st)
		}
	}
	if f.Limit <= 0 {
		f.Limit = 200
	}
	query += " ORDER BY proposed_at DESC, id DESC LIMIT " + strconv.Itoa(f.Limit)
	out := []consult.Project{}
	err := q.scanRows(ctx, query, args, func(r *sql.Rows) error {
		p, err := scanProject(r)
		if err == nil {
			out = append(out, *p)
		}
		return err
	})
	return out, err
}

// InsertProjectReport stores a progress report and sets r.ID.
func (q Queries) InsertProjectReport(ctx context.Context, r *consult.Report) error {
	return q.row(ctx, "INSERT INTO project_reports(project_id, note, percent, photo_ids, by_user, at) VALUES (?,?,?,?,?,?) RETURNING id",
		r.ProjectID, r.Note, r.Percent, joinIDs(r.PhotoIDs), r.By, ms(r.At)).Scan(&r.ID)
}

// ProjectReports lists a project's progress reports in order.
func (q Queries) ProjectReports(ctx context.Context, projectID int64) ([]consult.Report, error) {
	out := []consult.Report{}
	err := q.scanRows(ctx, "SELECT id, project_id, note, percent, photo_ids, by_user, at FROM project_reports WHERE project_id = ? ORDER BY id", []any{projectID}, func(r *sql.Rows) error {
		var x consult.Report
		var photos string
		var at int64
		if err := r.Scan(&x.ID, &x.ProjectID, &x.Note, &x.Percent, &photos, &x.By, &at); err != nil {
			return err
		}
		x.PhotoIDs, x.At = splitIDs(photos), fromMS(at)
		out = append(out, x)
		return nil
	})
	return out, err
}

// InsertSpending stores a spending line and sets s.ID.
func (q Queries) InsertSpending(ctx context.Context, s *consult.Spending) error {
	return q.row(ctx, "INSERT INTO project_spending(project_id, amount_fen, purpose, by_user, at) VALUES (?,?,?,?,?) RETURNING id",
		s.ProjectID, s.AmountFen, s.Purpose, s.By, ms(s.At)).Scan(&s.ID)
}

// ProjectSpending lists a project's spending lines in order.
func (q Queries) ProjectSpending(ctx context.Context, projectID int64) ([]consult.Spending, error) {
	out := []consult.Spending{}
	err := q.scanRows(ctx, "SELECT id, project_id, amount_fen, purpose, by_user, at FROM project_spending WHERE project_id = ? ORDER BY id", []any{projectID}, func(r *sql.Rows) error {
		var x consult.Spending
		var at int64
		if err := r.Scan(&x.ID, &x.ProjectID, &x.AmountFen, &x.Purpose, &x.By, &at); err != nil {
			return err
		}
		x.At = fromMS(at)
		out = append(out, x)
		return nil
	})
	return out, err
}

// InsertEvaluation stores a resident's evaluation; a second one from the
// same phone fails with errs.Exists.
func (q Queries) InsertEvaluation(ctx context.Context, e *consult.Evaluation, phoneHash string) error {
	_, err := q.exec(ctx, "INSERT INTO project_evaluations(project_id, phone_hash, stars, comment, at) VALUES (?,?,?,?,?)", e.ProjectID, phoneHash, e.Stars, e.Comment, ms(e.At))
	return uniq(err, "phone")
}

// ProjectEvaluations lists a project's evaluations (without phones), newest first.
func (q Queries) ProjectEvaluations(ctx context.Context, projectID int64) ([]consult.Evaluation, error) {
	out := []consult.Evaluation{}
	err := q.scanRows(ctx, "SELECT project_id, stars, comment, at FROM project_evaluations WHERE project_id = ? ORDER BY at DESC", []any{projectID}, func(r *sql.Rows) error {
		var x consult.Evaluation
		var at int64
		if err := r.Scan(&x.ProjectID, &x.Stars, &x.Comment, &at); err != nil {
			return err
		}
		x.At = fromMS(at)
		out = append(out, x)
		return nil
	})
	return out, err
}

// ProjectLedgerRow is a project in a ledger: what it is, where it stands,
// what was reported and spent in the period.
type ProjectLedgerRow struct {
	ID          int64
	UnitID      int64
	StreetID    int64
	PlaceID     int64
	ProposerOrg string
	Title       string
	State       string
	BudgetFen   int64
	ApprovedFen int64
	SpentFen    int64 // in all
	ProposedAt  time.Time
	DecidedAt   time.Time
	FinishedAt  time.Time
	// In the period [from, to):
	Reports       int
	Percent       int // the last progress reported up to the period's end
	SpentInPeriod int64
	Evaluations   int // in all
	StarsMean     float64
}

// ProjectsForLedger lists the projects at one of placeIDs (the caller
// passes a unit's places, its subtree expanded) that were alive in
// [from, to): proposed before its end and not finished (or rejected) before
// its start, with their progress and spending in the period.
func (q Queries) ProjectsForLedger(ctx context.Context, placeIDs []int64, from, to time.Time) ([]ProjectLedgerRow, error) {
	out := []ProjectLedgerRow{}
	if len(placeIDs) == 0 {
		return out, nil
	}
	f, t := ms(from), ms(to)
	args := []any{f, t, t, f, t}
	args = append(args, int64Args(placeIDs)...)
	args = append(args, t, f, f)
	err := q.scanRows(ctx, "SELECT p.id, p.unit_id, p.street_id, p.place_id, p.proposer_org, p.title, p.state, p.budget_fen, p.approved_fen, p.spent_fen, p.proposed_at, p.decided_at, p.finished_at,"+
		" (SELECT COUNT(*) FROM project_reports r WHERE r.project_id = p.id AND r.at >= ? AND r.at < ?),"+
		" COALESCE((SELECT r.percent FROM project_reports r WHERE r.project_id = p.id AND r.at < ? ORDER BY r.at DESC, r.id DESC LIMIT 1), 0),"+
		" COALESCE((SELECT SUM(s.amount_fen) FROM project_spending s WHERE s.project_id = p.id AND s.at >= ? AND s.at < ?), 0),"+
		" (SELECT COUNT(*) FROM project_evaluations e WHERE e.project_id = p.id),"+
		" COALESCE((SELECT AVG(CAST(e.stars AS DOUBLE PRECISION)) FROM project_evaluations e WHERE e.project_id = p.id), 0)"+
		" FROM projects p WHERE p.place_id IN ("+marks(len(placeIDs))+") AND p.proposed_at < ?"+
		" AND (p.finished_at = 0 OR p.finished_at >= ?) AND NOT (p.state = 'rejected' AND p.decided_at < ?)"+
		" ORDER BY p.proposed_at, p.id", args, func(r *sql.Rows) error {
		var x ProjectLedgerRow
		var proposed, decided, finished int64
		if err := r.Scan(&x.ID, &x.UnitID, &x.StreetID, &x.PlaceID, &x.ProposerOrg, &x.Title, &x.State, &x.BudgetFen, &x.ApprovedFen, &x.SpentFen, &proposed, &decided, &finished,
			&x.Reports, &x.Percent, &x.SpentInPeriod, &x.Evaluations, &x.StarsMean); err != nil {
			return err
		}
		x.ProposedAt, x.DecidedAt, x.FinishedAt = fromMS(proposed), fromMS(decided), fromMS(finished)
		out = append(out, x)
		return nil
	})
	return out, err
}
