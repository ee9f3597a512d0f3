package store

import (
	"context"
	"database/sql"
	"time"

	"whistle/internal/grid"
)

// PatrolsForLedger lists the patrols of grids started in [from, to), by
// start (issue #15, 一本台账: #5's records as a ledger's source).
func (q Queries) PatrolsForLedger(ctx context.Context, gridIDs []int64, from, to time.Time) ([]grid.Patrol, error) {
	out := []grid.Patrol{}
	if len(gridIDs) == 0 {
		return out, nil
	}
	args := []any{ms(from), ms(to)}
	for _, id := range gridIDs {
		args = append(args, id)
	}
	err := q.scanRows(ctx, "SELECT "+patrolCols+" FROM patrols WHERE started_at >= ? AND started_at < ? AND grid_id IN ("+marks(len(gridIDs))+") ORDER BY started_at, id",
		args, func(r *sql.Rows) error {
			p, err := scanPatrol(r)
			out = append(out, p)
			return err
		})
	return out, err
}
