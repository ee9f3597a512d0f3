// Package demo generates a deterministic, believable demo city for Whistle:
// the invented city of 江川市 with its districts, streets, communities and
// grids (tiled GeoJSON boundaries), the units and users that run its 12345
// hotline, a category taxonomy, and a year of citizen requests, each with
// the lifecycle steps (dispatch, sign, contact, reply, callback, returns,
// extensions, reopenings, merges …) that brought it to its state at the
// demo's "now".
//
// Generation is pure: no storage, no clock, no global randomness. The same
// Options always give the same Dataset, and Play turns it into the same
// cases and events by running every step through the real lifecycle rules.
package demo

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"whistle/internal/calendar"
	"whistle/internal/compound"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/timelimit"
)

// DefaultRequests is the number of requests when Options.Requests is 0.
const DefaultRequests = 60000

// DefaultEnd is the demo's "now" when Options.End is zero: a fixed moment,
// so that zero Options stay deterministic.
var DefaultEnd = time.Date(2026, time.January, 15, 10, 0, 0, 0, calendar.ChinaStandardTime())

// Options control Generate.
type Options struct {
	// Seed selects the city and its requests.
	Seed int64
	// Requests is how many requests to generate (DefaultRequests if 0).
	Requests int
	// End is the demo's "now"; requests span the 365 days before it.
	// Zero means DefaultEnd.
	End time.Time
	// Loc is the city's time zone (China Standard Time if nil).
	Loc *time.Location
	// Activity adds what happens around the requests: patrols and
	// whistles here, and in the loader exemptions and published months.
	// The demo command sets it; tests that count their own whistles or
	// publish a month themselves leave it off.
	Activity bool
}

// User is a demo user with its clear-text password, for the loader.
type User struct {
	org.User
	Password string `json:"password"`
}

// Request is one generated citizen request: the case's creation fields and
// the steps of its life so far.
type Request struct {
	// Case holds the creation fields (ID, Number, Channel, Type, Category,
	// Urgency, Title, Description, Location, Citizen, CreatedAt); Play fills
	// in the rest.
	Case  lifecycle.Case `json:"case"`
	Steps []Step         `json:"steps"`
}

// Step is one act on a request. The first step of every request is the
// create step (Cmd.Action == lifecycle.ActCreate).
type Step struct {
	At time.Time `json:"at"`
	// Actor is the acting user's username, or "system" for the scheduler
	// and for submissions through the citizen portal.
	Actor string            `json:"actor"`
	Cmd   lifecycle.Command `json:"cmd"`
	// ParentIndex is, for a merge, the index into Requests of the parent;
	// -1 otherwise.
	ParentIndex int `json:"parent_index"`
}

// SystemActor is the Step.Actor of scheduler acts and portal submissions.
const SystemActor = "system"

// Dataset is the whole demo. Places, units and users have IDs 1..n in slice
// order, and all references between them use these IDs.
type Dataset struct {
	Places     []org.Place    `json:"places"`
	Units      []org.Unit     `json:"units"`
	Users      []User         `json:"users"`
	Categories []org.Category `json:"categories"`
	// Requests are sorted by CreatedAt; request i becomes case i+1.
	Requests []Request `json:"requests"`
	// Patrols of the last six weeks and whistles of the last three months,
	// in time order (only with Options.Activity).
	Patrols  []Patrol  `json:"patrols"`
	Whistles []Whistle `json:"whistles"`
	// Compounds are the managed compounds (小区) with their property
	// companies and owners' committees (property.go).
	Compounds []compound.Compound `json:"compounds"`
	// Stories are the patterns planted in the year for the analysis to
	// find (see Story); never stored.
	Stories []Story `json:"stories"`
}

// DefaultEnv is the lifecycle environment the demo's steps are generated
// against: the embedded holiday calendar, the default time-limit policy, a
// 24-hour return window and at most two reopenings.
func DefaultEnv(loc *time.Location) lifecycle.Env {
	if loc == nil {
		loc = calendar.ChinaStandardTime()
	}
	return lifecycle.Env{
		Cal:          calendar.Default(loc),
		Policy:       timelimit.DefaultPolicy(),
		ReturnWindow: timelimit.Span{Minutes: 24 * 60},
		ReopenLimit:  2,
	}
}

func subRand(seed int64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15^stream))
}

// Generate builds the demo city and its requests.
func Generate(opts Options) *Dataset {
	loc := opts.Loc
	if loc == nil {
		loc = calendar.ChinaStandardTime()
	}
	n := opts.Requests
	if n <= 0 {
		n = DefaultRequests
	}
	end := opts.End
	if end.IsZero() {
		end = DefaultEnd
	}
	ds := &Dataset{}
	g := &gen{ds: ds, loc: loc, end: end.In(loc), env: DefaultEnv(loc),
		weather: subRand(opts.Seed, 3), reqRng: subRand(opts.Seed, 4), pathRng: subRand(opts.Seed, 5)}
	g.city = buildCity(ds, subRand(opts.Seed, 1))
	g.om = buildOrg(ds, g.city, subRand(opts.Seed, 2))
	g.quality = buildQuality(len(ds.Units), subRand(opts.Seed, 6))
	ds.Categories = buildCategories()
	g.actors = buildActors(ds)
	g.distOf = map[int64]*district{}
	for _, d := range g.city.districts {
		g.distOf[int64(d.centre+1)] = d
	}
	cum := 0.0
	for _, gr := range g.city.grids {
		w := 0.9
		switch {
		case gr.comm.str.dist.urban:
			w = 2.2
		case !gr.comm.str.town:
			w = 1.4
		}
		cum += w
		g.gridCum = append(g.gridCum, cum)
	}
	g.buildDays()

	// The stories draw from their own stream, so the ordinary requests
	// are the same draws with or without them.
	storyRng := subRand(opts.Seed, 9)
	plans := g.planStories(n, storyRng)
	plantedAt := g.plantTimes(plans, storyRng)
	seeds := g.makeSeeds(n, len(plantedAt))
	g.addProperty(seeds, subRand(opts.Seed, 10))
	plantedBy := map[int]*plan{}
	for i, sd := range g.plantSeeds(plantedAt, len(seeds), storyRng) {
		plantedBy[sd.seq] = plantedAt[i].p
		seeds = append(seeds, sd)
	}
	slices.SortStableFunc(seeds, func(a, b *seed) int {
		if c := a.c.CreatedAt.Compare(b.c.CreatedAt); c != 0 {
			return c
		}
		return a.seq - b.seq
	})
	pos := make([]int, len(seeds))
	ds.Requests = make([]Request, len(seeds))
	perDay := map[string]int{}
	for i, sd := range seeds {
		pos[sd.seq] = i
		day := sd.c.CreatedAt.In(loc).Format("20060102")
		perDay[day]++
		sd.c.ID = int64(i + 1)
		sd.c.Number = fmt.Sprintf("JC%s%05d", day, perDay[day])
		ds.Requests[i].Case = sd.c
	}
	g.finishStories(plans, seeds, pos, plantedBy)
	stops := g.stallTargets(seeds)
	for i, sd := range seeds {
		parent := -1
		if sd.dupOf >= 0 {
			parent = pos[sd.dupOf]
		}
		s := g.play(i, sd, parent, stops[i])
		if s.err == nil && s.c.State.Open() {
			s.fire(g.end)
			if stops[i] != "" && s.c.Overdue && s.err == nil && s.rng.IntN(2) == 0 {
				if at := s.now.Add(s.mins(30, 360)); at.Before(g.end) {
					s.apply(at, s.supervisor(), lifecycle.Command{Action: lifecycle.ActSupervise, Note: "已超期，请立即办理并说明原因。"}, -1)
				}
			}
		}
		ds.Requests[i].Steps = s.steps
	}
	if opts.Activity {
		ds.Patrols = g.makePatrols(seeds, subRand(opts.Seed, 7))
		ds.Whistles = g.makeWhistles(seeds, subRand(opts.Seed, 8))
	}
	buildCommunities(ds, g.city, subRand(opts.Seed, 15))
	return ds
}

// stallTargets chooses which recent requests to leave in an open state
// the ordinary path would have moved past by the demo's end: the centre
// has not yet taken in or dispatched some of what arrived in the last three
// hours (never older work: the centre dispatches within its limits), and a
// few of the last day and a half's orders wait in each of the units' open
// states. The rest of the backlog comes from the ordinary pace of work.
func (g *gen) stallTargets(seeds []*seed) []lifecycle.State {
	out := make([]lifecycle.State, len(seeds))
	unitStates := []lifecycle.State{lifecycle.Dispatched, lifecycle.Signed, lifecycle.Contacted, lifecycle.Handling, lifecycle.Replied}
	k := 0
	var haveSubmitted, haveReceived bool
	for i := len(seeds) - 1; i >= 0; i-- {
		sd := seeds[i]
		age := g.end.Sub(sd.c.CreatedAt)
		if age > 36*time.Hour && haveSubmitted && haveReceived && k >= len(unitStates) {
			break
		}
		if sd.dupOf >= 0 || sd.c.Channel == "grid" {
			continue
		}
		online := slices.Contains(lifecycle.OnlineChannels, sd.c.Channel)
		switch {
		case online && !haveSubmitted, online && age < 3*time.Hour && i%2 == 0:
			out[i], haveSubmitted = lifecycle.Submitted, true
		case !online && !haveReceived, !online && age < 3*time.Hour && i%3 == 0:
			out[i], haveReceived = lifecycle.Received, true
		case age >= 3*time.Hour && (i%7 == 0 || k < len(unitStates)):
			out[i] = unitStates[k%len(unitStates)]
			k++
		}
	}
	return out
}

// buildActors resolves every user to the actor the rules see: the user, its
// unit, and the district the unit belongs to.
func buildActors(ds *Dataset) []org.Actor {
	out := make([]org.Actor, len(ds.Users))
	for i, u := range ds.Users {
		unit := ds.Units[u.UnitID-1]
		out[i] = org.Actor{User: u.User, Unit: unit, DistrictID: districtOf(ds, unit.PlaceID)}
	}
	return out
}

// districtOf walks up the place tree to the district (0 at city level).
func districtOf(ds *Dataset, placeID int64) int64 {
	for placeID > 0 {
		p := ds.Places[placeID-1]
		if p.Level == org.LevelDistrict {
			return p.ID
		}
		placeID = p.ParentID
	}
	return 0
}

// Play runs every request's steps through lifecycle.Created and
// lifecycle.Apply with env as the template (Env.Now set per step), and
// returns the final cases and their events (cases[i] ↔ events[i]). Case IDs
// are i+1; merge steps use ParentID = ParentIndex+1. A step the rules
// refuse is a bug in the generator and is returned as an error naming the
// request and the step.
func Play(ds *Dataset, env lifecycle.Env) (cases []lifecycle.Case, events [][]lifecycle.Event, err error) {
	actors := buildActors(ds)
	byName := make(map[string]org.Actor, len(actors)+1)
	for _, a := range actors {
		byName[a.User.Username] = a
	}
	byName[SystemActor] = org.System()
	cases = make([]lifecycle.Case, len(ds.Requests))
	events = make([][]lifecycle.Event, len(ds.Requests))
	for i := range ds.Requests {
		r := &ds.Requests[i]
		c := r.Case
		c.ID = int64(i + 1)
		evs := make([]lifecycle.Event, 0, len(r.Steps))
		for si, st := range r.Steps {
			a, ok := byName[st.Actor]
			if !ok {
				return nil, nil, fmt.Errorf("demo: request %d (%s) step %d: unknown actor %q", i, c.Number, si, st.Actor)
			}
			env.Now = st.At
			if si == 0 {
				if st.Cmd.Action != lifecycle.ActCreate {
					return nil, nil, fmt.Errorf("demo: request %d (%s) step 0: want %s, got %s", i, c.Number, lifecycle.ActCreate, st.Cmd.Action)
				}
				c.CreatedAt = st.At
				ev := lifecycle.Created(&c, a, env)
				ev.CaseID = c.ID
				evs = append(evs, ev)
				continue
			}
			cmd := st.Cmd
			if cmd.Action == lifecycle.ActMerge {
				cmd.ParentID = int64(st.ParentIndex + 1)
			}
			ev, err := lifecycle.Apply(&c, cmd, a, env)
			if err != nil {
				return nil, nil, fmt.Errorf("demo: request %d (%s) step %d (%s by %s at %s): %w",
					i, c.Number, si, cmd.Action, st.Actor, st.At.Format(time.RFC3339), err)
			}
			evs = append(evs, ev)
		}
		cases[i] = c
		events[i] = evs
	}
	return cases, events, nil
}
