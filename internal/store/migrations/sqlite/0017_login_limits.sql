-- Login limits shared by the nodes of one database (issue #11): one row per
-- limit key and fixed window (window_start in Unix milliseconds), n the
-- tries counted in it. A try is counted with one atomic upsert per key in
-- one transaction; old windows are pruned with expired sessions.
CREATE TABLE login_limits (
  lim_key TEXT NOT NULL,
  window_start BIGINT NOT NULL,
  n BIGINT NOT NULL,
  PRIMARY KEY (lim_key, window_start)
);
