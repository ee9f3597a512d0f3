package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"whistle/internal/replyquality"
)

// ---- reply checks (答复质量, issue #16) ----

// ReplyCheck is the verdict on one submitted reply, kept with it: the
// scores and reasons, and the reply's MinHash signature (never its text).
type ReplyCheck struct {
	ID        int64                  `json:"-"`
	CaseID    int64                  `json:"case_id"`
	UnitID    int64                  `json:"unit_id"`
	UserID    int64                  `json:"-"`
	RepliedAt time.Time              `json:"replied_at"`
	Check     replyquality.Check     `json:"check"`
	Signature replyquality.Signature `json:"-"`
}

// InsertReplyCheck stores a verdict and its signature's band keys, and
// sets rc.ID.
func (q Queries) InsertReplyCheck(ctx context.Context, rc *ReplyCheck) error {
	doc, err := json.Marshal(rc.Check)
	if err != nil {
		return err
	}
	dim := func(d string) float64 { s, _ := rc.Check.Score(d); return s.Value }
	if err := q.row(ctx, "INSERT INTO reply_checks(case_id, unit_id, user_id, replied_at, overall, relevance, completeness, basis, concrete, tone, original, weak, near_copy, doc, signature) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
		rc.CaseID, rc.UnitID, rc.UserID, ms(rc.RepliedAt), rc.Check.Overall,
		dim(replyquality.Relevance), dim(replyquality.Completeness), dim(replyquality.Basis), dim(replyquality.Concrete), dim(replyquality.Tone), dim(replyquality.Original),
		b2i(rc.Check.Weak()), b2i(rc.Check.NearCopy), string(doc), sigText(rc.Signature)).Scan(&rc.ID); err != nil {
		return err
	}
	for _, b := range rc.Signature.Bands() {
		if _, err := q.exec(ctx, "INSERT INTO reply_bands(band, check_id) VALUES (?,?)", b, rc.ID); err != nil {
			return err
		}
	}
	return nil
}

func sigText(s replyquality.Signature) string {
	if len(s) == 0 {
		return ""
	}
	return s.String()
}

const replyCheckCols = "id, case_id, unit_id, user_id, replied_at, doc, signature"

func scanReplyCheck(sc interface{ Scan(...any) error }) (ReplyCheck, error) {
	var rc ReplyCheck
	var at int64
	var doc, sig string
	if err := sc.Scan(&rc.ID, &rc.CaseID, &rc.UnitID, &rc.UserID, &at, &doc, &sig); err != nil {
		return rc, err
	}
	rc.RepliedAt = fromMS(at)
	if err := json.Unmarshal([]byte(doc), &rc.Check); err != nil {
		return rc, fmt.Errorf("store: reply check %d: %w", rc.ID, err)
	}
	var err error
	rc.Signature, err = replyquality.ParseSignature(sig)
	return rc, err
}

// ReplyCheckOf returns the latest verdict on a case's replies (found false:
// none was checked).
func (q Queries) ReplyCheckOf(ctx context.Context, caseID int64) (ReplyCheck, bool, error) {
	rc, err := scanReplyCheck(q.row(ctx, "SELECT "+replyCheckCols+" FROM reply_checks WHERE case_id = ? ORDER BY id DESC LIMIT 1", caseID))
	if errors.Is(err, sql.ErrNoRows) {
		return rc, false, nil
	}
	return rc, err == nil, err
}

// ReplyChecksOf returns the latest verdict of each of the cases that has
// one (at most 500 cases a call: a page of a list).
func (q Queries) ReplyChecksOf(ctx context.Context, caseIDs []int64) (map[int64]ReplyCheck, error) {
	out := map[int64]ReplyCheck{}
	if len(caseIDs) == 0 {
		return out, nil
	}
	if len(caseIDs) > 500 {
		return nil, errors.New("store: ReplyChecksOf: more than 500 cases")
	}
	args := make([]any, len(caseIDs))
	for i, id := range caseIDs {
		args[i] = id
	}
	err := q.scanRows(ctx, "SELECT "+replyCheckCols+" FROM reply_checks WHERE "+inList("case_id", len(caseIDs))+" ORDER BY id", args, func(r *sql.Rows) error {
		rc, err := scanReplyCheck(r)
		out[rc.CaseID] = rc // later ids win
		return err
	})
	return out, err
}

// ReplySignatures are the signatures a new reply of unitID is compared
// with, bounded whatever the store holds: the unit's last perUnit replies,
// and at most perBand replies of any unit that share one of bands (the
// new reply's band keys: the MinHash candidates).
func (q Queries) ReplySignatures(ctx context.Context, unitID int64, bands []int64, perUnit, perBand int) ([]replyquality.Signature, error) {
	var out []replyquality.Signature
	add := func(r *sql.Rows) error {
		var h string
		if err := r.Scan(&h); err != nil {
			return err
		}
		s, err := replyquality.ParseSignature(h)
		if s != nil {
			out = append(out, s)
		}
		return err
	}
	if err := q.scanRows(ctx, "SELECT signature FROM reply_checks WHERE unit_id = ? ORDER BY replied_at DESC, id DESC LIMIT ?", []any{unitID, perUnit}, add); err != nil {
		return nil, err
	}
	if len(bands) == 0 || perBand <= 0 {
		return out, nil
	}
	args := make([]any, 0, len(bands)+2)
	for _, b := range bands {
		args = append(args, b)
	}
	args = append(args, unitID, perBand)
	err := q.scanRows(ctx, "SELECT c.signature FROM reply_checks c WHERE c.id IN (SELECT b.check_id FROM reply_bands b WHERE "+inList("b.band", len(bands))+") AND c.unit_id <> ? ORDER BY c.id DESC LIMIT ?", args, add)
	return out, err
}

// ReplyQualityRow is one unit's replies checked in a period: how many, the
// mean score of each dimension, and how many were weak or near-copies.
type ReplyQualityRow struct {
	UnitID     int64              `json:"unit_id"`
	Replies    int64              `json:"replies"`
	Overall    float64            `json:"overall"`
	Means      map[string]float64 `json:"means"` // by replyquality dimension
	Weak       int64              `json:"weak"`
	NearCopies int64              `json:"near_copies"`
}

// ReplyQualityByUnit sums the replies checked in [from, to) by unit, by
// unit id.
func (q Queries) ReplyQualityByUnit(ctx context.Context, from, to time.Time) ([]ReplyQualityRow, error) {
	var out []ReplyQualityRow
	err := q.scanRows(ctx, `SELECT unit_id, COUNT(*), AVG(overall), AVG(relevance), AVG(completeness), AVG(basis), AVG(concrete), AVG(tone), AVG(original), CAST(SUM(weak) AS BIGINT), CAST(SUM(near_copy) AS BIGINT)
FROM reply_checks WHERE replied_at >= ? AND replied_at < ? GROUP BY unit_id ORDER BY unit_id`, []any{ms(from), ms(to)}, func(r *sql.Rows) error {
		var row ReplyQualityRow
		var m [6]float64
		if err := r.Scan(&row.UnitID, &row.Replies, &row.Overall, &m[0], &m[1], &m[2], &m[3], &m[4], &m[5], &row.Weak, &row.NearCopies); err != nil {
			return err
		}
		row.Means = map[string]float64{}
		for i, d := range replyquality.Dimensions {
			row.Means[d] = m[i]
		}
		out = append(out, row)
		return nil
	})
	return out, err
}

// ReplyCorpusTexts returns the texts of the latest cases (newest first, at
// most limit cases): each one's description and, where it has one, its
// reply — what the relevance check learns its word weights from.
func (q Queries) ReplyCorpusTexts(ctx context.Context, limit int) ([]string, error) {
	var out []string
	err := q.scanRows(ctx, "SELECT id, doc FROM cases ORDER BY id DESC LIMIT ?", []any{limit}, func(r *sql.Rows) error {
		var id int64
		var doc string
		if err := r.Scan(&id, &doc); err != nil {
			return err
		}
		var d struct {
			Description string `json:"description"`
			ReplyText   string `json:"reply_text"`
		}
		if err := json.Unmarshal([]byte(doc), &d); err != nil {
			return fmt.Errorf("store: case %d: %w", id, err)
		}
		desc, err := q.open(d.Description)
		if err != nil {
			return fmt.Errorf("store: case %d: %w", id, err)
		}
		out = append(out, desc)
		if d.ReplyText != "" {
			out = append(out, d.ReplyText)
		}
		return nil
	})
	return out, err
}

// RepliedCase is a case's latest reply, for scoring replies submitted
// before the check existed (casework.BackfillReplyChecks).
type RepliedCase struct {
	CaseID, UnitID, UserID int64
	RepliedAt              time.Time
	Message, Reply         string // the request's title and text; the reply
}

// UncheckedReplies returns the replies submitted since from whose case has
// no verdict yet, oldest first, at most limit cases: each case once, with
// its latest reply (the one its document keeps).
func (q Queries) UncheckedReplies(ctx context.Context, from time.Time, limit int) ([]RepliedCase, error) {
	var out []RepliedCase
	at := map[int64]int{}
	err := q.scanRows(ctx, `SELECT e.case_id, e.actor_unit_id, e.actor_user_id, e.at, c.doc FROM events e JOIN cases c ON c.id = e.case_id
WHERE e.action = 'reply' AND e.at >= ? AND NOT EXISTS (SELECT 1 FROM reply_checks r WHERE r.case_id = e.case_id)
ORDER BY e.at, e.id LIMIT ?`, []any{ms(from), limit}, func(r *sql.Rows) error {
		var rc RepliedCase
		var ts int64
		var doc string
		if err := r.Scan(&rc.CaseID, &rc.UnitID, &rc.UserID, &ts, &doc); err != nil {
			return err
		}
		var d struct {
			Title       string `json:"title"`
			Description string `json:"description"`
			ReplyText   string `json:"reply_text"`
			LeadUnitID  int64  `json:"lead_unit_id"`
		}
		if err := json.Unmarshal([]byte(doc), &d); err != nil {
			return fmt.Errorf("store: case %d: %w", rc.CaseID, err)
		}
		if err := q.openAll(&d.Title, &d.Description); err != nil {
			return fmt.Errorf("store: case %d: %w", rc.CaseID, err)
		}
		if d.ReplyText == "" {
			return nil
		}
		if rc.UnitID == 0 {
			rc.UnitID = d.LeadUnitID
		}
		rc.RepliedAt, rc.Reply, rc.Message = fromMS(ts), d.ReplyText, d.Description
		if d.Title != "" {
			rc.Message = d.Title + "。" + d.Description
		}
		if i, seen := at[rc.CaseID]; seen { // a later reply of a reopened case
			out[i] = rc
			return nil
		}
		at[rc.CaseID] = len(out)
		out = append(out, rc)
		return nil
	})
	return out, err
}
