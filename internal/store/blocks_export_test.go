package store

import "context"

// Hooks into the day blocks for the tests of package store_test.

// SetCompactHook makes CompactDays call fn between reading a day and
// writing its block (nil: no hook).
func SetCompactHook(s *Store, fn func(day int64)) {
	if fn == nil {
		compactHooks.Delete(s)
		return
	}
	compactHooks.Store(s, fn)
}

// DailyRowsSQL is DailyRows read from insight_daily alone.
func DailyRowsSQL(ctx context.Context, s *Store, f DailyFilter) ([]DailyRow, error) {
	b, err := s.dailyRowsSQL(ctx, f)
	return joinBlocks(b), err
}

// DailyTotalsSQL is DailyTotals read from insight_daily alone.
func DailyTotalsSQL(ctx context.Context, s *Store, f DailyFilter) ([]DayTotal, error) {
	return s.dailyTotalsSQL(ctx, f)
}

// CleanBlockDays returns the days of from..to that a clean block stands for.
func CleanBlockDays(ctx context.Context, s *Store, from, to int64) ([]int64, error) {
	return s.blockRows(ctx, DailyFilter{From: from, To: to}, func(*DailyRow) {})
}

// EncodeBlock and DecodeBlock are the block encoding.
func EncodeBlock(rows []DailyRow) []byte { return encodeBlock(rows) }

func DecodeBlock(day int64, doc []byte, f DailyFilter, d Dialect) ([]DailyRow, error) {
	var out []DailyRow
	err := decodeBlock(day, doc, blockSelect{f: f, dialect: d}, func(r *DailyRow) { out = append(out, *r) })
	return out, err
}

// SetAfterListing makes DailyRows call fn between listing the clean blocks
// and reading them (nil: nothing).
func SetAfterListing(fn func()) { afterListing = fn }

// DayGen is a day's generation (0: none).
func DayGen(ctx context.Context, t interface{ Fatal(...any) }, s *Store, day int64) int64 {
	var g int64
	if err := s.row(ctx, "SELECT COALESCE(MAX(gen), 0) FROM insight_gens WHERE day = ?", day).Scan(&g); err != nil {
		t.Fatal(err)
	}
	return g
}
