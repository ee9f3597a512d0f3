// Package accounts is who may come in: logins and the sessions they open,
// API tokens, password changes, and resolving a bearer token to the acting
// user (briefly cached).
package accounts

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"whistle/internal/auth"
	"whistle/internal/core"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/store"
)

// Service keeps logins, sessions and tokens over the shared core.
type Service struct {
	*core.Core
	tokens     sync.Map                            // token hash → cachedActor
	tokenCount atomic.Int64                        // insertions, to prune the cache now and then
	verify     func(encoded, password string) bool // password check; nil = auth.Verify (tests count calls)
	pool       *auth.Pool                          // where passwords are hashed and checked; nil = auth.Passwords()
}

func (s *Service) passwords() *auth.Pool {
	if s.pool != nil {
		return s.pool
	}
	return auth.Passwords()
}

// checkPassword verifies password against encoded on the password pool:
// errs.Busy when the pool is full.
func (s *Service) checkPassword(ctx context.Context, encoded, password string) (bool, error) {
	verify := s.verify
	if verify == nil {
		verify = auth.Verify
	}
	var ok bool
	if err := s.passwords().Do(ctx, func() { ok = verify(encoded, password) }); err != nil {
		return false, poolErr(err)
	}
	return ok, nil
}

// poolErr maps the password pool's refusal to errs.Busy.
func poolErr(err error) error {
	if errors.Is(err, auth.ErrBusy) {
		return &errs.Error{Code: errs.Busy, Err: err}
	}
	return err
}

// HashPassword hashes a new password on the node's password pool:
// errs.Busy when the pool is full, errs.Invalid (field) for a weak one.
func HashPassword(ctx context.Context, h auth.Hasher, field, password string) (string, error) {
	if err := checkText(field, password); err != nil {
		return "", err
	}
	hash, err := h.HashIn(ctx, auth.Passwords(), password)
	if errors.Is(err, auth.ErrWeakPassword) {
		return "", &errs.Error{Code: errs.Invalid, Field: field, Detail: err.Error()}
	}
	return hash, poolErr(err)
}

// New builds the accounts service.
func New(c *core.Core) *Service { return &Service{Core: c} }

// ChangePassword sets a new password for the actor after checking the old
// one, and ends all of the user's sessions and API tokens: a stolen one must
// not outlive the change.
func (s *Service) ChangePassword(ctx context.Context, a org.Actor, old, new string, h auth.Hasher) error {
	_, hash, err := s.St.UserByName(ctx, a.User.Username)
	if err != nil {
		return err
	}
	ok, err := s.checkPassword(ctx, hash, old)
	if err != nil {
		return err
	}
	if !ok {
		return errs.F(errs.BadCredentials, "old_password")
	}
	nh, err := HashPassword(ctx, h, "new_password", new)
	if err != nil {
		return err
	}
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.SetPassword(ctx, a.User.ID, nh); err != nil {
			return err
		}
		if err := tx.DeleteUserTokens(ctx, a.User.ID); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "change_password", fmt.Sprintf("user:%d", a.User.ID), nil)
	})
	if err == nil {
		s.ForgetUser(a.User.ID)
	}
	return err
}

// ForgetUser drops every cached token of a user on this node, so that a
// revoked token, a disabled user or changed roles take effect at once here
// (other nodes share only PostgreSQL, where nothing is cached).
func (s *Service) ForgetUser(userID int64) {
	s.tokens.Range(func(k, v any) bool {
		if v.(cachedActor).actor.User.ID == userID {
			s.tokens.Delete(k)
		}
		return true
	})
}

// Session lengths.
const (
	SessionTTL  = 12 * time.Hour
	APITokenTTL = 365 * 24 * time.Hour
)

// Login checks a password and opens a session; it returns the bearer token.
// A user with two-step verification on gets errs.TOTPRequired: use
// LoginWithCode. The try is counted against lim before the password is
// checked and taken back only if the login succeeds (or no password was
// checked at all); the check runs on the node's password pool, errs.Busy
// when that is full.
func (s *Service) Login(ctx context.Context, lim *auth.LoginLimiter, username, password, client string) (string, org.User, error) {
	return s.LoginWithCode(ctx, lim, username, password, "", client)
}

// LoginWithCode is Login with a second factor: for a user with two-step
// verification on, code (a TOTP code or a recovery code) must be right
// too: missing, errs.TOTPRequired (the password try is taken back: no code
// was guessed); wrong or used before, errs.TOTPInvalid (the try counts).
func (s *Service) LoginWithCode(ctx context.Context, lim *auth.LoginLimiter, username, password, code, client string) (string, org.User, error) {
	tok, u, _, err := s.login(ctx, lim, username, password, code, client)
	return tok, u, err
}

// LoginStart is the pages' first step: like Login, but for a user with
// two-step verification on it answers errs.TOTPRequired with a pending
// state (short-lived, sealed; no session) for LoginPending.
func (s *Service) LoginStart(ctx context.Context, lim *auth.LoginLimiter, username, password, client string) (token string, u org.User, pending string, err error) {
	return s.login(ctx, lim, username, password, "", client)
}

func (s *Service) login(ctx context.Context, lim *auth.LoginLimiter, username, password, code, client string) (string, org.User, string, error) {
	if err := checkText("username", username); err != nil {
		return "", org.User{}, "", err
	}
	if err := checkText("password", password); err != nil {
		return "", org.User{}, "", err
	}
	if err := checkText("totp", code); err != nil {
		return "", org.User{}, "", err
	}
	now := s.Now()
	refund, ok, err := lim.ReserveContext(ctx, username, client, now)
	if err != nil { // the shared counts failed: refuse, never let an uncounted try through
		s.limitsFailed(err)
		return "", org.User{}, "", errs.E(errs.Unavailable)
	}
	if !ok {
		return "", org.User{}, "", errs.E(errs.RateLimited)
	}
	u, hash, err := s.St.UserByName(ctx, username)
	if err != nil && !errs.Is(err, errs.NotFound) {
		refund()
		return "", org.User{}, "", err
	}
	known := err == nil && !u.Disabled
	if !known {
		// Hash anyway, at the same cost: the time taken must not tell
		// which usernames exist.
		hash = dummyHash()
	}
	ok, err = s.checkPassword(ctx, hash, password)
	if err != nil { // busy or gone: no guess was made
		refund()
		return "", org.User{}, "", err
	}
	if !known || !ok {
		s.auditLoginFailure(ctx, u, username, client)
		return "", org.User{}, "", errs.E(errs.BadCredentials)
	}
	on, err := s.totpOn(ctx, u.ID)
	if err != nil {
		refund()
		return "", org.User{}, "", err
	}
	if on && code == "" {
		refund() // the password was right; no code was guessed
		return "", org.User{}, s.pendingLogin(u, hash, now), errs.F(errs.TOTPRequired, "totp")
	}
	tok, err := s.openSession(ctx, u, client, now, on, code)
	if err != nil {
		if errs.Is(err, errs.TOTPInvalid) {
			s.auditCodeFailure(ctx, u, client)
		}
		return "", org.User{}, "", err
	}
	refund()
	return tok, u, "", nil
}

// openSession opens a session for u (whose password was checked), after
// checking and spending code when two-step verification is on.
func (s *Service) openSession(ctx context.Context, u org.User, client string, now time.Time, totpOn bool, code string) (string, error) {
	tok, th := auth.NewToken()
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		detail := map[string]string{"client": client}
		if totpOn {
			recovery, err := s.spendCode(ctx, tx, u.ID, code, now)
			if err != nil {
				return err
			}
			if recovery {
				if err := s.Audit(ctx, tx, org.Actor{User: u}, "totp_recovery_used", fmt.Sprintf("user:%d", u.ID), map[string]string{"client": client}); err != nil {
					return err
				}
			}
		}
		if err := tx.InsertToken(ctx, th, u.ID, "session", "", now, now.Add(SessionTTL)); err != nil {
			return err
		}
		return s.Audit(ctx, tx, org.Actor{User: u}, "login", fmt.Sprintf("user:%d", u.ID), detail)
	})
	return tok, err
}

// auditLoginFailure records a refused password (never the password): the
// user if the name exists (disabled users too), the name as typed (cut to
// 64 characters: it may be a password typed in the wrong field) and the
// client. Attempts the limiter turns away are not recorded: they check no
// password, and recording them would let a flood of them fill the log.
// The login is refused whether or not the entry could be written.
func (s *Service) auditLoginFailure(ctx context.Context, u org.User, username, client string) {
	if r := []rune(username); len(r) > 64 {
		username = string(r[:64])
	}
	target := "login"
	if u.ID != 0 {
		target = fmt.Sprintf("user:%d", u.ID)
	}
	_ = s.St.Write(ctx, func(tx *store.Tx) error {
		return s.Audit(ctx, tx, org.Actor{User: org.User{ID: u.ID}}, "login_failed", target, map[string]string{"username": username, "client": client})
	})
}

// dummyHash is verified against for unknown and disabled users, made once
// with the production hasher's parameters.
var dummyHash = sync.OnceValue(func() string {
	h, _ := auth.DefaultHasher().Hash("no such user, no such password")
	return h
})

// CreateAPIToken issues a long-lived token for a system user (admin).
// An administrator with two-step verification on needs CreateAPITokenWithCode.
func (s *Service) CreateAPIToken(ctx context.Context, a org.Actor, userID int64, name string) (string, error) {
	return s.CreateAPITokenWithCode(ctx, nil, a, userID, name, "", "")
}

// CreateAPITokenWithCode issues a long-lived token for a system user
// (admin). When the administrator has two-step verification on, code (a
// current TOTP code or a recovery code) must be given and right:
// errs.TOTPRequired, errs.TOTPInvalid; the try is counted against lim
// (the login limiter, for the administrator's name and client) like a
// login's. The tokens themselves are not checked for a code on each
// request.
func (s *Service) CreateAPITokenWithCode(ctx context.Context, lim *auth.LoginLimiter, a org.Actor, userID int64, name, code, client string) (string, error) {
	if err := core.RequireAdmin(a); err != nil {
		return "", err
	}
	if err := checkText("totp", code); err != nil {
		return "", err
	}
	if _, err := s.St.User(ctx, userID); err != nil {
		return "", errs.F(errs.NotFound, "user_id")
	}
	on, err := s.totpOn(ctx, a.User.ID)
	if err != nil {
		return "", err
	}
	if on && code == "" {
		return "", errs.F(errs.TOTPRequired, "totp")
	}
	now := s.Now()
	refund := func() {}
	if on {
		if refund, err = s.reserveCode(ctx, lim, a.User.Username, client, now); err != nil {
			return "", err
		}
	}
	tok, th := auth.NewToken()
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		if on {
			recovery, err := s.spendCode(ctx, tx, a.User.ID, code, now)
			if err != nil {
				return err
			}
			if recovery {
				if err := s.Audit(ctx, tx, a, "totp_recovery_used", fmt.Sprintf("user:%d", a.User.ID), nil); err != nil {
					return err
				}
			}
		}
		if err := tx.InsertToken(ctx, th, userID, "api", name, now, now.Add(APITokenTTL)); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "create_token", fmt.Sprintf("user:%d", userID), map[string]string{"name": name})
	})
	if errs.Is(err, errs.TOTPInvalid) {
		s.auditCodeFailure(ctx, a.User, client)
	}
	if err == nil {
		refund()
	}
	return tok, err
}

// TokenInfo describes a session or API token without its secret.
type TokenInfo = store.TokenInfo

// mayManageTokens: an administrator manages anyone's tokens, a user their own.
func mayManageTokens(a org.Actor, userID int64) error {
	if a.User.ID == userID {
		return nil
	}
	return core.RequireAdmin(a)
}

// ListTokens lists a user's unexpired sessions and API tokens (admin, or
// the user themself), never their secrets.
func (s *Service) ListTokens(ctx context.Context, a org.Actor, userID int64) ([]TokenInfo, error) {
	if err := mayManageTokens(a, userID); err != nil {
		return nil, err
	}
	if _, err := s.St.User(ctx, userID); err != nil {
		return nil, err
	}
	return s.St.UserTokens(ctx, userID, s.Now())
}

// RevokeToken ends one session or API token of a user (admin, or the user
// themself), named by its id from ListTokens; at once on every node.
func (s *Service) RevokeToken(ctx context.Context, a org.Actor, userID int64, id string) error {
	if err := mayManageTokens(a, userID); err != nil {
		return err
	}
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteUserToken(ctx, userID, id); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "revoke_token", fmt.Sprintf("user:%d", userID), map[string]string{"token": id})
	})
	if err != nil {
		return err
	}
	s.tokens.Range(func(k, v any) bool {
		if h := k.(string); len(h) >= len(id) && h[:len(id)] == id {
			s.tokens.Delete(k)
		}
		return true
	})
	return nil
}

// tokenCacheTTL bounds how long a verified token is trusted without asking
// the database again. Only a store that is this node's alone (SQLite)
// caches: every revocation passes through this node and drops its entries
// at once. On PostgreSQL other nodes may revoke, so each request asks the
// database and a revoked session stops working on every node at once
// (docs/SCALEOUT.md).
const tokenCacheTTL = 20 * time.Second

// cacheTokens reports whether verified tokens may be cached (see
// tokenCacheTTL).
func (s *Service) cacheTokens() bool { return s.St.Dialect() != store.Postgres }

type cachedActor struct {
	actor org.Actor
	until time.Time
}

// Authenticate resolves a bearer token to its actor. Verified tokens are
// cached briefly: looking them up was a sizeable share of every request.
func (s *Service) Authenticate(ctx context.Context, token string) (org.Actor, error) {
	if token == "" {
		return org.Actor{}, errs.E(errs.Unauthenticated)
	}
	h := auth.HashToken(token)
	now := time.Now()
	cache := s.cacheTokens()
	if v, ok := s.tokens.Load(h); ok && cache {
		if c := v.(cachedActor); now.Before(c.until) {
			return c.actor, nil
		}
		s.tokens.Delete(h)
	}
	u, _, err := s.St.TokenUser(ctx, h, s.Now())
	if errs.Is(err, errs.NotFound) || (err == nil && u.Disabled) {
		return org.Actor{}, errs.E(errs.Unauthenticated)
	}
	if err != nil { // the database is away: not the user's fault, keep the session
		return org.Actor{}, &errs.Error{Code: errs.Unavailable, Err: err}
	}
	a, err := s.Actor(u)
	if errs.Is(err, errs.UnknownUnit) && !cache {
		// A unit made on another node since this one read the catalogue
		// (re-read every 30 s): read it now rather than refuse its people.
		if err = s.Reload(ctx); err == nil {
			a, err = s.Actor(u)
		}
	}
	if err != nil {
		return a, err
	}
	if !cache {
		return a, nil
	}
	if s.tokenCount.Add(1)%4096 == 0 { // keep the cache bounded
		s.tokens.Range(func(k, v any) bool {
			if now.After(v.(cachedActor).until) {
				s.tokens.Delete(k)
			}
			return true
		})
	}
	s.tokens.Store(h, cachedActor{actor: a, until: now.Add(tokenCacheTTL)})
	return a, nil
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, token string) error {
	h := auth.HashToken(token)
	s.tokens.Delete(h)
	return s.St.Write(ctx, func(tx *store.Tx) error {
		u, _, err := tx.TokenUser(ctx, h, s.Now())
		if errs.Is(err, errs.NotFound) { // expired or already ended: nothing happens, nothing to record
			return tx.DeleteToken(ctx, h)
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteToken(ctx, h); err != nil {
			return err
		}
		return s.Audit(ctx, tx, org.Actor{User: u}, "logout", fmt.Sprintf("user:%d", u.ID), nil)
	})
}

// PruneExpired deletes expired sessions and tokens, and the shared login
// counts of windows over a day old (login windows are minutes long).
func (s *Service) PruneExpired(ctx context.Context) (int64, error) {
	var n int64
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		var err error
		now := time.Now()
		if n, err = tx.DeleteExpiredTokens(ctx, now); err != nil {
			return err
		}
		_, err = tx.DeleteOldLimits(ctx, now.Add(-limitsKept))
		return err
	})
	return n, err
}

// checkText refuses text with control characters (auth.HasControl).
func checkText(field, s string) error {
	if auth.HasControl(s) {
		return &errs.Error{Code: errs.Invalid, Field: field, Detail: "control character"}
	}
	return nil
}
