package seed

import (
	"context"
	"testing"

	"whistle/internal/auth"
	"whistle/internal/consult"
	"whistle/internal/demo"
	"whistle/internal/org"
	"whistle/internal/store"
)

// The demo city holds surveys with answers, the practical-matters list of
// two years and projects in every state (issue #15).
func TestDemoConsult(t *testing.T) {
	svc := open(t)
	ctx := context.Background()
	if _, err := Demo(ctx, svc, demo.Options{Seed: 3, Requests: 50}, auth.FastHasher(), nil); err != nil {
		t.Fatal(err)
	}
	surveys, err := svc.Consult.PublicSurveys(ctx, 0)
	if err != nil || len(surveys) != 3 {
		t.Fatalf("surveys %d %v", len(surveys), err)
	}
	answers, open := 0, 0
	for _, sv := range surveys {
		answers += sv.Answers
		if sv.OpenAt(svc.Now()) {
			open++
		}
	}
	if answers < 300 || open != 2 {
		t.Errorf("%d answers, %d open surveys", answers, open)
	}
	rounds, _ := svc.Consult.Rounds(ctx)
	if len(rounds) != 2 || rounds[0].State != consult.RoundVoting || rounds[1].State != consult.RoundDecided {
		t.Fatalf("rounds %+v", rounds)
	}
	v, _ := svc.Consult.Round(ctx, rounds[0].ID)
	votes := 0
	for _, it := range v.Items {
		votes += it.Votes
	}
	if len(v.Items) != 5 || votes < 90 {
		t.Errorf("this year's items %d, votes %d", len(v.Items), votes)
	}
	ps, err := svc.St.Projects(ctx, store.ProjectFilter{})
	states := map[string]int{}
	for _, p := range ps {
		states[p.State]++
	}
	if err != nil || states[consult.ProjectProposed] != 1 || states[consult.ProjectApproved] != 1 || states[consult.ProjectFinished] != 1 || states[consult.ProjectRejected] != 1 {
		t.Errorf("projects by state %v %v", states, err)
	}
	// Every page reads them: the street's staff see their projects.
	for _, p := range ps {
		u, _ := svc.Unit(p.StreetID)
		if u.Kind != org.KindStreet {
			t.Errorf("project %d decided by %+v", p.ID, u)
		}
	}
}
