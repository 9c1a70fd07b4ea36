-- Records dated more than 5 minutes past the ingesting clock (a skewed app clock): kept, and
-- counted per ingest unit so `ingest` and the Data health page can say so.
ALTER TABLE ingest_log ADD COLUMN future_ts BIGINT NOT NULL DEFAULT 0;
