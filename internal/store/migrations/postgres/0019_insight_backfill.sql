-- Daily rollups of the cases stored before they were maintained (issue
-- #12): one row per day (civil date in Asia/Shanghai, days since
-- 1970-01-01) × category × place × lead unit. The statement is also what
-- store.RebuildDaily runs (after emptying the table), so keep it one
-- INSERT ... SELECT. The counters come from the case's document:
-- reopen_count, satisfaction ("unsatisfied" is unsatisfied), resolved.
INSERT INTO insight_daily(day, category, district_id, street_id, community_id, grid_id, unit_id, n, reopened, rated, unsatisfied, resolved)
SELECT (created_at / 1000 + 28800) / 86400, category, district_id, street_id, community_id, grid_id, lead_unit_id,
  COUNT(*),
  SUM(CASE WHEN COALESCE((j ->> 'reopen_count')::bigint, 0) > 0 THEN 1 ELSE 0 END),
  SUM(CASE WHEN COALESCE(j ->> 'satisfaction', '') <> '' THEN 1 ELSE 0 END),
  SUM(CASE WHEN j ->> 'satisfaction' = 'unsatisfied' THEN 1 ELSE 0 END),
  SUM(CASE WHEN j ->> 'resolved' = 'true' THEN 1 ELSE 0 END)
FROM (SELECT created_at, category, district_id, street_id, community_id, grid_id, lead_unit_id, doc::jsonb AS j FROM cases) c
GROUP BY 1, 2, 3, 4, 5, 6, 7;

-- The place filters of the analysis and the dashboard: a district's or a
-- street's days without a scan of the city's.
CREATE INDEX IF NOT EXISTS insight_daily_district ON insight_daily(district_id, day);
CREATE INDEX IF NOT EXISTS insight_daily_street ON insight_daily(street_id, day);
