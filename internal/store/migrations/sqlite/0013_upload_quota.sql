-- Issue #11: uploads are counted against a daily quota per user (staff)
-- and per client address (the anonymous portal), whether or not they were
-- linked to a case; attachments never linked to a case are deleted after a
-- grace period. uploader is '' for staff uploads (counted by created_by)
-- and, for anonymous ones, a SHA-256 of the client address (not the
-- address itself).
ALTER TABLE attachments ADD COLUMN uploader TEXT NOT NULL DEFAULT '';
CREATE INDEX attachments_created ON attachments(created_at);
CREATE INDEX attachments_by_user ON attachments(created_by, created_at);
CREATE INDEX attachments_by_uploader ON attachments(uploader, created_at);
CREATE INDEX attachments_storage ON attachments(storage);
