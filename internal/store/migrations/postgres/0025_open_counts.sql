-- The dashboard's and the screen's overdue count (OpenCounts: the open
-- cases with the overdue flag, city-wide or in a district) reads this small
-- partial index alone; the open count reads the open cases' partial
-- indexes alone. Both fetched every open case's row for its overdue flag:
-- at 10 million requests, a week of open orders is about 100 000 rows and
-- the dashboard took half a second. The index holds only overdue open
-- cases, so no other query's plan is drawn to it.
CREATE INDEX cases_open_overdue ON cases(district_id) WHERE is_open = 1 AND overdue = 1;
