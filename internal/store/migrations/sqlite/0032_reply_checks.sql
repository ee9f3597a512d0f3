-- Reply quality (答复质量, issue #16): each reply a unit submits is scored
-- per dimension (internal/replyquality) and the verdict kept with it, for
-- the callback screen and the monthly figures. No text is kept here: the
-- reply lives in its case (sealed texts, retention); the near-copy check
-- of later replies reads the MinHash signature and finds candidates among
-- all replies by its band keys (reply_bands). Times are Unix ms.
CREATE TABLE reply_checks (
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL,
  unit_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL DEFAULT 0,
  replied_at INTEGER NOT NULL,
  overall REAL NOT NULL,
  relevance REAL NOT NULL,
  completeness REAL NOT NULL,
  basis REAL NOT NULL,
  concrete REAL NOT NULL,
  tone REAL NOT NULL,
  original REAL NOT NULL,
  weak INTEGER NOT NULL,
  near_copy INTEGER NOT NULL,
  doc TEXT NOT NULL,
  signature TEXT NOT NULL DEFAULT ''
);
CREATE INDEX reply_checks_case ON reply_checks(case_id, id);
CREATE INDEX reply_checks_unit ON reply_checks(unit_id, replied_at);
CREATE INDEX reply_checks_replied ON reply_checks(replied_at);

CREATE TABLE reply_bands (
  band INTEGER NOT NULL,
  check_id INTEGER NOT NULL REFERENCES reply_checks(id)
);
CREATE INDEX reply_bands_band ON reply_bands(band, check_id);
