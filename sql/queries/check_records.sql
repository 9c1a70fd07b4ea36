-- Type and check request-log fields (the `fields` slot: record_fields_lines.sql or
-- record_fields_jsonl.sql) into request rows, or a reason why not.
-- Accepts OpenAI's usage object (Chat Completions: prompt_/completion_tokens; Responses:
-- input_/output_tokens; Embeddings: prompt_tokens only) or the flat token columns.
-- Every value arrives as text and is checked here, so one bad line never fails the batch.
WITH fields AS (
{{fields}}
),
typed AS (
    SELECT *,
           CASE WHEN regexp_full_match(ts_v, '\d{9,11}(\.\d+)?') THEN to_timestamp(ts_v::DOUBLE)::TIMESTAMP
                ELSE TRY_CAST(TRY_CAST(ts_v AS TIMESTAMPTZ) AS TIMESTAMP) END AS ts,
           -- a zone offset's size in minutes (NULL without one); ISO 8601 and the world stop at ±18:00
           CASE WHEN ts_v NOT LIKE '%Z' AND regexp_matches(ts_v, '\d:\d\d(:\d\d(\.\d+)?)?\s*[+-]\d\d(:?\d\d)?$')
                THEN TRY_CAST(regexp_extract(ts_v, '[+-](\d\d):?(\d\d)?$', 1) AS INTEGER) * 60
                     + COALESCE(TRY_CAST(NULLIF(regexp_extract(ts_v, '[+-](\d\d):?(\d\d)?$', 2), '') AS INTEGER), 0)
           END AS ts_offset_minutes,
           -- token counts: whole numbers only (1200 or 1200.0), at most 15 digits
           CASE WHEN regexp_full_match(input_v, '\d{1,15}(\.0+)?') THEN input_v::DECIMAL(18, 0)::BIGINT END AS input_tokens,
           CASE WHEN cached_v IS NULL THEN 0 WHEN regexp_full_match(cached_v, '\d{1,15}(\.0+)?') THEN cached_v::DECIMAL(18, 0)::BIGINT END AS cached_tokens,
           CASE WHEN cache_write_v IS NULL THEN 0 WHEN regexp_full_match(cache_write_v, '\d{1,15}(\.0+)?') THEN cache_write_v::DECIMAL(18, 0)::BIGINT END AS cache_write_tokens,
           CASE WHEN output_v IS NULL THEN 0 WHEN regexp_full_match(output_v, '\d{1,15}(\.0+)?') THEN output_v::DECIMAL(18, 0)::BIGINT END AS output_tokens,
           CASE WHEN reasoning_v IS NULL THEN 0 WHEN regexp_full_match(reasoning_v, '\d{1,15}(\.0+)?') THEN reasoning_v::DECIMAL(18, 0)::BIGINT END AS reasoning_tokens,
           CASE WHEN audio_in_v IS NULL THEN 0 WHEN regexp_full_match(audio_in_v, '\d{1,15}(\.0+)?') THEN audio_in_v::DECIMAL(18, 0)::BIGINT END AS audio_input_tokens,
           CASE WHEN audio_out_v IS NULL THEN 0 WHEN regexp_full_match(audio_out_v, '\d{1,15}(\.0+)?') THEN audio_out_v::DECIMAL(18, 0)::BIGINT END AS audio_output_tokens,
           COALESCE(TRY_CAST(accepted_v AS BIGINT), 0) AS accepted_prediction_tokens,
           COALESCE(TRY_CAST(rejected_v AS BIGINT), 0) AS rejected_prediction_tokens,
           CASE WHEN batch_v IS NULL OR batch_v = '' THEN false ELSE TRY_CAST(batch_v AS BOOLEAN) END AS batch,
           TRY_CAST(http_status_v AS INTEGER) AS http_status,
           CASE WHEN isfinite(TRY_CAST(latency_v AS DOUBLE)) THEN TRY_CAST(latency_v AS DOUBLE) END AS latency_ms,
           CASE WHEN isfinite(TRY_CAST(ttft_v AS DOUBLE)) THEN TRY_CAST(ttft_v AS DOUBLE) END AS ttft_ms,
           CASE WHEN retries_v IS NULL THEN 0 WHEN regexp_full_match(retries_v, '\d{1,9}(\.0+)?') THEN retries_v::DECIMAL(18, 0)::INTEGER END AS retries,
           TRY_CAST(rl_limit_req_v AS BIGINT) AS ratelimit_limit_requests,
           TRY_CAST(rl_limit_tok_v AS BIGINT) AS ratelimit_limit_tokens,
           TRY_CAST(rl_rem_req_v AS BIGINT) AS ratelimit_remaining_requests,
           TRY_CAST(rl_rem_tok_v AS BIGINT) AS ratelimit_remaining_tokens,
           CASE WHEN tags_v IS NOT NULL AND json_valid(tags_v) AND json_type(tags_v) = 'OBJECT' THEN tags_v::JSON END AS tags,
           -- issue 15 (pricing): parts beyond text; a record without any usage keeps an unknown cost
           COALESCE(TRY_CAST(cached_audio_v AS BIGINT), 0) AS cached_audio_tokens,
           COALESCE(TRY_CAST(image_in_v AS BIGINT), 0) AS image_input_tokens,
           COALESCE(TRY_CAST(image_out_v AS BIGINT), 0) AS image_output_tokens,
           COALESCE(TRY_CAST(audio_seconds_v AS DECIMAL(18, 3)), 0) AS audio_seconds,
           COALESCE(TRY_CAST(web_search_v AS BIGINT), 0) AS web_search_calls,
           COALESCE(TRY_CAST(file_search_v AS BIGINT), 0) AS file_search_calls,
           COALESCE(TRY_CAST(code_interpreter_v AS BIGINT), 0) AS code_interpreter_sessions,
           input_v IS NULL AND audio_seconds_v IS NULL AS usage_missing
    FROM fields
)
-- free text of a valid row is stored with any key or bearer token masked (sw_redact: migration 0014)
SELECT * REPLACE (sw_redact(feature) AS feature, sw_redact(project_id) AS project_id,
                  sw_redact(api_key_id) AS api_key_id, sw_redact(user_id) AS user_id,
                  sw_redact(endpoint) AS endpoint, sw_redact(error_type) AS error_type,
                  sw_redact(tags)::JSON AS tags),
       CASE
           WHEN pre_reason IS NOT NULL THEN pre_reason
           WHEN NOT is_object THEN CASE WHEN json_valid(raw) THEN 'not a JSON object' ELSE 'broken JSON' END
           WHEN model IS NULL THEN 'missing model'
           WHEN ts_v IS NULL THEN 'missing timestamp (ts)'
           WHEN ts IS NULL OR ts < TIMESTAMP '2015-01-01' OR ts > TIMESTAMP '2100-01-01' THEN 'unparseable timestamp: ' || left(ts_v, 40)
           WHEN ts_offset_minutes > 18 * 60 THEN 'zone offset beyond ±18:00: ' || left(ts_v, 40)
           WHEN usage_v IS NOT NULL AND (NOT json_valid(usage_v) OR json_type(usage_v) <> 'OBJECT') THEN 'usage is not an object'
           WHEN input_v IS NOT NULL AND input_tokens IS NULL THEN 'input tokens not a non-negative whole number: ' || left(input_v, 40)
           WHEN cached_tokens IS NULL THEN 'cached tokens not a non-negative whole number: ' || left(cached_v, 40)
           WHEN cache_write_tokens IS NULL THEN 'cache-write tokens not a non-negative whole number: ' || left(cache_write_v, 40)
           WHEN output_tokens IS NULL THEN 'output tokens not a non-negative whole number: ' || left(output_v, 40)
           WHEN reasoning_tokens IS NULL THEN 'reasoning tokens not a non-negative whole number: ' || left(reasoning_v, 40)
           WHEN cached_tokens > COALESCE(input_tokens, 0) THEN 'cached tokens exceed input tokens'
           WHEN cache_write_tokens > COALESCE(input_tokens, 0) THEN 'cache-write tokens exceed input tokens'
           WHEN audio_input_tokens IS NULL THEN 'audio input tokens not a non-negative whole number: ' || left(audio_in_v, 40)
           WHEN audio_output_tokens IS NULL THEN 'audio output tokens not a non-negative whole number: ' || left(audio_out_v, 40)
           WHEN retries IS NULL THEN 'retries not a non-negative whole number: ' || left(retries_v, 40)
           WHEN latency_ms < 0 THEN 'latency_ms negative: ' || left(latency_v, 40)
           WHEN ttft_ms < 0 THEN 'ttft_ms negative: ' || left(ttft_v, 40)
           WHEN reasoning_tokens > output_tokens THEN 'reasoning tokens exceed output tokens'
           WHEN batch IS NULL THEN 'batch must be true or false: ' || left(batch_v, 40)
       END AS reason,
       CASE WHEN request_id_v IS NULL THEN 'sw-' || md5(raw) ELSE request_id_v END AS request_id
FROM typed
