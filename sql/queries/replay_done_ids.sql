-- Samples a run has finished (a resumed run skips them: nothing is paid twice).
SELECT sample_id FROM replay_results WHERE run_id = $run
