-- Issue #9: case_flags in one shape in both dialects. Each dialect's 0004
-- had its own keys: SQLite keyed the rows by (flag, created_at, case_id)
-- WITHOUT ROWID and did not enforce "one row per case and flag";
-- PostgreSQL keyed them by (case_id, flag) with a second index on
-- (flag, created_at, case_id). Both now have
--   PRIMARY KEY (flag, created_at, case_id)  -- listing by flag and time
--   UNIQUE (case_id, flag)                   -- a flag is recorded once per case
-- Here the old primary key already made (case_id, flag) unique, so no row
-- is dropped; the key and the listing index change places (still two
-- indexes to keep per row).
ALTER TABLE case_flags DROP CONSTRAINT case_flags_pkey;
DROP INDEX IF EXISTS case_flags_flag;
ALTER TABLE case_flags ADD CONSTRAINT case_flags_pkey PRIMARY KEY (flag, created_at, case_id);
ALTER TABLE case_flags ADD CONSTRAINT case_flags_case_id_flag_key UNIQUE (case_id, flag);
