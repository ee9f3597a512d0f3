package store_test

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"whistle/internal/errs"
	"whistle/internal/insight"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/pgtest"
	"whistle/internal/store"
)

func TestDailyOf(t *testing.T) {
	yes, no := true, false
	at := time.Date(2024, 5, 6, 15, 59, 59, 0, time.UTC) // 23:59:59 in Shanghai
	may6 := int64(insight.DateDay(2024, time.May, 6))
	place := lifecycle.Location{DistrictID: 1, StreetID: 2, CommunityID: 3, GridID: 4}
	key := store.DailyRow{Day: may6, Category: "urban.stall", DistrictID: 1, StreetID: 2, CommunityID: 3, GridID: 4, UnitID: 7, N: 1}
	with := func(f func(*store.DailyRow)) store.DailyRow { r := key; f(&r); return r }
	for _, tc := range []struct {
		name string
		edit func(*lifecycle.Case)
		want store.DailyRow
	}{
		{"new", func(*lifecycle.Case) {}, key},
		{"next day in Shanghai", func(c *lifecycle.Case) { c.CreatedAt = at.Add(time.Second) }, with(func(r *store.DailyRow) { r.Day = may6 + 1 })},
		{"no place, no unit", func(c *lifecycle.Case) { c.Location, c.LeadUnitID = lifecycle.Location{}, 0 },
			with(func(r *store.DailyRow) { r.DistrictID, r.StreetID, r.CommunityID, r.GridID, r.UnitID = 0, 0, 0, 0, 0 })},
		{"satisfied, resolved", func(c *lifecycle.Case) { c.Satisfaction, c.Resolved = lifecycle.Satisfied, &yes },
			with(func(r *store.DailyRow) { r.Rated, r.Resolved = 1, 1 })},
		{"fairly satisfied, not resolved", func(c *lifecycle.Case) { c.Satisfaction, c.Resolved = lifecycle.FairlySatisfied, &no },
			with(func(r *store.DailyRow) { r.Rated = 1 })},
		{"unsatisfied", func(c *lifecycle.Case) { c.Satisfaction, c.Resolved = lifecycle.Unsatisfied, &no },
			with(func(r *store.DailyRow) { r.Rated, r.Unsatisfied = 1, 1 })},
		{"reopened twice, rated again", func(c *lifecycle.Case) { c.ReopenCount, c.Satisfaction = 2, lifecycle.Unsatisfied },
			with(func(r *store.DailyRow) { r.Reopened, r.Rated, r.Unsatisfied = 1, 1, 1 })},
		{"resolved without a rating", func(c *lifecycle.Case) { c.Resolved = &yes }, with(func(r *store.DailyRow) { r.Resolved = 1 })},
		{"state and texts do not count", func(c *lifecycle.Case) { c.State, c.Title, c.Overdue = lifecycle.Closed, "x", true }, key},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &lifecycle.Case{Category: "urban.stall", Location: place, LeadUnitID: 7, CreatedAt: at, State: lifecycle.Handling}
			tc.edit(c)
			if got := store.DailyOf(c); got != tc.want {
				t.Errorf("DailyOf = %+v, want %+v", got, tc.want)
			}
		})
	}
}

type dailyMap map[store.DailyRow]store.DailyRow // key (counts zeroed) → row

func keyOf(r store.DailyRow) store.DailyRow {
	r.N, r.Reopened, r.Rated, r.Unsatisfied, r.Resolved = 0, 0, 0, 0, 0
	return r
}

var allDays = store.DailyFilter{From: -1 << 40, To: 1 << 40}

// storedDaily is the rollups table as a map.
func storedDaily(t *testing.T, s *store.Store) dailyMap {
	t.Helper()
	rows, err := s.DailyRows(ctx, allDays)
	if err != nil {
		t.Fatal(err)
	}
	m := dailyMap{}
	for _, r := range rows {
		if _, dup := m[keyOf(r)]; dup {
			t.Fatalf("two rows for %+v", keyOf(r))
		}
		m[keyOf(r)] = r
	}
	return m
}

// recount is the rollups computed in Go from every stored case.
func recount(t *testing.T, s *store.Store) (dailyMap, int) {
	t.Helper()
	cs, err := s.LightCases(ctx, store.LightFilter{From: time.Unix(0, 0), To: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	m := dailyMap{}
	for _, c := range cs {
		d := store.DailyOf(c)
		r := m[keyOf(d)]
		if r.N == 0 {
			r = keyOf(d)
		}
		r.N, r.Reopened, r.Rated, r.Unsatisfied, r.Resolved = r.N+d.N, r.Reopened+d.Reopened, r.Rated+d.Rated, r.Unsatisfied+d.Unsatisfied, r.Resolved+d.Resolved
		m[keyOf(d)] = r
	}
	return m, len(cs)
}

func diffDaily(t *testing.T, what string, got, want dailyMap) {
	t.Helper()
	if maps.Equal(got, want) {
		return
	}
	n := 0
	for k, w := range want {
		if g := got[k]; g != w && n < 5 {
			t.Errorf("%s: %+v: got %+v, want %+v", what, k, g, w)
			n++
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok && n < 5 {
			t.Errorf("%s: extra row %+v", what, g)
			n++
		}
	}
	t.Fatalf("%s: %d rows, want %d", what, len(got), len(want))
}

// TestRollupsFollowCases: a seeded random run of case writes (intake,
// category changes, re-dispatch, relocation, callback ratings, reopening,
// anonymisation, several cases per transaction) keeps insight_daily equal
// to a recount from the cases after every batch, on both backends; a
// failed write leaves it alone; the backfill statement (RebuildDaily)
// gives the same rows. Day blocks compacted at random points between the
// writes read exactly as insight_daily alone, for several filters.
func TestRollupsFollowCases(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "whistle.db")
			if backend == "postgres" {
				dsn = pgtest.NewDatabase(t)
			}
			s := openStore(t, dsn)
			rng := rand.New(rand.NewPCG(12, 2026))
			cats := []string{"urban.stall", "urban.noise", "water.pressure"}
			places := []lifecycle.Location{{}, {DistrictID: 1, StreetID: 11, CommunityID: 111, GridID: 1111},
				{DistrictID: 1, StreetID: 11, CommunityID: 112}, {DistrictID: 2, StreetID: 21, GridID: 2101}}
			day0 := time.Date(2025, 3, 1, 15, 30, 0, 0, time.UTC) // 23:30 in Shanghai: hours later is the next day
			firstDay := int64(insight.DayOf(day0))
			blocked := 0
			crng := rand.New(rand.NewPCG(3, 4)) // when to compact: the writes stay as they were
			var live []*lifecycle.Case
			anonymised := map[int64]bool{}
			seq := 0
			newCase := func() *lifecycle.Case {
				seq++
				at := day0.Add(time.Duration(rng.IntN(72)) * time.Hour)
				return &lifecycle.Case{Number: fmt.Sprintf("R%06d", seq), Channel: "phone", Type: "complaint", Urgency: "general",
					Category: cats[rng.IntN(len(cats))], Location: places[rng.IntN(len(places))], LeadUnitID: int64(rng.IntN(3)),
					State: lifecycle.Submitted, Citizen: lifecycle.Citizen{Name: "王", Phone: "13800000000", PhoneHash: "h"},
					Title: "t", Description: "d", CreatedAt: at, UpdatedAt: at, Version: 1}
			}
			// change edits a copy of c as one of the case's writes would.
			change := func(c *lifecycle.Case) {
				yes := rng.IntN(2) == 0
				switch rng.IntN(7) {
				case 0:
					c.Category = cats[rng.IntN(len(cats))]
				case 1:
					c.LeadUnitID = int64(1 + rng.IntN(3))
					c.State = lifecycle.Dispatched
				case 2:
					c.Location = places[rng.IntN(len(places))]
				case 3:
					c.Satisfaction = lifecycle.Satisfactions[rng.IntN(len(lifecycle.Satisfactions))]
					c.Resolved, c.State = &yes, lifecycle.Closed
				case 4: // reopened after an unsatisfied callback
					c.ReopenCount++
					c.Satisfaction, c.Resolved, c.State = "", nil, lifecycle.Handling
				case 5: // the lead unit is the same, the contribution too
					c.Title, c.State = c.Title+"+", lifecycle.Signed
				case 6: // moved to another day (a correction of the intake time)
					c.CreatedAt = c.CreatedAt.Add(time.Duration(rng.IntN(48)-24) * time.Hour)
				}
			}
			check := func(what string) {
				t.Helper()
				want, _ := recount(t, s)
				diffDaily(t, what, storedDaily(t, s), want)
			}
			for batch := 0; batch < 40; batch++ {
				write(t, s, func(tx *store.Tx) error {
					for op := 0; op < 1+rng.IntN(8); op++ {
						if len(live) < 5 || rng.IntN(3) == 0 {
							c := newCase()
							if rng.IntN(2) == 0 {
								nd, err := store.EncodeNewCase(c)
								if err != nil {
									return err
								}
								if err := tx.InsertNewCase(ctx, c, nd); err != nil {
									return err
								}
							} else if err := tx.InsertCase(ctx, c); err != nil {
								return err
							}
							live = append(live, c)
							continue
						}
						i := rng.IntN(len(live))
						c := live[i]
						if anonymised[c.ID] {
							continue
						}
						next := *c
						next.Version++
						if rng.IntN(15) == 0 { // retention: the personal data goes, the analytics stay
							next.Citizen, next.Title = lifecycle.Citizen{}, "已匿名"
							if err := tx.SaveAnonymisedCase(ctx, &next, c.Version, next.CreatedAt.AddDate(3, 0, 0)); err != nil {
								return err
							}
							anonymised[c.ID] = true
						} else {
							change(&next)
							if err := tx.UpdateCase(ctx, &next, c); err != nil {
								return err
							}
						}
						live[i] = &next
					}
					return nil
				})
				check(fmt.Sprintf("batch %d", batch))
				// Day blocks built at random points (a few days or all of
				// them) read as insight_daily alone, before and after the
				// later writes to their days.
				if crng.IntN(3) > 0 {
					if _, err := s.CompactDays(ctx, crng.IntN(4)); err != nil {
						t.Fatal(err)
					}
				}
				sameAsSQL(t, fmt.Sprintf("batch %d", batch), s, blockFilters(firstDay-2, firstDay+6))
				clean, cerr := store.CleanBlockDays(ctx, s, firstDay-2, firstDay+6)
				if cerr != nil {
					t.Fatal(cerr)
				}
				blocked += len(clean)

				// A write that fails leaves the rollups as they were: a
				// stale version, or a later error in the same transaction.
				before := storedDaily(t, s)
				c := live[rng.IntN(len(live))]
				stale := *c
				stale.Version--
				next := *c
				next.Version++
				next.Category, next.LeadUnitID = "other.cat", 99
				err := s.Write(ctx, func(tx *store.Tx) error { return tx.UpdateCase(ctx, &next, &stale) })
				wantCode(t, err, errs.Conflict)
				boom := errors.New("boom")
				err = s.Write(ctx, func(tx *store.Tx) error {
					if err := tx.UpdateCase(ctx, &next, c); err != nil {
						return err
					}
					if err := tx.InsertCase(ctx, newCase()); err != nil {
						return err
					}
					return boom
				})
				if !errors.Is(err, boom) {
					t.Fatalf("failing write: %v", err)
				}
				diffDaily(t, fmt.Sprintf("batch %d, after failed writes", batch), storedDaily(t, s), before)
			}
			want, n := recount(t, s)
			if n < 50 || len(want) < 20 || blocked < 40 {
				t.Fatalf("only %d cases in %d rows, %d clean blocks read: the run proves little", n, len(want), blocked)
			}
			if _, err := s.CompactDays(ctx, 0); err != nil {
				t.Fatal(err)
			}

			// The backfill on a store whose rollups are gone.
			if err := s.Write(ctx, func(tx *store.Tx) error {
				return tx.InsertDailyRows(ctx, []store.DailyRow{{Day: 1, Category: "junk", N: 5}})
			}); err != nil {
				t.Fatal(err)
			}
			if err := s.RebuildDaily(ctx); err != nil {
				t.Fatal(err)
			}
			diffDaily(t, "rebuilt", storedDaily(t, s), want)
			sameAsSQL(t, "rebuilt", s, blockFilters(firstDay-2, firstDay+6))
			if _, err := s.CompactDays(ctx, 0); err != nil {
				t.Fatal(err)
			}
			diffDaily(t, "rebuilt and compacted", storedDaily(t, s), want)
			sameAsSQL(t, "rebuilt and compacted", s, blockFilters(0, firstDay+6))
		})
	}
}

// TestCreateAndChangeInOneWrite: a case created and changed in the same
// write (a new case dispatched at once, then rated, moved back) leaves the
// rollups a recount from the cases gives, on both backends and whether the
// writes share a group commit or not; its contribution moves while still
// pending (no statement), and a change of an older case in a write that
// also creates one of the same key takes the statement path.
func TestCreateAndChangeInOneWrite(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		at := time.Date(2025, 6, 3, 2, 0, 0, 0, time.UTC)
		mk := func(n int) *lifecycle.Case {
			c := testCase(n)
			c.CreatedAt, c.UpdatedAt = at, at
			c.Location = lifecycle.Location{DistrictID: 1, StreetID: 11, GridID: int64(100 + n%2)}
			return c
		}
		change := func(tx *store.Tx, c *lifecycle.Case, edit func(*lifecycle.Case)) error {
			next := *c
			next.Version++
			edit(&next)
			if err := tx.UpdateCase(ctx, &next, c); err != nil {
				return err
			}
			*c = next
			return nil
		}
		old := mk(1)
		write(t, s, func(tx *store.Tx) error { return tx.InsertCase(ctx, old) })
		var wg sync.WaitGroup
		for i := range 6 {
			wg.Go(func() {
				err := s.Write(ctx, func(tx *store.Tx) error {
					c := mk(10 + i)
					if err := tx.InsertCase(ctx, c); err != nil {
						return err
					}
					if err := change(tx, c, func(c *lifecycle.Case) { c.LeadUnitID = 7 }); err != nil {
						return err
					}
					if i%2 == 0 {
						if err := change(tx, c, func(c *lifecycle.Case) { c.Satisfaction, c.ReopenCount = lifecycle.Satisfied, 1 }); err != nil {
							return err
						}
						return change(tx, c, func(c *lifecycle.Case) { c.LeadUnitID, c.Satisfaction = 0, "" }) // back
					}
					if i == 3 { // an older case, same key as a pending one
						o, err := tx.Case(ctx, old.ID, org.ScopeOf(org.System()))
						if err != nil {
							return err
						}
						return change(tx, o, func(c *lifecycle.Case) { c.LeadUnitID = 9 })
					}
					return nil
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		f := store.DailyFilter{From: int64(insight.DayOf(at)) - 1, To: int64(insight.DayOf(at)) + 1}
		got, err := store.DailyRowsSQL(ctx, s, f)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RebuildDaily(ctx); err != nil {
			t.Fatal(err)
		}
		want, err := store.DailyRowsSQL(ctx, s, f)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := fmt.Sprint(sortRows(got)), fmt.Sprint(sortRows(want)); g != w {
			t.Errorf("rollups after the writes:\n%s\na recount from the cases:\n%s", g, w)
		}
		var n int64
		for _, r := range want {
			n += r.N
		}
		if n != 7 {
			t.Errorf("%d cases counted, want 7", n)
		}
	})
}
