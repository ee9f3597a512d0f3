package seed

import (
	"context"
	"slices"
	"testing"
	"time"

	"whistle/internal/auth"
	"whistle/internal/deliberation"
	"whistle/internal/demo"
)

// TestDemoDeliberations: the demo city holds deliberations in every state,
// played through the service: a closed one with its tasks done, a decided
// one half done, a scheduled meeting, an item on the agenda, a proposal
// and a declined one; the portal shows only the four that are public.
func TestDemoDeliberations(t *testing.T) {
	ctx := context.Background()
	svc := openSealed(t)
	end := time.Date(2026, time.March, 20, 10, 0, 0, 0, svc.Location())
	if _, err := Demo(ctx, svc, demo.Options{Seed: 3, Requests: 600, End: end, Activity: true}, auth.FastHasher(), nil); err != nil {
		t.Fatal(err)
	}
	items, err := svc.St.Deliberations(ctx, deliberation.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, it := range items {
		states = append(states, it.State)
	}
	slices.Sort(states)
	want := []string{deliberation.Accepted, deliberation.Closed, deliberation.Decided, deliberation.Declined, deliberation.Proposed, deliberation.Scheduled}
	if !slices.Equal(states, want) {
		t.Fatalf("states %v, want %v", states, want)
	}
	pub, err := svc.Deliberations.PublicList(ctx, 0)
	if err != nil || len(pub) != 4 {
		t.Fatalf("public items %d %v", len(pub), err)
	}
	progress := map[string][2]int{}
	for _, p := range pub {
		progress[p.State] = [2]int{p.Done, p.Total}
		if p.State == deliberation.Decided || p.State == deliberation.Closed {
			if p.Decision == nil || !p.Decision.Adopted || p.Participants == 0 {
				t.Errorf("%s without a decision or participants: %+v", p.State, p)
			}
		}
	}
	if progress[deliberation.Closed] != [2]int{2, 2} || progress[deliberation.Decided] != [2]int{1, 2} {
		t.Errorf("progress %v", progress)
	}
}
