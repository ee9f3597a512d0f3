-- Retention (issue #11): closed cases older than the retention period are
-- anonymised once; anonymised_at (Unix ms, 0 = not anonymised) marks them.
ALTER TABLE cases ADD COLUMN anonymised_at INTEGER NOT NULL DEFAULT 0;
-- The retention job's queue: closed, not yet anonymised, oldest first.
CREATE INDEX cases_to_anonymise ON cases(closed_at, id) WHERE anonymised_at = 0 AND closed_at > 0;
