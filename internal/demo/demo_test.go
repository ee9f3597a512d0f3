package demo

import (
	"crypto/sha256"
	"encoding/json"
	"math"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"whistle/internal/calendar"
	"whistle/internal/geo"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

var testEnd = time.Date(2026, time.January, 10, 9, 30, 0, 0, calendar.ChinaStandardTime())

// The 5,000-request dataset and its play are shared by several tests.
var (
	fiveOnce   sync.Once
	fiveDS     *Dataset
	fiveCases  []lifecycle.Case
	fiveEvents [][]lifecycle.Event
	fiveErr    error
)

func five(t *testing.T) (*Dataset, []lifecycle.Case, [][]lifecycle.Event) {
	t.Helper()
	fiveOnce.Do(func() {
		fiveDS = Generate(Options{Seed: 7, Requests: 5000, End: testEnd})
		fiveCases, fiveEvents, fiveErr = Play(fiveDS, DefaultEnv(nil))
	})
	if fiveErr != nil {
		t.Fatalf("Play: %v", fiveErr)
	}
	return fiveDS, fiveCases, fiveEvents
}

func TestCounts(t *testing.T) {
	ds, _, _ := five(t)
	levels := map[string]int{}
	for i, p := range ds.Places {
		if p.ID != int64(i+1) {
			t.Fatalf("place %d has ID %d", i, p.ID)
		}
		levels[p.Level]++
		switch p.Level {
		case org.LevelStreet:
			if !strings.HasSuffix(p.Name, "街道") && !strings.HasSuffix(p.Name, "镇") && !strings.HasSuffix(p.Name, "乡") {
				t.Errorf("street name %q", p.Name)
			}
		case org.LevelCommunity:
			if !strings.HasSuffix(p.Name, "社区") && !strings.HasSuffix(p.Name, "村") {
				t.Errorf("community name %q", p.Name)
			}
		}
	}
	t.Logf("places: %v", levels)
	if levels[org.LevelCity] != 1 || levels[org.LevelDistrict] < 6 || levels[org.LevelStreet] < 40 || levels[org.LevelCommunity] < 300 {
		t.Errorf("too few places: %v", levels)
	}
	grids := map[int64]int{}
	for _, p := range ds.Places {
		if p.Level == org.LevelGrid {
			grids[p.ParentID]++
		}
	}
	for _, p := range ds.Places {
		if p.Level == org.LevelCommunity && grids[p.ID] < 2 {
			t.Errorf("community %s has %d grids", p.Name, grids[p.ID])
		}
	}
	codes := map[string]bool{}
	for _, p := range ds.Places {
		if codes[p.Code] {
			t.Errorf("duplicate place code %s", p.Code)
		}
		codes[p.Code] = true
		if p.ParentID != 0 && !strings.HasPrefix(p.Code, ds.Places[p.ParentID-1].Code[:4]) {
			t.Errorf("place code %s not under %s", p.Code, ds.Places[p.ParentID-1].Code)
		}
	}

	ascii := regexp.MustCompile(`^[a-z0-9-]+$`)
	ucodes := map[string]bool{}
	kinds := map[string]int{}
	for i, u := range ds.Units {
		if u.ID != int64(i+1) || !ascii.MatchString(u.Code) || ucodes[u.Code] {
			t.Errorf("unit %d: id %d code %q", i, u.ID, u.Code)
		}
		ucodes[u.Code] = true
		kinds[u.Kind]++
		if u.PlaceID < 1 || int(u.PlaceID) > len(ds.Places) {
			t.Errorf("unit %s: place %d", u.Code, u.PlaceID)
		}
		if u.Kind != org.KindCityCentre && (u.SupervisorID < 1 || int(u.SupervisorID) > len(ds.Units)) {
			t.Errorf("unit %s: supervisor %d", u.Code, u.SupervisorID)
		}
		if u.Kind == org.KindStreet {
			sup := ds.Units[u.SupervisorID-1]
			if sup.Kind != org.KindDistrictCentre || ds.Places[u.PlaceID-1].ParentID != sup.PlaceID {
				t.Errorf("street office %s supervised by %s", u.Name, sup.Name)
			}
		}
	}
	t.Logf("units: %v", kinds)
	if kinds[org.KindCityCentre] != 1 || kinds[org.KindDistrictCentre] != levels[org.LevelDistrict] ||
		kinds[org.KindStreet] != levels[org.LevelStreet] || kinds[org.KindDepartment] < 13 || kinds[org.KindEnterprise] < 5 {
		t.Errorf("unit kinds: %v", kinds)
	}

	users := map[string]bool{}
	roles := map[string]int{}
	for i, u := range ds.Users {
		if u.ID != int64(i+1) || !ascii.MatchString(u.Username) || users[u.Username] || u.Password != DemoPassword ||
			u.UnitID < 1 || int(u.UnitID) > len(ds.Units) || !utf8.ValidString(u.DisplayName) || u.DisplayName == "" {
			t.Errorf("user %d: %+v", i, u)
		}
		users[u.Username] = true
		for _, r := range u.Roles {
			roles[r]++
			if !org.ValidRole(r) {
				t.Errorf("user %s: role %q", u.Username, r)
			}
		}
		for _, g := range u.GridIDs {
			if ds.Places[g-1].Level != org.LevelGrid {
				t.Errorf("user %s: grid %d is a %s", u.Username, g, ds.Places[g-1].Level)
			}
		}
	}
	t.Logf("users: %d %v", len(ds.Users), roles)
	for _, want := range []string{"admin", "analyst", "agent01", "agent10", "dispatcher01", "dispatcher03"} {
		if !users[want] {
			t.Errorf("no user %s", want)
		}
	}
	// One login per role, and a department's handler beside the street's.
	logins := Logins(ds)
	covered := map[string]bool{}
	for _, l := range logins {
		for _, r := range l.Roles {
			covered[r] = true
		}
	}
	for _, r := range org.AllRoles {
		if !covered[r] {
			t.Errorf("Logins: no user with role %s", r)
		}
	}
	if len(logins) != len(org.AllRoles)+1 {
		t.Errorf("Logins: %d users for %d roles (and a department handler)", len(logins), len(org.AllRoles))
	}

	leaves, cats := 0, map[string]org.Category{}
	for _, c := range ds.Categories {
		cats[c.Code] = c
	}
	for _, c := range ds.Categories {
		if c.Parent != org.ParentCode(c.Code) || (c.Parent != "" && cats[c.Parent].Code == "") || !c.Active || c.NameZH == "" || c.NameEN == "" {
			t.Errorf("category %+v", c)
		}
		if c.Leaf {
			leaves++
			if !slicesContains(lifecycle.Urgencies, c.Urgency) {
				t.Errorf("category %s urgency %q", c.Code, c.Urgency)
			}
		}
	}
	if leaves < 60 {
		t.Errorf("%d leaf categories", leaves)
	}
	if len(ds.Requests) != 5000 {
		t.Errorf("%d requests", len(ds.Requests))
	}
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func contains(boundary string, lon, lat float64) bool {
	shape, err := geo.Parse(boundary)
	return err == nil && shape.Contains(lon, lat)
}

func TestGeometry(t *testing.T) {
	ds, _, _ := five(t)
	area := make([]float64, len(ds.Places))
	childArea := make([]float64, len(ds.Places))
	for i, p := range ds.Places {
		shape, err := geo.Parse(p.Boundary)
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		r := shape.Polys[0][0]
		if len(r) < 4 || r[0] != r[len(r)-1] {
			t.Fatalf("%s: ring not closed", p.Name)
		}
		area[i] = SignedArea(r)
		if area[i] <= 0 {
			t.Errorf("%s: ring not counter-clockwise", p.Name)
		}
		for _, c := range r {
			if c[0] < 116.09 || c[0] > 116.71 || c[1] < 39.69 || c[1] > 40.11 {
				t.Fatalf("%s: vertex %v outside the city's box", p.Name, c)
			}
		}
		if p.ParentID > 0 {
			childArea[p.ParentID-1] += area[i]
		}
	}
	// Children tile their parent: their areas add up to its area exactly
	// (up to rounding), and every child lies inside its parent (checked
	// below through the request points of every level).
	for i, p := range ds.Places {
		if p.Level == org.LevelGrid {
			continue
		}
		if math.Abs(childArea[i]-area[i]) > 1e-9*math.Max(1, area[i]) {
			t.Errorf("%s: children cover %.9f of %.9f", p.Name, childArea[i], area[i])
		}
	}
	// Every request's point lies in its grid and in each ancestor.
	for i, r := range ds.Requests {
		loc := r.Case.Location
		if loc.Lat == nil || loc.Lon == nil {
			t.Fatalf("request %d has no point", i)
		}
		g := ds.Places[loc.GridID-1]
		cm := ds.Places[g.ParentID-1]
		st := ds.Places[cm.ParentID-1]
		di := ds.Places[st.ParentID-1]
		if g.Level != org.LevelGrid || cm.ID != loc.CommunityID || st.ID != loc.StreetID || di.ID != loc.DistrictID || di.ParentID != 1 {
			t.Fatalf("request %d: inconsistent place chain %+v", i, loc)
		}
		for _, p := range []org.Place{g, cm, st, di, ds.Places[0]} {
			if !contains(p.Boundary, *loc.Lon, *loc.Lat) {
				t.Fatalf("request %d: point %v,%v not in %s %s", i, *loc.Lon, *loc.Lat, p.Level, p.Name)
			}
		}
		// And in no sibling grid of the same community.
		if i%10 == 0 {
			for _, q := range ds.Places {
				if q.Level == org.LevelGrid && q.ParentID == cm.ID && q.ID != g.ID {
					if contains(q.Boundary, *loc.Lon, *loc.Lat) {
						t.Fatalf("request %d: point also in %s", i, q.Name)
					}
				}
			}
		}
		if !strings.HasPrefix(loc.Address, "江川市"+di.Name+st.Name) {
			t.Errorf("request %d: address %q", i, loc.Address)
		}
	}
}

func hashJSON(t *testing.T, v any) [32]byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestDeterminism(t *testing.T) {
	opts := Options{Seed: 42, Requests: 3000, End: testEnd, Activity: true}
	a, b := Generate(opts), Generate(opts)
	if hashJSON(t, a) != hashJSON(t, b) {
		t.Fatal("two runs with the same options differ")
	}
	ca, ea, err := Play(a, DefaultEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	cb, eb, err := Play(b, DefaultEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if hashJSON(t, ca) != hashJSON(t, cb) || hashJSON(t, ea) != hashJSON(t, eb) {
		t.Fatal("Play output differs between identical datasets")
	}
	c := Generate(Options{Seed: 43, Requests: 3000, End: testEnd, Activity: true})
	if hashJSON(t, a) == hashJSON(t, c) {
		t.Fatal("different seeds give the same dataset")
	}
	// The city does not depend on the number of requests.
	d := Generate(Options{Seed: 42, Requests: 10, End: testEnd})
	if hashJSON(t, a.Places) != hashJSON(t, d.Places) || hashJSON(t, a.Users) != hashJSON(t, d.Users) {
		t.Fatal("the city changes with the number of requests")
	}
}

func TestPlayPaths(t *testing.T) {
	ds, cases, events := five(t)
	seen := map[string]int{}
	for i, c := range cases {
		r := ds.Requests[i]
		if i > 0 && r.Case.CreatedAt.Before(ds.Requests[i-1].Case.CreatedAt) {
			t.Fatalf("requests not sorted at %d", i)
		}
		if c.ID != int64(i+1) || len(events[i]) != len(r.Steps) {
			t.Fatalf("case %d: id %d, %d events for %d steps", i, c.ID, len(events[i]), len(r.Steps))
		}
		if !c.CreatedAt.Before(testEnd) || c.CreatedAt.Before(testEnd.AddDate(-1, 0, -1)) {
			t.Errorf("case %d created at %s", i, c.CreatedAt)
		}
		for j, ev := range events[i] {
			if !ev.At.Before(testEnd) {
				t.Fatalf("case %d event %d at %s, after the end", i, j, ev.At)
			}
			if j > 0 && ev.At.Before(events[i][j-1].At) {
				t.Fatalf("case %d event %d goes back in time", i, j)
			}
			switch ev.Action {
			case lifecycle.ActAnswer:
				seen["answered directly"]++
			case lifecycle.ActApproveReturn:
				seen["return approved"]++
				if ev.Data["to"] == "received" {
					seen["return to centre"]++
				}
			case lifecycle.ActRejectReturn:
				seen["return rejected"]++
			case lifecycle.ActApproveExtension:
				seen["extension approved"]++
			case lifecycle.ActRejectExtension:
				seen["extension rejected"]++
			case lifecycle.ActMerge:
				seen["merged"]++
				if p := ev.Data["parent_id"].(int64); p < 1 || p >= c.ID {
					t.Errorf("case %d merged into %d", c.ID, p)
				}
			case lifecycle.ActCallback:
				if ev.Data["satisfaction"] == lifecycle.Unsatisfied {
					seen["unsatisfied callback"]++
				}
				if ev.Data["reopen"] == true {
					seen["reopened"]++
				}
			case lifecycle.ActSupervise:
				seen["supervised"]++
			case lifecycle.ActOverdue:
				seen["overdue event"]++
			case lifecycle.ActAssist:
				seen["co-handled"]++
			case lifecycle.ActClose:
				seen["closed without callback"]++
			case lifecycle.ActSign:
				if ev.Data["late"] == true {
					seen["signed late"]++
				}
			}
		}
		if c.State.Open() {
			seen["open "+string(c.State)]++
			if c.Overdue {
				seen["open overdue"]++
			}
		}
	}
	t.Logf("paths: %v", seen)
	for _, k := range []string{"answered directly", "return approved", "return to centre", "return rejected", "extension approved",
		"extension rejected", "reopened", "merged", "unsatisfied callback", "supervised", "overdue event", "co-handled",
		"closed without callback", "signed late", "open overdue"} {
		if seen[k] == 0 {
			t.Errorf("no case took the path %q", k)
		}
	}
	for _, st := range lifecycle.OpenStates {
		if seen["open "+string(st)] == 0 {
			t.Errorf("no open case in state %s", st)
		}
	}
	open := 0
	for _, st := range lifecycle.OpenStates {
		open += seen["open "+string(st)]
	}
	if open < len(cases)/100 || open > len(cases)/10 {
		t.Errorf("%d of %d cases open", open, len(cases))
	}
}

func TestTexts(t *testing.T) {
	ds, _, _ := five(t)
	phone := regexp.MustCompile(`^1[3-9]\d{9}$`)
	types, channels := map[string]int{}, map[string]int{}
	phones := map[string]int{}
	anon, conf := 0, 0
	cats := map[string]bool{}
	for _, c := range ds.Categories {
		if c.Leaf {
			cats[c.Code] = true
		}
	}
	for i, r := range ds.Requests {
		c := r.Case
		types[c.Type]++
		channels[c.Channel]++
		if !cats[c.Category] {
			t.Errorf("request %d: category %q", i, c.Category)
		}
		if n := utf8.RuneCountInString(c.Description); n < 30 || n > 300 {
			t.Errorf("request %d: description of %d characters: %s", i, n, c.Description)
		}
		if n := utf8.RuneCountInString(c.Title); n < 4 || n > 60 || strings.ContainsAny(c.Title+c.Description, "{}") {
			t.Errorf("request %d: title %q", i, c.Title)
		}
		switch {
		case c.Citizen.Anonymous:
			anon++
		case c.Channel == "grid":
		default:
			if !phone.MatchString(c.Citizen.Phone) || c.Citizen.Name == "" {
				t.Errorf("request %d: citizen %+v", i, c.Citizen)
			}
			phones[c.Citizen.Phone]++
		}
		if c.Citizen.Confidential {
			conf++
		}
	}
	repeat := 0
	for _, n := range phones {
		if n >= 3 {
			repeat++
		}
	}
	t.Logf("types %v channels %v anonymous %d confidential %d repeat callers %d", types, channels, anon, conf, repeat)
	n := float64(len(ds.Requests))
	for typ, want := range map[string]float64{"consultation": .40, "complaint": .30, "help": .15, "report": .07, "suggestion": .06, "praise": .02} {
		if got := float64(types[typ]) / n; math.Abs(got-want) > 0.03 {
			t.Errorf("type %s: %.3f, want about %.2f", typ, got, want)
		}
	}
	if got := float64(channels["phone"]) / n; got < 0.62 || got > 0.78 {
		t.Errorf("phone share %.3f", got)
	}
	if channels["grid"] == 0 || anon == 0 || conf == 0 || repeat < 10 {
		t.Errorf("grid %d, anonymous %d, confidential %d, repeat callers %d", channels["grid"], anon, conf, repeat)
	}
	for i := 0; i < 3; i++ {
		r := ds.Requests[i*1000]
		t.Logf("%s [%s/%s/%s] %s — %s @ %s", r.Case.Number, r.Case.Channel, r.Case.Type, r.Case.Category, r.Case.Title, r.Case.Description, r.Case.Location.Address)
	}
}

func TestSeasonality(t *testing.T) {
	ds := Generate(Options{Seed: 3, Requests: 20000, End: time.Date(2026, time.January, 1, 0, 0, 0, 0, calendar.ChinaStandardTime())})
	heat := map[time.Month]int{}
	flood := map[time.Month]int{}
	hours := make([]int, 24)
	weekday, weekend := 0, 0
	for _, r := range ds.Requests {
		c := r.Case
		m := c.CreatedAt.Month()
		switch {
		case strings.HasPrefix(c.Category, "heating.temp"), strings.HasPrefix(c.Category, "heating.cold"), strings.HasPrefix(c.Category, "heating.leak"):
			heat[m]++
		case c.Category == "drain.flood":
			flood[m]++
		}
		hours[c.CreatedAt.Hour()]++
		if wd := c.CreatedAt.Weekday(); wd == time.Saturday || wd == time.Sunday {
			weekend++
		} else {
			weekday++
		}
	}
	t.Logf("heating Jan %d Jul %d; flooding Jul %d Jan %d; weekday/weekend %d/%d; hours %v", heat[time.January], heat[time.July], flood[time.July], flood[time.January], weekday, weekend, hours)
	if heat[time.January] < 10*max(1, heat[time.July]) {
		t.Errorf("heating: January %d, July %d", heat[time.January], heat[time.July])
	}
	if flood[time.July] < 5*max(1, flood[time.January]) {
		t.Errorf("flooding: July %d, January %d", flood[time.July], flood[time.January])
	}
	if hours[10] < 5*hours[3] {
		t.Errorf("night: 10h %d, 3h %d", hours[10], hours[3])
	}
	if float64(weekend)/2 > float64(weekday)/5*0.9 {
		t.Errorf("weekends not quieter: %d/%d", weekend, weekday)
	}
}

func TestFullScale(t *testing.T) {
	if testing.Short() {
		t.Skip("full-scale run skipped in -short mode")
	}
	t0 := time.Now()
	ds := Generate(Options{Seed: 1, End: testEnd})
	t1 := time.Now()
	cases, _, err := Play(ds, DefaultEnv(nil))
	t2 := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != DefaultRequests {
		t.Fatalf("%d cases", len(cases))
	}
	// Speed is a benchmark's business (BenchmarkFullScale): a loaded CI
	// machine must not fail this test.
	t.Logf("Generate %d requests: %v; Play: %v", len(cases), t1.Sub(t0).Round(time.Millisecond), t2.Sub(t1).Round(time.Millisecond))
}

// BenchmarkFullScale generates and plays the default demo year.
func BenchmarkFullScale(b *testing.B) {
	for b.Loop() {
		ds := Generate(Options{Seed: 1, End: testEnd})
		if _, _, err := Play(ds, DefaultEnv(nil)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCodesHoldNoMobileRun: the demo's division codes keep the shape of GB/T
// 2260 (district 6 digits, street 9, community 12, grid 14) under a province
// prefix that does not exist ("20"), chosen so that no code — nor a code
// with a stray '1' before it or digits after it, as in a database page — holds
// a run that looks like a mobile number, 1[3-9]\d{9}: a grep of the database
// for phone numbers then finds only phones (issue #11).
func TestCodesHoldNoMobileRun(t *testing.T) {
	mobile := regexp.MustCompile(`1[3-9]\d{9}`)
	lengths := map[string]int{org.LevelCity: 6, org.LevelDistrict: 6, org.LevelStreet: 9, org.LevelCommunity: 12, org.LevelGrid: 14}
	for seed := int64(1); seed <= 12; seed++ {
		ds := Generate(Options{Seed: seed, Requests: 20, End: testEnd})
		n := 0
		for _, p := range ds.Places {
			if want := lengths[p.Level]; len(p.Code) != want || strings.Trim(p.Code, "0123456789") != "" {
				t.Fatalf("seed %d: %s code %q: want %d digits", seed, p.Level, p.Code, want)
			}
			if !strings.HasPrefix(p.Code, "2099") {
				t.Fatalf("seed %d: code %q outside the demo province", seed, p.Code)
			}
			for _, s := range []string{p.Code, "1" + p.Code + "00"} {
				if m := mobile.FindString(s); m != "" {
					t.Errorf("seed %d: %s code %q: %q holds %q", seed, p.Level, p.Code, s, m)
				}
			}
			n++
		}
		for _, u := range ds.Units {
			if m := mobile.FindString(u.Code); m != "" {
				t.Errorf("seed %d: unit code %q holds %q", seed, u.Code, m)
			}
		}
		for _, u := range ds.Users {
			if m := mobile.FindString(u.Username); m != "" {
				t.Errorf("seed %d: user name %q holds %q", seed, u.Username, m)
			}
		}
		if n < 500 {
			t.Fatalf("seed %d: only %d places", seed, n)
		}
	}
}
