-- Events and webhooks (issue #13): a transactional outbox and its delivery
-- state. Every lifecycle event, whistle summons/report and assessment
-- publication writes one narrow outbox row in the transaction of the change;
-- a worker fans committed rows out to the active subscriptions (one
-- delivery row each) and delivers them at least once, in order per key
-- (okey: case:<id>, whistle:<id>, assessment). AUTOINCREMENT: an outbox id
-- is the event id (de-duplication), never reused.
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  okey TEXT NOT NULL,
  case_id BIGINT NOT NULL DEFAULT 0,
  seq BIGINT NOT NULL DEFAULT 0,
  at BIGINT NOT NULL,
  body TEXT NOT NULL,
  fanned INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_unfanned ON outbox(id) WHERE fanned = 0;

-- Subscribers: kind webhook (url, secret sealed when the store has keys) or
-- nats (url = the NATS server, from the configuration). types: comma list of
-- event types or prefixes ending in '*'; empty = all.
CREATE TABLE subscriptions (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  url TEXT NOT NULL,
  secret TEXT NOT NULL DEFAULT '',
  types TEXT NOT NULL DEFAULT '',
  active INTEGER NOT NULL DEFAULT 1,
  created_by BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- One row per (subscription, outbox row). state: pending, done, dead.
-- A pending delivery is sent only when no earlier pending delivery of the
-- same subscription and key exists; lease_until/lease_node let several
-- nodes share the work.
CREATE TABLE deliveries (
  id INTEGER PRIMARY KEY,
  sub_id BIGINT NOT NULL,
  outbox_id BIGINT NOT NULL,
  okey TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at BIGINT NOT NULL DEFAULT 0,
  lease_until BIGINT NOT NULL DEFAULT 0,
  lease_node TEXT NOT NULL DEFAULT '',
  last_error TEXT NOT NULL DEFAULT '',
  last_status INTEGER NOT NULL DEFAULT 0,
  done_at BIGINT NOT NULL DEFAULT 0,
  UNIQUE (sub_id, outbox_id)
);
CREATE INDEX deliveries_pending ON deliveries(sub_id, okey, outbox_id) WHERE state = 'pending';
CREATE INDEX deliveries_due ON deliveries(next_at) WHERE state = 'pending';
CREATE INDEX deliveries_dead ON deliveries(sub_id, id) WHERE state = 'dead';
CREATE INDEX deliveries_outbox ON deliveries(outbox_id);

-- The fan-out lock row (PostgreSQL: SELECT … FOR UPDATE serialises fan-out
-- across nodes, so deliveries of one key are created in outbox order).
CREATE TABLE outbox_locks (name TEXT PRIMARY KEY);
INSERT INTO outbox_locks(name) VALUES ('fanout');

-- This database's instance tag, part of every event id (evt_<tag>_<outbox
-- id>), so ids stay unique when several databases (cities, a restored
-- copy, a test) publish to one receiver or one JetStream stream.
CREATE TABLE outbox_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO outbox_meta(name, value) VALUES ('instance', lower(hex(randomblob(6))));
