package store

import (
	"context"
	"database/sql"
	"errors"
)

// Request counts by period × category × street for the forecasts (issue
// #16), from the daily rollups. A street's are summed in SQL over its
// index (street_id, day): weeks in one GROUP BY of the week number, months
// one GROUP BY per month over its days. The city's and a district's are
// folded from the day blocks (FoldDaily, the analysis's read path: clean
// finished days from their compact blocks, the others from insight_daily)
// and summed here: a GROUP BY over three years of a ten-million-request
// city's rollups (two million rows) sorts them all and takes 5–10 s on
// SQLite, the fold well under that (docs/BENCHMARKS.md, issue #16).

// CountPeriod is the length of a period: PeriodMonth or PeriodWeek.
type CountPeriod string

// The periods.
const (
	PeriodMonth CountPeriod = "month"
	PeriodWeek  CountPeriod = "week"
)

// CountFilter selects the counts: the periods that begin in From..To
// (days since 1970-01-01, inclusive; From should be a period's first day),
// inside a district or a street (0: the whole city).
type CountFilter struct {
	Period               CountPeriod
	From, To             int64
	DistrictID, StreetID int64
	// MonthStarts are the first days of the months From..To and of the
	// month after (ascending), for PeriodMonth: the store knows no calendar.
	MonthStarts []int64
}

// PeriodCount is the requests of a category in a street (0: not placed in
// a street) in a period: for months the index of its month in MonthStarts,
// for weeks the week number (day + 3) / 7 (weeks from Monday).
type PeriodCount struct {
	Period   int64
	Category string
	StreetID int64
	N        int64
}

// RequestCounts sums the daily rollups by period, category and street.
func (q Queries) RequestCounts(ctx context.Context, f CountFilter) ([]PeriodCount, error) {
	place, args := "", []any{}
	switch {
	case f.StreetID != 0:
		place, args = " AND street_id = ?", []any{f.StreetID}
	case f.DistrictID != 0:
		place, args = " AND district_id = ?", []any{f.DistrictID}
	}
	var out []PeriodCount
	scan := func(period int64, query string, args ...any) error {
		rows, err := q.query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c PeriodCount
			if period >= 0 {
				c.Period = period
				err = rows.Scan(&c.Category, &c.StreetID, &c.N)
			} else {
				err = rows.Scan(&c.Period, &c.Category, &c.StreetID, &c.N)
			}
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	}
	if f.StreetID == 0 && (f.Period == PeriodWeek || (f.Period == PeriodMonth && len(f.MonthStarts) >= 2)) {
		return q.foldCounts(ctx, f)
	}
	switch f.Period {
	case PeriodWeek:
		err := scan(-1, "SELECT (day + 3) / 7, category, street_id, SUM(n) FROM insight_daily WHERE day >= ? AND day <= ?"+place+
			" GROUP BY (day + 3) / 7, category, street_id", append([]any{f.From, f.To + 6}, args...)...)
		return out, err
	case PeriodMonth:
		if len(f.MonthStarts) < 2 {
			return nil, errors.New("store: RequestCounts by month needs the months' first days")
		}
		for i := 0; i+1 < len(f.MonthStarts); i++ {
			if err := scan(int64(i), "SELECT category, street_id, SUM(n) FROM insight_daily WHERE day >= ? AND day < ?"+place+
				" GROUP BY category, street_id", append([]any{f.MonthStarts[i], f.MonthStarts[i+1]}, args...)...); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, errors.New("store: RequestCounts: period is month or week")
}

// MaxDailyDay is the last day with rollups (false: none).
func (q Queries) MaxDailyDay(ctx context.Context) (int64, bool, error) {
	var d sql.NullInt64
	if err := q.row(ctx, "SELECT MAX(day) FROM insight_daily").Scan(&d); err != nil {
		return 0, false, err
	}
	return d.Int64, d.Valid, nil
}

// foldCounts sums the rollups of the city or a district by period,
// category and street through FoldDaily.
func (q Queries) foldCounts(ctx context.Context, f CountFilter) ([]PeriodCount, error) {
	type key struct {
		period int64
		cat    string
		street int64
	}
	from, to := f.From, f.To+6
	if f.Period == PeriodMonth {
		from, to = f.MonthStarts[0], f.MonthStarts[len(f.MonthStarts)-1]-1
	}
	if to < from {
		return nil, nil
	}
	// The month index of each day, for months.
	var monthOf []int32
	if f.Period == PeriodMonth {
		monthOf = make([]int32, to-from+1)
		for i := 0; i+1 < len(f.MonthStarts); i++ {
			for d := max(f.MonthStarts[i], from); d < f.MonthStarts[i+1] && d <= to; d++ {
				monthOf[d-from] = int32(i)
			}
		}
	}
	sums := map[key]int64{}
	err := q.FoldDaily(ctx, DailyFilter{From: from, To: to, DistrictID: f.DistrictID}, func(r *DailyRow) {
		k := key{cat: r.Category, street: r.StreetID}
		if monthOf != nil {
			k.period = int64(monthOf[r.Day-from])
		} else {
			k.period = (r.Day + 3) / 7
		}
		sums[k] += r.N
	})
	if err != nil {
		return nil, err
	}
	out := make([]PeriodCount, 0, len(sums))
	for k, n := range sums {
		if n != 0 {
			out = append(out, PeriodCount{Period: k.period, Category: k.cat, StreetID: k.street, N: n})
		}
	}
	return out, nil
}
