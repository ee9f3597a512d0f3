-- Issue #4: duty lists (职责清单/派单目录), knowledge base, repeat flags,
-- and the indexes duplicate, repeat and tie-break queries use.
CREATE TABLE duty_lists (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  rules TEXT NOT NULL,
  created_by INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  published_by INTEGER NOT NULL DEFAULT 0,
  published_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX duty_lists_published ON duty_lists(status, published_at);

CREATE TABLE kb_articles (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  categories TEXT NOT NULL DEFAULT '',
  valid_from INTEGER NOT NULL DEFAULT 0,
  valid_to INTEGER NOT NULL DEFAULT 0,
  owner_unit_id INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  created_by INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE case_flags (
  case_id INTEGER NOT NULL REFERENCES cases(id),
  flag TEXT NOT NULL,
  n INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  -- Listed by flag and time: the key is that order, and there is no other
  -- index to keep on a create (a case has one row per flag).
  PRIMARY KEY (flag, created_at, case_id)
) WITHOUT ROWID;

CREATE INDEX cases_grid_cat ON cases(grid_id, category, created_at);
-- The grid-and-category index serves the grid look-ups the older
-- (grid_id, created_at) index did: one index less to keep on every create.
DROP INDEX cases_grid;
CREATE INDEX cases_open_cat ON cases(district_id, category, created_at) WHERE is_open = 1;
CREATE INDEX cases_street_cat ON cases(street_id, category, closed_at) WHERE is_open = 0;

-- A new request has no supervising unit until it is dispatched: index only
-- the cases that have one, so that creating a request skips this index.
DROP INDEX cases_supervising;
CREATE INDEX cases_supervising ON cases(supervising_unit_id, created_at) WHERE supervising_unit_id <> 0;
