-- One replay run.
SELECT * FROM replay_runs WHERE run_id = $r
