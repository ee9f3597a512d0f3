package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"whistle/internal/audit"
	"whistle/internal/errs"
	"whistle/internal/org"
)

// ---- places ----

// InsertPlace stores p; p.ID is used when non-zero.
func (q Queries) InsertPlace(ctx context.Context, p *org.Place) error {
	var parent any
	if p.ParentID != 0 {
		parent = p.ParentID
	}
	if p.ID != 0 {
		_, err := q.exec(ctx, "INSERT INTO places(id, parent_id, level, code, name, boundary) VALUES (?,?,?,?,?,?)", p.ID, parent, p.Level, p.Code, p.Name, p.Boundary)
		return uniq(err, "code")
	}
	err := q.row(ctx, "INSERT INTO places(parent_id, level, code, name, boundary) VALUES (?,?,?,?,?) RETURNING id", parent, p.Level, p.Code, p.Name, p.Boundary).Scan(&p.ID)
	return uniq(err, "code")
}

// UpdatePlaceBoundary replaces a place's boundary.
func (q Queries) UpdatePlaceBoundary(ctx context.Context, id int64, boundary string) error {
	return affected1(q.exec(ctx, "UPDATE places SET boundary = ? WHERE id = ?", boundary, id))
}

// Place returns one place with its boundary.
func (q Queries) Place(ctx context.Context, id int64) (org.Place, error) {
	var p org.Place
	err := q.row(ctx, "SELECT id, COALESCE(parent_id, 0), level, code, name, boundary FROM places WHERE id = ?", id).
		Scan(&p.ID, &p.ParentID, &p.Level, &p.Code, &p.Name, &p.Boundary)
	return p, notFound(err)
}

// Places lists every place (boundaries included when withBoundary).
func (q Queries) Places(ctx context.Context, withBoundary bool) ([]org.Place, error) {
	col := "''"
	if withBoundary {
		col = "boundary"
	}
	rows, err := q.query(ctx, "SELECT id, COALESCE(parent_id, 0), level, code, name, "+col+" FROM places ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []org.Place
	for rows.Next() {
		var p org.Place
		if err := rows.Scan(&p.ID, &p.ParentID, &p.Level, &p.Code, &p.Name, &p.Boundary); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ---- units ----

// InsertUnit stores u; u.ID is used when non-zero.
func (q Queries) InsertUnit(ctx context.Context, u *org.Unit) error {
	var sup any
	if u.SupervisorID != 0 {
		sup = u.SupervisorID
	}
	if u.ID != 0 {
		_, err := q.exec(ctx, "INSERT INTO units(id, code, name, kind, place_id, supervisor_id) VALUES (?,?,?,?,?,?)", u.ID, u.Code, u.Name, u.Kind, u.PlaceID, sup)
		return uniq(err, "code")
	}
	err := q.row(ctx, "INSERT INTO units(code, name, kind, place_id, supervisor_id) VALUES (?,?,?,?,?) RETURNING id", u.Code, u.Name, u.Kind, u.PlaceID, sup).Scan(&u.ID)
	return uniq(err, "code")
}

// Units lists every unit.
func (q Queries) Units(ctx context.Context) ([]org.Unit, error) {
	rows, err := q.query(ctx, "SELECT id, code, name, kind, place_id, COALESCE(supervisor_id, 0) FROM units ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []org.Unit
	for rows.Next() {
		var u org.Unit
		if err := rows.Scan(&u.ID, &u.Code, &u.Name, &u.Kind, &u.PlaceID, &u.SupervisorID); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// ---- users and tokens ----

const userCols = "id, username, display_name, unit_id, roles, grid_ids, password_hash, disabled"

func scanUser(sc interface{ Scan(...any) error }) (org.User, string, error) {
	var u org.User
	var roles, grids, hash string
	var disabled int
	if err := sc.Scan(&u.ID, &u.Username, &u.DisplayName, &u.UnitID, &roles, &grids, &hash, &disabled); err != nil {
		return u, "", err
	}
	u.Roles = splitList(roles)
	for _, g := range splitList(grids) {
		if id, err := strconv.ParseInt(g, 10, 64); err == nil {
			u.GridIDs = append(u.GridIDs, id)
		}
	}
	u.Disabled = disabled != 0
	return u, hash, nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

// InsertUser stores u with a password hash; u.ID is used when non-zero.
func (q Queries) InsertUser(ctx context.Context, u *org.User, passwordHash string, now time.Time) error {
	args := []any{u.Username, u.DisplayName, u.UnitID, strings.Join(u.Roles, ","), joinIDs(u.GridIDs), passwordHash, b2i(u.Disabled), ms(now)}
	if u.ID != 0 {
		_, err := q.exec(ctx, "INSERT INTO users(id, username, display_name, unit_id, roles, grid_ids, password_hash, disabled, created_at) VALUES (?,?,?,?,?,?,?,?,?)", append([]any{u.ID}, args...)...)
		return uniq(err, "username")
	}
	err := q.row(ctx, "INSERT INTO users(username, display_name, unit_id, roles, grid_ids, password_hash, disabled, created_at) VALUES (?,?,?,?,?,?,?,?) RETURNING id", args...).Scan(&u.ID)
	return uniq(err, "username")
}

// UserByName returns a user and its password hash.
func (q Queries) UserByName(ctx context.Context, username string) (org.User, string, error) {
	u, h, err := scanUser(q.row(ctx, "SELECT "+userCols+" FROM users WHERE username = ?", username))
	return u, h, notFound(err)
}

// User returns a user by id.
func (q Queries) User(ctx context.Context, id int64) (org.User, error) {
	u, _, err := scanUser(q.row(ctx, "SELECT "+userCols+" FROM users WHERE id = ?", id))
	return u, notFound(err)
}

// Users lists users, optionally of one unit (0 = all).
func (q Queries) Users(ctx context.Context, unitID int64) ([]org.User, error) {
	query, args := "SELECT "+userCols+" FROM users ORDER BY id", []any{}
	if unitID != 0 {
		query, args = "SELECT "+userCols+" FROM users WHERE unit_id = ? ORDER BY id", []any{unitID}
	}
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []org.User
	for rows.Next() {
		u, _, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// SetPassword replaces a user's password hash.
func (q Queries) SetPassword(ctx context.Context, userID int64, hash string) error {
	return affected1(q.exec(ctx, "UPDATE users SET password_hash = ? WHERE id = ?", hash, userID))
}

// InsertToken stores a hashed session or API token.
func (q Queries) InsertToken(ctx context.Context, hash string, userID int64, kind, name string, now, expires time.Time) error {
	_, err := q.exec(ctx, "INSERT INTO tokens(hash, user_id, kind, name, created_at, expires_at) VALUES (?,?,?,?,?,?)", hash, userID, kind, name, ms(now), ms(expires))
	return err
}

// TokenUser returns the user of an unexpired token, and the token kind.
func (q Queries) TokenUser(ctx context.Context, hash string, now time.Time) (org.User, string, error) {
	var kind string
	var uid int64
	err := q.row(ctx, "SELECT user_id, kind FROM tokens WHERE hash = ? AND expires_at > ?", hash, ms(now)).Scan(&uid, &kind)
	if err != nil {
		return org.User{}, "", notFound(err)
	}
	u, err := q.User(ctx, uid)
	return u, kind, err
}

// DeleteToken revokes a token.
func (q Queries) DeleteToken(ctx context.Context, hash string) error {
	_, err := q.exec(ctx, "DELETE FROM tokens WHERE hash = ?", hash)
	return err
}

// DeleteUserSessions revokes every session (not API token) of a user.
func (q Queries) DeleteUserSessions(ctx context.Context, userID int64) error {
	_, err := q.exec(ctx, "DELETE FROM tokens WHERE user_id = ? AND kind = 'session'", userID)
	return err
}

// DeleteUserTokens revokes every session and API token of a user.
func (q Queries) DeleteUserTokens(ctx context.Context, userID int64) error {
	_, err := q.exec(ctx, "DELETE FROM tokens WHERE user_id = ?", userID)
	return err
}

// TokenIDLen is the length of a token's public id: a prefix of its stored
// hash, which names it without being usable as a credential.
const TokenIDLen = 16

// TokenInfo describes a token without its secret.
type TokenInfo struct {
	ID        string    `json:"id"`
	UserID    int64     `json:"user_id"`
	Kind      string    `json:"kind"` // session or api
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// UserTokens lists a user's unexpired sessions and API tokens, newest first.
func (q Queries) UserTokens(ctx context.Context, userID int64, now time.Time) ([]TokenInfo, error) {
	rows, err := q.query(ctx, "SELECT hash, kind, name, created_at, expires_at FROM tokens WHERE user_id = ? AND expires_at > ? ORDER BY created_at DESC, hash", userID, ms(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []TokenInfo{}
	for rows.Next() {
		var t TokenInfo
		var created, expires int64
		if err := rows.Scan(&t.ID, &t.Kind, &t.Name, &created, &expires); err != nil {
			return nil, err
		}
		t.ID = t.ID[:min(len(t.ID), TokenIDLen)]
		t.UserID, t.CreatedAt, t.ExpiresAt = userID, time.UnixMilli(created), time.UnixMilli(expires)
		out = append(out, t)
	}
	return out, rows.Err()
}

// DeleteUserToken revokes the user's token whose id (hash prefix) is id;
// errs.NotFound when there is none.
func (q Queries) DeleteUserToken(ctx context.Context, userID int64, id string) error {
	if len(id) != TokenIDLen {
		return errs.E(errs.NotFound)
	}
	return affected1(q.exec(ctx, "DELETE FROM tokens WHERE user_id = ? AND substr(hash, 1, 16) = ?", userID, id))
}

// SetUserDisabled disables or enables a user.
func (q Queries) SetUserDisabled(ctx context.Context, userID int64, disabled bool) error {
	return affected1(q.exec(ctx, "UPDATE users SET disabled = ? WHERE id = ?", b2i(disabled), userID))
}

// SetUserRoles replaces a user's roles.
func (q Queries) SetUserRoles(ctx context.Context, userID int64, roles []string) error {
	return affected1(q.exec(ctx, "UPDATE users SET roles = ? WHERE id = ?", strings.Join(roles, ","), userID))
}

// DeleteExpiredTokens removes expired sessions and tokens.
func (q Queries) DeleteExpiredTokens(ctx context.Context, now time.Time) (int64, error) {
	res, err := q.exec(ctx, "DELETE FROM tokens WHERE expires_at <= ?", ms(now))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// ---- categories ----

// UpsertCategory inserts or replaces a category.
func (q Queries) UpsertCategory(ctx context.Context, c org.Category) error {
	_, err := q.exec(ctx, `INSERT INTO categories(code, parent, name_zh, name_en, urgency, leaf, active) VALUES (?,?,?,?,?,?,?)
		ON CONFLICT(code) DO UPDATE SET parent = excluded.parent, name_zh = excluded.name_zh, name_en = excluded.name_en,
		urgency = excluded.urgency, leaf = excluded.leaf, active = excluded.active`,
		c.Code, c.Parent, c.NameZH, c.NameEN, c.Urgency, b2i(c.Leaf), b2i(c.Active))
	return err
}

// Categories lists the taxonomy.
func (q Queries) Categories(ctx context.Context) ([]org.Category, error) {
	rows, err := q.query(ctx, "SELECT code, parent, name_zh, name_en, urgency, leaf, active FROM categories ORDER BY code")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []org.Category
	for rows.Next() {
		var c org.Category
		var leaf, active int
		if err := rows.Scan(&c.Code, &c.Parent, &c.NameZH, &c.NameEN, &c.Urgency, &leaf, &active); err != nil {
			return nil, err
		}
		c.Leaf, c.Active = leaf != 0, active != 0
		out = append(out, c)
	}
	return out, rows.Err()
}

// ---- settings and audit ----

// Setting returns a stored setting ("" and no error when absent).
func (q Queries) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := q.row(ctx, "SELECT value FROM settings WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// Settings returns every setting whose key starts with prefix.
func (q Queries) Settings(ctx context.Context, prefix string) (map[string]string, error) {
	rows, err := q.query(ctx, "SELECT key, value FROM settings WHERE key LIKE ? ORDER BY key", prefix+"%")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

// PutSetting stores a setting.
func (q Queries) PutSetting(ctx context.Context, key, value string, now time.Time) error {
	_, err := q.exec(ctx, "INSERT INTO settings(key, value, updated_at) VALUES (?,?,?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at", key, value, ms(now))
	return err
}

// AuditLog lists audit entries, newest first, before id beforeID (0 = newest).
func (q Queries) AuditLog(ctx context.Context, beforeID int64, limit int) ([]audit.Entry, error) {
	if beforeID == 0 {
		beforeID = 1 << 62
	}
	rows, err := q.query(ctx, "SELECT id, at, user_id, action, target, detail FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?", beforeID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []audit.Entry
	for rows.Next() {
		var e audit.Entry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.UserID, &e.Action, &e.Target, &e.Detail); err != nil {
			return nil, err
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// ResetSequences moves PostgreSQL identity sequences past explicitly
// inserted ids (after a bulk load). A no-op on SQLite.
func (q Queries) ResetSequences(ctx context.Context) error {
	if q.dialect != Postgres {
		return nil
	}
	for _, t := range []string{"places", "units", "users", "cases", "events", "timers", "attachments", "audit"} {
		if _, err := q.exec(ctx, "SELECT setval(pg_get_serial_sequence('"+t+"', 'id'), COALESCE((SELECT MAX(id) FROM "+t+"), 0) + 1, false)"); err != nil {
			return err
		}
	}
	return nil
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return errs.E(errs.NotFound)
	}
	return err
}

func uniq(err error, field string) error {
	if isUnique(err) {
		return &errs.Error{Code: errs.Exists, Field: field, Err: err}
	}
	return err
}

func affected1(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return errs.E(errs.NotFound)
	}
	return nil
}

// SetUserDisplayName replaces a user's display name (the retention job
// erases a departed volunteer's name from the account it disabled).
func (q Queries) SetUserDisplayName(ctx context.Context, userID int64, name string) error {
	return affected1(q.exec(ctx, "UPDATE users SET display_name = ? WHERE id = ?", name, userID))
}
