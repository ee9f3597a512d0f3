// Package events holds the pure rules of Whistle's outgoing events (issue
// #13): the envelope a subscriber receives, the event types, the HMAC-SHA256
// signature of a webhook delivery and its verification, the type filter of
// a subscription and the retry schedule (exponential backoff with jitter).
// No SQL, no HTTP: the store writes outbox rows, internal/delivery sends.
package events

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Event types. Case events are "case." + the lifecycle action (case.create,
// case.dispatch, case.close, …); whistle events are "whistle." + the log
// action (whistle.ack, whistle.report, …) plus whistle.summoned when a
// whistle is raised; an assessment month's publication is
// assessment.published.
const (
	TypeWhistleSummoned     = "whistle.summoned"
	TypeAssessmentPublished = "assessment.published"
)

// CaseType is the type of a case event with the lifecycle action a.
func CaseType(action string) string { return "case." + action }

// WhistleType is the type of a whistle log entry with action a.
func WhistleType(action string) string { return "whistle." + action }

// Ordering keys: events of one key are delivered in order.
func CaseKey(caseID int64) string       { return "case:" + strconv.FormatInt(caseID, 10) }
func WhistleKey(whistleID int64) string { return "whistle:" + strconv.FormatInt(whistleID, 10) }

const AssessmentKey = "assessment"

// ID is the event id of outbox row n of the database tagged instance:
// stable, unique (the tag is random per database), the subscriber's
// de-duplication key (and JetStream's Nats-Msg-Id).
func ID(instance string, n int64) string {
	return "evt_" + instance + "_" + strconv.FormatInt(n, 10)
}

// Envelope is what a subscriber receives (the JSON body of a webhook
// delivery, the data of a NATS message). Body carries no citizen's name,
// phone or address and no sealed text: only states, ids, units and times.
type Envelope struct {
	ID         string         `json:"id"`
	Type       string         `json:"type"`
	Time       time.Time      `json:"time"`
	CaseID     int64          `json:"case_id,omitempty"`
	CaseNumber string         `json:"case_number,omitempty"`
	Seq        int64          `json:"seq,omitempty"`
	Data       map[string]any `json:"data,omitempty"`
}

// CaseBody is the body of a case event.
type CaseBody struct {
	Action    string `json:"action"`
	FromState string `json:"from_state,omitempty"`
	ToState   string `json:"to_state,omitempty"`
	ActorUnit int64  `json:"actor_unit_id,omitempty"`
}

// Subject is the NATS subject of an event type: whistle.<type>, so
// case.dispatch → whistle.case.dispatch, whistle.summoned →
// whistle.whistle.summoned, assessment.published → whistle.assessment.published.
func Subject(typ string) string { return "whistle." + typ }

// Matches reports whether an event of type typ passes a subscription's
// filter: a comma-separated list of exact types or prefixes ending in '*'
// ("case.*", "whistle.summoned"); an empty filter passes everything.
func Matches(filter, typ string) bool {
	filter = strings.TrimSpace(filter)
	if filter == "" {
		return true
	}
	for _, f := range strings.Split(filter, ",") {
		f = strings.TrimSpace(f)
		if f == "*" || f == typ {
			return true
		}
		if p, ok := strings.CutSuffix(f, "*"); ok && p != "" && strings.HasPrefix(typ, p) {
			return true
		}
	}
	return false
}

// ValidFilter reports whether a filter is well formed: entries of letters,
// digits, '.', '_' and '-', optionally ending in '*'.
func ValidFilter(filter string) bool {
	if strings.TrimSpace(filter) == "" {
		return true
	}
	for _, f := range strings.Split(filter, ",") {
		f = strings.TrimSuffix(strings.TrimSpace(f), "*")
		for _, r := range f {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
				return false
			}
		}
	}
	return true
}

// Webhook delivery headers.
const (
	HeaderSignature = "X-Whistle-Signature" // sha256=<hex of HMAC-SHA256(secret, timestamp + "." + body)>
	HeaderTimestamp = "X-Whistle-Timestamp" // Unix seconds of the attempt
	HeaderEventID   = "X-Whistle-Event-Id"  // the envelope's id, for de-duplication
	HeaderEventType = "X-Whistle-Event-Type"
)

// Sign returns the X-Whistle-Signature value of body sent at ts.
func Sign(secret []byte, ts int64, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verification errors.
var (
	ErrBadSignature = errors.New("events: signature does not match")
	ErrStale        = errors.New("events: timestamp outside the tolerance")
)

// Verify checks a delivery as a receiver should: the signature header sig
// over the timestamp header ts and the raw body, in constant time, and the
// timestamp within tolerance of now (replay protection; 0 = no check).
func Verify(secret []byte, sig, ts string, body []byte, now time.Time, tolerance time.Duration) error {
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrBadSignature
	}
	want := Sign(secret, t, body)
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return ErrBadSignature
	}
	if tolerance > 0 {
		d := now.Sub(time.Unix(t, 0))
		if d > tolerance || d < -tolerance {
			return ErrStale
		}
	}
	return nil
}

// Backoff is a retry schedule: attempt n (1 = the first retry after the
// first failure) waits Base·2^(n-1), at most Max, of which the upper half is
// jittered (uniformly in [d/2, d]) so receivers coming back are not hit by
// every sender at once. MaxAttempts attempts in all, then dead letter.
type Backoff struct {
	Base, Max   time.Duration
	MaxAttempts int
}

// DefaultBackoff: 10s, 20s, 40s … capped at one hour; 12 attempts (about
// 5 hours of trying) before the dead-letter list.
var DefaultBackoff = Backoff{Base: 10 * time.Second, Max: time.Hour, MaxAttempts: 12}

// Delay returns the wait before the next attempt after failed attempt n
// (n ≥ 1); r in [0, 1) is the jitter draw.
func (b Backoff) Delay(n int, r float64) time.Duration {
	if n < 1 {
		n = 1
	}
	d := b.Base
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	if d > b.Max {
		d = b.Max
	}
	if r < 0 {
		r = 0
	}
	if r >= 1 {
		r = 0.999999
	}
	return d/2 + time.Duration(float64(d/2)*r)
}

// Dead reports whether a delivery that has failed n attempts goes to the
// dead-letter list.
func (b Backoff) Dead(n int) bool { return b.MaxAttempts > 0 && n >= b.MaxAttempts }
