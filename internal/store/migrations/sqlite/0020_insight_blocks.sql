-- Day blocks: a compact read cache over insight_daily (issue #12). The
-- analysis reads a year of rollup rows (millions); read row by row through
-- the driver that costs seconds. A block holds one finished day's rows
-- encoded by the store (store/blocks.go) and the day's totals in plain
-- columns, so that a year is 365 rows and a month's totals 30 small ones.

-- Each day's generation: bumped in the same transaction as every change of
-- the day's rollup rows. Rows are never deleted, so a generation never
-- repeats for a day.
CREATE TABLE insight_gens (
  day BIGINT PRIMARY KEY,
  gen BIGINT NOT NULL
);

-- One finished day's rows as of generation gen: it stands for the day's
-- rows only while insight_gens holds the same generation for the day.
CREATE TABLE insight_blocks (
  day BIGINT PRIMARY KEY,
  gen BIGINT NOT NULL,
  n BIGINT NOT NULL,
  reopened BIGINT NOT NULL,
  rated BIGINT NOT NULL,
  unsatisfied BIGINT NOT NULL,
  resolved BIGINT NOT NULL,
  cells BIGINT NOT NULL,
  doc BLOB NOT NULL
);

-- The days that have rows now (filled by 0019's backfill) have no block:
-- they get a generation, so that the compactor finds them.
INSERT INTO insight_gens(day, gen) SELECT DISTINCT day, 1 FROM insight_daily;

-- A district's or a street's daily totals (the dashboard of a district
-- centre, a topic's street) from the index alone: the place indexes of
-- 0019 extended by the counts, so that no row of the table is visited.
DROP INDEX insight_daily_district;
DROP INDEX insight_daily_street;
CREATE INDEX insight_daily_district ON insight_daily(district_id, day, n, reopened, rated, unsatisfied, resolved);
CREATE INDEX insight_daily_street ON insight_daily(street_id, day, n, reopened, rated, unsatisfied, resolved);
