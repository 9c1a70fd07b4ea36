-- The request-log fields of a newline-delimited JSON file read in one pass by DuckDB's read_json
-- (the fast path of `spendwatch ingest FILE.jsonl`): the same text values record_fields_lines.sql
-- extracts, for a file whose every line is a JSON object with distinct keys and nested objects where
-- the record format has them; any other file makes read_json fail and takes the robust path.
-- One difference remains: read_json prints a JSON number of magnitude >= 1e16 or < 1e-4 in exponent
-- form ('1e+20') where json_extract_string prints '100000000000000000000.0'; insert_jsonl_requests.sql
-- sends a file with such a value in a field where the spelling could matter to the robust path.
SELECT
    NULL::BIGINT AS line_no, NULL::VARCHAR AS raw, NULL::VARCHAR AS pre_reason, true AS is_object,
    NULL::VARCHAR AS usage_v,
    NULLIF(COALESCE(request_id, id), '') AS request_id_v,
    COALESCE(ts, "timestamp", created) AS ts_v,
    NULLIF(trim(model), '') AS model,
    NULLIF(endpoint, '') AS endpoint,
    COALESCE(NULLIF(feature, ''), '(untagged)') AS feature,
    NULLIF(COALESCE(project_id, project), '') AS project_id,
    NULLIF(api_key_id, '') AS api_key_id,
    NULLIF(COALESCE(user_id, "user"), '') AS user_id,
    batch AS batch_v,
    NULLIF(service_tier, '') AS service_tier,
    COALESCE(NULLIF(status, ''), 'ok') AS status,
    NULLIF(error_type, '') AS error_type,
    http_status AS http_status_v, latency_ms AS latency_v, ttft_ms AS ttft_v, retries AS retries_v,
    tags AS tags_v,
    COALESCE(usage.prompt_tokens, usage.input_tokens, input_tokens) AS input_v,
    COALESCE(usage.prompt_tokens_details.cached_tokens, usage.input_tokens_details.cached_tokens, cached_tokens) AS cached_v,
    COALESCE(usage.prompt_tokens_details.cache_write_tokens, usage.input_tokens_details.cache_write_tokens, cache_write_tokens) AS cache_write_v,
    COALESCE(usage.completion_tokens, usage.output_tokens, output_tokens) AS output_v,
    COALESCE(usage.completion_tokens_details.reasoning_tokens, usage.output_tokens_details.reasoning_tokens, reasoning_tokens) AS reasoning_v,
    COALESCE(usage.prompt_tokens_details.audio_tokens, audio_input_tokens) AS audio_in_v,
    COALESCE(usage.completion_tokens_details.audio_tokens, audio_output_tokens) AS audio_out_v,
    COALESCE(usage.completion_tokens_details.accepted_prediction_tokens, accepted_prediction_tokens) AS accepted_v,
    COALESCE(usage.completion_tokens_details.rejected_prediction_tokens, rejected_prediction_tokens) AS rejected_v,
    COALESCE(ratelimit.limit_requests, ratelimit_limit_requests) AS rl_limit_req_v,
    COALESCE(ratelimit.limit_tokens, ratelimit_limit_tokens) AS rl_limit_tok_v,
    COALESCE(ratelimit.remaining_requests, ratelimit_remaining_requests) AS rl_rem_req_v,
    COALESCE(ratelimit.remaining_tokens, ratelimit_remaining_tokens) AS rl_rem_tok_v
FROM read_json($path, format = 'newline_delimited', records = true, compression = 'none', columns = {
    request_id: 'VARCHAR', id: 'VARCHAR', ts: 'VARCHAR', "timestamp": 'VARCHAR', created: 'VARCHAR',
    model: 'VARCHAR', endpoint: 'VARCHAR', feature: 'VARCHAR', project_id: 'VARCHAR', project: 'VARCHAR',
    api_key_id: 'VARCHAR', user_id: 'VARCHAR', "user": 'VARCHAR', batch: 'VARCHAR', service_tier: 'VARCHAR',
    status: 'VARCHAR', error_type: 'VARCHAR', http_status: 'VARCHAR', latency_ms: 'VARCHAR', ttft_ms: 'VARCHAR',
    retries: 'VARCHAR', tags: 'VARCHAR',
    input_tokens: 'VARCHAR', cached_tokens: 'VARCHAR', cache_write_tokens: 'VARCHAR', output_tokens: 'VARCHAR',
    reasoning_tokens: 'VARCHAR', audio_input_tokens: 'VARCHAR', audio_output_tokens: 'VARCHAR',
    accepted_prediction_tokens: 'VARCHAR', rejected_prediction_tokens: 'VARCHAR',
    ratelimit_limit_requests: 'VARCHAR', ratelimit_limit_tokens: 'VARCHAR',
    ratelimit_remaining_requests: 'VARCHAR', ratelimit_remaining_tokens: 'VARCHAR',
    usage: 'STRUCT(prompt_tokens VARCHAR, input_tokens VARCHAR, completion_tokens VARCHAR, output_tokens VARCHAR,
                   prompt_tokens_details STRUCT(cached_tokens VARCHAR, cache_write_tokens VARCHAR, audio_tokens VARCHAR),
                   input_tokens_details STRUCT(cached_tokens VARCHAR, cache_write_tokens VARCHAR),
                   completion_tokens_details STRUCT(reasoning_tokens VARCHAR, audio_tokens VARCHAR,
                                                    accepted_prediction_tokens VARCHAR, rejected_prediction_tokens VARCHAR),
                   output_tokens_details STRUCT(reasoning_tokens VARCHAR))',
    ratelimit: 'STRUCT(limit_requests VARCHAR, limit_tokens VARCHAR, remaining_requests VARCHAR, remaining_tokens VARCHAR)'
})
