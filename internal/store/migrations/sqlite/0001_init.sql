-- Whistle schema, SQLite dialect. Times are Unix milliseconds (INTEGER) in
-- both dialects; JSON documents are TEXT.
CREATE TABLE places (
  id INTEGER PRIMARY KEY,
  parent_id INTEGER REFERENCES places(id),
  level TEXT NOT NULL,
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  boundary TEXT NOT NULL DEFAULT ''
);
CREATE INDEX places_parent ON places(parent_id);

CREATE TABLE units (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  place_id INTEGER NOT NULL REFERENCES places(id),
  supervisor_id INTEGER REFERENCES units(id)
);

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  unit_id INTEGER NOT NULL REFERENCES units(id),
  roles TEXT NOT NULL,
  grid_ids TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL DEFAULT '',
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);

CREATE TABLE tokens (
  hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  kind TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX tokens_user ON tokens(user_id);

CREATE TABLE categories (
  code TEXT PRIMARY KEY,
  parent TEXT NOT NULL DEFAULT '',
  name_zh TEXT NOT NULL,
  name_en TEXT NOT NULL DEFAULT '',
  urgency TEXT NOT NULL DEFAULT '',
  leaf INTEGER NOT NULL,
  active INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE cases (
  id INTEGER PRIMARY KEY,
  number TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL,
  is_open INTEGER NOT NULL,
  channel TEXT NOT NULL,
  type TEXT NOT NULL,
  category TEXT NOT NULL,
  urgency TEXT NOT NULL,
  district_id INTEGER NOT NULL DEFAULT 0,
  street_id INTEGER NOT NULL DEFAULT 0,
  community_id INTEGER NOT NULL DEFAULT 0,
  grid_id INTEGER NOT NULL DEFAULT 0,
  lead_unit_id INTEGER NOT NULL DEFAULT 0,
  supervising_unit_id INTEGER NOT NULL DEFAULT 0,
  due_at INTEGER NOT NULL DEFAULT 0,
  overdue INTEGER NOT NULL DEFAULT 0,
  supervised INTEGER NOT NULL DEFAULT 0,
  return_pending INTEGER NOT NULL DEFAULT 0,
  extension_pending INTEGER NOT NULL DEFAULT 0,
  phone_hash TEXT NOT NULL DEFAULT '',
  citizen_name TEXT NOT NULL DEFAULT '',
  citizen_phone TEXT NOT NULL DEFAULT '',
  created_by INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  closed_at INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX cases_inbox ON cases(lead_unit_id, due_at, id) WHERE is_open = 1;
CREATE INDEX cases_created ON cases(created_at, id);
CREATE INDEX cases_state ON cases(state, created_at);
CREATE INDEX cases_district ON cases(district_id, created_at);
CREATE INDEX cases_supervising ON cases(supervising_unit_id, created_at);
CREATE INDEX cases_phone ON cases(phone_hash, created_at) WHERE phone_hash <> '';
CREATE INDEX cases_grid ON cases(grid_id, created_at);
CREATE INDEX cases_creator ON cases(created_by, created_at);

CREATE TABLE case_units (
  case_id INTEGER NOT NULL REFERENCES cases(id),
  unit_id INTEGER NOT NULL,
  role TEXT NOT NULL,
  PRIMARY KEY (case_id, unit_id)
);
CREATE INDEX case_units_unit ON case_units(unit_id, case_id);

CREATE TABLE case_links (
  case_id INTEGER NOT NULL REFERENCES cases(id),
  other_id INTEGER NOT NULL REFERENCES cases(id),
  kind TEXT NOT NULL,
  PRIMARY KEY (case_id, other_id)
);

CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases(id),
  seq INTEGER NOT NULL,
  action TEXT NOT NULL,
  from_state TEXT NOT NULL DEFAULT '',
  to_state TEXT NOT NULL DEFAULT '',
  actor_user_id INTEGER NOT NULL DEFAULT 0,
  actor_unit_id INTEGER NOT NULL DEFAULT 0,
  at INTEGER NOT NULL,
  doc TEXT NOT NULL,
  UNIQUE (case_id, seq)
);
CREATE INDEX events_at ON events(at);

CREATE TABLE timers (
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases(id),
  kind TEXT NOT NULL,
  due_at INTEGER NOT NULL,
  fired_at INTEGER,
  fired_by TEXT NOT NULL DEFAULT '',
  UNIQUE (case_id, kind, due_at)
);
CREATE INDEX timers_due ON timers(due_at) WHERE fired_at IS NULL;

CREATE TABLE attachments (
  id INTEGER PRIMARY KEY,
  case_id INTEGER,
  name TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  storage TEXT NOT NULL,
  data BLOB,
  created_by INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE INDEX attachments_case ON attachments(case_id);

CREATE TABLE idempotency (
  principal TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  case_id INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (principal, key)
);

CREATE TABLE day_seq (
  day TEXT PRIMARY KEY,
  n INTEGER NOT NULL
);

CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_at ON audit(at);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
