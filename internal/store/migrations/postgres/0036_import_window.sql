-- An import sorts its rows by creation time in windows of window_rows
-- records before writing them (a file grouped by type, as Boston's CSV
-- is, would otherwise land all over the time-ordered indexes in every
-- batch): line is where the window being written starts, and window_done
-- how many of its sorted rows are committed, so that a resumed run reads
-- the same window again and goes on after them.
ALTER TABLE import_runs ADD COLUMN window_rows BIGINT NOT NULL DEFAULT 0;
ALTER TABLE import_runs ADD COLUMN window_done BIGINT NOT NULL DEFAULT 0;
