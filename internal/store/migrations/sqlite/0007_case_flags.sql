-- Issue #9: case_flags in one shape in both dialects. Each dialect's 0004
-- had its own keys: SQLite keyed the rows by (flag, created_at, case_id)
-- WITHOUT ROWID and did not enforce "one row per case and flag";
-- PostgreSQL keyed them by (case_id, flag) with a second index on
-- (flag, created_at, case_id). Both now have
--   PRIMARY KEY (flag, created_at, case_id)  -- listing by flag and time,
--                                            -- the SQLite table's own order
--   UNIQUE (case_id, flag)                   -- a flag is recorded once per case
-- SQLite keeps the table WITHOUT ROWID (the key is the table itself).
-- The table is rebuilt (SQLite cannot change a key in place); rows are
-- copied oldest first, so of duplicate (case_id, flag) rows the first one
-- recorded is kept. Rebuilding also normalises the older shapes 0004 had
-- before it was edited in place (rowid table, case_flags_flag index).
CREATE TABLE case_flags_0007 (
  case_id INTEGER NOT NULL REFERENCES cases(id),
  flag TEXT NOT NULL,
  n INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (flag, created_at, case_id),
  UNIQUE (case_id, flag)
) WITHOUT ROWID;
INSERT OR IGNORE INTO case_flags_0007(case_id, flag, n, created_at)
  SELECT case_id, flag, n, created_at FROM case_flags ORDER BY created_at, case_id, flag;
DROP TABLE case_flags;
ALTER TABLE case_flags_0007 RENAME TO case_flags;
