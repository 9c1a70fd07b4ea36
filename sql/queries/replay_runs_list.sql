-- Replay runs, newest first (all, or those of one feature, target and status).
SELECT * FROM replay_runs
WHERE ($feature IS NULL OR feature = $feature) AND ($target IS NULL OR target = $target)
  AND ($status IS NULL OR status = $status)
ORDER BY created_at DESC, run_id DESC
