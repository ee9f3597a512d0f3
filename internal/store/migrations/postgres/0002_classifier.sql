-- The text classifier (智能派单): every trained model version with its
-- evaluation, and the centre's per-category automatic dispatch settings.
CREATE TABLE classifier_models (
  version BIGINT PRIMARY KEY,
  algorithm TEXT NOT NULL,
  trained_at BIGINT NOT NULL,
  train_ms BIGINT NOT NULL,
  examples BIGINT NOT NULL,
  labels BIGINT NOT NULL,
  eval TEXT NOT NULL,
  created_by BIGINT NOT NULL DEFAULT 0,
  model BYTEA NOT NULL
);

CREATE TABLE auto_dispatch (
  category TEXT PRIMARY KEY,
  enabled BIGINT NOT NULL,
  threshold DOUBLE PRECISION NOT NULL,
  updated_by BIGINT NOT NULL DEFAULT 0,
  updated_at BIGINT NOT NULL
);
