package store

import (
	"context"
	"strconv"
	"strings"
	"time"

	"whistle/internal/errs"
	"whistle/internal/lifecycle"
)

// Open311 GeoReport v2 (migration 0021): API keys, the service-code
// mapping, what a request posted through Open311 carried besides its case,
// and the updates clients post (mySociety's servicerequestupdates).

// Open311Key is an API key; only the SHA-256 of the key is stored.
type Open311Key struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Prefix    string    `json:"prefix"` // the first characters, to tell keys apart
	CreatedAt time.Time `json:"created_at"`
	CreatedBy int64     `json:"created_by,omitempty"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// Active reports whether the key has not been revoked.
func (k Open311Key) Active() bool { return k.RevokedAt.IsZero() }

const o311KeyCols = "id, name, prefix, created_at, created_by, revoked_at"

func scanO311Key(sc interface{ Scan(...any) error }) (Open311Key, error) {
	var k Open311Key
	var created, revoked int64
	err := sc.Scan(&k.ID, &k.Name, &k.Prefix, &created, &k.CreatedBy, &revoked)
	k.CreatedAt, k.RevokedAt = fromMS(created), fromMS(revoked)
	return k, err
}

// InsertOpen311Key stores a new key by its hash and returns its id.
func (q Queries) InsertOpen311Key(ctx context.Context, name, hash, prefix string, by int64, at time.Time) (int64, error) {
	var id int64
	err := q.row(ctx, "INSERT INTO open311_keys(name, key_hash, prefix, created_at, created_by) VALUES (?,?,?,?,?) RETURNING id",
		name, hash, prefix, ms(at), by).Scan(&id)
	return id, err
}

// Open311KeyByHash finds a key by its hash (revoked keys too; errs.NotFound
// for none).
func (q Queries) Open311KeyByHash(ctx context.Context, hash string) (Open311Key, error) {
	k, err := scanO311Key(q.row(ctx, "SELECT "+o311KeyCols+" FROM open311_keys WHERE key_hash = ?", hash))
	return k, notFound(err)
}

// Open311Keys lists every key, newest first.
func (q Queries) Open311Keys(ctx context.Context) ([]Open311Key, error) {
	rows, err := q.query(ctx, "SELECT "+o311KeyCols+" FROM open311_keys ORDER BY id DESC")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Open311Key
	for rows.Next() {
		k, err := scanO311Key(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeOpen311Key revokes a key (errs.NotFound for an unknown or already
// revoked one).
func (q Queries) RevokeOpen311Key(ctx context.Context, id int64, at time.Time) error {
	res, err := q.exec(ctx, "UPDATE open311_keys SET revoked_at = ? WHERE id = ? AND revoked_at = 0", ms(at), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.E(errs.NotFound)
	}
	return nil
}

// Open311Service is one row of the service-code mapping.
type Open311Service struct {
	Code        string    `json:"service_code"`
	Category    string    `json:"category"`
	Name        string    `json:"service_name"`
	Description string    `json:"description"`
	Group       string    `json:"group"`
	Keywords    string    `json:"keywords"`
	Attributes  string    `json:"attributes"` // JSON array of attribute definitions
	Active      bool      `json:"active"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Open311Services lists the mapping by service code.
func (q Queries) Open311Services(ctx context.Context) ([]Open311Service, error) {
	rows, err := q.query(ctx, "SELECT service_code, category, name, description, grp, keywords, attributes, active, updated_at FROM open311_services ORDER BY service_code")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Open311Service
	for rows.Next() {
		var s Open311Service
		var active, upd int64
		if err := rows.Scan(&s.Code, &s.Category, &s.Name, &s.Description, &s.Group, &s.Keywords, &s.Attributes, &active, &upd); err != nil {
			return nil, err
		}
		s.Active, s.UpdatedAt = active == 1, fromMS(upd)
		out = append(out, s)
	}
	return out, rows.Err()
}

// PutOpen311Service creates or replaces one mapping row.
func (q Queries) PutOpen311Service(ctx context.Context, s Open311Service) error {
	_, err := q.exec(ctx, `INSERT INTO open311_services(service_code, category, name, description, grp, keywords, attributes, active, updated_at)
		VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(service_code) DO UPDATE SET category = excluded.category, name = excluded.name,
		description = excluded.description, grp = excluded.grp, keywords = excluded.keywords, attributes = excluded.attributes,
		active = excluded.active, updated_at = excluded.updated_at`,
		s.Code, s.Category, s.Name, s.Description, s.Group, s.Keywords, s.Attributes, b2i(s.Active), ms(s.UpdatedAt))
	return err
}

// DeleteOpen311Service removes a mapping row (errs.NotFound for none).
func (q Queries) DeleteOpen311Service(ctx context.Context, code string) error {
	res, err := q.exec(ctx, "DELETE FROM open311_services WHERE service_code = ?", code)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.E(errs.NotFound)
	}
	return nil
}

// Open311Request is what a request posted through Open311 carried besides
// its case.
type Open311Request struct {
	CaseID      int64
	Number      string // the case's number (read only)
	Token       string
	ServiceCode string
	Attributes  string // JSON object code → value(s)
	MediaURL    string
	KeyID       int64
	CreatedAt   time.Time
}

// InsertOpen311Request records an Open311 request's extras.
func (q Queries) InsertOpen311Request(ctx context.Context, r Open311Request) error {
	_, err := q.exec(ctx, "INSERT INTO open311_requests(case_id, token, service_code, attributes, media_url, key_id, created_at) VALUES (?,?,?,?,?,?,?)",
		r.CaseID, r.Token, r.ServiceCode, r.Attributes, r.MediaURL, r.KeyID, ms(r.CreatedAt))
	return err
}

const o311ReqSelect = "SELECT r.case_id, c.number, r.token, r.service_code, r.attributes, r.media_url, r.key_id, r.created_at FROM open311_requests r JOIN cases c ON c.id = r.case_id"

func scanO311Req(sc interface{ Scan(...any) error }) (Open311Request, error) {
	var r Open311Request
	var at int64
	err := sc.Scan(&r.CaseID, &r.Number, &r.Token, &r.ServiceCode, &r.Attributes, &r.MediaURL, &r.KeyID, &at)
	r.CreatedAt = fromMS(at)
	return r, err
}

// Open311RequestByToken finds a posted request by its token (errs.NotFound).
func (q Queries) Open311RequestByToken(ctx context.Context, token string) (Open311Request, error) {
	r, err := scanO311Req(q.row(ctx, o311ReqSelect+" WHERE r.token = ?", token))
	return r, notFound(err)
}

// Open311RequestsOf returns the extras of those of the cases that were
// posted through Open311, by case id.
func (q Queries) Open311RequestsOf(ctx context.Context, caseIDs []int64) (map[int64]Open311Request, error) {
	out := map[int64]Open311Request{}
	for len(caseIDs) > 0 {
		n := min(len(caseIDs), 500)
		chunk := caseIDs[:n]
		caseIDs = caseIDs[n:]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := q.query(ctx, o311ReqSelect+" WHERE r.case_id IN ("+marks(len(chunk))+")", args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			r, err := scanO311Req(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out[r.CaseID] = r
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Open311Filter selects cases for GET requests: numbers, categories, a
// creation window, open or closed, and an offset page.
type Open311Filter struct {
	Numbers    []string
	Categories []string
	From, To   time.Time // created_at in [From, To)
	Open       *bool
	Districts  []int64 // when not nil, cases in these districts only
	Offset     int
	Limit      int
}

// Open311Cases lists cases matching f, newest first. An empty category
// list (when set to non-nil) selects nothing.
func (q Queries) Open311Cases(ctx context.Context, f Open311Filter) ([]*lifecycle.Case, error) {
	where := []string{"1 = 1"}
	var args []any
	if f.Numbers != nil {
		if len(f.Numbers) == 0 {
			return nil, nil
		}
		where = append(where, "c.number IN ("+marks(len(f.Numbers))+")")
		for _, n := range f.Numbers {
			args = append(args, n)
		}
	}
	if f.Categories != nil {
		if len(f.Categories) == 0 {
			return nil, nil
		}
		where = append(where, "c.category IN ("+marks(len(f.Categories))+")")
		for _, c := range f.Categories {
			args = append(args, c)
		}
	}
	if !f.From.IsZero() {
		where = append(where, "c.created_at >= ?")
		args = append(args, ms(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "c.created_at < ?")
		args = append(args, ms(f.To))
	}
	if f.Districts != nil {
		if len(f.Districts) == 0 {
			return nil, nil
		}
		where = append(where, "c.district_id IN ("+marks(len(f.Districts))+")")
		for _, d := range f.Districts {
			args = append(args, d)
		}
	}
	if f.Open != nil {
		where = append(where, "c.is_open = "+strconv.Itoa(b2i(*f.Open))) // in the text: see Cases
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := q.query(ctx, caseSelect+" WHERE "+strings.Join(where, " AND ")+" ORDER BY c.created_at DESC, c.id DESC LIMIT ? OFFSET ?",
		append(args, limit, max(f.Offset, 0))...)
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

// CaseEventsBetween lists events at [from, to) in time order, of the given
// cases only when caseIDs is not nil, at most limit.
func (q Queries) CaseEventsBetween(ctx context.Context, from, to time.Time, caseIDs []int64, limit int) ([]lifecycle.Event, error) {
	where := []string{"at >= ?", "at < ?"}
	args := []any{ms(from), ms(to)}
	if caseIDs != nil {
		if len(caseIDs) == 0 {
			return nil, nil
		}
		where = append(where, "case_id IN ("+marks(len(caseIDs))+")")
		for _, id := range caseIDs {
			args = append(args, id)
		}
	}
	return q.events(ctx, "WHERE "+strings.Join(where, " AND ")+" ORDER BY at, id LIMIT ?", append(args, limit)...)
}

// Open311Update is an update a client posted on a request.
type Open311Update struct {
	ID          int64
	KeyID       int64
	ExtID       string // the client's update_id
	CaseID      int64
	Status      string
	Description string
	UpdatedAt   time.Time
	CreatedAt   time.Time
}

// InsertOpen311Update records a posted update once per key and client
// update id: a repeat returns the first one's id and false.
func (q Queries) InsertOpen311Update(ctx context.Context, u Open311Update) (int64, bool, error) {
	var id int64
	err := q.row(ctx, "SELECT id FROM open311_updates WHERE key_id = ? AND ext_id = ?", u.KeyID, u.ExtID).Scan(&id)
	if err == nil {
		return id, false, nil
	}
	if notFound(err) != nil && !errs.Is(notFound(err), errs.NotFound) {
		return 0, false, err
	}
	err = q.row(ctx, "INSERT INTO open311_updates(key_id, ext_id, case_id, status, description, updated_at, created_at) VALUES (?,?,?,?,?,?,?) RETURNING id",
		u.KeyID, u.ExtID, u.CaseID, u.Status, u.Description, ms(u.UpdatedAt), ms(u.CreatedAt)).Scan(&id)
	return id, err == nil, err
}

// CaseNumbers returns the numbers of cases by id.
func (q Queries) CaseNumbers(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	for len(ids) > 0 {
		n := min(len(ids), 500)
		chunk := ids[:n]
		ids = ids[n:]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := q.query(ctx, "SELECT id, number FROM cases WHERE id IN ("+marks(len(chunk))+")", args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var num string
			if err := rows.Scan(&id, &num); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = num
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
