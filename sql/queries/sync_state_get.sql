-- The sync cursor and the outcome of the last run of one source (e.g. 'openai').
SELECT source, cursor_ts, last_run_at, last_status, last_detail
FROM sync_state
WHERE source = $source;
