package demo

import (
	"slices"
	"testing"
	"time"

	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/summons"
)

// TestShape checks that the generated year at the default size looks like
// a real hotline's: streets hold tens of open orders with deadlines spread
// over the coming days, the centre's own backlog is only what arrived in
// the last hours, texts vary within a category, and patrols and whistles
// happened.
func TestShape(t *testing.T) {
	if testing.Short() {
		t.Skip("default-size run skipped in -short mode")
	}
	ds := Generate(Options{Seed: 1, End: testEnd, Activity: true})
	cases, _, err := Play(ds, DefaultEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	kind := map[int64]string{}
	for _, u := range ds.Units {
		kind[u.ID] = u.Kind
	}
	open, overdue := map[int64]int{}, map[int64]int{}
	var centre []lifecycle.Case
	dueDays := map[int]int{}
	replies := map[string]map[string]bool{}
	descs := map[string]map[string]bool{}
	for i, c := range cases {
		if descs[c.Category] == nil {
			descs[c.Category], replies[c.Category] = map[string]bool{}, map[string]bool{}
		}
		descs[c.Category][c.Description] = true
		for _, st := range ds.Requests[i].Steps {
			if st.Cmd.Action == lifecycle.ActReply || st.Cmd.Action == lifecycle.ActAnswer {
				replies[c.Category][st.Cmd.Note] = true
			}
		}
		if !c.State.Open() {
			continue
		}
		if c.State == lifecycle.Submitted || c.State == lifecycle.Received {
			centre = append(centre, c)
			continue
		}
		if kind[c.LeadUnitID] != org.KindStreet {
			continue
		}
		open[c.LeadUnitID]++
		if c.Overdue {
			overdue[c.LeadUnitID]++
		}
		if !c.ReplyBy.IsZero() && c.State != lifecycle.Replied {
			dueDays[int(c.ReplyBy.Sub(testEnd).Hours()/24)]++
		}
	}
	var perStreet []int
	overdueTotal, openTotal := 0, 0
	for _, u := range ds.Units {
		if u.Kind == org.KindStreet {
			perStreet = append(perStreet, open[u.ID])
			overdueTotal += overdue[u.ID]
			openTotal += open[u.ID]
		}
	}
	slices.Sort(perStreet)
	median := perStreet[len(perStreet)/2]
	t.Logf("open orders per street (sorted): %v; median %d; overdue %d of %d; reply deadlines by days from now: %v", perStreet, median, overdueTotal, openTotal, dueDays)
	if median < 10 {
		t.Errorf("median street backlog %d, want at least 10", median)
	}
	if overdueTotal == 0 || overdueTotal*5 > openTotal {
		t.Errorf("%d of %d open street orders overdue: want a few", overdueTotal, openTotal)
	}
	spread := 0
	for d := 0; d <= 10; d++ {
		if dueDays[d] > 0 {
			spread++
		}
	}
	if spread < 6 {
		t.Errorf("reply deadlines fall on %d of the next 11 days: %v", spread, dueDays)
	}
	t.Logf("centre backlog: %d", len(centre))
	if len(centre) == 0 || len(centre) > 40 {
		t.Errorf("centre backlog of %d undispatched requests", len(centre))
	}
	for _, c := range centre {
		if age := testEnd.Sub(c.CreatedAt); age > 12*time.Hour {
			t.Errorf("case %s waits at the centre since %s (%v)", c.Number, c.CreatedAt, age)
		}
	}

	// Texts: many phrasings within a category.
	minReplies, minDescs := 1<<30, 1<<30
	for cat, r := range replies {
		if len(descs[cat]) < 200 {
			continue // a rare category
		}
		minReplies = min(minReplies, len(r))
		minDescs = min(minDescs, len(descs[cat]))
	}
	t.Logf("distinct texts per frequent category: at least %d replies, %d descriptions; urban.garbage: %d replies, %d descriptions",
		minReplies, minDescs, len(replies["urban.garbage"]), len(descs["urban.garbage"]))
	if minReplies < 100 || minDescs < 150 {
		t.Errorf("too few distinct texts: %d replies, %d descriptions in some frequent category", minReplies, minDescs)
	}

	// Patrols and whistles.
	findings, closed, stillOpen := 0, 0, 0
	for _, p := range ds.Patrols {
		findings += len(p.Findings)
		if len(p.Points) == 0 || !p.End.After(p.Start) || !p.End.Before(testEnd) {
			t.Fatalf("patrol %+v", p)
		}
	}
	for _, w := range ds.Whistles {
		acts := []string{}
		for _, a := range w.Acts {
			acts = append(acts, a.Action)
		}
		if slices.Contains(acts, summons.ActClose) {
			closed++
		} else {
			stillOpen++
		}
	}
	t.Logf("%d patrols with %d findings; %d whistles (%d closed, %d open)", len(ds.Patrols), findings, len(ds.Whistles), closed, stillOpen)
	if len(ds.Patrols) < 1000 || findings < 50 || closed < 50 || stillOpen == 0 {
		t.Errorf("%d patrols, %d findings, %d closed and %d open whistles", len(ds.Patrols), findings, closed, stillOpen)
	}
}
