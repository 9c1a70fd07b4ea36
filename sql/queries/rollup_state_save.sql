-- Record what the rollups now cover.
INSERT OR REPLACE INTO rollup_state (id, built_at, rows_covered, max_ingested_at, pricing_key)
VALUES (1, $built_at, $rows_covered, $max_ingested_at, $pricing_key)
