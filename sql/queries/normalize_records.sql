-- Turn raw request-log lines (_lines: line_no, raw JSON text, pre_reason set by the reader) into request rows, or a reason why not.
-- Accepts OpenAI's usage object (Chat Completions: prompt_/completion_tokens; Responses:
-- input_/output_tokens; Embeddings: prompt_tokens only) or the flat token columns.
-- Every value is read as text and checked here, so one bad line never fails the batch.
CREATE OR REPLACE TEMP TABLE _staged AS
WITH parsed AS (
    SELECT line_no, raw, pre_reason,
           CASE WHEN pre_reason IS NULL AND json_valid(raw) AND json_type(raw) = 'OBJECT' THEN json_extract_string(raw, [
               '$.request_id', '$.id', '$.ts', '$.timestamp', '$.created',              -- 1..5
               '$.model', '$.endpoint', '$.feature', '$.project_id', '$.project',       -- 6..10
               '$.api_key_id', '$.user_id', '$.user', '$.batch', '$.service_tier',      -- 11..15
               '$.status', '$.error_type', '$.http_status', '$.latency_ms', '$.ttft_ms', -- 16..20
               '$.retries', '$.tags',                                                   -- 21..22
               '$.usage.prompt_tokens', '$.usage.input_tokens', '$.input_tokens',       -- 23..25
               '$.usage.prompt_tokens_details.cached_tokens',
               '$.usage.input_tokens_details.cached_tokens', '$.cached_tokens',         -- 26..28
               '$.usage.prompt_tokens_details.cache_write_tokens',
               '$.usage.input_tokens_details.cache_write_tokens', '$.cache_write_tokens', -- 29..31
               '$.usage.completion_tokens', '$.usage.output_tokens', '$.output_tokens',  -- 32..34
               '$.usage.completion_tokens_details.reasoning_tokens',
               '$.usage.output_tokens_details.reasoning_tokens', '$.reasoning_tokens',   -- 35..37
               '$.usage.prompt_tokens_details.audio_tokens', '$.audio_input_tokens',     -- 38..39
               '$.usage.completion_tokens_details.audio_tokens', '$.audio_output_tokens',-- 40..41
               '$.usage.completion_tokens_details.accepted_prediction_tokens',
               '$.accepted_prediction_tokens',                                          -- 42..43
               '$.usage.completion_tokens_details.rejected_prediction_tokens',
               '$.rejected_prediction_tokens',                                          -- 44..45
               '$.ratelimit.limit_requests', '$.ratelimit_limit_requests',              -- 46..47
               '$.ratelimit.limit_tokens', '$.ratelimit_limit_tokens',                  -- 48..49
               '$.ratelimit.remaining_requests', '$.ratelimit_remaining_requests',      -- 50..51
               '$.ratelimit.remaining_tokens', '$.ratelimit_remaining_tokens',          -- 52..53
               '$.usage'                                                                -- 54
           ]) END AS f
    FROM _lines
),
fields AS (
    SELECT line_no, raw, pre_reason, f IS NOT NULL AS is_object,
           NULLIF(COALESCE(f[1], f[2]), '') AS request_id_v,
           COALESCE(f[3], f[4], f[5]) AS ts_v,
           NULLIF(trim(f[6]), '') AS model,
           NULLIF(f[7], '') AS endpoint,
           COALESCE(NULLIF(f[8], ''), '(untagged)') AS feature,
           NULLIF(COALESCE(f[9], f[10]), '') AS project_id,
           NULLIF(f[11], '') AS api_key_id,
           NULLIF(COALESCE(f[12], f[13]), '') AS user_id,
           f[14] AS batch_v,
           NULLIF(f[15], '') AS service_tier,
           COALESCE(NULLIF(f[16], ''), 'ok') AS status,
           NULLIF(f[17], '') AS error_type,
           f[18] AS http_status_v, f[19] AS latency_v, f[20] AS ttft_v, f[21] AS retries_v,
           f[22] AS tags_v,
           COALESCE(f[23], f[24], f[25]) AS input_v,
           COALESCE(f[26], f[27], f[28]) AS cached_v,
           COALESCE(f[29], f[30], f[31]) AS cache_write_v,
           COALESCE(f[32], f[33], f[34]) AS output_v,
           COALESCE(f[35], f[36], f[37]) AS reasoning_v,
           COALESCE(f[38], f[39]) AS audio_in_v,
           COALESCE(f[40], f[41]) AS audio_out_v,
           COALESCE(f[42], f[43]) AS accepted_v,
           COALESCE(f[44], f[45]) AS rejected_v,
           COALESCE(f[46], f[47]) AS rl_limit_req_v,
           COALESCE(f[48], f[49]) AS rl_limit_tok_v,
           COALESCE(f[50], f[51]) AS rl_rem_req_v,
           COALESCE(f[52], f[53]) AS rl_rem_tok_v,
           f[54] AS usage_v
    FROM parsed
),
typed AS (
    SELECT *,
           CASE WHEN regexp_full_match(ts_v, '\d{9,11}(\.\d+)?') THEN to_timestamp(ts_v::DOUBLE)::TIMESTAMP
                ELSE TRY_CAST(TRY_CAST(ts_v AS TIMESTAMPTZ) AS TIMESTAMP) END AS ts,
           -- token counts: whole numbers only (1200 or 1200.0), at most 15 digits
           CASE WHEN regexp_full_match(input_v, '\d{1,15}(\.0+)?') THEN input_v::DECIMAL(18, 0)::BIGINT END AS input_tokens,
           CASE WHEN cached_v IS NULL THEN 0 WHEN regexp_full_match(cached_v, '\d{1,15}(\.0+)?') THEN cached_v::DECIMAL(18, 0)::BIGINT END AS cached_tokens,
           CASE WHEN cache_write_v IS NULL THEN 0 WHEN regexp_full_match(cache_write_v, '\d{1,15}(\.0+)?') THEN cache_write_v::DECIMAL(18, 0)::BIGINT END AS cache_write_tokens,
           CASE WHEN output_v IS NULL THEN 0 WHEN regexp_full_match(output_v, '\d{1,15}(\.0+)?') THEN output_v::DECIMAL(18, 0)::BIGINT END AS output_tokens,
           CASE WHEN reasoning_v IS NULL THEN 0 WHEN regexp_full_match(reasoning_v, '\d{1,15}(\.0+)?') THEN reasoning_v::DECIMAL(18, 0)::BIGINT END AS reasoning_tokens,
           COALESCE(TRY_CAST(audio_in_v AS BIGINT), 0) AS audio_input_tokens,
           COALESCE(TRY_CAST(audio_out_v AS BIGINT), 0) AS audio_output_tokens,
           COALESCE(TRY_CAST(accepted_v AS BIGINT), 0) AS accepted_prediction_tokens,
           COALESCE(TRY_CAST(rejected_v AS BIGINT), 0) AS rejected_prediction_tokens,
           CASE WHEN batch_v IS NULL OR batch_v = '' THEN false ELSE TRY_CAST(batch_v AS BOOLEAN) END AS batch,
           TRY_CAST(http_status_v AS INTEGER) AS http_status,
           CASE WHEN isfinite(TRY_CAST(latency_v AS DOUBLE)) THEN TRY_CAST(latency_v AS DOUBLE) END AS latency_ms,
           CASE WHEN isfinite(TRY_CAST(ttft_v AS DOUBLE)) THEN TRY_CAST(ttft_v AS DOUBLE) END AS ttft_ms,
           COALESCE(TRY_CAST(retries_v AS INTEGER), 0) AS retries,
           TRY_CAST(rl_limit_req_v AS BIGINT) AS ratelimit_limit_requests,
           TRY_CAST(rl_limit_tok_v AS BIGINT) AS ratelimit_limit_tokens,
           TRY_CAST(rl_rem_req_v AS BIGINT) AS ratelimit_remaining_requests,
           TRY_CAST(rl_rem_tok_v AS BIGINT) AS ratelimit_remaining_tokens,
           CASE WHEN tags_v IS NOT NULL AND json_valid(tags_v) AND json_type(tags_v) = 'OBJECT' THEN tags_v::JSON END AS tags
    FROM fields
)
SELECT *,
       CASE
           WHEN pre_reason IS NOT NULL THEN pre_reason
           WHEN NOT is_object THEN CASE WHEN json_valid(raw) THEN 'not a JSON object' ELSE 'broken JSON' END
           WHEN model IS NULL THEN 'missing model'
           WHEN ts_v IS NULL THEN 'missing timestamp (ts)'
           WHEN ts IS NULL OR ts < TIMESTAMP '2015-01-01' OR ts > TIMESTAMP '2100-01-01' THEN 'unparseable timestamp: ' || left(ts_v, 40)
           WHEN usage_v IS NOT NULL AND (NOT json_valid(usage_v) OR json_type(usage_v) <> 'OBJECT') THEN 'usage is not an object'
           WHEN input_v IS NULL AND status = 'ok' THEN 'missing token counts (usage or input_tokens)'
           WHEN input_v IS NOT NULL AND input_tokens IS NULL THEN 'input tokens not a non-negative whole number: ' || left(input_v, 40)
           WHEN cached_tokens IS NULL THEN 'cached tokens not a non-negative whole number: ' || left(cached_v, 40)
           WHEN cache_write_tokens IS NULL THEN 'cache-write tokens not a non-negative whole number: ' || left(cache_write_v, 40)
           WHEN output_tokens IS NULL THEN 'output tokens not a non-negative whole number: ' || left(output_v, 40)
           WHEN reasoning_tokens IS NULL THEN 'reasoning tokens not a non-negative whole number: ' || left(reasoning_v, 40)
           WHEN cached_tokens > COALESCE(input_tokens, 0) THEN 'cached tokens exceed input tokens'
           WHEN reasoning_tokens > output_tokens THEN 'reasoning tokens exceed output tokens'
           WHEN batch IS NULL THEN 'batch must be true or false: ' || left(batch_v, 40)
       END AS reason,
       CASE WHEN request_id_v IS NULL THEN 'sw-' || md5(raw) ELSE request_id_v END AS request_id
FROM typed;
