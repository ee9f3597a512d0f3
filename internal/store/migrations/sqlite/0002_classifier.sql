-- The text classifier (智能派单): every trained model version with its
-- evaluation, and the centre's per-category automatic dispatch settings.
CREATE TABLE classifier_models (
  version INTEGER PRIMARY KEY,
  algorithm TEXT NOT NULL,
  trained_at INTEGER NOT NULL,
  train_ms INTEGER NOT NULL,
  examples INTEGER NOT NULL,
  labels INTEGER NOT NULL,
  eval TEXT NOT NULL,
  created_by INTEGER NOT NULL DEFAULT 0,
  model BLOB NOT NULL
);

CREATE TABLE auto_dispatch (
  category TEXT PRIMARY KEY,
  enabled INTEGER NOT NULL,
  threshold REAL NOT NULL,
  updated_by INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);
