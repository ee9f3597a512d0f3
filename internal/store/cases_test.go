package store_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
)

// testCase returns a minimal valid case numbered n.
func testCase(n int) *lifecycle.Case {
	return &lifecycle.Case{
		Number: fmt.Sprintf("20240506%05d", n), Channel: "phone", Type: "complaint", Category: "urban.stall",
		Urgency: "general", Title: fmt.Sprintf("case %d", n), State: lifecycle.Received,
		DispatchBy: base.Add(time.Hour), CreatedAt: base, UpdatedAt: base, Version: 1, EventSeq: 1,
	}
}

// fullCase returns a case with every field set.
func fullCase() *lifecycle.Case {
	lat, lon := 39.9087, 116.3975
	resolved := true
	at := func(h int) time.Time { return base.Add(time.Duration(h)*time.Hour + time.Duration(h)*time.Microsecond) }
	return &lifecycle.Case{
		Number: "2024050600042", Channel: "app", Type: "complaint", Category: "urban.stall", Urgency: "general",
		Title: "占道经营", Description: "小区门口每晚有人摆摊，噪音扰民。",
		Location: lifecycle.Location{Address: "朝阳区建国门外大街1号", Lat: &lat, Lon: &lon, DistrictID: 2, StreetID: 3, CommunityID: 4, GridID: 5},
		Citizen:  lifecycle.Citizen{Name: "王小明", Phone: "13812345678", PhoneHash: "ph:abc123", Confidential: true, Anonymous: false},
		State:    lifecycle.Handling,

		LeadUnitID: 10, CoUnitIDs: []int64{11, 12}, SupervisingUnitID: 13, PolicyRule: "complaint/urban",

		ReturnPending: true, ReturnReason: "不属于本单位职责", ExtensionPending: true, ExtensionTo: at(200),
		ExtensionReason: "需要协调", Supervised: true, EscalationLevel: 2, DueSoon: true, Overdue: true, SignedLate: true,
		ReopenCount: 1, Extensions: 1, Returns: 2, MergedInto: 99,

		Result: lifecycle.ResultResolved, ReplyText: "已处理", Resolved: &resolved, Satisfaction: lifecycle.FairlySatisfied,
		CloseReason: lifecycle.CloseCallback, Article: "kb-17",

		AcceptBy: at(1), DispatchBy: at(2), SignBy: at(3), ReplyBy: at(72), ReturnBy: at(4),

		CreatedAt: base, ReceivedAt: at(1), DispatchedAt: at(2), SignedAt: at(3), ContactedAt: at(4),
		RepliedAt: at(5), ClosedAt: at(6), UpdatedAt: at(7),

		CreatedBy: 42, Version: 7, EventSeq: 6,
	}
}

// normCase copies c with every time rounded to the millisecond in UTC.
func normCase(c *lifecycle.Case) lifecycle.Case {
	d := *c
	v := reflect.ValueOf(&d).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		if t, ok := f.Interface().(time.Time); ok && !t.IsZero() {
			f.Set(reflect.ValueOf(time.UnixMilli(t.UnixMilli()).UTC()))
		}
	}
	return d
}

func wantSameCase(t *testing.T, got, want *lifecycle.Case) {
	t.Helper()
	if g, w := normCase(got), normCase(want); !reflect.DeepEqual(g, w) {
		gj, _ := json.Marshal(g)
		wj, _ := json.Marshal(w)
		t.Fatalf("case differs:\n got %s (event_seq %d, phone_hash %q)\nwant %s (event_seq %d, phone_hash %q)", gj, g.EventSeq, g.Citizen.PhoneHash, wj, w.EventSeq, w.Citizen.PhoneHash)
	}
}

func insertCases(t *testing.T, s *store.Store, cs ...*lifecycle.Case) {
	t.Helper()
	write(t, s, func(tx *store.Tx) error {
		for _, c := range cs {
			if err := tx.InsertCase(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
}

func caseUnits(t *testing.T, s *store.Store, id int64) []int64 {
	t.Helper()
	rows, err := rawDB(t, s).QueryContext(ctx, rebind(s, "SELECT unit_id FROM case_units WHERE case_id = ? AND role = 'co' ORDER BY unit_id"), id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var u int64
		if err := rows.Scan(&u); err != nil {
			t.Fatal(err)
		}
		out = append(out, u)
	}
	return out
}

func TestCaseRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		want := fullCase()
		insertCases(t, s, want)
		if want.ID == 0 {
			t.Fatal("InsertCase did not set ID")
		}
		got, err := s.Case(ctx, want.ID, org.Scope{All: true})
		if err != nil {
			t.Fatal(err)
		}
		wantSameCase(t, got, want)
		byNum, err := s.CaseByNumber(ctx, want.Number, org.Scope{All: true})
		if err != nil || byNum.ID != want.ID {
			t.Fatalf("CaseByNumber = %v, %v", byNum, err)
		}
		_, err = s.Case(ctx, want.ID+1000, org.Scope{All: true})
		wantCode(t, err, errs.NotFound)
		_, err = s.CaseByNumber(ctx, "nope", org.Scope{All: true})
		wantCode(t, err, errs.NotFound)

		// Personal data lives in its own columns, never in the document.
		var doc, name, phone, hash string
		var dueAt, createdAt int64
		err = rawDB(t, s).QueryRowContext(ctx, rebind(s, "SELECT doc, citizen_name, citizen_phone, phone_hash, due_at, created_at FROM cases WHERE id = ?"), want.ID).
			Scan(&doc, &name, &phone, &hash, &dueAt, &createdAt)
		if err != nil {
			t.Fatal(err)
		}
		if name != want.Citizen.Name || phone != want.Citizen.Phone || hash != want.Citizen.PhoneHash {
			t.Fatalf("columns: name %q phone %q hash %q", name, phone, hash)
		}
		for _, pii := range []string{want.Citizen.Phone, want.Citizen.Name, want.Citizen.PhoneHash} {
			if strings.Contains(doc, pii) {
				t.Fatalf("doc contains personal data %q: %s", pii, doc)
			}
		}
		if dueAt != store.DueAt(want).UnixMilli() || createdAt != base.UnixMilli() {
			t.Fatalf("due_at %d created_at %d", dueAt, createdAt)
		}
		if got := caseUnits(t, s, want.ID); !slices.Equal(got, []int64{11, 12}) {
			t.Fatalf("case_units = %v, want [11 12]", got)
		}

		// Update: a new version with other co-units.
		prev := *got
		next := *got
		next.State, next.Version, next.EventSeq = lifecycle.Replied, prev.Version+1, prev.EventSeq+1
		next.CoUnitIDs = []int64{12, 14}
		next.Citizen.Phone = "13900001111"
		next.Title = "已更新"
		next.UpdatedAt = base.Add(100 * time.Hour)
		write(t, s, func(tx *store.Tx) error { return tx.UpdateCase(ctx, &next, &prev) })
		got2, err := s.Case(ctx, want.ID, org.Scope{All: true})
		if err != nil {
			t.Fatal(err)
		}
		wantSameCase(t, got2, &next)
		if got := caseUnits(t, s, want.ID); !slices.Equal(got, []int64{12, 14}) {
			t.Fatalf("case_units after update = %v, want [12 14]", got)
		}

		// A stale version (prev is now two versions old) conflicts and changes nothing.
		stale := next
		stale.Version = prev.Version + 1
		stale.Title = "lost update"
		stale.CoUnitIDs = nil
		err = s.Write(ctx, func(tx *store.Tx) error { return tx.UpdateCase(ctx, &stale, &prev) })
		wantCode(t, err, errs.Conflict)
		got3, _ := s.Case(ctx, want.ID, org.Scope{All: true})
		wantSameCase(t, got3, &next)
		if got := caseUnits(t, s, want.ID); !slices.Equal(got, []int64{12, 14}) {
			t.Fatalf("case_units after conflict = %v", got)
		}

		// Dropping every co-unit removes the rows.
		last := next
		last.Version++
		last.CoUnitIDs = nil
		write(t, s, func(tx *store.Tx) error { return tx.UpdateCase(ctx, &last, &next) })
		if got := caseUnits(t, s, want.ID); len(got) != 0 {
			t.Fatalf("case_units after clearing = %v", got)
		}

		// Numbers are unique.
		dup := testCase(1)
		dup.Number = want.Number
		err = s.Write(ctx, func(tx *store.Tx) error { return tx.InsertCase(ctx, dup) })
		wantField(t, err, errs.Exists, "number")

		// Reading inside a write transaction sees the transaction's own rows.
		write(t, s, func(tx *store.Tx) error {
			c := testCase(77)
			if err := tx.InsertCase(ctx, c); err != nil {
				return err
			}
			got, err := tx.Case(ctx, c.ID, org.Scope{All: true})
			if err != nil {
				return err
			}
			if got.Number != c.Number {
				return fmt.Errorf("tx.Case = %+v", got)
			}
			return nil
		})
	})
}

// ---- scope ----

func TestScope(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		mk := func(n int, district, lead, sup, grid, creator int64, co ...int64) *lifecycle.Case {
			c := testCase(n)
			c.Location.DistrictID, c.LeadUnitID, c.SupervisingUnitID, c.Location.GridID, c.CreatedBy, c.CoUnitIDs = district, lead, sup, grid, creator, co
			c.State = lifecycle.Dispatched
			c.ReplyBy = base.Add(time.Duration(n) * time.Hour)
			c.CreatedAt = base.Add(time.Duration(n) * time.Minute)
			return c
		}
		// Districts 1 and 2; units 101, 102 lead, 103/105 co-handle, 104 supervises;
		// users 7 and 8 create; grids 11, 12 (district 1) and 21, 22, 23 (district 2).
		cs := []*lifecycle.Case{
			nil,
			mk(1, 1, 101, 0, 11, 7),
			mk(2, 1, 102, 0, 12, 8, 103),
			mk(3, 2, 102, 104, 22, 8),
			mk(4, 2, 101, 0, 21, 7, 103, 105),
			mk(5, 2, 102, 0, 23, 9),
		}
		insertCases(t, s, cs[1:]...)
		check := func(name string, sc org.Scope, want ...int) {
			t.Helper()
			for _, c := range cs[1:] {
				got, err := s.Case(ctx, c.ID, sc)
				n := c.Title
				if slices.ContainsFunc(want, func(w int) bool { return cs[w] == c }) {
					if err != nil || got.ID != c.ID {
						t.Errorf("%s: Case(%s) = %v, %v; want visible", name, n, got, err)
					}
				} else if !errs.Is(err, errs.NotFound) {
					t.Errorf("%s: Case(%s) err = %v, want not_found", name, n, err)
				}
				_, err = s.CaseByNumber(ctx, c.Number, sc)
				if visible := slices.ContainsFunc(want, func(w int) bool { return cs[w] == c }); visible != (err == nil) {
					t.Errorf("%s: CaseByNumber(%s) err = %v, visible %v", name, n, err, visible)
				}
			}
			for _, sort := range []string{"created", "due"} {
				page, err := s.Cases(ctx, sc, lifecycle.CaseFilter{Sort: sort})
				if err != nil {
					t.Fatalf("%s: Cases: %v", name, err)
				}
				var got, wantIDs []int64
				for _, c := range page.Cases {
					got = append(got, c.ID)
				}
				for _, w := range want {
					wantIDs = append(wantIDs, cs[w].ID)
				}
				slices.Sort(got)
				slices.Sort(wantIDs)
				if !slices.Equal(got, wantIDs) {
					t.Errorf("%s: Cases(sort %s) = %v, want %v", name, sort, got, wantIDs)
				}
			}
		}
		check("all", org.Scope{All: true}, 1, 2, 3, 4, 5)
		check("all without PII", org.Scope{All: true, NoPII: true}, 1, 2, 3, 4, 5)
		check("district 1", org.Scope{DistrictID: 1}, 1, 2)
		check("district 2", org.Scope{DistrictID: 2}, 3, 4, 5)
		check("district 1 centre (unit 104)", org.Scope{DistrictID: 1, UnitID: 104}, 1, 2, 3)
		check("unit 101 (lead)", org.Scope{UnitID: 101}, 1, 4)
		check("unit 102 (lead)", org.Scope{UnitID: 102}, 2, 3, 5)
		check("unit 103 (co)", org.Scope{UnitID: 103}, 2, 4)
		check("unit 105 (co)", org.Scope{UnitID: 105}, 4)
		check("unit 104 (supervising)", org.Scope{UnitID: 104}, 3)
		check("unit 999", org.Scope{UnitID: 999})
		check("user 7", org.Scope{UserID: 7}, 1, 4)
		check("user 8 + grids 11, 23", org.Scope{UserID: 8, GridIDs: []int64{11, 23}}, 1, 2, 3, 5)
		check("grid 22", org.Scope{GridIDs: []int64{22}}, 3)
		check("user 9, no grids", org.Scope{UserID: 9}, 5)
		check("none", org.Scope{None: true})
		check("none beats all", org.Scope{None: true, All: true})
		check("empty scope", org.Scope{})

		// Co-handler visibility follows CoUnitIDs.
		c4 := cs[4]
		prev := *c4
		c4.Version++
		c4.CoUnitIDs = []int64{105}
		write(t, s, func(tx *store.Tx) error { return tx.UpdateCase(ctx, c4, &prev) })
		check("unit 103 after update", org.Scope{UnitID: 103}, 2)
		check("unit 105 after update", org.Scope{UnitID: 105}, 4)

		// In a write transaction (FOR UPDATE on PostgreSQL) scope still applies.
		write(t, s, func(tx *store.Tx) error {
			if _, err := tx.Case(ctx, cs[1].ID, org.Scope{UnitID: 101}); err != nil {
				return err
			}
			if _, err := tx.Case(ctx, cs[2].ID, org.Scope{UnitID: 101}); !errs.Is(err, errs.NotFound) {
				return fmt.Errorf("tx.Case out of scope: %v", err)
			}
			return nil
		})
	})
}

// ---- lists ----

// listCase builds case i of the list fixture: ties in created_at and in
// due_at, every filterable column varied.
func listCase(i int) *lifecycle.Case {
	c := testCase(i)
	c.State = lifecycle.States[i%len(lifecycle.States)]
	c.Channel = lifecycle.Channels[i%len(lifecycle.Channels)]
	c.Type = lifecycle.Types[i%len(lifecycle.Types)]
	c.Category = []string{"urban.stall", "urban.noise", "traffic.parking", "urbanx", "urban"}[i%5]
	c.LeadUnitID = int64(1 + i%5)
	c.Location.DistrictID = int64(1 + i%3)
	c.Location.StreetID = int64(10 + i%4)
	c.Overdue = i%5 == 0
	c.Supervised = i%7 == 0
	c.ReturnPending = i%11 == 0
	c.ExtensionPending = i%13 == 0
	c.Citizen.PhoneHash = fmt.Sprintf("h%d", i%10)
	c.CreatedAt = base.Add(time.Duration((i*37)%40) * time.Minute) // three cases per minute, ids out of order
	due := base.Add(time.Duration((i*53)%30) * time.Hour)
	c.AcceptBy, c.DispatchBy, c.ReplyBy = due, due, due
	if i%2 == 0 {
		c.SignBy = due.Add(-30 * time.Minute)
	}
	if c.State == lifecycle.Closed {
		c.ClosedAt = due
	}
	return c
}

// listAll pages through Cases and checks each page's size, order and cursor.
func listAll(t *testing.T, s *store.Store, sc org.Scope, f lifecycle.CaseFilter) []*lifecycle.Case {
	t.Helper()
	var out []*lifecycle.Case
	seen := map[int64]bool{}
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("pagination does not end")
		}
		page, err := s.Cases(ctx, sc, f)
		if err != nil {
			t.Fatalf("Cases(%+v): %v", f, err)
		}
		if len(page.Cases) > f.Limit {
			t.Fatalf("page of %d > limit %d", len(page.Cases), f.Limit)
		}
		if page.Next != "" && len(page.Cases) != f.Limit {
			t.Fatalf("short page (%d) with a cursor", len(page.Cases))
		}
		for _, c := range page.Cases {
			if seen[c.ID] {
				t.Fatalf("case %d listed twice", c.ID)
			}
			seen[c.ID] = true
		}
		out = append(out, page.Cases...)
		if page.Next == "" {
			return out
		}
		f.Cursor = page.Next
	}
}

func sortedLike(cs []*lifecycle.Case, sortBy string) {
	sort.Slice(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if sortBy == "due" {
			da, db := store.DueAt(a).UnixMilli(), store.DueAt(b).UnixMilli()
			if da != db {
				return da < db
			}
			return a.ID < b.ID
		}
		ca, cb := a.CreatedAt.UnixMilli(), b.CreatedAt.UnixMilli()
		if ca != cb {
			return ca > cb
		}
		return a.ID > b.ID
	})
}

func ids(cs []*lifecycle.Case) []int64 {
	out := make([]int64, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func TestCasesFiltersAndPagination(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		const n = 120
		all := make([]*lifecycle.Case, n)
		for i := range all {
			all[i] = listCase(i)
		}
		insertCases(t, s, all...)

		type test struct {
			name string
			f    lifecycle.CaseFilter
			keep func(c *lifecycle.Case) bool
		}
		tests := []test{
			{"everything", lifecycle.CaseFilter{}, func(*lifecycle.Case) bool { return true }},
			{"states", lifecycle.CaseFilter{States: []lifecycle.State{lifecycle.Dispatched, lifecycle.Closed}}, func(c *lifecycle.Case) bool {
				return c.State == lifecycle.Dispatched || c.State == lifecycle.Closed
			}},
			{"open", lifecycle.CaseFilter{Open: ptr(true)}, func(c *lifecycle.Case) bool { return c.State.Open() }},
			{"closed", lifecycle.CaseFilter{Open: ptr(false)}, func(c *lifecycle.Case) bool { return !c.State.Open() }},
			{"lead unit", lifecycle.CaseFilter{LeadUnitID: 3}, func(c *lifecycle.Case) bool { return c.LeadUnitID == 3 }},
			{"district", lifecycle.CaseFilter{DistrictID: 2}, func(c *lifecycle.Case) bool { return c.Location.DistrictID == 2 }},
			{"street", lifecycle.CaseFilter{StreetID: 11}, func(c *lifecycle.Case) bool { return c.Location.StreetID == 11 }},
			{"category prefix", lifecycle.CaseFilter{Category: "urban"}, func(c *lifecycle.Case) bool {
				return c.Category == "urban" || strings.HasPrefix(c.Category, "urban.")
			}},
			{"category leaf", lifecycle.CaseFilter{Category: "urban.noise"}, func(c *lifecycle.Case) bool { return c.Category == "urban.noise" }},
			{"type", lifecycle.CaseFilter{Type: "report"}, func(c *lifecycle.Case) bool { return c.Type == "report" }},
			{"channel", lifecycle.CaseFilter{Channel: "web"}, func(c *lifecycle.Case) bool { return c.Channel == "web" }},
			{"overdue", lifecycle.CaseFilter{Overdue: ptr(true)}, func(c *lifecycle.Case) bool { return c.Overdue }},
			{"not overdue", lifecycle.CaseFilter{Overdue: ptr(false)}, func(c *lifecycle.Case) bool { return !c.Overdue }},
			{"supervised", lifecycle.CaseFilter{Supervised: ptr(true)}, func(c *lifecycle.Case) bool { return c.Supervised }},
			{"return pending", lifecycle.CaseFilter{ReturnPending: ptr(true)}, func(c *lifecycle.Case) bool { return c.ReturnPending }},
			{"extension pending", lifecycle.CaseFilter{ExtPending: ptr(true)}, func(c *lifecycle.Case) bool { return c.ExtensionPending }},
			{"phone hash", lifecycle.CaseFilter{PhoneHash: "h3"}, func(c *lifecycle.Case) bool { return c.Citizen.PhoneHash == "h3" }},
			{"created window", lifecycle.CaseFilter{CreatedFrom: base.Add(10 * time.Minute), CreatedTo: base.Add(20 * time.Minute)}, func(c *lifecycle.Case) bool {
				return !c.CreatedAt.Before(base.Add(10*time.Minute)) && c.CreatedAt.Before(base.Add(20*time.Minute))
			}},
			{"combined", lifecycle.CaseFilter{Open: ptr(true), DistrictID: 1, Category: "urban"}, func(c *lifecycle.Case) bool {
				return c.State.Open() && c.Location.DistrictID == 1 && strings.HasPrefix(c.Category+".", "urban.")
			}},
		}
		for _, tc := range tests {
			for _, sortBy := range []string{"created", "due"} {
				f := tc.f
				f.Sort, f.Limit = sortBy, 25
				if tc.name != "everything" {
					f.Limit = 7
				}
				var want []*lifecycle.Case
				for _, c := range all {
					if tc.keep(c) && (sortBy != "due" || tc.f.Open != nil || c.State.Open()) {
						want = append(want, c)
					}
				}
				sortedLike(want, sortBy)
				got := listAll(t, s, org.Scope{All: true}, f)
				if !slices.Equal(ids(got), ids(want)) {
					t.Errorf("%s by %s:\n got %v\nwant %v", tc.name, sortBy, ids(got), ids(want))
				}
			}
		}
		if t.Failed() {
			return
		}

		// The 'everything' lists really cover every case once, in order.
		byCreated := listAll(t, s, org.Scope{All: true}, lifecycle.CaseFilter{Sort: "created", Limit: 25})
		if len(byCreated) != n {
			t.Fatalf("by created: %d cases, want %d", len(byCreated), n)
		}
		for i := 1; i < n; i++ {
			a, b := byCreated[i-1], byCreated[i]
			if a.CreatedAt.Before(b.CreatedAt) || (a.CreatedAt.UnixMilli() == b.CreatedAt.UnixMilli() && a.ID < b.ID) {
				t.Fatalf("by created out of order at %d", i)
			}
		}
		byDue := listAll(t, s, org.Scope{All: true}, lifecycle.CaseFilter{Sort: "due", Limit: 25})
		open := 0
		for _, c := range all {
			if c.State.Open() {
				open++
			}
		}
		if len(byDue) != open {
			t.Fatalf("by due: %d cases, want the %d open ones", len(byDue), open)
		}

		// Scope and filter together.
		got := listAll(t, s, org.Scope{UnitID: 2}, lifecycle.CaseFilter{Sort: "due", Limit: 4, DistrictID: 3})
		var want []*lifecycle.Case
		for _, c := range all {
			if c.LeadUnitID == 2 && c.Location.DistrictID == 3 && c.State.Open() {
				want = append(want, c)
			}
		}
		sortedLike(want, "due")
		if !slices.Equal(ids(got), ids(want)) {
			t.Errorf("scoped: got %v want %v", ids(got), ids(want))
		}

		// Default and capped limits.
		for _, limit := range []int{0, -1, 500} {
			page, err := s.Cases(ctx, org.Scope{All: true}, lifecycle.CaseFilter{Limit: limit})
			if err != nil || len(page.Cases) != 50 || page.Next == "" {
				t.Errorf("Limit %d: %d cases, next %q, %v", limit, len(page.Cases), page.Next, err)
			}
		}

		// Bad cursors are invalid input.
		for _, cur := range []string{"garbage", "12", ".", "x.1"} {
			for _, sortBy := range []string{"created", "due"} {
				_, err := s.Cases(ctx, org.Scope{All: true}, lifecycle.CaseFilter{Sort: sortBy, Cursor: cur, Limit: 10})
				wantCode(t, err, errs.Invalid)
				if errs.CodeOf(err) != "invalid" {
					t.Fatalf("code %q", errs.CodeOf(err))
				}
			}
		}

		// Counts for metrics.
		counts, err := s.CountByState(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range lifecycle.States {
			if counts[string(st)] != n/int64(len(lifecycle.States)) {
				t.Errorf("CountByState[%s] = %d", st, counts[string(st)])
			}
		}
		var overdue int64
		for _, c := range all {
			if c.Overdue && c.State.Open() {
				overdue++
			}
		}
		if got, err := s.CountOverdue(ctx); err != nil || got != overdue {
			t.Errorf("CountOverdue = %d, %v; want %d", got, err, overdue)
		}
	})
}

// ---- events and links ----

func TestEvents(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		c, other := testCase(1), testCase(2)
		insertCases(t, s, c, other)
		mkEv := func(seq int) *lifecycle.Event {
			return &lifecycle.Event{
				CaseID: c.ID, Seq: seq, Action: lifecycle.Action(fmt.Sprintf("act%d", seq)),
				FromState: lifecycle.Received, ToState: lifecycle.Dispatched,
				ActorUserID: int64(seq * 10), ActorUnitID: int64(seq * 100), ActorName: "派单员", ActorRole: org.RoleDispatcher,
				At: base.Add(time.Duration(seq) * time.Minute), Note: fmt.Sprintf("备注 %d", seq),
				Data:        map[string]any{"unit": float64(seq), "reason": "职责", "nested": map[string]any{"ok": true}, "list": []any{"a", 1.5}},
				Attachments: []int64{int64(seq), 42},
			}
		}
		evs := []*lifecycle.Event{mkEv(3), mkEv(1), mkEv(2)}
		evs[1].Data, evs[1].Attachments, evs[1].Note, evs[1].FromState = nil, nil, "", ""
		write(t, s, func(tx *store.Tx) error {
			for _, e := range evs {
				if err := tx.AppendEvent(ctx, e); err != nil {
					return err
				}
			}
			return tx.AppendEvent(ctx, &lifecycle.Event{CaseID: other.ID, Seq: 1, Action: "create", At: base})
		})
		for _, e := range evs {
			if e.ID == 0 {
				t.Fatal("AppendEvent did not set ID")
			}
		}
		// (case, seq) is unique: a second apply conflicts and leaves nothing behind.
		err := s.Write(ctx, func(tx *store.Tx) error {
			if err := tx.PutSetting(ctx, "marker", "x", base); err != nil {
				return err
			}
			return tx.AppendEvent(ctx, mkEv(2))
		})
		wantCode(t, err, errs.Conflict)
		if v, _ := s.Setting(ctx, "marker"); v != "" {
			t.Fatal("conflicting write was not rolled back")
		}

		got, err := s.Events(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("Events = %d, want 3", len(got))
		}
		for i, e := range got {
			want := *evs[[]int{1, 2, 0}[i]] // ordered by seq
			if e.Seq != i+1 {
				t.Fatalf("event %d has seq %d", i, e.Seq)
			}
			if !msEqual(e.At, want.At) {
				t.Fatalf("event %d at %v, want %v", i, e.At, want.At)
			}
			e.At, want.At = time.Time{}, time.Time{}
			if !reflect.DeepEqual(e, want) {
				t.Errorf("event %d:\n got %+v\nwant %+v", i, e, want)
			}
		}
		if got, _ := s.Events(ctx, other.ID); len(got) != 1 || got[0].Action != "create" {
			t.Fatalf("other case's events: %+v", got)
		}
		if got, err := s.Events(ctx, 12345); err != nil || len(got) != 0 {
			t.Fatalf("Events(unknown) = %+v, %v", got, err)
		}

		// Links, in both directions; relinking changes the kind.
		write(t, s, func(tx *store.Tx) error { return tx.LinkCases(ctx, c.ID, other.ID, "related") })
		write(t, s, func(tx *store.Tx) error { return tx.LinkCases(ctx, c.ID, other.ID, "duplicate") })
		l1, err1 := s.Links(ctx, c.ID)
		l2, err2 := s.Links(ctx, other.ID)
		if err1 != nil || err2 != nil || !reflect.DeepEqual(l1, []lifecycle.Link{{OtherID: other.ID, Kind: "duplicate"}}) ||
			!reflect.DeepEqual(l2, []lifecycle.Link{{OtherID: c.ID, Kind: "duplicate"}}) {
			t.Fatalf("Links = %+v %v / %+v %v", l1, err1, l2, err2)
		}
	})
}

// repeatSplices are the repeat counts a new case's document was encoded
// with and those the write found: none, the same, others, gone.
var repeatSplices = []struct {
	encoded, written *lifecycle.Repeat
}{
	{nil, &lifecycle.Repeat{Caller: 2, Place: 5}},
	{nil, nil},
	{&lifecycle.Repeat{Caller: 1}, &lifecycle.Repeat{Caller: 1}},
	{&lifecycle.Repeat{Caller: 1}, nil},
}

// TestNewCaseRepeatSpliced: intake encodes a new case before its repeat
// counts are known (they are read in the writing transaction); the stored
// document carries the counts found there, and a document encoded with
// counts the case no longer has is encoded again without them.
func TestNewCaseRepeatSpliced(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		for i, tc := range repeatSplices {
			c := fullCase()
			c.Number = fmt.Sprintf("20240506%05d", 900+i)
			c.Repeat = tc.encoded
			nd, err := store.EncodeNewCase(c)
			if err != nil {
				t.Fatal(err)
			}
			c.Repeat = tc.written
			write(t, s, func(tx *store.Tx) error { return tx.InsertNewCase(ctx, c, nd) })
			got, err := s.Case(ctx, c.ID, org.Scope{All: true})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Repeat, tc.written) {
				t.Fatalf("case %d: stored repeat %+v, want %+v", i, got.Repeat, tc.written)
			}
			wantSameCase(t, got, c)
		}
	})
}

// TestInsertNumberedCase: a new case numbered in its insert (on PostgreSQL
// the sequence is read in the INSERT itself) gets the day's next number,
// at least five digits, in its column and its document, with the repeat
// counts found in the transaction; a number taken already is
// errs.Exists on "number".
func TestInsertNumberedCase(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		const day = "20240506"
		insert := func(c *lifecycle.Case, encoded, written *lifecycle.Repeat, day string) error {
			t.Helper()
			c.Number = ""
			c.Repeat = encoded
			nd, err := store.EncodeNewCase(c)
			if err != nil {
				t.Fatal(err)
			}
			nd = s.SealNewCase(nd)
			c.Repeat = written
			return s.Write(ctx, func(tx *store.Tx) error { return tx.InsertNumberedCase(ctx, c, nd, day) })
		}
		check := func(c *lifecycle.Case, number string) {
			t.Helper()
			if c.Number != number {
				t.Fatalf("number %q, want %q", c.Number, number)
			}
			got, err := s.Case(ctx, c.ID, org.Scope{All: true})
			if err != nil {
				t.Fatal(err)
			}
			wantSameCase(t, got, c)
			if byNumber, err := s.CaseByNumber(ctx, number, org.Scope{All: true}); err != nil || byNumber.ID != c.ID { // the column
				t.Fatalf("case by number %s: %+v %v, want case %d", number, byNumber, err, c.ID)
			}
		}
		for i, tc := range repeatSplices {
			c := fullCase()
			if err := insert(c, tc.encoded, tc.written, day); err != nil {
				t.Fatal(err)
			}
			check(c, fmt.Sprintf("%s%05d", day, i+1))
			if !reflect.DeepEqual(c.Repeat, tc.written) {
				t.Fatalf("case %d: repeat %+v", i, c.Repeat)
			}
		}
		write(t, s, func(tx *store.Tx) error { return tx.SetDaySeq(ctx, day, 99999) })
		c := fullCase()
		if err := insert(c, nil, nil, day); err != nil {
			t.Fatal(err)
		}
		check(c, day+"100000")

		taken := fullCase()
		taken.Number = "2024050700001"
		insertCases(t, s, taken)
		err := insert(fullCase(), nil, nil, "20240507")
		wantCode(t, err, errs.Exists)
		if e, ok := err.(*errs.Error); !ok || e.Field != "number" {
			t.Fatalf("error %v, want on number", err)
		}
	})
}
