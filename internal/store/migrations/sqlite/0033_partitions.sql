-- Monthly partitions of the large tables (issue #14, docs/BENCHMARKS.md
-- "PostgreSQL partitions (issue #14)") are a PostgreSQL feature: one SQLite
-- file serves a district or a small city, where the tables stay small
-- enough for their indexes. Nothing to do here; the number is kept so that
-- both dialects have the same migrations.
SELECT 1;
