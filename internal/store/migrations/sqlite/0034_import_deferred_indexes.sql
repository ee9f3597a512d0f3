-- A bulk import into a new store (issue #13) drops the secondary indexes of
-- the tables it fills and builds them again in one pass at its end. Each
-- dropped index is listed here in the same transaction that drops it, and
-- unlisted in the one that builds it again: a store killed in between has
-- its indexes rebuilt by the next import run or the next open.
CREATE TABLE import_deferred_indexes (
  name TEXT PRIMARY KEY,
  tbl TEXT NOT NULL,
  sql TEXT NOT NULL
);
