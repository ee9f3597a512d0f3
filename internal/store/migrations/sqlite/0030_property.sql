-- Property services (物业, issue #15). Times are Unix milliseconds.
-- A managed compound (小区): its boundary (GeoJSON, may be empty) and
-- aliases (a JSON array of address strings) find the requests about it;
-- its property company (物业服务企业) and owners' committee (业主委员会,
-- 0 = none) are units.
CREATE TABLE compounds (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  address TEXT NOT NULL DEFAULT '',
  aliases TEXT NOT NULL DEFAULT '[]',
  boundary TEXT NOT NULL DEFAULT '',
  community_id BIGINT NOT NULL,
  property_unit_id BIGINT NOT NULL,
  committee_unit_id BIGINT NOT NULL DEFAULT 0,
  active INTEGER NOT NULL DEFAULT 1,
  updated_at BIGINT NOT NULL
);
CREATE INDEX compounds_property ON compounds(property_unit_id);

-- Residents' ratings of the property company of their compound: 1–5, one
-- per phone (a keyed hash, never the number) per compound per quarter.
CREATE TABLE property_ratings (
  id INTEGER PRIMARY KEY,
  compound_id BIGINT NOT NULL,
  unit_id BIGINT NOT NULL,
  community_id BIGINT NOT NULL DEFAULT 0,
  score INTEGER NOT NULL,
  comment TEXT NOT NULL DEFAULT '',
  phone_hash TEXT NOT NULL,
  quarter TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (compound_id, phone_hash, quarter)
);
CREATE INDEX property_ratings_unit ON property_ratings(unit_id, created_at);
