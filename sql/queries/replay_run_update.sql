-- A run's status moves on (running -> batch_submitted -> done).
UPDATE replay_runs SET status = $status, batch_id = coalesce($batch_id, batch_id), finished_at = $finished_at
WHERE run_id = $run_id
