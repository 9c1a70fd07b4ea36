-- A new replay run.
INSERT INTO replay_runs (run_id, feature, target, judge, sample_ids, mode, status, batch_id,
                         estimated_cost_usd, created_at)
VALUES ($run_id, $feature, $target, $judge, $sample_ids, $mode, $status, $batch_id, $estimated_cost_usd,
        $created_at)
