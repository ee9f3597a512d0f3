package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"whistle/internal/dutylist"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

const dutySelect = "SELECT version, name, status, rules, created_by, created_at, updated_at, published_by, published_at FROM duty_lists"

func scanDuty(sc interface{ Scan(...any) error }) (*dutylist.Stored, error) {
	var l dutylist.Stored
	var rules string
	var c, u, p int64
	if err := sc.Scan(&l.Version, &l.Name, &l.Status, &rules, &l.CreatedBy, &c, &u, &l.PublishedBy, &p); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(rules), &l.Rules); err != nil {
		return nil, fmt.Errorf("store: duty list %d: %w", l.Version, err)
	}
	l.CreatedAt, l.UpdatedAt = fromMS(c), fromMS(u)
	if p != 0 {
		l.PublishedAt = fromMS(p)
	}
	return &l, nil
}

// InsertDutyList stores a new draft and sets its version.
func (q Queries) InsertDutyList(ctx context.Context, l *dutylist.Stored) error {
	rules, err := json.Marshal(l.Rules)
	if err != nil {
		return err
	}
	l.Status = dutylist.Draft
	return q.row(ctx, "INSERT INTO duty_lists(name, status, rules, created_by, created_at, updated_at) VALUES (?,?,?,?,?,?) RETURNING version",
		l.Name, l.Status, string(rules), l.CreatedBy, ms(l.CreatedAt), ms(l.UpdatedAt)).Scan(&l.Version)
}

// UpdateDutyList replaces a draft's name and rules; a published version
// cannot change (errs.Conflict).
func (q Queries) UpdateDutyList(ctx context.Context, l *dutylist.Stored) error {
	rules, err := json.Marshal(l.Rules)
	if err != nil {
		return err
	}
	res, err := q.exec(ctx, "UPDATE duty_lists SET name = ?, rules = ?, updated_at = ? WHERE version = ? AND status = ?",
		l.Name, string(rules), ms(l.UpdatedAt), l.Version, dutylist.Draft)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.D(errs.Conflict, "only a draft can change")
	}
	return nil
}

// PublishDutyList makes a draft the version in force.
func (q Queries) PublishDutyList(ctx context.Context, version, by int64, at time.Time) error {
	res, err := q.exec(ctx, "UPDATE duty_lists SET status = ?, published_by = ?, published_at = ?, updated_at = ? WHERE version = ? AND status = ?",
		dutylist.Published, by, ms(at), ms(at), version, dutylist.Draft)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.D(errs.Conflict, "only a draft can be published")
	}
	return nil
}

// DutyListVersion returns a stored version.
func (q Queries) DutyListVersion(ctx context.Context, version int64) (*dutylist.Stored, error) {
	l, err := scanDuty(q.row(ctx, dutySelect+" WHERE version = ?", version))
	return l, notFound(err)
}

// PublishedDutyList returns the version in force: the last published one
// (errs.NotFound when none was ever published).
func (q Queries) PublishedDutyList(ctx context.Context) (*dutylist.Stored, error) {
	l, err := scanDuty(q.row(ctx, dutySelect+" WHERE status = ? ORDER BY published_at DESC, version DESC LIMIT 1", dutylist.Published))
	return l, notFound(err)
}

// DutyLists returns every version, newest first.
func (q Queries) DutyLists(ctx context.Context) ([]dutylist.Stored, error) {
	rows, err := q.query(ctx, dutySelect+" ORDER BY version DESC")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []dutylist.Stored{}
	for rows.Next() {
		l, err := scanDuty(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *l)
	}
	return out, rows.Err()
}

// Queries whose index use routing_internal_test.go checks on both dialects.
const (
	qFinalLeads  = "SELECT lead_unit_id, COUNT(*) FROM cases WHERE is_open = 0 AND street_id = ? AND category = ? AND closed_at >= ? AND state = ? AND lead_unit_id IN "
	qRepeatPhone = "SELECT COUNT(*) FROM (SELECT 1 FROM cases WHERE phone_hash = ? AND phone_hash <> '' AND created_at >= ? AND created_at < ? LIMIT ?) r"
	qRepeatGrid  = "SELECT COUNT(*) FROM (SELECT 1 FROM cases WHERE grid_id = ? AND category = ? AND created_at >= ? AND created_at < ? LIMIT ?) r"
	// A place known only to its community (no grid) is rare: its count
	// walks the district's requests of the window rather than keep one
	// more index on every create.
	qRepeatCommunity = "SELECT COUNT(*) FROM (SELECT 1 FROM cases WHERE district_id = ? AND created_at >= ? AND created_at < ? AND community_id = ? AND category = ? LIMIT ?) r"
)

func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

// FinalLeadCounts counts, per unit among units, the cases of category in
// street that the unit led to closing since then (the history a routing
// tie is broken with). Uses the partial (street_id, category, closed_at)
// index of closed cases, which creating a request does not touch.
func (q Queries) FinalLeadCounts(ctx context.Context, category string, streetID int64, since time.Time, units []int64) (map[int64]int, error) {
	out := map[int64]int{}
	if len(units) == 0 {
		return out, nil
	}
	args := []any{streetID, category, ms(since), string(lifecycle.Closed)}
	for _, u := range units {
		args = append(args, u)
	}
	rows, err := q.query(ctx, qFinalLeads+"("+marks(len(units))+") GROUP BY lead_unit_id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var u int64
		var n int
		if err := rows.Scan(&u, &n); err != nil {
			return nil, err
		}
		out[u] = n
	}
	return out, rows.Err()
}

// CasesCreated returns up to limit cases created in [from, to), oldest first.
func (q Queries) CasesCreated(ctx context.Context, from, to time.Time, limit int) ([]*lifecycle.Case, error) {
	return q.caseRows(ctx, caseSelect+" WHERE c.created_at >= ? AND c.created_at < ? ORDER BY c.created_at, c.id LIMIT ?", ms(from), ms(to), limit)
}

func (q Queries) caseRows(ctx context.Context, query string, args ...any) ([]*lifecycle.Case, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*lifecycle.Case
	for rows.Next() {
		c, err := q.scanCase(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// OpenCasesIn returns up to limit open cases (in no particular order) in
// one of categories, created since then, in the district (0 = any): the
// candidates a duplicate check scores. Uses the partial (district_id, category, created_at) index.
func (q Queries) OpenCasesIn(ctx context.Context, categories []string, districtID int64, since time.Time, limit int) ([]*lifecycle.Case, error) {
	if len(categories) == 0 {
		return nil, nil
	}
	var args []any
	for _, c := range categories {
		args = append(args, c)
	}
	args = append(args, ms(since))
	if districtID != 0 {
		args = append(args, districtID)
	}
	return q.caseRows(ctx, openCasesSQL(len(categories), districtID != 0), append(args, limit)...)
}

func openCasesSQL(categories int, district bool) string {
	where := "c.is_open = 1 AND c.category IN (" + marks(categories) + ") AND c.created_at >= ?"
	if district {
		where += " AND c.district_id = ?"
	}
	// No ORDER BY: a sort on created_at would draw SQLite to the
	// (district_id, created_at) index and a scan of every case of the
	// district in the window, open or not.
	return caseSelect + " WHERE " + where + " LIMIT ?"
}

// Flags lists the repeat flags.
var Flags = []string{lifecycle.FlagRepeatCaller, lifecycle.FlagRepeatPlace}

// MaxRepeatCount caps repeat counts, so that counting stays cheap however
// busy a caller or a place is.
const MaxRepeatCount = 100

// RepeatCounts counts (up to MaxRepeatCount) the earlier requests in
// [since, before) from the same phone hash, and at the same place (grid, or
// community when there is no grid) in the same category. Each is a range
// of one index: (phone_hash, created_at), (grid_id, category, created_at),
// (district_id, created_at) filtered to the community.
func (q Queries) RepeatCounts(ctx context.Context, phoneHash string, gridID, communityID, districtID int64, category string, since, before time.Time) (caller, place int, err error) {
	if q.dialect == Postgres && phoneHash != "" && (gridID != 0 || communityID != 0) {
		// Both counts in one statement: a round trip (and its share of
		// the server's CPU) less on every create. Each subquery keeps its
		// own plan.
		placeQ, placeArgs := qRepeatGrid, []any{gridID, category, ms(since), ms(before), MaxRepeatCount}
		if gridID == 0 {
			placeQ, placeArgs = qRepeatCommunity, []any{districtID, ms(since), ms(before), communityID, category, MaxRepeatCount}
		}
		err = q.row(ctx, "SELECT ("+qRepeatPhone+"), ("+placeQ+")", append([]any{phoneHash, ms(since), ms(before), MaxRepeatCount}, placeArgs...)...).Scan(&caller, &place)
		return caller, place, err
	}
	if phoneHash != "" {
		if err = q.row(ctx, qRepeatPhone, phoneHash, ms(since), ms(before), MaxRepeatCount).Scan(&caller); err != nil {
			return 0, 0, err
		}
	}
	switch {
	case gridID != 0:
		err = q.row(ctx, qRepeatGrid, gridID, category, ms(since), ms(before), MaxRepeatCount).Scan(&place)
	case communityID != 0:
		err = q.row(ctx, qRepeatCommunity, districtID, ms(since), ms(before), communityID, category, MaxRepeatCount).Scan(&place)
	}
	return caller, place, err
}

// InsertCaseFlag records a flag on a case with its count.
func (q Queries) InsertCaseFlag(ctx context.Context, caseID int64, flag string, n int, at time.Time) error {
	_, err := q.exec(ctx, "INSERT INTO case_flags(case_id, flag, n, created_at) VALUES (?,?,?,?)", caseID, flag, n, ms(at))
	return err
}

// FlagCounts counts flagged cases in scope created in [from, to) (zero
// bounds do not filter), per flag.
func (q Queries) FlagCounts(ctx context.Context, sc org.Scope, from, to time.Time) (map[string]int64, error) {
	where, args := flagWhere(sc, "", from, to)
	rows, err := q.query(ctx, "SELECT f.flag, COUNT(*) FROM case_flags f JOIN cases c ON c.id = f.case_id WHERE "+where+" GROUP BY f.flag", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for _, f := range Flags {
		out[f] = 0
	}
	for rows.Next() {
		var f string
		var n int64
		if err := rows.Scan(&f, &n); err != nil {
			return nil, err
		}
		out[f] = n
	}
	return out, rows.Err()
}

func flagWhere(sc org.Scope, flag string, from, to time.Time) (string, []any) {
	where := []string{"1 = 1"}
	var args []any
	if flag != "" {
		where = append(where, "f.flag = ?")
		args = append(args, flag)
	}
	if !from.IsZero() {
		where = append(where, "f.created_at >= ?")
		args = append(args, ms(from))
	}
	if !to.IsZero() {
		where = append(where, "f.created_at < ?")
		args = append(args, ms(to))
	}
	sw, sargs := scopeSQL(sc)
	return strings.Join(where, " AND ") + sw, append(args, sargs...)
}

// FlaggedCases lists cases in scope carrying flag (or any flag), newest
// first, created in [from, to), continuing after cursor.
func (q Queries) FlaggedCases(ctx context.Context, sc org.Scope, flag string, from, to time.Time, cursor string, limit int) ([]lifecycle.FlaggedCase, string, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	where, args := flagWhere(sc, flag, from, to)
	if cursor != "" {
		var k, id int64
		if _, err := fmt.Sscanf(cursor, "%d.%d", &k, &id); err != nil {
			return nil, "", errs.F(errs.Invalid, "cursor")
		}
		where += " AND (f.created_at < ? OR (f.created_at = ? AND f.case_id < ?))"
		args = append(args, k, k, id)
	}
	rows, err := q.query(ctx, "SELECT f.flag, f.n, f.created_at, c.id, c.citizen_name, c.citizen_phone, c.phone_hash, c.doc FROM case_flags f JOIN cases c ON c.id = f.case_id WHERE "+where+
		" ORDER BY f.created_at DESC, f.case_id DESC, f.flag LIMIT ?", append(args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []lifecycle.FlaggedCase
	var keys []int64
	for rows.Next() {
		var fc lifecycle.FlaggedCase
		var at int64
		var id int64
		var name, phone, hash, doc string
		if err := rows.Scan(&fc.Flag, &fc.Count, &at, &id, &name, &phone, &hash, &doc); err != nil {
			return nil, "", err
		}
		c, err := q.decodeCase(id, name, phone, hash, doc)
		if err != nil {
			return nil, "", err
		}
		fc.Case = c
		out = append(out, fc)
		keys = append(keys, at)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		// a case with both flags must not be split across pages
		cut := limit
		for cut > 0 && out[cut].Case.ID == out[cut-1].Case.ID {
			cut--
		}
		if cut == 0 { // the page is one case's flags: keep them all (the next page may be empty)
			cut = len(out)
		}
		out = out[:cut]
		next = fmt.Sprintf("%d.%d", keys[cut-1], out[cut-1].Case.ID)
	}
	return out, next, nil
}
