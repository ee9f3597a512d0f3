package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"whistle/internal/lifecycle"
)

// Daily rollups (insight_daily) and light case records for the analysis
// behind 每月一题 (issue #12). Days are civil dates in Asia/Shanghai counted
// from 1970-01-01 (insight.Day).

// DailyRow is one rollup row.
type DailyRow struct {
	Day                                       int64
	Category                                  string
	DistrictID, StreetID, CommunityID, GridID int64
	UnitID                                    int64
	N, Reopened, Rated, Unsatisfied, Resolved int64
}

// DailyFilter selects rollup rows: the days From..To inclusive, inside a
// place (the most specific of the ids given), in any of the categories (a
// code or its prefix: "urban" matches "urban.stall"); zero values select all.
type DailyFilter struct {
	From, To                                  int64
	DistrictID, StreetID, CommunityID, GridID int64
	Categories                                []string
}

func (f DailyFilter) where() (string, []any) {
	w := []string{"day >= ?", "day <= ?"}
	args := []any{f.From, f.To}
	for _, p := range []struct {
		col string
		id  int64
	}{{"district_id", f.DistrictID}, {"street_id", f.StreetID}, {"community_id", f.CommunityID}, {"grid_id", f.GridID}} {
		if p.id != 0 {
			w, args = append(w, p.col+" = ?"), append(args, p.id)
		}
	}
	if len(f.Categories) > 0 {
		cw, ca := categoryWhere(f.Categories)
		w, args = append(w, cw), append(args, ca...)
	}
	return " WHERE " + strings.Join(w, " AND "), args
}

// categoryWhere matches any of the categories: the code itself or, for a
// code without LIKE's wildcards, its children ("urban" matches "urban.stall").
func categoryWhere(cats []string) (string, []any) {
	var or []string
	var args []any
	for _, c := range cats {
		if strings.ContainsAny(c, `%_\`) {
			or, args = append(or, "category = ?"), append(args, c)
			continue
		}
		or, args = append(or, "category = ? OR category LIKE ?"), append(args, c, c+".%")
	}
	return "(" + strings.Join(or, " OR ") + ")", args
}

// DailyRows returns the rollup rows f selects, in no particular order: the
// finished days from their blocks (blocks.go) where those are clean, the
// other days (today, days changed since their block) from insight_daily.
// A district or a street is read from insight_daily alone, through its
// index: its share of the rows is small, and a block holds the whole city.
func (q Queries) DailyRows(ctx context.Context, f DailyFilter) ([]DailyRow, error) {
	if f.indexedPlace() {
		blocks, err := q.dailyRowsSQL(ctx, f)
		return joinBlocks(blocks), err
	}
	if !f.wholeDays() {
		var acc rowAcc
		covered, err := q.blockRows(ctx, f, acc.add)
		if err != nil {
			return nil, err
		}
		for _, g := range gaps(f.From, f.To, covered) {
			gf := f
			gf.From, gf.To = g.from, g.to
			blocks, err := q.dailyRowsSQL(ctx, gf)
			if err != nil {
				return nil, err
			}
			acc.blocks = append(acc.blocks, blocks...)
		}
		return acc.rows(), nil
	}
	// Whole days: the clean blocks' cells are the rows, so the result is
	// allocated once and each day decoded into its own place (two halves
	// at once outside a transaction): no copying of millions of rows.
	list, err := q.cleanBlocks(ctx, f)
	if err != nil {
		return nil, err
	}
	covered := make([]int64, len(list))
	total := 0
	for i, b := range list {
		covered[i] = b.day
		total += int(b.cells)
	}
	var rest [][]DailyRow
	restN := 0
	for _, g := range gaps(f.From, f.To, covered) {
		gf := f
		gf.From, gf.To = g.from, g.to
		blocks, err := q.dailyRowsSQL(ctx, gf)
		if err != nil {
			return nil, err
		}
		for _, b := range blocks {
			restN += len(b)
		}
		rest = append(rest, blocks...)
	}
	if afterListing != nil {
		afterListing()
	}
	out := make([]DailyRow, total, total+restN)
	var redo []int64 // days whose block changed since the listing
	if len(list) < 60 || q.inTx {
		redo, err = q.readBlocks(ctx, list, out)
	} else {
		half := len(list) / 2
		var lateRedo []int64
		errc := make(chan error, 1)
		go func() {
			var err error
			lateRedo, err = q.readBlocks(ctx, list[half:], out[listCells(list[:half]):])
			errc <- err
		}()
		redo, err = q.readBlocks(ctx, list[:half], out)
		if e := <-errc; err == nil {
			err = e
		}
		redo = append(redo, lateRedo...)
	}
	if err != nil {
		return nil, err
	}
	if len(redo) > 0 {
		// Holes where those days were: filled from the end, then the
		// days read from insight_daily.
		k := 0
		off := 0
		for _, b := range list {
			if k < len(redo) && redo[k] == b.day {
				k++
			} else {
				off += copy(out[off:], out[b.off:b.off+int(b.cells)])
			}
		}
		out = out[:off]
		for _, d := range redo {
			blocks, err := q.dailyRows(ctx, DailyFilter{From: d, To: d})
			if err != nil {
				return nil, err
			}
			rest = append(rest, blocks...)
		}
	}
	for _, b := range rest {
		out = append(out, b...)
	}
	return out, nil
}

// FoldDaily calls fn with each rollup row f selects, as DailyRows returns
// them but without gathering them: a year of a city is millions of rows
// (one per case at the benchmark's density), and a caller that sums them
// as they come (the analysis) need not hold them all. The row passed is
// reused: fn copies what it keeps.
func (q Queries) FoldDaily(ctx context.Context, f DailyFilter, fn func(*DailyRow)) error {
	each := func(blocks [][]DailyRow) {
		for _, b := range blocks {
			for i := range b {
				fn(&b[i])
			}
		}
	}
	if f.indexedPlace() {
		blocks, err := q.dailyRowsSQL(ctx, f)
		if err != nil {
			return err
		}
		each(blocks)
		return nil
	}
	covered, err := q.blockRows(ctx, f, fn)
	if err != nil {
		return err
	}
	for _, g := range gaps(f.From, f.To, covered) {
		gf := f
		gf.From, gf.To = g.from, g.to
		blocks, err := q.dailyRowsSQL(ctx, gf)
		if err != nil {
			return err
		}
		each(blocks)
	}
	return nil
}

// rowAcc gathers rows in blocks of dailyBlock.
type rowAcc struct {
	blocks [][]DailyRow
	cur    []DailyRow
}

func (a *rowAcc) add(r *DailyRow) {
	if len(a.cur) == cap(a.cur) {
		if len(a.cur) > 0 {
			a.blocks = append(a.blocks, a.cur)
		}
		a.cur = make([]DailyRow, 0, dailyBlock)
	}
	a.cur = append(a.cur, *r)
}

func (a *rowAcc) rows() []DailyRow {
	if len(a.cur) > 0 {
		a.blocks = append(a.blocks, a.cur)
	}
	return joinBlocks(a.blocks)
}

// dailyRowsSQL reads the rows f selects from insight_daily. Outside a
// transaction a long period is read as two halves at once, on two
// connections: the rows of a year are millions.
func (q Queries) dailyRowsSQL(ctx context.Context, f DailyFilter) ([][]DailyRow, error) {
	if q.inTx || f.To-f.From < 60 {
		return q.dailyRows(ctx, f)
	}
	early, late := f, f
	early.To = f.From + (f.To-f.From)/2
	late.From = early.To + 1
	var lateBlocks [][]DailyRow
	errc := make(chan error, 1)
	go func() {
		var err error
		lateBlocks, err = q.dailyRows(ctx, late)
		errc <- err
	}()
	blocks, err := q.dailyRows(ctx, early)
	if e := <-errc; err == nil {
		err = e
	}
	if err != nil {
		return nil, err
	}
	return append(blocks, lateBlocks...), nil
}

// dailyBlock is how many rows dailyRows gathers before it starts another
// block: a growing slice of millions of rows would be copied over and over.
const dailyBlock = 1 << 15

func (q Queries) dailyRows(ctx context.Context, f DailyFilter) ([][]DailyRow, error) {
	where, args := f.where()
	rows, err := q.query(ctx, "SELECT day, category, district_id, street_id, community_id, grid_id, unit_id, n, reopened, rated, unsatisfied, resolved FROM insight_daily"+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var blocks [][]DailyRow
	var out []DailyRow
	for rows.Next() {
		if len(out) == cap(out) {
			if len(out) > 0 {
				blocks = append(blocks, out)
			}
			out = make([]DailyRow, 0, dailyBlock)
		}
		out = out[:len(out)+1]
		r := &out[len(out)-1]
		if err := rows.Scan(&r.Day, &r.Category, &r.DistrictID, &r.StreetID, &r.CommunityID, &r.GridID, &r.UnitID, &r.N, &r.Reopened, &r.Rated, &r.Unsatisfied, &r.Resolved); err != nil {
			return nil, err
		}
	}
	if len(out) > 0 {
		blocks = append(blocks, out)
	}
	return blocks, rows.Err()
}

func joinBlocks(blocks [][]DailyRow) []DailyRow {
	switch len(blocks) {
	case 0:
		return nil
	case 1:
		return blocks[0]
	}
	n := 0
	for _, b := range blocks {
		n += len(b)
	}
	out := make([]DailyRow, 0, n)
	for _, b := range blocks {
		out = append(out, b...)
	}
	return out
}

// DayTotal is one day's sums over the rows a filter selects.
type DayTotal struct {
	Day                                       int64
	N, Reopened, Rated, Unsatisfied, Resolved int64
}

// DailyTotals sums the rollup rows f selects by day, in day order: from
// the clean blocks' totals (or their cells, for a place or categories) and
// from insight_daily for the other days, as DailyRows.
func (q Queries) DailyTotals(ctx context.Context, f DailyFilter) ([]DayTotal, error) {
	if f.indexedPlace() {
		return q.dailyTotalsSQL(ctx, f)
	}
	var out []DayTotal
	var covered []int64
	if f.wholeDays() {
		all, err := q.blockTotals(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, t := range all {
			covered = append(covered, t.Day)
			if t.N != 0 || t.Reopened != 0 || t.Rated != 0 || t.Unsatisfied != 0 || t.Resolved != 0 {
				out = append(out, t)
			}
		}
	} else {
		var err error
		covered, err = q.blockRows(ctx, f, func(r *DailyRow) {
			if len(out) == 0 || out[len(out)-1].Day != r.Day {
				out = append(out, DayTotal{Day: r.Day})
			}
			t := &out[len(out)-1]
			t.N, t.Reopened, t.Rated, t.Unsatisfied, t.Resolved = t.N+r.N, t.Reopened+r.Reopened, t.Rated+r.Rated, t.Unsatisfied+r.Unsatisfied, t.Resolved+r.Resolved
		})
		if err != nil {
			return nil, err
		}
	}
	gs := gaps(f.From, f.To, covered)
	if len(gs) == 0 {
		return out, nil
	}
	for _, g := range gs {
		gf := f
		gf.From, gf.To = g.from, g.to
		ts, err := q.dailyTotalsSQL(ctx, gf)
		if err != nil {
			return nil, err
		}
		out = append(out, ts...)
	}
	slices.SortFunc(out, func(a, b DayTotal) int { return cmp.Compare(a.Day, b.Day) })
	return out, nil
}

func (q Queries) dailyTotalsSQL(ctx context.Context, f DailyFilter) ([]DayTotal, error) {
	where, args := f.where()
	rows, err := q.query(ctx, "SELECT day, SUM(n), SUM(reopened), SUM(rated), SUM(unsatisfied), SUM(resolved) FROM insight_daily"+where+" GROUP BY day ORDER BY day", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DayTotal
	for rows.Next() {
		var r DayTotal
		if err := rows.Scan(&r.Day, &r.N, &r.Reopened, &r.Rated, &r.Unsatisfied, &r.Resolved); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// LightFilter selects cases for the analysis's text, repeats and examples:
// created in [From, To), inside a place, in any of the categories; with
// Every > 1 only the cases whose id is a multiple of Every (an even sample);
// at most Limit (0: no limit), oldest first.
type LightFilter struct {
	From, To             time.Time
	DistrictID, StreetID int64
	Categories           []string
	Every                int64
	Limit                int
}

// LightCases returns the cases f selects without the citizen's name and
// phone (only the keyed phone hash), their texts opened.
func (q Queries) LightCases(ctx context.Context, f LightFilter) ([]*lifecycle.Case, error) {
	w := []string{"created_at >= ?", "created_at < ?"}
	args := []any{ms(f.From), ms(f.To)}
	if f.DistrictID != 0 {
		w, args = append(w, "district_id = ?"), append(args, f.DistrictID)
	}
	if f.StreetID != 0 {
		w, args = append(w, "street_id = ?"), append(args, f.StreetID)
	}
	if len(f.Categories) > 0 {
		cw, ca := categoryWhere(f.Categories)
		w, args = append(w, cw), append(args, ca...)
	}
	if f.Every > 1 {
		w, args = append(w, "id % ? = 0"), append(args, f.Every)
	}
	qs := "SELECT id, phone_hash, doc FROM cases WHERE " + strings.Join(w, " AND ") + " ORDER BY created_at, id"
	// A sample of a big window picks its ids from the index first and
	// then reads only their rows: PostgreSQL tests a condition on the id
	// after fetching the row (millions of rows for a year of a big city),
	// unless the ids come from an index-only scan. The rows come in id
	// order and are put in time order below.
	sorted := f.Every > 1 && f.Limit <= 0
	if sorted {
		qs = "SELECT id, phone_hash, doc FROM cases WHERE id IN (SELECT id FROM cases WHERE " + strings.Join(w, " AND ") + ")"
	}
	if f.Limit > 0 {
		qs += " LIMIT ?"
		args = append(args, f.Limit)
	}
	rows, err := q.query(ctx, qs, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	// The documents are decoded by two workers while the rows are read:
	// decoding a case's JSON costs several times its reading.
	type raw struct {
		id        int64
		hash, doc string
	}
	const chunk = 512
	type job struct {
		rs  []raw
		out []*lifecycle.Case
	}
	jobs := make(chan *job, 4)
	errc := make(chan error, lightWorkers)
	var done []*job
	var wg sync.WaitGroup
	for range lightWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var first error
			for j := range jobs {
				if first != nil {
					continue
				}
				for i, r := range j.rs {
					c, err := q.decodeLight(r.id, r.hash, r.doc)
					if err != nil {
						first = err
						break
					}
					j.out[i] = c
				}
			}
			errc <- first
		}()
	}
	var cur *job
	var scanErr error
	for rows.Next() {
		if cur == nil {
			cur = &job{rs: make([]raw, 0, chunk)}
		}
		var r raw
		if scanErr = rows.Scan(&r.id, &r.hash, &r.doc); scanErr != nil {
			break
		}
		cur.rs = append(cur.rs, r)
		if len(cur.rs) == chunk {
			cur.out = make([]*lifecycle.Case, len(cur.rs))
			done = append(done, cur)
			jobs <- cur
			cur = nil
		}
	}
	if cur != nil && scanErr == nil {
		cur.out = make([]*lifecycle.Case, len(cur.rs))
		done = append(done, cur)
		jobs <- cur
	}
	close(jobs)
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil && scanErr == nil {
			scanErr = err
		}
	}
	if scanErr != nil {
		return nil, scanErr
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	n := 0
	for _, j := range done {
		n += len(j.out)
	}
	out := make([]*lifecycle.Case, 0, n)
	for _, j := range done {
		out = append(out, j.out...)
	}
	if sorted {
		slices.SortFunc(out, func(a, b *lifecycle.Case) int {
			return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
		})
	}
	return out, nil
}

// lightWorkers is how many goroutines decode LightCases' documents.
const lightWorkers = 2

// InsightRun is a finished analysis kept for later views.
type InsightRun struct {
	ID        int64
	Params    string // what was asked, canonical (the filter as JSON)
	From, To  int64  // days
	CreatedAt time.Time
	Took      time.Duration
	Doc       string // the result as JSON
}

// PutInsightRun stores a finished analysis and sets r.ID.
func (q Queries) PutInsightRun(ctx context.Context, r *InsightRun) error {
	return q.row(ctx, "INSERT INTO insight_runs(params, from_day, to_day, created_at, took_ms, doc) VALUES (?,?,?,?,?,?) RETURNING id",
		r.Params, r.From, r.To, ms(r.CreatedAt), r.Took.Milliseconds(), r.Doc).Scan(&r.ID)
}

// LatestInsightRun returns the newest stored analysis asked with params.
func (q Queries) LatestInsightRun(ctx context.Context, params string) (InsightRun, bool, error) {
	return q.insightRun(ctx, "WHERE params = ? ORDER BY created_at DESC, id DESC LIMIT 1", params)
}

// InsightRunByID returns a stored analysis by its id (found false when
// there is none).
func (q Queries) InsightRunByID(ctx context.Context, id int64) (InsightRun, bool, error) {
	return q.insightRun(ctx, "WHERE id = ?", id)
}

// insightRun reads the one stored analysis the clause selects.
func (q Queries) insightRun(ctx context.Context, clause string, args ...any) (InsightRun, bool, error) {
	var r InsightRun
	var created, took int64
	err := q.row(ctx, "SELECT id, params, from_day, to_day, created_at, took_ms, doc FROM insight_runs "+clause, args...).
		Scan(&r.ID, &r.Params, &r.From, &r.To, &created, &took, &r.Doc)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	} else if err != nil {
		return r, false, err
	}
	r.CreatedAt, r.Took = fromMS(created), time.Duration(took)*time.Millisecond
	return r, true, nil
}

// MinDailyDay is the first day the rollups cover (ok false when empty).
func (q Queries) MinDailyDay(ctx context.Context) (int64, bool, error) {
	var d sql.NullInt64
	if err := q.row(ctx, "SELECT MIN(day) FROM insight_daily").Scan(&d); err != nil {
		return 0, false, err
	}
	return d.Int64, d.Valid, nil
}

// lightDoc is the part of a case document the analysis reads: decoding
// only these fields (the rest of the document is skipped, not built) is
// what makes reading a sample of a year's requests cheap.
type lightDoc struct {
	Number       string             `json:"number"`
	Channel      string             `json:"channel"`
	Type         string             `json:"type"`
	Category     string             `json:"category"`
	Title        string             `json:"title"`
	Description  string             `json:"description"`
	Location     lifecycle.Location `json:"location"`
	State        lifecycle.State    `json:"state"`
	LeadUnitID   int64              `json:"lead_unit_id"`
	ReopenCount  int                `json:"reopen_count"`
	Resolved     *bool              `json:"resolved"`
	Satisfaction string             `json:"satisfaction"`
	CreatedAt    time.Time          `json:"created_at"`
	ClosedAt     time.Time          `json:"closed_at"`
}

// decodeLight makes a light case of its row: the fields of lightDoc, the
// texts opened; no personal columns are read.
func (q Queries) decodeLight(id int64, hash, doc string) (*lifecycle.Case, error) {
	var d lightDoc
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return nil, fmt.Errorf("store: case %d: %w", id, err)
	}
	c := &lifecycle.Case{ID: id, Number: d.Number, Channel: d.Channel, Type: d.Type, Category: d.Category, Title: d.Title,
		Description: d.Description, Location: d.Location, State: d.State, LeadUnitID: d.LeadUnitID, ReopenCount: d.ReopenCount,
		Resolved: d.Resolved, Satisfaction: d.Satisfaction, CreatedAt: d.CreatedAt, ClosedAt: d.ClosedAt}
	c.Citizen.PhoneHash = hash
	var err error
	for _, f := range []*string{&c.Title, &c.Description, &c.Location.Address} {
		if *f, err = q.open(*f); err != nil {
			return nil, fmt.Errorf("store: case %d: %w", id, err)
		}
	}
	return c, nil
}
