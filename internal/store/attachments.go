package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"whistle/internal/errs"
	"whistle/internal/lifecycle"
)

// ---- attachments ----

// InsertAttachment stores an attachment's metadata and, for storage "db", its bytes.
func (q Queries) InsertAttachment(ctx context.Context, a *lifecycle.Attachment, data []byte) error {
	return q.InsertUpload(ctx, a, "", data)
}

// InsertUpload stores an attachment as InsertAttachment does, with the
// anonymous uploader's key ("" for staff, counted by created_by) that the
// upload quota counts by.
func (q Queries) InsertUpload(ctx context.Context, a *lifecycle.Attachment, uploader string, data []byte) error {
	var blob any
	if a.Storage == "db" {
		blob = data
	}
	return q.row(ctx, "INSERT INTO attachments(case_id, name, content_type, size, sha256, storage, data, created_by, created_at, uploader) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id",
		nullID(a.CaseID), a.Name, a.ContentType, a.Size, a.SHA256, a.Storage, blob, a.CreatedBy, ms(a.CreatedAt), uploader).Scan(&a.ID)
}

// AttachToCase links unattached attachments (uploaded by user) to a case.
func (q Queries) AttachToCase(ctx context.Context, caseID, userID int64, ids []int64) error {
	for _, id := range ids {
		res, err := q.exec(ctx, "UPDATE attachments SET case_id = ? WHERE id = ? AND (case_id IS NULL OR case_id = ?) AND project_id IS NULL AND (created_by = ? OR ? = 0)", caseID, id, caseID, userID, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return &errs.Error{Code: errs.NotFound, Field: "attachments", Detail: fmt.Sprintf("attachment %d", id)}
		}
	}
	return nil
}

// GetAttachment returns an attachment and, when stored in the database, its bytes.
func (q Queries) GetAttachment(ctx context.Context, id int64) (lifecycle.Attachment, []byte, error) {
	var a lifecycle.Attachment
	var caseID sql.NullInt64
	var created int64
	var data []byte
	err := q.row(ctx, "SELECT id, case_id, name, content_type, size, sha256, storage, data, created_by, created_at FROM attachments WHERE id = ?", id).
		Scan(&a.ID, &caseID, &a.Name, &a.ContentType, &a.Size, &a.SHA256, &a.Storage, &data, &a.CreatedBy, &created)
	a.CaseID, a.CreatedAt = caseID.Int64, fromMS(created)
	return a, data, notFound(err)
}

// AttachmentSums returns the content hashes (SHA-256 of the stored bytes)
// of attachments, in the order of ids; an unknown id has "".
func (q Queries) AttachmentSums(ctx context.Context, ids []int64) ([]string, error) {
	out := make([]string, len(ids))
	for i, id := range ids {
		err := q.row(ctx, "SELECT sha256 FROM attachments WHERE id = ?", id).Scan(&out[i])
		if err != nil && err != sql.ErrNoRows {
			return nil, err
		}
	}
	return out, nil
}

// UploadedSince sums the sizes of the attachments a staff user (userID ≠
// 0) or an anonymous uploader (userID = 0, by uploader key) stored at or
// after since, linked to a case or not.
func (q Queries) UploadedSince(ctx context.Context, userID int64, uploader string, since time.Time) (int64, error) {
	var n sql.NullInt64
	var err error
	if userID != 0 {
		err = q.row(ctx, "SELECT SUM(size) FROM attachments WHERE created_by = ? AND created_at >= ?", userID, ms(since)).Scan(&n)
	} else {
		err = q.row(ctx, "SELECT SUM(size) FROM attachments WHERE created_by = 0 AND uploader = ? AND created_at >= ?", uploader, ms(since)).Scan(&n)
	}
	return n.Int64, err
}

// OrphanAttachment is an attachment never linked to a case.
type OrphanAttachment struct {
	ID      int64
	Storage string
	Size    int64
}

// OrphanAttachments lists up to limit attachments not linked to any case
// and created before before, oldest first.
func (q Queries) OrphanAttachments(ctx context.Context, before time.Time, limit int) ([]OrphanAttachment, error) {
	rows, err := q.query(ctx, "SELECT id, storage, size FROM attachments WHERE case_id IS NULL AND project_id IS NULL AND created_at < ? ORDER BY created_at, id LIMIT ?", ms(before), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OrphanAttachment
	for rows.Next() {
		var o OrphanAttachment
		if err := rows.Scan(&o.ID, &o.Storage, &o.Size); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// DeleteOrphanAttachment deletes an attachment if it is still not linked
// to a case; it reports whether it did.
func (q Queries) DeleteOrphanAttachment(ctx context.Context, id int64) (bool, error) {
	res, err := q.exec(ctx, "DELETE FROM attachments WHERE id = ? AND case_id IS NULL AND project_id IS NULL", id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// StorageUsed reports whether any attachment row still refers to storage
// (content-addressed files are shared by uploads of the same bytes).
func (q Queries) StorageUsed(ctx context.Context, storage string) (bool, error) {
	var one int
	err := q.row(ctx, "SELECT 1 FROM attachments WHERE storage = ? LIMIT 1", storage).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	}
	return err == nil, err
}
