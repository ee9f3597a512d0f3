-- Two-step verification (issue #11): a staff user's TOTP secret (RFC 6238),
-- sealed with the store's key ring; active = 0 until the user confirmed one
-- code; last_step is the last time step a code was accepted for (a code
-- counts once). Recovery codes are stored as SHA-256 hashes, used once.
CREATE TABLE user_totp (
  user_id BIGINT PRIMARY KEY REFERENCES users(id),
  secret TEXT NOT NULL,
  active BIGINT NOT NULL DEFAULT 0,
  last_step BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  confirmed_at BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE user_recovery_codes (
  user_id BIGINT NOT NULL REFERENCES users(id),
  code_hash TEXT NOT NULL,
  used_at BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, code_hash)
);
