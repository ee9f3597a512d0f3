-- 每月一题 and 未诉先办 (issue #12).

-- Daily rollups, maintained in the same transaction as every case write
-- (a case's old contribution is subtracted, its new one added): one row per
-- civil day in Asia/Shanghai (days since 1970-01-01) × category × lowest
-- place × lead unit. n counts requests received that day; reopened those
-- reopened after an unsatisfied callback; rated those with a callback
-- rating; unsatisfied those rated unsatisfied; resolved those the citizen
-- said were resolved.
CREATE TABLE insight_daily (
  day BIGINT NOT NULL,
  category TEXT NOT NULL,
  district_id BIGINT NOT NULL,
  street_id BIGINT NOT NULL,
  community_id BIGINT NOT NULL,
  grid_id BIGINT NOT NULL,
  unit_id BIGINT NOT NULL,
  n BIGINT NOT NULL,
  reopened BIGINT NOT NULL,
  rated BIGINT NOT NULL,
  unsatisfied BIGINT NOT NULL,
  resolved BIGINT NOT NULL,
  PRIMARY KEY (day, category, district_id, street_id, community_id, grid_id, unit_id)
);

-- Finished analyses kept for the dashboard and the workbench's first view
-- (the report as JSON), keyed by what was asked.
CREATE TABLE insight_runs (
  id INTEGER PRIMARY KEY,
  params TEXT NOT NULL,
  from_day BIGINT NOT NULL,
  to_day BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  took_ms BIGINT NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX insight_runs_params ON insight_runs(params, created_at);

-- Topics (每月一题): a title, a lead unit, and a document with the matching
-- criteria, partners, goal and the candidate's evidence.
CREATE TABLE topics (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  state TEXT NOT NULL,
  lead_unit_id BIGINT NOT NULL,
  started_at BIGINT NOT NULL,
  goal_by BIGINT NOT NULL DEFAULT 0,
  created_by BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  version BIGINT NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX topics_state ON topics(state, started_at);

-- Tasks with an owner unit and a due date: a topic's tasks (topic_id > 0)
-- and 未诉先办 proactive tasks (topic_id = 0, kind 'proactive'), which start
-- as proposals the centre reviews.
CREATE TABLE topic_tasks (
  id INTEGER PRIMARY KEY,
  topic_id BIGINT NOT NULL DEFAULT 0,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  unit_id BIGINT NOT NULL,
  due_at BIGINT NOT NULL,
  created_by BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  version BIGINT NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX topic_tasks_unit ON topic_tasks(unit_id, state, due_at);
CREATE INDEX topic_tasks_topic ON topic_tasks(topic_id, id);
CREATE INDEX topic_tasks_state ON topic_tasks(kind, state, due_at);
