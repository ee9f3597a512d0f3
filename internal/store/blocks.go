package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"whistle/internal/insight"
)

// Day blocks: a read cache over insight_daily (migration 0020). The rollup
// key is fine (day × category × grid × unit), so a year of the city is
// millions of rows, and reading them through the driver costs about 3 µs
// each. A block is one finished day's rows encoded compactly here, with the
// day's totals in plain columns: a year is 365 rows, the dashboard's month
// of totals 30 small ones.
//
// Staleness: insight_gens holds a generation per day, moved on in the same
// transaction as every change of the day's rollup rows (touchDays). A
// block records the generation it was built from and stands for the day
// only while the two are equal; the readers take every other day (today,
// changed days, days without a block) from insight_daily. Generations are
// never reset, so a compaction that read a day before a write can never
// pass for one after it.
//
// CompactDays builds the missing and stale blocks of finished days; a
// background worker (RunCompactor) calls it, and bulk loads call it once.

// blockVersion is the first byte of every block's encoding.
const blockVersion = 1

// encodeBlock encodes one day's rows: a table of the categories, then the
// cells ordered by place, category and unit, each a uvarint of category
// index × 2 + "same place as the cell before", the place ids (district,
// street, community, grid) unless the same, the unit and the five counts as
// varints. rows is reordered.
func encodeBlock(rows []DailyRow) []byte {
	slices.SortFunc(rows, func(a, b DailyRow) int {
		return cmp.Or(cmp.Compare(a.DistrictID, b.DistrictID), cmp.Compare(a.StreetID, b.StreetID),
			cmp.Compare(a.CommunityID, b.CommunityID), cmp.Compare(a.GridID, b.GridID),
			strings.Compare(a.Category, b.Category), cmp.Compare(a.UnitID, b.UnitID))
	})
	cats := map[string]int{}
	var names []string
	for _, r := range rows {
		if _, ok := cats[r.Category]; !ok {
			cats[r.Category] = len(names)
			names = append(names, r.Category)
		}
	}
	out := make([]byte, 0, 16+len(rows)*12)
	out = append(out, blockVersion)
	out = binary.AppendUvarint(out, uint64(len(names)))
	for _, n := range names {
		out = binary.AppendUvarint(out, uint64(len(n)))
		out = append(out, n...)
	}
	out = binary.AppendUvarint(out, uint64(len(rows)))
	for i, r := range rows {
		same := i > 0 && r.DistrictID == rows[i-1].DistrictID && r.StreetID == rows[i-1].StreetID &&
			r.CommunityID == rows[i-1].CommunityID && r.GridID == rows[i-1].GridID
		head := uint64(cats[r.Category]) << 1
		if same {
			head |= 1
		}
		out = binary.AppendUvarint(out, head)
		if !same {
			out = binary.AppendVarint(out, r.DistrictID)
			out = binary.AppendVarint(out, r.StreetID)
			out = binary.AppendVarint(out, r.CommunityID)
			out = binary.AppendVarint(out, r.GridID)
		}
		for _, v := range [...]int64{r.UnitID, r.N, r.Reopened, r.Rated, r.Unsatisfied, r.Resolved} {
			out = binary.AppendVarint(out, v)
		}
	}
	return out
}

var errBlock = errors.New("store: malformed day block")

// blockReader reads a block's varints, remembering the first error.
type blockReader struct {
	b   []byte
	err error
}

func (r *blockReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err, r.b = errBlock, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *blockReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err, r.b = errBlock, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

// blockSelect is a DailyFilter's test of a block's cells: the place ids
// and, per entry of the block's category table, whether it is selected.
type blockSelect struct {
	f       DailyFilter
	dialect Dialect
}

// category reports whether the filter selects the category, as the SQL of
// categoryWhere does: the code itself or, for a code without LIKE's
// wildcards, its children (SQLite's LIKE ignores the case of ASCII
// letters, PostgreSQL's does not).
func (s blockSelect) category(c string) bool {
	if len(s.f.Categories) == 0 {
		return true
	}
	for _, want := range s.f.Categories {
		if c == want {
			return true
		}
		if strings.ContainsAny(want, `%_\`) || len(c) < len(want)+1 {
			continue
		}
		prefix := want + "."
		if s.dialect == SQLite {
			if asciiEqualFold(c[:len(prefix)], prefix) {
				return true
			}
		} else if strings.HasPrefix(c, prefix) {
			return true
		}
	}
	return false
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func (s blockSelect) place(r *DailyRow) bool {
	f := &s.f
	return (f.DistrictID == 0 || r.DistrictID == f.DistrictID) && (f.StreetID == 0 || r.StreetID == f.StreetID) &&
		(f.CommunityID == 0 || r.CommunityID == f.CommunityID) && (f.GridID == 0 || r.GridID == f.GridID)
}

// decodeBlock calls fn with each cell of the block that sel selects, as a
// row of day. A malformed block is an error (never a panic).
func decodeBlock(day int64, doc []byte, sel blockSelect, fn func(*DailyRow)) error {
	if len(doc) == 0 || doc[0] != blockVersion {
		return errBlock
	}
	r := blockReader{b: doc[1:]}
	nc := r.uvarint()
	if r.err != nil || nc > uint64(len(r.b)) {
		return errBlock
	}
	names := make([]string, nc)
	keep := make([]bool, nc)
	for i := range names {
		l := r.uvarint()
		if r.err != nil || l > uint64(len(r.b)) {
			return errBlock
		}
		names[i], r.b = string(r.b[:l]), r.b[l:]
		keep[i] = sel.category(names[i])
	}
	cells := r.uvarint()
	if r.err != nil || cells > uint64(len(r.b)) {
		return errBlock
	}
	var row DailyRow
	row.Day = day
	for i := uint64(0); i < cells; i++ {
		head := r.uvarint()
		c := head >> 1
		if r.err != nil || c >= nc || head&1 == 1 && i == 0 {
			return errBlock
		}
		if head&1 == 0 {
			row.DistrictID, row.StreetID, row.CommunityID, row.GridID = r.varint(), r.varint(), r.varint(), r.varint()
		}
		row.Category = names[c]
		row.UnitID, row.N, row.Reopened, row.Rated, row.Unsatisfied, row.Resolved = r.varint(), r.varint(), r.varint(), r.varint(), r.varint(), r.varint()
		if r.err != nil {
			return r.err
		}
		if keep[c] && sel.place(&row) {
			fn(&row)
		}
	}
	if len(r.b) != 0 {
		return errBlock
	}
	return nil
}

// dayRange is the days From..To.
type dayRange struct{ from, to int64 }

// gaps returns the days of from..to not in covered (ascending) as ranges.
func gaps(from, to int64, covered []int64) []dayRange {
	var out []dayRange
	next := from
	for _, d := range covered {
		if d > next {
			out = append(out, dayRange{next, d - 1})
		}
		next = d + 1
	}
	if next <= to {
		out = append(out, dayRange{next, to})
	}
	return out
}

const cleanBlocks = " FROM insight_blocks b JOIN insight_gens g ON g.day = b.day AND g.gen = b.gen WHERE b.day >= ? AND b.day <= ? ORDER BY b.day"

// blockRows calls fn with the selected rows of each clean block of f's
// days and returns the days it covered, ascending.
func (q Queries) blockRows(ctx context.Context, f DailyFilter, fn func(*DailyRow)) ([]int64, error) {
	rows, err := q.query(ctx, "SELECT b.day, b.doc"+cleanBlocks, f.From, f.To)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	sel := blockSelect{f: f, dialect: q.dialect}
	var days []int64
	for rows.Next() {
		var day int64
		var doc sql.RawBytes
		if err := rows.Scan(&day, &doc); err != nil {
			return nil, err
		}
		if err := decodeBlock(day, doc, sel, fn); err != nil {
			return nil, fmt.Errorf("%w (day %d)", err, day)
		}
		days = append(days, day)
	}
	return days, rows.Err()
}

// listedBlock is a clean block as listed by cleanBlocks: its day,
// generation and number of cells, and where its rows go in DailyRows'
// result.
type listedBlock struct {
	day, gen, cells int64
	off             int
}

// cleanBlocks lists the clean blocks of f's days, ascending.
func (q Queries) cleanBlocks(ctx context.Context, f DailyFilter) ([]listedBlock, error) {
	rows, err := q.query(ctx, "SELECT b.day, b.gen, b.cells"+cleanBlocks, f.From, f.To)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []listedBlock
	off := 0
	for rows.Next() {
		var b listedBlock
		if err := rows.Scan(&b.day, &b.gen, &b.cells); err != nil {
			return nil, err
		}
		b.off = off
		off += int(b.cells)
		out = append(out, b)
	}
	return out, rows.Err()
}

func listCells(list []listedBlock) int {
	n := 0
	for _, b := range list {
		n += int(b.cells)
	}
	return n
}

// readBlocks decodes the listed blocks (all their cells) into out, each at
// its offset relative to the first's. A block rebuilt since the listing
// (another generation, so maybe other cells) is left out: its day is
// returned, for a read from insight_daily.
func (q Queries) readBlocks(ctx context.Context, list []listedBlock, out []DailyRow) ([]int64, error) {
	if len(list) == 0 {
		return nil, nil
	}
	rows, err := q.query(ctx, "SELECT day, gen, doc FROM insight_blocks WHERE day >= ? AND day <= ? ORDER BY day", list[0].day, list[len(list)-1].day)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	base := list[0].off
	var redo []int64
	i := 0
	for rows.Next() {
		var day, gen int64
		var doc sql.RawBytes
		if err := rows.Scan(&day, &gen, &doc); err != nil {
			return nil, err
		}
		for i < len(list) && list[i].day < day {
			redo = append(redo, list[i].day) // gone: cannot happen, blocks are never deleted
			i++
		}
		if i == len(list) || list[i].day != day {
			continue // not clean when listed
		}
		b := list[i]
		i++
		if gen != b.gen {
			redo = append(redo, day)
			continue
		}
		dst := out[b.off-base : b.off-base+int(b.cells)]
		n := 0
		if err := decodeBlock(day, doc, blockSelect{}, func(r *DailyRow) {
			if n < len(dst) {
				dst[n] = *r
			}
			n++
		}); err != nil {
			return nil, fmt.Errorf("%w (day %d)", err, day)
		}
		if n != len(dst) {
			return nil, fmt.Errorf("%w (day %d: %d cells, %d recorded)", errBlock, day, n, len(dst))
		}
	}
	for ; i < len(list); i++ {
		redo = append(redo, list[i].day)
	}
	return redo, rows.Err()
}

// blockTotals returns the totals of the clean blocks of f's days (f
// selects whole days: no place, no category), ascending.
func (q Queries) blockTotals(ctx context.Context, f DailyFilter) ([]DayTotal, error) {
	rows, err := q.query(ctx, "SELECT b.day, b.n, b.reopened, b.rated, b.unsatisfied, b.resolved"+cleanBlocks, f.From, f.To)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DayTotal
	for rows.Next() {
		var t DayTotal
		if err := rows.Scan(&t.Day, &t.N, &t.Reopened, &t.Rated, &t.Unsatisfied, &t.Resolved); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// indexedPlace reports whether f selects a district or a street, which
// insight_daily's indexes find faster than a decoding of the city's blocks
// (BenchmarkDailyQueries: a street's 12 months of totals 7 ms through the
// index, 58 ms from the blocks, at 300 000 requests).
func (f DailyFilter) indexedPlace() bool { return f.DistrictID != 0 || f.StreetID != 0 }

// wholeDays reports whether f selects every row of its days.
func (f DailyFilter) wholeDays() bool {
	return f.DistrictID == 0 && f.StreetID == 0 && f.CommunityID == 0 && f.GridID == 0 && len(f.Categories) == 0
}

// afterListing, set by tests only, runs in DailyRows between the listing
// of the clean blocks and their reading.
var afterListing func()

// compactHooks holds, per store, a function CompactDays calls between
// reading a day and writing its block (tests only).
var compactHooks sync.Map // *Store → func(day int64)

// compactLag is how long after its end a day counts as finished for
// CompactDays. Writes to the day that has not ended by the writer's clock
// leave its generation as it is (touchDays); the lag covers a write that
// commits after midnight, and clocks of the nodes that differ by less.
const compactLag = 15 * time.Minute

// CompactDays builds up to limit blocks (limit ≤ 0: all), oldest day first,
// for the finished days (before today in Asia/Shanghai, compactLag after
// the day's end) whose block is
// missing or stale, and returns how many it wrote. A day changed while it
// is being compacted keeps its newer generation, so its block does not
// stand for it and a later call builds it again.
func (s *Store) CompactDays(ctx context.Context, limit int) (int, error) {
	today := int64(insight.DayOf(time.Now().Add(-compactLag)))
	qs := "SELECT g.day FROM insight_gens g LEFT JOIN insight_blocks b ON b.day = g.day WHERE g.day < ? AND (b.gen IS NULL OR b.gen <> g.gen) ORDER BY g.day"
	args := []any{today}
	if limit > 0 {
		qs += " LIMIT ?"
		args = append(args, limit)
	}
	rows, err := s.query(ctx, qs, args...)
	if err != nil {
		return 0, err
	}
	var days []int64
	for rows.Next() {
		var d int64
		if err := rows.Scan(&d); err != nil {
			rows.Close()
			return 0, err
		}
		days = append(days, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	hook, _ := compactHooks.Load(s)
	done := 0
	for _, day := range days {
		if err := ctx.Err(); err != nil {
			return done, err
		}
		// The generation first, then the rows: a write landing between
		// the two moves the generation past the one the block records.
		var gen int64
		if err := s.row(ctx, "SELECT gen FROM insight_gens WHERE day = ?", day).Scan(&gen); err != nil {
			return done, err
		}
		blocks, err := s.dailyRows(ctx, DailyFilter{From: day, To: day})
		if err != nil {
			return done, err
		}
		cells := joinBlocks(blocks)
		var t DayTotal
		for _, r := range cells {
			t.N, t.Reopened, t.Rated, t.Unsatisfied, t.Resolved = t.N+r.N, t.Reopened+r.Reopened, t.Rated+r.Rated, t.Unsatisfied+r.Unsatisfied, t.Resolved+r.Resolved
		}
		doc := encodeBlock(cells)
		if hook != nil {
			hook.(func(int64))(day)
		}
		if err := s.Write(ctx, func(tx *Tx) error {
			_, err := tx.exec(ctx, "INSERT INTO insight_blocks(day, gen, n, reopened, rated, unsatisfied, resolved, cells, doc) VALUES (?,?,?,?,?,?,?,?,?)"+
				" ON CONFLICT (day) DO UPDATE SET gen = excluded.gen, n = excluded.n, reopened = excluded.reopened, rated = excluded.rated,"+
				" unsatisfied = excluded.unsatisfied, resolved = excluded.resolved, cells = excluded.cells, doc = excluded.doc WHERE insight_blocks.gen < excluded.gen",
				day, gen, t.N, t.Reopened, t.Rated, t.Unsatisfied, t.Resolved, int64(len(cells)), doc)
			return err
		}); err != nil {
			return done, err
		}
		done++
	}
	return done, nil
}

// RunCompactor compacts the finished days every interval (and once at
// once) until ctx ends: a few dozen days a write, so that case writes are
// never held up long.
func (s *Store) RunCompactor(ctx context.Context, every time.Duration, log *slog.Logger) {
	if log == nil {
		log = s.log
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		for {
			n, err := s.CompactDays(ctx, 32)
			if err != nil {
				if ctx.Err() == nil {
					log.Warn("compacting rollup days", "err", err)
				}
				break
			}
			if n == 0 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
