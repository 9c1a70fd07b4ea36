-- Record a run: its time, status and one-line detail; the cursor only moves forward (a NULL
-- $cursor, as after a failed run, keeps the stored one).
INSERT INTO sync_state (source, cursor_ts, last_run_at, last_status, last_detail)
VALUES ($source, $cursor, $run_at, $status, $detail)
ON CONFLICT (source) DO UPDATE SET
    cursor_ts   = CASE WHEN excluded.cursor_ts IS NULL THEN sync_state.cursor_ts
                       WHEN sync_state.cursor_ts IS NULL THEN excluded.cursor_ts
                       ELSE greatest(sync_state.cursor_ts, excluded.cursor_ts) END,
    last_run_at = excluded.last_run_at,
    last_status = excluded.last_status,
    last_detail = excluded.last_detail;
