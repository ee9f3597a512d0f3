-- Scheduled open-data exports (issue #13, docs/OPENDATA.md "Scheduled
-- publication"). An administrator's schedule writes the previous period's
-- open-data export as files under <data>/opendata/<dir>; every file
-- written is recorded in export_files. Times are Unix milliseconds.

-- A schedule: period "monthly" (day = day of the month it runs, 1..28) or
-- "weekly" (day = 1 Monday .. 7 Sunday); formats a comma list of csv, xlsx,
-- jsonl; categories a comma list of category codes or prefixes ("" = all).
-- next_run is when it is next due: a worker claims a due run by moving
-- next_run on with a compare-and-set (UPDATE ... WHERE next_run = the
-- value it read), so that one node runs it however many are polling.
CREATE TABLE export_schedules (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  period TEXT NOT NULL,
  day INTEGER NOT NULL,
  formats TEXT NOT NULL,
  categories TEXT NOT NULL DEFAULT '',
  dir TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1,
  next_run BIGINT NOT NULL,
  last_run BIGINT NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX export_schedules_due ON export_schedules(enabled, next_run);

-- A published file: path is relative to <data>/opendata and unique, so a
-- period's file is recorded once; period is "2026-03" or "2026-W10",
-- [period_from, period_to) its bounds.
CREATE TABLE export_files (
  id INTEGER PRIMARY KEY,
  schedule_id BIGINT NOT NULL,
  period TEXT NOT NULL,
  period_from BIGINT NOT NULL,
  period_to BIGINT NOT NULL,
  format TEXT NOT NULL,
  path TEXT NOT NULL UNIQUE,
  row_count BIGINT NOT NULL,
  bytes BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX export_files_created ON export_files(created_at);
