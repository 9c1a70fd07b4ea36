-- Finished samples of a run, several at once (one statement, one commit: parallel lists, one
-- element per sample); a sample already stored is kept as it is.
INSERT INTO replay_results (run_id, sample_id, answer, original_output_tokens, input_tokens, cached_tokens,
                            output_tokens, latency_ms, method, verdict, score, judge_input_tokens,
                            judge_output_tokens, embed_tokens, retries, done_at)
SELECT unnest($run_id::VARCHAR[]), unnest($sample_id::VARCHAR[]), unnest($answer::VARCHAR[]),
       unnest($original_output_tokens::BIGINT[]), unnest($input_tokens::BIGINT[]),
       unnest($cached_tokens::BIGINT[]), unnest($output_tokens::BIGINT[]), unnest($latency_ms::DOUBLE[]),
       unnest($method::VARCHAR[]), unnest($verdict::VARCHAR[]), unnest($score::DOUBLE[]),
       unnest($judge_input_tokens::BIGINT[]), unnest($judge_output_tokens::BIGINT[]),
       unnest($embed_tokens::BIGINT[]), unnest($retries::INTEGER[]), unnest($done_at::TIMESTAMP[])
ON CONFLICT (run_id, sample_id) DO NOTHING
