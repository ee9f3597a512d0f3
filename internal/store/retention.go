package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"whistle/internal/errs"
	"whistle/internal/lifecycle"
)

// Retention (issue #11): closed cases older than the retention period are
// anonymised once. These queries read the cases due and write their
// anonymised form; what is erased is decided by the retention service.

// CasesToAnonymise returns up to limit closed cases closed before cutoff
// that are not anonymised yet, oldest first (locked on PostgreSQL when
// called in a write transaction).
func (q Queries) CasesToAnonymise(ctx context.Context, cutoff time.Time, limit int) ([]*lifecycle.Case, error) {
	rows, err := q.query(ctx, caseSelect+" WHERE c.anonymised_at = 0 AND c.closed_at > 0 AND c.closed_at < ? AND c.is_open = 0 ORDER BY c.closed_at, c.id LIMIT ?"+q.forUpdate(),
		ms(cutoff), limit)
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

// CountToAnonymise counts the cases CasesToAnonymise would return without
// a limit (for a dry run).
func (q Queries) CountToAnonymise(ctx context.Context, cutoff time.Time) (int, error) {
	var n int
	err := q.row(ctx, "SELECT COUNT(*) FROM cases WHERE anonymised_at = 0 AND closed_at > 0 AND closed_at < ? AND is_open = 0", ms(cutoff)).Scan(&n)
	return n, err
}

// SaveAnonymisedCase writes c's anonymised document and marks it
// anonymised at `at`: the citizen's name, phone and phone hash columns are
// set to empty strings whatever c holds. prevVersion guards against a concurrent
// change (errs.Conflict); c.Version is the new version.
func (q Queries) SaveAnonymisedCase(ctx context.Context, c *lifecycle.Case, prevVersion int64, at time.Time) error {
	doc, err := q.caseDoc(c)
	if err != nil {
		return err
	}
	res, err := q.exec(ctx, "UPDATE cases SET citizen_name = '', citizen_phone = '', phone_hash = '', doc = ?, seal_key = ?, version = ?, anonymised_at = ? WHERE id = ? AND version = ? AND anonymised_at = 0",
		doc, q.sealKey(), c.Version, ms(at), c.ID, prevVersion)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E(errs.Conflict)
	}
	return nil
}

// RewriteEventDoc replaces an event's document (actor, note, data,
// attachments) with e's: used only to erase personal data from the events
// of an anonymised case. Nothing else about the event changes.
func (q Queries) RewriteEventDoc(ctx context.Context, e *lifecycle.Event) error {
	ed, err := EncodeEvent(e)
	if err != nil {
		return err
	}
	doc, err := q.eventDoc(ed)
	if err != nil {
		return err
	}
	_, err = q.exec(ctx, "UPDATE events SET doc = ?, seal_key = ? WHERE id = ? AND case_id = ?", doc, q.sealKey(), e.ID, e.CaseID)
	return err
}

// DeleteCaseAttachments deletes a case's attachments and returns the disk
// storages ("disk:<path>") they used, for the caller to remove the files
// after the commit when no other attachment uses them.
func (q Queries) DeleteCaseAttachments(ctx context.Context, caseID int64) (disk []string, n int, err error) {
	rows, err := q.query(ctx, "SELECT storage FROM attachments WHERE case_id = ?", caseID)
	if err != nil {
		return nil, 0, err
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return nil, 0, err
		}
		n++
		if s != "db" {
			disk = append(disk, s)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if n == 0 {
		return nil, 0, nil
	}
	_, err = q.exec(ctx, "DELETE FROM attachments WHERE case_id = ?", caseID)
	return disk, n, err
}

// StorageInUse reports whether any attachment still uses storage (files
// are content-addressed, so two attachments may share one).
func (q Queries) StorageInUse(ctx context.Context, storage string) (bool, error) {
	var n int
	err := q.row(ctx, "SELECT COUNT(*) FROM attachments WHERE storage = ?", storage).Scan(&n)
	return n > 0, err
}

// AnonymisedAt returns when a case was anonymised (zero if it was not).
func (q Queries) AnonymisedAt(ctx context.Context, caseID int64) (time.Time, error) {
	var v int64
	err := q.row(ctx, "SELECT anonymised_at FROM cases WHERE id = ?", caseID).Scan(&v)
	return fromMS(v), notFound(err)
}

// AnonymiseCaseRecords erases what other records keep of an anonymised
// case, inside the case's transaction: its exemption requests' reason,
// evidence and decision note are rewritten by redact and their attachment
// rows deleted (their disk storages returned, for the caller to remove
// after the commit as for the case's own); its idempotency keys are
// deleted (the key and the request hash — a hash of the request with the
// caller's phone — link the caller's retries).
func (q Queries) AnonymiseCaseRecords(ctx context.Context, caseID int64, redact func(string) string) (disk []string, exemptions, keys int, err error) {
	type exemption struct {
		id                     int64
		reason, evidence, note string
		att                    string
	}
	rows, err := q.query(ctx, "SELECT id, reason, evidence, decision_note, attachments FROM assess_exemptions WHERE case_id = ? ORDER BY id", caseID)
	if err != nil {
		return nil, 0, 0, err
	}
	var xs []exemption
	for rows.Next() {
		var x exemption
		if err := rows.Scan(&x.id, &x.reason, &x.evidence, &x.note, &x.att); err != nil {
			rows.Close()
			return nil, 0, 0, err
		}
		xs = append(xs, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, 0, err
	}
	for _, x := range xs {
		for _, s := range splitList(x.att) {
			id, perr := strconv.ParseInt(s, 10, 64)
			if perr != nil {
				continue
			}
			var storage string
			switch err := q.row(ctx, "SELECT storage FROM attachments WHERE id = ?", id).Scan(&storage); {
			case errors.Is(err, sql.ErrNoRows):
				continue
			case err != nil:
				return nil, 0, 0, err
			}
			if _, err := q.exec(ctx, "DELETE FROM attachments WHERE id = ?", id); err != nil {
				return nil, 0, 0, err
			}
			if storage != "db" {
				disk = append(disk, storage)
			}
		}
		if _, err := q.exec(ctx, "UPDATE assess_exemptions SET reason = ?, evidence = ?, decision_note = ?, attachments = '' WHERE id = ?",
			redact(x.reason), redact(x.evidence), redact(x.note), x.id); err != nil {
			return nil, 0, 0, err
		}
		exemptions++
	}
	res, err := q.exec(ctx, "DELETE FROM idempotency WHERE case_id = ?", caseID)
	if err != nil {
		return nil, 0, 0, err
	}
	n, _ := res.RowsAffected()
	return disk, exemptions, int(n), nil
}

// WhistlesClosedAfter returns, oldest first, at most limit whistles closed
// before `to` and after the position (closedAt, id) in the order of
// closing time and id: their ids and closing times.
func (q Queries) WhistlesClosedAfter(ctx context.Context, closedAt time.Time, id int64, to time.Time, limit int) ([]int64, []time.Time, error) {
	rows, err := q.query(ctx, "SELECT id, closed_at FROM whistles WHERE closed_at > 0 AND closed_at < ? AND (closed_at > ? OR (closed_at = ? AND id > ?)) ORDER BY closed_at, id LIMIT ?"+q.forUpdate(),
		ms(to), ms(closedAt), ms(closedAt), id, limit)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var ids []int64
	var ats []time.Time
	for rows.Next() {
		var id, at int64
		if err := rows.Scan(&id, &at); err != nil {
			return nil, nil, err
		}
		ids, ats = append(ids, id), append(ats, fromMS(at))
	}
	return ids, ats, rows.Err()
}

// WhistlesOfCase returns the ids of the whistles raised from a case.
func (q Queries) WhistlesOfCase(ctx context.Context, caseID int64) ([]int64, error) {
	rows, err := q.query(ctx, "SELECT id FROM whistles WHERE ',' || case_ids || ',' LIKE ?", "%,"+strconv.FormatInt(caseID, 10)+",%")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// AnonymiseWhistle rewrites every free text of a whistle: its address and
// its departments' arrival places become address(place id) (the place's
// name); its need and summary, the departments' reports and rating notes
// and the notes of its log are rewritten by redact. Everything else (units, kinds, states,
// times, ratings) stays.
func (q Queries) AnonymiseWhistle(ctx context.Context, id int64, redact func(string) string, address func(placeID int64) string) error {
	var need, summary string
	var place int64
	if err := q.row(ctx, "SELECT place_id, need, summary FROM whistles WHERE id = ?", id).Scan(&place, &need, &summary); err != nil {
		return notFound(err)
	}
	if _, err := q.exec(ctx, "UPDATE whistles SET address = ?, need = ?, summary = ? WHERE id = ?", address(place), redact(need), redact(summary), id); err != nil {
		return err
	}
	type report struct {
		unit                 int64
		place, report, notes string
	}
	rows, err := q.query(ctx, "SELECT unit_id, arrived_place, report, rating_note FROM whistle_reports WHERE whistle_id = ?", id)
	if err != nil {
		return err
	}
	var rs []report
	for rows.Next() {
		var r report
		if err := rows.Scan(&r.unit, &r.place, &r.report, &r.notes); err != nil {
			rows.Close()
			return err
		}
		rs = append(rs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range rs {
		arrived := ""
		if r.place != "" {
			arrived = address(place)
		}
		if _, err := q.exec(ctx, "UPDATE whistle_reports SET arrived_place = ?, report = ?, rating_note = ? WHERE whistle_id = ? AND unit_id = ?",
			arrived, redact(r.report), redact(r.notes), id, r.unit); err != nil {
			return err
		}
	}
	rows, err = q.query(ctx, "SELECT id, note FROM whistle_log WHERE whistle_id = ? AND note <> ''", id)
	if err != nil {
		return err
	}
	notes := map[int64]string{}
	for rows.Next() {
		var lid int64
		var note string
		if err := rows.Scan(&lid, &note); err != nil {
			rows.Close()
			return err
		}
		notes[lid] = note
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for lid, note := range notes {
		if r := redact(note); r != note {
			if _, err := q.exec(ctx, "UPDATE whistle_log SET note = ? WHERE id = ?", r, lid); err != nil {
				return err
			}
		}
	}
	return nil
}

// AnonymisePropertyRatings erases the rater's trace from up to limit
// residents' property ratings given before cutoff (issue #15's ratings:
// retention had missed them): the phone hash becomes "anon:<id>" — still
// unique, so the one-rating-a-quarter key holds, and no longer the same
// for two ratings by one phone — and the comment goes through redact. The
// score, compound, unit and quarter stay for the rankings. It returns how
// many it changed; anonymised ratings are not touched again.
func (q Queries) AnonymisePropertyRatings(ctx context.Context, cutoff time.Time, limit int, redact func(string) string) (int, error) {
	rows, err := q.query(ctx, "SELECT id, comment FROM property_ratings WHERE created_at < ? AND phone_hash NOT LIKE 'anon:%' ORDER BY id LIMIT ?"+q.forUpdate(), ms(cutoff), limit)
	if err != nil {
		return 0, err
	}
	type rating struct {
		id      int64
		comment string
	}
	var todo []rating
	for rows.Next() {
		var r rating
		if err := rows.Scan(&r.id, &r.comment); err != nil {
			rows.Close()
			return 0, err
		}
		todo = append(todo, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, r := range todo {
		if _, err := q.exec(ctx, "UPDATE property_ratings SET phone_hash = ?, comment = ? WHERE id = ?", "anon:"+strconv.FormatInt(r.id, 10), redact(r.comment), r.id); err != nil {
			return 0, err
		}
	}
	return len(todo), nil
}
