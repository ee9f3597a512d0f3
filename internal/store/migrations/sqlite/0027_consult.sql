-- 问需于民 and 项目制 (issue #15): surveys and their answers, the annual
-- practical-matters list (民生实事) with proposals and votes, community
-- projects with progress reports, spending and residents' evaluations.
-- Times are Unix milliseconds; money is integer fen. Residents are kept
-- only as keyed hashes of their phones (or of an anonymous cookie).
CREATE TABLE surveys (
  id INTEGER PRIMARY KEY,
  unit_id BIGINT NOT NULL,
  created_by BIGINT NOT NULL,
  title TEXT NOT NULL,
  intro TEXT NOT NULL DEFAULT '',
  questions TEXT NOT NULL,
  place_ids TEXT NOT NULL,
  opens_at BIGINT NOT NULL,
  closes_at BIGINT NOT NULL,
  allow_anonymous INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  published_at BIGINT NOT NULL DEFAULT 0,
  closed_at BIGINT NOT NULL DEFAULT 0,
  version BIGINT NOT NULL
);
CREATE INDEX surveys_unit ON surveys(unit_id, created_at);
CREATE INDEX surveys_state ON surveys(state, closes_at);

-- The audience of a survey, one row per place (for the ledger's place filter).
CREATE TABLE survey_places (
  survey_id BIGINT NOT NULL REFERENCES surveys(id),
  place_id BIGINT NOT NULL,
  PRIMARY KEY (survey_id, place_id)
);
CREATE INDEX survey_places_place ON survey_places(place_id);

-- One answer per respondent: "p:" + phone hash, or "c:" + cookie hash.
CREATE TABLE survey_answers (
  id INTEGER PRIMARY KEY,
  survey_id BIGINT NOT NULL REFERENCES surveys(id),
  respondent TEXT NOT NULL,
  replies TEXT NOT NULL,
  at BIGINT NOT NULL,
  UNIQUE (survey_id, respondent)
);

CREATE TABLE practical_rounds (
  id INTEGER PRIMARY KEY,
  year INTEGER NOT NULL UNIQUE,
  title TEXT NOT NULL DEFAULT '',
  votes_per_phone INTEGER NOT NULL,
  state TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  decided_at BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE practical_items (
  id INTEGER PRIMARY KEY,
  round_id BIGINT NOT NULL REFERENCES practical_rounds(id),
  title TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '',
  place_id BIGINT NOT NULL,
  state TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  votes INTEGER NOT NULL DEFAULT 0,
  project_id BIGINT NOT NULL DEFAULT 0,
  proposer TEXT NOT NULL,
  proposed_at BIGINT NOT NULL
);
CREATE INDEX practical_items_round ON practical_items(round_id, state);

CREATE TABLE practical_votes (
  item_id BIGINT NOT NULL REFERENCES practical_items(id),
  phone_hash TEXT NOT NULL,
  round_id BIGINT NOT NULL,
  at BIGINT NOT NULL,
  PRIMARY KEY (item_id, phone_hash)
);
CREATE INDEX practical_votes_phone ON practical_votes(round_id, phone_hash);

CREATE TABLE projects (
  id INTEGER PRIMARY KEY,
  unit_id BIGINT NOT NULL,
  street_id BIGINT NOT NULL,
  place_id BIGINT NOT NULL,
  proposer_org TEXT NOT NULL DEFAULT '',
  title TEXT NOT NULL,
  need TEXT NOT NULL,
  plan TEXT NOT NULL DEFAULT '',
  budget_fen BIGINT NOT NULL,
  approved_fen BIGINT NOT NULL DEFAULT 0,
  spent_fen BIGINT NOT NULL DEFAULT 0,
  state TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  item_id BIGINT NOT NULL DEFAULT 0,
  proposed_by BIGINT NOT NULL DEFAULT 0,
  decided_by BIGINT NOT NULL DEFAULT 0,
  proposed_at BIGINT NOT NULL,
  decided_at BIGINT NOT NULL DEFAULT 0,
  finished_at BIGINT NOT NULL DEFAULT 0,
  version BIGINT NOT NULL
);
CREATE INDEX projects_street ON projects(street_id, proposed_at);
CREATE INDEX projects_place ON projects(place_id, proposed_at);

CREATE TABLE project_reports (
  id INTEGER PRIMARY KEY,
  project_id BIGINT NOT NULL REFERENCES projects(id),
  note TEXT NOT NULL,
  percent INTEGER NOT NULL,
  photo_ids TEXT NOT NULL DEFAULT '',
  by_user BIGINT NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX project_reports_project ON project_reports(project_id, id);

CREATE TABLE project_spending (
  id INTEGER PRIMARY KEY,
  project_id BIGINT NOT NULL REFERENCES projects(id),
  amount_fen BIGINT NOT NULL,
  purpose TEXT NOT NULL,
  by_user BIGINT NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX project_spending_project ON project_spending(project_id, id);

CREATE TABLE project_evaluations (
  project_id BIGINT NOT NULL REFERENCES projects(id),
  phone_hash TEXT NOT NULL,
  stars INTEGER NOT NULL,
  comment TEXT NOT NULL DEFAULT '',
  at BIGINT NOT NULL,
  PRIMARY KEY (project_id, phone_hash)
);
