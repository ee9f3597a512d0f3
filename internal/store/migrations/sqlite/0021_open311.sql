-- Open311 GeoReport v2 (issue #13): API keys (only their SHA-256 is kept),
-- the mapping of service codes to categories, what a request posted
-- through Open311 carried besides the case (token, attributes, media),
-- and the updates Open311 clients post (mySociety's servicerequestupdates).
CREATE TABLE open311_keys (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  created_by BIGINT NOT NULL DEFAULT 0,
  revoked_at BIGINT NOT NULL DEFAULT 0,
  last_used_at BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE open311_services (
  service_code TEXT PRIMARY KEY,
  category TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  grp TEXT NOT NULL DEFAULT '',
  keywords TEXT NOT NULL DEFAULT '',
  attributes TEXT NOT NULL DEFAULT '[]',
  active BIGINT NOT NULL DEFAULT 1,
  updated_at BIGINT NOT NULL
);
CREATE TABLE open311_requests (
  case_id BIGINT PRIMARY KEY REFERENCES cases(id),
  token TEXT NOT NULL UNIQUE,
  service_code TEXT NOT NULL,
  attributes TEXT NOT NULL DEFAULT '{}',
  media_url TEXT NOT NULL DEFAULT '',
  key_id BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL
);
CREATE TABLE open311_updates (
  id INTEGER PRIMARY KEY,
  key_id BIGINT NOT NULL,
  ext_id TEXT NOT NULL,
  case_id BIGINT NOT NULL REFERENCES cases(id),
  status TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  updated_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (key_id, ext_id)
);
CREATE INDEX open311_updates_case ON open311_updates(case_id);
