package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"whistle/internal/classify"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
)

// InsertClassifierModel stores m as the next version (one more than the
// newest) and sets m.Version; m.Eval becomes the evaluation as stored
// (shortFloats). Two concurrent inserts of the same version
// fail with errs.Conflict.
func (q Queries) InsertClassifierModel(ctx context.Context, m *classify.StoredModel) error {
	var v int64
	if err := q.row(ctx, "SELECT COALESCE(MAX(version), 0) + 1 FROM classifier_models").Scan(&v); err != nil {
		return err
	}
	eval := shortFloats(string(m.Eval))
	if eval == "" {
		eval = "{}"
	}
	_, err := q.exec(ctx, `INSERT INTO classifier_models(version, algorithm, trained_at, train_ms, examples, labels, eval, created_by, model)
		VALUES (?,?,?,?,?,?,?,?,?)`, v, m.Algorithm, ms(m.TrainedAt), m.TrainMS, m.Examples, m.Labels, eval, m.CreatedBy, m.Data)
	if isUnique(err) {
		return errs.D(errs.Conflict, "classifier version %d stored concurrently", v)
	}
	if err != nil {
		return err
	}
	m.Version, m.Eval = v, json.RawMessage(eval)
	return nil
}

// shortFloats rewrites the fractions of a JSON document with 6 significant
// digits (0.9565217391304348 → 0.956522): an evaluation's figures need no
// more, and a long run of digits in the database looks like a phone number
// to a grep for them (1[3-9]\d{9}). Integers and documents that do not parse
// are left as they are.
func shortFloats(doc string) string {
	if !strings.ContainsAny(doc, ".eE") {
		return doc
	}
	d := json.NewDecoder(strings.NewReader(doc))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return doc
	}
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				x[k] = walk(e)
			}
		case []any:
			for i, e := range x {
				x[i] = walk(e)
			}
		case json.Number:
			if strings.ContainsAny(string(x), ".eE") {
				if f, err := x.Float64(); err == nil {
					return json.Number(strconv.FormatFloat(f, 'g', 6, 64))
				}
			}
		}
		return v
	}
	b, err := json.Marshal(walk(v))
	if err != nil {
		return doc
	}
	return string(b)
}

const classifierCols = "version, algorithm, trained_at, train_ms, examples, labels, eval, created_by"

func scanClassifier(sc interface{ Scan(...any) error }, withData bool) (classify.StoredModel, error) {
	var m classify.StoredModel
	var at int64
	var eval string
	dst := []any{&m.Version, &m.Algorithm, &at, &m.TrainMS, &m.Examples, &m.Labels, &eval, &m.CreatedBy}
	if withData {
		dst = append(dst, &m.Data)
	}
	if err := sc.Scan(dst...); err != nil {
		return m, err
	}
	m.TrainedAt, m.Eval = fromMS(at), json.RawMessage(eval)
	return m, nil
}

// LatestClassifierModel returns the newest model version, with its data
// when withData; found is false when none is stored.
func (q Queries) LatestClassifierModel(ctx context.Context, withData bool) (m classify.StoredModel, found bool, err error) {
	cols := classifierCols
	if withData {
		cols += ", model"
	}
	m, err = scanClassifier(q.row(ctx, "SELECT "+cols+" FROM classifier_models ORDER BY version DESC LIMIT 1"), withData)
	if errors.Is(err, sql.ErrNoRows) {
		return classify.StoredModel{}, false, nil
	}
	return m, err == nil, err
}

// ClassifierModels lists stored versions, newest first, without their data.
func (q Queries) ClassifierModels(ctx context.Context, limit int) ([]classify.StoredModel, error) {
	rows, err := q.query(ctx, "SELECT "+classifierCols+" FROM classifier_models ORDER BY version DESC LIMIT ?", limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []classify.StoredModel
	for rows.Next() {
		m, err := scanClassifier(rows, false)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// PruneClassifierModels deletes all but the newest keep versions.
func (q Queries) PruneClassifierModels(ctx context.Context, keep int) (int64, error) {
	res, err := q.exec(ctx, `DELETE FROM classifier_models WHERE version <= (SELECT COALESCE(MAX(version), 0) FROM classifier_models) - ?`, keep)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// LabelledText is the text of a closed case and the category it closed with.
type LabelledText struct {
	CaseID   int64
	Category string
	Text     string // title and description
}

// ClosedCaseTexts returns closed cases with id > afterID, in id order, at
// most limit: the category the centre confirmed and the text. Cases
// closed by merging into another are left out (their category was not
// confirmed on their own).
func (q Queries) ClosedCaseTexts(ctx context.Context, afterID int64, limit int) ([]LabelledText, error) {
	rows, err := q.query(ctx, "SELECT id, category, doc FROM cases WHERE state = ? AND id > ? ORDER BY id LIMIT ?", string(lifecycle.Closed), afterID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []LabelledText
	for rows.Next() {
		var t LabelledText
		var doc string
		if err := rows.Scan(&t.CaseID, &t.Category, &doc); err != nil {
			return nil, err
		}
		var d struct {
			Title       string `json:"title"`
			Description string `json:"description"`
			CloseReason string `json:"close_reason"`
		}
		if err := json.Unmarshal([]byte(doc), &d); err != nil {
			return nil, err
		}
		if d.CloseReason == lifecycle.CloseMerged {
			continue
		}
		var err error
		if d.Title, err = q.open(d.Title); err != nil {
			return nil, err
		}
		if d.Description, err = q.open(d.Description); err != nil {
			return nil, err
		}
		t.Text = d.Title + "\n" + d.Description
		out = append(out, t)
	}
	return out, rows.Err()
}

// PutAutoDispatch inserts or replaces a category's setting.
func (q Queries) PutAutoDispatch(ctx context.Context, a classify.AutoDispatch) error {
	_, err := q.exec(ctx, `INSERT INTO auto_dispatch(category, enabled, threshold, updated_by, updated_at) VALUES (?,?,?,?,?)
		ON CONFLICT(category) DO UPDATE SET enabled = excluded.enabled, threshold = excluded.threshold,
		updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		a.Category, b2i(a.Enabled), a.Threshold, a.UpdatedBy, ms(a.UpdatedAt))
	return err
}

// AutoDispatchSettings lists every category's setting, by category.
func (q Queries) AutoDispatchSettings(ctx context.Context) ([]classify.AutoDispatch, error) {
	rows, err := q.query(ctx, "SELECT category, enabled, threshold, updated_by, updated_at FROM auto_dispatch ORDER BY category")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []classify.AutoDispatch
	for rows.Next() {
		var a classify.AutoDispatch
		var en int
		var at int64
		if err := rows.Scan(&a.Category, &en, &a.Threshold, &a.UpdatedBy, &at); err != nil {
			return nil, err
		}
		a.Enabled, a.UpdatedAt = en != 0, fromMS(at)
		out = append(out, a)
	}
	return out, rows.Err()
}
