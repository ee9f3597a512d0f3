package importer_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"whistle/internal/core"
	"whistle/internal/importer"
	"whistle/internal/insight"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
)

// district adds a district whose boundary is the box around (lat, lon)
// ± 0.05°, and reloads the catalogue.
func district(t *testing.T, c *core.Core, lat, lon float64) int64 {
	t.Helper()
	ctx := context.Background()
	box := fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%v,%v],[%v,%v],[%v,%v],[%v,%v],[%v,%v]]]}`,
		lon-0.05, lat-0.05, lon+0.05, lat-0.05, lon+0.05, lat+0.05, lon-0.05, lat+0.05, lon-0.05, lat-0.05)
	var id int64
	err := c.St.Write(ctx, func(tx *store.Tx) error {
		city := org.Place{Level: org.LevelCity, Code: "city", Name: "City"}
		if err := tx.InsertPlace(ctx, &city); err != nil {
			return err
		}
		d := org.Place{Level: org.LevelDistrict, Code: "d1", Name: "Jamaica Plain", ParentID: city.ID, Boundary: box}
		err := tx.InsertPlace(ctx, &d)
		id = d.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	return id
}

// open311Lines makes n good records (ids from first), every third closed,
// alternately inside the district at (42.3, -71.1) and far outside it.
func open311Lines(first, n int) []string {
	var out []string
	for i := first; i < first+n; i++ {
		status, lat := "open", 42.3
		if i%3 == 0 {
			status = "closed"
		}
		if i%2 == 1 {
			lat = 40.0
		}
		out = append(out, fmt.Sprintf(`{"service_request_id":"%d","status":"%s","service_name":"Pothole %d","service_code":"P%d","description":"hole %d","requested_datetime":"2015-03-%02dT10:00:00-04:00","updated_datetime":"2015-03-%02dT18:00:00-04:00","address":"%d Main St","lat":%v,"long":-71.1}`,
			i, status, i%2, i%2, i, 1+i%20, 1+i%20, i, lat))
	}
	return out
}

func countCases(t *testing.T, c *core.Core) int {
	t.Helper()
	n := 0
	f := lifecycle.CaseFilter{Limit: 200}
	for {
		page, err := c.St.Cases(context.Background(), org.ScopeOf(org.System()), f)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Cases)
		if page.Next == "" {
			return n
		}
		f.Cursor = page.Next
	}
}

func rollupTotal(t *testing.T, c *core.Core) int64 {
	t.Helper()
	tot, err := c.St.DailyTotals(context.Background(), store.DailyFilter{From: int64(insight.DateDay(2015, 1, 1)), To: int64(insight.DateDay(2015, 12, 31))})
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, d := range tot {
		n += d.N
	}
	return n
}

// TestImportOpen311: good rows become cases (places by coordinates, or
// none outside every place, with the coordinates and address kept; events;
// rollups), bad ones are refused with their reasons and lines, and a
// second run of the same file does nothing.
func TestImportOpen311(t *testing.T) {
	eachBackend(t, func(t *testing.T, c *core.Core) {
		ctx := context.Background()
		did := district(t, c, 42.3, -71.1)
		lines := open311Lines(1, 10)
		lines = append(lines[:4], append([]string{
			`{"service_request_id":"b1",`,                                     // line 5
			`{"service_request_id":"b2","status":"open","service_code":"P1"}`, // 6
			`{"service_request_id":"b3","status":"open","service_code":"P1","requested_datetime":"2015-03-01T10:00:00Z","lat":420,"long":1}`, // 7
			`{"service_request_id":"b4","status":"reopened","service_code":"P1","requested_datetime":"2015-03-01T10:00:00Z"}`,                // 8
			``, // 9: blank, passed over
		}, lines[4:]...)...)
		file := writeFile(t, "r.jsonl", strings.Join(lines, "\n")+"\n")
		var progress []importer.Progress
		rep, err := importer.Run(ctx, c, importer.Options{Kind: importer.KindOpen311, Path: file, Batch: 4,
			Progress: func(p importer.Progress) { progress = append(progress, p) }})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Imported != 10 || rep.Refused != 4 || rep.Duplicates != 0 || rep.Total.Imported != 10 || rep.Total.Lines != 15 {
			t.Errorf("report %+v", rep)
		}
		for reason, line := range map[string]int64{importer.ReasonBadJSON: 5, importer.ReasonMissingTime: 6, importer.ReasonBadCoordinates: 7, importer.ReasonUnknownStatus: 8} {
			if rep.RefusedBy[reason] != 1 || len(rep.Examples[reason]) != 1 || rep.Examples[reason][0].Line != line {
				t.Errorf("%s: %d refused, examples %+v (want line %d)", reason, rep.RefusedBy[reason], rep.Examples[reason], line)
			}
		}
		if rep.Examples[importer.ReasonMissingTime][0].ExternalID != "b2" {
			t.Errorf("example without its id: %+v", rep.Examples[importer.ReasonMissingTime])
		}
		if len(progress) == 0 || !progress[len(progress)-1].Done || progress[len(progress)-1].Rows != 14 {
			t.Errorf("progress %+v", progress)
		}
		if rep.Categories != 2 {
			t.Errorf("%d categories created, want 2", rep.Categories)
		}
		if cat, ok := c.Category("open311.p1"); !ok || cat.NameEN != "Pothole 1" {
			t.Errorf("category open311.p1: %+v %v", cat, ok)
		}
		if n := countCases(t, c); n != 10 {
			t.Errorf("%d cases listed, want 10", n)
		}
		if n := rollupTotal(t, c); n != 10 {
			t.Errorf("rollups count %d requests, want 10", n)
		}
		// Inside the district: placed. Outside: coordinates and address, no place.
		for _, tc := range []struct {
			id       string
			district int64
			state    lifecycle.State
		}{{"2", did, lifecycle.Received}, {"1", 0, lifecycle.Received}, {"3", 0, lifecycle.Closed}, {"6", did, lifecycle.Closed}} {
			cid, err := c.St.ImportedCaseID(ctx, "open311", tc.id)
			if err != nil || cid == 0 {
				t.Fatalf("case of %s: %d %v", tc.id, cid, err)
			}
			cs, err := c.St.Case(ctx, cid, org.ScopeOf(org.System()))
			if err != nil {
				t.Fatal(err)
			}
			l := cs.Location
			if l.DistrictID != tc.district || l.Lat == nil || l.Lon == nil || !strings.HasSuffix(l.Address, "Main St") || cs.State != tc.state {
				t.Errorf("case of %s: state %s location %+v, want district %d", tc.id, cs.State, l, tc.district)
			}
			if cs.Overdue || !store.DueAt(cs).IsZero() || cs.Citizen.Phone != "" || !cs.Citizen.Anonymous {
				t.Errorf("case of %s: overdue %v due %v citizen %+v", tc.id, cs.Overdue, store.DueAt(cs), cs.Citizen)
			}
			evs, err := c.St.Events(ctx, cid)
			if err != nil {
				t.Fatal(err)
			}
			want := 1
			if tc.state == lifecycle.Closed {
				want = 2
			}
			if len(evs) != want || evs[0].Action != lifecycle.ActCreate || !evs[0].At.Equal(cs.CreatedAt) {
				t.Errorf("case of %s: events %+v", tc.id, evs)
			}
			if tc.state == lifecycle.Closed && (!cs.ClosedAt.Equal(evs[1].At) || cs.ClosedAt.Before(cs.CreatedAt)) {
				t.Errorf("case of %s: closed at %v, event at %v", tc.id, cs.ClosedAt, evs[1].At)
			}
		}
		// The same file again: nothing.
		again, err := importer.Run(ctx, c, importer.Options{Kind: importer.KindOpen311, Path: file})
		if err != nil {
			t.Fatal(err)
		}
		if !again.Already || again.Imported != 0 || again.Total.Imported != 10 || again.RefusedBy[importer.ReasonBadJSON] != 1 {
			t.Errorf("second run %+v", again)
		}
		// Another file of the same source repeating ids: they are skipped.
		more := writeFile(t, "more.jsonl", strings.Join(open311Lines(8, 5), "\n"))
		rep2, err := importer.Run(ctx, c, importer.Options{Kind: importer.KindOpen311, Path: more, Batch: 2})
		if err != nil {
			t.Fatal(err)
		}
		if rep2.Imported != 2 || rep2.Duplicates != 3 {
			t.Errorf("overlapping file: %+v", rep2)
		}
		if n := countCases(t, c); n != 12 {
			t.Errorf("%d cases after the overlapping file, want 12", n)
		}
		if n := rollupTotal(t, c); n != 12 {
			t.Errorf("rollups count %d, want 12", n)
		}
	})
}

// TestImportResume: a run that fails in its third batch (rolled back whole)
// or is cancelled after its second continues from the last committed batch
// when run again, and ends with exact counts and no duplicates (windows of
// one batch: positions in file order; TestImportWindows has larger ones).
func TestImportResume(t *testing.T) {
	eachBackend(t, func(t *testing.T, c *core.Core) {
		ctx := context.Background()
		lines := open311Lines(1, 20)
		lines[6] = `not json` // line 7, in the third batch
		lines[12] = `{"service_request_id":"x","status":"open","service_code":"P1"}`
		file := writeFile(t, "r.jsonl", strings.Join(lines, "\n")+"\n")
		boom := errors.New("disk on fire")
		_, err := importer.Run(ctx, c, importer.Options{Kind: importer.KindOpen311, Path: file, Batch: 3, Window: 1,
			BatchHook: failAt(3, boom)})
		if !errors.Is(err, boom) {
			t.Fatalf("run: %v, want the injected failure", err)
		}
		if n := countCases(t, c); n != 6 {
			t.Fatalf("%d cases after two batches, want 6", n)
		}
		if n := rollupTotal(t, c); n != 6 {
			t.Errorf("rollups count %d after two batches, want 6", n)
		}
		// Cancelled (as by Ctrl-C) once its second batch has committed.
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		rep, err := importer.Run(cctx, c, importer.Options{Kind: importer.KindOpen311, Path: file, Batch: 3, Window: 1,
			Progress: func(p importer.Progress) {
				if p.Rows == 6 {
					cancel()
				}
			}})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled run: %v", err)
		}
		if !rep.Resumed || rep.From != 6 || rep.Rows != 6 || rep.Imported != 5 || rep.Refused != 1 {
			t.Errorf("cancelled run %+v", rep)
		}
		rep, err = importer.Run(ctx, c, importer.Options{Kind: importer.KindOpen311, Path: file, Batch: 3, Window: 1})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Resumed || rep.From != 12 || rep.Imported != 7 || rep.Refused != 1 || rep.Duplicates != 0 {
			t.Errorf("resumed run %+v", rep)
		}
		if tt := rep.Total; tt.Lines != 20 || tt.Imported != 18 || tt.Refused != 2 || tt.Duplicates != 0 {
			t.Errorf("totals %+v", tt)
		}
		if rep.RefusedBy[importer.ReasonBadJSON] != 1 || rep.RefusedBy[importer.ReasonMissingTime] != 1 {
			t.Errorf("refusals %+v", rep.RefusedBy)
		}
		if n := countCases(t, c); n != 18 {
			t.Errorf("%d cases, want 18", n)
		}
		if n := rollupTotal(t, c); n != 18 {
			t.Errorf("rollups count %d, want 18", n)
		}
		// Numbers are unique and the case numbering goes on after them.
		seen := map[string]bool{}
		page, err := c.St.Cases(ctx, org.ScopeOf(org.System()), lifecycle.CaseFilter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, cs := range page.Cases {
			if seen[cs.Number] {
				t.Errorf("number %s twice", cs.Number)
			}
			seen[cs.Number] = true
		}
		var next string
		err = c.St.Write(ctx, func(tx *store.Tx) error {
			var err error
			next, err = tx.NextNumber(ctx, page.Cases[0].Number[:8])
			return err
		})
		if err != nil || seen[next] {
			t.Errorf("next number %s (%v) is taken", next, err)
		}
	})
}

// TestImportCSV: a CSV file through a mapping, times in the mapping's zone.
func TestImportCSV(t *testing.T) {
	eachBackend(t, func(t *testing.T, c *core.Core) {
		ctx := context.Background()
		m, err := importer.ParseMapping(strings.NewReader(testMapping))
		if err != nil {
			t.Fatal(err)
		}
		file := writeFile(t, "r.csv", "ID,OPENED,CLOSED,STATUS,TYPE,NOTE1,NOTE2,ADDR,LAT,LON,SRC\n"+
			"1,01/05/2015 12:40:41 PM,01/06/2015 01:00:00 AM,Closed,Pot Hole,a,b,1 Main St,42.35,-71.08,App\n"+
			"2,01/05/2015 11:40:41 PM,,Open,Street Light,,,2 Main St,,,Call\n"+
			"3,01/05/2015 11:40:41 PM,,Lost,Street Light,,,2 Main St,,,Call\n")
		rep, err := importer.Run(ctx, c, importer.Options{Kind: importer.KindCSV, Path: file, Mapping: m})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Source != "city_old" || rep.Imported != 2 || rep.Refused != 1 || rep.RefusedBy[importer.ReasonUnknownStatus] != 1 {
			t.Fatalf("report %+v", rep)
		}
		id, _ := c.St.ImportedCaseID(ctx, "city_old", "1")
		cs, err := c.St.Case(ctx, id, org.ScopeOf(org.System()))
		if err != nil {
			t.Fatal(err)
		}
		if cs.Category != "city_old.pot_hole" || cs.Channel != "app" || cs.State != lifecycle.Closed || cs.Description != "a\nb" ||
			cs.CreatedAt.UTC().Format("2006-01-02 15:04:05") != "2015-01-05 17:40:41" || cs.ClosedAt.UTC().Format("15:04") != "06:00" {
			t.Errorf("case %+v", cs)
		}
		_, off := cs.CreatedAt.Zone()
		_, offClosed := cs.ClosedAt.Zone()
		if _, want := cs.CreatedAt.In(c.Location()).Zone(); off != want || offClosed != want {
			t.Errorf("times at offsets %d, %d, want the city's %d", off, offClosed, want)
		}
		// 23:40 in New York is the next day in Shanghai: the rollup's day.
		tot, err := c.St.DailyTotals(ctx, store.DailyFilter{From: int64(insight.DateDay(2015, 1, 6)), To: int64(insight.DateDay(2015, 1, 6))})
		if err != nil || len(tot) != 1 || tot[0].N != 2 {
			t.Errorf("rollups of 6 January (Shanghai): %+v %v", tot, err)
		}
	})
}

// snapshot lists a store's cases with what an import writes of them and
// their timelines, for comparing two stores; without exact, ids and
// numbers are left out (PostgreSQL's sequences do not take back what a
// rolled-back batch drew, by design: live intake draws from them too).
func snapshot(t *testing.T, c *core.Core, exact bool) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	f := lifecycle.CaseFilter{Limit: 200}
	for {
		page, err := c.St.Cases(ctx, org.ScopeOf(org.System()), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, cs := range page.Cases {
			full, err := c.St.Case(ctx, cs.ID, org.ScopeOf(org.System()))
			if err != nil {
				t.Fatal(err)
			}
			evs, err := c.St.Events(ctx, cs.ID)
			if err != nil {
				t.Fatal(err)
			}
			line := fmt.Sprintf("%s %s %q %q %s..%s d=%d v=%d", full.CreatedAt.UTC().Format(time.RFC3339), full.State, full.Title, full.Description,
				full.CreatedAt.UTC().Format(time.RFC3339), full.ClosedAt.UTC().Format(time.RFC3339), full.Location.DistrictID, full.Version)
			if exact {
				line = fmt.Sprintf("%s id=%d %s", full.Number, full.ID, line)
			}
			for _, e := range evs {
				line += fmt.Sprintf(" [%d %s %s>%s %s %v]", e.Seq, e.Action, e.FromState, e.ToState, e.At.UTC().Format(time.RFC3339), e.Data["external_id"])
			}
			out = append(out, line)
		}
		if page.Next == "" {
			break
		}
		f.Cursor = page.Next
	}
	sort.Strings(out)
	return out
}

// TestImportTunedResume: the import command's tuned writer (batches
// committed with synchronous=NORMAL on SQLite, one sync at the end) over a
// run that fails in its third batch, then is cancelled two batches later,
// then resumed, leaves exactly the store an uninterrupted run leaves (on
// PostgreSQL but for the ids and numbers a rolled-back batch drew); the
// writer's own synchronous setting is back after each way out.
func TestImportTunedResume(t *testing.T) {
	eachBackendFresh(t, func(t *testing.T, backend string, fresh func() *core.Core) {
		ctx := context.Background()
		lines := open311Lines(1, 30)
		lines[6] = `not json`
		file := writeFile(t, "r.jsonl", strings.Join(lines, "\n")+"\n")
		synced := func(c *core.Core) {
			t.Helper()
			v, err := c.St.WriterSynchronous(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if want := map[string]int{"sqlite": 1, "postgres": -1}[backend]; v != want { // the test stores are "normal"
				t.Errorf("writer synchronous %d, want %d", v, want)
			}
			if fk, err := c.St.WriterForeignKeys(ctx); err != nil || !fk {
				t.Errorf("writer foreign keys %v (%v) after the import", fk, err)
			}
		}

		whole := fresh()
		district(t, whole, 42.3, -71.1)
		if _, err := importer.Run(ctx, whole, importer.Options{Kind: importer.KindOpen311, Path: file, Batch: 4}); err != nil {
			t.Fatal(err)
		}

		c := fresh()
		district(t, c, 42.3, -71.1)
		boom := errors.New("power cut")
		_, err := importer.Run(ctx, c, importer.Options{Kind: importer.KindOpen311, Path: file, Batch: 4, Tune: true,
			BatchHook: failAt(3, boom)})
		if !errors.Is(err, boom) {
			t.Fatalf("run: %v, want the injected failure", err)
		}
		synced(c)
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		_, err = importer.Run(cctx, c, importer.Options{Kind: importer.KindOpen311, Path: file, Batch: 4, Tune: true,
			Progress: func(p importer.Progress) {
				if p.Rows == 8 {
					cancel()
				}
			}})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled run: %v", err)
		}
		synced(c)
		rep, err := importer.Run(ctx, c, importer.Options{Kind: importer.KindOpen311, Path: file, Batch: 4, Tune: true})
		if err != nil {
			t.Fatal(err)
		}
		synced(c)
		if !rep.Resumed || rep.Total.Lines != 30 || rep.Total.Imported != 29 || rep.Total.Refused != 1 || rep.Total.Duplicates != 0 {
			t.Errorf("resumed run %+v", rep)
		}
		got, want := snapshot(t, c, backend == "sqlite"), snapshot(t, whole, backend == "sqlite")
		if len(want) != 29 {
			t.Fatalf("the uninterrupted run has %d cases, want 29", len(want))
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("interrupted and resumed:\n%s\nuninterrupted:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if g, w := rollupTotal(t, c), rollupTotal(t, whole); g != w || g != 29 {
			t.Errorf("rollups %d, uninterrupted %d, want 29", g, w)
		}
	})
}

// TestImportNoReload: a run for a process that ends after it (the import
// command) leaves the core's catalogue alone; the categories it created
// are in the store all the same, and a core opened over it has them. The
// report's rows/s is its rows over its seconds.
func TestImportNoReload(t *testing.T) {
	eachBackend(t, func(t *testing.T, c *core.Core) {
		ctx := context.Background()
		file := writeFile(t, "r.jsonl", strings.Join(open311Lines(1, 6), "\n")+"\n")
		rep, err := importer.Run(ctx, c, importer.Options{Kind: importer.KindOpen311, Path: file, Batch: 4, Tune: true, NoReload: true})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Imported != 6 || rep.Categories != 2 {
			t.Fatalf("report %+v", rep)
		}
		if rep.Seconds <= 0 || rep.RowsPerSec != float64(rep.Rows)/rep.Seconds {
			t.Errorf("%d rows in %v s at %v rows/s", rep.Rows, rep.Seconds, rep.RowsPerSec)
		}
		if _, ok := c.Category("open311.p1"); ok {
			t.Errorf("the catalogue was reloaded")
		}
		fresh, err := core.New(ctx, c.St, core.Config{PhoneKey: []byte("test")})
		if err != nil {
			t.Fatal(err)
		}
		if cat, ok := fresh.Category("open311.p1"); !ok || cat.NameEN != "Pothole 1" {
			t.Errorf("category open311.p1 in a new core: %+v %v", cat, ok)
		}
	})
}

// TestImportWindows: rows are written sorted by creation time within each
// window (ties in file order), and a run that fails in any one of its
// batches — at a window's start, inside it or at its end — then resumed
// leaves exactly the store an uninterrupted run leaves, with each refusal
// counted once and no duplicates.
func TestImportWindows(t *testing.T) {
	eachBackendFresh(t, func(t *testing.T, backend string, fresh func() *core.Core) {
		ctx := context.Background()
		lines := open311Lines(1, 40) // days 2015-03-02, 03, … 20, 01, 02, …: out of order
		lines[3] = `not json`
		lines[17] = `{"service_request_id":"x","status":"open","service_code":"P1"}`
		file := writeFile(t, "r.jsonl", strings.Join(lines, "\n")+"\n")
		opts := importer.Options{Kind: importer.KindOpen311, Path: file, Batch: 5, Window: 12}

		whole := fresh()
		district(t, whole, 42.3, -71.1)
		batches := 0
		o := opts
		o.BatchHook = func(n int) error { batches = n; return nil }
		rep, err := importer.Run(ctx, whole, o)
		if err != nil {
			t.Fatal(err)
		}
		if tt := rep.Total; tt.Lines != 40 || tt.Imported != 38 || tt.Refused != 2 || tt.Duplicates != 0 {
			t.Fatalf("uninterrupted totals %+v", tt)
		}
		// Windows of 12 records: 11, 11, 12 and 4 rows, in batches of at most 5.
		if batches != 3+3+3+1 {
			t.Errorf("%d batches, want 10", batches)
		}
		if backend == "sqlite" {
			// In each window the ids follow the creation times.
			var prev time.Time
			for id := int64(1); id <= 38; id++ {
				cs, err := whole.St.Case(ctx, id, org.ScopeOf(org.System()))
				if err != nil {
					t.Fatal(err)
				}
				if id != 12 && id != 23 && id != 35 && cs.CreatedAt.Before(prev) {
					t.Errorf("case %d created %v before case %d's %v", id, cs.CreatedAt, id-1, prev)
				}
				prev = cs.CreatedAt
			}
		}
		want := snapshot(t, whole, backend == "sqlite")

		fails := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
		if backend == "postgres" {
			fails = []int{2, 4, 6}
		}
		for _, k := range fails {
			c := fresh()
			district(t, c, 42.3, -71.1)
			boom := errors.New("power cut")
			o := opts
			o.BatchHook = failAt(k, boom)
			if _, err := importer.Run(ctx, c, o); !errors.Is(err, boom) {
				t.Fatalf("failing in batch %d: %v", k, err)
			}
			o.Batch = 7 // the window is the run's, whatever the batch
			o.BatchHook = nil
			rep, err := importer.Run(ctx, c, o)
			if err != nil {
				t.Fatal(err)
			}
			if tt := rep.Total; !rep.Resumed || tt.Lines != 40 || tt.Imported != 38 || tt.Refused != 2 || tt.Duplicates != 0 {
				t.Errorf("failed in batch %d, resumed: %+v", k, rep)
			}
			if rep.RefusedBy[importer.ReasonBadJSON] != 1 || rep.RefusedBy[importer.ReasonMissingTime] != 1 {
				t.Errorf("failed in batch %d: refusals %+v", k, rep.RefusedBy)
			}
			if got := snapshot(t, c, backend == "sqlite"); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("failed in batch %d, resumed:\n%s\nuninterrupted:\n%s", k, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if g := rollupTotal(t, c); g != 38 {
				t.Errorf("failed in batch %d: rollups %d, want 38", k, g)
			}
		}
	})
}

// TestImportWindowText: a window also ends when its rows' texts reach the
// bound (long descriptions), and a run failing inside such a window, then
// resumed, leaves the store an uninterrupted run leaves.
func TestImportWindowText(t *testing.T) {
	defer importer.SetWindowText(100)()
	ctx := context.Background()
	lines := open311Lines(1, 20) // each row's title, description and address: ~25 bytes
	file := writeFile(t, "r.jsonl", strings.Join(lines, "\n")+"\n")
	opts := importer.Options{Kind: importer.KindOpen311, Path: file, Batch: 2, Window: 1000}
	whole := newCore(t, "")
	district(t, whole, 42.3, -71.1)
	batches := 0
	o := opts
	o.BatchHook = func(n int) error { batches = n; return nil }
	if rep, err := importer.Run(ctx, whole, o); err != nil || rep.Total.Imported != 20 {
		t.Fatalf("%+v %v", rep, err)
	}
	// Windows of four or five rows (100 bytes of text), in batches of two:
	// 11; one window of 20 would make 10.
	if batches != 11 {
		t.Errorf("%d batches, want 11: windows of four or five rows in batches of two", batches)
	}
	c := newCore(t, "")
	district(t, c, 42.3, -71.1)
	boom := errors.New("power cut")
	o = opts
	o.BatchHook = failAt(5, boom)
	if _, err := importer.Run(ctx, c, o); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	rep, err := importer.Run(ctx, c, opts)
	if err != nil || rep.Total.Imported != 20 || rep.Total.Duplicates != 0 {
		t.Fatalf("resumed: %+v %v", rep, err)
	}
	if got, want := snapshot(t, c, true), snapshot(t, whole, true); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("resumed:\n%s\nuninterrupted:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
