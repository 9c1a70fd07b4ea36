-- The OpenAI sync's last success (older databases kept only the last run and its status), last
-- status and detail: what the sync-stale check reports.
SELECT COALESCE(last_ok_at, CASE WHEN lower(last_status) LIKE 'ok%' THEN last_run_at END), last_status, last_detail
FROM sync_state WHERE source = 'openai'
