-- The time of the last successful run, where the schema has the column (alert rules read it).
UPDATE sync_state SET last_ok_at = $run_at WHERE source = $source;
