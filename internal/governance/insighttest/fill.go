// Package insighttest fills the daily rollups (insight_daily) from the
// cases in a store, for tests written before the store maintained them.
//
// TEMPORARY: delete this package once the rollups helper's maintenance
// (store RebuildDaily and the incremental rollups) is merged; its callers
// then call that instead.
package insighttest

import (
	"context"
	"database/sql"
	"time"

	"whistle/internal/insight"
	"whistle/internal/lifecycle"
	"whistle/internal/store"
)

// FillDailyFromCasesUntilRollupsMerge replaces insight_daily with the
// rollups of every case in the store (dsn is the store's DSN).
func FillDailyFromCasesUntilRollupsMerge(ctx context.Context, st *store.Store, dsn string) error {
	cs, err := st.LightCases(ctx, store.LightFilter{From: time.Unix(0, 0), To: time.Now().AddDate(50, 0, 0)})
	if err != nil {
		return err
	}
	type key struct {
		day              int64
		cat              string
		d, s, c, g, unit int64
	}
	type sums struct{ n, reopened, rated, unsat, resolved int64 }
	agg := map[key]*sums{}
	for _, c := range cs {
		k := key{int64(insight.DayOf(c.CreatedAt)), c.Category, c.Location.DistrictID, c.Location.StreetID, c.Location.CommunityID, c.Location.GridID, c.LeadUnitID}
		a := agg[k]
		if a == nil {
			a = &sums{}
			agg[k] = a
		}
		a.n++
		if c.Satisfaction != "" {
			a.rated++
		}
		if c.Satisfaction == lifecycle.Unsatisfied {
			a.unsat++
			if c.ReopenCount > 0 {
				a.reopened++
			}
		}
		if c.Resolved != nil && *c.Resolved {
			a.resolved++
		}
	}
	var db *sql.DB
	ph := func(i int) string { return "?" }
	if store.IsPostgres(dsn) {
		db, err = sql.Open("pgx", dsn)
		ph = func(i int) string { return "$" + string(rune('0'+i/10)) + string(rune('0'+i%10)) }
	} else {
		db, err = sql.Open("sqlite", "file:"+dsn+"?_pragma=busy_timeout(10000)")
	}
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "DELETE FROM insight_daily"); err != nil {
		return err
	}
	q := "INSERT INTO insight_daily(day, category, district_id, street_id, community_id, grid_id, unit_id, n, reopened, rated, unsatisfied, resolved) VALUES ("
	for i := 1; i <= 12; i++ {
		if i > 1 {
			q += ","
		}
		q += ph(i)
	}
	q += ")"
	for k, a := range agg {
		if _, err := tx.ExecContext(ctx, q, k.day, k.cat, k.d, k.s, k.c, k.g, k.unit, a.n, a.reopened, a.rated, a.unsat, a.resolved); err != nil {
			return err
		}
	}
	return tx.Commit()
}
