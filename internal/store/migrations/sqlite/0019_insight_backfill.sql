-- SQLite: the rollups clustered by their key (WITHOUT ROWID), so that a
-- period's rows are read in one sweep of the table's b-tree rather than an
-- index walk plus a look-up of each row (the analysis reads millions).
-- The table of 0018 was never written before this migration.
CREATE TABLE insight_daily_clustered (
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
) WITHOUT ROWID;
DROP TABLE insight_daily;
ALTER TABLE insight_daily_clustered RENAME TO insight_daily;

-- Daily rollups of the cases stored before they were maintained (issue
-- #12): one row per day (civil date in Asia/Shanghai, days since
-- 1970-01-01) × category × place × lead unit. The statement is also what
-- store.RebuildDaily runs (after emptying the table), so keep it one
-- INSERT ... SELECT. The counters come from the case's document:
-- reopen_count, satisfaction ("unsatisfied" is unsatisfied), resolved.
INSERT INTO insight_daily(day, category, district_id, street_id, community_id, grid_id, unit_id, n, reopened, rated, unsatisfied, resolved)
SELECT (created_at / 1000 + 28800) / 86400, category, district_id, street_id, community_id, grid_id, lead_unit_id,
  COUNT(*),
  SUM(CASE WHEN COALESCE(json_extract(doc, '$.reopen_count'), 0) > 0 THEN 1 ELSE 0 END),
  SUM(CASE WHEN COALESCE(json_extract(doc, '$.satisfaction'), '') <> '' THEN 1 ELSE 0 END),
  SUM(CASE WHEN json_extract(doc, '$.satisfaction') = 'unsatisfied' THEN 1 ELSE 0 END),
  SUM(CASE WHEN json_extract(doc, '$.resolved') = 1 THEN 1 ELSE 0 END)
FROM cases
GROUP BY 1, 2, 3, 4, 5, 6, 7;

-- The place filters of the analysis and the dashboard: a district's or a
-- street's days without a scan of the city's.
CREATE INDEX IF NOT EXISTS insight_daily_district ON insight_daily(district_id, day);
CREATE INDEX IF NOT EXISTS insight_daily_street ON insight_daily(street_id, day);
