package store

import (
	"context"
	"database/sql"
	"fmt"

	"whistle/internal/errs"
	"whistle/internal/lifecycle"
)

// LinkProjectPhotos links images that userID uploaded and that are linked
// to nothing yet to a project (its progress report's photos). An id that
// is not such an image fails the write with not_found on photo_ids.
func (q Queries) LinkProjectPhotos(ctx context.Context, projectID, userID int64, ids []int64) error {
	for _, id := range ids {
		res, err := q.exec(ctx, "UPDATE attachments SET project_id = ? WHERE id = ? AND case_id IS NULL AND project_id IS NULL AND created_by = ? AND content_type LIKE 'image/%'",
			projectID, id, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return &errs.Error{Code: errs.NotFound, Field: "photo_ids", Detail: fmt.Sprintf("photo %d", id)}
		}
	}
	return nil
}

// ProjectPhoto returns a photo linked to the project and, when stored in
// the database, its bytes; any other id is not found.
func (q Queries) ProjectPhoto(ctx context.Context, projectID, id int64) (lifecycle.Attachment, []byte, error) {
	var a lifecycle.Attachment
	var created int64
	var data []byte
	err := q.row(ctx, "SELECT id, name, content_type, size, sha256, storage, data, created_by, created_at FROM attachments WHERE id = ? AND project_id = ?", id, projectID).
		Scan(&a.ID, &a.Name, &a.ContentType, &a.Size, &a.SHA256, &a.Storage, &data, &a.CreatedBy, &created)
	if err == sql.ErrNoRows {
		return a, nil, errs.E(errs.NotFound)
	}
	a.CreatedAt = fromMS(created)
	return a, data, err
}
