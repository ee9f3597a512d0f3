-- People leave the community's lists (issue #15's retention gap): a person
-- taken off the care list (consent withdrawn, moved away, died, no longer
-- needed) keeps a row for the ledger's visit counts, but the name, phone,
-- address and the visits' notes are erased at once; a volunteer who leaves
-- (or was refused) keeps the hours, and the retention job erases the name
-- and phone retention_days after left_at (or approved_at for a refusal).
ALTER TABLE care_subjects ADD COLUMN removed_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE care_subjects ADD COLUMN removed_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE volunteers ADD COLUMN left_at BIGINT NOT NULL DEFAULT 0;
