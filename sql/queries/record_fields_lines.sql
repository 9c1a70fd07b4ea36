-- The request-log fields of each staged line (_lines: line_no, raw JSON text, pre_reason set by the
-- reader), read as text with json_extract_string: the robust reader, for any input. Fills the
-- `fields` slot of check_records.sql.
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
               '$.usage',                                                               -- 54
               -- issue 15: audio / image / realtime / transcription details, tool calls, residency
               '$.usage.input_token_details.cached_tokens',                             -- 55
               '$.usage.input_token_details.audio_tokens',                              -- 56
               '$.usage.input_token_details.cached_tokens_details.audio_tokens',
               '$.cached_audio_tokens',                                                 -- 57..58
               '$.usage.input_tokens_details.image_tokens', '$.usage.input_token_details.image_tokens',
               '$.usage.prompt_tokens_details.image_tokens', '$.image_input_tokens',    -- 59..62
               '$.usage.output_tokens_details.image_tokens', '$.image_output_tokens',   -- 63..64
               '$.usage.output_token_details.audio_tokens',                             -- 65
               '$.usage.seconds', '$.audio_seconds',                                    -- 66..67
               '$.tool_calls.web_search', '$.web_search_calls',                         -- 68..69
               '$.tool_calls.file_search', '$.file_search_calls',                       -- 70..71
               '$.tool_calls.code_interpreter', '$.code_interpreter_sessions',          -- 72..73
               '$.data_residency'                                                       -- 74
           ]) END AS f
    FROM _lines
)
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
           COALESCE(f[26], f[27], f[55], f[28]) AS cached_v,
           COALESCE(f[29], f[30], f[31]) AS cache_write_v,
           COALESCE(f[32], f[33], f[34]) AS output_v,
           COALESCE(f[35], f[36], f[37]) AS reasoning_v,
           COALESCE(f[38], f[56], f[39]) AS audio_in_v,
           COALESCE(f[40], f[65], f[41]) AS audio_out_v,
           COALESCE(f[42], f[43]) AS accepted_v,
           COALESCE(f[44], f[45]) AS rejected_v,
           COALESCE(f[46], f[47]) AS rl_limit_req_v,
           COALESCE(f[48], f[49]) AS rl_limit_tok_v,
           COALESCE(f[50], f[51]) AS rl_rem_req_v,
           COALESCE(f[52], f[53]) AS rl_rem_tok_v,
           f[54] AS usage_v,
           COALESCE(f[57], f[58]) AS cached_audio_v,
           COALESCE(f[59], f[60], f[61], f[62]) AS image_in_v,
           COALESCE(f[63], f[64]) AS image_out_v,
           COALESCE(f[66], f[67]) AS audio_seconds_v,
           COALESCE(f[68], f[69]) AS web_search_v,
           COALESCE(f[70], f[71]) AS file_search_v,
           COALESCE(f[72], f[73]) AS code_interpreter_v,
           NULLIF(f[74], '') AS data_residency
    FROM parsed
