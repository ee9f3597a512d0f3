-- Photos of community projects' progress reports (issue #15): an upload
-- linked to a project is no orphan, and is shown with the project.
ALTER TABLE attachments ADD COLUMN project_id BIGINT;
CREATE INDEX attachments_project ON attachments(project_id) WHERE project_id IS NOT NULL;
