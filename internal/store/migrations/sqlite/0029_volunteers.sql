-- Volunteers, their tasks and hours, and the care list of a community
-- (issue #15). Times are Unix ms.

-- The registry: a resident registered on the portal (pending) until the
-- community approves and links an account (user_id). duty: volunteer,
-- lane_steward (小巷管家) or lane_chief (街巷长) on the same record.
CREATE TABLE volunteers (
  id INTEGER PRIMARY KEY,
  unit_id BIGINT NOT NULL,
  name TEXT NOT NULL,
  phone TEXT NOT NULL,
  skills TEXT NOT NULL DEFAULT '',
  duty TEXT NOT NULL,
  state TEXT NOT NULL,
  user_id BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  approved_by BIGINT NOT NULL DEFAULT 0,
  approved_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX volunteers_unit ON volunteers(unit_id, state);
CREATE INDEX volunteers_user ON volunteers(user_id);

CREATE TABLE volunteer_tasks (
  id INTEGER PRIMARY KEY,
  unit_id BIGINT NOT NULL,
  kind TEXT NOT NULL,
  title TEXT NOT NULL,
  place TEXT NOT NULL,
  starts_at BIGINT NOT NULL,
  ends_at BIGINT NOT NULL,
  slots INTEGER NOT NULL,
  created_by BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX volunteer_tasks_unit ON volunteer_tasks(unit_id, starts_at);

-- One volunteer on one task: check-in and check-out by the server's clock,
-- minutes worked, and the staff's confirmation with the points credited.
CREATE TABLE volunteer_signups (
  task_id BIGINT NOT NULL REFERENCES volunteer_tasks(id),
  volunteer_id BIGINT NOT NULL REFERENCES volunteers(id),
  signed_at BIGINT NOT NULL,
  check_in BIGINT NOT NULL DEFAULT 0,
  check_out BIGINT NOT NULL DEFAULT 0,
  minutes INTEGER NOT NULL DEFAULT 0,
  confirmed_by BIGINT NOT NULL DEFAULT 0,
  confirmed_at BIGINT NOT NULL DEFAULT 0,
  points INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (task_id, volunteer_id)
);
CREATE INDEX volunteer_signups_volunteer ON volunteer_signups(volunteer_id);

-- The care list (关爱对象): only the community's own staff read it; no
-- export reads these tables (the backup copies them like every table).
CREATE TABLE care_subjects (
  id INTEGER PRIMARY KEY,
  unit_id BIGINT NOT NULL,
  name TEXT NOT NULL,
  phone TEXT NOT NULL DEFAULT '',
  address TEXT NOT NULL,
  care_type TEXT NOT NULL,
  consent_by TEXT NOT NULL,
  consent_method TEXT NOT NULL,
  consent_at BIGINT NOT NULL,
  consent_recorded_by BIGINT NOT NULL,
  every_days INTEGER NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX care_subjects_unit ON care_subjects(unit_id);

CREATE TABLE care_visits (
  id INTEGER PRIMARY KEY,
  subject_id BIGINT NOT NULL REFERENCES care_subjects(id),
  unit_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  volunteer_id BIGINT NOT NULL DEFAULT 0,
  visited_at BIGINT NOT NULL,
  note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX care_visits_subject ON care_visits(subject_id, visited_at);
CREATE INDEX care_visits_unit ON care_visits(unit_id, visited_at);
