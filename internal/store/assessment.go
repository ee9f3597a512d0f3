package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"whistle/internal/assessment"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
)

// ---- facts, maintained with every event ----

// recordAssessFact keeps the assessment facts (assess_orders,
// assess_callbacks) in step with an event just appended, in the same
// transaction. See package assessment for what counts.
func (q Queries) recordAssessFact(ctx context.Context, e *lifecycle.Event) error {
	const latest = "(SELECT MAX(id) FROM assess_orders WHERE case_id = ?)"
	at := ms(e.At)
	var err error
	switch e.Action {
	case lifecycle.ActDispatch:
		err = q.insertOrder(ctx, e.CaseID, dataInt(e.Data, "unit_id"), at, ms(dataTime(e.Data, "sign_by")))
	case lifecycle.ActApproveReturn:
		if _, err = q.exec(ctx, "UPDATE assess_orders SET returned = 1 WHERE id = "+latest, e.CaseID); err != nil {
			return err
		}
		if u := dataInt(e.Data, "unit_id"); u != 0 {
			err = q.insertOrder(ctx, e.CaseID, u, at, ms(dataTime(e.Data, "sign_by")))
		}
	case lifecycle.ActSign:
		_, err = q.exec(ctx, "UPDATE assess_orders SET signed_at = ? WHERE id = "+latest+" AND signed_at = 0", at, e.CaseID)
	case lifecycle.ActContact:
		_, err = q.exec(ctx, "UPDATE assess_orders SET contacted_at = ? WHERE id = "+latest+" AND contacted_at = 0", at, e.CaseID)
	case lifecycle.ActReply:
		_, err = q.exec(ctx, "UPDATE assess_orders SET contact_waived = 1 WHERE id = "+latest+" AND contacted_at = 0", e.CaseID)
	case lifecycle.ActOverdue:
		if dataString(e.Data, "timer") == lifecycle.TimerReply {
			_, err = q.exec(ctx, "UPDATE assess_orders SET overdue = 1 WHERE id = "+latest, e.CaseID)
		}
	case lifecycle.ActCallback:
		_, err = q.exec(ctx, "INSERT INTO assess_callbacks(case_id, unit_id, at, resolved, satisfaction) SELECT case_id, unit_id, ?, ?, ? FROM assess_orders WHERE id = "+latest,
			at, b2i(dataBool(e.Data, "resolved")), dataString(e.Data, "satisfaction"), e.CaseID)
		if err != nil || !dataBool(e.Data, "reopen") {
			return err
		}
		// 重办: a new order of the same unit; its sign-by is on the case,
		// which the service has already updated in this transaction.
		var doc string
		if err := q.row(ctx, "SELECT doc FROM cases WHERE id = ?", e.CaseID).Scan(&doc); err != nil {
			return err
		}
		var c struct {
			SignBy time.Time `json:"sign_by"`
		}
		if err := json.Unmarshal([]byte(doc), &c); err != nil {
			return err
		}
		_, err = q.exec(ctx, "INSERT INTO assess_orders(case_id, unit_id, dispatched_at, sign_by) SELECT case_id, unit_id, ?, ? FROM assess_orders WHERE id = "+latest,
			at, ms(c.SignBy), e.CaseID)
	}
	return err
}

func (q Queries) insertOrder(ctx context.Context, caseID, unitID, at, signBy int64) error {
	if unitID == 0 {
		return nil
	}
	_, err := q.exec(ctx, "INSERT INTO assess_orders(case_id, unit_id, dispatched_at, sign_by) VALUES (?,?,?,?)", caseID, unitID, at, signBy)
	return err
}

// Event data arrive as Go values from the rules, or decoded from JSON.
func dataInt(d map[string]any, k string) int64 {
	switch v := d[k].(type) {
	case int64:
		return v
	case int:
		return int64(v)
	case float64:
		return int64(v)
	case json.Number:
		n, _ := v.Int64()
		return n
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	}
	return 0
}

func dataTime(d map[string]any, k string) time.Time {
	switch v := d[k].(type) {
	case time.Time:
		return v
	case string:
		t, _ := time.Parse(time.RFC3339Nano, v)
		return t
	}
	return time.Time{}
}

func dataBool(d map[string]any, k string) bool { b, _ := d[k].(bool); return b }

func dataString(d map[string]any, k string) string { s, _ := d[k].(string); return s }

// AssessOrderFact is one order as recorded for the assessment (for tests
// and drill-downs).
type AssessOrderFact struct {
	ID, CaseID, UnitID                   int64
	DispatchedAt, SignBy                 time.Time
	SignedAt, ContactedAt                time.Time
	ContactWaived, Returned, WentOverdue bool
}

// AssessOrders lists a case's orders in order.
func (q Queries) AssessOrders(ctx context.Context, caseID int64) ([]AssessOrderFact, error) {
	rows, err := q.query(ctx, "SELECT id, case_id, unit_id, dispatched_at, sign_by, signed_at, contacted_at, contact_waived, returned, overdue FROM assess_orders WHERE case_id = ? ORDER BY id", caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AssessOrderFact
	for rows.Next() {
		var f AssessOrderFact
		var d, sb, sa, ca int64
		var cw, rt, od int
		if err := rows.Scan(&f.ID, &f.CaseID, &f.UnitID, &d, &sb, &sa, &ca, &cw, &rt, &od); err != nil {
			return nil, err
		}
		f.DispatchedAt, f.SignBy, f.SignedAt, f.ContactedAt = fromMS(d), fromMS(sb), fromMS(sa), fromMS(ca)
		f.ContactWaived, f.Returned, f.WentOverdue = cw == 1, rt == 1, od == 1
		out = append(out, f)
	}
	return out, rows.Err()
}

// HasAssessOrder reports whether unit led the case in some order.
func (q Queries) HasAssessOrder(ctx context.Context, caseID, unitID int64) (bool, error) {
	var n int64
	err := q.row(ctx, "SELECT COUNT(*) FROM assess_orders WHERE case_id = ? AND unit_id = ?", caseID, unitID).Scan(&n)
	return n > 0, err
}

// ---- counting ----

// responded is the condition of an order answered in time; its one
// parameter is the contact limit in milliseconds.
const responded = "(o.signed_at > 0 AND (o.sign_by = 0 OR o.signed_at <= o.sign_by) AND ((o.contacted_at > 0 AND o.contacted_at <= o.dispatched_at + ?) OR (o.contacted_at = 0 AND o.contact_waived = 1)))"

// Approved exemptions are unique per case and unit (InsertExemption), so
// the joins below drive from the few exemptions into the facts' case index.
const exemptJoin = "assess_exemptions x JOIN %[1]s ON %[2]s.case_id = x.case_id AND %[2]s.unit_id = x.unit_id AND x.state = 'approved'"

var (
	exemptOrders    = fmt.Sprintf(exemptJoin, "assess_orders o", "o")
	exemptCallbacks = fmt.Sprintf(exemptJoin, "assess_callbacks c", "c")
)

// AssessCounts counts every unit's orders and callbacks in [from, to) with
// approved exemptions left out: one aggregate per fact table that walks
// its covering (unit, time) index unit by unit over the period, minus the
// same aggregate over the few exempted cases.
func (q Queries) AssessCounts(ctx context.Context, from, to time.Time, contact time.Duration) (map[int64]*assessment.Counts, error) {
	out := map[int64]*assessment.Counts{}
	get := func(u int64) *assessment.Counts {
		c := out[u]
		if c == nil {
			c = &assessment.Counts{UnitID: u}
			out[u] = c
		}
		return c
	}
	cms := contact.Milliseconds()
	orderSel := "SELECT o.unit_id, COUNT(*), SUM(CASE WHEN " + responded + " THEN 1 ELSE 0 END), SUM(o.overdue) "
	orderWhere := " o.dispatched_at >= ? AND o.dispatched_at < ? AND o.returned = 0 GROUP BY o.unit_id"
	cbSel := "SELECT c.unit_id, COUNT(*), SUM(c.resolved), SUM(CASE WHEN c.satisfaction = 'satisfied' THEN 1 ELSE 0 END), SUM(CASE WHEN c.satisfaction = 'fairly_satisfied' THEN 1 ELSE 0 END) "
	cbWhere := " c.at >= ? AND c.at < ? GROUP BY c.unit_id"
	// CROSS JOIN keeps units the outer loop on SQLite, whose planner
	// (without statistics: the store runs no ANALYZE) otherwise scans the
	// whole covering index of every order ever made, so that a month's
	// counts grew with the history (bench scale: 0.5 s at one year, 0.9 s
	// at two). Driven from units, each unit's month is one range of
	// (unit_id, time). PostgreSQL plans the same join freely.
	for i, from2 := range []string{"FROM units u CROSS JOIN assess_orders o WHERE o.unit_id = u.id AND", "FROM " + exemptOrders + " WHERE"} {
		sign := int64(1 - 2*i)
		err := q.scanRows(ctx, orderSel+from2+orderWhere, []any{cms, ms(from), ms(to)}, func(r *sql.Rows) error {
			var u, n, ok, od int64
			if err := r.Scan(&u, &n, &ok, &od); err != nil {
				return err
			}
			c := get(u)
			c.Orders += sign * n
			c.Responded += sign * ok
			c.Overdue += sign * od
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	for i, from2 := range []string{"FROM units u CROSS JOIN assess_callbacks c WHERE c.unit_id = u.id AND", "FROM " + exemptCallbacks + " WHERE"} {
		sign := int64(1 - 2*i)
		err := q.scanRows(ctx, cbSel+from2+cbWhere, []any{ms(from), ms(to)}, func(r *sql.Rows) error {
			var u, n, res, sat, fair int64
			if err := r.Scan(&u, &n, &res, &sat, &fair); err != nil {
				return err
			}
			c := get(u)
			c.Callbacks += sign * n
			c.Resolved += sign * res
			c.Satisfied += sign * sat
			c.Fairly += sign * fair
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	// Exempted: distinct cases with an order or a callback in the period.
	err := q.scanRows(ctx, "SELECT unit_id, COUNT(DISTINCT case_id) FROM ("+
		"SELECT o.unit_id, o.case_id FROM "+exemptOrders+" WHERE o.dispatched_at >= ? AND o.dispatched_at < ? AND o.returned = 0 "+
		"UNION SELECT c.unit_id, c.case_id FROM "+exemptCallbacks+" WHERE c.at >= ? AND c.at < ?) e GROUP BY unit_id",
		[]any{ms(from), ms(to), ms(from), ms(to)}, func(r *sql.Rows) error {
			var u, n int64
			if err := r.Scan(&u, &n); err != nil {
				return err
			}
			get(u).Exempted = n
			return nil
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (q Queries) scanRows(ctx context.Context, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// AssessCaseIDs lists the case ids behind one number of one unit in
// [from, to): measure is one of assessment.Measures. At most limit ids,
// ascending.
func (q Queries) AssessCaseIDs(ctx context.Context, unitID int64, from, to time.Time, contact time.Duration, measure string, limit int) ([]int64, error) {
	notExempt := " AND NOT EXISTS (SELECT 1 FROM assess_exemptions x WHERE x.case_id = %[1]s.case_id AND x.unit_id = %[1]s.unit_id AND x.state = 'approved')"
	orders := "SELECT DISTINCT o.case_id FROM assess_orders o WHERE o.unit_id = ? AND o.dispatched_at >= ? AND o.dispatched_at < ? AND o.returned = 0" + fmt.Sprintf(notExempt, "o")
	cbs := "SELECT DISTINCT c.case_id FROM assess_callbacks c WHERE c.unit_id = ? AND c.at >= ? AND c.at < ?" + fmt.Sprintf(notExempt, "c")
	args := []any{unitID, ms(from), ms(to)}
	var query string
	switch measure {
	case assessment.MeasureOrders:
		query = orders
	case assessment.MeasureResponded:
		query, args = orders+" AND "+responded, append(args, contact.Milliseconds())
	case assessment.MeasureNotResponded:
		query, args = orders+" AND NOT "+responded, append(args, contact.Milliseconds())
	case assessment.MeasureOverdue:
		query = orders + " AND o.overdue = 1"
	case assessment.MeasureCallbacks:
		query = cbs
	case assessment.MeasureResolved:
		query = cbs + " AND c.resolved = 1"
	case assessment.MeasureUnresolved:
		query = cbs + " AND c.resolved = 0"
	case assessment.MeasureSatisfied:
		query = cbs + " AND c.satisfaction = 'satisfied'"
	case assessment.MeasureFairly:
		query = cbs + " AND c.satisfaction = 'fairly_satisfied'"
	case assessment.MeasureUnsatisfied:
		query = cbs + " AND c.satisfaction = 'unsatisfied'"
	case assessment.MeasureExempted:
		query = "SELECT o.case_id FROM " + exemptOrders + " WHERE o.unit_id = ? AND o.dispatched_at >= ? AND o.dispatched_at < ? AND o.returned = 0 " +
			"UNION SELECT c.case_id FROM " + exemptCallbacks + " WHERE c.unit_id = ? AND c.at >= ? AND c.at < ?"
		args = append(args, unitID, ms(from), ms(to))
	default:
		return nil, errs.F(errs.Invalid, "measure")
	}
	query = "SELECT case_id FROM (" + query + ") d ORDER BY case_id LIMIT ?"
	args = append(args, limit)
	var ids []int64
	err := q.scanRows(ctx, query, args, func(r *sql.Rows) error {
		var id int64
		if err := r.Scan(&id); err != nil {
			return err
		}
		ids = append(ids, id)
		return nil
	})
	return ids, err
}

// ---- rule sets ----

// AssessRules returns rule-set version v, or the latest when v = 0. With
// no stored version the defaults (version 1) are returned.
func (q Queries) AssessRules(ctx context.Context, v int) (assessment.Rules, error) {
	var doc string
	var err error
	if v == 0 {
		err = q.row(ctx, "SELECT rules FROM assess_rules ORDER BY version DESC LIMIT 1").Scan(&doc)
	} else {
		err = q.row(ctx, "SELECT rules FROM assess_rules WHERE version = ?", v).Scan(&doc)
	}
	if errors.Is(err, sql.ErrNoRows) {
		if v == 0 || v == 1 {
			return assessment.DefaultRules(), nil
		}
		return assessment.Rules{}, errs.E(errs.NotFound)
	}
	if err != nil {
		return assessment.Rules{}, err
	}
	var r assessment.Rules
	if err := json.Unmarshal([]byte(doc), &r); err != nil {
		return assessment.Rules{}, err
	}
	return r, nil
}

// InsertAssessRules stores r as the next version (the defaults become
// version 1 first if nothing is stored) and sets r.Version.
func (q Queries) InsertAssessRules(ctx context.Context, r *assessment.Rules, by int64, now time.Time) error {
	var max sql.NullInt64
	if err := q.row(ctx, "SELECT MAX(version) FROM assess_rules").Scan(&max); err != nil {
		return err
	}
	if !max.Valid {
		d := assessment.DefaultRules()
		b, _ := json.Marshal(d)
		if _, err := q.exec(ctx, "INSERT INTO assess_rules(version, rules, created_by, created_at) VALUES (?,?,?,?)", d.Version, string(b), 0, ms(now)); err != nil {
			return err
		}
		max.Int64 = int64(d.Version)
	}
	r.Version = int(max.Int64) + 1
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = q.exec(ctx, "INSERT INTO assess_rules(version, rules, created_by, created_at) VALUES (?,?,?,?)", r.Version, string(b), by, ms(now))
	if isUnique(err) {
		return errs.E(errs.Conflict)
	}
	return err
}

// ---- published months ----

// PublishAssessMonth freezes a month; publishing twice is a conflict.
func (q Queries) PublishAssessMonth(ctx context.Context, m assessment.PublishedMonth) error {
	_, err := q.exec(ctx, "INSERT INTO assess_months(period, rules_version, results, published_by, published_at) VALUES (?,?,?,?,?)",
		m.Period, m.RulesVersion, m.Results, m.PublishedBy, ms(m.PublishedAt))
	if isUnique(err) {
		return errs.D(errs.Exists, "month %s is already published", m.Period)
	}
	if err != nil {
		return err
	}
	return q.outboxAssessment(ctx, m) // issue #13: in the same transaction
}

// AssessMonth returns a published month (found = false if not published).
func (q Queries) AssessMonth(ctx context.Context, period string) (assessment.PublishedMonth, bool, error) {
	m := assessment.PublishedMonth{Period: period}
	var at int64
	err := q.row(ctx, "SELECT rules_version, results, published_by, published_at FROM assess_months WHERE period = ?", period).Scan(&m.RulesVersion, &m.Results, &m.PublishedBy, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return m, false, nil
	}
	m.PublishedAt = fromMS(at)
	return m, err == nil, err
}

// AssessMonths lists the published months, newest first.
func (q Queries) AssessMonths(ctx context.Context) ([]assessment.PublishedMonth, error) {
	var out []assessment.PublishedMonth
	err := q.scanRows(ctx, "SELECT period, rules_version, published_by, published_at FROM assess_months ORDER BY period DESC", nil, func(r *sql.Rows) error {
		var m assessment.PublishedMonth
		var at int64
		if err := r.Scan(&m.Period, &m.RulesVersion, &m.PublishedBy, &at); err != nil {
			return err
		}
		m.PublishedAt = fromMS(at)
		out = append(out, m)
		return nil
	})
	return out, err
}

// ---- exemptions ----

const exemptionCols = "id, case_id, unit_id, reason, evidence, attachments, state, requested_by, requested_at, decided_by, decided_at, decision_note"

func scanExemption(sc interface{ Scan(...any) error }) (assessment.Exemption, error) {
	var x assessment.Exemption
	var att string
	var ra, da int64
	err := sc.Scan(&x.ID, &x.CaseID, &x.UnitID, &x.Reason, &x.Evidence, &att, &x.State, &x.RequestedBy, &ra, &x.DecidedBy, &da, &x.DecisionNote)
	if err != nil {
		return x, err
	}
	x.RequestedAt, x.DecidedAt = fromMS(ra), fromMS(da)
	for _, s := range splitList(att) {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			x.Attachments = append(x.Attachments, id)
		}
	}
	return x, nil
}

// InsertExemption stores a pending request. A case may have one pending or
// approved request per unit.
func (q Queries) InsertExemption(ctx context.Context, x *assessment.Exemption) error {
	var n int64
	if err := q.row(ctx, "SELECT COUNT(*) FROM assess_exemptions WHERE case_id = ? AND unit_id = ? AND state IN ('pending','approved')", x.CaseID, x.UnitID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return errs.D(errs.Exists, "an exemption for this case is pending or approved")
	}
	x.State = assessment.ExemptPending
	return q.row(ctx, "INSERT INTO assess_exemptions(case_id, unit_id, reason, evidence, attachments, state, requested_by, requested_at) VALUES (?,?,?,?,?,?,?,?) RETURNING id",
		x.CaseID, x.UnitID, x.Reason, x.Evidence, joinIDs(x.Attachments), x.State, x.RequestedBy, ms(x.RequestedAt)).Scan(&x.ID)
}

// GetExemption returns one exemption (locked in a PostgreSQL write).
func (q Queries) GetExemption(ctx context.Context, id int64) (assessment.Exemption, error) {
	x, err := scanExemption(q.row(ctx, "SELECT "+exemptionCols+" FROM assess_exemptions WHERE id = ?"+q.forUpdate(), id))
	return x, notFound(err)
}

// DecideExemption records the centre's decision on a pending request.
func (q Queries) DecideExemption(ctx context.Context, x assessment.Exemption) error {
	return affected1(q.exec(ctx, "UPDATE assess_exemptions SET state = ?, decided_by = ?, decided_at = ?, decision_note = ? WHERE id = ? AND state = 'pending'",
		x.State, x.DecidedBy, ms(x.DecidedAt), x.DecisionNote, x.ID))
}

// Exemptions lists exemptions, newest first.
func (q Queries) Exemptions(ctx context.Context, f assessment.ExemptionFilter) ([]assessment.Exemption, error) {
	var where []string
	var args []any
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, f.State)
	}
	if f.UnitID != 0 {
		where, args = append(where, "unit_id = ?"), append(args, f.UnitID)
	}
	if f.CaseID != 0 {
		where, args = append(where, "case_id = ?"), append(args, f.CaseID)
	}
	query := "SELECT " + exemptionCols + " FROM assess_exemptions"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	if f.Limit <= 0 {
		f.Limit = 200
	}
	query += " ORDER BY id DESC LIMIT ?"
	args = append(args, f.Limit)
	out := []assessment.Exemption{}
	err := q.scanRows(ctx, query, args, func(r *sql.Rows) error {
		x, err := scanExemption(r)
		if err == nil {
			out = append(out, x)
		}
		return err
	})
	return out, err
}

// ---- extra items ----

// InsertAssessItem stores an item.
func (q Queries) InsertAssessItem(ctx context.Context, it *assessment.Item) error {
	return q.row(ctx, "INSERT INTO assess_items(unit_id, period, kind, note, created_by, created_at) VALUES (?,?,?,?,?,?) RETURNING id",
		it.UnitID, it.Period, it.Kind, it.Note, it.CreatedBy, ms(it.CreatedAt)).Scan(&it.ID)
}

// AssessItems lists a month's items.
func (q Queries) AssessItems(ctx context.Context, period string) ([]assessment.Item, error) {
	out := []assessment.Item{}
	err := q.scanRows(ctx, "SELECT id, unit_id, period, kind, note, created_by, created_at FROM assess_items WHERE period = ? ORDER BY id", []any{period}, func(r *sql.Rows) error {
		var it assessment.Item
		var at int64
		if err := r.Scan(&it.ID, &it.UnitID, &it.Period, &it.Kind, &it.Note, &it.CreatedBy, &at); err != nil {
			return err
		}
		it.CreatedAt = fromMS(at)
		out = append(out, it)
		return nil
	})
	return out, err
}

// RebuildAssessFacts replays the events of the cases with ids in [fromID,
// toID) into the assessment facts, replacing what is there: for stores that
// held cases before the facts were kept (migration 0005). It returns the
// number of events replayed.
func (q Queries) RebuildAssessFacts(ctx context.Context, fromID, toID int64) (int, error) {
	for _, t := range []string{"assess_orders", "assess_callbacks"} {
		if _, err := q.exec(ctx, "DELETE FROM "+t+" WHERE case_id >= ? AND case_id < ?", fromID, toID); err != nil {
			return 0, err
		}
	}
	var evs []lifecycle.Event
	err := q.scanRows(ctx, "SELECT case_id, seq, action, at, doc FROM events WHERE case_id >= ? AND case_id < ? AND action IN ('dispatch','approve_return','sign','contact','reply','overdue','callback') ORDER BY case_id, seq",
		[]any{fromID, toID}, func(r *sql.Rows) error {
			var e lifecycle.Event
			var action, doc string
			var at int64
			if err := r.Scan(&e.CaseID, &e.Seq, &action, &at, &doc); err != nil {
				return err
			}
			e.Action, e.At = lifecycle.Action(action), fromMS(at)
			if err := q.decodeEventDoc(doc, &e); err != nil {
				return err
			}
			evs = append(evs, e)
			return nil
		})
	if err != nil {
		return 0, err
	}
	for i := range evs {
		if err := q.recordAssessFact(ctx, &evs[i]); err != nil {
			return i, err
		}
	}
	return len(evs), nil
}

// RebuildAllAssessFacts rebuilds the facts of every case, batch cases per
// transaction.
func (s *Store) RebuildAllAssessFacts(ctx context.Context, batch int64) (int, error) {
	var max sql.NullInt64
	if err := s.row(ctx, "SELECT MAX(id) FROM cases").Scan(&max); err != nil || !max.Valid {
		return 0, err
	}
	total := 0
	for lo := int64(0); lo <= max.Int64; lo += batch {
		err := s.Write(ctx, func(tx *Tx) error {
			n, err := tx.RebuildAssessFacts(ctx, lo, lo+batch)
			total += n
			return err
		})
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
