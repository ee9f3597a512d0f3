-- Issue #11: personal data sealed at rest. seal_key is the id of the data
-- key a case's personal data is sealed under ('' = written in clear before
-- this migration; the re-seal job seals those rows at the next start).
ALTER TABLE cases ADD COLUMN seal_key TEXT NOT NULL DEFAULT '';
CREATE INDEX cases_seal ON cases(seal_key, id);
-- Phone look-ups (?phone=, caller history, repeat counts) filter on
-- phone_hash alone; the partial index cases_phone (WHERE phone_hash <> '')
-- is not chosen for them. A plain index on (phone_hash, created_at, id)
-- serves the equality, the time range and the id order.
DROP INDEX cases_phone;
CREATE INDEX cases_phone_hash ON cases(phone_hash, created_at, id);
