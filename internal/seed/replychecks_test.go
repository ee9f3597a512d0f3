package seed

import (
	"context"
	"testing"
	"time"

	"whistle/internal/auth"
	"whistle/internal/demo"
	"whistle/internal/org"
	"whistle/internal/ranking"
)

// The demo's replies of the last two months carry verdicts: the callback
// queue shows them and the last month's ranking has its figures by unit.
func TestDemoReplyChecks(t *testing.T) {
	if testing.Short() {
		t.Skip("a demo is loaded; skipped in -short mode")
	}
	ctx := context.Background()
	svc := open(t)
	end := time.Date(2026, time.March, 20, 10, 0, 0, 0, svc.Location())
	start := time.Now()
	if _, err := Demo(ctx, svc, demo.Options{Seed: 3, Requests: 4000, End: end}, auth.FastHasher(), nil); err != nil {
		t.Fatal(err)
	}
	t.Logf("demo of 4000 requests loaded in %v", time.Since(start))
	p, err := svc.Ranking.AssessMonthPeriod("2026-02")
	if err != nil {
		t.Fatal(err)
	}
	r, err := svc.Ranking.Assess(ctx, org.System(), p, ranking.AssessOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var replies, weak, copies int64
	for _, q := range r.Replies {
		replies, weak, copies = replies+q.Replies, weak+q.Weak, copies+q.NearCopies
		if q.UnitName == "" || len(q.Means) != 6 || q.Overall <= 0 || q.Overall > 1 {
			t.Errorf("unit row %+v", q)
		}
	}
	if replies < 50 || weak == 0 || weak == replies || copies == 0 {
		t.Errorf("February: %d replies checked, %d weak, %d near-copies over %d units", replies, weak, copies, len(r.Replies))
	}
	t.Logf("February: %d replies checked, %d weak, %d near-copies over %d units", replies, weak, copies, len(r.Replies))
	pg, err := svc.Cases.CallbackQueue(ctx, org.System(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Cases) == 0 || len(pg.Checks) == 0 {
		t.Fatalf("callback queue: %d cases, %d verdicts", len(pg.Cases), len(pg.Checks))
	}
	// A second run finds nothing left to score.
	if n, err := svc.Cases.BackfillReplyChecks(ctx, org.System(), p.From, 100); err != nil || n != 0 {
		t.Errorf("second backfill: %d %v", n, err)
	}
	if _, err := svc.Cases.BackfillReplyChecks(ctx, org.Actor{User: org.User{ID: 1, Roles: []string{org.RoleAdmin}}}, p.From, 100); err == nil {
		t.Error("an admin ran the backfill")
	}
}
