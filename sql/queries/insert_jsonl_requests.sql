-- Fast path of a JSONL file ingest: the checked rows of the whole file (the `records` slot:
-- check_records.sql over record_fields_jsonl.sql) into requests, skipping request ids already stored.
-- It only ever inserts a file that needs no quarantine: a row with a reason, a row without a request id
-- (its id would be the md5 of the raw line), or a text field holding a number that read_json spells in
-- exponent form (the `x < ':'` test only skips the regexp for text that cannot be one; numeric fields
-- cast the same from either spelling) raises an error. A request id repeated inside the file is found
-- after the insert by inserted_models.sql (requests has no index to refuse it: migration 0070). The
-- caller then rolls back and ingests the file line by line.
-- The check sits in the join key, so it runs on every row, duplicates included. ANTI JOIN (not NOT
-- EXISTS, which plans as a mark join hashing every stored id) builds on the file and streams the stored
-- ids past it. The statement returns the inserted row count.
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
SELECT checked_id, ts, model, endpoint, feature, project_id, api_key_id, user_id, batch, service_tier,
       status, error_type, http_status, latency_ms, ttft_ms, retries,
       COALESCE(input_tokens, 0), cached_tokens, cache_write_tokens, output_tokens, reasoning_tokens,
       audio_input_tokens, audio_output_tokens, accepted_prediction_tokens, rejected_prediction_tokens,
       ratelimit_limit_requests, ratelimit_limit_tokens, ratelimit_remaining_requests, ratelimit_remaining_tokens,
       tags, $source,
       cached_audio_tokens, image_input_tokens, image_output_tokens, audio_seconds, web_search_calls,
       file_search_calls, code_interpreter_sessions, usage_missing, data_residency
FROM (
    SELECT *,
           CASE WHEN reason IS NOT NULL OR request_id_v IS NULL
                     OR (request_id_v < ':' AND regexp_full_match(request_id_v, '-?[0-9]+(\.[0-9]+)?e[-+][0-9]+'))
                     OR (model < ':' AND regexp_full_match(model, '-?[0-9]+(\.[0-9]+)?e[-+][0-9]+'))
                     OR (endpoint < ':' AND regexp_full_match(endpoint, '-?[0-9]+(\.[0-9]+)?e[-+][0-9]+'))
                     OR (feature < ':' AND regexp_full_match(feature, '-?[0-9]+(\.[0-9]+)?e[-+][0-9]+'))
                     OR (project_id < ':' AND regexp_full_match(project_id, '-?[0-9]+(\.[0-9]+)?e[-+][0-9]+'))
                     OR (api_key_id < ':' AND regexp_full_match(api_key_id, '-?[0-9]+(\.[0-9]+)?e[-+][0-9]+'))
                     OR (user_id < ':' AND regexp_full_match(user_id, '-?[0-9]+(\.[0-9]+)?e[-+][0-9]+'))
                     OR (service_tier < ':' AND regexp_full_match(service_tier, '-?[0-9]+(\.[0-9]+)?e[-+][0-9]+'))
                     OR (status < ':' AND regexp_full_match(status, '-?[0-9]+(\.[0-9]+)?e[-+][0-9]+'))
                     OR (error_type < ':' AND regexp_full_match(error_type, '-?[0-9]+(\.[0-9]+)?e[-+][0-9]+'))
                THEN error('spendwatch: line needs the robust reader')
                ELSE request_id END AS checked_id
    FROM (
{{records}}
    )
) s
ANTI JOIN requests r ON r.request_id = s.checked_id;
