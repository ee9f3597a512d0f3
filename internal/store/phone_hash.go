package store

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"whistle/internal/auth"
)

// Phone hashes were stored as 64 characters of hex; they are stored as
// lowercase base32 now (auth.EncodePhoneHash), which holds no '1' and no
// long digit run, so a grep of the database for mobile numbers does not
// match inside a hash. The same bytes, another text: the conversion needs
// no key. It runs once, at the first start after the upgrade, and records
// that it is done in the settings.

const phoneHashTextSetting = "store.phone_hash_text"

// rehexPhoneHash returns the base32 text of a hex phone hash, or "" when h
// is not a hex hash (already converted, or empty).
func rehexPhoneHash(h string) string {
	if len(h) != 64 {
		return ""
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return ""
	}
	return auth.EncodePhoneHash(b)
}

// rehashPhonesOnOpen converts the hex phone hashes of a database from
// before base32, in batches of one write transaction each; a no-op once
// done. Conversion is idempotent, so nodes starting together or a restart
// half-way do no harm.
func (s *Store) rehashPhonesOnOpen(ctx context.Context) error {
	v, err := s.Setting(ctx, phoneHashTextSetting)
	if err != nil || v == "base32" {
		return err
	}
	var after int64
	total := 0
	for {
		var last int64
		err := s.Write(ctx, func(tx *Tx) error {
			last = 0
			rows, err := tx.query(ctx, "SELECT id, phone_hash FROM cases WHERE id > ? ORDER BY id LIMIT 1000", after)
			if err != nil {
				return err
			}
			type row struct {
				id   int64
				hash string
			}
			var todo []row
			for rows.Next() {
				var r row
				if err := rows.Scan(&r.id, &r.hash); err != nil {
					rows.Close()
					return err
				}
				last = r.id
				if rehexPhoneHash(r.hash) != "" {
					todo = append(todo, r)
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for _, r := range todo {
				if _, err := tx.exec(ctx, "UPDATE cases SET phone_hash = ? WHERE id = ? AND phone_hash = ?", rehexPhoneHash(r.hash), r.id, r.hash); err != nil {
					return err
				}
			}
			total += len(todo)
			if last == 0 {
				return tx.PutSetting(ctx, phoneHashTextSetting, "base32", time.Now())
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: phone hashes to base32: %w", err)
		}
		if last == 0 {
			break
		}
		after = last
	}
	if total > 0 {
		s.log.Info("phone hashes re-encoded from hex to base32", "cases", total)
	}
	return nil
}
