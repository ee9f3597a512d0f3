-- 三率 assessment (issue #5). Facts are maintained by the store in the same
-- transaction as the event they come from (AppendEvent): one row per order
-- (a dispatch of a case to a lead unit) and one per callback. Times are Unix
-- milliseconds.
CREATE TABLE assess_orders (
  id INTEGER PRIMARY KEY,
  case_id BIGINT NOT NULL,
  unit_id BIGINT NOT NULL,
  dispatched_at BIGINT NOT NULL,
  sign_by BIGINT NOT NULL DEFAULT 0,
  signed_at BIGINT NOT NULL DEFAULT 0,
  contacted_at BIGINT NOT NULL DEFAULT 0,
  contact_waived INTEGER NOT NULL DEFAULT 0,
  returned INTEGER NOT NULL DEFAULT 0,
  overdue INTEGER NOT NULL DEFAULT 0
);
-- Counting walks this covering index unit by unit over the period's range.
CREATE INDEX assess_orders_unit ON assess_orders(unit_id, dispatched_at, returned, sign_by, signed_at, contacted_at, contact_waived, overdue, case_id);
CREATE INDEX assess_orders_case ON assess_orders(case_id, id);

CREATE TABLE assess_callbacks (
  id INTEGER PRIMARY KEY,
  case_id BIGINT NOT NULL,
  unit_id BIGINT NOT NULL,
  at BIGINT NOT NULL,
  resolved INTEGER NOT NULL,
  satisfaction TEXT NOT NULL
);
CREATE INDEX assess_callbacks_unit ON assess_callbacks(unit_id, at, resolved, satisfaction, case_id);
CREATE INDEX assess_callbacks_case ON assess_callbacks(case_id);

-- Versioned scoring rule sets; the highest version is in force.
CREATE TABLE assess_rules (
  version INTEGER PRIMARY KEY,
  rules TEXT NOT NULL,
  created_by BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL
);

-- Published months: the rule-set version and the results, frozen.
CREATE TABLE assess_months (
  period TEXT PRIMARY KEY,
  rules_version INTEGER NOT NULL,
  results TEXT NOT NULL,
  published_by BIGINT NOT NULL,
  published_at BIGINT NOT NULL
);

-- 免考核: a unit asks for a case to be left out of its score.
CREATE TABLE assess_exemptions (
  id INTEGER PRIMARY KEY,
  case_id BIGINT NOT NULL,
  unit_id BIGINT NOT NULL,
  reason TEXT NOT NULL,
  evidence TEXT NOT NULL,
  attachments TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL,
  requested_by BIGINT NOT NULL,
  requested_at BIGINT NOT NULL,
  decided_by BIGINT NOT NULL DEFAULT 0,
  decided_at BIGINT NOT NULL DEFAULT 0,
  decision_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX assess_exemptions_case ON assess_exemptions(case_id, unit_id);
CREATE INDEX assess_exemptions_state ON assess_exemptions(state, id);

-- Extra items credited to a unit for a month (主动治理 topics).
CREATE TABLE assess_items (
  id INTEGER PRIMARY KEY,
  unit_id BIGINT NOT NULL,
  period TEXT NOT NULL,
  kind TEXT NOT NULL,
  note TEXT NOT NULL,
  created_by BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX assess_items_period ON assess_items(period, unit_id);
