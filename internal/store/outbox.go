package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"whistle/internal/assessment"
	"whistle/internal/errs"
	"whistle/internal/events"
	"whistle/internal/lifecycle"
	"whistle/internal/summons"
)

// ---- the transactional outbox (issue #13) ----
//
// Each change that subscribers hear of writes one narrow outbox row in its
// own transaction (so a rolled-back change leaves none, and a committed one
// always has its row). The delivery worker (internal/delivery) fans committed
// rows out to the active subscriptions and delivers them.

// outboxWake wakes delivery workers of this process after an outbox insert.
// The signal is given when the row is written, before its transaction
// commits; a worker that finds nothing yet looks again shortly after (see
// delivery.Worker), and polls in any case.
var outboxWake = struct {
	sync.Mutex
	ch chan struct{}
}{ch: make(chan struct{})}

// OutboxChanged returns a channel closed at the next outbox insert in this
// process.
func OutboxChanged() <-chan struct{} {
	outboxWake.Lock()
	defer outboxWake.Unlock()
	return outboxWake.ch
}

func signalOutbox() {
	outboxWake.Lock()
	close(outboxWake.ch)
	outboxWake.ch = make(chan struct{})
	outboxWake.Unlock()
}

func (q Queries) outboxInsert(ctx context.Context, typ, key string, caseID, seq int64, at time.Time, body []byte) error {
	return q.outboxRow(ctx, typ, key, caseID, seq, ms(at), string(body))
}

// outboxRow stores one outbox row, its values in the order of outboxCols.
func (q Queries) outboxRow(ctx context.Context, args ...any) error {
	if _, err := q.exec(ctx, "INSERT INTO outbox("+outboxCols+") VALUES (?,?,?,?,?,?)", args...); err != nil {
		return err
	}
	signalOutbox()
	return nil
}

// outboxCaseEvent records a lifecycle event: action and states only (no
// note, no data: those are the staff's words and may carry a citizen's
// details).
func (q Queries) outboxCaseEvent(ctx context.Context, e *lifecycle.Event) error {
	args, err := outboxCaseArgs(e)
	if err != nil {
		return err
	}
	return q.outboxRow(ctx, args...)
}

// outboxCaseArgs are the values of an event's outbox row, in the order of
// outboxCols (on PostgreSQL they go in the event's own INSERT:
// pgEventOutbox).
func outboxCaseArgs(e *lifecycle.Event) ([]any, error) {
	b, err := json.Marshal(events.CaseBody{Action: string(e.Action), FromState: string(e.FromState), ToState: string(e.ToState), ActorUnit: e.ActorUnitID})
	if err != nil {
		return nil, err
	}
	return []any{events.CaseType(string(e.Action)), events.CaseKey(e.CaseID), e.CaseID, int64(e.Seq), ms(e.At), string(b)}, nil
}

const outboxCols = "type, okey, case_id, seq, at, body"

// outboxWhistleSummoned records a new whistle: who is summoned and by when
// (no address, no free text).
func (q Queries) outboxWhistleSummoned(ctx context.Context, w *summons.Whistle) error {
	units := make([]map[string]any, 0, len(w.Reports))
	for _, r := range w.Reports {
		units = append(units, map[string]any{"unit_id": r.UnitID, "report_by": r.ReportBy.UTC()})
	}
	b, err := json.Marshal(map[string]any{"whistle_id": w.ID, "street_unit_id": w.StreetUnitID, "kind": w.Kind, "source": w.Source,
		"case_ids": w.CaseIDs, "place_id": w.PlaceID, "state": w.State, "report_by": w.ReportBy.UTC(), "summoned": units})
	if err != nil {
		return err
	}
	return q.outboxInsert(ctx, events.TypeWhistleSummoned, events.WhistleKey(w.ID), 0, 0, w.RaisedAt, b)
}

// outboxWhistleLog records a whistle log entry (ack, arrive, report, …)
// without its note.
func (q Queries) outboxWhistleLog(ctx context.Context, e *summons.LogEntry) error {
	b, err := json.Marshal(map[string]any{"whistle_id": e.WhistleID, "unit_id": e.UnitID, "action": e.Action, "log_id": e.ID})
	if err != nil {
		return err
	}
	return q.outboxInsert(ctx, events.WhistleType(e.Action), events.WhistleKey(e.WhistleID), 0, e.ID, e.At, b)
}

// outboxAssessment records a published assessment month.
func (q Queries) outboxAssessment(ctx context.Context, m assessment.PublishedMonth) error {
	b, err := json.Marshal(map[string]any{"period": m.Period, "rules_version": m.RulesVersion})
	if err != nil {
		return err
	}
	return q.outboxInsert(ctx, events.TypeAssessmentPublished, events.AssessmentKey, 0, 0, m.PublishedAt, b)
}

// OutboxRow is one outbox row.
type OutboxRow struct {
	ID      int64
	EventID string // events.ID of the row
	Type    string
	Key     string
	CaseID  int64
	Seq     int64
	At      time.Time
	Body    string
}

// Outbox lists outbox rows after id, oldest first (tests, diagnostics).
func (q Queries) Outbox(ctx context.Context, after int64, limit int) ([]OutboxRow, error) {
	var out []OutboxRow
	err := q.scanRows(ctx, "SELECT o.id, o.type, o.okey, o.case_id, o.seq, o.at, o.body, m.value FROM outbox o JOIN outbox_meta m ON m.name = 'instance' WHERE o.id > ? ORDER BY o.id LIMIT ?", []any{after, limit}, func(r *sql.Rows) error {
		var o OutboxRow
		var at int64
		var inst string
		if err := r.Scan(&o.ID, &o.Type, &o.Key, &o.CaseID, &o.Seq, &at, &o.Body, &inst); err != nil {
			return err
		}
		o.At, o.EventID = fromMS(at), events.ID(inst, o.ID)
		out = append(out, o)
		return nil
	})
	return out, err
}

// ---- subscriptions ----

// Subscription kinds.
const (
	SubWebhook = "webhook"
	SubNATS    = "nats"
)

// Subscription is a subscriber of the outbox.
type Subscription struct {
	ID        int64
	Kind      string
	Name      string
	URL       string
	Secret    string // opened
	Types     string // filter, see events.Matches
	Active    bool
	CreatedBy int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

const subCols = "id, kind, name, url, secret, types, active, created_by, created_at, updated_at"

func (q Queries) scanSub(sc interface{ Scan(...any) error }) (Subscription, error) {
	var s Subscription
	var active int
	var ca, ua int64
	if err := sc.Scan(&s.ID, &s.Kind, &s.Name, &s.URL, &s.Secret, &s.Types, &active, &s.CreatedBy, &ca, &ua); err != nil {
		return s, err
	}
	s.Active, s.CreatedAt, s.UpdatedAt = active == 1, fromMS(ca), fromMS(ua)
	sec, err := q.open(s.Secret)
	s.Secret = sec
	return s, err
}

// InsertSubscription stores s (its secret sealed) and sets s.ID.
func (q Queries) InsertSubscription(ctx context.Context, s *Subscription) error {
	return q.row(ctx, "INSERT INTO subscriptions(kind, name, url, secret, types, active, created_by, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?) RETURNING id",
		s.Kind, s.Name, s.URL, q.seal(s.Secret), s.Types, b2i(s.Active), s.CreatedBy, ms(s.CreatedAt), ms(s.UpdatedAt)).Scan(&s.ID)
}

// UpdateSubscription saves s's name, url, secret, filter and active flag.
func (q Queries) UpdateSubscription(ctx context.Context, s *Subscription) error {
	res, err := q.exec(ctx, "UPDATE subscriptions SET name = ?, url = ?, secret = ?, types = ?, active = ?, updated_at = ? WHERE id = ?",
		s.Name, s.URL, q.seal(s.Secret), s.Types, b2i(s.Active), ms(s.UpdatedAt), s.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E(errs.NotFound)
	}
	return nil
}

// DeleteSubscription removes a subscription and its deliveries.
func (q Queries) DeleteSubscription(ctx context.Context, id int64) error {
	if _, err := q.exec(ctx, "DELETE FROM deliveries WHERE sub_id = ?", id); err != nil {
		return err
	}
	res, err := q.exec(ctx, "DELETE FROM subscriptions WHERE id = ?", id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E(errs.NotFound)
	}
	return nil
}

// Subscription returns one subscription.
func (q Queries) Subscription(ctx context.Context, id int64) (Subscription, error) {
	s, err := q.scanSub(q.row(ctx, "SELECT "+subCols+" FROM subscriptions WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, errs.E(errs.NotFound)
	}
	return s, err
}

// Subscriptions lists the subscriptions of a kind ("" = all) by id.
func (q Queries) Subscriptions(ctx context.Context, kind string) ([]Subscription, error) {
	out := []Subscription{}
	err := q.scanRows(ctx, "SELECT "+subCols+" FROM subscriptions WHERE kind = ? OR ? = '' ORDER BY id", []any{kind, kind}, func(r *sql.Rows) error {
		s, err := q.scanSub(r)
		if err != nil {
			return err
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

// ---- fan-out and delivery ----

// FanOut creates a pending delivery per active subscription whose filter
// passes, for up to limit committed outbox rows not yet fanned out, oldest
// first, and marks them fanned out. Fan-out is serialised across nodes (the
// lock row), so the deliveries of one key are created in outbox order.
func (q Queries) FanOut(ctx context.Context, now time.Time, limit int) (int, error) {
	var lock string
	if err := q.row(ctx, "SELECT name FROM outbox_locks WHERE name = 'fanout'"+q.forUpdate()).Scan(&lock); err != nil {
		return 0, err
	}
	type row struct {
		id        int64
		typ, okey string
	}
	var rows []row
	if err := q.scanRows(ctx, "SELECT id, type, okey FROM outbox WHERE fanned = 0 ORDER BY id LIMIT ?", []any{limit}, func(r *sql.Rows) error {
		var o row
		if err := r.Scan(&o.id, &o.typ, &o.okey); err != nil {
			return err
		}
		rows = append(rows, o)
		return nil
	}); err != nil || len(rows) == 0 {
		return 0, err
	}
	type sub struct {
		id    int64
		types string
	}
	var subs []sub
	if err := q.scanRows(ctx, "SELECT id, types FROM subscriptions WHERE active = 1 ORDER BY id", nil, func(r *sql.Rows) error {
		var s sub
		if err := r.Scan(&s.id, &s.types); err != nil {
			return err
		}
		subs = append(subs, s)
		return nil
	}); err != nil {
		return 0, err
	}
	ids := make([]string, len(rows))
	for i, o := range rows {
		ids[i] = strconv.FormatInt(o.id, 10)
		for _, s := range subs {
			if !events.Matches(s.types, o.typ) {
				continue
			}
			if _, err := q.exec(ctx, "INSERT INTO deliveries(sub_id, outbox_id, okey, next_at) VALUES (?,?,?,?) ON CONFLICT(sub_id, outbox_id) DO NOTHING", s.id, o.id, o.okey, ms(now)); err != nil {
				return 0, err
			}
		}
	}
	// ids are integers formatted here, not input.
	if _, err := q.exec(ctx, "UPDATE outbox SET fanned = 1 WHERE id IN ("+strings.Join(ids, ",")+")"); err != nil {
		return 0, err
	}
	return len(rows), nil
}

// OutboxWork reports, from a read, whether a step has anything to do:
// outbox rows to fan out, or pending deliveries due at now. The worker asks
// before it takes the single writer, so an idle or merely busy intake is not
// slowed by empty write transactions.
func (q Queries) OutboxWork(ctx context.Context, now time.Time) (fanout, due bool, err error) {
	var n int64
	err = q.row(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM outbox WHERE fanned = 0 LIMIT 1) x").Scan(&n)
	if err != nil {
		return false, false, err
	}
	fanout = n > 0
	err = q.row(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM deliveries WHERE state = 'pending' AND next_at <= ? AND lease_until <= ? LIMIT 1) x", ms(now), ms(now)).Scan(&n)
	return fanout, n > 0, err
}

// Delivery is one event for one subscription, with what sending needs.
type Delivery struct {
	ID         int64
	SubID      int64
	State      string // pending, done, dead
	Attempts   int
	NextAt     time.Time
	LastError  string
	LastStatus int
	DoneAt     time.Time
	Event      OutboxRow
	CaseNumber string
}

// Delivery states.
const (
	DeliveryPending = "pending"
	DeliveryDone    = "done"
	DeliveryDead    = "dead"
)

const deliveryCols = "d.id, d.sub_id, d.state, d.attempts, d.next_at, d.last_error, d.last_status, d.done_at, o.id, o.type, o.okey, o.case_id, o.seq, o.at, o.body, COALESCE(c.number, ''), m.value"
const deliveryFrom = " FROM deliveries d JOIN outbox o ON o.id = d.outbox_id JOIN outbox_meta m ON m.name = 'instance' LEFT JOIN cases c ON c.id = o.case_id AND o.case_id > 0"

func scanDelivery(r *sql.Rows) (Delivery, error) {
	var d Delivery
	var next, done, at int64
	var inst string
	err := r.Scan(&d.ID, &d.SubID, &d.State, &d.Attempts, &next, &d.LastError, &d.LastStatus, &done, &d.Event.ID, &d.Event.Type, &d.Event.Key, &d.Event.CaseID, &d.Event.Seq, &at, &d.Event.Body, &d.CaseNumber, &inst)
	d.NextAt, d.DoneAt, d.Event.At, d.Event.EventID = fromMS(next), fromMS(done), fromMS(at), events.ID(inst, d.Event.ID)
	return d, err
}

// ClaimDeliveries leases up to limit due deliveries of active subscriptions
// to node until now+lease. Only the head of each (subscription, key) queue
// is due: a later event of a case waits until the earlier one is done or
// dead. On PostgreSQL rows locked by another node's claim are skipped.
func (q Queries) ClaimDeliveries(ctx context.Context, now time.Time, node string, lease time.Duration, limit int) ([]Delivery, error) {
	lock := ""
	if q.dialect == Postgres && q.inTx {
		lock = " FOR UPDATE OF d SKIP LOCKED"
	}
	var out []Delivery
	err := q.scanRows(ctx, "SELECT "+deliveryCols+deliveryFrom+" JOIN subscriptions s ON s.id = d.sub_id"+
		" WHERE d.state = 'pending' AND d.next_at <= ? AND d.lease_until <= ? AND s.active = 1"+
		" AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.sub_id = d.sub_id AND e.okey = d.okey AND e.state = 'pending' AND e.outbox_id < d.outbox_id)"+
		" ORDER BY d.outbox_id LIMIT ?"+lock, []any{ms(now), ms(now), limit}, func(r *sql.Rows) error {
		d, err := scanDelivery(r)
		out = append(out, d)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, d := range out {
		if _, err := q.exec(ctx, "UPDATE deliveries SET lease_until = ?, lease_node = ? WHERE id = ?", ms(now.Add(lease)), node, d.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// DeliveryDone marks a delivery delivered.
func (q Queries) DeliveryDone(ctx context.Context, id int64, now time.Time, status int) error {
	_, err := q.exec(ctx, "UPDATE deliveries SET state = 'done', attempts = attempts + 1, done_at = ?, last_status = ?, last_error = '', lease_until = 0, lease_node = '' WHERE id = ? AND state = 'pending'", ms(now), status, id)
	return err
}

// DeliveryFailed records a failed attempt: retried at next, or dead.
func (q Queries) DeliveryFailed(ctx context.Context, id int64, attempts int, next time.Time, dead bool, status int, msg string) error {
	state := DeliveryPending
	if dead {
		state = DeliveryDead
	}
	if len(msg) > 500 {
		msg = msg[:500]
	}
	_, err := q.exec(ctx, "UPDATE deliveries SET state = ?, attempts = ?, next_at = ?, last_status = ?, last_error = ?, lease_until = 0, lease_node = '' WHERE id = ? AND state = 'pending'",
		state, attempts, ms(next), status, msg, id)
	return err
}

// Deliveries lists a subscription's deliveries in a state ("" = all),
// newest first.
func (q Queries) Deliveries(ctx context.Context, subID int64, state string, limit int) ([]Delivery, error) {
	out := []Delivery{}
	err := q.scanRows(ctx, "SELECT "+deliveryCols+deliveryFrom+" WHERE d.sub_id = ? AND (d.state = ? OR ? = '') ORDER BY d.id DESC LIMIT ?", []any{subID, state, state, limit}, func(r *sql.Rows) error {
		d, err := scanDelivery(r)
		out = append(out, d)
		return err
	})
	return out, err
}

// DeliveryCounts counts a subscription's deliveries by state.
func (q Queries) DeliveryCounts(ctx context.Context, subID int64) (map[string]int64, error) {
	out := map[string]int64{}
	err := q.scanRows(ctx, "SELECT state, COUNT(*) FROM deliveries WHERE sub_id = ? GROUP BY state", []any{subID}, func(r *sql.Rows) error {
		var s string
		var n int64
		if err := r.Scan(&s, &n); err != nil {
			return err
		}
		out[s] = n
		return nil
	})
	return out, err
}

// ReplayDead puts a subscription's dead letters (one, or all when
// deliveryID is 0) back in the queue with fresh attempts, and returns how
// many.
func (q Queries) ReplayDead(ctx context.Context, subID, deliveryID int64, now time.Time) (int64, error) {
	res, err := q.exec(ctx, "UPDATE deliveries SET state = 'pending', attempts = 0, next_at = ?, lease_until = 0, lease_node = '' WHERE sub_id = ? AND state = 'dead' AND (id = ? OR ? = 0)",
		ms(now), subID, deliveryID, deliveryID)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	if n == 0 && deliveryID != 0 {
		return 0, errs.E(errs.NotFound)
	}
	return n, nil
}

// PruneOutbox deletes delivered history older than before: done deliveries,
// then outbox rows already fanned out that no delivery refers to any more
// (dead letters and pending deliveries keep theirs). At most limit rows of
// each per call; it returns how many outbox rows went.
func (q Queries) PruneOutbox(ctx context.Context, before time.Time, limit int) (int64, error) {
	if _, err := q.exec(ctx, "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE state = 'done' AND done_at < ? ORDER BY id LIMIT ?)", ms(before), limit); err != nil {
		return 0, err
	}
	var cut int64
	err := q.row(ctx, "SELECT id FROM outbox WHERE at >= ? ORDER BY id LIMIT 1", ms(before)).Scan(&cut)
	if errors.Is(err, sql.ErrNoRows) {
		err = q.row(ctx, "SELECT COALESCE(MAX(id), 0) + 1 FROM outbox").Scan(&cut)
	}
	if err != nil {
		return 0, err
	}
	res, err := q.exec(ctx, "DELETE FROM outbox WHERE id IN (SELECT o.id FROM outbox o WHERE o.id < ? AND o.fanned = 1 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.outbox_id = o.id) ORDER BY o.id LIMIT ?)", cut, limit)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return n, nil
}
