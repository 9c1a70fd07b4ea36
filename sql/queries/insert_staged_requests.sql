-- Valid staged rows into requests; a request id already stored (or repeated in the batch) is a duplicate.
-- The anti-join and the QUALIFY are what keep request ids unique (migration 0070: no index). `stored`:
-- `requests`, or `_known` (known_ids.sql) when many small units share one scan of it. ANTI JOIN, not
-- NOT EXISTS: with the QUALIFY that plans as a mark join hashing every stored id (0.65 s at 10M rows).
INSERT INTO requests (
    request_id, ts, model, endpoint, feature, project_id, api_key_id, user_id, batch, service_tier,
    status, error_type, http_status, latency_ms, ttft_ms, retries,
    input_tokens, cached_tokens, cache_write_tokens, output_tokens, reasoning_tokens,
    audio_input_tokens, audio_output_tokens, accepted_prediction_tokens, rejected_prediction_tokens,
    ratelimit_limit_requests, ratelimit_limit_tokens, ratelimit_remaining_requests, ratelimit_remaining_tokens,
    tags, source,
    cached_audio_tokens, image_input_tokens, image_output_tokens, audio_seconds, web_search_calls,
    file_search_calls, code_interpreter_sessions, usage_missing, data_residency
)
SELECT request_id, ts, model, endpoint, feature, project_id, api_key_id, user_id, batch, service_tier,
       status, error_type, http_status, latency_ms, ttft_ms, retries,
       COALESCE(input_tokens, 0), cached_tokens, cache_write_tokens, output_tokens, reasoning_tokens,
       audio_input_tokens, audio_output_tokens, accepted_prediction_tokens, rejected_prediction_tokens,
       ratelimit_limit_requests, ratelimit_limit_tokens, ratelimit_remaining_requests, ratelimit_remaining_tokens,
       tags, $source,
       cached_audio_tokens, image_input_tokens, image_output_tokens, audio_seconds, web_search_calls,
       file_search_calls, code_interpreter_sessions, usage_missing, data_residency
FROM (SELECT * FROM _staged WHERE reason IS NULL
      QUALIFY row_number() OVER (PARTITION BY request_id ORDER BY line_no) = 1) s
ANTI JOIN {{stored}} r ON r.request_id = s.request_id;
