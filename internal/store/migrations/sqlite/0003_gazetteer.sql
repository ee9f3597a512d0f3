-- Gazetteer entries added by administrators or imported with boundaries
-- (entries learned from resolved requests are derived, never stored).
CREATE TABLE gazetteer (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  aliases TEXT NOT NULL DEFAULT '',
  place_id INTEGER NOT NULL REFERENCES places(id),
  lat REAL,
  lon REAL,
  num_from INTEGER NOT NULL DEFAULT 0,
  num_to INTEGER NOT NULL DEFAULT 0,
  source TEXT NOT NULL,
  created_by INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE INDEX gazetteer_place ON gazetteer(place_id);
CREATE INDEX cases_closed ON cases(closed_at) WHERE closed_at > 0;
