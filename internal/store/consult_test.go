package store_test

import (
	"testing"
	"time"

	"whistle/internal/consult"
	"whistle/internal/errs"
	"whistle/internal/store"
)

func TestConsultStore(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		t0 := base.Truncate(time.Millisecond)
		sv := consult.Survey{UnitID: 7, CreatedBy: 3, Title: "加装电梯意愿", Questions: []consult.Question{
			{Kind: consult.Single, Text: "是否支持", Options: []string{"支持", "反对"}, Required: true},
			{Kind: consult.Text, Text: "意见"},
		}, PlaceIDs: []int64{40, 41}, OpensAt: t0, ClosesAt: t0.Add(72 * time.Hour), State: consult.Draft, CreatedAt: t0}
		write(t, s, func(tx *store.Tx) error { return tx.InsertSurvey(ctx, &sv) })
		prev := sv.Version
		if err := consult.Publish(&sv, t0); err != nil {
			t.Fatal(err)
		}
		sv.PlaceIDs = []int64{41, 42}
		write(t, s, func(tx *store.Tx) error { return tx.UpdateSurvey(ctx, &sv, prev) })
		wantCode(t, s.Write(ctx, func(tx *store.Tx) error { return tx.UpdateSurvey(ctx, &sv, prev) }), errs.Conflict)
		got, err := s.Survey(ctx, sv.ID)
		if err != nil || got.State != consult.Published || len(got.Questions) != 2 || got.Questions[0].Options[1] != "反对" || len(got.PlaceIDs) != 2 || got.PlaceIDs[1] != 42 || !msEqual(got.PublishedAt, t0) {
			t.Fatalf("survey %+v %v", got, err)
		}
		_, err = s.Survey(ctx, sv.ID+99)
		wantCode(t, err, errs.NotFound)

		// One answer per respondent.
		for i, who := range []string{"p:aa", "p:bb", "c:cc"} {
			rs := []consult.Reply{{Choices: []int{i % 2}}, {Text: "尽快"}}
			write(t, s, func(tx *store.Tx) error {
				return tx.InsertSurveyAnswer(ctx, sv.ID, who, rs, t0.Add(time.Duration(i)*time.Hour))
			})
		}
		wantCode(t, s.Write(ctx, func(tx *store.Tx) error {
			return tx.InsertSurveyAnswer(ctx, sv.ID, "p:aa", []consult.Reply{{Choices: []int{1}}, {}}, t0)
		}), errs.Exists)
		if ok, err := s.SurveyAnswered(ctx, sv.ID, "p:bb"); !ok || err != nil {
			t.Errorf("answered: %v %v", ok, err)
		}
		as, err := s.SurveyAnswers(ctx, sv.ID)
		if err != nil || len(as) != 3 || as[1][0].Choices[0] != 1 || as[2][1].Text != "尽快" {
			t.Fatalf("answers %+v %v", as, err)
		}
		list, err := s.Surveys(ctx, store.SurveyFilter{UnitIDs: []int64{7}, States: []string{consult.Published}})
		if err != nil || len(list) != 1 || list[0].Answers != 3 {
			t.Fatalf("list %+v %v", list, err)
		}
		if list, _ := s.Surveys(ctx, store.SurveyFilter{UnitIDs: []int64{8}}); len(list) != 0 {
			t.Errorf("another unit's list %+v", list)
		}
		led, err := s.SurveysForLedger(ctx, []int64{42, 99}, t0, t0.Add(2*time.Hour))
		if err != nil || len(led) != 1 || led[0].Answers != 3 || led[0].AnswersInPeriod != 2 || led[0].Questions != 2 {
			t.Fatalf("ledger %+v %v", led, err)
		}
		for _, c := range []struct {
			places   []int64
			from, to time.Time
		}{{[]int64{40}, t0, t0.Add(time.Hour)}, {[]int64{41}, t0.Add(72 * time.Hour), t0.Add(80 * time.Hour)}, {nil, t0, t0.Add(time.Hour)}} {
			if led, _ := s.SurveysForLedger(ctx, c.places, c.from, c.to); len(led) != 0 {
				t.Errorf("ledger %v %v–%v: %+v", c.places, c.from, c.to, led)
			}
		}

		// The practical-matters list: one round a year, one vote per phone and item.
		r, _ := consult.NewRound(2026, "2026年", 2, t0)
		write(t, s, func(tx *store.Tx) error { return tx.InsertRound(ctx, &r) })
		dup := r
		wantCode(t, s.Write(ctx, func(tx *store.Tx) error { return tx.InsertRound(ctx, &dup) }), errs.Exists)
		it, _ := consult.Propose(&r, "加装电梯", "老楼", 41, t0)
		write(t, s, func(tx *store.Tx) error { return tx.InsertItem(ctx, &it, "p:aa") })
		it.State, it.Note = consult.ItemShortlisted, "可行"
		r.State = consult.RoundVoting
		write(t, s, func(tx *store.Tx) error {
			if err := tx.UpdateRound(ctx, &r); err != nil {
				return err
			}
			if err := tx.UpdateItem(ctx, &it); err != nil {
				return err
			}
			return tx.InsertVote(ctx, r.ID, it.ID, "p:bb", t0)
		})
		wantCode(t, s.Write(ctx, func(tx *store.Tx) error { return tx.InsertVote(ctx, r.ID, it.ID, "p:bb", t0) }), errs.Exists)
		items, err := s.Items(ctx, r.ID)
		if err != nil || len(items) != 1 || items[0].Votes != 1 || items[0].State != consult.ItemShortlisted || items[0].Note != "可行" {
			t.Fatalf("items %+v %v", items, err)
		}
		if v, err := s.PhoneVotes(ctx, r.ID, "p:bb"); err != nil || len(v) != 1 || v[0] != it.ID {
			t.Errorf("votes %v %v", v, err)
		}
		if rr, err := s.Round(ctx, r.ID); err != nil || rr.State != consult.RoundVoting || rr.VotesPerPhone != 2 {
			t.Errorf("round %+v %v", rr, err)
		}

		// Projects.
		p := consult.Project{UnitID: 9, StreetID: 7, PlaceID: 41, Title: "楼道照明", Need: "无灯", BudgetFen: 5000_00, State: consult.ProjectProposed, ProposedAt: t0}
		write(t, s, func(tx *store.Tx) error { return tx.InsertProject(ctx, &p) })
		prev = p.Version
		if err := consult.Approve(&p, 4000_00, 3, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		sp := consult.Spending{ProjectID: p.ID, AmountFen: 1500_00, Purpose: "灯具", By: 3, At: t0.Add(2 * time.Hour)}
		if err := consult.Spend(&p, &sp); err != nil {
			t.Fatal(err)
		}
		write(t, s, func(tx *store.Tx) error {
			if err := tx.UpdateProject(ctx, &p, prev); err != nil {
				return err
			}
			if err := tx.InsertSpending(ctx, &sp); err != nil {
				return err
			}
			return tx.InsertProjectReport(ctx, &consult.Report{ProjectID: p.ID, Note: "已开工", Percent: 30, PhotoIDs: []int64{5, 6}, By: 3, At: t0.Add(3 * time.Hour)})
		})
		wantCode(t, s.Write(ctx, func(tx *store.Tx) error { return tx.UpdateProject(ctx, &p, prev) }), errs.Conflict)
		gp, err := s.Project(ctx, p.ID)
		if err != nil || gp.State != consult.ProjectApproved || gp.ApprovedFen != 4000_00 || gp.SpentFen != 1500_00 {
			t.Fatalf("project %+v %v", gp, err)
		}
		reps, _ := s.ProjectReports(ctx, p.ID)
		spend, _ := s.ProjectSpending(ctx, p.ID)
		if len(reps) != 1 || len(reps[0].PhotoIDs) != 2 || reps[0].Percent != 30 || len(spend) != 1 || spend[0].Purpose != "灯具" {
			t.Fatalf("reports %+v spending %+v", reps, spend)
		}
		prev = gp.Version
		if err := consult.Finish(gp, t0.Add(10*time.Hour)); err != nil {
			t.Fatal(err)
		}
		write(t, s, func(tx *store.Tx) error {
			if err := tx.UpdateProject(ctx, gp, prev); err != nil {
				return err
			}
			for i, ph := range []string{"p:aa", "p:bb"} {
				if err := tx.InsertEvaluation(ctx, &consult.Evaluation{ProjectID: p.ID, Stars: 4 + i, Comment: "好", At: t0.Add(11 * time.Hour)}, ph); err != nil {
					return err
				}
			}
			return nil
		})
		wantCode(t, s.Write(ctx, func(tx *store.Tx) error {
			return tx.InsertEvaluation(ctx, &consult.Evaluation{ProjectID: p.ID, Stars: 1, At: t0}, "p:aa")
		}), errs.Exists)
		if ev, _ := s.ProjectEvaluations(ctx, p.ID); len(ev) != 2 {
			t.Errorf("evaluations %+v", ev)
		}
		if ps, err := s.Projects(ctx, store.ProjectFilter{UnitIDs: []int64{7}}); err != nil || len(ps) != 1 {
			t.Errorf("the street's projects %+v %v", ps, err)
		}
		if ps, _ := s.Projects(ctx, store.ProjectFilter{UnitIDs: []int64{8}}); len(ps) != 0 {
			t.Errorf("another unit's projects %+v", ps)
		}
		rows, err := s.ProjectsForLedger(ctx, []int64{41}, t0, t0.Add(24*time.Hour))
		if err != nil || len(rows) != 1 {
			t.Fatalf("ledger %+v %v", rows, err)
		}
		x := rows[0]
		if x.Reports != 1 || x.Percent != 30 || x.SpentInPeriod != 1500_00 || x.Evaluations != 2 || x.StarsMean != 4.5 || x.State != consult.ProjectFinished {
			t.Errorf("ledger row %+v", x)
		}
		if rows, _ := s.ProjectsForLedger(ctx, []int64{41}, t0.Add(48*time.Hour), t0.Add(72*time.Hour)); len(rows) != 0 {
			t.Errorf("finished before the period: %+v", rows)
		}
		if rows, _ := s.ProjectsForLedger(ctx, []int64{41}, t0.Add(2*time.Hour+time.Minute), t0.Add(9*time.Hour)); len(rows) != 1 || rows[0].SpentInPeriod != 0 || rows[0].Reports != 1 || rows[0].Percent != 30 {
			t.Errorf("later period: %+v", rows)
		}
	})
}
