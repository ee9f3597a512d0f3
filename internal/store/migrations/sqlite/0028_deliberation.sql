-- 议事协商 (issue #15): community deliberation. An agenda item owned by a
-- street (or community) unit about a place, raised from requests, a topic or
-- by residents; the row holds what is filtered on, the document the rest
-- (meeting, participants, decision). A resident proposer's name and phone
-- live in their own columns (sealed like a case's), with a keyed phone hash.
CREATE TABLE deliberations (
  id INTEGER PRIMARY KEY,
  unit_id BIGINT NOT NULL,
  place_id BIGINT NOT NULL,
  state TEXT NOT NULL,
  source TEXT NOT NULL,
  topic_id BIGINT NOT NULL DEFAULT 0,
  meeting_at BIGINT NOT NULL DEFAULT 0,
  proposer_name TEXT NOT NULL DEFAULT '',
  proposer_phone TEXT NOT NULL DEFAULT '',
  phone_hash TEXT NOT NULL DEFAULT '',
  seal_key TEXT NOT NULL DEFAULT '',
  created_by BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  version BIGINT NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX deliberations_unit ON deliberations(unit_id, state, id);
CREATE INDEX deliberations_place ON deliberations(place_id, state, meeting_at);

-- The follow-up tasks of an item: agenda tasks (topic_tasks, kind
-- 'deliberation'), so they reach their owners' inboxes.
CREATE TABLE deliberation_tasks (
  deliberation_id BIGINT NOT NULL REFERENCES deliberations(id),
  task_id BIGINT NOT NULL REFERENCES topic_tasks(id),
  PRIMARY KEY (deliberation_id, task_id)
);
CREATE UNIQUE INDEX deliberation_tasks_task ON deliberation_tasks(task_id);
