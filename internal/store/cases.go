package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

// DueAt is the deadline a case is sorted by in inboxes: the next one that
// its current holder must meet.
func DueAt(c *lifecycle.Case) time.Time {
	switch c.State {
	case lifecycle.Submitted:
		return c.AcceptBy
	case lifecycle.Received:
		return c.DispatchBy
	case lifecycle.Dispatched:
		if !c.SignBy.IsZero() && c.SignBy.Before(c.ReplyBy) {
			return c.SignBy
		}
		return c.ReplyBy
	case lifecycle.Signed, lifecycle.Contacted, lifecycle.Handling:
		return c.ReplyBy
	case lifecycle.Replied:
		// The centre's callback: a day after the reply. It keeps replied
		// cases from heading the unit's inbox ahead of its real deadlines.
		return c.RepliedAt.Add(24 * time.Hour)
	}
	return time.Time{}
}

// docCase is a case's doc column: the case without personal data, plus its
// EventSeq (json:"-" on Case), which the next event's seq is derived from.
type docCase struct {
	*lifecycle.Case
	EventSeq int `json:"event_seq"`
}

// caseDoc encodes the doc column. The citizen's name and phone live in
// their own columns; the free texts and the exact address are sealed in
// place (see sealing.go).
func (q Queries) caseDoc(c *lifecycle.Case) (string, error) {
	d := *c
	d.Citizen.Name, d.Citizen.Phone = "", "" // personal data lives in its own columns
	d.Title, d.Description, d.Location.Address = q.seal(d.Title), q.seal(d.Description), q.seal(d.Location.Address)
	b, err := json.Marshal(docCase{&d, c.EventSeq})
	return string(b), err
}

func (q Queries) caseArgs(c *lifecycle.Case) ([]any, error) {
	doc, err := q.caseDoc(c)
	if err != nil {
		return nil, err
	}
	return q.caseArgsDoc(c, doc), nil
}

func (q Queries) caseArgsDoc(c *lifecycle.Case, doc string) []any {
	l := c.Location
	return []any{c.Number, string(c.State), b2i(c.State.Open()), c.Channel, c.Type, c.Category, c.Urgency,
		l.DistrictID, l.StreetID, l.CommunityID, l.GridID, c.LeadUnitID, c.SupervisingUnitID, ms(DueAt(c)),
		b2i(c.Overdue), b2i(c.Supervised), b2i(c.ReturnPending), b2i(c.ExtensionPending),
		c.Citizen.PhoneHash, q.seal(c.Citizen.Name), q.seal(c.Citizen.Phone), c.CreatedBy, ms(c.CreatedAt), ms(c.UpdatedAt), ms(c.ClosedAt),
		c.Version, doc, q.sealKey()}
}

// NewCaseDoc is a new case's document encoded ahead of its write, with a
// placeholder where the number goes: the encoding is done by the caller's
// goroutine, not by the single writer, which only splices the number (and
// the sealed texts) in (InsertNewCase).
type NewCaseDoc struct {
	doc                         string
	title, description, address string
	repeat                      bool // encoded with c.Repeat set
	// sealedDoc is doc with the texts sealed under the key sealedWith
	// already spliced in (SealNewCase), so the writer splices only the
	// number; when the ring's key has moved on since, the writer seals
	// again.
	sealedDoc, sealedWith string
}

// SealNewCase seals a new case's texts and splices them into its document
// ahead of the write, on the caller's goroutine (the single writer then
// only splices the number in).
func (q Queries) SealNewCase(nd NewCaseDoc) NewCaseDoc {
	doc := nd.doc
	for _, p := range [][2]string{{titlePlaceholder, q.seal(nd.title)},
		{descriptionPlaceholder, q.seal(nd.description)}, {addressPlaceholder, q.seal(nd.address)}} {
		doc, _ = splice(doc, p[0], p[1])
	}
	nd.sealedDoc, nd.sealedWith = doc, q.sealKey()
	return nd
}

// sealedDoc is nd's document with its texts sealed under the ring's
// primary key: as SealNewCase left it, or sealed again when the key has
// moved on since (or it was never sealed ahead).
func (q Queries) sealedDoc(nd NewCaseDoc) string {
	if nd.sealedDoc == "" || nd.sealedWith != q.sealKey() {
		nd = q.SealNewCase(nd)
	}
	return nd.sealedDoc
}

const (
	numberPlaceholder      = "\x00number\x00"
	titlePlaceholder       = "\x00title\x00"
	descriptionPlaceholder = "\x00description\x00"
	addressPlaceholder     = "\x00address\x00"
)

// EncodeNewCase encodes c (whose Number is not known yet) for InsertNewCase.
// The texts to be sealed are kept aside: the key is the store's.
func EncodeNewCase(c *lifecycle.Case) (NewCaseDoc, error) {
	d := *c
	d.Number = numberPlaceholder
	d.Title, d.Description, d.Location.Address = titlePlaceholder, descriptionPlaceholder, addressPlaceholder
	doc, err := Queries{}.caseDoc(&d)
	return NewCaseDoc{doc: doc, title: c.Title, description: c.Description, address: c.Location.Address, repeat: c.Repeat != nil}, err
}

// withRepeat adds the repeat counts found in the writing transaction to a
// document encoded without them (the key's place in the object does not
// matter to a reader).
func withRepeat(doc string, r *lifecycle.Repeat) (string, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(doc, "{") {
		return "", fmt.Errorf("store: a new case's document is not an object")
	}
	return `{"repeat":` + string(b) + "," + doc[1:], nil
}

// Plain is the document as a store without keys writes it for the case
// numbered number: for bulk loaders (the analysis benchmark) that write
// rows of their own.
func (nd NewCaseDoc) Plain(number string) (string, error) {
	doc := nd.doc
	for _, kv := range [][2]string{{numberPlaceholder, number}, {titlePlaceholder, nd.title},
		{descriptionPlaceholder, nd.description}, {addressPlaceholder, nd.address}} {
		var ok bool
		if doc, ok = splice(doc, kv[0], kv[1]); !ok {
			return "", fmt.Errorf("store: no %q in a new case's document", kv[0])
		}
	}
	return doc, nil
}

func splice(doc, placeholder, value string) (string, bool) {
	ph, _ := json.Marshal(placeholder)
	v, _ := json.Marshal(value)
	out := strings.Replace(doc, string(ph), string(v), 1)
	return out, out != doc
}

// InsertNewCase stores a new case (c.Number set) with its document encoded
// by EncodeNewCase from the same case, and sets c.ID.
func (q Queries) InsertNewCase(ctx context.Context, c *lifecycle.Case, nd NewCaseDoc) error {
	doc, ok := splice(q.sealedDoc(nd), numberPlaceholder, c.Number)
	if !ok {
		return fmt.Errorf("store: new case document without its number placeholder")
	}
	var err error
	if c.Repeat == nil && nd.repeat {
		doc, err = q.caseDoc(c)
	} else {
		doc, err = withRepeatOf(doc, c, nd)
	}
	if err != nil {
		return err
	}
	return q.insertNewCase(ctx, c, doc)
}

// withRepeatOf is doc with c's repeat counts when nd was encoded without
// them.
func withRepeatOf(doc string, c *lifecycle.Case, nd NewCaseDoc) (string, error) {
	if c.Repeat != nil && !nd.repeat {
		return withRepeat(doc, c.Repeat)
	}
	return doc, nil
}

func (q Queries) insertNewCase(ctx context.Context, c *lifecycle.Case, doc string) error {
	args := q.caseArgsDoc(c, doc)
	marks := strings.TrimSuffix(strings.Repeat("?,", len(args)), ",")
	if err := q.row(ctx, "INSERT INTO cases("+caseInsertCols+") VALUES ("+marks+") RETURNING id", args...).Scan(&c.ID); err != nil {
		return uniq(err, "number")
	}
	return q.afterNewCase(ctx, c)
}

func (q Queries) afterNewCase(ctx context.Context, c *lifecycle.Case) error {
	if err := q.syncDaily(ctx, c, nil); err != nil {
		return err
	}
	return q.syncCaseUnits(ctx, c, nil)
}

// InsertNumberedCase is NextNumber(day) and InsertNewCase: it numbers a
// new case, stores it and sets c.Number and c.ID. On PostgreSQL the number
// is taken inside the case's INSERT (pgNumberedCase), one round trip less
// on every create; the number is the sequence's, formatted and spliced
// into the document as NextNumber and InsertNewCase do, and a failed
// insert leaves the same gap.
func (q Queries) InsertNumberedCase(ctx context.Context, c *lifecycle.Case, nd NewCaseDoc, day string) error {
	if q.dialect != Postgres || (c.Repeat == nil && nd.repeat) {
		// SQLite numbers in the transaction (NextNumber); a document
		// encoded afresh (repeat counts gone) carries the number already.
		num, err := q.NextNumber(ctx, day)
		if err != nil {
			return err
		}
		c.Number = num
		return q.InsertNewCase(ctx, c, nd)
	}
	if !validDay(day) {
		return fmt.Errorf("store: bad day %q", day)
	}
	if err := q.num.ensure(ctx, day); err != nil {
		return err
	}
	sealedDoc := q.sealedDoc(nd)
	ph, _ := json.Marshal(numberPlaceholder)
	if !strings.Contains(sealedDoc, string(ph)) {
		return fmt.Errorf("store: new case document without its number placeholder")
	}
	doc, err := withRepeatOf(sealedDoc, c, nd)
	if err != nil {
		return err
	}
	args := q.caseArgsDoc(c, doc)
	// number and doc are made in the statement: the day, then the
	// document and its placeholder.
	args[0], args[len(args)-2] = day, doc
	args = slices.Insert(args, len(args)-1, any(string(ph)))
	if err := q.row(ctx, pgNumberedCase(day), args...).Scan(&c.ID, &c.Number); err != nil {
		return uniq(err, "number")
	}
	return q.afterNewCase(ctx, c)
}

// pgNumberedCase is the INSERT of a new case numbered from the day's
// sequence: the number is the day and at least five digits (NextNumber's
// %05d), and it replaces the first occurrence of the placeholder in the
// document (splice). The sequence is read once (a CTE calling a volatile
// function is evaluated once, however often it is referenced).
func pgNumberedCase(day string) string {
	n := strings.Count(caseInsertCols, ",") + 1
	return "WITH n AS (SELECT ?::text || lpad(v::text, greatest(5, length(v::text)), '0') AS no FROM nextval('case_no_" + day + "') v) " +
		"INSERT INTO cases(" + caseInsertCols + ") VALUES ((SELECT no FROM n), " + strings.Repeat("?,", n-3) +
		" (SELECT overlay(d placing to_json(no)::text from strpos(d, p) for length(p)) FROM n, (SELECT ?::text AS d, ?::text AS p) x), ?) RETURNING id, number"
}

const caseInsertCols = "number, state, is_open, channel, type, category, urgency, district_id, street_id, community_id, grid_id, lead_unit_id, supervising_unit_id, due_at, overdue, supervised, return_pending, extension_pending, phone_hash, citizen_name, citizen_phone, created_by, created_at, updated_at, closed_at, version, doc, seal_key"

// InsertCase stores a new case and sets c.ID (kept when non-zero).
func (q Queries) InsertCase(ctx context.Context, c *lifecycle.Case) error {
	args, err := q.caseArgs(c)
	if err != nil {
		return err
	}
	marks := strings.TrimSuffix(strings.Repeat("?,", len(args)), ",")
	if c.ID != 0 {
		_, err = q.exec(ctx, "INSERT INTO cases(id, "+caseInsertCols+") VALUES (?,"+marks+")", append([]any{c.ID}, args...)...)
	} else {
		err = q.row(ctx, "INSERT INTO cases("+caseInsertCols+") VALUES ("+marks+") RETURNING id", args...).Scan(&c.ID)
	}
	if err != nil {
		return uniq(err, "number")
	}
	if err := q.syncDaily(ctx, c, nil); err != nil {
		return err
	}
	return q.syncCaseUnits(ctx, c, nil)
}

// UpdateCase saves c, whose Version the caller has already bumped from
// prevVersion; a concurrent change makes it fail with errs.Conflict.
func (q Queries) UpdateCase(ctx context.Context, c *lifecycle.Case, prev *lifecycle.Case) error {
	args, err := q.caseArgs(c)
	if err != nil {
		return err
	}
	cols := strings.Split(caseInsertCols, ", ")
	set := make([]string, 0, len(cols))
	for _, col := range cols[1:] { // number never changes
		set = append(set, col+" = ?")
	}
	res, err := q.exec(ctx, "UPDATE cases SET "+strings.Join(set, ", ")+" WHERE id = ? AND version = ?", append(args[1:], c.ID, prev.Version)...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E(errs.Conflict)
	}
	if err := q.syncDaily(ctx, c, prev); err != nil {
		return err
	}
	return q.syncCaseUnits(ctx, c, prev)
}

// syncCaseUnits keeps case_units (co-handlers) in step with the case.
func (q Queries) syncCaseUnits(ctx context.Context, c *lifecycle.Case, prev *lifecycle.Case) error {
	if prev != nil && sameIDs(prev.CoUnitIDs, c.CoUnitIDs) {
		return nil
	}
	if prev != nil {
		if _, err := q.exec(ctx, "DELETE FROM case_units WHERE case_id = ?", c.ID); err != nil {
			return err
		}
	}
	for _, u := range c.CoUnitIDs {
		if _, err := q.exec(ctx, "INSERT INTO case_units(case_id, unit_id, role) VALUES (?,?,?)", c.ID, u, "co"); err != nil {
			return err
		}
	}
	return nil
}

func sameIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

const caseSelect = "SELECT c.id, c.citizen_name, c.citizen_phone, c.phone_hash, c.doc FROM cases c"

func (q Queries) scanCase(sc interface{ Scan(...any) error }) (*lifecycle.Case, error) {
	var id int64
	var name, phone, hash, doc string
	if err := sc.Scan(&id, &name, &phone, &hash, &doc); err != nil {
		return nil, err
	}
	return q.decodeCase(id, name, phone, hash, doc)
}

// decodeCase makes a case of its row: the doc, and the citizen's columns,
// opening what is sealed.
func (q Queries) decodeCase(id int64, name, phone, hash, doc string) (*lifecycle.Case, error) {
	var c lifecycle.Case
	d := docCase{Case: &c}
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return nil, fmt.Errorf("store: case %d: %w", id, err)
	}
	c.ID, c.EventSeq = id, d.EventSeq
	var err error
	for _, f := range []*string{&name, &phone, &c.Title, &c.Description, &c.Location.Address} {
		if *f, err = q.open(*f); err != nil {
			return nil, fmt.Errorf("store: case %d: %w", id, err)
		}
	}
	c.Citizen.Name, c.Citizen.Phone, c.Citizen.PhoneHash = name, phone, hash
	return &c, nil
}

// Case returns a case by id within scope (errs.NotFound outside it). In a
// write transaction on PostgreSQL the row is locked.
func (q Queries) Case(ctx context.Context, id int64, sc org.Scope) (*lifecycle.Case, error) {
	where, args := scopeSQL(sc)
	c, err := q.scanCase(q.row(ctx, caseSelect+" WHERE c.id = ?"+where+q.forUpdate(), append([]any{id}, args...)...))
	return c, notFound(err)
}

// CaseByNumber returns a case by its number within scope.
func (q Queries) CaseByNumber(ctx context.Context, number string, sc org.Scope) (*lifecycle.Case, error) {
	where, args := scopeSQL(sc)
	c, err := q.scanCase(q.row(ctx, caseSelect+" WHERE c.number = ?"+where+q.forUpdate(), append([]any{number}, args...)...))
	return c, notFound(err)
}

// scopeSQL turns a visibility scope into an AND clause on alias c.
func scopeSQL(sc org.Scope) (string, []any) {
	switch {
	case sc.None:
		return " AND 1 = 0", nil
	case sc.All:
		return "", nil
	}
	var parts []string
	var args []any
	if sc.DistrictID != 0 {
		parts = append(parts, "c.district_id = ?")
		args = append(args, sc.DistrictID)
	}
	if sc.UnitID != 0 {
		parts = append(parts, "c.lead_unit_id = ?", "(c.supervising_unit_id = ? AND c.supervising_unit_id <> 0)", "EXISTS (SELECT 1 FROM case_units cu WHERE cu.case_id = c.id AND cu.unit_id = ?)")
		args = append(args, sc.UnitID, sc.UnitID, sc.UnitID)
	}
	if sc.UserID != 0 {
		parts = append(parts, "c.created_by = ?")
		args = append(args, sc.UserID)
	}
	if len(sc.GridIDs) > 0 {
		marks := strings.TrimSuffix(strings.Repeat("?,", len(sc.GridIDs)), ",")
		parts = append(parts, "c.grid_id IN ("+marks+")")
		for _, g := range sc.GridIDs {
			args = append(args, g)
		}
	}
	if len(parts) == 0 {
		return " AND 1 = 0", nil
	}
	return " AND (" + strings.Join(parts, " OR ") + ")", args
}

// Cases lists cases in scope matching f, with keyset pagination.
func (q Queries) Cases(ctx context.Context, sc org.Scope, f lifecycle.CaseFilter) (lifecycle.ListPage, error) {
	where := []string{"1 = 1"}
	var args []any
	add := func(cond string, a ...any) { where = append(where, cond); args = append(args, a...) }
	if len(f.States) > 0 {
		marks := strings.TrimSuffix(strings.Repeat("?,", len(f.States)), ",")
		var a []any
		for _, s := range f.States {
			a = append(a, string(s))
		}
		add("c.state IN ("+marks+")", a...)
	}
	// The flags are written into the text, not bound: partial indexes
	// hold only open (or open and overdue) cases, and SQLite may plan a
	// statement by a bound flag's value and then, the statement kept for
	// reuse, run that plan for the other value (the open overdue cases'
	// index answered "not overdue" with nothing).
	if f.Open != nil {
		add("c.is_open = " + strconv.Itoa(b2i(*f.Open)))
	}
	if f.LeadUnitID != 0 {
		add("c.lead_unit_id = ?", f.LeadUnitID)
	}
	if f.CoUnitID != 0 {
		add("EXISTS (SELECT 1 FROM case_units cu WHERE cu.case_id = c.id AND cu.unit_id = ?)", f.CoUnitID)
	}
	if f.DistrictID != 0 {
		add("c.district_id = ?", f.DistrictID)
	}
	if f.StreetID != 0 {
		add("c.street_id = ?", f.StreetID)
	}
	if f.CommunityID != 0 {
		add("c.community_id = ?", f.CommunityID)
	}
	if f.GridID != 0 {
		add("c.grid_id = ?", f.GridID)
	}
	if f.Category != "" {
		add("(c.category = ? OR c.category LIKE ?)", f.Category, f.Category+".%")
	}
	if f.Type != "" {
		add("c.type = ?", f.Type)
	}
	if f.Channel != "" {
		add("c.channel = ?", f.Channel)
	}
	for _, b := range []struct {
		v   *bool
		col string
	}{{f.Overdue, "overdue"}, {f.Supervised, "supervised"}, {f.ReturnPending, "return_pending"}, {f.ExtPending, "extension_pending"}} {
		if b.v != nil {
			add("c." + b.col + " = " + strconv.Itoa(b2i(*b.v)))
		}
	}
	if f.PhoneHash != "" {
		add("c.phone_hash = ?", f.PhoneHash)
	}
	if !f.CreatedFrom.IsZero() {
		add("c.created_at >= ?", ms(f.CreatedFrom))
	}
	if !f.CreatedTo.IsZero() {
		add("c.created_at < ?", ms(f.CreatedTo))
	}
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	order := "c.created_at DESC, c.id DESC"
	key := "c.created_at"
	if f.Sort == "due" {
		order, key = "c.due_at ASC, c.id ASC", "c.due_at"
		if f.Open == nil {
			add("c.is_open = 1")
		}
	}
	if f.Cursor != "" {
		var k, id int64
		if _, err := fmt.Sscanf(f.Cursor, "%d.%d", &k, &id); err != nil {
			return lifecycle.ListPage{}, errs.F(errs.Invalid, "cursor")
		}
		if f.Sort == "due" {
			add("("+key+" > ? OR ("+key+" = ? AND c.id > ?))", k, k, id)
		} else {
			add("("+key+" < ? OR ("+key+" = ? AND c.id < ?))", k, k, id)
		}
	}
	sw, sargs := scopeSQL(sc)
	from := caseSelect
	if f.PhoneHash != "" && q.dialect == SQLite {
		// A phone hash picks a handful of rows; SQLite's planner may
		// still prefer the index of a scope term (a district's cases),
		// depending on its statistics, and scan thousands. Pin it.
		from += " INDEXED BY cases_phone_hash"
	}
	query := from + " WHERE " + strings.Join(where, " AND ") + sw + " ORDER BY " + order + " LIMIT ?"
	rows, err := q.query(ctx, query, append(append(args, sargs...), limit+1)...)
	if err != nil {
		return lifecycle.ListPage{}, err
	}
	defer rows.Close()
	var page lifecycle.ListPage
	for rows.Next() {
		c, err := q.scanCase(rows)
		if err != nil {
			return lifecycle.ListPage{}, err
		}
		page.Cases = append(page.Cases, c)
	}
	if err := rows.Err(); err != nil {
		return lifecycle.ListPage{}, err
	}
	if len(page.Cases) > limit {
		page.Cases = page.Cases[:limit]
		last := page.Cases[limit-1]
		k := ms(last.CreatedAt)
		if f.Sort == "due" {
			k = ms(DueAt(last))
		}
		page.Next = fmt.Sprintf("%d.%d", k, last.ID)
	}
	return page, nil
}

// CountByState counts cases per state (for metrics).
func (q Queries) CountByState(ctx context.Context) (map[string]int64, error) {
	rows, err := q.query(ctx, "SELECT state, COUNT(*) FROM cases GROUP BY state")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var s string
		var n int64
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

// CountOverdue counts open overdue cases (for metrics).
func (q Queries) CountOverdue(ctx context.Context) (int64, error) {
	var n int64
	err := q.row(ctx, "SELECT COUNT(*) FROM cases WHERE is_open = 1 AND overdue = 1").Scan(&n)
	return n, err
}

// ---- events ----

// AppendEvent appends an event; (case, seq) is unique, so a concurrent
// double-apply fails instead of writing twice.
func (q Queries) AppendEvent(ctx context.Context, e *lifecycle.Event) error {
	doc, err := EncodeEvent(e)
	if err != nil {
		return err
	}
	return q.AppendEncodedEvent(ctx, e, doc)
}

// EncodedEvent is an event's document encoded ahead of its write.
type EncodedEvent struct {
	actorName, actorRole string
	attachments          []int64
	note                 string
	data                 map[string]any
	body                 []byte // JSON of note and data; nil when both are empty
}

// eventDoc is the stored document of an event. Note and Data are the
// staff's words (a note may carry a citizen's phone number: "已致电…"), so
// with a key ring they are sealed together into Sealed; without one (and in
// events written before sealing) they are in clear.
type eventDoc struct {
	ActorName   string         `json:"actor_name,omitempty"`
	ActorRole   string         `json:"actor_role,omitempty"`
	Note        string         `json:"note,omitempty"`
	Data        map[string]any `json:"data,omitempty"`
	Attachments []int64        `json:"attachments,omitempty"`
	Sealed      string         `json:"sealed,omitempty"`
}

// eventBody is what an event's Sealed holds.
type eventBody struct {
	Note string         `json:"note,omitempty"`
	Data map[string]any `json:"data,omitempty"`
}

// EncodeEvent encodes e's document (actor, note, data, attachments) for
// AppendEncodedEvent, outside the single writer; the writer only seals the
// encoded note and data (one AES-GCM operation).
func EncodeEvent(e *lifecycle.Event) (EncodedEvent, error) {
	ed := EncodedEvent{actorName: e.ActorName, actorRole: e.ActorRole, attachments: e.Attachments, note: e.Note, data: e.Data}
	if e.Note != "" || len(e.Data) > 0 {
		b, err := json.Marshal(eventBody{e.Note, e.Data})
		if err != nil {
			return ed, err
		}
		ed.body = b
	}
	return ed, nil
}

// eventDoc returns the document to store for ed: note and data sealed
// under the primary key, or in clear when the store has no keys.
func (q Queries) eventDoc(ed EncodedEvent) (string, error) {
	d := eventDoc{ActorName: ed.actorName, ActorRole: ed.actorRole, Attachments: ed.attachments}
	if q.ring == nil {
		d.Note, d.Data = ed.note, ed.data
	} else if ed.body != nil {
		d.Sealed = q.ring.Seal(string(ed.body))
	}
	b, err := json.Marshal(d)
	return string(b), err
}

// decodeEventDoc reads a stored event document into e, opening its note
// and data when they are sealed.
func (q Queries) decodeEventDoc(doc string, e *lifecycle.Event) error {
	var d eventDoc
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return err
	}
	e.ActorName, e.ActorRole, e.Attachments, e.Note, e.Data = d.ActorName, d.ActorRole, d.Attachments, d.Note, d.Data
	if d.Sealed == "" {
		return nil
	}
	plain, err := q.open(d.Sealed)
	if err != nil {
		return err
	}
	var b eventBody
	if err := json.Unmarshal([]byte(plain), &b); err != nil {
		return err
	}
	e.Note, e.Data = b.Note, b.Data
	return nil
}

// AppendEncodedEvent appends e with its document encoded by EncodeEvent.
func (q Queries) AppendEncodedEvent(ctx context.Context, e *lifecycle.Event, ed EncodedEvent) error {
	doc, err := q.eventDoc(ed)
	if err != nil {
		return err
	}
	args := []any{e.CaseID, e.Seq, string(e.Action), string(e.FromState), string(e.ToState), e.ActorUserID, e.ActorUnitID, ms(e.At), doc, q.sealKey()}
	query := eventInsert + " RETURNING id"
	if q.dialect == Postgres {
		// The event and its outbox row (issue #13: in the same
		// transaction) in one statement, one round trip: a failing
		// event insert (a duplicate seq) stores neither.
		ob, err := outboxCaseArgs(e)
		if err != nil {
			return err
		}
		query, args = pgEventOutbox, append(args, ob...)
	}
	err = q.row(ctx, query, args...).Scan(&e.ID)
	if isUnique(err) {
		return errs.E(errs.Conflict)
	}
	if err != nil {
		return err
	}
	if q.dialect == Postgres {
		signalOutbox()
	} else if err := q.outboxCaseEvent(ctx, e); err != nil { // issue #13: in the same transaction
		return err
	}
	return q.recordAssessFact(ctx, e)
}

const eventInsert = "INSERT INTO events(case_id, seq, action, from_state, to_state, actor_user_id, actor_unit_id, at, doc, seal_key) VALUES (?,?,?,?,?,?,?,?,?,?)"

// pgEventOutbox inserts an event and its outbox row (outboxCaseArgs) and
// returns the event's id. The outbox insert is a CTE the main query does
// not read, which PostgreSQL runs to completion all the same.
const pgEventOutbox = "WITH e AS (" + eventInsert + " RETURNING id), o AS (INSERT INTO outbox(" + outboxCols + ") VALUES (?,?,?,?,?,?)) SELECT id FROM e"

// Events returns a case's timeline in order.
func (q Queries) Events(ctx context.Context, caseID int64) ([]lifecycle.Event, error) {
	return q.events(ctx, "WHERE case_id = ? ORDER BY seq", caseID)
}

// events reads the events a clause (WHERE … ORDER BY …) selects, their
// documents opened.
func (q Queries) events(ctx context.Context, clause string, args ...any) ([]lifecycle.Event, error) {
	rows, err := q.query(ctx, "SELECT id, case_id, seq, action, from_state, to_state, actor_user_id, actor_unit_id, at, doc FROM events "+clause, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []lifecycle.Event
	for rows.Next() {
		var e lifecycle.Event
		var action, from, to, doc string
		var at int64
		if err := rows.Scan(&e.ID, &e.CaseID, &e.Seq, &action, &from, &to, &e.ActorUserID, &e.ActorUnitID, &at, &doc); err != nil {
			return nil, err
		}
		e.Action, e.FromState, e.ToState, e.At = lifecycle.Action(action), lifecycle.State(from), lifecycle.State(to), fromMS(at)
		if err := q.decodeEventDoc(doc, &e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ---- links ----

// LinkCases records a relation (related, duplicate) between two cases.
func (q Queries) LinkCases(ctx context.Context, a, b int64, kind string) error {
	_, err := q.exec(ctx, "INSERT INTO case_links(case_id, other_id, kind) VALUES (?,?,?) ON CONFLICT(case_id, other_id) DO UPDATE SET kind = excluded.kind", a, b, kind)
	return err
}

// Links lists a case's relations in both directions.
func (q Queries) Links(ctx context.Context, id int64) ([]lifecycle.Link, error) {
	rows, err := q.query(ctx, "SELECT other_id, kind FROM case_links WHERE case_id = ? UNION SELECT case_id, kind FROM case_links WHERE other_id = ?", id, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []lifecycle.Link
	for rows.Next() {
		var l lifecycle.Link
		if err := rows.Scan(&l.OtherID, &l.Kind); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// ---- timers ----

// SetTimers makes the case's unfired timers exactly ts. Timers that stay
// keep their ids (so a scheduler pass holding them can still claim them); a
// timer already fired for the same kind and deadline is not armed again.
func (q Queries) SetTimers(ctx context.Context, caseID int64, ts []lifecycle.Timer) error {
	rows, err := q.query(ctx, "SELECT id, kind, due_at FROM timers WHERE case_id = ? AND fired_at IS NULL", caseID)
	if err != nil {
		return err
	}
	type key struct {
		kind string
		due  int64
	}
	want := map[key]bool{}
	for _, t := range ts {
		want[key{t.Kind, ms(t.DueAt)}] = true
	}
	var stale []int64
	have := map[key]bool{}
	for rows.Next() {
		var id, due int64
		var kind string
		if err := rows.Scan(&id, &kind, &due); err != nil {
			rows.Close()
			return err
		}
		if want[key{kind, due}] {
			have[key{kind, due}] = true
		} else {
			stale = append(stale, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range stale {
		if _, err := q.exec(ctx, "DELETE FROM timers WHERE id = ?", id); err != nil {
			return err
		}
	}
	for _, t := range ts {
		if have[key{t.Kind, ms(t.DueAt)}] {
			continue
		}
		if _, err := q.exec(ctx, "INSERT INTO timers(case_id, kind, due_at) VALUES (?,?,?) ON CONFLICT(case_id, kind, due_at) DO NOTHING", caseID, t.Kind, ms(t.DueAt)); err != nil {
			return err
		}
	}
	return nil
}

// InsertTimers arms the timers of a case that has none yet (a new case):
// SetTimers without reading what is armed.
func (q Queries) InsertTimers(ctx context.Context, caseID int64, ts []lifecycle.Timer) error {
	for _, t := range ts {
		if _, err := q.exec(ctx, "INSERT INTO timers(case_id, kind, due_at) VALUES (?,?,?) ON CONFLICT(case_id, kind, due_at) DO NOTHING", caseID, t.Kind, ms(t.DueAt)); err != nil {
			return err
		}
	}
	return nil
}

// DueTimer is an armed timer whose time has come.
type DueTimer struct {
	ID int64
	lifecycle.Timer
}

// DueTimers lists unfired timers due at or before now, oldest first.
func (q Queries) DueTimers(ctx context.Context, now time.Time, limit int) ([]DueTimer, error) {
	rows, err := q.query(ctx, "SELECT id, case_id, kind, due_at FROM timers WHERE fired_at IS NULL AND due_at <= ? ORDER BY due_at, id LIMIT ?", ms(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DueTimer
	for rows.Next() {
		var t DueTimer
		var due int64
		if err := rows.Scan(&t.ID, &t.CaseID, &t.Kind, &due); err != nil {
			return nil, err
		}
		t.DueAt = fromMS(due)
		out = append(out, t)
	}
	return out, rows.Err()
}

// ClaimTimer marks a timer fired by node. It returns false if another node
// (or an earlier run) fired it first: within a transaction this is what
// makes each due event fire exactly once.
func (q Queries) ClaimTimer(ctx context.Context, id int64, node string, now time.Time) (bool, error) {
	res, err := q.exec(ctx, "UPDATE timers SET fired_at = ?, fired_by = ? WHERE id = ? AND fired_at IS NULL", ms(now), node, id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// FiredTimers counts fired timers per node (for tests and metrics).
func (q Queries) FiredTimers(ctx context.Context) (map[string]int64, error) {
	rows, err := q.query(ctx, "SELECT fired_by, COUNT(*) FROM timers WHERE fired_at IS NOT NULL GROUP BY fired_by")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, rows.Err()
}

// ---- numbers and idempotency ----

// NextNumber allocates the next case number of the day: YYYYMMDD + 5 digits.
// SQLite counts in the day_seq table inside the (single-writer) transaction,
// so numbers have no gaps; the group commit keeps a batch's counters in
// memory and stores them once, before its commit (flushPending), and a
// write that fails takes its numbers back with it. PostgreSQL takes them from a sequence per day:
// sequences hold no row lock until commit, so concurrent creates do not
// queue behind each other's WAL flush; a rolled-back create leaves a gap, and
// a committed number is never handed out again, even after a crash.
func (q Queries) NextNumber(ctx context.Context, day string) (string, error) {
	if !validDay(day) {
		return "", fmt.Errorf("store: bad day %q", day)
	}
	var n int64
	if q.dialect == Postgres {
		if err := q.num.ensure(ctx, day); err != nil {
			return "", err
		}
		if err := q.row(ctx, "SELECT nextval('case_no_"+day+"')").Scan(&n); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s%05d", day, n), nil
	}
	if b, ok := q.q.(*batchTx); ok {
		// The single writer counts in memory and stores each day's
		// counter once per batch (flushPending): one statement a batch
		// instead of one a case.
		last, ok := b.numbers[day]
		if !ok {
			err := q.row(ctx, "SELECT n FROM day_seq WHERE day = ?", day).Scan(&last)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return "", err
			}
			if b.numbers == nil {
				b.numbers = make(map[string]int64)
			}
		}
		b.numbers[day] = last + 1
		return fmt.Sprintf("%s%05d", day, last+1), nil
	}
	err := q.row(ctx, "INSERT INTO day_seq(day, n) VALUES (?, 1) ON CONFLICT(day) DO UPDATE SET n = day_seq.n + 1 RETURNING n", day).Scan(&n)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s%05d", day, n), nil
}

// flushPending stores what the batch's writes left pending: the days'
// case counters (NextNumber), then the rollup increments (flushDaily).
func (b *batchTx) flushPending(ctx context.Context) error {
	if len(b.numbers) > 0 {
		days := slices.Sorted(maps.Keys(b.numbers))
		numbers := b.numbers
		b.numbers = nil // the statements below name day_seq: no recursion
		for _, day := range days {
			if _, err := b.ExecContext(ctx, "INSERT INTO day_seq(day, n) VALUES (?, ?) ON CONFLICT(day) DO UPDATE SET n = MAX(day_seq.n, excluded.n)", day, numbers[day]); err != nil {
				return err
			}
		}
	}
	return b.flushDaily(ctx)
}

// dropPending forgets what the batch's writes left pending, when they
// roll back.
func (b *batchTx) dropPending() {
	b.numbers = nil
	b.dropDaily()
}

// beforeNumbers stores the batch's counters before any other statement on
// day_seq (SetDaySeq, say) reads or moves them.
func (b *batchTx) beforeNumbers(ctx context.Context, query string) error {
	if len(b.numbers) == 0 || !strings.Contains(query, "day_seq") {
		return nil
	}
	return b.flushPending(ctx)
}

// SetDaySeq raises a day's counter to at least n (after a bulk load).
func (q Queries) SetDaySeq(ctx context.Context, day string, n int64) error {
	if !validDay(day) {
		return fmt.Errorf("store: bad day %q", day)
	}
	if q.dialect == Postgres {
		if err := q.num.ensure(ctx, day); err != nil {
			return err
		}
		seq := "case_no_" + day
		_, err := q.exec(ctx, "SELECT setval('"+seq+"', GREATEST(?, (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM "+seq+")), true) WHERE ? > 0", n, n)
		return err
	}
	_, err := q.exec(ctx, "INSERT INTO day_seq(day, n) VALUES (?, ?) ON CONFLICT(day) DO UPDATE SET n = CASE WHEN day_seq.n > excluded.n THEN day_seq.n ELSE excluded.n END", day, n)
	return err
}

func validDay(day string) bool {
	if len(day) != 8 {
		return false
	}
	for _, c := range day {
		if c < '0' || c > '9' {
			return false
		}
	}
	_, err := time.Parse("20060102", day)
	return err == nil
}

// numbering remembers which per-day sequences exist (PostgreSQL).
type numbering struct {
	db   *sql.DB
	mu   sync.Mutex
	days sync.Map
}

// ensure creates the day's sequence (and the next day's, so a transaction
// that crosses midnight finds its sequence) on its own connection.
func (n *numbering) ensure(ctx context.Context, day string) error {
	if n == nil {
		return errors.New("store: numbering not set up")
	}
	if _, ok := n.days.Load(day); ok {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.days.Load(day); ok {
		return nil
	}
	t, _ := time.Parse("20060102", day)
	for _, d := range []string{day, t.AddDate(0, 0, 1).Format("20060102")} {
		if _, err := n.db.ExecContext(ctx, "CREATE SEQUENCE IF NOT EXISTS case_no_"+d+" MINVALUE 1"); err != nil && !isUnique(err) && !isDuplicateObject(err) {
			return err
		}
	}
	n.days.Store(day, true)
	return nil
}

func isDuplicateObject(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42P07"
}

// Idempotent looks up a stored idempotency key: the case it created and the
// hash of the request that created it; found is false when the key is new.
func (q Queries) Idempotent(ctx context.Context, principal, key string) (caseID int64, reqHash string, found bool, err error) {
	err = q.row(ctx, "SELECT case_id, request_hash FROM idempotency WHERE principal = ? AND key = ?", principal, key).Scan(&caseID, &reqHash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", false, nil
	}
	return caseID, reqHash, err == nil, err
}

// PutIdempotent records a key; it returns false (and writes nothing) if the
// key was recorded concurrently, in which case the caller must roll back.
func (q Queries) PutIdempotent(ctx context.Context, principal, key, reqHash string, caseID int64, now time.Time) (bool, error) {
	res, err := q.exec(ctx, "INSERT INTO idempotency(principal, key, request_hash, case_id, created_at) VALUES (?,?,?,?,?) ON CONFLICT(principal, key) DO NOTHING", principal, key, reqHash, caseID, ms(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// MarkTimersFired marks a case's unfired timers due at or before t as fired
// by node (a bulk loader whose histories already contain those events).
func (q Queries) MarkTimersFired(ctx context.Context, caseID int64, t time.Time, node string) error {
	_, err := q.exec(ctx, "UPDATE timers SET fired_at = ?, fired_by = ? WHERE case_id = ? AND fired_at IS NULL AND due_at <= ?", ms(t), node, caseID, ms(t))
	return err
}
