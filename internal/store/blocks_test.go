package store_test

import (
	"cmp"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"whistle/internal/insight"
	"whistle/internal/lifecycle"
	"whistle/internal/pgtest"
	"whistle/internal/store"
)

func sortRows(rows []store.DailyRow) []store.DailyRow {
	rows = slices.Clone(rows)
	slices.SortFunc(rows, func(a, b store.DailyRow) int {
		return cmp.Or(cmp.Compare(a.Day, b.Day), strings.Compare(a.Category, b.Category), cmp.Compare(a.DistrictID, b.DistrictID),
			cmp.Compare(a.StreetID, b.StreetID), cmp.Compare(a.CommunityID, b.CommunityID), cmp.Compare(a.GridID, b.GridID),
			cmp.Compare(a.UnitID, b.UnitID), cmp.Compare(a.N, b.N))
	})
	return rows
}

// TestBlockEncoding: a day's rows come back from their block as they went
// in, and the block's filter selects what the SQL filter selects.
func TestBlockEncoding(t *testing.T) {
	const day = 20000
	p1 := store.DailyRow{Day: day, DistrictID: 1, StreetID: 11, CommunityID: 111, GridID: 1111}
	row := func(base store.DailyRow, cat string, unit, n int64) store.DailyRow {
		base.Category, base.UnitID, base.N, base.Reopened, base.Rated, base.Unsatisfied, base.Resolved = cat, unit, n, n/2, n-1, n/3, n/4
		return base
	}
	big := store.DailyRow{Day: day, Category: "城管.占道", DistrictID: 1 << 40, StreetID: -3, CommunityID: 0, GridID: 1<<62 + 5, UnitID: 1 << 50,
		N: 1 << 45, Reopened: -1, Rated: 0, Unsatisfied: 1 << 33, Resolved: 7}
	mixed := []store.DailyRow{
		row(p1, "urban.stall", 7, 3), row(p1, "urban.noise", 7, 1), row(p1, "urban", 8, 2), row(p1, "urbanx.y", 7, 1),
		row(store.DailyRow{Day: day}, "urban.stall", 0, 5), row(store.DailyRow{Day: day, DistrictID: 2, StreetID: 21, GridID: 2101}, "water.pressure", 9, 4),
		row(store.DailyRow{Day: day, DistrictID: 2, StreetID: 21, GridID: 2101}, "URBAN.upper", 9, 1),
		row(store.DailyRow{Day: day, DistrictID: 2, StreetID: 22}, "a_b.c", 9, 1), row(store.DailyRow{Day: day, DistrictID: 2, StreetID: 22}, "axb", 9, 1),
	}
	for _, tc := range []struct {
		name string
		rows []store.DailyRow
	}{
		{"empty", nil},
		{"one row", []store.DailyRow{row(p1, "urban.stall", 7, 1)}},
		{"extremes", []store.DailyRow{big}},
		{"mixed places and categories", mixed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := store.EncodeBlock(slices.Clone(tc.rows))
			got, err := store.DecodeBlock(day, doc, store.DailyFilter{}, store.SQLite)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(sortRows(got), sortRows(tc.rows)) {
				t.Errorf("decoded %+v, want %+v", got, tc.rows)
			}
			if _, err := store.DecodeBlock(day, doc[:len(doc)-1], store.DailyFilter{}, store.SQLite); len(tc.rows) > 0 && err == nil {
				t.Error("a truncated block decodes")
			}
			if _, err := store.DecodeBlock(day, append(doc, 0), store.DailyFilter{}, store.SQLite); err == nil {
				t.Error("a block with trailing bytes decodes")
			}
		})
	}
	for _, tc := range []struct {
		name    string
		f       store.DailyFilter
		dialect store.Dialect
		want    []string // categories selected, in order of mixed
	}{
		{"district", store.DailyFilter{DistrictID: 2}, store.SQLite, []string{"water.pressure", "URBAN.upper", "a_b.c", "axb"}},
		{"street", store.DailyFilter{StreetID: 11}, store.SQLite, []string{"urban.stall", "urban.noise", "urban", "urbanx.y"}},
		{"grid and category", store.DailyFilter{GridID: 1111, Categories: []string{"urban.noise"}}, store.SQLite, []string{"urban.noise"}},
		{"community", store.DailyFilter{CommunityID: 111, Categories: []string{"urbanx"}}, store.SQLite, []string{"urbanx.y"}},
		{"prefix, SQLite's LIKE folds ASCII case", store.DailyFilter{Categories: []string{"urban"}}, store.SQLite,
			[]string{"urban.stall", "urban.noise", "urban", "urban.stall", "URBAN.upper"}},
		{"prefix, PostgreSQL's LIKE does not", store.DailyFilter{Categories: []string{"urban"}}, store.Postgres,
			[]string{"urban.stall", "urban.noise", "urban", "urban.stall"}},
		{"a wildcard is matched as itself", store.DailyFilter{Categories: []string{"a_b", "a_b.c"}}, store.Postgres, []string{"a_b.c"}},
		{"two categories", store.DailyFilter{Categories: []string{"water", "urban.stall"}}, store.Postgres,
			[]string{"urban.stall", "urban.stall", "water.pressure"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := store.DecodeBlock(day, store.EncodeBlock(slices.Clone(mixed)), tc.f, tc.dialect)
			if err != nil {
				t.Fatal(err)
			}
			var want []store.DailyRow
			cnt := map[string]int{}
			for _, c := range tc.want {
				cnt[c]++
			}
			for _, r := range mixed {
				if cnt[r.Category] > 0 {
					cnt[r.Category]--
					want = append(want, r)
				}
			}
			if !slices.Equal(sortRows(got), sortRows(want)) {
				t.Errorf("selected %+v, want %+v", got, want)
			}
		})
	}
}

// FuzzDecodeBlock: any bytes decode to rows or an error, never a panic;
// what decodes re-encodes to a block that decodes to the same rows.
func FuzzDecodeBlock(f *testing.F) {
	f.Add(store.EncodeBlock(nil))
	f.Add(store.EncodeBlock([]store.DailyRow{{Day: 1, Category: "urban.stall", DistrictID: 1, StreetID: 2, GridID: 3, UnitID: 4, N: 5, Rated: 2}}))
	f.Add(store.EncodeBlock([]store.DailyRow{{Day: 1, Category: "a", N: 1}, {Day: 1, Category: "b", N: 2}, {Day: 1, Category: "a", DistrictID: 9, N: 1}}))
	f.Add([]byte{1, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 1})
	f.Add([]byte{1, 1, 0, 2, 1, 0})
	f.Fuzz(func(t *testing.T, doc []byte) {
		rows, err := store.DecodeBlock(3, doc, store.DailyFilter{}, store.SQLite)
		if err != nil {
			return
		}
		again, err := store.DecodeBlock(3, store.EncodeBlock(slices.Clone(rows)), store.DailyFilter{}, store.SQLite)
		if err != nil {
			t.Fatalf("re-encoded block: %v", err)
		}
		if !slices.Equal(sortRows(again), sortRows(rows)) {
			t.Fatalf("re-encoded %+v, was %+v", again, rows)
		}
	})
}

// blockFilters are the reads compared between the blocks and the SQL alone.
func blockFilters(from, to int64) []store.DailyFilter {
	return []store.DailyFilter{
		{From: from, To: to},
		{From: from + 1, To: to - 1},
		{From: from, To: to, DistrictID: 1},
		{From: from, To: to, StreetID: 11},
		{From: from, To: to, CommunityID: 112},
		{From: from, To: to, GridID: 2101},
		{From: from, To: to, Categories: []string{"urban"}},
		{From: from, To: to, DistrictID: 1, Categories: []string{"water.pressure", "urban.noise"}},
		{From: from, To: to, CommunityID: 111, Categories: []string{"water.pressure", "urban.noise"}},
		{From: from, To: to, Categories: []string{"nothing"}},
	}
}

// sameAsSQL fails unless DailyRows and DailyTotals give what insight_daily
// alone gives for every filter.
func sameAsSQL(t *testing.T, what string, s *store.Store, fs []store.DailyFilter) {
	t.Helper()
	for _, f := range fs {
		got, err := s.DailyRows(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		want, err := store.DailyRowsSQL(ctx, s, f)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(sortRows(got), sortRows(want)) {
			t.Fatalf("%s: DailyRows(%+v) = %d rows %+v, SQL alone %d rows %+v", what, f, len(got), got, len(want), want)
		}
		var folded []store.DailyRow
		if err := s.FoldDaily(ctx, f, func(r *store.DailyRow) { folded = append(folded, *r) }); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(sortRows(folded), sortRows(want)) {
			t.Fatalf("%s: FoldDaily(%+v) = %d rows %+v, SQL alone %d rows %+v", what, f, len(folded), folded, len(want), want)
		}
		gotT, err := s.DailyTotals(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		wantT, err := store.DailyTotalsSQL(ctx, s, f)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(gotT, wantT) {
			t.Fatalf("%s: DailyTotals(%+v) = %+v, SQL alone %+v", what, f, gotT, wantT)
		}
	}
}

// TestCompactDuringWrite: a write to a day between CompactDays' read of it
// and its write of the block leaves the day to insight_daily until the next
// compaction; today is never blocked; RebuildDaily makes every block stale.
func TestCompactDuringWrite(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "whistle.db")
			if backend == "postgres" {
				dsn = pgtest.NewDatabase(t)
			}
			s := openStore(t, dsn)
			today := int64(insight.DayOf(time.Now()))
			d := today - 10
			put := func(rows ...store.DailyRow) {
				t.Helper()
				write(t, s, func(tx *store.Tx) error { return tx.InsertDailyRows(ctx, rows) })
			}
			put(store.DailyRow{Day: d, Category: "urban.stall", DistrictID: 1, N: 2},
				store.DailyRow{Day: d + 1, Category: "urban.noise", DistrictID: 1, N: 1},
				store.DailyRow{Day: today, Category: "urban.noise", DistrictID: 1, N: 4})
			fs := blockFilters(d-1, today+1)
			clean := func() []int64 {
				t.Helper()
				days, err := store.CleanBlockDays(ctx, s, d-5, today+5)
				if err != nil {
					t.Fatal(err)
				}
				return days
			}

			hooked := 0
			store.SetCompactHook(s, func(day int64) {
				if day != d || hooked > 0 {
					return
				}
				hooked++
				put(store.DailyRow{Day: d, Category: "water.pressure", DistrictID: 1, StreetID: 11, N: 1})
			})
			n, err := s.CompactDays(ctx, 0)
			if err != nil || n != 2 || hooked != 1 {
				t.Fatalf("CompactDays = %d, %v (hook ran %d times), want 2 days", n, err, hooked)
			}
			if got := clean(); !slices.Equal(got, []int64{d + 1}) {
				t.Fatalf("clean blocks %v, want only %d: the day written during compaction is stale", got, d+1)
			}
			sameAsSQL(t, "after a write during compaction", s, fs)
			rows, err := s.DailyRows(ctx, store.DailyFilter{From: d, To: d, Categories: []string{"water"}})
			if err != nil || len(rows) != 1 {
				t.Fatalf("the write during compaction: %v, %v", rows, err)
			}

			store.SetCompactHook(s, nil)
			if n, err := s.CompactDays(ctx, 0); err != nil || n != 1 {
				t.Fatalf("second CompactDays = %d, %v, want the stale day", n, err)
			}
			if got := clean(); !slices.Equal(got, []int64{d, d + 1}) {
				t.Fatalf("clean blocks %v, want %d and %d (today never)", got, d, d+1)
			}
			if n, err := s.CompactDays(ctx, 0); err != nil || n != 0 {
				t.Fatalf("third CompactDays = %d, %v, want nothing to do", n, err)
			}
			sameAsSQL(t, "compacted", s, fs)

			// A block rebuilt between DailyRows' listing of the clean
			// blocks and its reading of them: the day is read from
			// insight_daily.
			store.SetAfterListing(func() {
				store.SetAfterListing(nil)
				put(store.DailyRow{Day: d, Category: "urban.stall", DistrictID: 3, N: 1})
				if n, err := s.CompactDays(ctx, 0); err != nil || n != 1 {
					t.Errorf("CompactDays while reading = %d, %v", n, err)
				}
			})
			got, err := s.DailyRows(ctx, fs[0])
			store.SetAfterListing(nil)
			if err != nil {
				t.Fatal(err)
			}
			if want, _ := store.DailyRowsSQL(ctx, s, fs[0]); !slices.Equal(sortRows(got), sortRows(want)) {
				t.Fatalf("read with a block rebuilt meanwhile: %+v, want %+v", got, want)
			}
			// (Each day is read as it was at one moment of the read: a
			// write to a day already read is not seen, as with SQL.)

			// A rebuild from the (no) cases empties the table: no block
			// stands for its day any longer.
			if err := s.RebuildDaily(ctx); err != nil {
				t.Fatal(err)
			}
			if got := clean(); len(got) != 0 {
				t.Fatalf("clean blocks after RebuildDaily: %v", got)
			}
			sameAsSQL(t, "rebuilt", s, fs)
			if n, err := s.CompactDays(ctx, 0); err != nil || n != 2 {
				t.Fatalf("CompactDays after the rebuild = %d, %v, want 2 (empty days)", n, err)
			}
			sameAsSQL(t, "rebuilt and compacted", s, fs)
			if rows, err := s.DailyRows(ctx, fs[0]); err != nil || len(rows) != 0 {
				t.Fatalf("rows after rebuilding from no cases: %v, %v", rows, err)
			}

			// A failed write moves no generation.
			put(store.DailyRow{Day: d, Category: "urban.stall", N: 1})
			if _, err := s.CompactDays(ctx, 0); err != nil {
				t.Fatal(err)
			}
			boom := errors.New("boom")
			if err := s.Write(ctx, func(tx *store.Tx) error {
				if err := tx.InsertDailyRows(ctx, []store.DailyRow{{Day: d, Category: "urban.stall", N: 1}}); err != nil {
					return err
				}
				return boom
			}); !errors.Is(err, boom) {
				t.Fatal(err)
			}
			if got := clean(); !slices.Equal(got, []int64{d, d + 1}) {
				t.Fatalf("clean blocks after a failed write %v", got)
			}
			sameAsSQL(t, "after a failed write", s, fs)
		})
	}
}

// TestTodayNotQueued: writes of a day that has not ended leave its
// generation as it was made (such a day cannot have a block yet), while a
// write to an ended day moves that day's on; and on PostgreSQL a writer of today's
// rollups does not wait for another writer's uncommitted write of today's
// other rollups (the one generation row of the day made every concurrent
// intake queue on its row lock until each committed), nor a new case for
// another's of the same day, category and place (their rollup row's lock
// is taken just before the commit).
func TestTodayNotQueued(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		// Tomorrow has not begun whenever the test runs: its writes go
		// as today's do.
		today := int64(insight.DayOf(time.Now())) + 1
		put := func(rows ...store.DailyRow) {
			t.Helper()
			write(t, s, func(tx *store.Tx) error { return tx.InsertDailyRows(ctx, rows) })
		}
		for range 3 {
			put(store.DailyRow{Day: today, Category: "urban.noise", DistrictID: 1, N: 1},
				store.DailyRow{Day: today - 3, Category: "urban.noise", DistrictID: 1, N: 1})
		}
		if g := store.DayGen(ctx, t, s, today); g != 1 {
			t.Errorf("today's generation %d after three writes, want 1 (made, not moved)", g)
		}
		if g := store.DayGen(ctx, t, s, today-3); g != 3 {
			t.Errorf("an ended day's generation %d after three writes, want 3", g)
		}
		if s.Dialect() != store.Postgres {
			return
		}
		notQueued(t, s, "today's rollups, another category",
			func(tx *store.Tx) error {
				return tx.InsertDailyRows(ctx, []store.DailyRow{{Day: today, Category: "water.pressure", DistrictID: 1, N: 1}})
			},
			func(tx *store.Tx) error {
				return tx.InsertDailyRows(ctx, []store.DailyRow{{Day: today, Category: "urban.stall", DistrictID: 1, N: 1}})
			})
		// Two new cases of the same day, category and place: the
		// second must not wait for the first's remaining statements.
		tomorrow := time.Now().Add(24 * time.Hour)
		newCase := func(n int) func(tx *store.Tx) error {
			return func(tx *store.Tx) error {
				c := testCase(n)
				c.CreatedAt, c.UpdatedAt = tomorrow, tomorrow
				return tx.InsertCase(ctx, c)
			}
		}
		notQueued(t, s, "a new case's rollups, the same key", newCase(1), newCase(2))
	})
}

// notQueued runs first in a write it holds open, then second, which must
// commit meanwhile: it fails if second is seen waiting for a lock
// (PostgreSQL's pg_stat_activity) instead.
func notQueued(t *testing.T, s *store.Store, what string, first, second func(*store.Tx) error) {
	t.Helper()
	wrote, release, done1 := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done1 <- s.Write(ctx, func(tx *store.Tx) error {
			if err := first(tx); err != nil {
				return err
			}
			close(wrote)
			<-release
			return nil
		})
	}()
	select {
	case <-wrote:
	case err := <-done1:
		t.Fatalf("%s: the first write: %v", what, err)
	}
	done2 := make(chan error, 1)
	go func() { done2 <- s.Write(ctx, second) }()
	db := rawDB(t, s)
	for waiting := false; !waiting; {
		select {
		case err := <-done2:
			close(release)
			if err != nil {
				t.Fatalf("%s: the second write: %v", what, err)
			}
			if err := <-done1; err != nil {
				t.Fatalf("%s: the first write: %v", what, err)
			}
			return
		default:
		}
		if err := db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database())").Scan(&waiting); err != nil {
			t.Fatal(err)
		}
	}
	close(release)
	<-done1
	<-done2
	t.Fatalf("%s: the second writer waited for the first's lock", what)
}

// TestCreateTouchesDay: a write creating cases (their rollups stored just
// before its commit; on PostgreSQL the day's touch and the first row in
// one statement) moves an ended day's generation on once a write, makes
// an open day's once, and counts every case.
func TestCreateTouchesDay(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		n := 0
		mk := func(at time.Time, category string) *lifecycle.Case {
			n++
			c := testCase(n)
			c.Number = fmt.Sprintf("20240506%05d", n)
			c.Category, c.CreatedAt, c.UpdatedAt = category, at, at
			return c
		}
		ended, open := time.Now().Add(-72*time.Hour), time.Now().Add(24*time.Hour) // tomorrow has not begun
		endedDay, openDay := store.DailyOf(mk(ended, "x")).Day, store.DailyOf(mk(open, "x")).Day
		create := func(cs ...*lifecycle.Case) { t.Helper(); insertCases(t, s, cs...) }
		for range 3 {
			create(mk(ended, "urban.stall"), mk(ended, "urban.noise")) // one day, two keys
			create(mk(open, "urban.stall"))
		}
		if g := store.DayGen(ctx, t, s, endedDay); g != 3 {
			t.Errorf("ended day's generation %d after three writes, want 3", g)
		}
		if g := store.DayGen(ctx, t, s, openDay); g != 1 {
			t.Errorf("open day's generation %d after three writes, want 1", g)
		}
		rows, err := store.DailyRowsSQL(ctx, s, store.DailyFilter{From: endedDay, To: openDay + 1})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, r := range rows {
			got[fmt.Sprintf("%v %s", r.Day == endedDay, r.Category)] += r.N
		}
		want := map[string]int64{"true urban.stall": 3, "true urban.noise": 3, "false urban.stall": 3}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("rollups %v, want %v", got, want)
		}
	})
}
