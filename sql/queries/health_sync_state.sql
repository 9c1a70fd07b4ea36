-- The Usage/Costs sync of each source: its cursor and the outcome of its last run.
SELECT source, cursor_ts, last_run_at, last_status, last_detail
FROM sync_state
ORDER BY source
