// Package proactivetest plants a history of requests in the daily rollups
// (insight_daily) for the tests of 未诉先办 (governance, api, web). It
// writes the table directly, through its own connection, because the
// rollups were not yet maintained by the case writes when these tests were
// written; once they are, tests may create cases through the services
// instead. Test code only.
package proactivetest

import (
	"database/sql"
	"strconv"
	"testing"
	"time"

	"whistle/internal/insight"
	"whistle/internal/store"
)

// Street is where rows are planted: a street with its district and the
// unit that handled its requests.
type Street struct{ DistrictID, StreetID, UnitID int64 }

// Winter reports whether d is in the planted heating season (1 November to
// 15 March).
func Winter(d insight.Day) bool {
	t := d.Time()
	m := t.Month()
	return m >= time.November || m <= time.February || (m == time.March && t.Day() <= 15)
}

// History is one row per week (on each Wednesday) from..to for every street:
// flatPerWeek requests of each of the flat categories, and, in the streets
// of heat, heat[street] requests of heating each winter week (none
// otherwise).
func History(from, to insight.Day, streets []Street, flat []string, flatPerWeek int, heating string, heat map[int64]int) []store.DailyRow {
	var out []store.DailyRow
	for d := from; d <= to; d++ {
		if d.Time().Weekday() != time.Wednesday {
			continue
		}
		for _, s := range streets {
			row := store.DailyRow{Day: int64(d), DistrictID: s.DistrictID, StreetID: s.StreetID, UnitID: s.UnitID}
			for _, c := range flat {
				r := row
				r.Category, r.N = c, int64(flatPerWeek)
				out = append(out, r)
			}
			if n := heat[s.StreetID]; n > 0 && Winter(d) {
				r := row
				r.Category, r.N = heating, int64(n)
				out = append(out, r)
			}
		}
	}
	return out
}

// InsertDailyRowsDirectly writes rows into insight_daily of the database
// at dsn (SQLite file path or PostgreSQL URL), in one transaction.
func InsertDailyRowsDirectly(t testing.TB, dsn string, rows []store.DailyRow) {
	t.Helper()
	var db *sql.DB
	var err error
	ph := func(i int) string { return "?" }
	if store.IsPostgres(dsn) {
		db, err = sql.Open("pgx", dsn)
		ph = func(i int) string { return "$" + strconv.Itoa(i) }
	} else {
		db, err = sql.Open("sqlite", "file:"+dsn+"?_pragma=busy_timeout(10000)")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q := "INSERT INTO insight_daily(day, category, district_id, street_id, community_id, grid_id, unit_id, n, reopened, rated, unsatisfied, resolved) VALUES ("
	for i := 1; i <= 12; i++ {
		if i > 1 {
			q += ","
		}
		q += ph(i)
	}
	q += ")"
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	stmt, err := tx.Prepare(q)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if _, err := stmt.Exec(r.Day, r.Category, r.DistrictID, r.StreetID, r.CommunityID, r.GridID, r.UnitID, r.N, r.Reopened, r.Rated, r.Unsatisfied, r.Resolved); err != nil {
			t.Fatal(err)
		}
	}
	stmt.Close()
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}
