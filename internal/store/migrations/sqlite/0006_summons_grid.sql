-- 街乡吹哨、部门报到 and 网格化 patrols (issue #5). Times are Unix milliseconds.
CREATE TABLE whistles (
  id INTEGER PRIMARY KEY,
  street_unit_id BIGINT NOT NULL,
  raised_by BIGINT NOT NULL,
  source TEXT NOT NULL,
  case_ids TEXT NOT NULL DEFAULT '',
  finding_id BIGINT NOT NULL DEFAULT 0,
  place_id BIGINT NOT NULL DEFAULT 0,
  address TEXT NOT NULL,
  need TEXT NOT NULL,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  raised_at BIGINT NOT NULL,
  report_by BIGINT NOT NULL,
  closed_at BIGINT NOT NULL DEFAULT 0,
  closed_by BIGINT NOT NULL DEFAULT 0,
  summary TEXT NOT NULL DEFAULT '',
  version BIGINT NOT NULL
);
CREATE INDEX whistles_street ON whistles(street_unit_id, raised_at);
CREATE INDEX whistles_raised ON whistles(raised_at);

-- One summoned department's part.
CREATE TABLE whistle_reports (
  whistle_id BIGINT NOT NULL REFERENCES whistles(id),
  unit_id BIGINT NOT NULL,
  state TEXT NOT NULL,
  report_by BIGINT NOT NULL,
  acked_at BIGINT NOT NULL DEFAULT 0,
  arrived_at BIGINT NOT NULL DEFAULT 0,
  arrived_place TEXT NOT NULL DEFAULT '',
  acted_at BIGINT NOT NULL DEFAULT 0,
  reported_at BIGINT NOT NULL DEFAULT 0,
  report TEXT NOT NULL DEFAULT '',
  left_at BIGINT NOT NULL DEFAULT 0,
  late INTEGER NOT NULL DEFAULT 0,
  missed INTEGER NOT NULL DEFAULT 0,
  rated INTEGER NOT NULL DEFAULT 0,
  rating REAL NOT NULL DEFAULT 0,
  rating_note TEXT NOT NULL DEFAULT '',
  rated_at BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (whistle_id, unit_id)
);
CREATE INDEX whistle_reports_unit ON whistle_reports(unit_id, state);
CREATE INDEX whistle_reports_rated ON whistle_reports(rated_at, unit_id) WHERE rated = 1;

-- Append-only log of every act on a whistle.
CREATE TABLE whistle_log (
  id INTEGER PRIMARY KEY,
  whistle_id BIGINT NOT NULL REFERENCES whistles(id),
  unit_id BIGINT NOT NULL DEFAULT 0,
  action TEXT NOT NULL,
  actor_user_id BIGINT NOT NULL DEFAULT 0,
  at BIGINT NOT NULL,
  note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX whistle_log_whistle ON whistle_log(whistle_id, id);

-- Report-by deadlines, fired exactly once like the case timers (the case
-- timers table references cases, so whistles keep their own).
CREATE TABLE whistle_timers (
  id INTEGER PRIMARY KEY,
  whistle_id BIGINT NOT NULL REFERENCES whistles(id),
  unit_id BIGINT NOT NULL,
  kind TEXT NOT NULL,
  due_at BIGINT NOT NULL,
  fired_at BIGINT,
  fired_by TEXT NOT NULL DEFAULT '',
  UNIQUE (whistle_id, unit_id, kind, due_at)
);
CREATE INDEX whistle_timers_due ON whistle_timers(due_at) WHERE fired_at IS NULL;

-- 网格化: who looks after a grid, patrols with their track, findings.
CREATE TABLE grid_assignments (
  grid_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  duty TEXT NOT NULL,
  assigned_by BIGINT NOT NULL,
  assigned_at BIGINT NOT NULL,
  PRIMARY KEY (grid_id, user_id, duty)
);
CREATE INDEX grid_assignments_user ON grid_assignments(user_id);

CREATE TABLE patrols (
  id INTEGER PRIMARY KEY,
  grid_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  state TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  ended_at BIGINT NOT NULL DEFAULT 0,
  points INTEGER NOT NULL DEFAULT 0,
  meters REAL NOT NULL DEFAULT 0,
  last_lat REAL NOT NULL DEFAULT 0,
  last_lon REAL NOT NULL DEFAULT 0,
  findings INTEGER NOT NULL DEFAULT 0,
  note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX patrols_grid ON patrols(grid_id, started_at);
CREATE INDEX patrols_started ON patrols(started_at);
CREATE INDEX patrols_user ON patrols(user_id, state);

CREATE TABLE patrol_points (
  patrol_id BIGINT NOT NULL REFERENCES patrols(id),
  seq INTEGER NOT NULL,
  at BIGINT NOT NULL,
  lat REAL NOT NULL,
  lon REAL NOT NULL,
  PRIMARY KEY (patrol_id, seq)
);

CREATE TABLE findings (
  id INTEGER PRIMARY KEY,
  patrol_id BIGINT NOT NULL REFERENCES patrols(id),
  grid_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  item TEXT NOT NULL,
  outcome TEXT NOT NULL,
  case_id BIGINT NOT NULL REFERENCES cases(id),
  created_at BIGINT NOT NULL
);
CREATE INDEX findings_grid ON findings(grid_id, created_at);
CREATE INDEX findings_created ON findings(created_at);
