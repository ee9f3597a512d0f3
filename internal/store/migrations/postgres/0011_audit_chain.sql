-- Issue #11: the audit log is a hash chain. Every entry stores the hash of
-- the entry before it and its own hash (hex SHA-256 of a canonical encoding
-- of id, at, user_id, action, target, detail and prev_hash: audit.Hash).
-- Entries written from now on get consecutive ids assigned by the chain.
ALTER TABLE audit ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '', ADD COLUMN hash TEXT NOT NULL DEFAULT '';

-- The chain head: the id and hash of the newest entry, so that deleting the
-- newest entries is seen too. One row. Appending an entry locks it (SELECT
-- ... FOR UPDATE on PostgreSQL), so concurrent transactions append one after
-- the other and the chain never forks. linked = 0 until the store has
-- chained the entries that existed before this migration (it does so once,
-- at the first start after it: SQL cannot compute SHA-256 on SQLite);
-- dense_from is the newest of those entries' ids: ids up to it came from a
-- sequence and may have gaps, ids after it must be consecutive.
CREATE TABLE audit_head (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  id BIGINT NOT NULL,
  hash TEXT NOT NULL,
  dense_from BIGINT NOT NULL,
  linked INTEGER NOT NULL
);
INSERT INTO audit_head(one, id, hash, dense_from, linked) VALUES (1, 0, '', 0, 0);
