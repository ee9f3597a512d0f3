-- Imports of another system's history (issue #13): whistle import open311|csv.

-- One row per imported request: the source system and its id. The key
-- makes a re-run (or another file carrying the same requests under the same
-- source) skip what is already in, never duplicate it. An imported case
-- carries no timers: it is marked imported by its row here.
CREATE TABLE import_keys (
  source TEXT NOT NULL,
  external_id TEXT NOT NULL,
  case_id BIGINT NOT NULL,
  PRIMARY KEY (source, external_id)
);
CREATE INDEX import_keys_case ON import_keys(case_id);

-- One run over one file (file_key: kind, source, size and a hash of its
-- first bytes). line is the resume position: every line up to it is either
-- imported, refused or a duplicate, committed in the same transaction as
-- its rows; a re-run after an interruption continues after it.
CREATE TABLE import_runs (
  id INTEGER PRIMARY KEY,
  file_key TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  source TEXT NOT NULL,
  file TEXT NOT NULL,
  line BIGINT NOT NULL DEFAULT 0,
  imported BIGINT NOT NULL DEFAULT 0,
  refused BIGINT NOT NULL DEFAULT 0,
  duplicates BIGINT NOT NULL DEFAULT 0,
  started_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  finished_at BIGINT NOT NULL DEFAULT 0,
  elapsed_ms BIGINT NOT NULL DEFAULT 0
);

-- Rows refused by a run, with the reason code and the line.
CREATE TABLE import_refusals (
  run_id BIGINT NOT NULL,
  line BIGINT NOT NULL,
  reason TEXT NOT NULL,
  external_id TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (run_id, line)
);
