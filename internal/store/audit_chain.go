package store

import (
	"context"
	"errors"
	"fmt"

	"whistle/internal/audit"
)

// The audit log is a hash chain (audit.Hash, migration 0011). Entries are
// appended by Tx.Audit inside the transaction of the action they record:
// it locks the chain head row (SELECT … FOR UPDATE on PostgreSQL; SQLite's
// single writer serialises writes by itself), gives the entry the next id
// and the head's hash as prev_hash, inserts it and moves the head. A
// transaction that rolls back takes its entries and its head move with it,
// so the chain stays linear and its ids consecutive. The head lock is held
// until commit: audited writes commit one at a time on PostgreSQL, which is
// why services write their audit entry last.

type chainHead struct {
	id, denseFrom int64
	hash          string
	linked        bool
}

func (q Queries) lockAuditHead(ctx context.Context) (chainHead, error) {
	var h chainHead
	var linked int
	err := q.row(ctx, "SELECT id, hash, dense_from, linked FROM audit_head WHERE one = 1"+q.forUpdate()).Scan(&h.id, &h.hash, &h.denseFrom, &linked)
	h.linked = linked != 0
	return h, err
}

// Audit appends e to the audit log; only in a write transaction. Its ID,
// PrevHash and Hash are set by the chain; At is kept to the millisecond.
func (q Queries) Audit(ctx context.Context, e audit.Entry) error {
	if !q.inTx {
		return errors.New("store: Audit outside a write transaction")
	}
	h, err := q.lockAuditHead(ctx)
	if err != nil {
		return fmt.Errorf("store: audit chain head: %w", err)
	}
	if !h.linked {
		if h, err = q.linkAudit(ctx, h); err != nil {
			return err
		}
	}
	e.ID = h.id + 1
	e.At = fromMS(ms(e.At))
	e.Target, e.Detail = maskPhones(e.Target), maskPhones(e.Detail)
	e.PrevHash = h.hash
	e.Hash = audit.Hash(e, e.PrevHash)
	if _, err := q.exec(ctx, "INSERT INTO audit(id, at, user_id, action, target, detail, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?)",
		e.ID, ms(e.At), e.UserID, e.Action, e.Target, e.Detail, e.PrevHash, e.Hash); err != nil {
		return err
	}
	_, err = q.exec(ctx, "UPDATE audit_head SET id = ?, hash = ? WHERE one = 1", e.ID, e.Hash)
	return err
}

// linkAudit chains the entries written before migration 0011, in id order,
// once: their ids keep their gaps (they came from a sequence), so dense_from
// is set to the newest of them. The head must be locked.
func (q Queries) linkAudit(ctx context.Context, h chainHead) (chainHead, error) {
	const page = 1000
	after, prev := int64(0), ""
	for {
		rows, err := q.query(ctx, "SELECT id, at, user_id, action, target, detail FROM audit WHERE id > ? ORDER BY id LIMIT ?", after, page)
		if err != nil {
			return h, err
		}
		es, err := scanAudit(rows, false)
		if err != nil {
			return h, err
		}
		for _, e := range es {
			e.PrevHash = prev
			e.Hash = audit.Hash(e, prev)
			if _, err := q.exec(ctx, "UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?", e.PrevHash, e.Hash, e.ID); err != nil {
				return h, err
			}
			after, prev = e.ID, e.Hash
		}
		if len(es) < page {
			break
		}
	}
	if _, err := q.exec(ctx, "UPDATE audit_head SET id = ?, hash = ?, dense_from = ?, linked = 1 WHERE one = 1", after, prev, after); err != nil {
		return h, err
	}
	return chainHead{id: after, hash: prev, denseFrom: after, linked: true}, nil
}

// linkAuditOnOpen chains the entries of a database migrated past 0011, so
// that a freshly migrated database verifies (once; a no-op afterwards).
func (s *Store) linkAuditOnOpen(ctx context.Context) error {
	var linked int
	if err := s.writeDB.QueryRowContext(ctx, "SELECT linked FROM audit_head WHERE one = 1").Scan(&linked); err != nil {
		return fmt.Errorf("store: audit chain head: %w", err)
	}
	if linked != 0 {
		return nil
	}
	return s.Write(ctx, func(tx *Tx) error {
		h, err := tx.lockAuditHead(ctx)
		if err != nil || h.linked {
			return err
		}
		_, err = tx.linkAudit(ctx, h)
		return err
	})
}

func scanAudit(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
	Close() error
}, chained bool) ([]audit.Entry, error) {
	defer rows.Close()
	var out []audit.Entry
	for rows.Next() {
		var e audit.Entry
		var at int64
		dst := []any{&e.ID, &at, &e.UserID, &e.Action, &e.Target, &e.Detail}
		if chained {
			dst = append(dst, &e.PrevHash, &e.Hash)
		}
		if err := rows.Scan(dst...); err != nil {
			return nil, err
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// AuditReport is the outcome of VerifyAudit.
type AuditReport struct {
	Entries int64        // entries checked (up to the break, if any)
	HeadID  int64        // the recorded chain head
	Head    string       // its hash: note it down outside the database to anchor the chain
	Break   *audit.Break // the first break, nil when the chain holds
}

// VerifyAudit walks the whole audit log in id order, pageSize entries at a
// time (0 = 5000), and reports the first break in the chain: an entry whose
// fields do not hash to its hash (edited), whose prev_hash is not the hash
// of the entry before it (that one edited, deleted or moved), a gap in the
// consecutive ids (deleted), or a newest entry that is not the recorded
// head (newest entries deleted). It reads in one snapshot on PostgreSQL
// (REPEATABLE READ) and SQLite, so concurrent appends do not look like
// breaks.
func (s *Store) VerifyAudit(ctx context.Context, pageSize int) (AuditReport, error) {
	if pageSize <= 0 {
		pageSize = 5000
	}
	var rep AuditReport
	conn, err := s.readDB.Conn(ctx)
	if err != nil {
		return rep, err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return rep, err
	}
	defer tx.Rollback()
	if s.dialect == Postgres {
		if _, err := tx.ExecContext(ctx, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"); err != nil {
			return rep, err
		}
	}
	q := Queries{q: tx, dialect: s.dialect, ring: s.ring}
	var denseFrom int64
	if err := q.row(ctx, "SELECT id, hash, dense_from FROM audit_head WHERE one = 1").Scan(&rep.HeadID, &rep.Head, &denseFrom); err != nil {
		return rep, fmt.Errorf("store: audit chain head: %w", err)
	}
	c := audit.Checker{DenseFrom: denseFrom}
	after := int64(0)
	for {
		rows, err := q.query(ctx, "SELECT id, at, user_id, action, target, detail, prev_hash, hash FROM audit WHERE id > ? ORDER BY id LIMIT ?", after, pageSize)
		if err != nil {
			return rep, err
		}
		es, err := scanAudit(rows, true)
		if err != nil {
			return rep, err
		}
		for _, e := range es {
			if b := c.Add(e); b != nil {
				rep.Entries, rep.Break = c.N(), b
				return rep, nil
			}
			after = e.ID
		}
		if len(es) < pageSize {
			break
		}
	}
	rep.Entries = c.N()
	rep.Break = c.Finish(rep.HeadID, rep.Head)
	return rep, nil
}
