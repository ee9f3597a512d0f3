package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"whistle/internal/auth"
	"whistle/internal/core"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/store"
)

// Two-step verification (TOTP, RFC 6238) for staff accounts. A user turns
// it on with BeginTOTP (a new secret, shown once) and ConfirmTOTP (one
// current code; then it is active and the user gets RecoveryCodes one-time
// recovery codes). From then on a login needs a code as well as the
// password; each code counts once (the last accepted time step is kept).
// Administrators may require it of roles (SetTOTPRequiredRoles) and reset
// a user's (ResetTOTP). Every change is audited.

// PendingTTL is how long the pages' pending login (password checked, code
// not yet given) lasts.
const PendingTTL = 5 * time.Minute

// settingRequiredRoles holds the roles that must use two-step
// verification, comma-separated.
const settingRequiredRoles = "totp_required_roles"

// TOTPStatus is a user's two-step verification, as their account page
// shows it.
type TOTPStatus struct {
	Active       bool `json:"active"`        // on
	Pending      bool `json:"pending"`       // a secret was made, not yet confirmed
	Required     bool `json:"required"`      // one of the user's roles must use it
	RecoveryLeft int  `json:"recovery_left"` // unused recovery codes
}

// Enrolment is a new secret, shown to the user once.
type Enrolment struct {
	Secret string `json:"secret"` // base32, to type into an app
	URI    string `json:"uri"`    // otpauth://totp/…
}

// totpOn reports whether a user has an active second factor.
func (s *Service) totpOn(ctx context.Context, userID int64) (bool, error) {
	t, err := s.St.UserTOTP(ctx, userID)
	if errs.Is(err, errs.NotFound) {
		return false, nil
	}
	return t.Active, err
}

// reserveCode counts one code try against the login limiter.
func (s *Service) reserveCode(ctx context.Context, lim *auth.LoginLimiter, username, client string, now time.Time) (func(), error) {
	if lim == nil {
		return func() {}, nil
	}
	refund, ok, err := lim.ReserveContext(ctx, username, client, now)
	if err != nil {
		s.limitsFailed(err)
		return nil, errs.E(errs.Unavailable)
	}
	if !ok {
		return nil, errs.E(errs.RateLimited)
	}
	return refund, nil
}

// spendCode checks code (a TOTP code, or a recovery code) of an active
// second factor and records its use in tx, so that it cannot be used
// again: errs.TOTPInvalid when it is wrong, outside the ±1 step window, or
// used before. recovery says a recovery code was used.
func (s *Service) spendCode(ctx context.Context, tx *store.Tx, userID int64, code string, now time.Time) (recovery bool, err error) {
	t, err := tx.UserTOTP(ctx, userID)
	if errs.Is(err, errs.NotFound) || (err == nil && !t.Active) {
		return false, errs.F(errs.TOTPInvalid, "totp")
	}
	if err != nil {
		return false, err
	}
	if auth.IsRecoveryCode(code) {
		ok, err := tx.UseRecoveryCode(ctx, userID, auth.HashRecoveryCode(code), now)
		if err != nil {
			return false, err
		}
		if !ok {
			return false, errs.F(errs.TOTPInvalid, "totp")
		}
		return true, nil
	}
	step, ok := auth.MatchTOTP(t.Secret, code, now)
	if !ok {
		return false, errs.F(errs.TOTPInvalid, "totp")
	}
	ok, err = tx.UseTOTPStep(ctx, userID, step)
	if err != nil {
		return false, err
	}
	if !ok { // this step or a later one was used: a replay
		return false, errs.F(errs.TOTPInvalid, "totp")
	}
	return false, nil
}

// auditCodeFailure records a refused second-factor code (never the code).
func (s *Service) auditCodeFailure(ctx context.Context, u org.User, client string) {
	_ = s.St.Write(ctx, func(tx *store.Tx) error {
		return s.Audit(ctx, tx, org.Actor{User: org.User{ID: u.ID}}, "login_failed", fmt.Sprintf("user:%d", u.ID), map[string]string{"username": u.Username, "client": client, "factor": "totp"})
	})
}

// pendingKey signs pending logins: derived from the phone-hash key, which
// every node has and the database does not.
func (s *Service) pendingKey() []byte {
	m := hmac.New(sha256.New, s.Cfg.PhoneKey)
	m.Write([]byte("whistle: pending two-step login v1"))
	return m.Sum(nil)
}

// pendingLogin is the signed state "user u's password was right at now":
// user id, expiry, a nonce and a fingerprint of the password hash (a
// password change ends it).
func (s *Service) pendingLogin(u org.User, hash string, now time.Time) string {
	nonce := make([]byte, 12)
	_, _ = rand.Read(nonce)
	payload := fmt.Sprintf("%d|%d|%s|%s", u.ID, now.Add(PendingTTL).UnixMilli(), hex.EncodeToString(nonce), hashPrint(hash))
	m := hmac.New(sha256.New, s.pendingKey())
	m.Write([]byte(payload))
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString(m.Sum(nil))
}

func hashPrint(hash string) string {
	h := sha256.Sum256([]byte(hash))
	return hex.EncodeToString(h[:8])
}

// openPending checks a pending login's signature, expiry and password
// fingerprint and returns its user: errs.Unauthenticated otherwise.
func (s *Service) openPending(ctx context.Context, pending string, now time.Time) (org.User, error) {
	bad := errs.E(errs.Unauthenticated)
	p, sig, ok := strings.Cut(pending, ".")
	if !ok || len(pending) > 512 {
		return org.User{}, bad
	}
	enc := base64.RawURLEncoding
	payload, err1 := enc.DecodeString(p)
	mac, err2 := enc.DecodeString(sig)
	if err1 != nil || err2 != nil {
		return org.User{}, bad
	}
	m := hmac.New(sha256.New, s.pendingKey())
	m.Write(payload)
	if !hmac.Equal(mac, m.Sum(nil)) {
		return org.User{}, bad
	}
	f := strings.Split(string(payload), "|")
	if len(f) != 4 {
		return org.User{}, bad
	}
	id, err1 := strconv.ParseInt(f[0], 10, 64)
	exp, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil || now.UnixMilli() >= exp {
		return org.User{}, bad
	}
	u, err := s.St.User(ctx, id)
	if errs.Is(err, errs.NotFound) {
		return org.User{}, bad
	}
	if err != nil {
		return org.User{}, err
	}
	_, hash, err := s.St.UserByName(ctx, u.Username)
	if err != nil {
		return org.User{}, err
	}
	if u.Disabled || !hmac.Equal([]byte(hashPrint(hash)), []byte(f[3])) {
		return org.User{}, bad
	}
	return u, nil
}

// LoginPending is the pages' second step: the pending state from
// LoginStart and a code open the session. The try is counted against lim
// for the user's name and client like a password try; errs.TOTPInvalid
// for a wrong code, errs.Unauthenticated for a pending state that is
// forged, expired or stale (start again with the password).
func (s *Service) LoginPending(ctx context.Context, lim *auth.LoginLimiter, pending, code, client string) (string, org.User, error) {
	if err := checkText("totp", code); err != nil {
		return "", org.User{}, err
	}
	now := s.Now()
	u, err := s.openPending(ctx, pending, now)
	if err != nil {
		return "", org.User{}, err
	}
	if strings.TrimSpace(code) == "" {
		return "", org.User{}, errs.F(errs.TOTPRequired, "totp")
	}
	refund, err := s.reserveCode(ctx, lim, u.Username, client, now)
	if err != nil {
		return "", org.User{}, err
	}
	tok, err := s.openSession(ctx, u, client, now, true, code)
	if err != nil {
		if errs.Is(err, errs.TOTPInvalid) {
			s.auditCodeFailure(ctx, u, client)
		}
		return "", org.User{}, err
	}
	refund()
	return tok, u, nil
}

// Status returns the actor's two-step verification.
func (s *Service) Status(ctx context.Context, a org.Actor) (TOTPStatus, error) {
	var st TOTPStatus
	req, err := s.RequiredRoles(ctx)
	if err != nil {
		return st, err
	}
	st.Required = a.User.Has(req...)
	t, err := s.St.UserTOTP(ctx, a.User.ID)
	if errs.Is(err, errs.NotFound) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	st.Active, st.Pending = t.Active, !t.Active
	if t.Active {
		st.RecoveryLeft, err = s.St.RecoveryCodesLeft(ctx, a.User.ID)
	}
	return st, err
}

// BeginTOTP makes a new secret for the actor (replacing one not yet
// confirmed): errs.Exists when two-step verification is already on.
func (s *Service) BeginTOTP(ctx context.Context, a org.Actor) (Enrolment, error) {
	if a.User.ID == 0 {
		return Enrolment{}, errs.E(errs.Unauthenticated)
	}
	secret, uri, err := auth.NewTOTPKey(a.User.Username)
	if err != nil {
		return Enrolment{}, errs.Wrap(err)
	}
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		return tx.PutPendingTOTP(ctx, a.User.ID, secret, s.Now())
	})
	if err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Secret: secret, URI: uri}, nil
}

// ConfirmTOTP turns the actor's new secret on with one current code and
// returns the recovery codes (shown once; stored hashed). errs.NotFound
// without a secret from BeginTOTP, errs.Exists when already on,
// errs.TOTPInvalid for a wrong code.
func (s *Service) ConfirmTOTP(ctx context.Context, a org.Actor, code string) ([]string, error) {
	if err := checkText("totp", code); err != nil {
		return nil, err
	}
	if strings.TrimSpace(code) == "" {
		return nil, errs.F(errs.FieldRequired, "totp")
	}
	now := s.Now()
	codes := auth.NewRecoveryCodes()
	hashes := make([]string, len(codes))
	for i, c := range codes {
		hashes[i] = auth.HashRecoveryCode(c)
	}
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		t, err := tx.UserTOTP(ctx, a.User.ID)
		if err != nil {
			return err
		}
		if t.Active {
			return errs.E(errs.Exists)
		}
		step, ok := auth.MatchTOTP(t.Secret, code, now)
		if !ok {
			return errs.F(errs.TOTPInvalid, "totp")
		}
		if err := tx.ActivateTOTP(ctx, a.User.ID, step, hashes, now); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "totp_enable", fmt.Sprintf("user:%d", a.User.ID), nil)
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// DisableTOTP turns the actor's second factor off; it needs a current code
// (or a recovery code), counted against lim like a login try. A user whose
// role requires two-step verification cannot turn it off (errs.Forbidden):
// an administrator resets it instead.
func (s *Service) DisableTOTP(ctx context.Context, lim *auth.LoginLimiter, a org.Actor, code, client string) error {
	if err := checkText("totp", code); err != nil {
		return err
	}
	st, err := s.Status(ctx, a)
	if err != nil {
		return err
	}
	if !st.Active {
		return errs.E(errs.NotFound)
	}
	if st.Required {
		return errs.E(errs.Forbidden)
	}
	if strings.TrimSpace(code) == "" {
		return errs.F(errs.TOTPRequired, "totp")
	}
	now := s.Now()
	refund, err := s.reserveCode(ctx, lim, a.User.Username, client, now)
	if err != nil {
		return err
	}
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		if _, err := s.spendCode(ctx, tx, a.User.ID, code, now); err != nil {
			return err
		}
		if _, err := tx.DeleteTOTP(ctx, a.User.ID); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "totp_disable", fmt.Sprintf("user:%d", a.User.ID), nil)
	})
	if err == nil {
		refund()
	}
	return err
}

// ResetTOTP removes a user's second factor and recovery codes (admin), for
// a user who lost their phone: they sign in with the password and enrol
// again. errs.NotFound when the user has none.
func (s *Service) ResetTOTP(ctx context.Context, a org.Actor, userID int64) error {
	if err := core.RequireAdmin(a); err != nil {
		return err
	}
	if _, err := s.St.User(ctx, userID); err != nil {
		return err
	}
	return s.St.Write(ctx, func(tx *store.Tx) error {
		had, err := tx.DeleteTOTP(ctx, userID)
		if err != nil {
			return err
		}
		if !had {
			return errs.E(errs.NotFound)
		}
		return s.Audit(ctx, tx, a, "totp_reset", fmt.Sprintf("user:%d", userID), nil)
	})
}

// RequiredRoles returns the roles that must use two-step verification.
func (s *Service) RequiredRoles(ctx context.Context) ([]string, error) {
	v, err := s.St.Setting(ctx, settingRequiredRoles)
	if err != nil || v == "" {
		return []string{}, err
	}
	return strings.Split(v, ","), nil
}

// SetRequiredRoles sets the roles that must use two-step verification
// (admin; audited). errs.Invalid (roles) for a role that does not exist.
func (s *Service) SetRequiredRoles(ctx context.Context, a org.Actor, roles []string) error {
	if err := core.RequireAdmin(a); err != nil {
		return err
	}
	var out []string
	for _, r := range roles {
		if !org.ValidRole(r) {
			return &errs.Error{Code: errs.Invalid, Field: "roles", Detail: "unknown role"}
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	v := strings.Join(out, ",")
	return s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.PutSetting(ctx, settingRequiredRoles, v, s.Now()); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "totp_required_roles", "settings", map[string]string{"roles": v})
	})
}

// NeedsSetup reports whether u holds a role that must use two-step
// verification and has not turned it on: the pages send such a user to
// the account page after signing in, and the API says so.
func (s *Service) NeedsSetup(ctx context.Context, u org.User) (bool, error) {
	st, err := s.Status(ctx, org.Actor{User: u})
	if err != nil {
		return false, err
	}
	return st.Required && !st.Active, nil
}
