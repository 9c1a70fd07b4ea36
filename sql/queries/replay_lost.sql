-- The samples a run lost, for a person to read (the original answer beside the target's).
SELECT r.sample_id, r.method, r.score, s.request, s.answer AS original_answer, r.answer AS replay_answer
FROM replay_results r LEFT JOIN samples s USING (sample_id)
WHERE r.run_id = $run AND r.verdict = 'loss'
ORDER BY r.sample_id
