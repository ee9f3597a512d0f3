package demo

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"whistle/internal/agenda"
	"whistle/internal/insight"
	"whistle/internal/org"
)

// insightInput turns the played demo into what the analysis reads, the way
// the store's rollups and light records will: one cell per request (the
// analysis sums them), place ids as strings, the lead unit, the texts, and
// the phone and address as keys. Nothing of the stories goes in.
func insightInput(t *testing.T, ds *Dataset) insight.Input {
	t.Helper()
	cases, _, err := Play(ds, DefaultEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	id := func(v int64) string {
		if v == 0 {
			return ""
		}
		return strconv.FormatInt(v, 10)
	}
	var in insight.Input
	for _, c := range cases {
		day := insight.DayOf(c.CreatedAt)
		l := c.Location
		in.Cells = append(in.Cells, insight.Cell{Day: day, Category: c.Category, District: id(l.DistrictID), Street: id(l.StreetID),
			Community: id(l.CommunityID), Grid: id(l.GridID), Unit: id(c.LeadUnitID), N: 1})
		r := insight.Req{ID: id(c.ID), Day: day, Category: c.Category, Unit: id(c.LeadUnitID), Grid: id(l.GridID),
			Text: c.Title + "。" + c.Description, AddressKey: l.Address}
		if l.Lat != nil {
			r.Lat, r.Lon = *l.Lat, *l.Lon
		}
		if c.Citizen.Phone != "" {
			r.PhoneKey = "k" + c.Citizen.Phone
		}
		in.Reqs = append(in.Reqs, r)
	}
	in.Neighbours = gridNeighbours(t, ds)
	return in
}

// gridNeighbours links grids whose boundaries share an edge (two lattice
// vertices: the generator's neighbours share their vertices exactly).
func gridNeighbours(t *testing.T, ds *Dataset) map[string][]string {
	t.Helper()
	at := map[[2]float64][]int64{}
	for _, p := range ds.Places {
		if p.Level != org.LevelGrid {
			continue
		}
		var g struct{ Coordinates [][][2]float64 }
		if err := json.Unmarshal([]byte(p.Boundary), &g); err != nil {
			t.Fatal(err)
		}
		for _, v := range g.Coordinates[0] {
			if !slices.Contains(at[v], p.ID) {
				at[v] = append(at[v], p.ID)
			}
		}
	}
	shared := map[[2]int64]int{}
	for _, ids := range at {
		for i, a := range ids {
			for _, b := range ids[i+1:] {
				shared[[2]int64{min(a, b), max(a, b)}]++
			}
		}
	}
	nb := map[string][]string{}
	for k, n := range shared {
		if n >= 2 {
			a, b := strconv.FormatInt(k[0], 10), strconv.FormatInt(k[1], 10)
			nb[a] = append(nb[a], b)
			nb[b] = append(nb[b], a)
		}
	}
	return nb
}

func analyse(t *testing.T, in insight.Input, from, to insight.Day) *insight.Report {
	t.Helper()
	rep, err := insight.Analyze(in, insight.Options{From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func topicHas(tp insight.Topic, sub string) bool {
	for _, s := range slices.Concat(tp.Terms, tp.Phrases) {
		if strings.Contains(sub, s) || strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func candHas(c insight.Candidate, sub string) bool {
	return c.Kind == "topic" && topicHas(insight.Topic{Terms: c.Terms, Phrases: c.Phrases}, sub)
}

// TestStoriesFound: the analysis finds the planted stories of the default
// demo on its own, in the last four weeks, in winter and in spring.
func TestStoriesFound(t *testing.T) {
	if testing.Short() {
		t.Skip("default-size run skipped in -short mode")
	}
	ds := Generate(Options{Seed: 1, End: testEnd})
	in := insightInput(t, ds)
	to := insight.DayOf(testEnd) - 1
	rep := analyse(t, in, to-27, to)
	t.Logf("last 4 weeks %s–%s: baseline %s, R %.2f, φ %.2f, %d anomalies, %d topics, %d place repeats, %d hotspots",
		rep.From, rep.To, rep.Baseline, rep.Trend, rep.Dispersion, len(rep.Anomalies), len(rep.Topics), len(rep.PlaceRepeats), len(rep.Hotspots))
	for _, c := range rep.Candidates[:min(8, len(rep.Candidates))] {
		t.Logf("candidate %d %s %s %v %.2f", c.Rank, c.Kind, c.Category, c.Phrases, c.Score)
	}

	t.Run("rising", func(t *testing.T) {
		s := ds.Story(StoryRising)
		if len(s.Requests) < 80 {
			t.Fatalf("%d planted", len(s.Requests))
		}
		var found *insight.Topic
		for i, tp := range rep.Topics {
			if topicHas(tp, s.Phrase) {
				found = &rep.Topics[i]
				break
			}
		}
		if found == nil {
			t.Fatalf("no topic with %q among %d", s.Phrase, len(rep.Topics))
		}
		t.Logf("topic %v: %d now, %d before, emerging %v, places %v", found.Phrases, found.Cur, found.Base, found.Emerging, found.Places)
		if !found.Emerging || len(found.Places) == 0 || found.Places[0].Key != fmt.Sprint(s.StreetID) {
			t.Errorf("topic %v: emerging %v, places %v; want emerging in street %d", found.Phrases, found.Emerging, found.Places, s.StreetID)
		}
		rank := 0
		for _, c := range rep.Candidates {
			if candHas(c, s.Phrase) {
				rank = c.Rank
				break
			}
		}
		if rank == 0 || rank > 8 {
			t.Errorf("the rising topic ranks %d among the candidates, want in the first 8", rank)
		}
	})

	t.Run("repeat", func(t *testing.T) {
		s := ds.Story(StoryRepeat)
		var hit *insight.PlaceRepeat
		for i, r := range rep.PlaceRepeats {
			if r.AddressKey == s.Address && r.Category == s.Category {
				hit = &rep.PlaceRepeats[i]
			}
		}
		if hit == nil || hit.N < 6 {
			t.Fatalf("address %s not among the %d place repeats (%+v)", s.Address, len(rep.PlaceRepeats), hit)
		}
		t.Logf("repeat %s: %d requests %s–%s; %d place repeats in all", s.Address, hit.N, hit.FirstDay, hit.LastDay, len(rep.PlaceRepeats))
		if earlier := len(s.Requests) - hit.N; earlier < 8 {
			t.Errorf("%d requests at the address before the last four weeks, want earlier ones too", earlier)
		}
	})

	t.Run("hotspot", func(t *testing.T) {
		s := ds.Story(StoryHotspot)
		planted := map[string]bool{}
		for _, g := range s.GridIDs {
			planted[fmt.Sprint(g)] = true
		}
		best, extra := 0, 0
		for _, h := range rep.Hotspots {
			if h.Category != s.Category {
				continue
			}
			in := 0
			for _, g := range h.Grids {
				if planted[g] {
					in++
				}
			}
			if in > best {
				best, extra = in, len(h.Grids)-in
			}
			t.Logf("hotspot %s: %d grids (%d planted), %d requests, expected %.1f, terms %v", h.Category, len(h.Grids), in, h.Count, h.Expected, h.Terms)
		}
		if best < 6 || extra > 6 {
			t.Errorf("the best %s hotspot covers %d of the 9 planted grids with %d others", s.Category, best, extra)
		}
	})

	t.Run("seasonal", func(t *testing.T) {
		s := ds.Story(StorySeasonal)
		month := map[string]int{}
		for _, r := range ds.Requests {
			if slices.Contains(s.Categories, r.Case.Category) {
				month[r.Case.CreatedAt.Format("2006-01")]++
			}
		}
		win, sum := month["2025-12"], month["2025-07"]
		t.Logf("heating by month: %v", month)
		if win < 300 || sum*20 > win {
			t.Errorf("heating in December %d, in July %d: want a strong winter and almost no summer", win, sum)
		}
		// Late November to mid-December against the three periods before.
		from := insight.DateDay(2025, time.November, 20)
		r := analyse(t, in, from, from+27)
		flagged := map[string]bool{}
		for _, a := range r.Anomalies {
			if a.Level == insight.City && a.Flag {
				flagged[a.Category] = true
			}
		}
		for _, c := range s.Categories[:2] {
			if !flagged[c] {
				t.Errorf("%s not flagged city-wide in %s–%s", c, r.From, r.To)
			}
		}
		// And not in summer, against the spring before.
		from = insight.DateDay(2025, time.July, 1)
		r = analyse(t, in, from, from+27)
		for _, a := range r.Anomalies {
			if slices.Contains(s.Categories, a.Category) && a.Flag && a.Count > a.Baseline {
				t.Errorf("heating flagged rising in July: %+v", a)
			}
		}
	})

	t.Run("spring", func(t *testing.T) {
		s := ds.Story(StorySpring)
		a := insight.DayOf(s.Peak)
		if s.Peak.Month() != time.April || s.Peak.Day() != 15 {
			t.Fatalf("topic start %s", s.Peak)
		}
		april := analyse(t, in, a-28, a-1)
		var tp *insight.Topic
		for i := range april.Topics {
			if topicHas(april.Topics[i], s.Phrase) {
				tp = &april.Topics[i]
				break
			}
		}
		if tp == nil || !tp.Emerging {
			t.Fatalf("%s–%s: no emerging topic with %q (%+v)", april.From, april.To, s.Phrase, tp)
		}
		rank := 0
		for _, c := range april.Candidates {
			if candHas(c, s.Phrase) {
				rank = c.Rank
				break
			}
		}
		t.Logf("April %s–%s: topic %v %d now (%d before), candidate rank %d", april.From, april.To, tp.Phrases, tp.Cur, tp.Base, rank)
		if rank == 0 || rank > 5 {
			t.Errorf("the spring topic ranks %d in April, want in the first 5", rank)
		}
		jul := insight.DateDay(s.Peak.Year(), time.July, 5)
		july := analyse(t, in, jul-27, jul)
		for _, tp := range july.Topics {
			if topicHas(tp, s.Phrase) {
				t.Errorf("%s–%s: still a rising topic %v", july.From, july.To, tp.Phrases)
			}
		}
		falling := ""
		for _, term := range july.Falling {
			if strings.Contains(s.Phrase, term.Text) || strings.Contains(term.Text, s.Phrase) {
				falling = fmt.Sprintf("%s %d→%d", term.Text, term.Base, term.Cur)
				break
			}
		}
		t.Logf("July %s–%s: falling %q", july.From, july.To, falling)
		if falling == "" {
			t.Errorf("%s–%s: %q not among the %d falling terms", july.From, july.To, s.Phrase, len(july.Falling))
		}
		top := s.Topic
		if top == nil || top.State != agenda.Met || top.Outcome == nil || top.Outcome.Change > -0.5 || len(s.Tasks) < 2 {
			t.Errorf("topic %+v outcome %+v, %d tasks", top, top.Outcome, len(s.Tasks))
		}
	})
}

// TestStoriesSmall: a small demo plants nothing (its requests are the
// same draws as before the stories), yet names its stories and the topic.
func TestStoriesSmall(t *testing.T) {
	ds := Generate(Options{Seed: 7, Requests: 2000, End: testEnd})
	if len(ds.Requests) != 2000 {
		t.Fatalf("%d requests", len(ds.Requests))
	}
	keys := []string{}
	for _, s := range ds.Stories {
		keys = append(keys, s.Key)
		if len(s.Requests) != 0 {
			t.Errorf("%s: %d planted in a small demo", s.Key, len(s.Requests))
		}
	}
	if want := []string{StoryRising, StoryRepeat, StoryHotspot, StorySpring, StorySeasonal}; !slices.Equal(keys, want) {
		t.Errorf("stories %v, want %v", keys, want)
	}
	s := ds.Story(StorySpring)
	if s.Topic == nil || s.Topic.State != agenda.Active || s.Topic.LeadUnitID == 0 || ds.Units[s.Topic.LeadUnitID-1].Code != "city-scjg" {
		t.Errorf("spring topic %+v", s.Topic)
	}
	for _, k := range s.Tasks {
		if k.State != agenda.TaskDone || k.Note == "" || k.UnitID == 0 {
			t.Errorf("task %+v", k)
		}
	}
}
