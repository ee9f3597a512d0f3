package store

import (
	"context"
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
