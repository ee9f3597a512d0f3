package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"whistle/internal/errs"
	"whistle/internal/sealed"
)

// Two-step verification (migration 0015). A user's TOTP secret is sealed
// under the key ring's primary key like the citizens' data; the store
// seals on write and opens on read.

// TOTP is a user's second factor.
type TOTP struct {
	UserID   int64
	Secret   string // base32, opened
	Active   bool   // confirmed with one code
	LastStep int64  // the last time step a code was accepted for
}

// UserTOTP returns a user's TOTP record; errs.NotFound when there is none.
func (q Queries) UserTOTP(ctx context.Context, userID int64) (TOTP, error) {
	t := TOTP{UserID: userID}
	var secret string
	var active int64
	err := q.row(ctx, "SELECT secret, active, last_step FROM user_totp WHERE user_id = ?"+q.forUpdate(), userID).Scan(&secret, &active, &t.LastStep)
	if errors.Is(err, sql.ErrNoRows) {
		return t, errs.E(errs.NotFound)
	}
	if err != nil {
		return t, err
	}
	t.Active = active != 0
	t.Secret, err = q.open(secret)
	return t, err
}

// PutPendingTOTP stores a new, not yet confirmed secret for a user,
// replacing a pending one; it refuses (errs.Exists) when an active one is
// there.
func (q Queries) PutPendingTOTP(ctx context.Context, userID int64, secret string, now time.Time) error {
	res, err := q.exec(ctx, `INSERT INTO user_totp(user_id, secret, active, last_step, created_at) VALUES (?,?,0,0,?)
		ON CONFLICT(user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at, last_step = 0
		WHERE user_totp.active = 0`, userID, q.seal(secret), ms(now))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return errs.E(errs.Exists)
	}
	return nil
}

// ActivateTOTP marks a pending secret active, with the step of the code
// that confirmed it, and replaces the user's recovery codes by hashes.
func (q Queries) ActivateTOTP(ctx context.Context, userID, step int64, recoveryHashes []string, now time.Time) error {
	if err := affected1(q.exec(ctx, "UPDATE user_totp SET active = 1, last_step = ?, confirmed_at = ? WHERE user_id = ? AND active = 0", step, ms(now), userID)); err != nil {
		return err
	}
	if _, err := q.exec(ctx, "DELETE FROM user_recovery_codes WHERE user_id = ?", userID); err != nil {
		return err
	}
	for _, h := range recoveryHashes {
		if _, err := q.exec(ctx, "INSERT INTO user_recovery_codes(user_id, code_hash) VALUES (?,?)", userID, h); err != nil {
			return err
		}
	}
	return nil
}

// UseTOTPStep records that a code of step was accepted; false when a code
// of this step or a later one was already accepted (a replay).
func (q Queries) UseTOTPStep(ctx context.Context, userID, step int64) (bool, error) {
	res, err := q.exec(ctx, "UPDATE user_totp SET last_step = ? WHERE user_id = ? AND active = 1 AND last_step < ?", step, userID, step)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// UseRecoveryCode marks an unused recovery code (by hash) used; false when
// there is no such unused code.
func (q Queries) UseRecoveryCode(ctx context.Context, userID int64, hash string, now time.Time) (bool, error) {
	res, err := q.exec(ctx, "UPDATE user_recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at = 0", ms(now), userID, hash)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RecoveryCodesLeft counts a user's unused recovery codes.
func (q Queries) RecoveryCodesLeft(ctx context.Context, userID int64) (int, error) {
	var n int
	err := q.row(ctx, "SELECT COUNT(*) FROM user_recovery_codes WHERE user_id = ? AND used_at = 0", userID).Scan(&n)
	return n, err
}

// DeleteTOTP removes a user's second factor and recovery codes; false when
// there was none.
func (q Queries) DeleteTOTP(ctx context.Context, userID int64) (bool, error) {
	if _, err := q.exec(ctx, "DELETE FROM user_recovery_codes WHERE user_id = ?", userID); err != nil {
		return false, err
	}
	res, err := q.exec(ctx, "DELETE FROM user_totp WHERE user_id = ?", userID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// TOTPSealCounts returns how many TOTP secrets are sealed under each key
// id ("" for a secret in clear), so that a key still opening one is not
// dropped.
func (q Queries) TOTPSealCounts(ctx context.Context) (map[string]int, error) {
	rows, err := q.query(ctx, "SELECT secret FROM user_totp")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out[sealed.KeyID(s)]++
	}
	return out, rows.Err()
}

// ResealTOTP re-seals under the primary key every TOTP secret sealed under
// another key (or in clear), in one write: the table has a row per staff
// user who turned the second factor on, so it is small. A secret that does
// not open is logged and left.
func (s *Store) ResealTOTP(ctx context.Context) (int, error) {
	if s.ring == nil {
		return 0, nil
	}
	primary := s.ring.Primary()
	n := 0
	err := s.Write(ctx, func(tx *Tx) error {
		n = 0
		rows, err := tx.query(ctx, "SELECT user_id, secret FROM user_totp ORDER BY user_id"+tx.forUpdate())
		if err != nil {
			return err
		}
		type row struct {
			id     int64
			secret string
		}
		var todo []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.secret); err != nil {
				rows.Close()
				return err
			}
			if sealed.KeyID(r.secret) != primary {
				todo = append(todo, r)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range todo {
			clear, err := tx.open(r.secret)
			if err != nil {
				s.log.Warn("reseal: TOTP secret does not open; skipped", "user", r.id, "err", err)
				continue
			}
			if _, err := tx.exec(ctx, "UPDATE user_totp SET secret = ? WHERE user_id = ?", tx.seal(clear), r.id); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
