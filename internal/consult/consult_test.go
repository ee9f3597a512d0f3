package consult

import (
	"testing"
	"time"

	"whistle/internal/errs"
)

var t0 = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

func survey() Survey {
	return Survey{Title: "加装电梯意愿", Questions: []Question{
		{Kind: Single, Text: "是否支持", Options: []string{"支持", "反对", "无所谓"}, Required: true},
		{Kind: Multi, Text: "关心什么", Options: []string{"费用", "噪音", "采光"}},
		{Kind: Scale, Text: "迫切程度", Required: true},
		{Kind: Text, Text: "其他意见"},
	}, PlaceIDs: []int64{5}, OpensAt: t0, ClosesAt: t0.Add(7 * 24 * time.Hour), State: Draft}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Survey)
		code   errs.Code
	}{
		{"ok", func(*Survey) {}, ""},
		{"no title", func(s *Survey) { s.Title = "  " }, errs.FieldRequired},
		{"no questions", func(s *Survey) { s.Questions = nil }, errs.FieldRequired},
		{"no audience", func(s *Survey) { s.PlaceIDs = nil }, errs.FieldRequired},
		{"ends before it opens", func(s *Survey) { s.ClosesAt = s.OpensAt }, errs.InvalidPeriod},
		{"one option", func(s *Survey) { s.Questions[0].Options = []string{"支持", " "} }, errs.Invalid},
		{"unknown kind", func(s *Survey) { s.Questions[1].Kind = "rank" }, errs.Invalid},
		{"empty question", func(s *Survey) { s.Questions[2].Text = "" }, errs.FieldRequired},
		{"scale options dropped", func(s *Survey) { s.Questions[2].Options = []string{"x"} }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := survey()
			tc.change(&s)
			if got := errs.CodeOf(s.Validate()); got != tc.code {
				t.Errorf("code %q, want %q", got, tc.code)
			}
		})
	}
}

func TestSurveyStates(t *testing.T) {
	s := survey()
	if err := Close(&s, t0); errs.CodeOf(err) != errs.InvalidTransition {
		t.Errorf("closing a draft: %v", err)
	}
	late := s
	if err := Publish(&late, t0.Add(8*24*time.Hour)); errs.CodeOf(err) != errs.DeadlineInPast {
		t.Errorf("publishing after the end: %v", err)
	}
	if err := Publish(&s, t0); err != nil || s.State != Published || s.Version != 1 {
		t.Fatalf("publish: %v %+v", err, s)
	}
	if err := Edit(&s, survey()); errs.CodeOf(err) != errs.InvalidTransition {
		t.Errorf("editing a published survey: %v", err)
	}
	if err := Publish(&s, t0); errs.CodeOf(err) != errs.InvalidTransition {
		t.Errorf("published twice: %v", err)
	}
	for _, c := range []struct {
		at   time.Time
		open bool
	}{{t0.Add(-time.Second), false}, {t0, true}, {s.ClosesAt.Add(-time.Millisecond), true}, {s.ClosesAt, false}} {
		if s.OpenAt(c.at) != c.open {
			t.Errorf("open at %v = %v", c.at, !c.open)
		}
	}
	if err := Close(&s, t0.Add(time.Hour)); err != nil || s.State != Closed || s.OpenAt(t0.Add(2*time.Hour)) || !s.Listed() {
		t.Fatalf("close: %v %+v", err, s)
	}
}

func TestCheckAnswer(t *testing.T) {
	s := survey()
	if err := Publish(&s, t0); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(time.Hour)
	for _, tc := range []struct {
		name string
		rs   []Reply
		at   time.Time
		code errs.Code
	}{
		{"ok", []Reply{{Choices: []int{0}}, {Choices: []int{0, 2}}, {Scale: 4}, {Text: " 尽快 "}}, now, ""},
		{"optional left out", []Reply{{Choices: []int{1}}, {}, {Scale: 1}, {}}, now, ""},
		{"required left out", []Reply{{}, {}, {Scale: 1}, {}}, now, errs.FieldRequired},
		{"two on a single", []Reply{{Choices: []int{0, 1}}, {}, {Scale: 1}, {}}, now, errs.Invalid},
		{"option out of range", []Reply{{Choices: []int{3}}, {}, {Scale: 1}, {}}, now, errs.Invalid},
		{"same option twice", []Reply{{Choices: []int{0}}, {Choices: []int{1, 1}}, {Scale: 1}, {}}, now, errs.Invalid},
		{"scale 6", []Reply{{Choices: []int{0}}, {}, {Scale: 6}, {}}, now, errs.Invalid},
		{"text on a scale", []Reply{{Choices: []int{0}}, {}, {Scale: 2, Text: "x"}, {}}, now, errs.Invalid},
		{"too few replies", []Reply{{Choices: []int{0}}}, now, errs.Invalid},
		{"before it opens", []Reply{{Choices: []int{0}}, {}, {Scale: 1}, {}}, t0.Add(-time.Minute), errs.InvalidTransition},
		{"after it ends", []Reply{{Choices: []int{0}}, {}, {Scale: 1}, {}}, s.ClosesAt, errs.InvalidTransition},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := errs.CodeOf(CheckAnswer(&s, tc.rs, tc.at)); got != tc.code {
				t.Errorf("code %q, want %q", got, tc.code)
			}
		})
	}
}

func TestTally(t *testing.T) {
	s := survey()
	res := Tally(&s, [][]Reply{
		{{Choices: []int{0}}, {Choices: []int{0, 2}}, {Scale: 5}, {Text: "尽快"}},
		{{Choices: []int{0}}, {}, {Scale: 2}, {}},
		{{Choices: []int{1}}, {Choices: []int{2}}, {Scale: 4}, {Text: "费用谁出"}},
		{{Choices: []int{7}}, {}, {Scale: 9}, {}}, // out of range: skipped
	})
	q := res.Questions
	if res.Answers != 4 || q[0].Answered != 3 || q[0].Counts[0] != 2 || q[0].Counts[1] != 1 || q[0].Counts[2] != 0 {
		t.Errorf("single %+v", q[0])
	}
	if q[1].Answered != 2 || q[1].Counts[2] != 2 || q[1].Counts[0] != 1 {
		t.Errorf("multi %+v", q[1])
	}
	if q[2].Answered != 3 || q[2].Mean != 11.0/3 || q[2].Counts[4] != 1 || q[2].Counts[1] != 1 {
		t.Errorf("scale %+v", q[2])
	}
	if len(q[3].Texts) != 2 || q[3].Texts[1] != "费用谁出" {
		t.Errorf("texts %+v", q[3])
	}
	if empty := Tally(&s, nil); empty.Questions[2].Mean != 0 || empty.Answers != 0 {
		t.Errorf("empty %+v", empty)
	}
}

func TestPractical(t *testing.T) {
	r, err := NewRound(2026, "2026年民生实事", 0, t0)
	if err != nil || r.VotesPerPhone != DefaultVotesPerPhone || r.State != RoundProposing {
		t.Fatalf("round %+v %v", r, err)
	}
	r.ID = 1
	if _, err := NewRound(2026, "", 50, t0); errs.CodeOf(err) != errs.Invalid {
		t.Errorf("50 votes: %v", err)
	}
	if _, err := Propose(&r, "", "", 3, t0); errs.CodeOf(err) != errs.FieldRequired {
		t.Errorf("no title: %v", err)
	}
	if _, err := Propose(&r, "加装电梯", "", 0, t0); errs.CodeOf(err) != errs.FieldRequired {
		t.Errorf("no place: %v", err)
	}
	var items []Item
	for i, title := range []string{"加装电梯", "修缮路面", "增设充电桩", "口袋公园"} {
		it, err := Propose(&r, title, "", 3, t0)
		if err != nil {
			t.Fatal(err)
		}
		it.ID = int64(i + 1)
		items = append(items, it)
	}
	if err := OpenVoting(&r, 0); errs.CodeOf(err) != errs.Invalid {
		t.Errorf("voting on nothing: %v", err)
	}
	for i := range items {
		if err := Shortlist(&r, &items[i], i != 3, "备注"); err != nil {
			t.Fatal(err)
		}
	}
	if err := OpenVoting(&r, 3); err != nil || r.State != RoundVoting {
		t.Fatal(err)
	}
	if _, err := Propose(&r, "晚了", "", 3, t0); errs.CodeOf(err) != errs.InvalidTransition {
		t.Errorf("proposal while voting: %v", err)
	}
	for _, tc := range []struct {
		name  string
		item  int
		voted bool
		used  int
		code  errs.Code
	}{
		{"ok", 0, false, 0, ""},
		{"last vote", 1, false, 2, ""},
		{"same item twice", 0, true, 1, errs.Exists},
		{"no votes left", 2, false, 3, errs.RateLimited},
		{"not shortlisted", 3, false, 0, errs.NotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := errs.CodeOf(CheckVote(&r, &items[tc.item], tc.voted, tc.used)); got != tc.code {
				t.Errorf("code %q, want %q", got, tc.code)
			}
		})
	}
	items[0].Votes, items[1].Votes, items[2].Votes = 5, 9, 5
	if _, err := Adopt(&r, items, 4, t0); errs.CodeOf(err) != errs.Invalid {
		t.Errorf("adopting more than the shortlist: %v", err)
	}
	ranked, err := Adopt(&r, items, 2, t0)
	if err != nil || r.State != RoundDecided || len(ranked) != 3 {
		t.Fatalf("adopt %v %+v", err, ranked)
	}
	if ranked[0].ID != 2 || ranked[1].ID != 1 || ranked[0].State != ItemAdopted || ranked[1].State != ItemAdopted || ranked[2].State != ItemNotAdopted {
		t.Errorf("ranked %+v (ties by the earlier proposal)", ranked)
	}
	if err := CheckVote(&r, &items[0], false, 0); errs.CodeOf(err) != errs.InvalidTransition {
		t.Errorf("vote after the decision: %v", err)
	}
}

func TestProject(t *testing.T) {
	p := Project{Title: "楼道照明改造", Need: "楼道无灯", Plan: "安装声控灯", BudgetFen: 50000_00, PlaceID: 9, State: ProjectProposed}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := p
	bad.BudgetFen = -1
	if errs.CodeOf(bad.Validate()) != errs.Invalid {
		t.Error("negative budget")
	}
	if err := Reject(&p, " ", 1, t0); errs.CodeOf(err) != errs.FieldRequired {
		t.Errorf("reject without a reason: %v", err)
	}
	if err := CheckReport(&p, &Report{Note: "x"}); errs.CodeOf(err) != errs.InvalidTransition {
		t.Errorf("report before approval: %v", err)
	}
	if err := Approve(&p, 0, 1, t0); errs.CodeOf(err) != errs.Invalid {
		t.Errorf("approve nothing: %v", err)
	}
	if err := Approve(&p, 40000_00, 1, t0); err != nil || p.State != ProjectApproved || p.ApprovedFen != 40000_00 {
		t.Fatal(err)
	}
	if err := Reject(&p, "不行", 1, t0); errs.CodeOf(err) != errs.InvalidTransition {
		t.Errorf("reject approved: %v", err)
	}
	for _, tc := range []struct {
		amount int64
		code   errs.Code
	}{{30000_00, ""}, {0, errs.Invalid}, {10000_01, errs.Invalid}, {10000_00, ""}, {1, errs.Invalid}} {
		if got := errs.CodeOf(Spend(&p, &Spending{AmountFen: tc.amount, Purpose: "灯具"})); got != tc.code {
			t.Errorf("spend %d: %q, want %q", tc.amount, got, tc.code)
		}
	}
	if p.SpentFen != 40000_00 {
		t.Errorf("spent %d", p.SpentFen)
	}
	if err := CheckReport(&p, &Report{Note: "完成一半", Percent: 101}); errs.CodeOf(err) != errs.Invalid {
		t.Errorf("101%%: %v", err)
	}
	if err := CheckEvaluation(&p, &Evaluation{Stars: 5}); errs.CodeOf(err) != errs.InvalidTransition {
		t.Errorf("evaluate before the end: %v", err)
	}
	if err := Finish(&p, t0); err != nil || p.State != ProjectFinished {
		t.Fatal(err)
	}
	for stars, code := range map[int]errs.Code{0: errs.Invalid, 1: "", 5: "", 6: errs.Invalid} {
		if got := errs.CodeOf(CheckEvaluation(&p, &Evaluation{Stars: stars})); got != code {
			t.Errorf("%d stars: %q", stars, got)
		}
	}
}

func TestYuan(t *testing.T) {
	for fen, s := range map[int64]string{0: "0.00", 5: "0.05", 1250: "12.50", 100000000: "1000000.00", -301: "-3.01"} {
		if got := Yuan(fen); got != s {
			t.Errorf("Yuan(%d) = %s", fen, got)
		}
	}
	for s, fen := range map[string]int64{"12": 1200, "12.5": 1250, "1,200.05": 120005, "0.01": 1} {
		if got, err := ParseYuan(s); err != nil || got != fen {
			t.Errorf("ParseYuan(%s) = %d %v", s, got, err)
		}
	}
	for _, s := range []string{"", "1.234", "abc", "-1", ".5"} {
		if _, err := ParseYuan(s); err == nil {
			t.Errorf("ParseYuan(%q) accepted", s)
		}
	}
}
