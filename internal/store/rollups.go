package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"whistle/internal/insight"
	"whistle/internal/lifecycle"
)

// Daily rollups (insight_daily) kept in step with the cases: every case
// write adds the case's contribution and, on an update, subtracts the one
// it had, in the same transaction. An update that leaves the contribution
// alone (most of them: a signature, a contact, a reply) costs no statement.
// A row whose count falls to zero is deleted, so the table holds only days,
// places, categories and units that have requests.

// DailyOf is a case's contribution to the rollups: its row with N = 1.
func DailyOf(c *lifecycle.Case) DailyRow {
	l := c.Location
	r := DailyRow{
		Day: int64(insight.DayOf(c.CreatedAt)), Category: c.Category,
		DistrictID: l.DistrictID, StreetID: l.StreetID, CommunityID: l.CommunityID, GridID: l.GridID,
		UnitID: c.LeadUnitID, N: 1,
	}
	if c.ReopenCount > 0 {
		r.Reopened = 1
	}
	if c.Satisfaction != "" {
		r.Rated = 1
	}
	if c.Satisfaction == lifecycle.Unsatisfied {
		r.Unsatisfied = 1
	}
	if c.Resolved != nil && *c.Resolved {
		r.Resolved = 1
	}
	return r
}

// sameKey reports whether two rows have the same key.
func (r DailyRow) sameKey(o DailyRow) bool {
	return r.Day == o.Day && r.Category == o.Category && r.DistrictID == o.DistrictID && r.StreetID == o.StreetID &&
		r.CommunityID == o.CommunityID && r.GridID == o.GridID && r.UnitID == o.UnitID
}

const (
	dailyCols  = "day, category, district_id, street_id, community_id, grid_id, unit_id, n, reopened, rated, unsatisfied, resolved"
	dailyKey   = "day = ? AND category = ? AND district_id = ? AND street_id = ? AND community_id = ? AND grid_id = ? AND unit_id = ?"
	dailyMarks = "(?,?,?,?,?,?,?,?,?,?,?,?)"
	dailyAdd   = " ON CONFLICT (day, category, district_id, street_id, community_id, grid_id, unit_id) DO UPDATE SET n = insight_daily.n + excluded.n, reopened = insight_daily.reopened + excluded.reopened, rated = insight_daily.rated + excluded.rated, unsatisfied = insight_daily.unsatisfied + excluded.unsatisfied, resolved = insight_daily.resolved + excluded.resolved"
)

func (r DailyRow) key() []any {
	return []any{r.Day, r.Category, r.DistrictID, r.StreetID, r.CommunityID, r.GridID, r.UnitID}
}

func (r DailyRow) args() []any {
	return append(r.key(), r.N, r.Reopened, r.Rated, r.Unsatisfied, r.Resolved)
}

// syncDaily moves a case's contribution from prev's (nil for a new case)
// to c's: nothing when they are equal, one statement when only the counts
// change, else two or three (the old row shrinks or goes, the new one
// grows or comes).
func (q Queries) syncDaily(ctx context.Context, c, prev *lifecycle.Case) error {
	now := DailyOf(c)
	if d, ok := q.q.(dailyDeferrer); ok {
		p := d.pending()
		if prev == nil {
			p.add(now) // stored just before the commit (pendingDaily)
			return nil
		}
		// A case created in this transaction and changed in it (a new
		// case dispatched at once): its contribution is still pending,
		// and moves there.
		if old := DailyOf(prev); old == now || p.move(old, now) {
			return nil
		}
	}
	if prev == nil {
		if err := q.addDaily(ctx, now); err != nil {
			return err
		}
		return q.touchDays(ctx, now.Day)
	}
	old := DailyOf(prev)
	if old == now {
		return nil
	}
	if err := q.touchDays(ctx, old.Day, now.Day); err != nil {
		return err
	}
	if old.sameKey(now) {
		_, err := q.exec(ctx, "UPDATE insight_daily SET reopened = reopened + ?, rated = rated + ?, unsatisfied = unsatisfied + ?, resolved = resolved + ? WHERE "+dailyKey,
			append([]any{now.Reopened - old.Reopened, now.Rated - old.Rated, now.Unsatisfied - old.Unsatisfied, now.Resolved - old.Resolved}, now.key()...)...)
		return err
	}
	// A row counting one request is this case's alone: it goes. Otherwise
	// the case's share is taken off it.
	res, err := q.exec(ctx, "DELETE FROM insight_daily WHERE "+dailyKey+" AND n = 1", old.key()...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		if _, err := q.exec(ctx, "UPDATE insight_daily SET n = n - 1, reopened = reopened - ?, rated = rated - ?, unsatisfied = unsatisfied - ?, resolved = resolved - ? WHERE "+dailyKey,
			append([]any{old.Reopened, old.Rated, old.Unsatisfied, old.Resolved}, old.key()...)...); err != nil {
			return err
		}
	}
	return q.addDaily(ctx, now)
}

// touchDays moves the generation of each day on (see blocks.go): the
// day's block, if it has one, no longer stands for its rows. Every change
// of insight_daily goes with it, in the same transaction. The days must be
// distinct except for a repeat of the first (an update that stays on its
// day).
//
// A day that has not ended (by this node's clock) has no block and gets
// none before compactLag after its end (CompactDays), so its generation is
// only made, never moved: every request of the day writes today's rollups,
// and on PostgreSQL an update of the one generation row of the day would
// make all concurrent writers queue on its row lock until each commits.
func (q Queries) touchDays(ctx context.Context, days ...int64) error {
	if len(days) == 2 && days[0] == days[1] {
		days = days[:1]
	}
	var ended, open []int64
	for _, d := range days {
		if touchOf(d) == touchEnded {
			ended = append(ended, d)
		} else {
			open = append(open, d)
		}
	}
	for _, part := range []struct {
		days     []int64
		conflict string
	}{{ended, touchEnded}, {open, touchOpen}} {
		days := part.days
		for len(days) > 0 {
			n := min(len(days), dailyChunk)
			args := make([]any, n)
			for i, d := range days[:n] {
				args[i] = d
			}
			if _, err := q.exec(ctx, "INSERT INTO insight_gens(day, gen) VALUES "+strings.TrimSuffix(strings.Repeat("(?, 1),", n), ",")+part.conflict, args...); err != nil {
				return err
			}
			days = days[n:]
		}
	}
	return nil
}

// The conflict clauses of touchDays: an ended day's generation moves on,
// an open day's is only made.
const (
	touchEnded = " ON CONFLICT (day) DO UPDATE SET gen = insight_gens.gen + 1"
	touchOpen  = " ON CONFLICT (day) DO NOTHING"
)

// touchOf is the conflict clause of day's generation: a day that has not
// ended by this node's clock only makes it (touchDays).
func touchOf(day int64) string {
	if day < int64(insight.DayOf(time.Now())) {
		return touchEnded
	}
	return touchOpen
}

func (q Queries) addDaily(ctx context.Context, r DailyRow) error {
	_, err := q.exec(ctx, "INSERT INTO insight_daily("+dailyCols+") VALUES "+dailyMarks+dailyAdd, r.args()...)
	return err
}

// dailyChunk is how many rows one INSERT of InsertDailyRows carries (12
// parameters each, well under both dialects' limits).
const dailyChunk = 500

// InsertDailyRows adds rows to the rollups (added to a row of the same key
// if there is one), in multi-row statements: a bulk load for benchmarks,
// tests and imports. Run it in a write transaction for speed.
func (q Queries) InsertDailyRows(ctx context.Context, rows []DailyRow) error {
	var days []int64
	seen := map[int64]bool{}
	for _, r := range rows {
		if !seen[r.Day] {
			seen[r.Day] = true
			days = append(days, r.Day)
		}
	}
	if err := q.touchDays(ctx, days...); err != nil {
		return err
	}
	for len(rows) > 0 {
		n := min(len(rows), dailyChunk)
		marks := strings.TrimSuffix(strings.Repeat(dailyMarks+",", n), ",")
		args := make([]any, 0, 12*n)
		for _, r := range rows[:n] {
			args = append(args, r.args()...)
		}
		if _, err := q.exec(ctx, "INSERT INTO insight_daily("+dailyCols+") VALUES "+marks+dailyAdd, args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// RebuildDaily recomputes the rollups from the cases in one write
// transaction, with the statement of the backfill migration
// (0019_insight_backfill.sql): for a store whose rollups are missing or
// suspected wrong. Case writes wait while it runs.
func (s *Store) RebuildDaily(ctx context.Context) error {
	backfill, err := dailyBackfill(s.dialect)
	if err != nil {
		return err
	}
	return s.Write(ctx, func(tx *Tx) error {
		// Every day that has or had rows has a generation: all move on,
		// and the days that only the backfill brings get one.
		if _, err := tx.exec(ctx, "UPDATE insight_gens SET gen = gen + 1"); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "DELETE FROM insight_daily"); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, backfill); err != nil {
			return err
		}
		_, err := tx.exec(ctx, "INSERT INTO insight_gens(day, gen) SELECT DISTINCT day, 1 FROM insight_daily WHERE true ON CONFLICT (day) DO NOTHING")
		return err
	})
}

const backfillMigration = "0019_insight_backfill.sql"

// dailyBackfill is the INSERT ... SELECT of the backfill migration.
func dailyBackfill(d Dialect) (string, error) {
	body, err := migrations.ReadFile("migrations/" + d.String() + "/" + backfillMigration)
	if err != nil {
		return "", err
	}
	for _, stmt := range strings.Split(string(body), ";") {
		var lines []string
		for _, l := range strings.Split(stmt, "\n") {
			if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "--") {
				lines = append(lines, l)
			}
		}
		if s := strings.Join(lines, "\n"); strings.HasPrefix(s, "INSERT INTO insight_daily") {
			return s, nil
		}
	}
	return "", fmt.Errorf("store: %s has no INSERT INTO insight_daily", backfillMigration)
}

// pendingDaily is the SQLite writer's rollup increments of a group commit's
// new cases, summed per key: the batch stores them with one upsert per
// distinct key and one touch of their days, in its own transaction just
// before the commit, where each create used to run two statements of its
// own. The counts stay exact and commit or roll back
// with the cases they count. Any statement of the batch that names a
// rollup table (an update moving a case's contribution, a read) first
// stores them (beforeRollups), so that it sees the rows as they would be
// without the wait.
type pendingDaily struct {
	rows  map[dailyKeyOf]int // index in order
	order []DailyRow
}

type dailyKeyOf struct {
	day                                       int64
	category                                  string
	district, street, community, grid, unitID int64
}

func (p *pendingDaily) add(r DailyRow) {
	k := dailyKeyOf{r.Day, r.Category, r.DistrictID, r.StreetID, r.CommunityID, r.GridID, r.UnitID}
	if p.rows == nil {
		p.rows = make(map[dailyKeyOf]int)
	}
	if i, ok := p.rows[k]; ok {
		o := &p.order[i]
		o.N += r.N
		o.Reopened += r.Reopened
		o.Rated += r.Rated
		o.Unsatisfied += r.Unsatisfied
		o.Resolved += r.Resolved
		return
	}
	p.rows[k] = len(p.order)
	p.order = append(p.order, r)
}

// move takes old's counts off the pending row of old's key and adds now:
// false (nothing changed) when no pending row of that key holds at least
// old's counts. The sums are what the statements would leave: whichever
// pending case of the key the counts came from, the stored rows plus the
// pending ones are the same. A pending row left at zero is not stored.
func (p *pendingDaily) move(old, now DailyRow) bool {
	k := dailyKeyOf{old.Day, old.Category, old.DistrictID, old.StreetID, old.CommunityID, old.GridID, old.UnitID}
	i, ok := p.rows[k]
	if !ok {
		return false
	}
	o := &p.order[i]
	if o.N < old.N || o.Reopened < old.Reopened || o.Rated < old.Rated || o.Unsatisfied < old.Unsatisfied || o.Resolved < old.Resolved ||
		(o.N == old.N && (o.Reopened != old.Reopened || o.Rated != old.Rated || o.Unsatisfied != old.Unsatisfied || o.Resolved != old.Resolved)) {
		return false
	}
	o.N, o.Reopened, o.Rated, o.Unsatisfied, o.Resolved = o.N-old.N, o.Reopened-old.Reopened, o.Rated-old.Rated, o.Unsatisfied-old.Unsatisfied, o.Resolved-old.Resolved
	p.add(now)
	return true
}

// dropDaily forgets the increments of a write that failed (its
// transaction or savepoint is rolled back).
func (b *batchTx) dropDaily() {
	clear(b.daily.rows)
	b.daily.order = b.daily.order[:0]
}

// beforeRollups stores the pending increments before a statement on a
// rollup table (insight_daily, insight_gens, or any insight_ table).
func (b *batchTx) beforeRollups(ctx context.Context, query string) error {
	if err := b.beforeNumbers(ctx, query); err != nil {
		return err
	}
	if len(b.daily.order) == 0 || !strings.Contains(query, "insight_") {
		return nil
	}
	return b.flushDaily(ctx)
}

// dailyDeferrer is a write transaction that keeps its new cases' rollup
// increments (pendingDaily) and stores them just before its commit: the
// SQLite writer's group commit, and a PostgreSQL write (pgWriteTx).
type dailyDeferrer interface{ pending() *pendingDaily }

func (b *batchTx) pending() *pendingDaily { return &b.daily }

// flushDaily stores the pending increments: the days' generations move
// on (touchDays), then one upsert per chunk of distinct keys.
func (b *batchTx) flushDaily(ctx context.Context) error {
	rows := b.daily.order
	if len(rows) == 0 {
		return nil
	}
	b.dropDaily() // the statements below name insight_: no recursion
	return storeDaily(ctx, Queries{q: b, dialect: SQLite, inTx: true}, rows)
}

// storeDaily stores summed increments: their days' generations, then one
// upsert a key.
func storeDaily(ctx context.Context, q Queries, rows []DailyRow) error {
	rows = slices.DeleteFunc(rows, func(r DailyRow) bool { return r.N == 0 }) // moved away whole (pendingDaily.move)
	var days []int64
	for _, r := range rows {
		if !slices.Contains(days, r.Day) {
			days = append(days, r.Day)
		}
	}
	if q.dialect == Postgres && len(days) == 1 {
		// The day's touch and its first row in one statement (a
		// PostgreSQL write's new case: one day, one key), one round trip
		// less on every create. The upsert is a CTE the main query does
		// not read, which PostgreSQL runs after it: the generation row
		// first, then the rollup row, as two statements took them.
		if _, err := q.exec(ctx, "WITH d AS (INSERT INTO insight_daily("+dailyCols+") VALUES "+dailyMarks+dailyAdd+") INSERT INTO insight_gens(day, gen) VALUES (?, 1)"+touchOf(days[0]),
			append(rows[0].args(), days[0])...); err != nil {
			return err
		}
		rows = rows[1:]
	} else if err := q.touchDays(ctx, days...); err != nil {
		return err
	}
	// One single-row upsert per distinct key, not a multi-row one: an
	// upsert of several rows may fail half-way, so SQLite keeps a
	// statement journal for it (a copy of every page it first changes,
	// spilled to a temporary file), which cost more than the statements
	// it saved.
	for _, r := range rows {
		if err := q.addDaily(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// pgWriteTx is a PostgreSQL write transaction that stores its new cases'
// rollup increments just before its commit (pgTx). Every request of a day
// in one category and place adds to the same insight_daily row, whose row
// lock its transaction then holds until it commits: taken at the case's
// insert, it made concurrent requests queue behind each other's remaining
// statements, not just their commits. Like the SQLite batch, any statement
// naming a rollup table first stores them (a read of the rollups in the
// same transaction sees them), and the keys are stored in one order, so two
// transactions never take the same rows' locks crosswise.
type pgWriteTx struct {
	tx    *sql.Tx
	daily pendingDaily
}

func (p *pgWriteTx) pending() *pendingDaily { return &p.daily }

func (p *pgWriteTx) flush(ctx context.Context, query string) error {
	if len(p.daily.order) == 0 || (query != "" && !strings.Contains(query, "insight_")) {
		return nil
	}
	rows := p.daily.order
	p.daily = pendingDaily{} // the statements below name insight_: no recursion
	slices.SortFunc(rows, func(a, b DailyRow) int {
		return cmp.Or(cmp.Compare(a.Day, b.Day), strings.Compare(a.Category, b.Category), cmp.Compare(a.DistrictID, b.DistrictID),
			cmp.Compare(a.StreetID, b.StreetID), cmp.Compare(a.CommunityID, b.CommunityID), cmp.Compare(a.GridID, b.GridID), cmp.Compare(a.UnitID, b.UnitID))
	})
	return storeDaily(ctx, Queries{q: p, dialect: Postgres, inTx: true}, rows)
}

func (p *pgWriteTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := p.flush(ctx, query); err != nil {
		return nil, err
	}
	return p.tx.ExecContext(ctx, query, args...)
}

func (p *pgWriteTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := p.flush(ctx, query); err != nil {
		return nil, err
	}
	return p.tx.QueryContext(ctx, query, args...)
}

func (p *pgWriteTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if err := p.flush(ctx, query); err != nil {
		return failedRow(ctx, p.tx, query, args...) // the write fails whole
	}
	return p.tx.QueryRowContext(ctx, query, args...)
}
